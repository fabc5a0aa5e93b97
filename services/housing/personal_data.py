"""A household's application needs, sealed with the household's own key.

Members' ages and accessibility needs (health data) are recorded per household in the
unpublished ``needs_sealed`` event, encrypted with a key kept in ``household_keys``
outside the event store. When a member is erased the key is destroyed, so no copy of
those needs survives in clear (the event store, the projections after a replay).
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncConnection

from services.housing.tables import household_keys
from shared import sealing


async def household_key(conn: AsyncConnection, household_id: uuid.UUID) -> bytes:
    """The household's key, created on first use."""
    await conn.execute(
        pg.insert(household_keys)
        .values(household_id=household_id, key=sealing.new_key())
        .on_conflict_do_nothing(index_elements=["household_id"])
    )
    key = await load_household_key(conn, household_id)
    assert key is not None
    return key


async def load_household_key(conn: AsyncConnection, household_id: uuid.UUID) -> bytes | None:
    key = await conn.scalar(
        sa.select(household_keys.c.key).where(household_keys.c.household_id == household_id)
    )
    return bytes(key) if key is not None else None


async def destroy_household_key(conn: AsyncConnection, household_id: uuid.UUID) -> None:
    await conn.execute(
        sa.delete(household_keys).where(household_keys.c.household_id == household_id)
    )


async def open_needs(
    conn: AsyncConnection, household_id: uuid.UUID, sealed: str
) -> dict[str, Any] | None:
    """The sealed needs, or None once the household's key was destroyed (an erasure)."""
    key = await load_household_key(conn, household_id)
    if key is None:
        return None
    try:
        return sealing.unseal(key, household_id, sealed)
    except sealing.Unreadable:
        return None
