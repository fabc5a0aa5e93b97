"""The inbox keeps only what a feed says it needs, replay works from those copies, and
an erasure scrubs every copy (and dead letter) that names the person, for good."""

from __future__ import annotations

import uuid
from typing import Any

import nats
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.db import Database
from shared.events import Envelope, EventRegistry
from shared.eventstore import EventStore
from shared.inbox import keep_fields, scrub_inbox
from shared.projection import Projection
from shared.replay import rebuild
from shared.service import Feed, ServiceDefinition, build_app
from shared.settings import Settings
from tests.kit.helpers import database, reaches, rows, scalar
from tests.support import ensure_stream, running

pytestmark = pytest.mark.timeout(90)

SETTLED = "participants.participant.settled.v1"
REGISTERED = "participants.participant.registered.v1"
ERASED = "participants.participant.erased.v1"
HEALTH_NOTE = "Diabetes type 1, insulin"
GIVEN_NAME = "Kari Nordmann-Testesen"

people_metadata = sa.MetaData()
people = sa.Table(
    "kit_inbox_people",
    people_metadata,
    sa.Column("participant_id", sa.Text, primary_key=True),
    sa.Column("settled_on", sa.Text, nullable=False),
)

KEEP = {SETTLED: keep_fields("participant_id", "settled_on"), ERASED: keep_fields("participant_id")}


async def _apply(conn: AsyncConnection, envelope: Envelope) -> None:
    data = envelope.data
    if envelope.type_name == SETTLED:
        if data["participant_id"] == "poisoned":
            raise RuntimeError("this settlement cannot be counted")
        await conn.execute(
            sa.insert(people).values(
                participant_id=data["participant_id"], settled_on=data["settled_on"]
            )
        )
    elif envelope.type_name == ERASED:
        await conn.execute(
            sa.delete(people).where(people.c.participant_id == data["participant_id"])
        )
        await scrub_inbox(conn, data["participant_id"])


PROJECTION = Projection("people", "participants", (people,), _apply)


def _service(settings: Settings) -> FastAPI:
    return build_app(
        ServiceDefinition(
            name="housing",
            title="inbox test",
            description="A consumer of participants' events with a minimising feed.",
            registry=EventRegistry(),
            projections=[PROJECTION],
            feeds=[Feed("participants", "participants", keep=KEEP)],
        ),
        settings,
    )


def _envelope(type_name: str, stream_id: str, data: dict[str, Any]) -> Envelope:
    return Envelope.recorded_now(
        type_name,
        data,
        service="participants",
        stream_id=stream_id,
        municipality="3301",
        actor="caseworker-1",
    )


async def _inbox_copies_naming(db: Database, text: str) -> int:
    """How many inbox rows hold ``text`` anywhere in the received event."""
    sql = "SELECT count(*) FROM received_events WHERE payload::text LIKE :t"
    return int(await scalar(db, sql, t=f"%{text}%"))


async def _publish(settings: Settings, envelope: Envelope, msg_id: str | None = None) -> int:
    """Put ``envelope`` on participants' stream as the relay would; returns its sequence."""
    nc = await nats.connect(settings.nats_url)
    try:
        js = nc.jetstream()
        await ensure_stream(js, settings, "participants", keep_existing=True)
        suffix = ".".join(envelope.type_name.split(".")[1:3])
        ack = await js.publish(
            f"{settings.subject_prefix('participants')}.{suffix}",
            envelope.to_json(),
            headers={"Nats-Msg-Id": msg_id or str(envelope.id)},
        )
        return int(ack.seq)
    finally:
        await nc.close()


async def test_the_inbox_keeps_only_what_the_feed_needs_and_replay_rebuilds_from_it(
    settings: Settings,
) -> None:
    local = settings.model_copy(update={"consumer_max_deliveries": 2})
    kept, erased, poisoned = str(uuid.uuid4()), str(uuid.uuid4()), "poisoned"
    async with database(local, "housing") as db:
        async with db.transaction() as conn:
            await conn.run_sync(people_metadata.create_all)
        async with running(_service(local)):
            settled: dict[str, Envelope] = {}
            for pid in (kept, erased, poisoned):
                await _publish(
                    local,
                    _envelope(
                        REGISTERED,
                        pid,
                        {"participant_id": pid, "given_name": GIVEN_NAME, "health": HEALTH_NOTE},
                    ),
                )
                settled[pid] = _envelope(
                    SETTLED,
                    pid,
                    {
                        "participant_id": pid,
                        "settled_on": "2025-03-01",
                        "household_size": 3,
                        "health_note": HEALTH_NOTE,
                    },
                )
                await _publish(local, settled[pid])

            async def model() -> set[tuple[str, str]]:
                found = await rows(db, "SELECT participant_id, settled_on FROM kit_inbox_people")
                return {(r.participant_id, r.settled_on) for r in found}

            await reaches(model, {(kept, "2025-03-01"), (erased, "2025-03-01")})
            await reaches(lambda: scalar(db, "SELECT count(*) FROM dead_letters"), 1)

            # Only the kept fields are stored; a type the feed does not keep has no data.
            stored = await rows(db, "SELECT type, payload FROM received_events ORDER BY seq")
            by_type: dict[str, list[dict[str, Any]]] = {}
            for row in stored:
                by_type.setdefault(row.type, []).append(row.payload["data"])
            assert by_type[REGISTERED] == [{}, {}, {}]
            assert sorted(d["participant_id"] for d in by_type[SETTLED]) == sorted([kept, erased])
            assert all(set(d) == {"participant_id", "settled_on"} for d in by_type[SETTLED])
            # The dead letter of the poisoned event is minimised like an inbox copy.
            [letter] = await rows(db, "SELECT payload FROM dead_letters")
            assert b"settled_on" in bytes(letter.payload)
            for text in (HEALTH_NOTE, GIVEN_NAME):
                assert await _inbox_copies_naming(db, text) == 0
                assert text.encode() not in bytes(letter.payload)

            # Replay from the minimised inbox gives the same read model.
            store = EventStore("housing", EventRegistry(), local.subject_prefix("housing"))
            before = await model()
            assert await rebuild(db, store, PROJECTION) == 5
            assert await model() == before

            # Erasure: the read model and every inbox copy and dead letter naming the
            # person go; others stay.
            await _publish(local, _envelope(ERASED, erased, {"participant_id": erased}))
            await reaches(model, {(kept, "2025-03-01")})
            await _publish(local, _envelope(ERASED, poisoned, {"participant_id": poisoned}))
            await reaches(lambda: scalar(db, "SELECT count(*) FROM dead_letters"), 0)
            for pid in (erased, poisoned):
                assert await _inbox_copies_naming(db, pid) == 0
            assert await _inbox_copies_naming(db, kept) == 2

            # A late redelivery of the erased person's settlement does not bring them back.
            late = await _publish(local, settled[erased], msg_id=f"{settled[erased].id}-late")

            async def checkpoint() -> int:
                return int(
                    await scalar(db, "SELECT source_sequence FROM consumer_checkpoints") or 0
                )

            await reaches(checkpoint, late)
            assert await model() == {(kept, "2025-03-01")}

            # Replay skips the scrubbed copies.
            await rebuild(db, store, PROJECTION)
            assert await model() == {(kept, "2025-03-01")}


async def test_scrub_inbox_in_a_rolled_back_transaction_changes_nothing(
    settings: Settings,
) -> None:
    pid = str(uuid.uuid4())
    async with database(settings, "housing") as db:
        async with db.transaction() as conn:
            await conn.execute(
                sa.text(
                    "INSERT INTO received_events (consumer, event_id, type, source_sequence, payload)"
                    " VALUES ('participants', :eid, :type, 1, CAST(:payload AS jsonb))"
                ),
                {
                    "eid": uuid.uuid4(),
                    "type": SETTLED,
                    "payload": _envelope(SETTLED, pid, {"participant_id": pid}).to_json().decode(),
                },
            )
        with pytest.raises(RuntimeError):
            async with db.transaction() as conn:
                assert await scrub_inbox(conn, pid) == 1
                raise RuntimeError("the erasure failed later in its transaction")
        assert await _inbox_copies_naming(db, pid) == 1
