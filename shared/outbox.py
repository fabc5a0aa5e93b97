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
import time
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

import asyncpg
import nats.errors
import sqlalchemy as sa
from nats.js.errors import APIError
from sqlalchemy.ext.asyncio import AsyncConnection

from shared import tables
from shared.bus import Bus, Wave
from shared.db import Database, driver_connection
from shared.eventstore import HEADER_ALLOWANCE_BYTES
from shared.logging import get_logger
from shared.metrics import Metrics
from shared.settings import Settings
from shared.tasks import beside, first_of

log = get_logger(__name__)

ACK_TIMEOUT_SECONDS = 10.0
_ACK_POLL_SECONDS = 0.25
_MESSAGE_TOO_LARGE = 10054
"""JetStream's error code for a message over the stream's or server's size limit."""

_o = tables.outbox
# The relay's hot path, sent to asyncpg directly (see shared.db.driver_connection).
_PUBLISHABLE = """
    SELECT o.id, o.event_id, o.subject, o.payload, o.stream_id
    FROM outbox o
    WHERE o.published_at IS NULL AND o.parked_at IS NULL
      AND NOT EXISTS (
        SELECT 1 FROM outbox p
        WHERE p.parked_at IS NOT NULL AND p.published_at IS NULL
          AND p.stream_id = o.stream_id AND p.id < o.id)
    ORDER BY o.id
    LIMIT $1
"""
_MARK_PUBLISHED = "UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])"
# A pass's commit only records what JetStream already holds: lost in a crash, its rows
# are published again, which Nats-Msg-Id and the consumers' inboxes absorb. So it need
# not wait for the WAL flush (transaction-local; the event store's commits still do).
_LOCK_PASS = """
    SELECT pg_try_advisory_xact_lock($1)
        AND set_config('synchronous_commit', 'off', true) IS NOT NULL
"""
# Acknowledged ids marked while the rest of the wave is still in flight, in chunks this
# large (a statement per few acks would cost more than the overlap saves).
_MARK_CHUNK = 100
_GAUGES_EVERY_SECONDS = 1.0


class _Marker:
    """Marks acknowledged rows published on the pass's connection, behind the sender."""

    def __init__(self, driver: Any) -> None:
        self._driver = driver
        self._waiting: list[int] = []
        self._task: asyncio.Task[None] | None = None

    def add(self, ids: Iterable[int]) -> None:
        self._waiting.extend(ids)
        if len(self._waiting) >= _MARK_CHUNK and (self._task is None or self._task.done()):
            if self._task is not None:
                self._task.result()  # an error of the last chunk fails the pass
            chunk, self._waiting = self._waiting, []
            self._task = asyncio.ensure_future(self._driver.execute(_MARK_PUBLISHED, chunk))

    async def finish(self) -> None:
        """Mark what is left; the connection is the pass's own again afterwards."""
        if self._task is not None:
            await self._task
            self._task = None
        if self._waiting:
            chunk, self._waiting = self._waiting, []
            await self._driver.execute(_MARK_PUBLISHED, chunk)


class _Pending(NamedTuple):
    id: int
    event_id: Any
    subject: str
    payload: bytes
    stream_id: str | None


_HEALTH = sa.text(
    """
    SELECT count(*) AS unpublished,
           count(*) FILTER (WHERE o.parked_at IS NOT NULL) AS parked,
           count(*) FILTER (WHERE o.parked_at IS NULL AND EXISTS (
             SELECT 1 FROM outbox p
             WHERE p.parked_at IS NOT NULL AND p.published_at IS NULL
               AND p.stream_id = o.stream_id AND p.id < o.id)) AS waiting
    FROM outbox o
    WHERE o.published_at IS NULL
    """
)
_PARKED = sa.text(
    """
    SELECT o.id, o.event_id, o.stream_id, o.subject, o.attempts, o.last_error,
           o.created_at, o.parked_at, length(o.payload) AS size,
           (SELECT count(*) FROM outbox w
             WHERE w.published_at IS NULL AND w.stream_id = o.stream_id AND w.id > o.id)
             AS waiting
    FROM outbox o
    WHERE o.published_at IS NULL AND o.parked_at IS NOT NULL
    ORDER BY o.id
    """
)


class TooLargeForServer(Exception):
    """The row is larger than the NATS server accepts; sending it would be refused."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"payload of {size} bytes exceeds the server's limit of {limit}")


@dataclass(frozen=True)
class OutboxHealth:
    """Rows not yet published, of them those the relay cannot publish (parked), and rows
    waiting behind a parked one."""

    parked: int
    waiting: int
    unpublished: int = 0


@dataclass(frozen=True)
class ParkedRow:
    """One outbox row the relay set aside, for ``veiviser outbox list``."""

    id: int
    event_id: str
    stream_id: str | None
    subject: str
    attempts: int
    last_error: str | None
    created_at: datetime
    parked_at: datetime
    size: int
    waiting: int


async def outbox_health(conn: AsyncConnection) -> OutboxHealth:
    row = (await conn.execute(_HEALTH)).one()
    return OutboxHealth(int(row.parked), int(row.waiting), int(row.unpublished))


async def parked_rows(conn: AsyncConnection) -> list[ParkedRow]:
    """Every parked row, oldest first, with how many rows of its stream wait behind it."""
    return [
        ParkedRow(
            id=int(r.id),
            event_id=str(r.event_id),
            stream_id=r.stream_id,
            subject=r.subject,
            attempts=int(r.attempts),
            last_error=r.last_error,
            created_at=r.created_at,
            parked_at=r.parked_at,
            size=int(r.size),
            waiting=int(r.waiting),
        )
        for r in (await conn.execute(_PARKED)).all()
    ]


async def retry_parked(conn: AsyncConnection, ids: Sequence[int] | None = None) -> list[int]:
    """Give parked rows (the given ``ids``, or all) back to the relay; returns their ids.

    Their attempt count starts again; the relay picks them up on its next pass
    (within ``relay_idle_seconds``), before the rows of their streams that waited.
    """
    query = (
        sa.update(_o)
        .where(_o.c.published_at.is_(None), _o.c.parked_at.is_not(None))
        .values(parked_at=None, attempts=0)
        .returning(_o.c.id)
    )
    if ids is not None:
        query = query.where(_o.c.id.in_(list(ids)))
    return sorted(int(r.id) for r in (await conn.execute(query)).all())


_FAILING_ROWS_REMEMBERED = 10_000


def _order_key(row: Any) -> object:
    """The rows that must go out in order share a key: those of one stream.

    A row without a stream id (written straight into the table, not by the event
    store) has no known aggregate and is ordered with nothing.
    """
    return row.stream_id if row.stream_id is not None else ("row", row.id)


def _about_the_row(error: BaseException) -> bool:
    """Whether ``error`` is about the row itself, so retrying cannot help."""
    if isinstance(error, TooLargeForServer | nats.errors.MaxPayloadError):
        return True
    return isinstance(error, APIError) and error.err_code == _MESSAGE_TOO_LARGE


def _describe(error: BaseException) -> str:
    # Our own words and the error's type: bus errors do not quote payloads, but a
    # truncated type-and-message keeps any surprise short.
    return f"{type(error).__name__}: {error}"[:300]


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
        # Outbox row id -> when this relay first saw it fail (monotonic): a row is parked
        # for failing long enough, not merely often (see relay_park_after_seconds).
        self._failing_since: dict[int, float] = {}
        self._stream_ready = False
        self._gauges_at = float("-inf")
        # Per-database singleton: two relays on one outbox could interleave and break
        # per-stream order, so each pass holds this advisory lock.
        self._lock_key = zlib.crc32(f"veiviser-outbox-{service}".encode())

    def notify(self) -> None:
        """Tell the relay that a transaction with outbox rows has just committed."""
        self._wakeup.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Publish until ``stop`` is set, backing off while NATS or PostgreSQL is away.

        Woken by :meth:`notify` from commands in this process and, through the
        database, by every commit that adds outbox rows (:meth:`listen`); otherwise it
        looks every ``relay_idle_seconds``.
        """
        await beside(self._relay(stop), self.listen(stop), "outbox-listen")

    async def listen(self, stop: asyncio.Event) -> None:
        """Wake this relay at every commit, from any process, that adds outbox rows.

        The outbox's trigger NOTIFYs :data:`~shared.tables.OUTBOX_CHANNEL` at
        commit. Only one relay per database publishes at a time (the pass's advisory
        lock), so without it a row committed by another replica, or by a service
        whose relay runs in a process of its own, waited for the holder's next idle
        look. One connection of its own, outside the pool; reconnects after losing it
        and then looks once, for what was committed while it was away.
        """
        url = self.settings.service_database_url(self.service, driver="postgresql")
        backoff = 0.5
        while not stop.is_set():
            try:
                conn = await asyncpg.connect(url)
            except (OSError, asyncpg.PostgresError) as exc:
                log.warning("outbox.listen_failed", error=type(exc).__name__, retry_in=backoff)
                await _sleep_or_stop(stop, backoff)
                backoff = min(backoff * 2, self.settings.relay_max_backoff_seconds)
                continue
            backoff = 0.5
            try:
                await self._hear(conn, stop)
            except (OSError, asyncpg.PostgresError) as exc:
                log.warning("outbox.listen_lost", error=type(exc).__name__)
            finally:
                with contextlib.suppress(Exception):
                    await conn.close(timeout=2)

    async def _hear(self, conn: asyncpg.Connection[Any], stop: asyncio.Event) -> None:
        """Wake the relay at each notification until ``stop`` or the connection is lost."""
        lost = asyncio.Event()
        conn.add_termination_listener(lambda _conn: lost.set())
        await conn.add_listener(tables.OUTBOX_CHANNEL, lambda *_: self._wakeup.set())
        self._wakeup.set()
        await first_of(stop, lost)

    async def _relay(self, stop: asyncio.Event) -> None:
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
                with contextlib.suppress(Exception):
                    # NATS away: the backlog grows, and the gauge is how an operator sees it.
                    await self.refresh_gauges()
                await _sleep_or_stop(stop, backoff)
                backoff = min(backoff * 2, self.settings.relay_max_backoff_seconds)

    async def _idle(self, stop: asyncio.Event) -> None:
        await first_of(self._wakeup, stop, timeout=self.settings.relay_idle_seconds)

    async def publish_pending(self) -> int:
        """One pass: publish up to a batch of rows; returns how many it settled.

        A row the bus refuses for what it is (larger than the server's max_payload)
        is parked at once; one that keeps failing for any other reason is parked
        after ``relay_park_after_attempts``. Either way its error and attempt count
        are recorded, the later rows of the same stream wait behind it (per-aggregate
        order), and every other stream's rows keep flowing. Errors that are not about
        a row (NATS away, no acknowledgement) make the relay back off and try again.
        """
        async with self.db.transaction() as conn:
            driver = await driver_connection(conn)
            if not await driver.fetchval(_LOCK_PASS, self._lock_key):
                return 0
            rows = [
                _Pending(*record)
                for record in await driver.fetch(_PUBLISHABLE, self.settings.relay_batch_size)
            ]
            if not rows:
                if self.metrics:
                    self.metrics.outbox_backlog.labels(self.service).set(0)
                return 0
            marker = _Marker(driver)
            try:
                acked, failures = await self._publish_in_waves(rows, marker)
            finally:
                await marker.finish()
            if self._failing_since:
                for row_id in acked:
                    self._failing_since.pop(row_id, None)
            parked, transient = await self._record_failures(conn, failures)
        if self.metrics:
            self.metrics.events_published.labels(self.service).inc(len(acked))
            if len(rows) < self.settings.relay_batch_size and not failures:
                self.metrics.outbox_backlog.labels(self.service).set(0)
        now = time.monotonic()
        if parked or (
            self.metrics
            and len(rows) >= self.settings.relay_batch_size
            and now - self._gauges_at >= _GAUGES_EVERY_SECONDS
        ):
            # A full batch: more may wait, and the backlog gauge should say how many
            # (counting the outbox costs more than a pass, so not after every one).
            self._gauges_at = now
            await self.refresh_gauges()
        if transient is not None:
            raise transient
        return len(acked) + parked

    async def _publish_in_waves(
        self, rows: Sequence[Any], marker: _Marker | None = None
    ) -> tuple[list[int], list[tuple[Any, BaseException]]]:
        """Publish ``rows``; returns the ids JetStream acknowledged and the failures.

        Each wave sends the next row of every stream at once and waits for their
        acks, so a stream's row goes out only after the one before it is stored: a
        row that fails can never be overtaken by a later row of its stream. A row too
        large for the server is not sent at all (the server would drop the
        connection for it). After a failure the stream's remaining rows stay for a
        later pass, behind the failed one. ``marker`` gets the acknowledged ids as
        they come, so marking them published overlaps the wait for the rest.
        """
        publisher = self.bus.publisher
        stream = self.settings.stream_name(self.service)
        server_max = self.bus.server_max_payload()
        limit = server_max - HEADER_ALLOWANCE_BYTES if server_max else None
        queues: dict[object, list[Any]] = {}
        for row in rows:
            queues.setdefault(_order_key(row), []).append(row)
        acked: list[int] = []
        failures: list[tuple[Any, BaseException]] = []
        while queues:
            wave = sorted((queue[0] for queue in queues.values()), key=lambda r: r.id)
            sending: list[Any] = []
            for row in wave:
                if limit is not None and len(row.payload) > limit:
                    failures.append((row, TooLargeForServer(len(row.payload), limit)))
                    del queues[_order_key(row)]
                else:
                    sending.append(row)
            sent, stopped = await publisher.send(
                stream, [(row.subject, bytes(row.payload), str(row.event_id)) for row in sending]
            )
            try:
                await self._acknowledged(sent, sending, marker)
            finally:
                publisher.forget(sent)
            for row, error in zip(sending, sent.errors, strict=False):
                if error is sent.UNANSWERED:
                    error = TimeoutError("no acknowledgement from JetStream")
                if error is None:
                    acked.append(row.id)
                    queue = queues[_order_key(row)]
                    queue.pop(0)
                    if not queue:
                        del queues[_order_key(row)]
                else:
                    failures.append((row, error))
                    del queues[_order_key(row)]
            if stopped is not None:
                # The connection, not the row: nothing more can be sent now.
                failures.append((sending[len(sent.errors)], stopped))
                break
        return acked, failures

    async def _record_failures(
        self, conn: AsyncConnection, failures: list[tuple[Any, BaseException]]
    ) -> tuple[int, BaseException | None]:
        """Store each failing row's error and attempt; park the ones that cannot go.

        Returns how many were parked and the first error that calls for a back-off.
        """
        parked = 0
        transient: BaseException | None = None
        now = time.monotonic()
        if len(self._failing_since) > _FAILING_ROWS_REMEMBERED:
            # Rows another replica's relay published are never seen again here.
            self._failing_since.clear()
        for row, error in failures:
            park_now = _about_the_row(error)
            failing_long = (
                now - self._failing_since.setdefault(row.id, now)
                >= self.settings.relay_park_after_seconds
            )
            result = await conn.execute(
                sa.update(tables.outbox)
                .where(tables.outbox.c.id == row.id)
                .values(
                    attempts=tables.outbox.c.attempts + 1,
                    last_error=_describe(error),
                    parked_at=sa.case(
                        (
                            sa.or_(
                                sa.true() if park_now else sa.false(),
                                sa.and_(
                                    tables.outbox.c.attempts + 1
                                    >= self.settings.relay_park_after_attempts,
                                    sa.true() if failing_long else sa.false(),
                                ),
                            ),
                            sa.func.now(),
                        ),
                        else_=None,
                    ),
                )
                .returning(tables.outbox.c.parked_at, tables.outbox.c.attempts)
            )
            state = result.one()
            if state.parked_at is not None:
                self._failing_since.pop(row.id, None)
                parked += 1
                log.error(
                    "outbox.parked",
                    outbox_id=row.id,
                    attempts=state.attempts,
                    error=type(error).__name__,
                )
            elif transient is None:
                transient = error
        return parked, transient

    async def refresh_gauges(self) -> OutboxHealth:
        """Count parked and waiting rows, and put the counts into the metrics."""
        async with self.db.connect() as conn:
            health = await outbox_health(conn)
        if self.metrics:
            self.metrics.outbox_parked.labels(self.service).set(health.parked)
            self.metrics.outbox_waiting.labels(self.service).set(health.waiting)
            self.metrics.outbox_backlog.labels(self.service).set(health.unpublished)
        return health

    async def _acknowledged(self, wave: Wave, rows: Sequence[Any], marker: _Marker | None) -> None:
        """Wait until JetStream has answered the wave, at most the ack timeout.

        Stops waiting once the connection drops: acks for messages sent to a server that
        died never come, and sitting out the timeout would hold the outbox back after
        every NATS restart. Whatever is unanswered is published again (deduplicated).
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + ACK_TIMEOUT_SECONDS
        while True:
            if marker is not None:
                marker.add(rows[i].id for i in wave.take_answered() if wave.errors[i] is None)
            if wave.outstanding <= 0 or not self.bus.connected:
                return
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            await wave.changed(min(remaining, _ACK_POLL_SECONDS))

    async def backlog(self) -> int:
        async with self.db.connect() as conn:
            count = await conn.scalar(
                sa.select(sa.func.count()).where(tables.outbox.c.published_at.is_(None))
            )
        return int(count or 0)


async def relay_alone(
    settings: Settings, service: str, stop: asyncio.Event, metrics: Metrics | None = None
) -> None:
    """Publish ``service``'s outbox from this process until ``stop`` is set.

    The relay of a service run with ``relay_in_process`` off (``veiviser relay``): the
    same :class:`OutboxRelay`, on a small pool and a NATS connection of its own, woken
    by the database at every commit that adds outbox rows. Several may run (and beside
    relays in service processes): one at a time publishes, as between replicas.
    """
    db = Database.for_service(settings, service, pool_size=2)
    bus = Bus(settings, f"veiviser-{service}-relay")
    bus.start()
    try:
        await OutboxRelay(db, bus, settings, service, metrics).run(stop)
    finally:
        await bus.close()
        await db.dispose()


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
