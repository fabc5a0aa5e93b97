"""Read models of the participants service, fed inline from its own events."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncConnection

from services.participants import personal_data
from services.participants.events import (
    ParticipantRegistered,
    ParticipantSettled,
    PersonalDetailsRecorded,
    registry,
)
from services.participants.tables import participant_summary, person_lookup
from shared.events import Envelope
from shared.projection import OWN_EVENTS, Apply, Projection
from shared.settings import Settings


async def _apply_summary(conn: AsyncConnection, envelope: Envelope) -> None:
    event = registry.decode(envelope.type_name, envelope.data)
    table = participant_summary
    if isinstance(event, ParticipantRegistered):
        await conn.execute(
            pg.insert(table)
            .values(
                participant_id=event.participant_id,
                municipality=envelope.municipality,
                birth_year=event.birth_year,
                registered_at=envelope.recorded_at,
                version=envelope.stream_version,
            )
            .on_conflict_do_nothing()
        )
    elif isinstance(event, PersonalDetailsRecorded):
        await conn.execute(
            sa.update(table)
            .where(table.c.participant_id == event.participant_id)
            .values(sealed_details=event.sealed, version=envelope.stream_version)
        )
    elif isinstance(event, ParticipantSettled):
        await conn.execute(
            sa.update(table)
            .where(table.c.participant_id == event.participant_id)
            .values(
                settled_on=event.settled_on,
                arrival_category=event.arrival_category.value,
                version=envelope.stream_version,
            )
        )


def _lookup_applier(settings: Settings) -> Apply:
    async def apply(conn: AsyncConnection, envelope: Envelope) -> None:
        if envelope.type_name != PersonalDetailsRecorded.type_name:
            return
        event = registry.decode(envelope.type_name, envelope.data)
        assert isinstance(event, PersonalDetailsRecorded)
        key = await personal_data.load_key(conn, event.participant_id)
        if key is None:
            return
        details = personal_data.unseal(key, event.participant_id, event.sealed)
        digest = personal_data.national_id_digest(settings.lookup_key, details["national_id"])
        await conn.execute(
            pg.insert(person_lookup)
            .values(
                municipality=envelope.municipality,
                national_id_digest=digest,
                participant_id=event.participant_id,
            )
            .on_conflict_do_update(
                index_elements=["municipality", "national_id_digest"],
                set_={"participant_id": event.participant_id},
            )
        )

    return apply


def projections(settings: Settings) -> list[Projection]:
    return [
        Projection("participant_summary", OWN_EVENTS, (participant_summary,), _apply_summary),
        Projection("person_lookup", OWN_EVENTS, (person_lookup,), _lookup_applier(settings)),
    ]


async def find_by_national_id(
    conn: AsyncConnection, settings: Settings, municipality: str, national_id: str
) -> uuid.UUID | None:
    digest = personal_data.national_id_digest(settings.lookup_key, national_id)
    found = await conn.scalar(
        sa.select(person_lookup.c.participant_id).where(
            person_lookup.c.municipality == municipality,
            person_lookup.c.national_id_digest == digest,
        )
    )
    return found if isinstance(found, uuid.UUID) else None
