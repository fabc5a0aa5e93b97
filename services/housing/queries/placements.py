"""Placements and the dwelling a household lives in now."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.housing import tables as t
from services.housing.queries.rows import view_at


async def placement_view(
    conn: AsyncConnection, placement_id: uuid.UUID, municipality: str
) -> dict[str, Any]:
    view = await view_at(
        conn, t.placements, "placement_id", placement_id, municipality, "placement"
    )
    view["active"] = view["ends_on"] is None
    return view


async def active_placement_dwelling(
    conn: AsyncConnection, household_id: uuid.UUID
) -> uuid.UUID | None:
    p = t.placements
    found = await conn.scalar(
        sa.select(p.c.dwelling_id).where(p.c.household_id == household_id, p.c.ends_on.is_(None))
    )
    return found if isinstance(found, uuid.UUID) else None
