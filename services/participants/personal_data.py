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
from shared.db import driver_connection
from shared.sealing import seal, unseal

__all__ = ["seal", "unseal"]


async def load_key(conn: AsyncConnection, participant_id: uuid.UUID) -> bytes | None:
    key = await conn.scalar(
        sa.select(participant_keys.c.key).where(participant_keys.c.participant_id == participant_id)
    )
    return bytes(key) if key is not None else None


def national_id_digest(lookup_key: str, national_id: str) -> str:
    """Keyed digest used to find a person by national id without storing it in clear."""
    return hmac.new(lookup_key.encode(), national_id.encode(), hashlib.sha256).hexdigest()


_CLAIM = """
INSERT INTO person_lookup (municipality, national_id_digest, participant_id)
VALUES ($1, $2, $3)
ON CONFLICT DO NOTHING
RETURNING participant_id
"""
# The key is stored only if the claim takes: a refused registration leaves nothing behind.
_CLAIM_WITH_KEY = f"""
WITH claim AS ({_CLAIM})
INSERT INTO participant_keys (participant_id, key)
SELECT participant_id, $4 FROM claim
RETURNING participant_id
"""
_HOLDER = """
SELECT participant_id FROM person_lookup WHERE municipality = $1 AND national_id_digest = $2
"""


async def claim_national_id(
    conn: AsyncConnection,
    lookup_key: str,
    municipality: str,
    national_id: str,
    participant_id: uuid.UUID,
    *,
    key: bytes | None = None,
) -> uuid.UUID | None:
    """Record in ``person_lookup`` that ``participant_id`` holds ``national_id`` in the
    municipality, before the events that say so; the participant who holds it already,
    if another does (``None``: the claim took, or the number was this participant's).

    The lookup's primary key decides between two commands racing for one number: the
    second waits for the first's transaction and then finds the number taken. So it
    must run in the transaction that appends the events (the projection's own insert
    of the same row then changes nothing); a rolled-back command takes its claim with
    it. ``key``: the new participant's sealing key, stored in the same statement and
    only if the claim takes.
    """
    driver = await driver_connection(conn)
    if not driver.is_in_transaction():
        raise RuntimeError("a national id is claimed in the transaction of its events")
    digest = national_id_digest(lookup_key, national_id)
    while True:
        if key is None:
            claimed = await driver.fetchval(_CLAIM, municipality, digest, participant_id)
        else:
            claimed = await driver.fetchval(
                _CLAIM_WITH_KEY, municipality, digest, participant_id, key
            )
        if claimed is not None:
            return None
        holder: uuid.UUID | None = await driver.fetchval(_HOLDER, municipality, digest)
        if holder is not None:
            return None if holder == participant_id else holder
        # The holder was erased between the two statements: the number is free again.


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
