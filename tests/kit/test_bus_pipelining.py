"""The relay's and the consumer's pipelined NATS paths (``shared.bus``), on real servers.

- The relay publishes each wave through one reply subscription and marks rows published
  while the rest of the wave is in flight: whatever the interleaving of streams and the
  batch size, every row reaches JetStream once, each stream's rows in their order, and
  every one is marked published.
- ``shared.bus.fetch`` reads pull replies off the subscription's queue: whatever the
  batch size, every message comes once, in stream order, never more than a batch at a
  time, and an empty stream answers ``TimeoutError``.
- ``shared.bus.ack`` acks a batch in one write: the server holds none of them pending
  and redelivers none, and a message acked already is refused as ``msg.ack()`` would.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from nats.errors import MsgAlreadyAckdError
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StreamConfig

from shared.bus import Bus, ack, fetch
from shared.eventstore import EventStore
from shared.outbox import OutboxRelay
from shared.settings import Settings
from tests.kit.catchup_support import SOURCE
from tests.kit.helpers import (
    NoteTaken,
    append_notes,
    database,
    kit_store,
    nats_client,
    rows,
    stream_documents,
)

pytestmark = pytest.mark.timeout(300)

_example = itertools.count()


@contextlib.asynccontextmanager
async def _connected_bus(settings: Settings) -> AsyncIterator[Bus]:
    bus = Bus(settings, "bus-pipelining")
    bus.start()
    try:
        assert await bus.wait_connected(timeout=10)
        await bus.ensure_stream(SOURCE)
        yield bus
    finally:
        await bus.close()


async def _append_interleaved(
    settings: Settings, store: EventStore, order: list[int], streams: list[str]
) -> dict[str, list[str]]:
    """One note per entry of ``order`` (a stream index), each its own transaction."""
    written: dict[str, list[str]] = {stream: [] for stream in streams}
    async with database(settings, SOURCE) as db:
        for n, index in enumerate(order):
            stream = streams[index]
            text = f"{stream[-6:]}-{n}"
            async with db.transaction() as conn:
                await append_notes(
                    store, conn, stream, [NoteTaken(text=text)], len(written[stream])
                )
            written[stream].append(text)
    return {stream: texts for stream, texts in written.items() if texts}


@hypothesis_settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    order=st.lists(st.integers(0, 3), min_size=1, max_size=24),
    batch_size=st.integers(1, 9),
)
async def test_relay_passes_publish_each_row_once_in_stream_order_and_mark_it(
    settings: Settings, order: list[int], batch_size: int
) -> None:
    streams = [f"note-{uuid.uuid4()}" for _ in range(4)]
    written = await _append_interleaved(settings, kit_store(settings), order, streams)
    tuned = settings.model_copy(update={"relay_batch_size": batch_size})
    async with database(settings, SOURCE) as db, _connected_bus(settings) as bus:
        relay = OutboxRelay(db, bus, tuned, SOURCE)
        settled = 0
        for _ in range(len(order) + 50):
            done = await relay.publish_pending()
            if not done:
                break
            settled += done
        # Each row settled by exactly one pass: none left unmarked to go out again.
        assert settled == len(order)
        left = await rows(
            db,
            "SELECT stream_id FROM outbox WHERE published_at IS NULL AND stream_id = ANY(:ids)",
            ids=list(written),
        )
        assert left == []
    docs = await stream_documents(settings.nats_url, settings.stream_name(SOURCE))
    seen: dict[str, list[str]] = {}
    for doc in docs:
        if doc["streamid"] in written:
            seen.setdefault(doc["streamid"], []).append(doc["data"]["text"])
    assert seen == written


@hypothesis_settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(count=st.integers(0, 40), batch=st.integers(1, 12))
async def test_fetch_hands_over_every_message_once_in_order_a_batch_at_most(
    settings: Settings, count: int, batch: int
) -> None:
    name = f"{settings.namespace}_FETCH{next(_example)}".upper()
    subject = f"{name.lower()}.m"
    async with nats_client(settings.nats_url) as nc:
        js = nc.jetstream(timeout=10)
        await js.add_stream(StreamConfig(name=name, subjects=[f"{name.lower()}.>"]))
        try:
            for n in range(count):
                await js.publish(subject, str(n).encode(), stream=name)
            psub = await js.pull_subscribe(
                subject,
                durable="fetcher",
                stream=name,
                config=ConsumerConfig(
                    ack_policy=AckPolicy.EXPLICIT,
                    deliver_policy=DeliverPolicy.ALL,
                    max_ack_pending=batch * 4,
                ),
            )
            got: list[int] = []
            sizes: list[int] = []
            while True:
                try:
                    msgs: list[Any] = await fetch(psub, batch, 0.5)
                except TimeoutError:
                    break
                sizes.append(len(msgs))
                for msg in msgs:
                    got.append(int(msg.data))
                    await msg.ack()
            assert got == list(range(count))
            assert all(1 <= size <= batch for size in sizes)
            info = await psub.consumer_info()
            assert info.num_pending == 0
        finally:
            await js.delete_stream(name)


async def test_ack_acknowledges_a_whole_batch_in_one_write_and_refuses_a_second_ack(
    settings: Settings,
) -> None:
    name = f"{settings.namespace}_ACK{next(_example)}".upper()
    subject = f"{name.lower()}.m"
    async with nats_client(settings.nats_url) as nc:
        js = nc.jetstream(timeout=10)
        await js.add_stream(StreamConfig(name=name, subjects=[f"{name.lower()}.>"]))
        try:
            for n in range(30):
                await js.publish(subject, str(n).encode(), stream=name)
            psub = await js.pull_subscribe(
                subject,
                durable="acker",
                stream=name,
                config=ConsumerConfig(
                    ack_policy=AckPolicy.EXPLICIT,
                    deliver_policy=DeliverPolicy.ALL,
                    ack_wait=1,
                    max_ack_pending=120,
                ),
            )
            msgs: list[Any] = await fetch(psub, 30, 2.0)
            assert len(msgs) == 30
            await ack(msgs)
            assert all(msg._ackd for msg in msgs)
            with pytest.raises(MsgAlreadyAckdError):
                await ack(msgs[:1])
            await nc.flush()
            # The server applies acks after answering the flush; past ack_wait, an ack
            # it had not taken would show as pending or redelivered.
            await asyncio.sleep(1.5)
            info = await psub.consumer_info()
            assert info.num_ack_pending == 0
            assert info.num_redelivered == 0
            assert info.num_pending == 0
            with pytest.raises(TimeoutError):
                await fetch(psub, 30, 0.5)
        finally:
            await js.delete_stream(name)
