"""Trends: each value of a series against the same period one year earlier. Pure.

A trend is the sign of the change of the *published* values (rounded half-up to the
indicator's decimals, as the scorecard shows them): two values that print the same are
``flat``, so no arrow points at a difference nobody can see. Whether a rise is good comes
from the indicator's direction (``higher_is_better`` / ``lower_is_better``); the
assessment is then ``better``, ``worse`` or ``unchanged``. Without a value in either
year there is no trend (``None``).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from services.indicators.domain.facts import Snapshot
from services.indicators.domain.periods import FIRST_YEAR, Granularity, Period, PeriodError
from services.indicators.domain.plan import Plan
from services.indicators.domain.scoring import ManualValues, Scorecard, compute
from services.indicators.domain.thresholds import Direction, round_half_up


class Trend(StrEnum):
    up = "up"
    down = "down"
    flat = "flat"


class Assessment(StrEnum):
    better = "better"
    worse = "worse"
    unchanged = "unchanged"


ARROWS = {Trend.up: "↑", Trend.down: "↓", Trend.flat: "→"}


@dataclass(frozen=True)
class Change:
    """A value against the same period last year."""

    period: Period
    value: float | None
    previous_period: Period
    previous: float | None
    change: float | None
    """``value − previous`` rounded to the indicator's decimals; None without both."""
    change_percent: float | None
    """The change relative to the previous value, in per cent (one decimal); None when
    either is missing or the previous value is 0."""
    trend: Trend | None
    up_is_good: bool
    assessment: Assessment | None

    def describe(self) -> dict[str, Any]:
        return {
            "previous_period": str(self.previous_period),
            "previous": self.previous,
            "change": self.change,
            "change_percent": self.change_percent,
            "trend": self.trend.value if self.trend else None,
            "arrow": ARROWS[self.trend] if self.trend else None,
            "up_is_good": self.up_is_good,
            "assessment": self.assessment.value if self.assessment else None,
        }


PERCENT_DECIMALS = 1


def change(
    period: Period,
    value: float | None,
    previous: float | None,
    direction: Direction,
    decimals: int,
    previous_period: Period | None = None,
) -> Change:
    """``value`` of ``period`` against ``previous`` of the same period a year earlier."""
    up_is_good = direction is Direction.higher_is_better
    earlier = previous_period or period.same_period_last_year()
    if value is None or previous is None:
        return Change(period, value, earlier, previous, None, None, None, up_is_good, None)
    shown, shown_before = round_half_up(value, decimals), round_half_up(previous, decimals)
    difference = round_half_up(shown - shown_before, decimals)
    percent = (
        None
        if previous == 0
        else round_half_up(100 * (value - previous) / abs(previous), PERCENT_DECIMALS)
    )
    if shown > shown_before:
        trend = Trend.up
    elif shown < shown_before:
        trend = Trend.down
    else:
        trend = Trend.flat
    if trend is Trend.flat:
        assessment = Assessment.unchanged
    elif (trend is Trend.up) == up_is_good:
        assessment = Assessment.better
    else:
        assessment = Assessment.worse
    return Change(
        period, value, earlier, previous, difference, percent, trend, up_is_good, assessment
    )


SELECTORS = (
    "year, T1–T3 (a tertial), Q1–Q4 (a quarter), 01–12 (a month), YTD (year to date "
    "through the as-of day's date in every year), YTD-06 or YTD-06-15 (through that "
    "date), R12-06 (rolling 12 months ending at that month); omitted: every period of "
    "the indicator's own granularity"
)


def series_periods(
    selector: str | None,
    granularity: Granularity,
    first: int,
    last: int,
    known_on: date,
) -> list[Period]:
    """The periods of a multi-year series from ``first`` to ``last`` that have begun on
    ``known_on``, the same period of each year (``selector``, see :data:`SELECTORS`) or
    every period of ``granularity``; years to date are cut at ``known_on``."""
    if first > last:
        raise PeriodError("from must not be after to")
    found: list[Period] = []
    for year in range(first, last + 1):
        found.extend(_of_year(selector, granularity, year, known_on))
    return [p.to_date(known_on) for p in found if p.start <= known_on]


def _of_year(
    selector: str | None, granularity: Granularity, year: int, known_on: date
) -> list[Period]:
    if selector is None or not selector.strip():
        return Period.year_of(year).periods_within(granularity)
    raw = selector.strip()
    if raw.lower() == "year":
        return [Period.year_of(year)]
    upper = raw.upper()
    if upper == "YTD":
        # The same point in every year: through the as-of day's date.
        last = min(known_on.day, calendar.monthrange(year, known_on.month)[1])
        return [Period.parse(f"{year}-YTD-{known_on.month:02d}-{last:02d}")]
    if upper.startswith("R12-"):
        return [Period.parse(f"R12-{year}-{raw[4:]}")]
    if upper[:1] in ("T", "Q") or upper.startswith("YTD-"):
        return [Period.parse(f"{year}-{raw}")]
    if raw.isdigit() and len(raw) <= 2:
        return [Period.parse(f"{year}-{raw}")]
    raise PeriodError(f"{selector!r} is not a period of the year; write {SELECTORS}")


def series(
    points: Iterable[tuple[Period, float | None]],
    earlier: Sequence[tuple[Period, float | None]],
    direction: Direction,
    decimals: int,
) -> list[Change]:
    """Every point against the value of its same period last year, looked up among
    ``points`` and ``earlier`` (the values of the year before the series)."""
    known = {p: v for p, v in [*earlier, *points]}
    result = []
    for period, value in points:
        before = period.same_period_last_year()
        result.append(change(period, value, known.get(before), direction, decimals, before))
    return result


def scorecard_changes(
    card: Scorecard,
    plan: Plan,
    snapshot: Snapshot,
    manual: ManualValues,
    complete_through: date | None = None,
) -> dict[str, Change]:
    """Indicator key → each scorecard value against its own period one year earlier,
    computed from the same snapshot and plan (one more evaluation per indicator)."""
    values = [v for goal in card.goals for v in goal.values] + list(card.ungrouped)
    found: dict[str, Change] = {}
    for value in values:
        key = value.definition.key
        if key in found:
            continue
        before = value.period.same_period_last_year()
        previous = (
            compute(
                value.definition,
                before,
                snapshot,
                plan,
                manual,
                card.known_on,
                complete_through=complete_through,
            ).value
            if before.year >= FIRST_YEAR
            else None
        )
        found[key] = change(
            value.period,
            value.value,
            previous,
            value.definition.direction,
            value.definition.decimals,
            before,
        )
    return found
