"""Shared pieces of the kit's reliability tests: a test event, databases, NATS probes."""

from __future__ import annotations

import asyncio
import itertools
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import date, timedelta
from typing import Any, ClassVar

import httpx
import nats
import sqlalchemy as sa
from nats.aio.client import Client as NATS
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.bus import Bus
from shared.db import Database
from shared.events import Envelope, Event, EventRegistry, Metadata
from shared.eventstore import NO_STREAM, EventStore
from shared.settings import Settings
from tests.support import auth, eventually, python_module, registration

SETTLED = "participants.participant.settled.v1"

kit_registry = EventRegistry()


@kit_registry.register
class NoteTaken(Event):
    """A published test event; ``text`` says which append wrote it."""

    type_name: ClassVar[str] = "kit.note.taken.v1"
    text: str


@kit_registry.register
class PrivateNoteTaken(Event):
    """An unpublished test event: it never gets an outbox row."""

    type_name: ClassVar[str] = "kit.note.private_taken.v1"
    published: ClassVar[bool] = False
    text: str


def notes(*texts: str) -> list[Event]:
    return [NoteTaken(text=text) for text in texts]


def kit_metadata() -> Metadata:
    return Metadata(actor="kit-test", municipality="3301", correlation_id=str(uuid.uuid4()))


async def append_notes(
    store: EventStore,
    conn: AsyncConnection,
    stream_id: str,
    events: Sequence[Event],
    expected_version: int = NO_STREAM,
) -> list[Envelope]:
    """Append ``events`` to the note stream ``stream_id`` with fresh test metadata."""
    return await store.append(
        conn,
        stream_id,
        "note",
        events,
        expected_version=expected_version,
        metadata=kit_metadata(),
    )


def kit_store(settings: Settings) -> EventStore:
    """An event store of test notes kept in the participants database (it has kit tables)."""
    return EventStore("participants", kit_registry, settings.subject_prefix("participants"))


async def minimal_service(
    settings: Settings, factory: str, port: int, *, stdout: Any, stderr: Any, **veiviser: str
) -> asyncio.subprocess.Process:
    """``tests.kit.minimal_service:<factory>`` served by uvicorn on ``port``, in its own
    process (``veiviser``: settings as for :func:`tests.support.child_environment`)."""
    return await python_module(
        settings,
        "uvicorn",
        f"tests.kit.minimal_service:{factory}",
        "--factory",
        "--port",
        str(port),
        stdout=stdout,
        stderr=stderr,
        **veiviser,
    )


async def until_healthy(client: httpx.AsyncClient) -> None:
    """Wait until the server ``client`` talks to answers ``/healthz`` (it may be starting)."""

    async def up() -> bool:
        try:
            return (await client.get("/healthz")).status_code == 200
        except httpx.TransportError:
            return False

    await eventually(up, timeout=30)


@asynccontextmanager
async def database(
    settings: Settings, service: str, *, pool_size: int = 5
) -> AsyncIterator[Database]:
    db = Database.for_service(settings, service, pool_size=pool_size)
    try:
        yield db
    finally:
        await db.dispose()


@asynccontextmanager
async def database_with(settings: Settings, *tables: sa.Table) -> AsyncIterator[Database]:
    """The participants test database with ``tables`` (a test's scratch tables) created."""
    async with database(settings, "participants") as db:
        async with db.transaction() as conn:
            for table in tables:
                await conn.run_sync(table.metadata.create_all, tables=[table])
        yield db


async def scalar(db: Database, sql: str, **params: Any) -> Any:
    async with db.connect() as conn:
        return await conn.scalar(sa.text(sql), params)


async def rows(db: Database, sql: str, **params: Any) -> list[Any]:
    async with db.connect() as conn:
        return list((await conn.execute(sa.text(sql), params)).all())


_births = itertools.count()


def fresh_birth_date() -> date:
    """A birth date no other participant of this run has, so national ids never collide."""
    return date(1960, 1, 1) + timedelta(days=next(_births) % 20000)


async def register(client: httpx.AsyncClient, settings: Settings, born: date | None = None) -> str:
    born = born or fresh_birth_date()
    response = await client.post(
        "/participants",
        headers=auth(settings),
        json=registration(born),
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def settle(
    client: httpx.AsyncClient, settings: Settings, participant_id: str, settled_on: str
) -> None:
    response = await client.post(
        f"/participants/{participant_id}/settlement",
        headers=auth(settings),
        json={"settled_on": settled_on, "arrival_category": "resettlement_refugee"},
    )
    assert response.status_code == 201, response.text


async def register_and_settle(
    client: httpx.AsyncClient, settings: Settings, settled_on: str = "2025-03-01"
) -> str:
    participant_id = await register(client, settings)
    await settle(client, settings, participant_id, settled_on)
    return participant_id


async def settled_count(indicators: httpx.AsyncClient, settings: Settings, year: int = 2025) -> int:
    response = await indicators.get(f"/indicators/settlements?year={year}", headers=auth(settings))
    assert response.status_code == 200, response.text
    return int(response.json()["settled"])


async def settled_event_id(participants_db: Database, participant_id: str) -> uuid.UUID:
    found = await scalar(
        participants_db,
        "SELECT event_id FROM events WHERE stream_id = :sid AND type = :type",
        sid=participant_id,
        type=SETTLED,
    )
    assert isinstance(found, uuid.UUID), found
    return found


async def unpublished(participants_db: Database) -> int:
    return int(
        await scalar(participants_db, "SELECT count(*) FROM outbox WHERE published_at IS NULL")
    )


async def outbox_rows(participants_db: Database) -> int:
    return int(await scalar(participants_db, "SELECT count(*) FROM outbox"))


async def outbox_event_ids(participants_db: Database) -> list[str]:
    """Ids of every event that entered the outbox, in the order the relay publishes them."""
    found = await rows(participants_db, "SELECT event_id FROM outbox ORDER BY id")
    return [str(row.event_id) for row in found]


async def outbox_streams(participants_db: Database) -> dict[str, list[str]]:
    """Event ids of every outbox row per stream, in the order the stream must see them.

    The relay keeps each stream's (aggregate's) order; between streams it promises none.
    """
    found = await rows(participants_db, "SELECT stream_id, event_id FROM outbox ORDER BY id")
    streams: dict[str, list[str]] = {}
    for row in found:
        streams.setdefault(str(row.stream_id), []).append(str(row.event_id))
    return streams


def document_streams(docs: list[dict[str, Any]]) -> dict[str, list[str]]:
    """The CloudEvents' ids per stream id, in the order they were published."""
    streams: dict[str, list[str]] = {}
    for doc in docs:
        streams.setdefault(str(doc["streamid"]), []).append(str(doc["id"]))
    return streams


async def reaches(
    check: Callable[[], Awaitable[Any]], expected: Any, *, timeout: float = 20.0
) -> None:
    """Wait until ``check()`` returns exactly ``expected``; fail with the last value seen."""
    seen: list[Any] = []

    async def matches() -> bool:
        seen.append(await check())
        return bool(seen[-1] == expected)

    try:
        await eventually(matches, timeout=timeout)
    except AssertionError:
        raise AssertionError(
            f"expected {expected!r} within {timeout}s; last value: {seen[-1:]!r}"
        ) from None


@asynccontextmanager
async def connected_bus(
    settings: Settings, name: str, stream_of: str | None = None, *, timeout: float = 10
) -> AsyncIterator[Bus]:
    """A started bus, connected (within ``timeout`` seconds), with ``stream_of``'s stream
    made sure of; closed after."""
    bus = Bus(settings, name)
    bus.start()
    try:
        assert await bus.wait_connected(timeout=timeout)
        if stream_of is not None:
            await bus.ensure_stream(stream_of)
        yield bus
    finally:
        await bus.close()


@asynccontextmanager
async def nats_client(url: str) -> AsyncIterator[NATS]:
    nc = await nats.connect(url, connect_timeout=2, max_reconnect_attempts=1)
    try:
        yield nc
    finally:
        await nc.close()


async def stream_documents(url: str, stream: str) -> list[dict[str, Any]]:
    """Every message of ``stream`` as its decoded CloudEvent, in stream order."""
    async with nats_client(url) as nc:
        js = nc.jetstream()
        info = await js.stream_info(stream)
        docs = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            msg = await js.get_msg(stream, seq)
            assert msg.data is not None
            docs.append(json.loads(msg.data))
        assert len(docs) == info.state.messages
        return docs
