"""A household's housing history as recorded in its stream."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from services.housing import domain
from shared.problems import NotFound
from shared.service import Runtime

_DATE_FIELDS = (
    "received_on",
    "decided_on",
    "starts_on",
    "ends_on",
    "evicted_on",
    "agreed_on",
    "applied_on",
    "disbursed_on",
    "became_owner_on",
)


async def household_timeline(
    runtime: Runtime, conn: AsyncConnection, household_id: uuid.UUID, municipality: str
) -> list[dict[str, Any]]:
    """Every fact recorded for the household, oldest first (empty if none yet)."""
    stream_id = domain.household_stream(household_id)
    owner = await runtime.store.stream_municipality(conn, stream_id)
    if owner is None:
        return []
    if owner != municipality:
        raise NotFound(f"No household {household_id} in municipality {municipality}.")
    entries = []
    for envelope in await runtime.store.load(conn, stream_id):
        details = {k: v for k, v in envelope.data.items() if k not in ("household_id", "sealed")}
        on = next((details[name] for name in _DATE_FIELDS if details.get(name)), None)
        entries.append(
            {
                "version": envelope.stream_version,
                "on": on,
                "event": envelope.type_name,
                "recorded_at": envelope.recorded_at.isoformat(),
                "details": details,
            }
        )
    return entries
