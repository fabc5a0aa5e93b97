"""Application needs sealed with keys of their own: a household's, and each member's.

Ages, accessibility needs and district wishes recorded for the whole household go in the
unpublished ``needs_sealed`` event under the household's key (``household_keys``); one
member's accessibility needs go in ``member_needs_sealed`` under that person's key
(``person_keys``). The keys live outside the event store and the projections. On a
member's erasure their own key is destroyed — so their needs are gone while the other
members' stay — and the household's key too, because ages and needs recorded for the
household cannot be told apart per member.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncConnection

from services.housing.tables import household_keys, person_keys
from shared import sealing


def _owner(table: sa.Table) -> sa.Column[Any]:
    return table.c.household_id if table is household_keys else table.c.participant_id


async def _key(conn: AsyncConnection, table: sa.Table, owner_id: uuid.UUID) -> bytes:
    """The owner's key, created on first use."""
    await conn.execute(
        pg.insert(table)
        .values({_owner(table).name: owner_id, "key": sealing.new_key()})
        .on_conflict_do_nothing()
    )
    key = await _load(conn, table, owner_id)
    assert key is not None
    return key


async def _load(conn: AsyncConnection, table: sa.Table, owner_id: uuid.UUID) -> bytes | None:
    key = await conn.scalar(sa.select(table.c.key).where(_owner(table) == owner_id))
    return bytes(key) if key is not None else None


async def _open(
    conn: AsyncConnection, table: sa.Table, owner_id: uuid.UUID, sealed: str
) -> dict[str, Any] | None:
    key = await _load(conn, table, owner_id)
    if key is None:
        return None
    try:
        return sealing.unseal(key, owner_id, sealed)
    except sealing.Unreadable:
        return None


async def seal_for_household(
    conn: AsyncConnection, household_id: uuid.UUID, details: dict[str, Any]
) -> str:
    return sealing.seal(await _key(conn, household_keys, household_id), household_id, details)


async def seal_for_person(
    conn: AsyncConnection, participant_id: uuid.UUID, details: dict[str, Any]
) -> str:
    return sealing.seal(await _key(conn, person_keys, participant_id), participant_id, details)


async def open_needs(
    conn: AsyncConnection, household_id: uuid.UUID, sealed: str
) -> dict[str, Any] | None:
    """The household's sealed needs, or None once its key was destroyed (an erasure)."""
    return await _open(conn, household_keys, household_id, sealed)


async def open_member_needs(
    conn: AsyncConnection, participant_id: uuid.UUID, sealed: str
) -> dict[str, Any] | None:
    """One member's sealed needs, or None once their key was destroyed (their erasure)."""
    return await _open(conn, person_keys, participant_id, sealed)


async def forget(
    conn: AsyncConnection, participant_id: uuid.UUID, household_id: uuid.UUID | None
) -> None:
    """Crypto-shred on erasure: the person's key, and their household's."""
    await conn.execute(sa.delete(person_keys).where(person_keys.c.participant_id == participant_id))
    if household_id is not None:
        await conn.execute(
            sa.delete(household_keys).where(household_keys.c.household_id == household_id)
        )
