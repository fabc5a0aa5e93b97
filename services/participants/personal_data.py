"""Personal details sealed with a key per participant (AES-GCM).

Keys live in ``participant_keys``, apart from the events: destroying a participant's
key makes every sealed copy in the event store and the projections unreadable,
which is how an immutable log forgets a person.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.participants.tables import participant_keys
from shared.sealing import new_key, seal, unseal

__all__ = ["seal", "unseal"]


async def create_key(conn: AsyncConnection, participant_id: uuid.UUID) -> bytes:
    key = new_key()
    await conn.execute(sa.insert(participant_keys).values(participant_id=participant_id, key=key))
    return key


async def load_key(conn: AsyncConnection, participant_id: uuid.UUID) -> bytes | None:
    key = await conn.scalar(
        sa.select(participant_keys.c.key).where(participant_keys.c.participant_id == participant_id)
    )
    return bytes(key) if key is not None else None


def national_id_digest(lookup_key: str, national_id: str) -> str:
    """Keyed digest used to find a person by national id without storing it in clear."""
    return hmac.new(lookup_key.encode(), national_id.encode(), hashlib.sha256).hexdigest()


async def destroy_key(conn: AsyncConnection, participant_id: uuid.UUID) -> bool:
    """Crypto-shred: without the key every sealed copy of the person's data is noise."""
    deleted = await conn.execute(
        sa.delete(participant_keys).where(participant_keys.c.participant_id == participant_id)
    )
    return bool(deleted.rowcount)


def seal_optional(key: bytes, participant_id: uuid.UUID, text: str | None) -> str | None:
    """Seal a free-text note (or nothing)."""
    if text is None or not text.strip():
        return None
    return seal(key, participant_id, {"text": text})


def unseal_text(key: bytes | None, participant_id: uuid.UUID, sealed: str | None) -> str | None:
    if key is None or sealed is None:
        return None
    text = unseal(key, participant_id, sealed).get("text")
    return str(text) if text is not None else None
