"""Applications, the waiting list on any day, month-end counts, and the candidates
for a vacant dwelling."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.housing import tables as t
from services.housing.domain import allocation
from services.housing.queries.households import left_by
from services.housing.queries.rows import jsonable, row_at, view_of
from shared import dates


async def application_view(
    conn: AsyncConnection, application_id: uuid.UUID, municipality: str
) -> dict[str, Any]:
    row = await row_at(
        conn, t.applications, "application_id", application_id, municipality, "application"
    )
    view = view_of(row)
    view.pop("urgency_rank", None)
    view.update(await _waiting_end(conn, row))
    n = t.application_member_needs
    view["members"] = [
        jsonable(dict(r._mapping))
        for r in await conn.execute(
            sa.select(n.c.participant_id, n.c.needs_wheelchair_access, n.c.needs_step_free)
            .where(n.c.application_id == application_id)
            .order_by(n.c.participant_id)
        )
    ]
    return view


async def _waiting_end(conn: AsyncConnection, row: sa.Row[Any]) -> dict[str, Any]:
    """Until when the household waits and why it stops (maybe ahead: a move announced)."""
    h, m = t.households, t.household_members
    left = (
        await conn.execute(
            sa.select(h.c.left_on, h.c.left_reason, h.c.left_to_municipality).where(
                h.c.household_id == row.household_id
            )
        )
    ).one_or_none()
    on = dates.today()
    gone = int(
        await conn.scalar(
            sa.select(sa.func.count()).where(
                m.c.household_id == row.household_id,
                m.c.gone_on > row.received_on,
                m.c.gone_on <= on,
            )
        )
        or 0
    )
    size = {
        "applied_household_size": row.household_size,
        "household_size": max(row.household_size - gone, 0),
    }
    reason = {"rejected": "rejected", "withdrawn": "withdrawn", "housed": "housed"}.get(row.status)
    until = row.waiting_until
    to_municipality = None
    if left is None and until is None:
        return {
            **size,
            "waiting_until": None,
            "waiting_end_reason": "erased",
            "left_to_municipality": None,
        }
    if left is not None and left.left_on is not None and (until is None or left.left_on < until):
        until, reason, to_municipality = left.left_on, left.left_reason, left.left_to_municipality
    return {
        **size,
        "waiting_until": until.isoformat() if until else None,
        "waiting_end_reason": reason if until else None,
        "left_to_municipality": to_municipality,
    }


def _gone_since_received(on: date) -> sa.ScalarSelect[Any]:
    """How many of the applying household's members left after it applied, by ``on``."""
    a, m = t.applications, t.household_members
    return (
        sa.select(sa.func.count())
        .where(
            m.c.household_id == a.c.household_id,
            m.c.gone_on > a.c.received_on,
            m.c.gone_on <= on,
        )
        .scalar_subquery()
    )


def _waiting_on(on: date) -> sa.ColumnElement[bool]:
    a = t.applications
    return sa.and_(
        a.c.received_on <= on,
        sa.or_(a.c.waiting_until.is_(None), a.c.waiting_until > on),
        sa.not_(left_by(on)),
    )


async def waiting_list(
    conn: AsyncConnection, municipality: str, on: date, *, limit: int, offset: int
) -> dict[str, Any]:
    """Households waiting at the end of ``on``, in priority order (urgency, then waiting time).

    A household waits from the day its application is received until it is rejected,
    withdraws, or moves in. ``status`` is the application's status on that day.
    """
    a = t.applications
    where = sa.and_(a.c.municipality == municipality, _waiting_on(on))
    total = int(await conn.scalar(sa.select(sa.func.count()).where(where)) or 0)
    # One member fewer for each who left after the application was received.
    gone_since = _gone_since_received(on)
    rows = await conn.execute(
        sa.select(
            a.c.application_id,
            a.c.household_id,
            sa.func.greatest(a.c.household_size - gone_since, 1).label("household_size"),
            a.c.urgency,
            a.c.received_on,
            a.c.accepted_on,
            a.c.district_wishes,
        )
        .where(where)
        .order_by(a.c.urgency_rank, a.c.received_on, a.c.application_id)
        .limit(limit)
        .offset(offset)
    )
    entries = []
    for position, row in enumerate(rows, start=offset + 1):
        accepted = row.accepted_on is not None and row.accepted_on <= on
        entries.append(
            {
                "position": position,
                "application_id": str(row.application_id),
                "household_id": str(row.household_id),
                "household_size": row.household_size,
                "urgency": row.urgency,
                "received_on": row.received_on.isoformat(),
                "days_waiting": (on - row.received_on).days,
                "status": "accepted" if accepted else "pending",
                "district_wishes": list(row.district_wishes),
            }
        )
    return {"on": on.isoformat(), "households_waiting": total, "results": entries}


def month_end(year: int, month: int) -> date:
    first_of_next = date(year + month // 12, month % 12 + 1, 1)
    return first_of_next - timedelta(days=1)


async def month_end_counts(
    conn: AsyncConnection, municipality: str, months: Sequence[tuple[int, int]]
) -> list[tuple[int, int, date, int]]:
    """(year, month, month end, households waiting at the end of that day) for each month."""
    a = t.applications
    ends = [month_end(y, m) for y, m in months]
    series = (
        sa.func.unnest(sa.cast(ends, sa.ARRAY(sa.Date)))
        .table_valued("month_end")
        .render_derived(name="month_ends")
    )
    rows = await conn.execute(
        sa.select(
            series.c.month_end,
            sa.func.count(sa.distinct(a.c.household_id)).label("waiting"),
        )
        .select_from(
            series.outerjoin(
                a,
                sa.and_(
                    a.c.municipality == municipality,
                    a.c.received_on <= series.c.month_end,
                    sa.or_(a.c.waiting_until.is_(None), a.c.waiting_until > series.c.month_end),
                    sa.not_(left_by(series.c.month_end)),
                ),
            )
        )
        .group_by(series.c.month_end)
    )
    counts = {row.month_end: int(row.waiting) for row in rows}
    return [(y, m, end, counts.get(end, 0)) for (y, m), end in zip(months, ends, strict=True)]


async def candidates(
    conn: AsyncConnection, municipality: str, on: date | None = None
) -> tuple[list[allocation.Candidate], set[uuid.UUID]]:
    """Accepted applications on the waiting list on ``on``, and the households among them
    that still live in a municipal dwelling (a transfer: they must move out of it first).

    A household that has left by ``on`` is not a candidate; one whose members left since
    it applied counts one member fewer for each (its recorded ages then no longer say who
    is left, so the norm uses the size alone)."""
    on = on or dates.today()
    a, p, m, n = t.applications, t.placements, t.household_members, t.application_member_needs

    def member_needs(flag: sa.Column[Any]) -> sa.ColumnElement[bool]:
        """A member's need counts while they live in the household."""
        return (
            sa.select(n.c.participant_id)
            .select_from(n.join(m, m.c.participant_id == n.c.participant_id))
            .where(
                n.c.application_id == a.c.application_id,
                flag.is_(True),
                sa.or_(m.c.gone_on.is_(None), m.c.gone_on > on),
            )
            .exists()
        )

    gone_since = _gone_since_received(on)
    placed = (
        sa.select(p.c.placement_id)
        .where(p.c.household_id == a.c.household_id, p.c.ends_on.is_(None))
        .exists()
    )
    # The arrays come back from asyncpg as lists already; SQLAlchemy's ARRAY type would
    # re-process every element (≈ 40 ms for 5,000 rows), so they are read untyped.
    rows = await conn.execute(
        sa.select(
            a.c.application_id,
            a.c.household_id,
            a.c.household_size,
            sa.type_coerce(a.c.member_ages, sa.types.NullType()),
            sa.or_(a.c.needs_wheelchair_access, member_needs(n.c.needs_wheelchair_access)),
            sa.or_(a.c.needs_step_free, member_needs(n.c.needs_step_free)),
            sa.type_coerce(a.c.district_wishes, sa.types.NullType()),
            a.c.urgency,
            a.c.received_on,
            placed.label("placed"),
            gone_since.label("gone"),
        ).where(
            a.c.municipality == municipality,
            a.c.status == "accepted",
            sa.not_(left_by(on)),
        )
    )
    found, placed_households = [], set()
    make = allocation.Candidate
    for (
        app_id,
        household,
        size,
        ages,
        wheelchair,
        step_free,
        wishes,
        urgency,
        received,
        is_placed,
        gone,
    ) in rows:
        if is_placed:
            placed_households.add(household)
            continue
        found.append(
            make(
                app_id,
                household,
                max(size - gone, 1),
                tuple(ages) if not gone or len(ages) == size - gone else (),
                wheelchair,
                step_free,
                tuple(wishes),
                urgency,
                received,
            )
        )
    return found, placed_households
