"""Every value on and around each boundary of the Drammen tables gets exactly one level.

The tables are the ones the seed stores (services/indicators/seed.py), exactly as the
plans wrote them, gaps included. Values are classified unrounded: rounding is only for
display, so a value shown as 50.0 can still be below 50 and not approved.
"""

from __future__ import annotations

import pytest

from services.indicators.domain.catalogue import BUILT_INS
from services.indicators.domain.thresholds import (
    Band,
    Direction,
    GapPolicy,
    Level,
    ThresholdSet,
    round_half_up,
    validate,
)
from services.indicators.seed import MANUAL, THRESHOLDS

D, A, N, U = Level.desired, Level.acceptable, Level.not_approved, Level.unclassified


def drammen(key: str, gap_policy: GapPolicy = GapPolicy.unclassified) -> tuple[ThresholdSet, int]:
    _, bands = THRESHOLDS[key]
    if key in BUILT_INS:
        direction, decimals = BUILT_INS[key].direction, BUILT_INS[key].decimals
    else:
        change = MANUAL[key]
        assert change.direction is not None and change.decimals is not None
        direction, decimals = Direction(change.direction), change.decimals
    return (
        ThresholdSet(
            direction,
            tuple(
                Band(
                    Level(b.level),
                    b.lower,
                    bool(b.lower_inclusive),
                    b.upper,
                    bool(b.upper_inclusive),
                )
                for b in bands
            ),
            gap_policy,
        ),
        decimals,
    )


CASES = [
    # work or education after the programme: > 55 | 50–54 | < 50 (gap (54, 55])
    ("exit_work_or_education", 49.9, N),
    ("exit_work_or_education", 49.94, N),
    ("exit_work_or_education", 49.96, N),  # shown as 50.0, still below 50
    ("exit_work_or_education", 50, A),
    ("exit_work_or_education", 54, A),
    ("exit_work_or_education", 54.04, U),  # shown as 54.0, above 54
    ("exit_work_or_education", 54.05, U),
    ("exit_work_or_education", 54.5, U),
    ("exit_work_or_education", 55, U),  # "> 55" leaves 55 itself open
    ("exit_work_or_education", 55.1, D),
    # work after the programme: > 69 | 66.2–68.9 | < 66.1 (gaps [66.1, 66.2) and (68.9, 69])
    ("exit_work", 66.0, N),
    ("exit_work", 66.1, U),
    ("exit_work", 66.14, U),
    ("exit_work", 66.15, U),  # shown as 66.2, below 66.2
    ("exit_work", 66.2, A),
    ("exit_work", 68.9, A),
    ("exit_work", 68.95, U),
    ("exit_work", 69, U),
    ("exit_work", 69.1, D),
    # one year after (introduction centre): > 65 | 45–65 | below 45
    ("follow_up_work_or_education", 44.9, N),
    ("follow_up_work_or_education", 45, A),
    ("follow_up_work_or_education", 65, A),
    ("follow_up_work_or_education", 65.1, D),
    # activity conditions: ≥ 70 | 51–69 | < 50 (gaps [50, 51) and (69, 70))
    ("social_assistance_activity_conditions", 49.9, N),
    ("social_assistance_activity_conditions", 50, U),
    ("social_assistance_activity_conditions", 50.9, U),
    ("social_assistance_activity_conditions", 51, A),
    ("social_assistance_activity_conditions", 69, A),
    ("social_assistance_activity_conditions", 69.1, U),
    ("social_assistance_activity_conditions", 69.9, U),
    ("social_assistance_activity_conditions", 70, D),
    # serious substance abuse (lower is better): < 30 | 30–45 | > 45
    ("serious_substance_abuse", 29.9, D),
    ("serious_substance_abuse", 30, A),
    ("serious_substance_abuse", 45, A),
    ("serious_substance_abuse", 45.1, N),
    # social assistance, % of population: < 3.5 | 3.5–4.9 | ≥ 5 (gap (4.9, 5))
    ("social_assistance_share_of_population", 3.4, D),
    ("social_assistance_share_of_population", 3.5, A),
    ("social_assistance_share_of_population", 4.9, A),
    ("social_assistance_share_of_population", 4.94, U),  # shown as 4.9
    ("social_assistance_share_of_population", 4.95, U),  # shown as 5.0
    ("social_assistance_share_of_population", 5, N),
    # long-term receivers with dependants: < 400 | 400–450 | ≥ 450 (450: the explicit ≥)
    ("long_term_social_assistance_with_dependants", 399, D),
    ("long_term_social_assistance_with_dependants", 399.5, D),  # shown as 400
    ("long_term_social_assistance_with_dependants", 400, A),
    ("long_term_social_assistance_with_dependants", 449, A),
    ("long_term_social_assistance_with_dependants", 450, N),
    # homeless: < 65 | 65–100 | > 100
    ("homeless", 64, D),
    ("homeless", 65, A),
    ("homeless", 100, A),
    ("homeless", 100.4, N),  # shown as 100
    ("homeless", 100.5, N),
    ("homeless", 101, N),
    # children under the poverty line: < 1000 | 1000–2700 | > 2700
    ("children_below_poverty_line", 999, D),
    ("children_below_poverty_line", 1000, A),
    ("children_below_poverty_line", 2700, A),
    ("children_below_poverty_line", 2701, N),
]


@pytest.mark.parametrize(("key", "value", "level"), CASES)
def test_drammen_boundaries(key: str, value: float, level: Level) -> None:
    thresholds, decimals = drammen(key)
    assert thresholds.classify(value, decimals).level is level


def test_every_drammen_table_is_stored_and_valid() -> None:
    assert len(THRESHOLDS) == 9
    for key in THRESHOLDS:
        thresholds, _ = drammen(key)
        assert validate(thresholds.bands, thresholds.direction) == []
        assert {b.level for b in thresholds.bands} == {D, A, N}


def test_a_gap_narrower_than_the_published_precision_is_visible_with_more_decimals() -> None:
    thresholds, _ = drammen("social_assistance_share_of_population")
    classified = thresholds.classify(4.95, 2)
    assert classified.level is U
    assert "between acceptable [3.5, 4.9] and not_approved [5, ∞)" in classified.explanation


@pytest.mark.parametrize(
    ("key", "value", "level"),
    [
        ("exit_work_or_education", 54.5, A),  # worse of acceptable and desired
        ("social_assistance_activity_conditions", 50.5, N),
        ("exit_work", 69, A),
    ],
)
def test_worse_neighbour_policy(key: str, value: float, level: Level) -> None:
    thresholds, decimals = drammen(key, GapPolicy.worse_neighbour)
    assert thresholds.classify(value, decimals).level is level


def test_beyond_the_outermost_band_with_worse_neighbour() -> None:
    only_top = ThresholdSet(
        Direction.higher_is_better,
        (Band(D, 80, True, None, False), Band(A, 60, True, 79, True)),
        GapPolicy.worse_neighbour,
    )
    assert only_top.classify(10).level is N
    assert only_top.classify(79.5).level is A
    lower_better = ThresholdSet(
        Direction.lower_is_better, (Band(A, 10, True, 20, True),), GapPolicy.worse_neighbour
    )
    assert lower_better.classify(5).level is D
    assert lower_better.classify(25).level is N


def test_no_value_is_no_data() -> None:
    thresholds, _ = drammen("homeless")
    assert thresholds.classify(None).level is Level.no_data
    assert thresholds.classify(float("nan")).level is Level.no_data


@pytest.mark.parametrize(
    ("bands", "direction", "message"),
    [
        # 450 written in two rows, both inclusive: overlap.
        (
            [Band(A, 400, True, 450, True), Band(N, 450, True, None, False)],
            Direction.lower_is_better,
            "the value 450 would get two levels",
        ),
        (
            [Band(D, 50, True, None, False), Band(A, 40, True, 60, False)],
            Direction.higher_is_better,
            "overlaps",
        ),
        (
            [Band(D, None, False, 30, False), Band(N, 45, False, None, False)],
            Direction.higher_is_better,
            "contradictory for higher is better",
        ),
        ([Band(D, 5, True, 1, True)], Direction.higher_is_better, "contains no value"),
        ([Band(D, 5, False, 5, True)], Direction.higher_is_better, "contains no value"),
        (
            [Band(D, 1, True, None, False), Band(D, None, False, 0, False)],
            Direction.higher_is_better,
            "appears twice",
        ),
        ([Band(D, None, True, 5, True)], Direction.higher_is_better, "cannot be inclusive"),
        ([], Direction.higher_is_better, "at least one band"),
    ],
)
def test_overlapping_or_contradictory_bands_are_refused(
    bands: list[Band], direction: Direction, message: str
) -> None:
    problems = validate(bands, direction)
    assert problems and any(message in p.message for p in problems), problems


def test_rounding_is_half_up() -> None:
    assert round_half_up(54.05, 1) == 54.1
    assert round_half_up(0.125, 2) == 0.13
    assert round_half_up(2.5, 0) == 3.0
    assert round_half_up(-2.5, 0) == -3.0
