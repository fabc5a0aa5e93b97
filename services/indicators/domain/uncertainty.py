"""Uncertainty of a share: the Wilson score interval and the "uncertain" mark. Pure.

A share p̂ = k / n computed from n people carries sampling noise; the Wilson score
interval (Wilson 1927; Brown, Cai & DasGupta 2001 recommend it over the Wald interval
for small n) is

    centre ± half, with  centre = (p̂ + z²/2n) / (1 + z²/n),
                          half  = z / (1 + z²/n) · √(p̂(1 − p̂)/n + z²/4n²),

where z is the standard normal quantile for the confidence level (1.959964… for 95 %,
from ``scipy.stats.norm``). It always lies in [0, 1] and contains p̂.

A value is marked ``uncertain`` when it rests on fewer than
:attr:`UncertaintyRule.min_n` people, or when its interval is wider than
:attr:`UncertaintyRule.max_width` (as a share, 0–1). Both numbers are configuration
(:data:`DEFAULT_UNCERTAINTY`), not constants hidden in the code.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from services.indicators.domain.rules import Result

DEFAULT_CONFIDENCE = 0.95


@dataclass(frozen=True)
class UncertaintyRule:
    """When a value is marked uncertain, and at which confidence level intervals are drawn."""

    confidence: float = DEFAULT_CONFIDENCE
    min_n: int = 20
    """Fewer people than this behind a value: uncertain."""
    max_width: float = 0.20
    """An interval wider than this (share 0–1, i.e. 20 percentage points): uncertain."""


DEFAULT_UNCERTAINTY = UncertaintyRule()


@dataclass(frozen=True)
class Interval:
    lower: float
    upper: float
    confidence: float

    @property
    def width(self) -> float:
        return self.upper - self.lower


@lru_cache(maxsize=32)
def z_value(confidence: float) -> float:
    """The two-sided standard normal quantile for ``confidence`` (0.95 → 1.959964)."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie strictly between 0 and 1, not {confidence}")
    from scipy.stats import norm

    return float(norm.ppf(1 - (1 - confidence) / 2))


def wilson(successes: float, n: float, confidence: float = DEFAULT_CONFIDENCE) -> Interval | None:
    """The Wilson score interval of ``successes`` out of ``n`` (None when n is 0)."""
    if n <= 0:
        return None
    if successes < 0 or successes > n:
        raise ValueError(f"successes must lie in [0, n], not {successes} of {n}")
    z = z_value(confidence)
    p = successes / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    lower = max(0.0, centre - half)
    upper = min(1.0, centre + half)
    # Floating point may put p̂ a hair outside at p̂ = 0 or 1: the interval contains it.
    return Interval(min(lower, p), max(upper, p), confidence)


def people_behind(result: Result | None) -> int | None:
    """How many people a computed value rests on: its denominator, or for a count (no
    denominator) the count itself; None for a manual or imported value (not known)."""
    if result is None:
        return None
    if result.denominator is not None:
        return int(result.denominator)
    if result.numerator is not None:
        return int(result.numerator)
    if result.value is not None:
        return sum(1 for m in result.members if m.in_denominator) or int(result.value)
    return None


def share_interval(
    result: Result | None, is_percent: bool, rule: UncertaintyRule = DEFAULT_UNCERTAINTY
) -> Interval | None:
    """The Wilson interval of a share indicator, in the indicator's unit (percent 0–100)."""
    if not is_percent or result is None or result.value is None:
        return None
    if result.numerator is None or result.denominator is None or result.denominator <= 0:
        return None
    numerator = min(max(result.numerator, 0.0), result.denominator)
    interval = wilson(numerator, result.denominator, rule.confidence)
    if interval is None:
        return None
    return Interval(interval.lower * 100, interval.upper * 100, interval.confidence)


def is_uncertain(
    n: int | None,
    interval: Interval | None,
    is_percent: bool,
    rule: UncertaintyRule = DEFAULT_UNCERTAINTY,
) -> bool:
    """Whether a value rests on too few people or has too wide an interval."""
    if n is not None and n < rule.min_n:
        return True
    if interval is not None:
        width = interval.width / 100 if is_percent else interval.width
        return width > rule.max_width
    return False
