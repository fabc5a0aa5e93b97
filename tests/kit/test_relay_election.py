"""One active relay per service database: of two replicas' relays on one database only
the one holding the pass publishes; the lock is the database's, so a relay of the same
service on another database (another deployment on the same server) is not held back."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
import zlib
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa

from shared.db import Database
from shared.outbox import OutboxRelay
from shared.settings import Settings
from tests.kit.catchup_support import SOURCE, append
from tests.kit.helpers import NoteTaken, connected_bus, database, unpublished

pytestmark = pytest.mark.timeout(90)


@contextlib.asynccontextmanager
async def _pass_held_in(db: Database, service: str) -> AsyncIterator[None]:
    """Another replica's relay in the middle of its pass on ``db``: its lock taken."""
    key = zlib.crc32(f"veiviser-outbox-{service}".encode())
    async with db.transaction() as conn:
        assert await conn.scalar(sa.text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": key})
        yield


async def test_only_the_relay_holding_the_pass_publishes_from_one_database(
    settings: Settings,
) -> None:
    await append(settings, f"note-{uuid.uuid4()}", [NoteTaken(text="a"), NoteTaken(text="b")])
    async with (
        database(settings, SOURCE) as db,
        database(settings, SOURCE) as other_replica,
        connected_bus(settings, "relay-election", SOURCE) as bus,
    ):
        relay = OutboxRelay(db, bus, settings, SOURCE)
        async with _pass_held_in(other_replica, SOURCE):
            assert await relay.publish_pending() == 0
            assert await unpublished(db) == 2
        assert await relay.publish_pending() == 2
        assert await unpublished(db) == 0


async def test_two_relays_on_one_database_publish_every_row_once(settings: Settings) -> None:
    for n in range(20):
        await append(settings, f"note-{uuid.uuid4()}", [NoteTaken(text=str(n))])
    async with (
        database(settings, SOURCE) as first_db,
        database(settings, SOURCE) as second_db,
        connected_bus(settings, "relay-election", SOURCE) as bus,
    ):
        first = OutboxRelay(
            first_db, bus, settings.model_copy(update={"relay_batch_size": 3}), SOURCE
        )
        second = OutboxRelay(
            second_db, bus, settings.model_copy(update={"relay_batch_size": 3}), SOURCE
        )
        published = 0
        while await unpublished(first_db):
            counts = await asyncio.gather(first.publish_pending(), second.publish_pending())
            published += sum(counts)
        assert published == 20
        info = await bus.js.stream_info(settings.stream_name(SOURCE))
        assert info.state.messages == 20


async def test_the_relay_lock_belongs_to_the_database_not_the_server(
    settings: Settings,
) -> None:
    """A participants relay of another deployment (another database on the server)
    holding its pass does not hold this one back."""
    await append(settings, f"note-{uuid.uuid4()}", [NoteTaken(text="a")])
    async with (
        database(settings, SOURCE) as db,
        database(settings, "housing") as another_database,
        connected_bus(settings, "relay-election", SOURCE) as bus,
    ):
        relay = OutboxRelay(db, bus, settings, SOURCE)
        async with _pass_held_in(another_database, SOURCE):
            assert await relay.publish_pending() == 1
        assert await unpublished(db) == 0
