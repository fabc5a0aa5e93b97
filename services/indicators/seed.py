"""Example plans, loaded through the application layer (``veiviser seed drammen``).

The Drammen plan: the goal cascade and the thresholds of the economic plan 2015–2018
and the introduction centre's business plan 2014, stored exactly as the tables in
DOMAIN.md are written — gaps included. The one overlap as written ("400–450" next to
"≥ 450") is resolved in favour of the explicit "≥". Seeding again changes only what
differs, so it is safe to repeat.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from services.indicators import application
from services.indicators.commands import (
    ApprovalIn,
    BandIn,
    GoalChange,
    IndicatorChange,
    MethodIn,
    ThresholdsIn,
)
from services.indicators.domain.plan import Plan, band_json
from services.indicators.loader import load_plan
from shared.commands import CommandResult
from shared.events import Metadata
from shared.service import Runtime

DRAMMEN = "3301"


def _band(level: str, lower: float | None, li: bool, upper: float | None, ui: bool) -> BandIn:
    return BandIn(
        level=level,
        lower=lower,
        lower_inclusive=li if lower is not None else None,
        upper=upper,
        upper_inclusive=ui if upper is not None else None,
    )


Bound = tuple[float | None, bool, float | None, bool]
"""A band's lower end, whether it is included, its upper end, whether it is included."""


def over(value: float) -> Bound:
    """Above ``value``, as a plan writes "> 55"."""
    return (value, False, None, False)


def at_least(value: float) -> Bound:
    """``value`` or above, as a plan writes "≥ 70"."""
    return (value, True, None, False)


def under(value: float) -> Bound:
    """Below ``value``, as a plan writes "< 50"."""
    return (None, False, value, False)


def span(low: float, high: float, high_inclusive: bool = True) -> Bound:
    """From ``low`` to ``high``, as a plan writes "50–54"."""
    return (low, True, high, high_inclusive)


LEVELS = ("desired", "acceptable", "not_approved")


def levels(desired: Bound, acceptable: Bound, not_approved: Bound) -> list[BandIn]:
    """A plan's row of thresholds as it writes them: desired, acceptable, not approved."""
    bounds = (desired, acceptable, not_approved)
    return [_band(level, *bound) for level, bound in zip(LEVELS, bounds, strict=True)]


ECONOMIC_PLAN = (2015, 2018)
INTRODUCTION_CENTRE_PLAN = (2014, 2014)

CATALOGUE_KEYS = (
    "persons_settled",
    "exit_work_or_education",
    "exit_work",
    "follow_up_work_or_education",
    "norwegian_oral_a2",
    "settlement_to_start_median_days",
    "programme_start_within_3_months",
    "settlement_to_first_job_median_days",
    "full_time_plans",
    "households_waiting",
    "evictions",
    "households_became_owners",
    "left_municipal_housing_27_months",
    "practice_to_job",
)


def _manual(
    title_nb: str,
    title_en: str,
    unit: str,
    direction: str,
    kind: str,
    source: str,
    decimals: int,
) -> IndicatorChange:
    return IndicatorChange(
        title_nb=title_nb,
        title_en=title_en,
        unit=unit,
        direction=direction,
        granularity="year",
        method=MethodIn(kind=kind, source=source),
        decimals=decimals,
    )


MANUAL: dict[str, IndicatorChange] = {
    "social_assistance_activity_conditions": _manual(
        "Sosialhjelpsmottakere med vilkår om aktivitet",
        "Social-assistance receivers with activity conditions",
        "percent",
        "higher_is_better",
        "manual",
        "NAV Drammen (manuell registrering)",
        1,
    ),
    "serious_substance_abuse": _manual(
        "Brukere med alvorlig rusmisbruk",
        "Users with serious substance abuse",
        "percent",
        "lower_is_better",
        "manual",
        "NAV Drammen (manuell registrering)",
        1,
    ),
    "social_assistance_share_of_population": _manual(
        "Sosialhjelpsmottakere i prosent av befolkningen",
        "Social-assistance receivers, % of population",
        "percent",
        "lower_is_better",
        "imported",
        "SSB KOSTRA",
        1,
    ),
    "long_term_social_assistance_with_dependants": _manual(
        "Langtidsmottakere av sosialhjelp med forsørgeransvar",
        "Long-term social-assistance receivers with dependants",
        "count",
        "lower_is_better",
        "imported",
        "NAV",
        0,
    ),
    "homeless": _manual(
        "Bostedsløse",
        "Homeless",
        "count",
        "lower_is_better",
        "imported",
        "Husbanken/NIBR kartlegging av bostedsløse",
        0,
    ),
    "children_below_poverty_line": _manual(
        "Barn i husholdninger under fattigdomsgrensen",
        "Children in households under the poverty line",
        "count",
        "lower_is_better",
        "imported",
        "SSB inntekts- og formuesstatistikk",
        0,
    ),
}

THRESHOLDS: dict[str, tuple[tuple[int, int], list[BandIn]]] = {
    # "> 55 % | 50–54 % | < 50 %": 54.x and 55 itself lie in the gap the plan left.
    "exit_work_or_education": (ECONOMIC_PLAN, levels(over(55), span(50, 54), under(50))),
    # "> 69 % | 66.2–68.9 % | < 66.1 %": two gaps, [66.1, 66.2) and (68.9, 69].
    "exit_work": (ECONOMIC_PLAN, levels(over(69), span(66.2, 68.9), under(66.1))),
    # Introduction centre 2014: "> 65 % | 45–65 % | (below 45 %)".
    "follow_up_work_or_education": (
        INTRODUCTION_CENTRE_PLAN,
        levels(over(65), span(45, 65), under(45)),
    ),
    # "≥ 70 % | 51–69 % | < 50 %": gaps [50, 51) and (69, 70).
    "social_assistance_activity_conditions": (
        ECONOMIC_PLAN,
        levels(at_least(70), span(51, 69), under(50)),
    ),
    # "< 30 % | 30–45 % | > 45 %".
    "serious_substance_abuse": (ECONOMIC_PLAN, levels(under(30), span(30, 45), over(45))),
    # "< 3.5 % | 3.5–4.9 % | ≥ 5 %": gap (4.9, 5).
    "social_assistance_share_of_population": (
        ECONOMIC_PLAN,
        levels(under(3.5), span(3.5, 4.9), at_least(5)),
    ),
    # "< 400 | 400–450 | ≥ 450": 450 is written in two rows; the explicit "≥" wins.
    "long_term_social_assistance_with_dependants": (
        ECONOMIC_PLAN,
        levels(under(400), span(400, 450, high_inclusive=False), at_least(450)),
    ),
    # "< 65 | 65–100 | > 100".
    "homeless": (ECONOMIC_PLAN, levels(under(65), span(65, 100), over(100))),
    # "< 1000 | 1000–2700 | > 2700".
    "children_below_poverty_line": (
        ECONOMIC_PLAN,
        levels(under(1000), span(1000, 2700), over(2700)),
    ),
}

MASTER_GOAL = "kp-selvforsorgelse"


def _economic_plan_goal(**fields: Any) -> GoalChange:
    """A goal of the economic plan 2015–2018, under the master plan's goal."""
    first, last = ECONOMIC_PLAN
    return GoalChange(
        plan_level="okonomiplan", parent_key=MASTER_GOAL, from_year=first, to_year=last, **fields
    )


GOALS: list[tuple[str, GoalChange]] = [
    (
        MASTER_GOAL,
        GoalChange(
            plan_level="kommuneplan",
            title_nb="Alle som kan, skal forsørge seg selv gjennom arbeid",
            title_en="Everyone who can supports themselves through work",
            owner_unit="Bystyret / rådmannen",
            from_year=2014,
            to_year=2026,
        ),
    ),
    (
        "op-arbeid-utdanning",
        _economic_plan_goal(
            title_nb="Flere flyktninger i arbeid eller utdanning",
            title_en="More refugees in work or education",
            owner_unit="Introduksjonssenteret",
            indicator_keys=[
                "exit_work_or_education",
                "exit_work",
                "programme_start_within_3_months",
                "settlement_to_start_median_days",
                "settlement_to_first_job_median_days",
                "full_time_plans",
                "norwegian_oral_a2",
                "practice_to_job",
            ],
        ),
    ),
    (
        "op-sosialhjelp",
        _economic_plan_goal(
            title_nb="Færre varig avhengige av sosialhjelp",
            title_en="Fewer lastingly dependent on social assistance",
            owner_unit="NAV Drammen",
            indicator_keys=[
                "social_assistance_activity_conditions",
                "serious_substance_abuse",
                "social_assistance_share_of_population",
                "long_term_social_assistance_with_dependants",
                "children_below_poverty_line",
            ],
        ),
    ),
    (
        "op-bolig",
        _economic_plan_goal(
            title_nb="Fra leie til eie: en boligkarriere for alle",
            title_en="From renting to owning: a housing career for all",
            owner_unit="Boligkontoret",
            indicator_keys=[
                "households_waiting",
                "evictions",
                "households_became_owners",
                "left_municipal_housing_27_months",
                "homeless",
            ],
        ),
    ),
    (
        "op-bosetting",
        _economic_plan_goal(
            title_nb="Bosette flyktninger i tråd med kommunens vedtak",
            title_en="Settle refugees as the council decided",
            owner_unit="Flyktningetjenesten",
            indicator_keys=["persons_settled"],
        ),
    ),
    (
        "vp-introduksjonssenteret-2014",
        GoalChange(
            plan_level="virksomhetsplan",
            # 2014 precedes the 2015–2018 economic plan: the business plan serves the
            # master plan directly (a goal's years lie within its parent's).
            parent_key=MASTER_GOAL,
            title_nb="Deltakere i arbeid eller utdanning året etter programmet",
            title_en="Participants in work or education the year after the programme",
            owner_unit="Introduksjonssenteret",
            from_year=2014,
            to_year=2014,
            indicator_keys=["follow_up_work_or_education"],
        ),
    ),
]


@dataclass
class SeedReport:
    created: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    approved_version: int | None = None
    """The plan version the seed approved (None: the plan was approved already)."""


async def seed_drammen(
    runtime: Runtime, municipality: str = DRAMMEN, actor: str = "seed"
) -> SeedReport:
    """Load (or bring up to date) the Drammen example plan for ``municipality``."""
    report = SeedReport()
    metadata = Metadata(actor=actor, municipality=municipality, correlation_id=str(uuid.uuid4()))
    async with runtime.db.transaction() as conn:
        seeding = _Seeding(runtime, conn, metadata, report)
        for key in CATALOGUE_KEYS:
            await seeding.indicator(key, IndicatorChange(from_catalogue=key))
        for key, change in MANUAL.items():
            await seeding.indicator(key, change)
        for key, ((first, last), bands) in THRESHOLDS.items():
            await seeding.thresholds(key, first, last, bands)
        for key, goal in GOALS:
            await seeding.goal(key, goal)
        report.approved_version = await approve_draft(runtime, conn, metadata)
    return report


async def approve_draft(runtime: Runtime, conn: AsyncConnection, metadata: Metadata) -> int | None:
    """Approve the plan's current version unless it is approved already (the seed's
    plan is the example a municipality starts from, so it goes into force as seeded)."""
    status = await application.plan_status(conn, metadata.municipality)
    version = int(status["current_version"])
    if status["status"] != "draft" or version == 0:
        return None
    await application.approve_plan(runtime, conn, metadata, ApprovalIn(version=version))
    return version


@dataclass(frozen=True)
class _Seeding:
    """One seed run: each part of the plan is defined, changed, or left as it is."""

    runtime: Runtime
    conn: AsyncConnection
    metadata: Metadata
    report: SeedReport

    async def _plan(self) -> Plan:
        return await load_plan(self.conn, self.metadata.municipality, None, draft=True)

    async def _bring(
        self,
        what: str,
        existing: object | None,
        same: Callable[[], bool],
        define: Callable[[bool], Awaitable[CommandResult]],
    ) -> None:
        """Define what is missing and change what differs; ``define(again)``."""
        if existing is None:
            await define(False)
            self.report.created.append(what)
        elif same():
            self.report.unchanged.append(what)
        else:
            await define(True)
            self.report.changed.append(what)

    async def indicator(self, key: str, change: IndicatorChange) -> None:
        existing = (await self._plan()).definitions.get(key)
        await self._bring(
            f"indicator {key}",
            existing,
            lambda: (
                application.resolve_definition(key, change, None)
                == application.resolve_definition(key, IndicatorChange(), existing)
            ),
            lambda again: application.define_indicator(
                self.runtime, self.conn, self.metadata, key, change, redefine=again, expected=None
            ),
        )

    async def goal(self, key: str, goal: GoalChange) -> None:
        existing = (await self._plan()).goals.get(key)

        def same() -> bool:
            assert existing is not None
            current = {k: v for k, v in existing.describe().items() if k in GoalChange.model_fields}
            current["indicator_keys"] = list(current["indicator_keys"])
            return current == goal.model_dump()

        await self._bring(
            f"goal {key}",
            existing,
            same,
            lambda again: application.define_goal(
                self.runtime, self.conn, self.metadata, key, goal, revise=again, expected=None
            ),
        )

    async def thresholds(self, key: str, first: int, last: int, bands: list[BandIn]) -> None:
        plan = await self._plan()
        wanted = [b.model_dump() for b in bands]

        def same(year: int) -> bool:
            current = plan.thresholds.get((key, year))
            if current is None or current.set.gap_policy != "unclassified":
                return False
            have = [
                {k: v for k, v in band_json(b).items() if k in BandIn.model_fields}
                for b in current.set.bands
            ]
            return _normalised(have) == _normalised(wanted)

        what = f"thresholds {key} {first}–{last}"
        if all(same(year) for year in range(first, last + 1)):
            self.report.unchanged.append(what)
            return
        await application.set_thresholds(
            self.runtime,
            self.conn,
            self.metadata,
            key,
            ThresholdsIn(from_year=first, to_year=last, bands=bands),
            None,
        )
        fresh = not any((key, year) in plan.thresholds for year in range(first, last + 1))
        (self.report.created if fresh else self.report.changed).append(what)


def _normalised(bands: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return sorted(
        (
            b["level"],
            b["lower"],
            bool(b["lower_inclusive"]),
            b["upper"],
            bool(b["upper_inclusive"]),
        )
        for b in bands
    )


async def run(settings: Any, plan: str, municipality: str) -> SeedReport:
    """For the CLI: build the service's runtime (no servers started) and seed."""
    from services.indicators.app import create_app

    if plan != "drammen":
        raise ValueError(f"unknown example plan {plan!r}; known: drammen")
    runtime: Runtime = create_app(settings).state.runtime
    try:
        return await seed_drammen(runtime, municipality)
    finally:
        await runtime.db.dispose()
