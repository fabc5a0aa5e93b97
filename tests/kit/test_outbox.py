"""The outbox relay against real PostgreSQL and NATS: a committed event survives a crash
of its writer or of the relay and reaches consumers once; a rolled-back one never leaves."""

from __future__ import annotations

import asyncio
import signal
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path

import httpx
import pytest

from deploy.embedded import EmbeddedNats, free_port
from services.indicators.app import create_app as indicators_app
from services.participants.app import create_app as participants_app
from services.participants.events import ArrivalCategory, ParticipantSettled
from shared.db import Database
from shared.outbox import OutboxRelay
from shared.service import Runtime
from shared.settings import Settings
from tests.kit.crashing_writer import MARKER
from tests.kit.helpers import (
    connected_bus,
    database,
    document_streams,
    kit_metadata,
    nats_client,
    outbox_event_ids,
    outbox_rows,
    outbox_streams,
    reaches,
    register_and_settle,
    scalar,
    settled_count,
    settled_event_id,
    stream_documents,
    unpublished,
)
from tests.support import python_module, running

pytestmark = pytest.mark.timeout(90)


async def _run_crashing_writer(settings: Settings) -> str:
    proc = await python_module(
        settings,
        "tests.kit.crashing_writer",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=settings.env,
        log_level="WARNING",
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == -signal.SIGKILL, err.decode()
    lines = [line for line in out.decode().splitlines() if line.startswith(MARKER)]
    assert len(lines) == 1, (out.decode(), err.decode())
    return lines[0].removeprefix(MARKER)


async def _received(indicators_db: Database, event_id: uuid.UUID) -> int:
    return int(
        await scalar(
            indicators_db,
            "SELECT count(*) FROM received_events WHERE event_id = :id",
            id=event_id,
        )
    )


async def test_an_event_committed_by_a_writer_killed_before_publishing_is_published_and_applied_once(
    settings: Settings,
) -> None:
    participant_id = await _run_crashing_writer(settings)

    async with (
        database(settings, "participants") as participants_db,
        database(settings, "indicators") as indicators_db,
    ):
        event_id = await settled_event_id(participants_db, participant_id)
        # The writer died with its outbox rows committed and none of them published.
        committed = await outbox_event_ids(participants_db)
        assert str(event_id) in committed
        assert await unpublished(participants_db) == len(committed)

        async with (
            running(participants_app(settings)),
            running(indicators_app(settings)) as indicators,
        ):
            await reaches(lambda: settled_count(indicators, settings), 1)
            await reaches(lambda: unpublished(participants_db), 0)
            assert await _received(indicators_db, event_id) == 1

        docs = await stream_documents(settings.nats_url, settings.stream_name("participants"))
        assert document_streams(docs) == await outbox_streams(participants_db)
        assert await scalar(indicators_db, "SELECT count(*) FROM settlements") == 1


async def test_a_relay_that_crashed_before_marking_rows_published_republishes_them_without_duplicates(
    settings: Settings,
) -> None:
    writer = participants_app(settings)  # lifespan not run: no relay of its own
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=writer), base_url="http://writer"
        ) as client:
            participant_id = await register_and_settle(client, settings)
    finally:
        await writer.state.runtime.db.dispose()

    stream = settings.stream_name("participants")
    async with (
        database(settings, "participants") as participants_db,
        database(settings, "indicators") as indicators_db,
    ):
        committed = await outbox_event_ids(participants_db)
        async with connected_bus(settings, "kit-test-relay", "participants") as bus:
            relay = OutboxRelay(participants_db, bus, settings, "participants")
            assert await relay.publish_pending() == len(committed)
            assert await unpublished(participants_db) == 0
            # The process died after JetStream acknowledged but before the mark committed.
            async with participants_db.transaction() as conn:
                await conn.exec_driver_sql("UPDATE outbox SET published_at = NULL")
            assert await unpublished(participants_db) == len(committed)
            assert (await bus.js.stream_info(stream)).state.messages == len(committed)

        event_id = await settled_event_id(participants_db, participant_id)
        async with (
            running(participants_app(settings)),
            running(indicators_app(settings)) as indicators,
        ):
            await reaches(lambda: unpublished(participants_db), 0)
            await reaches(lambda: settled_count(indicators, settings), 1)
            assert await _received(indicators_db, event_id) == 1

        async with nats_client(settings.nats_url) as nc:
            info = await nc.jetstream().stream_info(stream)
        assert info.state.messages == len(committed)
        docs = await stream_documents(settings.nats_url, stream)
        assert document_streams(docs) == await outbox_streams(participants_db)
        assert await scalar(indicators_db, "SELECT count(*) FROM settlements") == 1


async def _append_then_fail(runtime: Runtime) -> str:
    stream_id = str(uuid.uuid4())
    with pytest.raises(RuntimeError, match="after the append"):
        async with runtime.db.transaction() as conn:
            await runtime.append(
                conn,
                stream_id,
                "participant",
                [
                    ParticipantSettled(
                        participant_id=uuid.UUID(stream_id),
                        settled_on=date(2025, 6, 1),
                        arrival_category=ArrivalCategory.other,
                    )
                ],
                expected_version=0,
                metadata=kit_metadata(),
            )
            raise RuntimeError("the command failed after the append")
    runtime.relay.notify()
    return stream_id


async def _traces(participants_db: Database, stream_id: str) -> tuple[int, int]:
    """How many events and outbox rows mention ``stream_id``."""
    events = await scalar(
        participants_db, "SELECT count(*) FROM events WHERE stream_id = :s", s=stream_id
    )
    outbox = await scalar(
        participants_db,
        "SELECT count(*) FROM outbox WHERE convert_from(payload, 'UTF8') LIKE '%' || :s || '%'",
        s=stream_id,
    )
    return int(events), int(outbox)


async def test_the_relay_keeps_events_while_nats_is_away_and_never_publishes_a_rolled_back_one(
    settings: Settings, tmp_path: Path
) -> None:
    server = EmbeddedNats(tmp_path / "nats", free_port())
    server.start()
    local = settings.model_copy(update={"nats_url": server.url, "relay_max_backoff_seconds": 0.5})
    participants = participants_app(local)
    try:
        async with (
            database(local, "participants") as participants_db,
            running(participants) as writer,
            running(indicators_app(local)) as indicators,
        ):
            await register_and_settle(writer, local)
            await reaches(lambda: settled_count(indicators, local), 1)
            await reaches(lambda: unpublished(participants_db), 0)
            published_before = await outbox_rows(participants_db)

            server.kill()
            # Commands still commit; their events wait in the outbox.
            await register_and_settle(writer, local)
            kept = await register_and_settle(writer, local)
            rolled_back = await _append_then_fail(participants.state.runtime)
            assert min(await _traces(participants_db, kept)) > 0
            waiting = await outbox_rows(participants_db) - published_before
            assert waiting >= 2
            assert await unpublished(participants_db) == waiting
            assert await _traces(participants_db, rolled_back) == (0, 0)
            # The operator sees the backlog grow while NATS is away.
            await reaches(lambda: _backlog_gauge(writer), float(waiting), timeout=30)

            server.start()  # same port, same store
            await reaches(lambda: unpublished(participants_db), 0, timeout=30)
            await reaches(lambda: _backlog_gauge(writer), 0.0)
            await reaches(lambda: settled_count(indicators, local), 3, timeout=30)
            rolled_back_too = await _append_then_fail(participants.state.runtime)
            await register_and_settle(writer, local)  # the relay passes over it once more
            await reaches(lambda: unpublished(participants_db), 0)
            await reaches(lambda: settled_count(indicators, local), 4)
            assert await _traces(participants_db, rolled_back_too) == (0, 0)

            docs = await stream_documents(local.nats_url, local.stream_name("participants"))
            assert document_streams(docs) == await outbox_streams(participants_db)
            assert not {rolled_back, rolled_back_too} & {doc["streamid"] for doc in docs}
    finally:
        server.stop()


async def _backlog_gauge(client: httpx.AsyncClient) -> float | None:
    text = (await client.get("/metrics")).text
    for line in text.splitlines():
        if line.startswith('veiviser_outbox_backlog{service="participants"}'):
            return float(line.rsplit(" ", 1)[1])
    return None


async def test_the_relay_publishes_what_was_committed_before_nats_was_ever_reachable(
    settings: Settings, tmp_path: Path
) -> None:
    server = EmbeddedNats(tmp_path / "nats", free_port())
    local = settings.model_copy(update={"nats_url": server.url, "relay_max_backoff_seconds": 0.5})
    try:
        async with (
            database(local, "participants") as participants_db,
            running(participants_app(local)) as writer,
        ):
            participant_id = await register_and_settle(writer, local)
            committed = await outbox_event_ids(participants_db)
            assert await unpublished(participants_db) == len(committed) > 0

            server.start()
            await reaches(lambda: unpublished(participants_db), 0, timeout=30)
            event_id = await settled_event_id(participants_db, participant_id)
            docs = await stream_documents(local.nats_url, local.stream_name("participants"))
            assert document_streams(docs) == await outbox_streams(participants_db)
            assert str(event_id) in committed
    finally:
        server.stop()


@asynccontextmanager
async def _writer_published_once(
    local: Settings,
) -> AsyncIterator[tuple[Database, httpx.AsyncClient]]:
    """Participants' database and app on ``local``'s NATS, once a first settlement is out."""
    async with (
        database(local, "participants") as participants_db,
        running(participants_app(local)) as writer,
    ):
        await register_and_settle(writer, local)
        await reaches(lambda: unpublished(participants_db), 0)
        yield participants_db, writer


async def test_the_relay_recreates_its_stream_on_a_nats_server_that_lost_its_store(
    settings: Settings, tmp_path: Path
) -> None:
    port = free_port()
    server = EmbeddedNats(tmp_path / "lost", port)
    server.start()
    local = settings.model_copy(update={"nats_url": server.url, "relay_max_backoff_seconds": 0.5})
    try:
        async with _writer_published_once(local) as (participants_db, writer):
            server.kill()
            server = EmbeddedNats(tmp_path / "empty", port)  # same address, no streams
            server.start()
            participant_id = await register_and_settle(writer, local)

            await reaches(lambda: unpublished(participants_db), 0, timeout=30)
            event_id = await settled_event_id(participants_db, participant_id)
            docs = await stream_documents(local.nats_url, local.stream_name("participants"))
            assert str(event_id) in [doc["id"] for doc in docs]
    finally:
        server.stop()


async def test_waiting_for_the_bus_returns_true_only_once_nats_is_back(
    settings: Settings, tmp_path: Path
) -> None:
    server = EmbeddedNats(tmp_path / "nats", free_port())
    server.start()
    try:
        async with connected_bus(
            settings.model_copy(update={"nats_url": server.url}), "kit-test-bus"
        ) as bus:
            server.kill()

            async def disconnected() -> bool:
                return not bus.connected

            await reaches(disconnected, True)
            waiting = asyncio.create_task(bus.wait_connected())
            server.start()
            assert await asyncio.wait_for(waiting, timeout=30) is True
            assert bus.connected
    finally:
        server.stop()


async def test_the_relay_does_not_pile_up_subscriptions_as_it_publishes(
    settings: Settings, tmp_path: Path
) -> None:
    monitor = free_port()
    server = EmbeddedNats(tmp_path / "nats", free_port(), monitor_port=monitor)
    server.start()
    local = settings.model_copy(update={"nats_url": server.url})

    async def relay_subscriptions() -> int:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{monitor}") as http:
            connz = (await http.get("/connz", params={"subs": 1})).json()
        [connection] = [c for c in connz["connections"] if c.get("name") == "veiviser-participants"]
        return int(connection["subscriptions"])

    try:
        async with _writer_published_once(local) as (participants_db, writer):
            after_first = await relay_subscriptions()
            for _ in range(5):
                await register_and_settle(writer, local)
                await reaches(lambda: unpublished(participants_db), 0)
            assert await relay_subscriptions() == after_first
    finally:
        server.stop()
