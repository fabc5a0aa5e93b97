"""Small-number suppression for every output that leaves the municipality. Pure.

The rule (after SSB's practice for small cells, documented in
docs/mrs/uncertainty-and-suppression.md): a value resting on fewer than ``min_n``
people is *hidden* in every output that leaves the municipality — CSV exports, the
national comparison, another municipality's view of it (agency role) and published
events. Hidden means the value, its rounded form, its interval, numerator,
denominator and n are replaced by the suppression marker: ``suppressed: true`` and
nulls in JSON, :data:`SYMBOL` (":", as SSB uses) with a label in CSV. Inside the
municipality (its own scorecard for its own roles) the value stays visible, marked
``uncertain``.

``min_n`` is :data:`DEFAULT_MIN_N` (5) unless a plan asks for more; it can never be set
below the floor (``suppression-below-floor``, 422): suppression cannot be turned off.

Complementary suppression (so that a hidden cell cannot be recovered by subtraction):
* a breakdown (counts per category behind one value) hides every cell below ``min_n``,
  and when exactly one cell would be hidden, also the next smallest one, so the total
  minus the shown cells never gives a hidden count;
* the national comparison ranks no hidden entry (a rank places it between two shown
  values) and hides the size of a municipality whose size is below ``min_n``;
* outputs publish no totals over municipalities or periods beside their parts, so no
  other differences arise today. A new output that does must pass through here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from shared.rules import rule

if TYPE_CHECKING:
    from services.indicators.domain.scoring import IndicatorValue

DEFAULT_MIN_N = 5
"""The floor: fewer people than this and a value never leaves the municipality."""

SYMBOL = ":"
"""What a CSV shows for a hidden value (SSB: ':' = confidential, suppressed)."""

SUPPRESSED_LEVEL = "suppressed"
"""The level an output shows for a hidden value (a band would place the value)."""

SUPPRESSION_BELOW_FLOOR = rule(
    "suppression-below-floor",
    422,
    "Small-number suppression cannot be lowered below the floor",
    service="indicators",
    description="Values resting on fewer than the floor (5 people by default) are hidden "
    "in every output that leaves the municipality. A plan may ask for a higher threshold, "
    "never a lower one: suppression cannot be turned off.",
)


@dataclass(frozen=True)
class SuppressionRule:
    min_n: int = DEFAULT_MIN_N

    def __post_init__(self) -> None:
        check_min_n(self.min_n)


def check_min_n(min_n: int, floor: int = DEFAULT_MIN_N, field: str = "suppression_min_n") -> int:
    """Refuse a threshold below the floor (``suppression-below-floor``)."""
    if min_n < floor:
        raise SUPPRESSION_BELOW_FLOOR.violation(
            f"{field} {min_n} is below the floor {floor}: values resting on fewer than "
            f"{floor} people are always hidden outside the municipality.",
            field,
            min_n=min_n,
            floor=floor,
        )
    return min_n


def too_few(n: float | None, min_n: int) -> bool:
    """Whether a figure of ``n`` people must be hidden (a known n below the threshold)."""
    return n is not None and n < min_n


def protect(value: IndicatorValue, min_n: int) -> IndicatorValue:
    """The value as it may leave the municipality: marked suppressed when n < min_n.

    Outputs read ``suppressed`` and print the marker in place of every figure. A manual or
    imported value has no known n and is not suppressed here (its source publishes it).
    """
    if value.value is None or not too_few(value.people, min_n):
        return value
    return dataclasses.replace(value, suppressed=True, uncertain=True)


def protect_breakdown(cells: Mapping[str, float], min_n: int) -> dict[str, float | None]:
    """A breakdown with small cells hidden (None), complementary suppression included."""
    hidden = {key for key, count in cells.items() if 0 < count < min_n}
    if len(hidden) == 1:
        others = sorted(
            (count, key) for key, count in cells.items() if key not in hidden and count > 0
        )
        if others:
            hidden.add(others[0][1])
    return {key: None if key in hidden else count for key, count in cells.items()}


def hidden_fields(described: dict[str, object]) -> dict[str, object]:
    """A described value (``IndicatorValue.describe``) with every figure nulled."""
    figures = ("value", "value_shown", "numerator", "denominator", "n", "lower", "upper")
    out = {**described, **{key: None for key in figures if key in described}}
    out["suppressed"] = True
    out["uncertain"] = True
    if "level" in out:
        # A level places the value in a band: it is hidden too.
        out["level"] = SUPPRESSED_LEVEL
        out["level_explanation"] = "suppressed: fewer people than the threshold"
    if "breakdown" in out:
        out["breakdown"] = {}
    return out


def describe_outgoing(value: IndicatorValue, min_n: int) -> dict[str, object]:
    """``value.describe()`` as it may leave the municipality: hidden when n < ``min_n``,
    otherwise with small breakdown cells hidden (complementary suppression included)."""
    protected = protect(value, max(min_n, DEFAULT_MIN_N))
    described = protected.describe()
    if protected.suppressed:
        return hidden_fields(described)
    breakdown = value.result.breakdown if value.result else {}
    return {**described, "breakdown": protect_breakdown(breakdown, max(min_n, DEFAULT_MIN_N))}


def published_value(value: IndicatorValue, min_n: int) -> float | None:
    """The value an event may carry: None when it rests on fewer than ``min_n`` people."""
    return None if protect(value, max(min_n, DEFAULT_MIN_N)).suppressed else value.shown
