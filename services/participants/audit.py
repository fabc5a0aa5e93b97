"""The audit log: who read which participant's personal data, when and why."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncConnection

from services.participants.tables import audit_log
from shared.auth import Principal
from shared.http import correlation_id
from shared.paging import count_of

PURPOSE_HEADER = "X-Purpose"


async def record_reads(
    conn: AsyncConnection,
    principal: Principal,
    request: Request,
    participant_ids: Iterable[uuid.UUID],
    action: str,
) -> None:
    """One audit row per participant whose personal data this request shows."""
    purpose = request.headers.get(PURPOSE_HEADER)
    rows = [
        {
            "actor": principal.subject,
            "roles": sorted(principal.roles),
            "municipality": principal.municipality,
            "participant_id": participant_id,
            "action": action,
            "purpose": purpose[:200] if purpose else None,
            "correlation_id": correlation_id(request),
        }
        for participant_id in participant_ids
    ]
    if rows:
        await conn.execute(sa.insert(audit_log), rows)


async def reads_of(
    conn: AsyncConnection, participant_id: uuid.UUID, municipality: str, *, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """One page of the reads of the participant's personal data, oldest first (the log's id
    breaks ties), and how many there are in all."""
    query = (
        sa.select(audit_log)
        .where(
            audit_log.c.participant_id == participant_id, audit_log.c.municipality == municipality
        )
        .order_by(audit_log.c.at, audit_log.c.id)
    )
    rows = await conn.execute(query.limit(limit).offset(offset))
    reads = [
        {
            "at": row.at.isoformat(),
            "actor": row.actor,
            "roles": list(row.roles),
            "action": row.action,
            "purpose": row.purpose,
            "correlation_id": row.correlation_id,
        }
        for row in rows
    ]
    return reads, await count_of(conn, query)
