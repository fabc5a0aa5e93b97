"""Part 3: OutboxRelay.publish_pending vs raw pipelined JetStream publishing.

A fresh participants database gets an outbox of ``count`` unpublished rows (real
``participant.settled`` envelopes, as the event store writes them). Kit: the service's
own ``OutboxRelay`` (default ``relay_batch_size``) is called in a loop until the outbox is
empty; the time runs from the first call to the last acknowledged row being marked
published. Raw: the same subjects, payloads and headers (``Nats-Msg-Id``, expected
stream) sent with nats-py ``js.publish_async`` to an identically configured stream, then
all acks awaited. Both go through the same embedded NATS server.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

import asyncpg
import nats

from bench.env import connected_bus, log, participants_stream
from bench.meter import Measured, Meter
from bench.samples import settled_envelope
from shared.db import Database
from shared.metrics import Metrics
from shared.outbox import OutboxRelay
from shared.settings import Settings


@dataclass(frozen=True)
class RelayResult:
    kit: Measured
    raw: Measured
    passes: int
    subscriptions_before: int
    subscriptions_after: int


async def _prefill(settings: Settings, count: int) -> list[tuple[uuid.UUID, str, bytes]]:
    subject = f"{settings.subject_prefix('participants')}.participant.settled"
    rows = []
    for _ in range(count):
        envelope = settled_envelope()
        rows.append((envelope.id, subject, envelope.to_json()))
    conn = await asyncpg.connect(settings.service_database_url("participants", driver="postgresql"))
    try:
        await conn.copy_records_to_table(
            "outbox", records=rows, columns=["event_id", "subject", "payload"]
        )
        await conn.execute("ANALYZE outbox")
    finally:
        await conn.close()
    return rows


async def _kit(settings: Settings, count: int) -> tuple[Measured, int, int, int]:
    bus = await connected_bus(settings, "bench-relay")
    db = Database.for_service(settings, "participants")
    try:
        await bus.ensure_stream("participants")
        relay = OutboxRelay(db, bus, settings, "participants", Metrics("participants"))
        assert bus.nc is not None
        subs_before = len(bus.nc._subs)
        published = passes = 0
        meter = Meter()
        while published < count:
            done = await relay.publish_pending()
            passes += 1
            if done == 0:
                raise RuntimeError(f"relay stopped after {published} of {count} rows")
            published += done
        measured = meter.stop(count)
        subs_after = len(bus.nc._subs)
        info = await bus.js.stream_info(settings.stream_name("participants"))
        if info.state.messages != count:
            raise RuntimeError(f"stream holds {info.state.messages} messages, not {count}")
    finally:
        await bus.close()
        await db.dispose()
    return measured, passes, subs_before, subs_after


async def _raw(settings: Settings, rows: list[tuple[uuid.UUID, str, bytes]]) -> Measured:
    # Same stream configuration as Bus.ensure_stream, under another namespace.
    raw_settings = settings.model_copy(update={"namespace": settings.namespace + "raw"})
    await participants_stream(raw_settings, "bench-relay-raw")
    stream = raw_settings.stream_name("participants")
    prefix = raw_settings.subject_prefix("participants")
    nc = await nats.connect(settings.nats_url)
    try:
        js = nc.jetstream(timeout=5.0)
        subject = f"{prefix}.participant.settled"
        # Warm the async-reply subscription outside the timing (the relay's is, too).
        await (await js.publish_async(subject, b"{}", stream=stream))
        meter = Meter()
        futures = [
            await js.publish_async(
                subject, payload, stream=stream, headers={"Nats-Msg-Id": str(event_id)}
            )
            for event_id, _subject, payload in rows
        ]
        await asyncio.gather(*futures)
        measured = meter.stop(len(rows))
    finally:
        await nc.close()
    return measured


async def run(settings: Settings, *, count: int) -> RelayResult:
    log(f"relay: pre-filling an outbox with {count} rows")
    rows = await _prefill(settings, count)
    log("relay: raw js.publish_async")
    raw = await _raw(settings, rows)
    log("relay: OutboxRelay.publish_pending")
    kit, passes, before, after = await _kit(settings, count)
    return RelayResult(kit, raw, passes, before, after)
