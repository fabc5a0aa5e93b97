"""The event store against real PostgreSQL: one winner per version, whole batches,
idempotent commands, and a global log whose readers never skip a late commit."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.participants.app import create_app as participants_app
from shared.db import Database
from shared.eventstore import (
    NO_STREAM,
    ConcurrencyConflict,
    EventStore,
    GlobalPosition,
    StoredEvent,
)
from shared.settings import Settings
from tests.kit.helpers import (
    PrivateNoteTaken,
    append_notes,
    database,
    kit_store,
    notes,
    reaches,
    rows,
    scalar,
)
from tests.support import auth, national_id, registration, running

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    """The participants service's database, where the kit's test notes are stored."""
    async with database(settings, "participants") as participants_db:
        yield participants_db


@pytest.fixture
def store(settings: Settings) -> EventStore:
    """The event store of the kit's test notes."""
    return kit_store(settings)


CONTENDERS = 50


@pytest.mark.parametrize("existing", [NO_STREAM, 2], ids=["new-stream", "existing-stream"])
async def test_fifty_concurrent_appends_at_one_version_let_exactly_one_win(
    settings: Settings, existing: int
) -> None:
    store = kit_store(settings)
    stream_id = f"note-{uuid.uuid4()}"
    async with database(settings, "participants", pool_size=CONTENDERS) as db:
        if existing:
            async with db.transaction() as conn:
                await append_notes(store, conn, stream_id, notes("old-1", "old-2"))
        # Every contender holds its own connection and open transaction before any of
        # them appends, so the appends really race inside PostgreSQL.
        ready = asyncio.Barrier(CONTENDERS)

        async def contend(n: int) -> ConcurrencyConflict | None:
            try:
                async with db.transaction() as conn:
                    await conn.execute(sa.text("SELECT 1"))
                    await ready.wait()
                    await append_notes(
                        store, conn, stream_id, notes(f"c{n}-1", f"c{n}-2"), existing
                    )
            except ConcurrencyConflict as conflict:
                return conflict
            return None

        outcomes = await asyncio.gather(*(contend(n) for n in range(CONTENDERS)))

        winners = [n for n, outcome in enumerate(outcomes) if outcome is None]
        conflicts = [outcome for outcome in outcomes if outcome is not None]
        assert len(winners) == 1
        assert len(conflicts) == CONTENDERS - 1
        for conflict in conflicts:
            assert conflict.stream_id == stream_id
            assert conflict.expected_version == existing
            assert conflict.current_version == existing + 2

        stored = await rows(
            db,
            "SELECT version, data->>'text' AS text FROM events WHERE stream_id = :sid "
            "ORDER BY position",
            sid=stream_id,
        )
        winner = winners[0]
        expected_texts = (["old-1", "old-2"] if existing else []) + [
            f"c{winner}-1",
            f"c{winner}-2",
        ]
        assert [(row.version, row.text) for row in stored] == list(
            enumerate(expected_texts, start=1)
        )
        assert (
            await scalar(db, "SELECT version FROM streams WHERE stream_id = :sid", sid=stream_id)
            == existing + 2
        )
        assert (
            await scalar(
                db,
                "SELECT count(*) FROM outbox JOIN events USING (event_id) WHERE events.stream_id = :sid",
                sid=stream_id,
            )
            == existing + 2
        )


async def test_a_batch_at_a_version_the_stream_has_moved_past_stores_none_of_its_events(
    db: Database, store: EventStore
) -> None:
    stream_id = f"note-{uuid.uuid4()}"
    async with db.transaction() as conn:
        await append_notes(store, conn, stream_id, notes("a", "b"))
    async with db.connect() as conn:
        read_version = await store.current_version(conn, stream_id)
    # Someone else appends between our read and our write.
    async with db.transaction() as conn:
        await append_notes(store, conn, stream_id, notes("c"), read_version)

    with pytest.raises(ConcurrencyConflict) as raised:
        async with db.transaction() as conn:
            await append_notes(
                store, conn, stream_id, notes("stale-1", "stale-2", "stale-3"), read_version
            )
    assert raised.value.current_version == 3
    assert raised.value.expected_version == 2

    async with db.connect() as conn:
        loaded = await store.load(conn, stream_id)
    assert [(e.stream_version, e.data["text"]) for e in loaded] == [
        (1, "a"),
        (2, "b"),
        (3, "c"),
    ]
    assert await scalar(db, "SELECT count(*) FROM events WHERE data->>'text' LIKE 'stale%'") == 0
    assert (
        await scalar(
            db,
            "SELECT count(*) FROM outbox WHERE convert_from(payload, 'UTF8') LIKE '%stale-%'",
        )
        == 0
    )
    assert await scalar(db, "SELECT count(*) FROM outbox") == 3


async def test_a_transaction_that_conflicts_on_a_later_stream_keeps_nothing_it_appended(
    db: Database, store: EventStore
) -> None:
    fresh, busy = f"note-{uuid.uuid4()}", f"note-{uuid.uuid4()}"
    async with db.transaction() as conn:
        await append_notes(store, conn, busy, notes("busy-1"))

    with pytest.raises(ConcurrencyConflict) as raised:
        async with db.transaction() as conn:
            appended = await append_notes(
                store, conn, fresh, [*notes("fresh-1"), PrivateNoteTaken(text="fresh-private")]
            )
            assert [e.stream_version for e in appended] == [1, 2]
            await append_notes(store, conn, busy, notes("late"))
    assert raised.value.stream_id == busy
    assert raised.value.current_version == 1

    assert await scalar(db, "SELECT count(*) FROM streams WHERE stream_id = :s", s=fresh) == 0
    assert await scalar(db, "SELECT count(*) FROM events WHERE stream_id = :s", s=fresh) == 0
    assert await scalar(db, "SELECT count(*) FROM events") == 1
    assert await scalar(db, "SELECT count(*) FROM outbox") == 1
    # The stream is still free: the same batch succeeds on a clean retry.
    async with db.transaction() as conn:
        retried = await append_notes(store, conn, fresh, notes("fresh-1"))
    assert [e.stream_version for e in retried] == [1]


def _texts(stored: list[StoredEvent]) -> list[str]:
    return [str(s.envelope.data["text"]) for s in stored]


async def test_a_global_reader_waits_for_an_open_transaction_and_then_delivers_every_event_once(
    db: Database, store: EventStore
) -> None:

    async def append(conn: AsyncConnection, *texts: str) -> None:
        await append_notes(store, conn, f"note-{uuid.uuid4()}", notes(*texts))

    delivered: list[StoredEvent] = []

    async def poll() -> list[str]:
        """One round of a tailing reader: read on from where it stopped."""
        after = delivered[-1].position if delivered else GlobalPosition()
        async with db.connect() as conn:
            delivered.extend([s async for s in store.tail(conn, after, batch_size=2)])
        return _texts(delivered)

    async with db.transaction() as conn:
        await append(conn, "t0")
    await reaches(poll, ["t0"])

    async with db.engine.connect() as t1:
        await t1.begin()
        await append(t1, "t1-a", "t1-b")  # takes identity values, stays uncommitted
        async with db.transaction() as conn:
            await append(conn, "t2")
        async with db.transaction() as conn:
            await append(conn, "t3-a", "t3-b")
        with pytest.raises(RuntimeError):
            async with db.transaction() as conn:
                await append(conn, "rolled-back")
                raise RuntimeError("abort")

        # T2 and T3 are committed, yet the reader must not move past T1's gap.
        assert await poll() == ["t0"]
        async with db.connect() as conn:
            assert await store.read_all(conn, delivered[-1].position) == []
        await t1.commit()

    everything = ["t0", "t1-a", "t1-b", "t2", "t3-a", "t3-b"]
    await reaches(poll, everything)
    assert await poll() == everything
    positions = [s.position for s in delivered]
    assert positions == sorted(positions, key=lambda p: (p.tx_id, p.position))
    assert len({s.envelope.id for s in delivered}) == len(everything)
    # Insert order differed from commit order: T1's rows sit below T2's and T3's.
    assert max(p.position for p in positions[1:3]) < min(p.position for p in positions[3:])
    async with db.connect() as conn:
        assert _texts(await store.read_all(conn)) == everything


async def test_load_cuts_a_stream_at_a_version_or_at_a_recording_time(
    db: Database, store: EventStore
) -> None:
    stream_id = f"note-{uuid.uuid4()}"
    recorded = []
    version = NO_STREAM
    for batch in (("v1", "v2"), ("v3",), ("v4",)):
        async with db.transaction() as conn:
            envelopes = await append_notes(store, conn, stream_id, notes(*batch), version)
        version = envelopes[-1].stream_version
        recorded.append(envelopes[-1].recorded_at)
    assert recorded == sorted(recorded) and len(set(recorded)) == 3

    async with db.connect() as conn:

        async def texts(**cut: object) -> list[str]:
            loaded = await store.load(conn, stream_id, **cut)  # type: ignore[arg-type]
            assert [e.stream_version for e in loaded] == list(range(1, len(loaded) + 1))
            return [str(e.data["text"]) for e in loaded]

        assert await texts() == ["v1", "v2", "v3", "v4"]
        assert await texts(up_to_version=2) == ["v1", "v2"]
        assert await texts(up_to_version=0) == []
        assert await texts(up_to_version=99) == ["v1", "v2", "v3", "v4"]
        assert await texts(recorded_until=recorded[0]) == ["v1", "v2"]
        assert await texts(recorded_until=recorded[1]) == ["v1", "v2", "v3"]
        assert await texts(recorded_until=recorded[0].replace(year=2000)) == []
        assert await texts(up_to_version=1, recorded_until=recorded[2]) == ["v1"]
        assert await store.load(conn, f"note-{uuid.uuid4()}") == []


async def participant_streams(db: Database) -> int:
    return int(await scalar(db, "SELECT count(*) FROM streams WHERE stream_type = 'participant'"))


@asynccontextmanager
async def _participants(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, Database]]:
    """The participants service running, and its database."""
    app = participants_app(settings)
    async with running(app) as client:
        yield client, app.state.runtime.db


def _registration(born: date, ident: str) -> dict[str, str]:
    return registration(born, ident, given="Idun", family="Retry")


async def test_a_command_retried_with_its_idempotency_key_appends_nothing_more(
    settings: Settings,
) -> None:
    born = date(1988, 2, 3)
    body = _registration(born, national_id(born))
    key = {"Idempotency-Key": f"register-{uuid.uuid4()}"}
    async with _participants(settings) as (client, db):
        first = await client.post("/participants", headers=auth(settings) | key, json=body)
        assert first.status_code == 201, first.text
        assert "Idempotent-Replayed" not in first.headers
        events_after_first = await scalar(db, "SELECT count(*) FROM events")
        outbox_after_first = await scalar(db, "SELECT count(*) FROM outbox")

        # The first response was lost; the client sends the very same request again.
        again = await client.post("/participants", headers=auth(settings) | key, json=body)
        assert again.status_code == 201, again.text
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json() == first.json()
        assert again.headers["Location"] == f"/participants/{first.json()['id']}"

        assert await participant_streams(db) == 1
        assert await scalar(db, "SELECT count(*) FROM events") == events_after_first
        assert await scalar(db, "SELECT count(*) FROM outbox") == outbox_after_first
        assert (
            await scalar(db, "SELECT stream_id FROM streams WHERE stream_type = 'participant'")
            == first.json()["id"]
        )


async def test_an_idempotency_key_reused_for_another_request_is_refused_and_appends_nothing(
    settings: Settings,
) -> None:
    born = date(1979, 11, 30)
    key = {"Idempotency-Key": f"register-{uuid.uuid4()}"}
    async with _participants(settings) as (client, db):
        first = await client.post(
            "/participants",
            headers=auth(settings) | key,
            json=_registration(born, national_id(born)),
        )
        assert first.status_code == 201, first.text
        events_before = await scalar(db, "SELECT count(*) FROM events")

        other = await client.post(
            "/participants",
            headers=auth(settings) | key,
            json=_registration(born, national_id(born, d_number=True)),
        )
        assert other.status_code == 422, other.text
        assert other.headers["content-type"] == "application/problem+json"
        problem = other.json()
        assert [(e["field"], e["location"]) for e in problem["errors"]] == [
            ("Idempotency-Key", "header")
        ]
        assert await participant_streams(db) == 1
        assert await scalar(db, "SELECT count(*) FROM events") == events_before


async def test_concurrent_requests_with_one_idempotency_key_create_one_participant(
    settings: Settings,
) -> None:
    born = date(2001, 7, 14)
    body = _registration(born, national_id(born))
    key = {"Idempotency-Key": f"register-{uuid.uuid4()}"}
    async with _participants(settings) as (client, db):
        responses = await asyncio.gather(
            *(
                client.post("/participants", headers=auth(settings) | key, json=body)
                for _ in range(8)
            )
        )
        assert [r.status_code for r in responses] == [201] * 8, [r.text for r in responses]
        assert len({r.json()["id"] for r in responses}) == 1
        assert sum("Idempotent-Replayed" not in r.headers for r in responses) == 1
        assert await participant_streams(db) == 1
        assert await scalar(db, "SELECT count(*) FROM idempotency_keys") == 1


async def test_an_append_on_a_connection_without_a_transaction_ends_with_the_connection(
    db: Database, store: EventStore
) -> None:
    """The store writes through asyncpg under SQLAlchemy: it must still be inside the
    transaction SQLAlchemy would begin, never committed on its own."""
    kept, dropped = f"note-{uuid.uuid4()}", f"note-{uuid.uuid4()}"
    async with db.connect() as conn:
        await append_notes(store, conn, dropped, notes("x"))
        assert conn.in_transaction()
        await conn.rollback()
    async with db.connect() as conn:
        await append_notes(store, conn, kept, notes("y"))
        await conn.execute(sa.text("SELECT 1"))
        await conn.commit()
    assert await scalar(db, "SELECT count(*) FROM events WHERE stream_id = :sid", sid=dropped) == 0
    assert await scalar(db, "SELECT count(*) FROM events WHERE stream_id = :sid", sid=kept) == 1


async def test_open_reads_owner_and_events_once_and_read_in_follows_the_commands_appends(
    db: Database, store: EventStore
) -> None:
    stream_id = f"note-{uuid.uuid4()}"
    async with db.transaction() as conn:
        assert await store.open(conn, stream_id) is None
        assert store.read_in(conn, stream_id) is None
        await append_notes(store, conn, stream_id, notes("a"))
    async with db.transaction() as conn:
        opened = await store.open(conn, stream_id)
        assert opened is not None
        assert (opened.municipality, opened.version) == ("3301", 1)
        await append_notes(store, conn, stream_id, notes("b"), 1)
        read = store.read_in(conn, stream_id)
        assert read is not None
        assert [e.data["text"] for e in read.envelopes] == ["a", "b"]
        assert [e.data["text"] for e in await store.load(conn, stream_id)] == ["a", "b"]
        store.close(conn)
        assert store.read_in(conn, stream_id) is None
