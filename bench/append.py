"""Part 2: EventStore.append vs raw asyncpg INSERTs into an equivalent table.

Kit: ``EventStore.append`` inside ``Database.transaction()`` (the services' own engine
settings), each append to a new participant stream (``expected_version=0``): it claims
the stream row, inserts the events and, as ``participant.settled`` is published, the
outbox rows. Raw: asyncpg INSERTs into ``raw_events``, created ``LIKE events INCLUDING
ALL`` (same columns, defaults, identity and indexes), one row per transaction or one
``executemany`` batch per transaction. Both sides use the same number of concurrent
workers, each with its own connection.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass

import asyncpg

from bench.env import log
from bench.meter import Measured, Meter
from bench.samples import MUNICIPALITY, SETTLED, metadata, settled_event
from services.participants.events import registry
from shared.db import Database
from shared.events import utcnow
from shared.eventstore import EventStore
from shared.settings import Settings

RAW_INSERT = """
INSERT INTO raw_events (event_id, stream_id, version, type, municipality, data, actor,
                        correlation_id, causation_id, occurred_at, recorded_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
"""


@dataclass(frozen=True)
class AppendResult:
    kit_single: Measured
    raw_single: Measured
    kit_batch: Measured
    raw_batch: Measured


def _raw_row(stream_id: str, version: int) -> tuple[object, ...]:
    now = utcnow()
    data = settled_event().model_dump(mode="json")
    return (
        uuid.uuid4(),
        stream_id,
        version,
        SETTLED,
        MUNICIPALITY,
        json.dumps(data),
        "bench",
        str(uuid.uuid4()),
        None,
        now,
        now,
    )


async def _kit(settings: Settings, appends: int, per_append: int, workers: int) -> Measured:
    db = Database.for_service(settings, "participants")
    store = EventStore("participants", registry, settings.subject_prefix("participants"))
    remaining = iter(range(appends))

    async def worker() -> None:
        for _ in remaining:
            events = [settled_event() for _ in range(per_append)]
            async with db.transaction() as conn:
                await store.append(
                    conn,
                    str(uuid.uuid4()),
                    "participant",
                    events,
                    expected_version=0,
                    metadata=metadata(),
                )

    try:
        # Warm the pool and the compiled-statement cache outside the timing.
        async with db.transaction() as conn:
            await store.append(
                conn,
                str(uuid.uuid4()),
                "participant",
                [settled_event()],
                expected_version=0,
                metadata=metadata(),
            )
        meter = Meter()
        await asyncio.gather(*(worker() for _ in range(workers)))
        measured = meter.stop(appends * per_append)
    finally:
        await db.dispose()
    return measured


async def _raw(dsn: str, appends: int, per_append: int, workers: int) -> Measured:
    conns = [await asyncpg.connect(dsn) for _ in range(workers)]
    remaining = iter(range(appends))

    async def worker(conn: asyncpg.Connection) -> None:
        for _ in remaining:
            stream_id = str(uuid.uuid4())
            async with conn.transaction():
                if per_append == 1:
                    await conn.execute(RAW_INSERT, *_raw_row(stream_id, 1))
                else:
                    await conn.executemany(
                        RAW_INSERT, [_raw_row(stream_id, v) for v in range(1, per_append + 1)]
                    )

    try:
        for conn in conns:
            await conn.execute(RAW_INSERT, *_raw_row(str(uuid.uuid4()), 1))
        meter = Meter()
        await asyncio.gather(*(worker(conn) for conn in conns))
        measured = meter.stop(appends * per_append)
    finally:
        for conn in conns:
            await conn.close()
    return measured


async def run(
    settings: Settings, *, single: int, batches: int, batch_size: int, workers: int
) -> AppendResult:
    dsn = settings.service_database_url("participants", driver="postgresql")
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("CREATE TABLE raw_events (LIKE events INCLUDING ALL)")
    finally:
        await conn.close()
    log(f"append: {single} single-event transactions, {workers} workers (kit, then raw)")
    kit_single = await _kit(settings, single, 1, workers)
    raw_single = await _raw(dsn, single, 1, workers)
    log(f"append: {batches} appends of {batch_size} events (kit, then raw)")
    kit_batch = await _kit(settings, batches, batch_size, workers)
    raw_batch = await _raw(dsn, batches, batch_size, workers)
    return AppendResult(kit_single, raw_single, kit_batch, raw_batch)
