"""``person_lookup``: a keyed digest of each national id a participant was recorded with."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncConnection

from services.participants import events as ev
from services.participants import personal_data
from services.participants.tables import matching_timeline, person_lookup
from shared.events import Envelope
from shared.projection import OWN_EVENTS, Apply, Projection
from shared.settings import Settings


def _lookup_applier(settings: Settings) -> Apply:
    async def apply(conn: AsyncConnection, envelope: Envelope) -> None:
        if envelope.type_name == ev.ParticipantErased.type_name:
            erased_id = uuid.UUID(envelope.data["participant_id"])
            await conn.execute(
                sa.delete(person_lookup).where(person_lookup.c.participant_id == erased_id)
            )
            await conn.execute(
                sa.delete(matching_timeline).where(matching_timeline.c.participant_id == erased_id)
            )
            return
        if envelope.type_name != ev.PersonalDetailsRecorded.type_name:
            return
        event = ev.registry.decode(envelope.type_name, envelope.data)
        assert isinstance(event, ev.PersonalDetailsRecorded)
        key = await personal_data.load_key(conn, event.participant_id)
        if key is None:
            return
        details = personal_data.unseal(key, event.participant_id, event.sealed)
        digest = personal_data.national_id_digest(settings.lookup_key, details["national_id"])
        # Earlier numbers stay: a person found by the old D-number keeps being found.
        await conn.execute(
            pg.insert(person_lookup)
            .values(
                municipality=envelope.municipality,
                national_id_digest=digest,
                participant_id=event.participant_id,
            )
            .on_conflict_do_nothing()
        )

    return apply


def person_lookup_projection(settings: Settings) -> Projection:
    """The lookup under the deployment's lookup key (``settings.lookup_key``)."""
    return Projection("person_lookup", OWN_EVENTS, (person_lookup,), _lookup_applier(settings))
