"""Thresholds: the three MRS levels as numeric bands with explicit bounds.

Pure. A threshold set holds at most one band per level — desired (ønsket resultat),
acceptable, not approved (ikke godkjent) — each an interval whose ends are numbers
(or open to ±∞) and say whether the number itself belongs to the band. Bands never
overlap, so a value lies in at most one band. A value in no band lies in a *gap* the
plan left open; what it gets is the set's ``gap_policy``:

* ``unclassified`` (the default): the level ``unclassified`` — shown grey, with the
  two bands it lies between. The plan did not say, so neither do we.
* ``worse_neighbour``: the worse of the two neighbouring bands' levels; beyond the
  outermost band on the bad side it is ``not_approved``, on the good side ``desired``.

Values are classified *unrounded*: the level belongs to the value the rule computed,
and rounding (half up, to the indicator's decimals) is only for display. A plan that
writes "50–54 %" and "> 55 %" leaves 54.0…55.0 open; 54.96 lies in that gap even though
it is shown as 55.0, and gets what the gap policy says. So the colour never depends on
how many decimals a table happens to show.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum


class Level(StrEnum):
    desired = "desired"
    acceptable = "acceptable"
    not_approved = "not_approved"
    unclassified = "unclassified"
    """The value lies in a gap the plan left open (gap policy ``unclassified``)."""
    no_thresholds = "no_thresholds"
    """No thresholds are set for the period's year."""
    no_data = "no_data"
    """There is no value (e.g. an empty denominator or no manual value registered)."""


BAND_LEVELS = (Level.not_approved, Level.acceptable, Level.desired)
"""The three levels a band can have, worst first."""


class Direction(StrEnum):
    higher_is_better = "higher_is_better"
    lower_is_better = "lower_is_better"


class GapPolicy(StrEnum):
    unclassified = "unclassified"
    worse_neighbour = "worse_neighbour"


@dataclass(frozen=True)
class Band:
    """One level's interval; ``None`` ends are open to −∞ / +∞ (and never inclusive)."""

    level: Level
    lower: float | None
    lower_inclusive: bool
    upper: float | None
    upper_inclusive: bool

    def contains(self, value: float) -> bool:
        if self.lower is not None and (
            value < self.lower or (value == self.lower and not self.lower_inclusive)
        ):
            return False
        return not (
            self.upper is not None
            and (value > self.upper or (value == self.upper and not self.upper_inclusive))
        )

    def is_empty(self) -> bool:
        if self.lower is None or self.upper is None:
            return False
        if self.lower < self.upper:
            return False
        return not (self.lower == self.upper and self.lower_inclusive and self.upper_inclusive)

    def interval(self) -> str:
        """Mathematical notation, e.g. ``[50, 54]``, ``(55, ∞)``."""
        left = "[" if self.lower is not None and self.lower_inclusive else "("
        right = "]" if self.upper is not None and self.upper_inclusive else ")"
        low = "−∞" if self.lower is None else _num(self.lower)
        high = "∞" if self.upper is None else _num(self.upper)
        return f"{left}{low}, {high}{right}"

    def plain(self) -> str:
        """How a plan writes it: ``> 55``, ``≥ 70``, ``50–54``, ``< 3.5``."""
        if self.lower is None and self.upper is None:
            return "any value"
        if self.lower is None:
            assert self.upper is not None
            return f"{'≤' if self.upper_inclusive else '<'} {_num(self.upper)}"
        if self.upper is None:
            return f"{'≥' if self.lower_inclusive else '>'} {_num(self.lower)}"
        if self.lower_inclusive and self.upper_inclusive:
            return f"{_num(self.lower)}–{_num(self.upper)}"
        left = "≥" if self.lower_inclusive else ">"
        right = "≤" if self.upper_inclusive else "<"
        return f"{left} {_num(self.lower)} and {right} {_num(self.upper)}"

    def _low_key(self) -> tuple[float, int]:
        if self.lower is None:
            return (-math.inf, 0)
        return (self.lower, 0 if self.lower_inclusive else 1)


@dataclass(frozen=True)
class Problem:
    """What is wrong with a threshold set, and where (``bands.1.upper``)."""

    field: str
    message: str


def validate(bands: Sequence[Band], direction: Direction) -> list[Problem]:
    """Every reason ``bands`` cannot be a threshold set; empty when it can."""
    problems: list[Problem] = []
    if not bands:
        return [Problem("bands", "give at least one band")]
    seen: dict[Level, int] = {}
    for i, band in enumerate(bands):
        if band.level not in BAND_LEVELS:
            problems.append(
                Problem(f"bands.{i}.level", "a band is desired, acceptable or not_approved")
            )
        elif band.level in seen:
            problems.append(
                Problem(
                    f"bands.{i}.level",
                    f"{band.level} appears twice (bands {seen[band.level]} and {i}); "
                    "one band per level",
                )
            )
        else:
            seen[band.level] = i
        for end in ("lower", "upper"):
            value = getattr(band, end)
            if value is not None and not math.isfinite(value):
                problems.append(Problem(f"bands.{i}.{end}", "must be a finite number or null"))
        if band.lower is None and band.lower_inclusive:
            problems.append(
                Problem(f"bands.{i}.lower_inclusive", "an open end (−∞) cannot be inclusive")
            )
        if band.upper is None and band.upper_inclusive:
            problems.append(
                Problem(f"bands.{i}.upper_inclusive", "an open end (∞) cannot be inclusive")
            )
        if band.is_empty():
            problems.append(
                Problem(
                    f"bands.{i}",
                    f"{band.level} {band.interval()} contains no value: lower must be below "
                    "upper (or equal with both ends inclusive)",
                )
            )
    if problems:
        return problems
    for i, first in enumerate(bands):
        for j in range(i + 1, len(bands)):
            second = bands[j]
            shared = _overlap(first, second)
            if shared is not None:
                problems.append(
                    Problem(
                        f"bands.{j}",
                        f"{second.level} {second.interval()} overlaps {first.level} "
                        f"{first.interval()}: {shared} would get two levels; make one of the "
                        "bounds exclusive",
                    )
                )
    if problems:
        return problems
    ordered = sorted(bands, key=Band._low_key)
    rank = {level: BAND_LEVELS.index(level) for level in BAND_LEVELS}
    ranks = [rank[b.level] for b in ordered]
    expected = sorted(ranks) if direction is Direction.higher_is_better else sorted(ranks)[::-1]
    if ranks != expected:
        order = " < ".join(f"{b.level} {b.interval()}" for b in ordered)
        problems.append(
            Problem(
                "bands",
                f"contradictory for {direction.replace('_', ' ')}: from low to high the bands "
                f"run {order}",
            )
        )
    return problems


def _overlap(a: Band, b: Band) -> str | None:
    """A value both bands contain, described, or None."""
    low, low_inc = _max_lower(a, b)
    high, high_inc = _min_upper(a, b)
    if low is None or high is None:
        if low is None and high is None:
            return "every value"
        point = low if low is not None else high
        assert point is not None
        return f"values around {_num(point)}"
    if low < high:
        return f"values between {_num(low)} and {_num(high)}"
    if low == high and low_inc and high_inc:
        return f"the value {_num(low)}"
    return None


def _max_lower(a: Band, b: Band) -> tuple[float | None, bool]:
    if a.lower is None:
        return b.lower, b.lower_inclusive
    if b.lower is None:
        return a.lower, a.lower_inclusive
    if a.lower != b.lower:
        return (a.lower, a.lower_inclusive) if a.lower > b.lower else (b.lower, b.lower_inclusive)
    return a.lower, a.lower_inclusive and b.lower_inclusive


def _min_upper(a: Band, b: Band) -> tuple[float | None, bool]:
    if a.upper is None:
        return b.upper, b.upper_inclusive
    if b.upper is None:
        return a.upper, a.upper_inclusive
    if a.upper != b.upper:
        return (a.upper, a.upper_inclusive) if a.upper < b.upper else (b.upper, b.upper_inclusive)
    return a.upper, a.upper_inclusive and b.upper_inclusive


@dataclass(frozen=True)
class Classification:
    level: Level
    value: float | None
    """The value as classified: unrounded."""
    band: Band | None
    explanation: str
    shown: float | None = None
    """The value as displayed (rounded half up to the indicator's decimals)."""


@dataclass(frozen=True)
class ThresholdSet:
    direction: Direction
    bands: tuple[Band, ...]
    gap_policy: GapPolicy = GapPolicy.unclassified

    def band(self, level: Level) -> Band | None:
        return next((b for b in self.bands if b.level is level), None)

    def classify(self, value: float | None, decimals: int = 1) -> Classification:
        """Exactly one level for the unrounded ``value``; ``decimals`` only sets how it is
        shown. See the module docstring for gaps."""
        if value is None or not math.isfinite(value):
            return Classification(Level.no_data, None, None, "no value to classify")
        shown = round_half_up(value, decimals)
        text = _num(value) if shown == value else f"{_num(value)} (shown {_num(shown)})"
        for band in self.bands:
            if band.contains(value):
                return Classification(
                    band.level,
                    value,
                    band,
                    f"{text} lies in {band.level} {band.interval()}",
                    shown,
                )
        ordered = sorted(self.bands, key=Band._low_key)
        below = [b for b in ordered if b.upper is not None and _above(value, b)]
        above = [b for b in ordered if b.lower is not None and _below(value, b)]
        lower_neighbour = below[-1] if below else None
        upper_neighbour = above[0] if above else None
        where = _describe_gap(lower_neighbour, upper_neighbour)
        if self.gap_policy is GapPolicy.unclassified:
            return Classification(
                Level.unclassified,
                value,
                None,
                f"{text} lies in no band ({where}); the plan leaves it open",
                shown,
            )
        level = self._worse_neighbour(lower_neighbour, upper_neighbour)
        return Classification(
            level,
            value,
            None,
            f"{text} lies in no band ({where}); gap policy worse_neighbour gives {level}",
            shown,
        )

    def _worse_neighbour(self, lower: Band | None, upper: Band | None) -> Level:
        rank = {level: BAND_LEVELS.index(level) for level in BAND_LEVELS}
        higher_better = self.direction is Direction.higher_is_better
        if lower is not None and upper is not None:
            return min(lower.level, upper.level, key=lambda level: rank[level])
        beyond_bad_side = (lower is None) == higher_better
        return Level.not_approved if beyond_bad_side else Level.desired


def _above(value: float, band: Band) -> bool:
    """``value`` lies above the whole band."""
    assert band.upper is not None
    return value > band.upper or (value == band.upper and not band.upper_inclusive)


def _below(value: float, band: Band) -> bool:
    assert band.lower is not None
    return value < band.lower or (value == band.lower and not band.lower_inclusive)


def _describe_gap(lower: Band | None, upper: Band | None) -> str:
    if lower is not None and upper is not None:
        return f"between {lower.level} {lower.interval()} and {upper.level} {upper.interval()}"
    if lower is not None:
        return f"above {lower.level} {lower.interval()}"
    if upper is not None:
        return f"below {upper.level} {upper.interval()}"
    return "no bands"


def round_half_up(value: float, decimals: int) -> float:
    """Round as people do (0.05 → 0.1), not to even; via the decimal text of ``value``."""
    if not math.isfinite(value) or abs(value) >= 2**53:
        # Such floats are whole numbers already (and too long for the decimal context).
        return value
    quantum = Decimal(1).scaleb(-decimals)
    return float(Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP))


def _num(value: float) -> str:
    return f"{value:g}" if abs(value) < 1e15 else str(value)
