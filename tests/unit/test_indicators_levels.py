"""Threshold classification: total, monotone in the indicator's direction, unrounded.

Threshold sets are generated as a plan writes them — not approved, acceptable and
desired bands in the indicator's direction, with arbitrary cut points, inclusive or
not, and gaps between them — and values anywhere on the real line.
"""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from services.indicators.domain.thresholds import (
    BAND_LEVELS,
    Band,
    Direction,
    GapPolicy,
    Level,
    ThresholdSet,
    round_half_up,
    validate,
)

N, A, D = Level.not_approved, Level.acceptable, Level.desired
finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@st.composite
def threshold_sets(draw: st.DrawFn, policy: GapPolicy | None = None) -> ThresholdSet:
    """Three bands along the line, worst first for higher-is-better, with optional gaps."""
    cuts = sorted(draw(st.lists(finite, min_size=4, max_size=4, unique=True)))
    a, b, c, d = cuts
    gaps = draw(st.booleans())
    # Without gaps the bands touch: (−∞, a) [a, b) [b, ∞) with the shared end in one band.
    low_end, mid_start, mid_end, high_start = (a, b, c, d) if gaps else (a, a, b, b)
    inclusive = draw(st.lists(st.booleans(), min_size=4, max_size=4))
    if not gaps:
        inclusive[1] = not inclusive[0]
        inclusive[3] = not inclusive[2]
    direction = draw(st.sampled_from(list(Direction)))
    worst, best = (N, D) if direction is Direction.higher_is_better else (D, N)
    bands = (
        Band(worst, None, False, low_end, inclusive[0]),
        Band(A, mid_start, inclusive[1], mid_end, inclusive[2]),
        Band(best, high_start, inclusive[3], None, False),
    )
    assert validate(bands, direction) == [], bands
    chosen = policy if policy is not None else draw(st.sampled_from(list(GapPolicy)))
    return ThresholdSet(direction, bands, chosen)


def _rank(level: Level, direction: Direction) -> int:
    """Position along the line from low to high values."""
    index = BAND_LEVELS.index(level)
    return index if direction is Direction.higher_is_better else -index


@settings(max_examples=200, deadline=None)
@given(threshold_sets(), st.one_of(finite, st.just(math.nan), st.just(math.inf)))
def test_classification_is_total_and_one_band_at_most(
    thresholds: ThresholdSet, value: float
) -> None:
    classified = thresholds.classify(value)
    if not math.isfinite(value):
        assert classified.level is Level.no_data
        return
    containing = [band for band in thresholds.bands if band.contains(value)]
    assert len(containing) <= 1
    if containing:
        assert classified.level is containing[0].level
        assert classified.band == containing[0]
    elif thresholds.gap_policy is GapPolicy.unclassified:
        assert classified.level is Level.unclassified
    else:
        assert classified.level in BAND_LEVELS


@settings(max_examples=200, deadline=None)
@given(threshold_sets(GapPolicy.worse_neighbour), finite, finite)
def test_classification_is_monotone_in_the_direction(
    thresholds: ThresholdSet, x: float, y: float
) -> None:
    low, high = min(x, y), max(x, y)
    first, second = thresholds.classify(low).level, thresholds.classify(high).level
    assert _rank(first, thresholds.direction) <= _rank(second, thresholds.direction)


@settings(max_examples=200, deadline=None)
@given(threshold_sets(), finite, st.integers(min_value=0, max_value=4))
def test_the_unrounded_value_is_classified_and_rounding_only_shows_it(
    thresholds: ThresholdSet, value: float, decimals: int
) -> None:
    classified = thresholds.classify(value, decimals)
    assert classified.value == value
    assert classified.shown == round_half_up(value, decimals)
    assert classified.level is thresholds.classify(value, 0).level, "decimals never decide"
