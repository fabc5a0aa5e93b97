"""Rebuilding projections from events (``veiviser replay``)."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import orjson
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

from shared import tables
from shared.db import Database, driver_connection
from shared.events import Envelope
from shared.eventstore import EventStore
from shared.inbox import is_tombstone, received_payload
from shared.projection import OWN_EVENTS, Batch, Projection, apply_batch

Progress = Callable[[int, int], None]
"""Called as ``progress(done, total)`` while a rebuild runs."""

CHUNK = 10_000
"""Events read and applied per step."""

_INBOX = "SELECT event_id, payload::text FROM received_events WHERE consumer = $1 ORDER BY seq"


async def rebuild(
    db: Database,
    store: EventStore,
    projection: Projection,
    progress: Progress | None = None,
) -> int:
    """Empty ``projection`` and apply every event it reads again; returns the count."""
    return await rebuild_together(db, store, [projection], progress)


async def rebuild_together(
    db: Database,
    store: EventStore,
    projections: Sequence[Projection],
    progress: Progress | None = None,
) -> int:
    """Rebuild projections of one source in one pass over its events; returns the count.

    It runs in one transaction: TRUNCATE's lock makes live writers to these tables
    wait, so nobody reads a half-built model and no live event slips between the
    rebuild and the return to incremental updates. Events go through the same engine
    as live ones (:func:`shared.projection.apply_batch`), a chunk at a time into one
    deferred :class:`~shared.projection.Batch` whose tables are known to start empty:
    nothing is read back, rows stay in memory for the whole rebuild (the memory a
    rebuild needs is its read models' size) and each is written once at the end.
    """
    sources = {projection.source for projection in projections}
    if len(sources) != 1:
        raise ValueError(f"projections rebuilt together read one source, not {sorted(sources)}")
    [source] = sources
    collecting = gc.isenabled()
    # The rows held until the end are long-lived objects without cycles: the cyclic
    # collector would walk all of them again and again as they grow, for nothing.
    gc.disable()
    try:
        return await _rebuild(db, store, projections, source, progress)
    finally:
        if collecting:
            gc.enable()


async def _rebuild(
    db: Database,
    store: EventStore,
    projections: Sequence[Projection],
    source: str,
    progress: Progress | None,
) -> int:
    fresh = [t for p in projections for t in p.tables]
    async with db.transaction() as conn, _reader(db) as reader:
        # Nothing is durable until the whole rebuild commits, and a crash leaves the
        # old rows (TRUNCATE is transactional): waiting for WAL flushes buys nothing.
        await conn.execute(sa.text("SET LOCAL synchronous_commit = off"))
        # The lock before the read starts: live writers to these tables wait from
        # here on, so the events the reader sees are those the tables were built from
        # (as when the read followed the TRUNCATE on this connection). And before this
        # transaction has an id (TRUNCATE gives it one): the store's read horizon would
        # count it as an open transaction below which to stop.
        names = ", ".join(table.name for table in fresh)
        await conn.execute(sa.text(f"LOCK TABLE {names} IN ACCESS EXCLUSIVE MODE"))
        chunks = _read_ahead(_chunks(reader, store, source))
        first = await anext(chunks, None)
        for projection in projections:
            await projection.reset(conn)
        batch = Batch(conn, fresh=fresh, deferred=True)
        total = await _count(conn, source)
        done = 0
        if first is not None:
            async for chunk, read in _prepend(first, chunks):
                await apply_batch(batch, projections, chunk)
                done += read
                if progress:
                    progress(done, total)
        await batch.flush()
        return done


@asynccontextmanager
async def _reader(db: Database) -> AsyncIterator[AsyncConnection]:
    """A second connection for reading the events, in a transaction of its own.

    Why a second one: PostgreSQL then finds and sends the next chunk while this
    process applies the one before (the rebuild's own connection is busy with the
    batch's reads and writes). Its cursor's one statement reads in one snapshot and
    computes the store's read horizon in it, as on the rebuild's connection. Outside
    the service's pool, which a command may have sized to one connection.
    """
    engine = create_async_engine(db.engine.url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            # Begins the transaction a cursor needs, without taking a snapshot yet.
            await conn.execute(sa.text("SET TRANSACTION READ ONLY"))
            yield conn
            await conn.rollback()
    finally:
        await engine.dispose()


T = TypeVar("T")


async def _read_ahead(items: AsyncIterator[T]) -> AsyncIterator[T]:
    """``items``, each next one already being read while the caller works on the last."""
    pending = asyncio.ensure_future(anext(items))
    try:
        while True:
            try:
                item = await pending
            except StopAsyncIteration:
                return
            pending = asyncio.ensure_future(anext(items))
            # Let the read start (send its request) before the caller's work, which
            # does not give the event loop a turn until it is done.
            await asyncio.sleep(0)
            yield item
    finally:
        pending.cancel()


async def _prepend(first: T, rest: AsyncIterator[T]) -> AsyncIterator[T]:
    yield first
    async for item in rest:
        yield item


async def _count(conn: AsyncConnection, source: str) -> int:
    if source == OWN_EVENTS:
        query = sa.select(sa.func.count()).select_from(tables.events)
    else:
        received = tables.received_events
        query = (
            sa.select(sa.func.count()).select_from(received).where(received.c.consumer == source)
        )
    return int(await conn.scalar(query) or 0)


async def _chunks(
    conn: AsyncConnection, store: EventStore, source: str
) -> AsyncIterator[tuple[list[Envelope], int]]:
    """The source's events in order, a chunk at a time, with how many rows each read."""
    if source == OWN_EVENTS:
        async for envelopes in store.every_envelope(conn, CHUNK):
            yield envelopes, len(envelopes)
        return
    driver = await driver_connection(conn)
    # A chunk per fetch, not a row per step: the iterator's per-row await costs more
    # than decoding the row.
    cursor = await driver.cursor(_INBOX, source)
    loads = orjson.loads
    while rows := await cursor.fetch(CHUNK):
        yield _replayable([(event_id, loads(payload)) for event_id, payload in rows]), len(rows)


def _replayable(rows: list[tuple[Any, Any]]) -> list[Envelope]:
    # A scrubbed copy (an erased person's event) is not replayed.
    return [received_payload(p, event_id) for event_id, p in rows if not is_tombstone(p)]
