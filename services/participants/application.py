"""Use cases of the participants service: load, decide, append in one transaction."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from services.participants import domain, personal_data
from services.participants.events import ArrivalCategory
from services.participants.projections import find_by_national_id
from services.participants.tables import participant_summary
from shared.commands import CommandResult
from shared.events import Metadata
from shared.problems import Conflict, NotFound
from shared.service import Runtime


async def load(
    runtime: Runtime, conn: AsyncConnection, participant_id: uuid.UUID, municipality: str
) -> tuple[domain.Participant, int]:
    """The participant's state and version; another municipality's participant is 404."""
    stream_id = str(participant_id)
    owner = await runtime.store.stream_municipality(conn, stream_id)
    if owner != municipality:
        raise NotFound(f"No participant {participant_id} in municipality {municipality}.")
    envelopes = await runtime.store.load(conn, stream_id)
    state = domain.fold(runtime.store.decode(e) for e in envelopes)
    return state, envelopes[-1].stream_version if envelopes else 0


async def register_participant(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    *,
    given_name: str,
    family_name: str,
    birth_date: date,
    national_id: str,
) -> CommandResult:
    existing = await find_by_national_id(conn, runtime.settings, metadata.municipality, national_id)
    if existing is not None:
        raise Conflict(
            "A participant with this national id is already registered.",
            existing_id=str(existing),
        )
    participant_id = uuid.uuid4()
    key = await personal_data.create_key(conn, participant_id)
    sealed = personal_data.seal(
        key,
        participant_id,
        {
            "given_name": given_name,
            "family_name": family_name,
            "birth_date": birth_date.isoformat(),
            "national_id": national_id,
        },
    )
    try:
        envelopes = await runtime.append(
            conn,
            str(participant_id),
            domain.STREAM_TYPE,
            domain.register(participant_id, birth_date, sealed),
            expected_version=0,
            metadata=metadata,
        )
    except IntegrityError as exc:
        raise Conflict("A participant with this national id was registered just now.") from exc
    return CommandResult(201, {"id": str(participant_id), "version": envelopes[-1].stream_version})


async def settle_participant(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    participant_id: uuid.UUID,
    *,
    settled_on: date,
    arrival_category: ArrivalCategory,
    today: date,
    expected_version: int | None,
) -> CommandResult:
    state, version = await load(runtime, conn, participant_id, metadata.municipality)
    try:
        events = domain.settle(state, settled_on, arrival_category, today)
    except domain.DomainRuleViolation as exc:
        raise Conflict(str(exc), current_version=version) from exc
    envelopes = await runtime.append(
        conn,
        str(participant_id),
        domain.STREAM_TYPE,
        events,
        expected_version=version if expected_version is None else expected_version,
        metadata=metadata,
    )
    return CommandResult(
        201,
        {
            "participant_id": str(participant_id),
            "settled_on": settled_on.isoformat(),
            "arrival_category": arrival_category.value,
            "version": envelopes[-1].stream_version,
        },
    )


async def participant_view(
    conn: AsyncConnection, participant_id: uuid.UUID, municipality: str, *, with_personal_data: bool
) -> dict[str, Any]:
    row = (
        await conn.execute(
            sa.select(participant_summary).where(
                participant_summary.c.participant_id == participant_id,
                participant_summary.c.municipality == municipality,
            )
        )
    ).one_or_none()
    if row is None:
        raise NotFound(f"No participant {participant_id} in municipality {municipality}.")
    view: dict[str, Any] = {
        "id": str(row.participant_id),
        "municipality": row.municipality,
        "birth_year": row.birth_year,
        "settled_on": row.settled_on.isoformat() if row.settled_on else None,
        "arrival_category": row.arrival_category,
        "version": row.version,
    }
    if with_personal_data:
        key = await personal_data.load_key(conn, participant_id)
        details = (
            personal_data.unseal(key, participant_id, row.sealed_details)
            if key is not None and row.sealed_details
            else None
        )
        view["personal_data"] = details
    return view
