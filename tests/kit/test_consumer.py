"""Durable consumers against real PostgreSQL and NATS: a redelivered event changes
nothing, a poisoned one is dead-lettered without blocking the rest, and consumers
carry on after nats-server restarts."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Set as AbstractSet
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection

from deploy.embedded import EmbeddedNats, free_port
from services.indicators.api import ROUTERS as INDICATOR_ROUTERS
from services.indicators.app import create_app as indicators_app
from services.indicators.projections import PROJECTIONS as INDICATOR_PROJECTIONS
from services.indicators.tables import settlements
from services.participants.app import create_app as participants_app
from shared.events import Envelope, EventRegistry
from shared.projection import Batch, Projection, apply_batch
from shared.service import Feed, ServiceDefinition, build_app
from shared.settings import Settings
from tests.kit.helpers import (
    SETTLED,
    database,
    nats_client,
    reaches,
    register,
    register_and_settle,
    rows,
    scalar,
    settle,
    settled_count,
    settled_event_id,
)
from tests.support import running

pytestmark = pytest.mark.timeout(90)

FEED = "participants"


def _instrumented_indicators(
    settings: Settings, attempts: Counter[str], poisoned: AbstractSet[str] = frozenset()
) -> FastAPI:
    """The indicators service whose settlement projection counts its calls per participant
    and fails for the ``poisoned`` ones."""
    [counting] = [p for p in INDICATOR_PROJECTIONS if p.name == "settlements"]

    async def apply(conn: AsyncConnection, envelope: Envelope) -> None:
        participant_id = str(envelope.data.get("participant_id"))
        if envelope.type_name == SETTLED:
            attempts[participant_id] += 1
            if participant_id in poisoned:
                raise RuntimeError(f"settlement of {participant_id} cannot be counted")
        await apply_batch(Batch(conn), [counting], [envelope])

    return build_app(
        ServiceDefinition(
            name="indicators",
            title="indicators, instrumented",
            description="The indicators service with a counting settlement projection.",
            registry=EventRegistry(),
            routers=INDICATOR_ROUTERS,
            projections=[Projection("settlements", FEED, (settlements,), apply)],
            feeds=[Feed(FEED, "participants")],
        ),
        settings,
    )


async def test_an_event_redelivered_after_the_duplicate_window_leaves_the_projection_unchanged(
    settings: Settings,
) -> None:
    stream = settings.stream_name("participants")
    applied: Counter[str] = Counter()
    async with (
        database(settings, "participants") as participants_db,
        database(settings, "indicators") as indicators_db,
        running(participants_app(settings)) as participants,
        running(_instrumented_indicators(settings, applied)) as indicators,
    ):
        participant_id = await register_and_settle(participants, settings)
        await reaches(lambda: settled_count(indicators, settings), 1)
        event_id = await settled_event_id(participants_db, participant_id)
        [published] = await rows(
            participants_db,
            "SELECT subject, payload FROM outbox WHERE event_id = :id AND published_at IS NOT NULL",
            id=event_id,
        )

        async with nats_client(settings.nats_url) as nc:
            js = nc.jetstream()
            # Inside the window JetStream itself drops the copy (its ack names the original)...
            inside = await js.publish(
                published.subject,
                bytes(published.payload),
                stream=stream,
                headers={"Nats-Msg-Id": str(event_id)},
            )
            assert inside.duplicate
            # ...after it, the copy is stored again: same CloudEvent, new message id.
            late = await js.publish(
                published.subject,
                bytes(published.payload),
                stream=stream,
                headers={"Nats-Msg-Id": f"{event_id}-after-the-window"},
            )
            assert not late.duplicate
            assert late.seq > inside.seq

        async def checkpoint() -> int:
            return int(
                await scalar(
                    indicators_db,
                    "SELECT source_sequence FROM consumer_checkpoints WHERE consumer = :c",
                    c=FEED,
                )
                or 0
            )

        # The consumer has taken the copy (its checkpoint moved past it) and changed nothing.
        await reaches(checkpoint, late.seq)
        assert await settled_count(indicators, settings) == 1
        assert await scalar(indicators_db, "SELECT count(*) FROM settlements") == 1
        received = await rows(
            indicators_db,
            "SELECT source_sequence FROM received_events WHERE event_id = :id",
            id=event_id,
        )
        assert [row.source_sequence for row in received] == [inside.seq]
        assert applied[participant_id] == 1


async def test_an_event_whose_handler_always_fails_is_dead_lettered_and_later_events_still_apply(
    settings: Settings,
) -> None:
    local = settings.model_copy(update={"consumer_max_deliveries": 3})
    poisoned: set[str] = set()
    attempts: Counter[str] = Counter()
    async with (
        database(local, "participants") as participants_db,
        database(local, "indicators") as indicators_db,
        running(participants_app(local)) as participants,
        running(_instrumented_indicators(local, attempts, poisoned)),
    ):
        first, bad, after = [await register(participants, local) for _ in range(3)]
        poisoned.add(bad)
        for participant_id in (first, bad, after):
            await settle(participants, local, participant_id, "2025-02-01")

        async def dead_letters() -> int:
            return int(await scalar(indicators_db, "SELECT count(*) FROM dead_letters"))

        await reaches(dead_letters, 1)
        last = await register(participants, local)
        await settle(participants, local, last, "2025-02-02")

        async def counted() -> set[str]:
            found = await rows(indicators_db, "SELECT participant_id FROM settlements")
            return {str(row.participant_id) for row in found}

        await reaches(counted, {first, after, last})

        bad_event = await settled_event_id(participants_db, bad)
        [letter] = await rows(indicators_db, "SELECT * FROM dead_letters")
        assert letter.consumer == FEED
        assert letter.event_id == str(bad_event)
        assert letter.deliveries == local.consumer_max_deliveries == 3
        assert "RuntimeError" in letter.error
        # Types and code locations only: a message may quote the event's values.
        assert "test_consumer.py" in letter.error
        assert "cannot be counted" not in letter.error
        assert letter.subject == f"{local.subject_prefix('participants')}.participant.settled"
        assert json.loads(letter.payload)["id"] == str(bad_event)
        assert attempts[bad] == local.consumer_max_deliveries
        # A good event fetched in one batch with the bad one ran once in that batch's
        # rolled-back transaction and once more on its own; it is never retried with
        # the bad one's redeliveries.
        assert all(attempts[p] in (1, 2) for p in (first, after, last))
        assert (
            await scalar(
                indicators_db,
                "SELECT count(*) FROM received_events WHERE event_id = :id",
                id=bad_event,
            )
            == 0
        )

        async def outstanding() -> tuple[int, int]:
            async with nats_client(local.nats_url) as nc:
                info = await nc.jetstream().consumer_info(
                    local.stream_name("participants"), f"{local.namespace}_indicators_{FEED}"
                )
            return int(info.num_ack_pending), int(info.num_pending)

        # Nothing is left to redeliver: the dead letter was acknowledged.
        await reaches(outstanding, (0, 0))
        assert attempts[bad] == local.consumer_max_deliveries


async def test_a_message_that_is_not_a_cloudevent_is_dead_lettered_without_blocking_the_feed(
    settings: Settings,
) -> None:
    async with (
        database(settings, "indicators") as indicators_db,
        running(participants_app(settings)) as participants,
        running(indicators_app(settings)) as indicators,
    ):
        await register_and_settle(participants, settings)
        await reaches(lambda: settled_count(indicators, settings), 1)
        async with nats_client(settings.nats_url) as nc:
            await nc.jetstream().publish(
                f"{settings.subject_prefix('participants')}.participant.settled",
                b"{not json",
                stream=settings.stream_name("participants"),
                headers={"Nats-Msg-Id": str(uuid.uuid4())},
            )
        await register_and_settle(participants, settings)
        await reaches(lambda: settled_count(indicators, settings), 2)

        async def letters() -> list[tuple[str | None, bytes]]:
            found = await rows(indicators_db, "SELECT event_id, payload FROM dead_letters")
            return [(row.event_id, bytes(row.payload)) for row in found]

        await reaches(letters, [(None, b"{not json")])
        error = await scalar(indicators_db, "SELECT error FROM dead_letters")
        assert error.startswith("undecodable")


async def test_consumers_keep_applying_events_after_nats_server_restarts(
    settings: Settings, tmp_path: Path
) -> None:
    server = EmbeddedNats(tmp_path / "nats", free_port())
    server.start()
    local = settings.model_copy(update={"nats_url": server.url, "relay_max_backoff_seconds": 0.5})
    try:
        async with (
            running(participants_app(local)) as participants,
            running(indicators_app(local)) as indicators,
        ):
            for _ in range(3):
                await register_and_settle(participants, local)
            await reaches(lambda: settled_count(indicators, local), 3)

            # Once while idle, then twice with events still on their way (in the outbox,
            # in the stream, or being applied) when the server dies.
            server.kill()
            server.start()  # same port, same store
            for _ in range(3):
                await register_and_settle(participants, local)
            await reaches(lambda: settled_count(indicators, local), 6, timeout=45)
            for _ in range(2):
                for _ in range(3):
                    await register_and_settle(participants, local)
                server.kill()
                server.start()
            await reaches(lambda: settled_count(indicators, local), 12, timeout=45)
    finally:
        server.stop()
