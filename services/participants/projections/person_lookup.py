"""``person_lookup``: a keyed digest of each national id a participant was recorded with."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa

from services.participants import events as ev
from services.participants import personal_data
from services.participants.projections.participant_summary import decode, participant_key
from services.participants.tables import (
    matching_timeline,
    minor_shared_home_stays,
    participant_keys,
    person_lookup,
)
from shared.events import Envelope
from shared.projection import OWN_EVENTS, ApplyBatch, Batch, Key, Projection
from shared.settings import Settings


def _keys_read(envelopes: Sequence[Envelope]) -> dict[sa.Table, set[Key]]:
    """The keys that open the personal details recorded in ``envelopes``."""
    recorded = {
        participant_key(e) for e in envelopes if e.type_name == ev.PersonalDetailsRecorded.type_name
    }
    return {participant_keys: recorded}


def _lookup_folder(settings: Settings) -> ApplyBatch:
    async def fold(batch: Batch, envelopes: Sequence[Envelope]) -> None:
        await batch.load(participant_keys, _keys_read(envelopes)[participant_keys])
        for envelope in envelopes:
            if envelope.type_name == ev.ParticipantErased.type_name:
                erased_id = uuid.UUID(envelope.data["participant_id"])
                await batch.execute(
                    sa.delete(person_lookup).where(person_lookup.c.participant_id == erased_id)
                )
                for table in (matching_timeline, minor_shared_home_stays):
                    await batch.execute(sa.delete(table).where(table.c.participant_id == erased_id))
                continue
            if envelope.type_name != ev.PersonalDetailsRecorded.type_name:
                continue
            event = decode(envelope)
            assert isinstance(event, ev.PersonalDetailsRecorded)
            sealing = batch.row(participant_keys, (event.participant_id,))
            if sealing is None:
                continue
            details = personal_data.unseal(
                bytes(sealing["key"]), event.participant_id, event.sealed
            )
            digest = personal_data.national_id_digest(settings.lookup_key, details["national_id"])
            # Earlier numbers stay: a person found by the old D-number keeps being found.
            batch.insert(
                person_lookup,
                municipality=envelope.municipality,
                national_id_digest=digest,
                participant_id=event.participant_id,
            )

    return fold


def person_lookup_projection(settings: Settings) -> Projection:
    """The lookup under the deployment's lookup key (``settings.lookup_key``)."""
    return Projection(
        "person_lookup",
        OWN_EVENTS,
        (person_lookup,),
        apply_batch=_lookup_folder(settings),
        keys=_keys_read,
    )
