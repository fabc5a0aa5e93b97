"""Reading what was known at a moment: facts into snapshots (with a small cache), and the plan.

The rows are read through the raw asyncpg connection under SQLAlchemy's: a large
municipality has hundreds of thousands of fact rows and asyncpg's record decoding is
several times faster than a Core result.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.indicators import tables as t
from services.indicators.domain.facts import FACT_TABLES, Snapshot, build_snapshots
from services.indicators.domain.periods import Granularity
from services.indicators.domain.plan import (
    Approval,
    Definition,
    Goal,
    Plan,
    PlanSettings,
    Thresholds,
    bands_from_json,
)
from services.indicators.domain.rules import Unit
from services.indicators.domain.thresholds import Direction, GapPolicy, ThresholdSet
from services.indicators.events import (
    GoalDefined,
    GoalRevised,
    IndicatorDefined,
    IndicatorRedefined,
    PlanSettingsChanged,
    ThresholdsSet,
)
from shared import tables as kit

_COLUMNS: dict[str, tuple[str, str]] = {
    "registrations": ("participant_id, birth_year, gender", ""),
    "settlements": (
        "participant_id, settled_on, arrival_category, household_id, household_size, "
        "unaccompanied_minor",
        "",
    ),
    "competence_profiles": (
        "participant_id, education_level, norwegian_oral, norwegian_written, "
        "norwegian_reading, norwegian_listening",
        "ORDER BY recorded_at, event_id",
    ),
    "programme_starts": ("participant_id, programme_id, kind, starts_on, planned_end", ""),
    "programme_pauses": (
        "participant_id, programme_id, change, pause_kind, on_date, planned_end",
        "ORDER BY on_date, recorded_at",
    ),
    "plan_revisions": (
        "participant_id, programme_id, revision, valid_from, hours_per_week, full_time",
        "",
    ),
    "programme_completions": (
        "participant_id, programme_id, ended_on, reason, outcome, hours_per_week",
        "ORDER BY recorded_at, event_id",
    ),
    "norwegian_tests": ("participant_id, sub_test, level, taken_on", ""),
    "follow_up_statuses": (
        "participant_id, programme_id, reference_year, status, preliminary",
        "ORDER BY recorded_at, event_id",
    ),
    "moves_out": ("participant_id, moved_on", "ORDER BY recorded_at, event_id"),
    "base_exits": ("participant_id, left_on, reason", "ORDER BY recorded_at, event_id"),
    "birth_year_corrections": ("participant_id, birth_year", "ORDER BY recorded_at, event_id"),
    "jobs": ("participant_id, starts_on, hours_per_week, permanent", ""),
    "practice_placements": (
        "placement_id, participant_id, change, kind, on_date, outcome",
        "ORDER BY recorded_at, event_id",
    ),
    "housing_applications": (
        "application_id, household_id, household_size, received_on, urgency",
        "",
    ),
    "housing_decisions": (
        "application_id, household_id, decision, decided_on",
        "ORDER BY recorded_at, event_id",
    ),
    "placements": (
        "placement_id, household_id, change, dwelling_id, application_id, on_date, reason",
        "ORDER BY recorded_at, event_id",
    ),
    "evictions": ("placement_id, household_id, evicted_on, grounds", ""),
    "ownerships": ("household_id, became_owner_on, route, price", ""),
    "minor_facts": ("participant_id, family, kind, on_date", ""),
    "housing_school": (
        "course_id, change, on_date, required_sessions, session, attended",
        "ORDER BY recorded_at, event_id",
    ),
    "tenancy_incidents": ("household_id, kind, occurred_on", ""),
}
assert set(_COLUMNS) == set(FACT_TABLES)


async def raw_connection(conn: AsyncConnection) -> Any:
    """The asyncpg connection under a SQLAlchemy async connection (same transaction)."""
    fairy = await conn.get_raw_connection()
    return fairy.driver_connection


async def read_fact_rows(
    conn: AsyncConnection, municipality: str | None, as_of: datetime | None
) -> dict[str, list[Any]]:
    """Every fact row recorded by ``as_of`` (all when None), of one or all municipalities."""
    raw = await raw_connection(conn)
    rows: dict[str, list[Any]] = {}
    for table in FACT_TABLES:
        columns, order = _COLUMNS[table]
        where = []
        args: list[Any] = []
        if municipality is not None:
            args.append(municipality)
            where.append(f"municipality = ${len(args)}")
        if as_of is not None:
            args.append(as_of)
            where.append(f"recorded_at <= ${len(args)}")
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        rows[table] = await raw.fetch(
            f"SELECT municipality, {columns} FROM {table} {clause} {order}", *args
        )
    return rows


async def load_snapshots(
    conn: AsyncConnection, municipality: str | None, as_of: datetime | None
) -> dict[str, Snapshot]:
    return build_snapshots(await read_fact_rows(conn, municipality, as_of))


async def data_version(conn: AsyncConnection, municipality: str) -> int:
    found = await conn.scalar(
        sa.select(t.municipality_data.c.data_version).where(
            t.municipality_data.c.municipality == municipality
        )
    )
    return int(found or 0)


class SnapshotCache:
    """The last few snapshots, keyed by municipality, as-of moment and data version.

    A snapshot as of a past moment only changes if an event recorded before that moment
    arrives late, which bumps the data version too, so keying on it is always safe.
    """

    def __init__(self, size: int = 8) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[str, datetime | None, int], Snapshot] = OrderedDict()

    async def get(
        self, conn: AsyncConnection, municipality: str, as_of: datetime | None
    ) -> Snapshot:
        key = (municipality, as_of, await data_version(conn, municipality))
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
            return found
        snapshots = await load_snapshots(conn, municipality, as_of)
        snapshot = snapshots.get(municipality) or Snapshot(municipality)
        self._entries[key] = snapshot
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)
        return snapshot


def _pick(rows: Sequence[Any], at: datetime | None) -> tuple[Any, bool]:
    """The version in force at ``at`` from one key's versions (ascending); when none was
    recorded by then, the first version flagged as configured later."""
    if at is None:
        return rows[-1], False
    known = [row for row in rows if row.recorded_at <= at]
    return (known[-1], False) if known else (rows[0], True)


def _group(rows: Sequence[Any], *keys: str) -> dict[tuple[Any, ...], list[Any]]:
    grouped: dict[tuple[Any, ...], list[Any]] = {}
    for row in rows:
        grouped.setdefault(tuple(getattr(row, k) for k in keys), []).append(row)
    return grouped


BEFORE_ANY_PLAN = datetime(1900, 1, 1, tzinfo=UTC)
"""The cut of a municipality that has approved no plan version: nothing is in force."""


async def latest_approval(
    conn: AsyncConnection, municipality: str, at: datetime | None
) -> Approval | None:
    """The latest approval recorded by ``at`` (ever, when None)."""
    pa = t.plan_approvals
    query = sa.select(pa).where(pa.c.municipality == municipality)
    if at is not None:
        query = query.where(pa.c.recorded_at <= at)
    row = (await conn.execute(query.order_by(pa.c.version.desc()).limit(1))).first()
    if row is None:
        return None
    return Approval(row.plan_version, row.approved_through, row.approved_by, row.recorded_at)


async def load_plan(
    conn: AsyncConnection, municipality: str, at: datetime | None, *, draft: bool = False
) -> Plan:
    """The plan in force at ``at`` (now when None): the latest version approved by then.

    ``draft=True``: the plan as recorded by ``at``, approved or not — what commands check
    changes against and editors see marked as a draft. Suppression is the one exception
    to approval: the plan in force hides values by the stricter of the approved and the
    recorded threshold, so raising it protects at once and lowering it waits for approval.
    """
    approval = await latest_approval(conn, municipality, at)
    if draft:
        plan = await _plan_as_recorded(conn, municipality, at)
        plan.draft = True
    else:
        cut = approval.approved_through if approval is not None else BEFORE_ANY_PLAN
        plan = await _plan_as_recorded(conn, municipality, cut)
        recorded = await _settings(conn, municipality, at)
        if recorded.suppression_min_n > plan.settings.suppression_min_n:
            plan.settings = recorded
    plan.approval = approval
    return plan


async def _settings(conn: AsyncConnection, municipality: str, at: datetime | None) -> PlanSettings:
    ps = t.plan_settings
    query = sa.select(ps.c.suppression_min_n).where(ps.c.municipality == municipality)
    if at is not None:
        query = query.where(ps.c.recorded_at <= at)
    found = await conn.scalar(query.order_by(ps.c.version.desc()).limit(1))
    return PlanSettings() if found is None else PlanSettings(suppression_min_n=int(found))


async def suppression_thresholds(conn: AsyncConnection, at: datetime | None) -> dict[str, int]:
    """Every municipality's suppression threshold in force at ``at`` (as :func:`load_plan`
    decides it: the stricter of the approved and the recorded one), in two queries.

    Municipalities without settings are absent: they hide by the floor.
    """
    ps, pa = t.plan_settings, t.plan_approvals
    settings_query = sa.select(ps.c.municipality, ps.c.recorded_at, ps.c.suppression_min_n)
    approvals_query = sa.select(pa.c.municipality, pa.c.approved_through)
    if at is not None:
        settings_query = settings_query.where(ps.c.recorded_at <= at)
        approvals_query = approvals_query.where(pa.c.recorded_at <= at)
    versions: dict[str, list[tuple[datetime, int]]] = {}
    for row in await conn.execute(settings_query.order_by(ps.c.municipality, ps.c.version)):
        versions.setdefault(row.municipality, []).append((row.recorded_at, row.suppression_min_n))
    approved_through: dict[str, datetime] = {}
    for approval in await conn.execute(approvals_query.order_by(pa.c.municipality, pa.c.version)):
        approved_through[approval.municipality] = approval.approved_through
    default = PlanSettings().suppression_min_n
    thresholds = {}
    for municipality, history in versions.items():
        cut = approved_through.get(municipality, BEFORE_ANY_PLAN)
        approved = [n for recorded_at, n in history if recorded_at <= cut]
        thresholds[municipality] = max(approved[-1] if approved else default, history[-1][1])
    return thresholds


PLAN_CHANGE_TYPES = {
    GoalDefined.type_name: "goal_defined",
    GoalRevised.type_name: "goal_revised",
    IndicatorDefined.type_name: "indicator_defined",
    IndicatorRedefined.type_name: "indicator_redefined",
    ThresholdsSet.type_name: "thresholds_set",
    PlanSettingsChanged.type_name: "settings_changed",
}
"""The events that make a new plan version (comments and manual values do not)."""


@dataclass(frozen=True)
class PlanChange:
    """One change of the plan: plan version ``plan_version`` is the plan after it."""

    plan_version: int
    kind: str
    subject: str
    years: tuple[int, ...]
    actor: str
    recorded_at: datetime

    def describe(self) -> dict[str, Any]:
        return {
            "plan_version": self.plan_version,
            "kind": self.kind,
            "subject": self.subject,
            "years": list(self.years),
            "changed_by": self.actor,
            "recorded_at": self.recorded_at.isoformat(),
        }


async def plan_changes(conn: AsyncConnection, municipality: str) -> list[PlanChange]:
    """Every change of the plan in the order recorded, with who made it (the events'
    metadata). Plan changes of one municipality are serialised (``application``), so
    the store's order is also the order of their recording times."""
    e = kit.events
    rows = (
        await conn.execute(
            sa.select(e.c.type, e.c.data, e.c.actor, e.c.recorded_at)
            .where(e.c.municipality == municipality, e.c.type.in_(list(PLAN_CHANGE_TYPES)))
            .order_by(e.c.position)
        )
    ).all()
    return [
        PlanChange(
            plan_version=number,
            kind=PLAN_CHANGE_TYPES[row.type],
            subject=str(row.data.get("goal_key") or row.data.get("indicator_key") or "settings"),
            years=tuple(row.data.get("years") or ()),
            actor=row.actor,
            recorded_at=row.recorded_at,
        )
        for number, row in enumerate(rows, start=1)
    ]


async def _plan_as_recorded(conn: AsyncConnection, municipality: str, at: datetime | None) -> Plan:
    plan = Plan(municipality, settings=await _settings(conn, municipality, at))
    iv, gv, tv = t.indicator_versions, t.goal_versions, t.threshold_versions
    definitions = (
        await conn.execute(
            sa.select(iv).where(iv.c.municipality == municipality).order_by(iv.c.version)
        )
    ).all()
    for (key,), versions in _group(definitions, "indicator_key").items():
        row, late = _pick(versions, at)
        target = plan.later_definitions if late else plan.definitions
        target[key] = Definition(
            key=key,
            version=row.version,
            recorded_at=row.recorded_at,
            title_nb=row.title_nb,
            title_en=row.title_en,
            unit=Unit(row.unit),
            direction=Direction(row.direction),
            granularity=Granularity(row.granularity),
            method=row.method,
            source=row.source,
            rule=row.rule,
            parameters=dict(row.parameters),
            decimals=row.decimals,
            configured_after_as_of=late,
        )
    goals = (
        await conn.execute(
            sa.select(gv).where(gv.c.municipality == municipality).order_by(gv.c.version)
        )
    ).all()
    for (key,), versions in _group(goals, "goal_key").items():
        row, late = _pick(versions, at)
        if late:
            continue
        plan.goals[key] = Goal(
            key=key,
            version=row.version,
            recorded_at=row.recorded_at,
            plan_level=row.plan_level,
            parent_key=row.parent_key,
            title_nb=row.title_nb,
            title_en=row.title_en,
            owner_unit=row.owner_unit,
            from_year=row.from_year,
            to_year=row.to_year,
            indicator_keys=tuple(row.indicator_keys),
            configured_after_as_of=late,
        )
    sets = (
        await conn.execute(
            sa.select(tv).where(tv.c.municipality == municipality).order_by(tv.c.version)
        )
    ).all()
    for (key, year), versions in _group(sets, "indicator_key", "year").items():
        definition = plan.definition(key)
        if definition is None:
            continue
        row, late = _pick(versions, at)
        if late:
            continue
        plan.thresholds[(key, year)] = Thresholds(
            year=year,
            version=row.version,
            recorded_at=row.recorded_at,
            set=ThresholdSet(
                definition.direction, bands_from_json(row.bands), GapPolicy(row.gap_policy)
            ),
            configured_after_as_of=late,
        )
    return plan
