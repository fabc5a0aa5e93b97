"""Durable JetStream pull consumers that apply events to a service's projections.

For each message one database transaction stores the event in ``received_events``
(the inbox: its unique key is the event id), applies it to the projections and moves
the checkpoint; only after that commit is the message acked. A redelivery — also
one long after JetStream's duplicate window — finds the event id already in the
inbox and changes nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa
import structlog
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError
from sqlalchemy.ext.asyncio import AsyncConnection

from shared import tables
from shared.bus import Bus
from shared.db import Database, driver_connection
from shared.events import Envelope
from shared.inbox import Keep, minimise
from shared.inbox import received_payload as received_payload
from shared.logging import describe_exception, get_logger
from shared.metrics import Metrics
from shared.projection import EventFailed
from shared.settings import Settings

log = get_logger(__name__)

Handler = Callable[[AsyncConnection, Sequence[Envelope]], Awaitable[None]]
"""Applies a batch of new events, in order, in the consumer's transaction."""

# After this many empty fetches in a row the consumer asks the server how far behind
# it is: nats.py pull subscriptions can sit silent after a server restart, and a
# consumer with messages pending that still gets nothing is re-subscribed.
_HEALTH_CHECK_AFTER_EMPTY_FETCHES = 3


# The hot path's statements, sent to asyncpg directly (see shared.db.driver_connection):
# a whole batch's inbox rows are one statement, duplicates within it included (the
# first of two rows with one event id is kept, the second conflicts and is skipped).
_INBOX_INSERT = """
    INSERT INTO received_events (consumer, event_id, type, source_sequence, payload)
    SELECT $1, event_id, type, source_sequence, payload
    FROM unnest($2::uuid[], $3::text[], $4::bigint[], $5::jsonb[])
        AS batch(event_id, type, source_sequence, payload)
    ON CONFLICT (consumer, event_id) DO NOTHING
    RETURNING event_id
"""
_CHECKPOINT = """
    INSERT INTO consumer_checkpoints (consumer, source_sequence) VALUES ($1, $2)
    ON CONFLICT (consumer) DO UPDATE
    SET source_sequence = greatest(consumer_checkpoints.source_sequence, excluded.source_sequence),
        updated_at = now()
"""


@dataclass(frozen=True)
class Subscription:
    """What one consumer listens to: another service's stream (or part of it)."""

    name: str
    source_service: str
    handler: Handler
    filter_suffix: str = ">"
    keep: Keep | None = None
    """What the inbox keeps of each event type (see :func:`shared.inbox.minimise`)."""


@dataclass(frozen=True)
class Received:
    """A decoded message: its envelope and the minimised CloudEvent the inbox stores."""

    envelope: Envelope
    payload: dict[str, Any]


class DurableConsumer:
    """One durable pull consumer: fetch, apply once, ack; dead-letter what keeps failing."""

    def __init__(
        self,
        subscription: Subscription,
        db: Database,
        bus: Bus,
        settings: Settings,
        service: str,
        metrics: Metrics | None = None,
    ) -> None:
        self.subscription = subscription
        self.db = db
        self.bus = bus
        self.settings = settings
        self.service = service
        self.metrics = metrics
        self.durable = f"{settings.namespace}_{service}_{subscription.name}"
        self.stream = settings.stream_name(subscription.source_service)
        self.subject = (
            f"{settings.subject_prefix(subscription.source_service)}.{subscription.filter_suffix}"
        )
        self.consumer_key = subscription.name
        self._debug = settings.log_level.upper() == "DEBUG"

    async def run(self, stop: asyncio.Event) -> None:
        backoff = 0.2
        while not stop.is_set():
            try:
                if not await self.bus.wait_connected(timeout=1.0):
                    continue
                await self.bus.ensure_stream(self.subscription.source_service)
                psub = await self.bus.js.pull_subscribe(
                    self.subject,
                    durable=self.durable,
                    stream=self.stream,
                    config=ConsumerConfig(
                        ack_policy=AckPolicy.EXPLICIT,
                        deliver_policy=DeliverPolicy.ALL,
                        ack_wait=30,
                        max_deliver=-1,
                        max_ack_pending=self.settings.consumer_batch_size * 4,
                    ),
                )
                log.info("consumer.subscribed", consumer=self.durable)
                backoff = 0.2
                await self._fetch_loop(psub, stop)
                with contextlib.suppress(Exception):
                    await psub.unsubscribe()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning(
                    "consumer.failed",
                    consumer=self.durable,
                    error=describe_exception(exc),
                    retry_in=backoff,
                )
                await _sleep_or_stop(stop, backoff)
                backoff = min(backoff * 2, self.settings.relay_max_backoff_seconds)

    async def _fetch_loop(
        self, psub: JetStreamContext.PullSubscription, stop: asyncio.Event
    ) -> None:
        empty = 0
        while not stop.is_set():
            try:
                msgs = await psub.fetch(
                    self.settings.consumer_batch_size,
                    timeout=self.settings.consumer_fetch_timeout_seconds,
                )
            except TimeoutError:
                empty += 1
                if empty >= _HEALTH_CHECK_AFTER_EMPTY_FETCHES:
                    empty = 0
                    if await self._looks_stalled(psub):
                        log.warning("consumer.stalled_resubscribing", consumer=self.durable)
                        return
                continue
            empty = 0
            await self.handle_batch(msgs)

    async def _looks_stalled(self, psub: JetStreamContext.PullSubscription) -> bool:
        try:
            info = await psub.consumer_info()
        except NotFoundError:
            return True
        except Exception:
            return True
        pending = int(info.num_pending or 0)
        if self.metrics:
            self.metrics.consumer_lag.labels(self.service, self.durable).set(pending)
        return pending > 0

    def _decode(self, msg: Msg) -> Received:
        """The message as the inbox keeps it: only what the feed's ``keep`` selects."""
        document = orjson.loads(msg.data)
        if not isinstance(document, dict):
            raise ValueError("not a JSON object")
        try:
            kept = minimise(document, self.subscription.keep)
        except Exception as exc:
            # A keep function that cannot read this payload makes it as unusable as
            # undecodable JSON; it is dead-lettered, not retried forever.
            raise ValueError(
                f"keep failed for {document.get('type')}: {type(exc).__name__}"
            ) from exc
        return Received(Envelope.from_cloudevent(kept), kept)

    async def handle(self, msg: Msg) -> None:
        """Apply one message exactly once to the projections, then ack it."""
        meta = msg.metadata
        sequence = int(meta.sequence.stream)
        deliveries = int(meta.num_delivered)
        try:
            received = self._decode(msg)
        except (ValueError, KeyError, TypeError) as exc:
            await self._dead_letter(
                msg, None, sequence, deliveries, f"undecodable: {describe_exception(exc)}"
            )
            await msg.term()
            return
        envelope = received.envelope
        structlog.contextvars.bind_contextvars(
            correlation_id=envelope.correlation_id, event_id=str(envelope.id)
        )
        try:
            try:
                applied = await self._apply_one(received, sequence)
            except Exception as exc:
                await self._failed(msg, envelope, sequence, deliveries, exc)
                return
            # Acked only after the commit; an ack lost on a closed connection just means a
            # redelivery, which the inbox turns into a no-op.
            await msg.ack()
            self._count("applied" if applied else "duplicate")
            log.debug(
                "consumer.applied",
                consumer=self.durable,
                type=envelope.type_name,
                duplicate=not applied,
            )
        finally:
            structlog.contextvars.unbind_contextvars("correlation_id", "event_id")

    async def _failed(
        self, msg: Msg, envelope: Envelope, sequence: int, deliveries: int, exc: Exception
    ) -> None:
        if deliveries >= self.settings.consumer_max_deliveries:
            await self._dead_letter(
                msg,
                str(envelope.id),
                sequence,
                deliveries,
                describe_exception(exc),
                envelope.to_json(),
            )
            await msg.ack()
            self._count("dead_lettered")
            log.error(
                "consumer.dead_lettered",
                consumer=self.durable,
                type=envelope.type_name,
                deliveries=deliveries,
            )
        else:
            await msg.nak(delay=min(0.2 * 2**deliveries, 10.0))
            self._count("retried")
            log.warning(
                "consumer.handler_failed",
                consumer=self.durable,
                type=envelope.type_name,
                deliveries=deliveries,
                error=type(exc).__name__,
            )

    async def handle_batch(self, msgs: list[Msg]) -> None:
        """Apply a fetched batch in one transaction, then ack it.

        One commit, and set-based projection writes, for the whole batch instead of
        one per event is what lets a consumer keep up with the relay. If anything in
        the batch fails, the batch rolls back and its messages go through
        :meth:`handle` one by one, so only the failing event is retried or
        dead-lettered.
        """
        pending: list[tuple[Msg, Received, int]] = []
        for msg in msgs:
            try:
                received = self._decode(msg)
            except (ValueError, KeyError, TypeError):
                await self.handle(msg)
                continue
            pending.append((msg, received, int(msg.metadata.sequence.stream)))
        while pending:
            try:
                fresh = await self._apply([(env, seq) for _, env, seq in pending])
            except EventFailed as failure:
                # The events before the failing one are fine: apply them on their own,
                # count this delivery as the failing event's try, go on after it.
                if failure.index:
                    await self.handle_batch([msg for msg, _, _ in pending[: failure.index]])
                msg, received, sequence = pending[failure.index]
                await self._failed(
                    msg,
                    received.envelope,
                    sequence,
                    int(msg.metadata.num_delivered),
                    failure.error,
                )
                pending = pending[failure.index + 1 :]
                continue
            except Exception:
                for msg, _, _ in pending:
                    await self.handle(msg)
                return
            for msg, _, _ in pending:
                await msg.ack()
            if self._debug:
                # Per event, for tracing a correlation id; skipped, not just filtered,
                # otherwise: building the lines costs more than the ack.
                for _, received, _ in pending:
                    log.debug(
                        "consumer.applied",
                        consumer=self.durable,
                        type=received.envelope.type_name,
                        correlation_id=received.envelope.correlation_id,
                        event_id=str(received.envelope.id),
                    )
            self._count("applied", fresh)
            self._count("duplicate", len(pending) - fresh)
            return

    async def _apply_one(self, received: Received, sequence: int) -> bool:
        try:
            return await self._apply([(received, sequence)]) == 1
        except EventFailed as failure:
            raise failure.error from None

    async def _apply(self, batch: Sequence[tuple[Received, int]]) -> int:
        """Inbox rows, projection changes and the checkpoint in one transaction.

        Returns how many events were new (the rest were already in the inbox).
        """
        async with self.db.transaction() as conn:
            driver = await driver_connection(conn)
            inserted = await driver.fetch(
                _INBOX_INSERT,
                self.consumer_key,
                [received.envelope.id for received, _ in batch],
                [received.envelope.type_name for received, _ in batch],
                [sequence for _, sequence in batch],
                # The connection's jsonb codec takes JSON text (SQLAlchemy's asyncpg setup).
                [orjson.dumps(received.payload).decode() for received, _ in batch],
            )
            new_ids = {uuid.UUID(str(row["event_id"])) for row in inserted}
            fresh: list[Envelope] = []
            positions: list[int] = []
            for position, (received, _) in enumerate(batch):
                envelope = received.envelope
                if envelope.id in new_ids:
                    # A message delivered twice in one batch is applied once.
                    new_ids.discard(envelope.id)
                    fresh.append(envelope)
                    positions.append(position)
            if fresh:
                try:
                    await self.subscription.handler(conn, fresh)
                except EventFailed as failure:
                    raise EventFailed(positions[failure.index], failure.error) from failure.error
            highest = max(sequence for _, sequence in batch)
            await driver.execute(_CHECKPOINT, self.consumer_key, highest)
            return len(fresh)

    async def _dead_letter(
        self,
        msg: Msg,
        event_id: str | None,
        sequence: int,
        deliveries: int,
        error: str,
        payload: bytes | None = None,
    ) -> None:
        """Park a message; a decodable one is kept minimised like its inbox copy."""
        async with self.db.transaction() as conn:
            await conn.execute(
                sa.insert(tables.dead_letters).values(
                    consumer=self.consumer_key,
                    event_id=event_id,
                    subject=msg.subject,
                    source_sequence=sequence,
                    deliveries=deliveries,
                    error=error[:2000],
                    payload=payload if payload is not None else msg.data,
                )
            )

    def _count(self, outcome: str, n: int = 1) -> None:
        if self.metrics and n:
            self.metrics.events_consumed.labels(self.service, self.durable, outcome).inc(n)


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
