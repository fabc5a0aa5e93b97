"""The Wilson score interval: contains p̂, stays in [0, 1], narrows as n grows, and
matches a value computed by hand."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from services.indicators.domain.uncertainty import (
    DEFAULT_UNCERTAINTY,
    UncertaintyRule,
    is_uncertain,
    wilson,
    z_value,
)

counts = st.integers(min_value=1, max_value=5000)


@settings(deadline=None)
@given(n=counts, data=st.data())
def test_the_interval_contains_the_share_and_stays_within_zero_and_one(
    n: int, data: st.DataObject
) -> None:
    k = data.draw(st.integers(min_value=0, max_value=n))
    interval = wilson(k, n)
    assert interval is not None
    assert 0.0 <= interval.lower <= k / n <= interval.upper <= 1.0


@settings(deadline=None)
@given(
    k=st.integers(min_value=0, max_value=50),
    extra=st.integers(min_value=0, max_value=50),
    factor=st.integers(min_value=2, max_value=20),
)
def test_the_interval_narrows_as_n_grows_at_a_fixed_share(k: int, extra: int, factor: int) -> None:
    n = k + extra
    if n == 0:
        return
    small = wilson(k, n)
    large = wilson(k * factor, n * factor)
    assert small is not None and large is not None
    assert large.width < small.width


def test_a_hand_computed_interval() -> None:
    # 6 of 12, 95 %: z = 1.959964; centre = (0.5 + z²/24) / (1 + z²/12) = 0.5;
    # half = z / (1 + z²/12) · √(0.25/12 + z²/576) = 0.24622: [0.25378, 0.74622].
    assert math.isclose(z_value(0.95), 1.959964, abs_tol=1e-6)
    interval = wilson(6, 12)
    assert interval is not None
    assert math.isclose(interval.lower, 0.25378, abs_tol=1e-5)
    assert math.isclose(interval.upper, 0.74622, abs_tol=1e-5)
    # 0 of 10: [0, z²/(n + z²)] = [0, 0.27753].
    zero = wilson(0, 10)
    assert zero is not None and zero.lower == 0.0
    assert math.isclose(zero.upper, 0.27753, abs_tol=1e-5)


def test_no_interval_without_people() -> None:
    assert wilson(0, 0) is None


def test_the_uncertain_mark_follows_the_configured_rule() -> None:
    wide = wilson(6, 12)
    assert is_uncertain(12, wide, is_percent=False)  # 12 < 20
    many = wilson(500, 1000)
    assert many is not None
    assert not is_uncertain(1000, many, is_percent=False)
    assert is_uncertain(1000, many, False, UncertaintyRule(min_n=2000))
    assert DEFAULT_UNCERTAINTY.min_n == 20 and DEFAULT_UNCERTAINTY.max_width == 0.20
