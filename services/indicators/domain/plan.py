"""A municipality's plan as in force at a moment: goals, indicator definitions, thresholds.

Approval (docs/mrs/plan-editing.md): every change to goals, definitions, thresholds or
settings is a new *plan version* (the count of changes so far). A version is a draft
until a manager approves it; the plan *in force* at a moment is the plan as recorded by
the last change of the latest version approved by that moment. Editors also see the
draft (every change as recorded), marked as such.

Bitemporal: every change is a version with its recorded time (the service's own
events), and goals and thresholds carry the years they are valid for. The plan as of a
moment is the latest version of each part recorded by then; parts first recorded
*after* the moment did not exist then and are absent, so a scorecard "as known on
1 March" is the plan as it stood on 1 March and never changes later. One allowance: an
indicator defined after the moment can still be asked about directly (values, series,
drill-down), in its first version and flagged ``configured_after_as_of`` — otherwise a
question about last year could not be asked of an indicator defined this spring — but
never with thresholds recorded after the moment, so its level is as known then.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.indicators.domain.periods import Granularity, Period
from services.indicators.domain.rules import RULES, Unit
from services.indicators.domain.suppression import DEFAULT_MIN_N, check_min_n
from services.indicators.domain.thresholds import Band, Direction, Level, ThresholdSet

PLAN_LEVELS = ("kommuneplan", "okonomiplan", "virksomhetsplan")


@dataclass(frozen=True)
class Definition:
    key: str
    version: int
    recorded_at: datetime
    title_nb: str
    title_en: str
    unit: Unit
    direction: Direction
    granularity: Granularity
    method: str
    source: str | None
    rule: str | None
    parameters: dict[str, Any]
    decimals: int
    configured_after_as_of: bool = False

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_nb

    def describe(self) -> dict[str, Any]:
        rule = RULES.get(self.rule or "")
        return {
            "key": self.key,
            "version": self.version,
            "recorded_at": self.recorded_at.isoformat(),
            "title_nb": self.title_nb,
            "title_en": self.title_en,
            "unit": self.unit.value,
            "direction": self.direction.value,
            "granularity": self.granularity.value,
            "method": {"kind": self.method, "source": self.source},
            "rule": self.rule,
            "parameters": self.parameters,
            "decimals": self.decimals,
            "rule_title_en": rule.title_en if rule else None,
            "configured_after_as_of": self.configured_after_as_of,
        }


@dataclass(frozen=True)
class Goal:
    key: str
    version: int
    recorded_at: datetime
    plan_level: str
    parent_key: str | None
    title_nb: str
    title_en: str
    owner_unit: str
    from_year: int
    to_year: int
    indicator_keys: tuple[str, ...]
    configured_after_as_of: bool = False

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_nb

    def describe(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "version": self.version,
            "plan_level": self.plan_level,
            "parent_key": self.parent_key,
            "title_nb": self.title_nb,
            "title_en": self.title_en,
            "owner_unit": self.owner_unit,
            "from_year": self.from_year,
            "to_year": self.to_year,
            "indicator_keys": list(self.indicator_keys),
            "configured_after_as_of": self.configured_after_as_of,
        }


@dataclass(frozen=True)
class Thresholds:
    year: int
    version: int
    recorded_at: datetime
    set: ThresholdSet
    configured_after_as_of: bool = False

    def describe(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "version": self.version,
            "recorded_at": self.recorded_at.isoformat(),
            "gap_policy": self.set.gap_policy.value,
            "direction": self.set.direction.value,
            "bands": [band_json(b) for b in self.set.bands],
            "configured_after_as_of": self.configured_after_as_of,
        }


def band_json(band: Band) -> dict[str, Any]:
    return {
        "level": band.level.value,
        "lower": band.lower,
        "lower_inclusive": band.lower_inclusive,
        "upper": band.upper,
        "upper_inclusive": band.upper_inclusive,
        "interval": band.interval(),
        "as_written": band.plain(),
    }


def bands_from_json(raw: Sequence[dict[str, Any]]) -> tuple[Band, ...]:
    return tuple(
        Band(
            Level(b["level"]),
            b["lower"],
            bool(b["lower_inclusive"]),
            b["upper"],
            bool(b["upper_inclusive"]),
        )
        for b in raw
    )


@dataclass(frozen=True)
class PlanSettings:
    """Settings of the plan as a whole.

    ``suppression_min_n``: values resting on fewer people are hidden in every output that
    leaves the municipality. A plan may raise it above the floor
    (``domain.suppression.DEFAULT_MIN_N``), never lower it (``suppression-below-floor``).
    """

    suppression_min_n: int = DEFAULT_MIN_N

    def __post_init__(self) -> None:
        check_min_n(self.suppression_min_n)

    def describe(self) -> dict[str, Any]:
        return {"suppression_min_n": self.suppression_min_n, "suppression_floor": DEFAULT_MIN_N}


@dataclass(frozen=True)
class Approval:
    """A manager's approval of the plan as it stood at ``plan_version`` (its
    ``plan_version`` changes, the last recorded at ``approved_through``)."""

    plan_version: int
    approved_through: datetime
    approved_by: str
    approved_at: datetime

    def describe(self) -> dict[str, Any]:
        return {
            "plan_version": self.plan_version,
            "approved_through": self.approved_through.isoformat(),
            "approved_by": self.approved_by,
            "approved_at": self.approved_at.isoformat(),
        }


@dataclass
class Plan:
    municipality: str
    definitions: dict[str, Definition] = field(default_factory=dict)
    goals: dict[str, Goal] = field(default_factory=dict)
    thresholds: dict[tuple[str, int], Thresholds] = field(default_factory=dict)
    later_definitions: dict[str, Definition] = field(default_factory=dict)
    """Indicators first defined after the as-of moment (first version, flagged)."""
    settings: PlanSettings = field(default_factory=PlanSettings)
    approval: Approval | None = None
    """The approval this plan is (None: no version approved by the moment asked about)."""
    draft: bool = False
    """True for the plan as recorded, approved or not (what editors work on)."""

    def thresholds_for(self, key: str, period: Period) -> Thresholds | None:
        return self.thresholds.get((key, period.year))

    def definition(self, key: str) -> Definition | None:
        """The definition in force, or one first recorded after the moment (flagged)."""
        return self.definitions.get(key) or self.later_definitions.get(key)

    def goals_in(self, period: Period | None) -> dict[str, Goal]:
        """Goals whose years overlap ``period`` (all goals when None)."""
        if period is None:
            return dict(self.goals)
        return {
            key: goal
            for key, goal in self.goals.items()
            if goal_overlaps(goal.from_year, goal.to_year, period)
        }

    def goal_tree(self, period: Period | None = None) -> list[tuple[int, Goal]]:
        """Goals valid in ``period`` depth-first from the top (kommuneplan), with depth."""
        goals = self.goals_in(period)
        children: dict[str | None, list[Goal]] = {}
        for goal in goals.values():
            parent = goal.parent_key if goal.parent_key in goals else None
            children.setdefault(parent, []).append(goal)
        ordered: list[tuple[int, Goal]] = []

        def walk(parent: str | None, depth: int) -> None:
            for goal in sorted(
                children.get(parent, []), key=lambda g: (PLAN_LEVELS.index(g.plan_level), g.key)
            ):
                ordered.append((depth, goal))
                walk(goal.key, depth + 1)

        walk(None, 0)
        return ordered

    def indicators_without_goal(self) -> list[str]:
        used = {key for goal in self.goals.values() for key in goal.indicator_keys}
        return sorted(key for key in self.definitions if key not in used)


def goal_overlaps(from_year: int, to_year: int, period: Period) -> bool:
    """Whether a goal valid ``from_year``–``to_year`` applies to any day of ``period``."""
    return from_year <= period.last_day.year and to_year >= period.start.year
