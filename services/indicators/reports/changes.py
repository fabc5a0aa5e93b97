"""Why a recomputation differs from a locked report: facts recorded after the lock that
fall in the period (late registrations), and plan changes after the lock. Counts only,
by kind: no person is named."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.indicators import tables as t
from services.indicators.domain.periods import Period

DATED_FACTS: tuple[tuple[sa.Table, str], ...] = (
    (t.settlements, "settled_on"),
    (t.programme_starts, "starts_on"),
    (t.programme_pauses, "on_date"),
    (t.plan_revisions, "valid_from"),
    (t.programme_completions, "ended_on"),
    (t.norwegian_tests, "taken_on"),
    (t.moves_out, "moved_on"),
    (t.base_exits, "left_on"),
    (t.act_categories, "valid_from"),
    (t.jobs, "starts_on"),
    (t.practice_placements, "on_date"),
    (t.housing_applications, "received_on"),
    (t.housing_decisions, "decided_on"),
    (t.placements, "on_date"),
    (t.evictions, "evicted_on"),
    (t.ownerships, "became_owner_on"),
)
"""Fact tables and the date that places a fact in a period (what it is dated, not when
it was recorded: a job that started in March and was registered in December is late)."""

PLAN_TABLES: tuple[tuple[str, sa.Table], ...] = (
    ("goals", t.goal_versions),
    ("indicators", t.indicator_versions),
    ("thresholds", t.threshold_versions),
    ("comments", t.comments),
    ("manual_values", t.manual_values),
    ("settings", t.plan_settings),
    ("approvals", t.plan_approvals),
)


async def late_facts(
    conn: AsyncConnection, municipality: str, period: Period, locked_at: datetime
) -> dict[str, int]:
    """Fact table → how many of its facts dated in ``period`` were recorded after
    ``locked_at`` (tables with none left out); follow-up statuses by reference year."""
    counts: list[Any] = []
    for table, column in DATED_FACTS:
        day = table.c[column]
        counts.append(
            sa.select(sa.literal(table.name).label("kind"), sa.func.count().label("n")).where(
                table.c.municipality == municipality,
                table.c.recorded_at > locked_at,
                day >= period.start,
                day < period.end,
            )
        )
    statuses = t.follow_up_statuses.c
    counts.append(
        sa.select(sa.literal("follow_up_statuses").label("kind"), sa.func.count()).where(
            statuses.municipality == municipality,
            statuses.recorded_at > locked_at,
            statuses.reference_year.between(period.start.year, period.last_day.year),
        )
    )
    rows = (await conn.execute(sa.union_all(*counts))).all()
    return {str(kind): int(n) for kind, n in rows if n}


async def plan_changes(
    conn: AsyncConnection, municipality: str, locked_at: datetime
) -> dict[str, Any]:
    """Plan changes recorded after ``locked_at``: counts by kind, and per indicator the
    kinds that touched it (definitions, thresholds, comments, manual values)."""
    by_kind: dict[str, int] = {}
    by_indicator: dict[str, dict[str, int]] = {}
    for kind, table in PLAN_TABLES:
        c = table.c
        where = (c.municipality == municipality, c.recorded_at > locked_at)
        if "indicator_key" in c:
            query = (
                sa.select(c.indicator_key, sa.func.count()).where(*where).group_by(c.indicator_key)
            )
            for key, n in (await conn.execute(query)).all():
                by_kind[kind] = by_kind.get(kind, 0) + int(n)
                by_indicator.setdefault(str(key), {})[kind] = int(n)
        else:
            n = (await conn.execute(sa.select(sa.func.count()).where(*where))).scalar_one()
            if n:
                by_kind[kind] = int(n)
    return {"by_kind": by_kind, "by_indicator": by_indicator}
