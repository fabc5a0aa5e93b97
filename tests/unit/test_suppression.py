"""Small-number suppression: no output that leaves the municipality carries a figure
resting on fewer than N people, and N can never be set below the floor."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.indicators.domain.national import Entry, suppress
from services.indicators.domain.periods import Granularity, Period
from services.indicators.domain.plan import Definition, PlanSettings
from services.indicators.domain.rules import Result, Unit
from services.indicators.domain.scoring import IndicatorValue
from services.indicators.domain.suppression import (
    DEFAULT_MIN_N,
    SUPPRESSED_LEVEL,
    SYMBOL,
    check_min_n,
    describe_outgoing,
    protect_breakdown,
    published_value,
)
from services.indicators.domain.thresholds import Classification, Direction, Level
from services.indicators.domain.uncertainty import is_uncertain, people_behind, share_interval
from services.indicators.exports import VALUE_HEADER, value_row
from shared.rules import RuleViolation

FIGURES = ("value", "value_shown", "numerator", "denominator", "n", "lower", "upper")


def _value(numerator: int, denominator: int, unit: Unit = Unit.percent) -> IndicatorValue:
    definition = Definition(
        "exit_work",
        1,
        datetime(2025, 1, 1, tzinfo=UTC),
        "Overgang til arbeid",
        "Into work",
        unit,
        Direction.higher_is_better,
        Granularity.year,
        "computed",
        None,
        "exit_outcome_share",
        {},
        1,
    )
    share = 100 * numerator / denominator if denominator else None
    result = Result(
        share if unit is Unit.percent else float(numerator),
        float(numerator),
        float(denominator) if unit is Unit.percent else None,
        (),
        breakdown={"work": float(numerator), "other": float(denominator - numerator)},
    )
    shown = None if result.value is None else round(result.value, 1)
    interval = share_interval(result, unit is Unit.percent)
    people = people_behind(result) if result.value is not None else None
    return IndicatorValue(
        definition,
        Period.parse("2025"),
        result.value,
        shown,
        Classification(Level.desired, result.value, None, "", shown),
        None,
        result,
        None,
        date(2026, 3, 1),
        None,
        interval,
        result.value is not None and is_uncertain(people, interval, unit is Unit.percent),
        people,
    )


people_counts = st.integers(min_value=0, max_value=60)


@settings(deadline=None, max_examples=200)
@given(
    denominator=people_counts,
    data=st.data(),
    min_n=st.integers(min_value=DEFAULT_MIN_N, max_value=15),
    unit=st.sampled_from([Unit.percent, Unit.number]),
)
def test_no_output_that_leaves_carries_a_figure_resting_on_fewer_than_n(
    denominator: int, data: st.DataObject, min_n: int, unit: Unit
) -> None:
    numerator = data.draw(st.integers(min_value=0, max_value=denominator))
    value = _value(numerator, denominator, unit)
    n = value.people
    small = n is not None and n < min_n

    described = describe_outgoing(value, min_n)
    row = dict(zip(VALUE_HEADER, value_row(value, "nb", min_n), strict=True))
    if small:
        assert described["suppressed"] is True
        assert all(described[key] is None for key in FIGURES)
        assert described["level"] == SUPPRESSED_LEVEL and described["breakdown"] == {}
        figures_in_csv = [k for k in FIGURES if k in row]
        assert all(row[k] == SYMBOL for k in figures_in_csv)
        assert row["suppressed"] is True
        assert published_value(value, min_n) is None
    else:
        assert described["suppressed"] is False
        assert described["value"] == value.value
        # No breakdown cell below the threshold, and never exactly one hidden.
        cells = described["breakdown"]
        assert isinstance(cells, dict)
        assert all(c is None or c == 0 or c >= min_n for c in cells.values())
        assert sum(c is None for c in cells.values()) != 1

    # The same value in the national comparison.
    entry = Entry(
        "3301",
        value.value,
        value.shown,
        value.result.numerator if value.result else None,
        value.result.denominator if value.result else None,
        n,
        "small",
        n=n,
        interval=value.interval,
    )
    (out,) = suppress([entry], min_n, Direction.higher_is_better)
    if small:
        assert out.suppressed and out.rank is None
        assert all(out.describe()[key] is None for key in FIGURES)
        assert out.size is None
    else:
        assert out.value == value.value


@given(st.dictionaries(st.sampled_from("abcdefg"), st.integers(0, 40).map(float), min_size=1))
def test_a_breakdown_never_hides_exactly_one_cell(cells: dict[str, float]) -> None:
    out = protect_breakdown(cells, DEFAULT_MIN_N)
    hidden = [k for k, v in out.items() if v is None]
    assert len(hidden) != 1 or len([c for c in cells.values() if c > 0]) == 1
    assert all(v is None or v == 0 or v >= DEFAULT_MIN_N for v in out.values())


@given(st.integers(min_value=-10, max_value=DEFAULT_MIN_N - 1))
def test_suppression_cannot_be_turned_off(min_n: int) -> None:
    with pytest.raises(RuleViolation) as raised:
        check_min_n(min_n)
    assert raised.value.code == "suppression-below-floor"
    assert raised.value.status == 422
    with pytest.raises(RuleViolation):
        PlanSettings(suppression_min_n=min_n)
    assert PlanSettings().suppression_min_n == DEFAULT_MIN_N
    assert PlanSettings(suppression_min_n=10).suppression_min_n == 10
