"""Pieces the catch-up feed and gap-fill tests share: a source service of test notes
(its feed served in-process), a consumer of it and an order-sensitive note projection."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import httpx
import nats
import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.auth import issue_service_token
from shared.bus import Bus
from shared.catchup import CatchUpClient
from shared.consumer import DurableConsumer, Subscription
from shared.db import Database
from shared.events import Envelope, Event
from shared.metrics import Metrics
from shared.projection import Batch, Projection, apply_batch
from shared.service import ServiceDefinition, build_app
from shared.settings import Settings
from tests.kit.helpers import append_notes, database, kit_registry, kit_store
from tests.support import ensure_stream

SOURCE = "participants"
"""The notes live in the participants database (it has the kit's tables)."""
CONSUMING = "indicators"
"""The consumer runs in the indicators database."""

note_metadata = sa.MetaData()
note_log = sa.Table(
    "test_note_log",
    note_metadata,
    sa.Column("stream_id", sa.Text, primary_key=True),
    sa.Column("texts", pg.JSONB, nullable=False),
    sa.Column("versions", pg.JSONB, nullable=False),
)


async def _fold_notes(batch: Batch, envelopes: Sequence[Envelope]) -> None:
    """Each stream's texts in the order applied: any event out of order shows."""
    await batch.load(note_log, {(e.stream_id,) for e in envelopes})
    for envelope in envelopes:
        row = batch.row(note_log, (envelope.stream_id,))
        texts = [*(row["texts"] if row else []), envelope.data.get("text")]
        versions = [*(row["versions"] if row else []), envelope.stream_version]
        batch.put(note_log, {"stream_id": envelope.stream_id, "texts": texts, "versions": versions})


def note_projection(consumer: str) -> Projection:
    return Projection("note_log", consumer, (note_log,), apply_batch=_fold_notes)


def service_headers(settings: Settings, caller: str = CONSUMING) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_service_token(settings, caller)}"}


@asynccontextmanager
async def source_app(settings: Settings) -> AsyncIterator[FastAPI]:
    """The notes' service as the feed sees it; no lifespan, so no relay publishes."""
    app = build_app(
        ServiceDefinition(
            name=SOURCE,
            title="notes",
            description="A source of test notes and their catch-up feed.",
            registry=kit_registry,
        ),
        settings,
    )
    try:
        yield app
    finally:
        await app.state.runtime.db.dispose()


@asynccontextmanager
async def feed_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://source") as client:
        yield client


async def append(
    settings: Settings, stream_id: str, events: Sequence[Event], expected_version: int = 0
) -> list[Envelope]:
    store = kit_store(settings)
    async with database(settings, SOURCE) as db, db.transaction() as conn:
        return await append_notes(store, conn, stream_id, events, expected_version)


async def outbox_payloads(settings: Settings, stream_ids: Sequence[str]) -> dict[uuid.UUID, bytes]:
    """The published CloudEvents of ``stream_ids`` (event id -> relay payload)."""
    async with database(settings, SOURCE) as db, db.connect() as conn:
        found = await conn.execute(
            sa.text("SELECT event_id, payload FROM outbox WHERE stream_id = ANY(:ids)"),
            {"ids": list(stream_ids)},
        )
        return {row.event_id: bytes(row.payload) for row in found}


async def ensure_source_stream(settings: Settings) -> None:
    nc = await nats.connect(settings.nats_url)
    try:
        await ensure_stream(nc.jetstream(), settings, SOURCE)
    finally:
        await nc.close()


async def deliver(settings: Settings, subject_suffix: str, payloads: Sequence[bytes]) -> None:
    """Put each payload on the source's stream, in order; every copy is a new message."""
    nc = await nats.connect(settings.nats_url)
    try:
        js = nc.jetstream()
        for payload in payloads:
            await js.publish(
                f"{settings.subject_prefix(SOURCE)}.{subject_suffix}",
                payload,
                stream=settings.stream_name(SOURCE),
                headers={"Nats-Msg-Id": str(uuid.uuid4())},
            )
    finally:
        await nc.close()


class NoteConsumers:
    """Consumers of the notes on one durable, in the indicators database."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        name: str,
        *,
        feed: FastAPI | None,
        subject_suffix: str = ">",
        in_turn: bool = True,
    ) -> None:
        self.settings = settings
        self.db = db
        self.name = name
        self.projection = note_projection(name)
        self.metrics = Metrics(CONSUMING)
        self.feed = feed
        self.subject_suffix = subject_suffix
        self.in_turn = in_turn
        self.consumers: list[DurableConsumer] = []

    async def _handler(self, conn: AsyncConnection, envelopes: Sequence[Envelope]) -> None:
        await apply_batch(Batch(conn), [self.projection], envelopes)

    def consumer(self, bus: Bus) -> DurableConsumer:
        catchup = None
        if self.feed is not None:
            catchup = CatchUpClient(
                self.settings,
                CONSUMING,
                SOURCE,
                base_url="http://source",
                transport=httpx.ASGITransport(app=self.feed),
            )
        consumer = DurableConsumer(
            Subscription(self.name, SOURCE, self._handler, filter_suffix=self.subject_suffix),
            self.db,
            bus,
            self.settings,
            CONSUMING,
            self.metrics,
            catchup=catchup,
            in_turn=self.in_turn,
        )
        self.consumers.append(consumer)
        return consumer

    @asynccontextmanager
    async def running(self, replicas: int = 1) -> AsyncIterator[None]:
        stop = asyncio.Event()
        buses = [Bus(self.settings, f"note-consumer-{n}") for n in range(replicas)]
        tasks = []
        for bus in buses:
            bus.start()
            tasks.append(asyncio.create_task(self.consumer(bus).run(stop)))
        try:
            yield
        finally:
            stop.set()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                    await asyncio.wait_for(task, 15)
            for consumer in self.consumers:
                if consumer.catchup is not None:
                    await consumer.catchup.close()
            for bus in buses:
                await bus.close()

    def outcomes(self, outcome: str) -> float:
        durable = f"{self.settings.namespace}_{CONSUMING}_{self.name}"
        value = self.metrics.registry.get_sample_value(
            "veiviser_events_consumed_total",
            {"service": CONSUMING, "consumer": durable, "outcome": outcome},
        )
        return value or 0.0

    async def log(self, stream_ids: Sequence[str]) -> dict[str, list[Any]]:
        """Each stream's texts as the projection holds them."""
        async with self.db.connect() as conn:
            found = await conn.execute(
                sa.select(note_log).where(note_log.c.stream_id.in_(list(stream_ids)))
            )
            return {row.stream_id: list(row.texts) for row in found}


async def create_note_log(db: Database) -> None:
    async with db.transaction() as conn:
        await conn.run_sync(note_metadata.create_all)
