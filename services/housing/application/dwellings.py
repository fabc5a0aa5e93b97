"""The rental stock: registering and changing dwellings; the rent basis on a day."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from services.housing import domain, queries
from services.housing.application.aggregates import (
    append_new,
    domain_rules,
    load_dwelling,
    lock_streams,
)
from shared.commands import CommandResult
from shared.dates import today
from shared.events import Metadata
from shared.problems import NotFound
from shared.service import Runtime


async def register_dwelling(
    runtime: Runtime, conn: AsyncConnection, metadata: Metadata, **attributes: Any
) -> CommandResult:
    """``attributes``: the address and the attributes :func:`domain.register_dwelling` takes."""
    dwelling_id = uuid.uuid4()
    with domain_rules():
        events = domain.register_dwelling(dwelling_id, **attributes, today=today())
    await append_new(
        runtime, conn, metadata, domain.dwelling_stream(dwelling_id), domain.DWELLING, events
    )
    return CommandResult(201, await queries.dwelling_view(conn, dwelling_id, metadata.municipality))


async def change_dwelling(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    dwelling_id: uuid.UUID,
    *,
    changed_on: date,
    changes: dict[str, Any],
    address: str | None,
    expected_version: int | None,
) -> CommandResult:
    await lock_streams(conn, domain.dwelling_stream(dwelling_id))
    state, version = await load_dwelling(runtime, conn, dwelling_id, metadata.municipality)
    with domain_rules(version):
        events = domain.change_dwelling(
            state, changed_on, today=today(), address=address, **changes
        )
    await runtime.append(
        conn,
        domain.dwelling_stream(dwelling_id),
        domain.DWELLING,
        events,
        expected_version=version if expected_version is None else expected_version,
        metadata=metadata,
    )
    return CommandResult(200, await queries.dwelling_view(conn, dwelling_id, metadata.municipality))


async def rent_basis(
    runtime: Runtime,
    conn: AsyncConnection,
    dwelling_id: uuid.UUID,
    municipality: str,
    on: date,
    known_at: datetime | None = None,
) -> domain.RentBasis | None:
    """The dwelling's size, standard and valuation in force on ``on`` (by effective date),
    as recorded by ``known_at`` (default: everything recorded so far)."""
    stream_id = domain.dwelling_stream(dwelling_id)
    if await runtime.store.stream_municipality(conn, stream_id) != municipality:
        raise NotFound(f"No dwelling {dwelling_id} in municipality {municipality}.")
    envelopes = await runtime.store.load(conn, stream_id, recorded_until=known_at)
    return domain.basis_on([runtime.store.decode(e) for e in envelopes], on)
