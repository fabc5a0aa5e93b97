"""From a plan, a snapshot and a period to values, levels and a scorecard. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from services.indicators.domain.facts import Snapshot
from services.indicators.domain.periods import Granularity, Period, Span
from services.indicators.domain.plan import Definition, Goal, Plan, Thresholds
from services.indicators.domain.rules import RULES, Context, Result
from services.indicators.domain.thresholds import BAND_LEVELS, Classification, Level, round_half_up
from services.indicators.domain.uncertainty import (
    DEFAULT_UNCERTAINTY,
    Interval,
    UncertaintyRule,
    is_uncertain,
    people_behind,
    share_interval,
)


@dataclass(frozen=True)
class ManualValue:
    value: float | None
    source: str | None
    recorded_at: datetime


ManualValues = dict[tuple[str, str], ManualValue]


@dataclass(frozen=True)
class IndicatorValue:
    definition: Definition
    period: Period
    value: float | None
    shown: float | None
    classification: Classification
    thresholds: Thresholds | None
    result: Result | None
    manual: ManualValue | None
    known_on: date
    complete_through: date | None = None
    """The last day whose facts are all in (None: the day before ``known_on``)."""
    interval: Interval | None = None
    """The Wilson interval of a share (percent), in the indicator's unit."""
    uncertain: bool = False
    """Rests on few people or has a wide interval (see ``domain.uncertainty``)."""
    people: int | None = None
    """How many people the value rests on (None for manual and imported values)."""
    suppressed: bool = False
    """Hidden for an output that leaves the municipality (see ``domain.suppression``)."""

    @property
    def level(self) -> Level:
        return self.classification.level

    @property
    def period_complete(self) -> bool:
        """Whether every day of the period had passed: today is never complete."""
        last = self.complete_through
        if last is None:
            last = self.known_on - timedelta(days=1)
        return self.period.last_day <= last

    @property
    def preliminary(self) -> bool:
        """The value may still change: a preliminary figure in it, or an incomplete period."""
        return bool(self.result and self.result.preliminary) or not self.period_complete

    def describe(self) -> dict[str, Any]:
        result = self.result
        return {
            "indicator_key": self.definition.key,
            "title_nb": self.definition.title_nb,
            "title_en": self.definition.title_en,
            "unit": self.definition.unit.value,
            "direction": self.definition.direction.value,
            "period": str(self.period),
            "value": self.value,
            "value_shown": self.shown,
            "decimals": self.definition.decimals,
            "level": self.level.value,
            "level_explanation": self.classification.explanation,
            "numerator": result.numerator if result else None,
            "denominator": result.denominator if result else None,
            "preliminary": bool(result and result.preliminary),
            "complete": self.period_complete,
            "data_quality": dict(result.data_quality) if result else {},
            "breakdown": dict(result.breakdown) if result else {},
            "note": result.note if result else None,
            "method": {"kind": self.definition.method, "source": self.definition.source},
            "manual_source": self.manual.source if self.manual else None,
            "period_complete": self.period_complete,
            "known_on": self.known_on.isoformat(),
            "definition_version": self.definition.version,
            "definition_configured_after_as_of": self.definition.configured_after_as_of,
            "thresholds": self.thresholds.describe() if self.thresholds else None,
            **self.describe_uncertainty(),
        }

    def describe_uncertainty(self) -> dict[str, Any]:
        interval = self.interval
        return {
            "n": self.people,
            "lower": None if interval is None else round(interval.lower, 6),
            "upper": None if interval is None else round(interval.upper, 6),
            "confidence": None if interval is None else interval.confidence,
            "uncertain": self.uncertain,
            "suppressed": self.suppressed,
        }


def compute(
    definition: Definition,
    period: Period,
    snapshot: Snapshot,
    plan: Plan,
    manual: ManualValues,
    known_on: date,
    *,
    ordered: bool = True,
    complete_through: date | None = None,
    uncertainty: UncertaintyRule = DEFAULT_UNCERTAINTY,
) -> IndicatorValue:
    """The value of ``definition`` for ``period`` as known on ``known_on``, classified."""
    result: Result | None = None
    manual_value: ManualValue | None = None
    if definition.method == "computed" and definition.rule in RULES:
        result = RULES[definition.rule].compute(
            snapshot, Context(period, known_on, ordered), definition.parameters
        )
        value = result.value
    else:
        manual_value = manual.get((definition.key, str(period)))
        value = manual_value.value if manual_value else None
    thresholds = plan.thresholds_for(definition.key, period)
    shown = None if value is None else round_half_up(value, definition.decimals)
    if value is None:
        why = (
            "no value registered for this period"
            if definition.method != "computed"
            else (result.note if result and result.note else "no value: the denominator is empty")
        )
        classification = Classification(Level.no_data, None, None, why)
    elif period.granularity is not definition.granularity:
        classification = Classification(
            Level.no_thresholds,
            value,
            None,
            f"thresholds apply to {definition.granularity} periods, not to {period.granularity}",
            shown,
        )
        thresholds = None
    elif thresholds is None:
        classification = Classification(
            Level.no_thresholds, value, None, f"no thresholds set for {period.year}", shown
        )
    else:
        classification = thresholds.set.classify(value, definition.decimals)
    is_percent = definition.unit.value == "percent"
    interval = share_interval(result, is_percent, uncertainty) if value is not None else None
    people = people_behind(result) if value is not None else None
    return IndicatorValue(
        definition,
        period,
        value,
        shown,
        classification,
        thresholds,
        result,
        manual_value,
        known_on,
        complete_through,
        interval,
        is_uncertain(people, interval, is_percent, uncertainty) if value is not None else False,
        people,
    )


def reference_day(period: Period, known_on: date) -> date:
    """The day a scorecard for ``period`` looks at: its last day, or the as-of date."""
    return max(period.start, min(period.last_day, known_on))


_FINENESS = {
    Granularity.year: 0,
    # A year to date and rolling 12 months are spans of months, as coarse as a year: a
    # quarterly or monthly indicator shows its own period containing the reference day.
    Span.year_to_date: 0,
    Span.rolling_12_months: 0,
    Span.tertial: 1,
    Granularity.quarter: 1,
    Granularity.month: 2,
}


def own_period(definition: Definition, period: Period, known_on: date) -> Period:
    """The period an indicator is computed for on a scorecard of ``period``.

    Never more than the scorecard's period: a quarter or month scorecard counts only
    that quarter's or month's facts, even for a yearly indicator (which then has no
    thresholds for it). A finer indicator on a coarser scorecard (a monthly one on a
    year) shows its own period containing the reference day, which lies inside it.
    """
    if _FINENESS[definition.granularity] <= _FINENESS[period.granularity]:
        return period
    return Period.containing(reference_day(period, known_on), definition.granularity)


def worst(levels: list[Level]) -> Level | None:
    """A goal's light: the worst classified indicator of the goal and the goals under it
    (None when nothing is classified)."""
    classified = [level for level in levels if level in BAND_LEVELS]
    return min(classified, key=BAND_LEVELS.index) if classified else None


@dataclass(frozen=True)
class GoalCard:
    depth: int
    goal: Goal
    level: Level | None
    values: list[IndicatorValue]


@dataclass(frozen=True)
class Scorecard:
    municipality: str
    period: Period
    known_on: date
    complete: bool
    """Whether every day of the period had passed (today is never complete)."""
    goals: list[GoalCard]
    ungrouped: list[IndicatorValue]
    unknown_keys: dict[str, list[str]]
    """Goal key → indicator keys the goal names but the plan does not define."""


def scorecard(
    plan: Plan,
    snapshot: Snapshot,
    manual: ManualValues,
    period: Period,
    known_on: date,
    complete_through: date | None = None,
) -> Scorecard:
    """The plan's goals valid in ``period`` with their indicators' values and lights."""
    cache: dict[str, IndicatorValue] = {}

    def value_of(key: str) -> IndicatorValue:
        if key not in cache:
            definition = plan.definitions[key]
            cache[key] = compute(
                definition,
                own_period(definition, period, known_on),
                snapshot,
                plan,
                manual,
                known_on,
                complete_through=complete_through,
            )
        return cache[key]

    tree = plan.goal_tree(period)
    own: dict[str, list[IndicatorValue]] = {}
    unknown: dict[str, list[str]] = {}
    for _, goal in tree:
        own[goal.key] = [value_of(k) for k in goal.indicator_keys if k in plan.definitions]
        missing = [k for k in goal.indicator_keys if k not in plan.definitions]
        if missing:
            unknown[goal.key] = missing
    below: dict[str, list[Level]] = {goal.key: [v.level for v in own[goal.key]] for _, goal in tree}
    for _, goal in reversed(tree):
        if goal.parent_key in below:
            below[goal.parent_key].extend(below[goal.key])
    cards = [GoalCard(depth, goal, worst(below[goal.key]), own[goal.key]) for depth, goal in tree]
    ungrouped = [value_of(k) for k in plan.indicators_without_goal()]
    last = complete_through if complete_through is not None else known_on - timedelta(days=1)
    complete = period.last_day <= last
    return Scorecard(plan.municipality, period, known_on, complete, cards, ungrouped, unknown)
