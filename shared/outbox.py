"""The outbox relay: committed events -> JetStream, in order, at least once.

Rows enter ``outbox`` in the same transaction as their events, so nothing rolled
back is ever published and nothing committed is ever lost: a row stays
unpublished until JetStream has acknowledged it. A crash between publish and the
``published_at`` update republishes the row; ``Nats-Msg-Id`` = event id lets
JetStream drop the copy inside its duplicate window, and consumers' inboxes drop it
after that.
"""

from __future__ import annotations

import asyncio
import contextlib
import zlib
from typing import Any

import sqlalchemy as sa

from shared import tables
from shared.bus import Bus
from shared.db import Database
from shared.logging import get_logger
from shared.metrics import Metrics
from shared.settings import Settings

log = get_logger(__name__)

ACK_TIMEOUT_SECONDS = 10.0
_ACK_POLL_SECONDS = 0.25


class OutboxRelay:
    """Publishes a service's outbox; one per service database is active at a time."""

    def __init__(
        self,
        db: Database,
        bus: Bus,
        settings: Settings,
        service: str,
        metrics: Metrics | None = None,
    ) -> None:
        self.db = db
        self.bus = bus
        self.settings = settings
        self.service = service
        self.metrics = metrics
        self._wakeup = asyncio.Event()
        self._stream_ready = False
        # Per-database singleton: two relays on one outbox could interleave and break
        # per-stream order, so each pass holds this advisory lock.
        self._lock_key = zlib.crc32(f"veiviser-outbox-{service}".encode())

    def notify(self) -> None:
        """Tell the relay that a transaction with outbox rows has just committed."""
        self._wakeup.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Publish until ``stop`` is set, backing off while NATS or PostgreSQL is away."""
        backoff = 0.1
        while not stop.is_set():
            try:
                if not await self.bus.wait_connected(timeout=1.0):
                    continue
                if not self._stream_ready:
                    await self.bus.ensure_stream(self.service)
                    self._stream_ready = True
                # Cleared before the pass, so a notify() during it is not lost.
                self._wakeup.clear()
                published = await self.publish_pending()
                backoff = 0.1
                if published:
                    continue
                await self._idle(stop)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # The stream may be what is missing (a NATS server that lost its store):
                # make sure it exists again before the next attempt.
                self._stream_ready = False
                log.warning("outbox.publish_failed", error=type(exc).__name__, retry_in=backoff)
                await _sleep_or_stop(stop, backoff)
                backoff = min(backoff * 2, self.settings.relay_max_backoff_seconds)

    async def _idle(self, stop: asyncio.Event) -> None:
        waiters = [asyncio.ensure_future(self._wakeup.wait()), asyncio.ensure_future(stop.wait())]
        try:
            await asyncio.wait(
                waiters,
                timeout=self.settings.relay_idle_seconds,
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def publish_pending(self) -> int:
        """One pass: publish up to a batch of unpublished rows; returns how many."""
        async with self.db.transaction() as conn:
            got_lock = await conn.scalar(
                sa.text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": self._lock_key}
            )
            if not got_lock:
                return 0
            rows = (
                await conn.execute(
                    sa.select(
                        tables.outbox.c.id,
                        tables.outbox.c.event_id,
                        tables.outbox.c.subject,
                        tables.outbox.c.payload,
                    )
                    .where(tables.outbox.c.published_at.is_(None))
                    .order_by(tables.outbox.c.id)
                    .limit(self.settings.relay_batch_size)
                )
            ).all()
            if not rows:
                if self.metrics:
                    self.metrics.outbox_backlog.labels(self.service).set(0)
                return 0
            js = self.bus.js
            stream = self.settings.stream_name(self.service)
            # Sends go out in row order on one connection; acks are awaited together.
            futures = [
                await js.publish_async(
                    row.subject,
                    bytes(row.payload),
                    stream=stream,
                    headers={"Nats-Msg-Id": str(row.event_id)},
                )
                for row in rows
            ]
            done = await self._acknowledged(futures)
            acked: list[int] = []
            failure: BaseException | None = None
            for row, future in zip(rows, futures, strict=True):
                if future not in done:
                    failure = TimeoutError("no acknowledgement from JetStream")
                    break
                if future.exception() is not None:
                    failure = future.exception()
                    break
                acked.append(row.id)
            for future in futures:
                if not future.done():
                    future.cancel()
            if acked:
                await conn.execute(
                    sa.update(tables.outbox)
                    .where(tables.outbox.c.id.in_(acked))
                    .values(published_at=sa.func.now())
                )
            if failure is not None:
                failed_id = rows[len(acked)].id
                await conn.execute(
                    sa.update(tables.outbox)
                    .where(tables.outbox.c.id == failed_id)
                    .values(
                        attempts=tables.outbox.c.attempts + 1,
                        last_error=f"{type(failure).__name__}: {failure}"[:500],
                    )
                )
        if self.metrics:
            self.metrics.events_published.labels(self.service).inc(len(acked))
            if len(rows) < self.settings.relay_batch_size and failure is None:
                self.metrics.outbox_backlog.labels(self.service).set(0)
        if failure is not None:
            raise failure
        return len(acked)

    async def _acknowledged(self, futures: list[asyncio.Future[Any]]) -> set[asyncio.Future[Any]]:
        """The publishes JetStream has answered, waiting at most the ack timeout.

        Stops waiting once the connection drops: acks for messages sent to a server that
        died never come, and sitting out the timeout would hold the outbox back after
        every NATS restart. Whatever is unanswered is published again (deduplicated).
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + ACK_TIMEOUT_SECONDS
        pending = set(futures)
        while pending and self.bus.connected:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            _, pending = await asyncio.wait(pending, timeout=min(remaining, _ACK_POLL_SECONDS))
        return {future for future in futures if future.done()}

    async def backlog(self) -> int:
        async with self.db.connect() as conn:
            count = await conn.scalar(
                sa.select(sa.func.count()).where(tables.outbox.c.published_at.is_(None))
            )
        return int(count or 0)


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
