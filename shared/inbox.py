"""The inbox (``received_events``): minimised copies of other services' events.

A consumer keeps, per event, only what its service's read models need: a
:class:`Feed <shared.service.Feed>` names a ``keep`` function per event type, and
the consumer stores — and hands its projections — the envelope with ``data``
reduced to what that function returns. Because live handling and replay
(:mod:`shared.replay`) both see exactly the minimised copy, a read model rebuilt
from the inbox equals the one built live, and a field nobody keeps is gone for good.

:func:`scrub_inbox` forgets a person: every inbox copy and dead letter that names
them is removed in the caller's transaction (a service's erasure handler).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from shared import tables
from shared.events import CLOUDEVENTS_TYPE_PREFIX, ENVELOPE_ATTRIBUTES, Envelope

KeepFields = Callable[[dict[str, Any]], dict[str, Any] | None]
"""``payload_data -> dict | None``: the fields of one event type a service keeps."""

Keep = Mapping[str, KeepFields]
"""Event type name (``participants.participant.settled.v1``) -> its :data:`KeepFields`."""

SCRUBBED = "scrubbed"
"""Key of an inbox tombstone: the copy is gone, the event id stays to deduplicate."""


def minimise(document: dict[str, Any], keep: Keep | None) -> dict[str, Any]:
    """A received CloudEvent (JSON object) as the inbox stores it and projections see it.

    ``keep=None`` keeps the whole payload (for feeds that have not declared what
    they need). Otherwise a type without a keep function, or whose function returns
    ``None``, keeps an empty ``data`` object: the event still deduplicates and moves
    the checkpoint, but nothing of its payload is stored. Only the CloudEvent
    attributes an envelope has are kept, so what the inbox holds is exactly what
    :func:`received_payload` turns back into the envelope the projections saw.
    """
    kept = {name: document[name] for name in ENVELOPE_ATTRIBUTES if name in document}
    if keep is None:
        kept["data"] = dict(document["data"])
        return kept
    select = keep.get(str(document["type"]).removeprefix(CLOUDEVENTS_TYPE_PREFIX))
    selected = select(dict(document["data"])) if select is not None else None
    kept["data"] = dict(selected or {})
    return kept


def keep_fields(*names: str) -> KeepFields:
    """A :data:`KeepFields` that keeps the named top-level fields (those present)."""

    def select(data: dict[str, Any]) -> dict[str, Any]:
        return {name: data[name] for name in names if name in data}

    return select


def received_payload(payload: dict[str, Any], event_id: uuid.UUID | None = None) -> Envelope:
    """Turn a ``received_events.payload`` row back into an envelope (for replay).

    ``event_id``: the row's ``event_id`` column, decoded already; ``payload`` must then
    have been decoded for this call alone (its data becomes the envelope's).
    """
    if event_id is None:
        return Envelope.from_cloudevent(payload)
    return Envelope.from_cloudevent(payload, event_id=event_id, fresh=True)


def is_tombstone(payload: dict[str, Any]) -> bool:
    """Whether an inbox row's payload is what :func:`scrub_inbox` left behind."""
    return bool(payload.get(SCRUBBED))


# Anywhere in the CloudEvent (subject, stream id, data at any depth) a string equal
# to the id: the person's own stream and every event that mentions them.
_SCRUB_RECEIVED = sa.text(
    f"""
    UPDATE {tables.received_events.name}
    SET payload = jsonb_build_object('{SCRUBBED}', true)
    WHERE NOT jsonb_exists(payload, '{SCRUBBED}')
      AND jsonb_path_exists(payload, '$.** ? (@ == $id)', jsonb_build_object('id', CAST(:id AS text)))
    """
)
# The consumers' per-stream versions of a stream named after the person (their own).
_FORGET_STREAMS = sa.text(
    f"DELETE FROM {tables.consumer_streams.name} WHERE strpos(stream_id, CAST(:id AS text)) > 0"
)
# Dead letters hold the raw message (it may not even be JSON) and an error text.
_DELETE_DEAD_LETTERS = sa.text(
    f"""
    DELETE FROM {tables.dead_letters.name}
    WHERE position(CAST(:needle AS bytea) IN payload) > 0
       OR strpos(error, CAST(:id AS text)) > 0
       OR event_id = CAST(:id AS text)
    """
)


async def scrub_inbox(conn: AsyncConnection, participant_id: str) -> int:
    """Remove every inbox copy, dead letter and stream version that names ``participant_id``.

    Runs in the caller's transaction, so an erasure handler forgets the person's
    inbox copies atomically with its read models. An inbox row becomes a tombstone
    (event id and type only, payload ``{"scrubbed": true}``): a later redelivery of
    the same event is still recognised as already applied instead of bringing the
    person back, and replay skips it. Returns how many inbox rows were scrubbed.
    """
    scrubbed = await conn.execute(_SCRUB_RECEIVED, {"id": participant_id})
    await conn.execute(_FORGET_STREAMS, {"id": participant_id})
    await conn.execute(
        _DELETE_DEAD_LETTERS, {"id": participant_id, "needle": participant_id.encode()}
    )
    return int(scrubbed.rowcount or 0)
