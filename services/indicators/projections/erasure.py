"""Erasure: on ``participant.erased`` the person's pseudonymous id is replaced everywhere.

In the fact tables and in the kit's inbox (``received_events``) the id becomes an alias
derived from the erasure event's id, so counts stay reproducible while nothing links
back to the person.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from services.indicators import tables as t
from services.indicators.projections.facts import MATCHING_FEED, PARTICIPANTS_FEED, insert
from shared.events import Envelope
from shared.projection import Batch

ERASED = "participants.participant.erased.v1"
ERASURE_ALIASES = uuid.UUID("6f1c1c8e-3f43-4c47-9a57-0d5a3cbb1e59")
"""Namespace of the aliases that replace an erased participant's id."""


def erasure_alias(erasure_event_id: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(ERASURE_ALIASES, str(erasure_event_id))


async def erase(batch: Batch, envelope: Envelope) -> None:
    """Replace the participant's id by an unlinkable alias in facts and in the inbox.

    Why the inbox too: replay rebuilds from ``received_events``; if the payloads kept
    the id, a rebuild would bring it back. A replayed erasure finds its own alias
    and changes nothing, so replay still equals the incremental result.
    """
    raw = envelope.data.get("participant_id")
    assert raw
    participant_id = uuid.UUID(str(raw))
    alias = erasure_alias(envelope.id)
    insert(
        batch,
        t.erasures,
        {
            "event_id": envelope.id,
            "alias": alias,
            "municipality": envelope.municipality,
            "recorded_at": envelope.recorded_at,
        },
    )
    if participant_id == alias:
        return
    for table in t.PARTICIPANT_KEYED:
        await batch.execute(
            sa.update(table)
            .where(table.c.participant_id == participant_id)
            .values(participant_id=alias)
        )
    await batch.execute(
        sa.text(
            """
            UPDATE received_events
            SET payload = jsonb_set(payload, '{data,participant_id}', to_jsonb(CAST(:alias AS text)))
                || CASE WHEN payload->>'streamid' = :pid
                        THEN jsonb_build_object('streamid', CAST(:alias AS text),
                                                'subject', CAST(:alias AS text))
                        ELSE '{}'::jsonb END
            WHERE consumer IN (:participants, :matching)
              AND payload->'data'->>'participant_id' = :pid
            """
        ),
        {
            "alias": str(alias),
            "pid": str(participant_id),
            "participants": PARTICIPANTS_FEED,
            "matching": MATCHING_FEED,
        },
    )
