"""Read side of settlement planning: the plan, its measures, the stock and its history,
and the settlements the participants service reported."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.housing import tables as t
from services.housing.domain import forecast as f
from services.housing.queries.rows import jsonable


async def plan_row(conn: AsyncConnection, municipality: str, year: int) -> dict[str, Any] | None:
    p = t.settlement_plans
    row = (
        await conn.execute(sa.select(p).where(p.c.municipality == municipality, p.c.year == year))
    ).one_or_none()
    return dict(row._mapping) if row is not None else None


async def measures(
    conn: AsyncConnection, municipality: str, year: int, *, with_withdrawn: bool = True
) -> list[dict[str, Any]]:
    m = t.settlement_measures
    query = sa.select(m).where(m.c.municipality == municipality, m.c.year == year)
    if not with_withdrawn:
        query = query.where(m.c.withdrawn_on.is_(None))
    rows = (await conn.execute(query.order_by(m.c.decided_on, m.c.measure_id))).all()
    return [dict(r._mapping) for r in rows]


async def measure_year(
    conn: AsyncConnection, municipality: str, year: int, measure_id: uuid.UUID
) -> bool:
    m = t.settlement_measures
    found = await conn.scalar(
        sa.select(m.c.measure_id).where(
            m.c.measure_id == measure_id, m.c.municipality == municipality, m.c.year == year
        )
    )
    return found is not None


async def stock(conn: AsyncConnection, municipality: str) -> list[f.Stock]:
    """Occupied and vacant dwellings by rooms now (sold and renovating ones left out)."""
    d = t.dwellings
    rows = (
        await conn.execute(
            sa.select(d.c.rooms, d.c.status, sa.func.count())
            .where(d.c.municipality == municipality, d.c.status.in_(("occupied", "vacant")))
            .group_by(d.c.rooms, d.c.status)
        )
    ).all()
    by_rooms: dict[int, list[int]] = {}
    for rooms, status, count in rows:
        part = by_rooms.setdefault(rooms, [0, 0])
        part[0 if status == "occupied" else 1] += count
    return [f.Stock(rooms, occupied, vacant) for rooms, (occupied, vacant) in by_rooms.items()]


async def tenancies(conn: AsyncConnection, municipality: str, before: date) -> list[f.Tenancy]:
    """Every placement that began before ``before``, with its dwelling's rooms; a tenant
    who bought the dwelling itself ends with ``bought_dwelling`` (it left the stock)."""
    p, d = t.placements, t.dwellings
    reason = sa.case(
        (
            sa.and_(
                p.c.end_reason == "bought_home",
                d.c.status == "sold",
                d.c.status_since == p.c.ends_on,
            ),
            sa.literal("bought_dwelling"),
        ),
        else_=p.c.end_reason,
    )
    rows = (
        await conn.execute(
            sa.select(d.c.rooms, p.c.starts_on, p.c.ends_on, reason.label("end_reason"))
            .select_from(p.join(d, d.c.dwelling_id == p.c.dwelling_id))
            .where(p.c.municipality == municipality, p.c.starts_on < before)
        )
    ).all()
    return [f.Tenancy(r.rooms, r.starts_on, r.ends_on, r.end_reason) for r in rows]


async def settlements(conn: AsyncConnection, municipality: str, year: int) -> list[dict[str, Any]]:
    """Households settled in ``year`` by month and size (from participant.settled), with
    the unaccompanied minors apart."""
    h = t.households
    month = sa.extract("month", h.c.settled_on)
    rows = (
        await conn.execute(
            sa.select(month, h.c.household_size, h.c.unaccompanied_minor, sa.func.count())
            .where(
                h.c.municipality == municipality,
                h.c.settled_on >= date(year, 1, 1),
                h.c.settled_on < date(year + 1, 1, 1),
            )
            .group_by(month, h.c.household_size, h.c.unaccompanied_minor)
        )
    ).all()
    months: dict[int, dict[str, Any]] = {}
    for number, size, minor, count in rows:
        entry = months.setdefault(
            int(number), {"month": int(number), "households": {}, "unaccompanied_minors": 0}
        )
        if minor:
            entry["unaccompanied_minors"] += size * count
        else:
            entry["households"][str(size)] = entry["households"].get(str(size), 0) + count
    return [months[k] for k in sorted(months)]


def measure_view(row: dict[str, Any]) -> dict[str, Any]:
    view: dict[str, Any] = jsonable(row)
    view.pop("municipality", None)
    return view
