"""The rental stock: one dwelling, lists, and stock and occupancy counts."""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.housing import tables as t
from services.housing.queries.rows import view_at, view_of
from shared.paging import count_of


async def dwelling_view(
    conn: AsyncConnection, dwelling_id: uuid.UUID, municipality: str
) -> dict[str, Any]:
    return await view_at(conn, t.dwellings, "dwelling_id", dwelling_id, municipality, "dwelling")


async def list_dwellings(
    conn: AsyncConnection,
    municipality: str,
    *,
    status: str | None,
    district: str | None,
    min_rooms: int | None,
    limit: int,
    offset: int,
) -> tuple[list[dict[str, Any]], int]:
    """One page of the municipality's dwellings by district, rooms, then id (unique, so
    pages neither skip nor repeat one), and how many the filters match in all."""
    d = t.dwellings
    query = sa.select(d).where(d.c.municipality == municipality)
    if status:
        query = query.where(d.c.status == status)
    if district:
        query = query.where(d.c.district == district)
    if min_rooms:
        query = query.where(d.c.rooms >= min_rooms)
    rows = await conn.execute(
        query.order_by(d.c.district, d.c.rooms, d.c.dwelling_id).limit(limit).offset(offset)
    )
    return [view_of(row) for row in rows], await count_of(conn, query)


STATUSES = ("vacant", "occupied", "under_renovation", "sold")


async def stock(conn: AsyncConnection, municipality: str) -> dict[str, Any]:
    """Counts by district, by rooms and by status; occupancy = occupied / dwellings in stock."""
    d = t.dwellings
    rows = (
        await conn.execute(
            sa.select(d.c.district, d.c.rooms, d.c.status, sa.func.count().label("n"))
            .where(d.c.municipality == municipality)
            .group_by(d.c.district, d.c.rooms, d.c.status)
        )
    ).all()

    def group(key: str) -> list[dict[str, Any]]:
        buckets: dict[Any, dict[str, int]] = defaultdict(lambda: dict.fromkeys(STATUSES, 0))
        for row in rows:
            buckets[getattr(row, key)][row.status] += int(row.n)
        return [_bucket({key: k}, counts) for k, counts in sorted(buckets.items())]

    totals = dict.fromkeys(STATUSES, 0)
    for row in rows:
        totals[row.status] += int(row.n)
    return {
        "total": _bucket({}, totals),
        "by_district": group("district"),
        "by_rooms": group("rooms"),
        "by_status": [{"status": s, "dwellings": totals[s]} for s in STATUSES],
    }


def _bucket(key: dict[str, Any], counts: dict[str, int]) -> dict[str, Any]:
    in_stock = sum(counts.values()) - counts["sold"]
    return {
        **key,
        "dwellings": sum(counts.values()),
        "in_stock": in_stock,
        **counts,
        "occupancy_rate": round(counts["occupied"] / in_stock, 4) if in_stock else None,
    }
