"""Durable JetStream pull consumers that apply events to a service's projections.

For each batch one database transaction stores the events in ``received_events`` (the
inbox: its unique key is the event id), applies them to the projections and moves the
checkpoint; only after that commit are the messages acked. A redelivery — also one
long after JetStream's duplicate window — finds the event id already in the inbox and
changes nothing.

**Per-aggregate order and gaps.** ``consumer_streams`` remembers, per consumer and
source stream (aggregate), the version of the last published event applied. Each
published CloudEvent carries ``streamversion`` and ``previousversion``, the version of
the stream's previous *published* event (:data:`shared.eventstore.PREVIOUS_VERSION`),
so the versions of unpublished events never look like a gap. For every event:

- ``streamversion`` at or below the stored version: a duplicate, skipped;
- ``previousversion`` at or below it: the next one, applied;
- otherwise a predecessor is missing. The event is *held*: not applied, not stored,
  nak'ed with a short delay (``consumer_gap_delay_seconds`` × deliveries) so a
  predecessor still in flight — redelivered, or being applied by another replica —
  can go first. After ``consumer_gap_retries`` deliveries the consumer fills the gap
  from the source service's catch-up feed (:mod:`shared.catchup`: that stream's
  published events after the stored version, in version order) through the same
  inbox, and the held event then turns out to be a duplicate or the next one.

Events published before ``previousversion`` existed carry none; for them the inbox
alone deduplicates, as before, and they move the stored version on.

**Reconciliation.** A lost event with no successor leaves no gap to see, and a NATS
store that was wiped loses whole tails. So each consumer also walks the source's
whole feed from ``consumer_checkpoints.feed_cursor``, at every (re)subscribe (a stream
recreated empty, a consumer that vanished with it) and whenever JetStream has been
idle for ``consumer_reconcile_seconds``; what it already has are duplicates, what it
never saw is applied in per-stream order, and the cursor moves only past pages wholly
applied.

**Replicas.** Two processes of a service run the same consumer on one durable and
one database; JetStream hands each its share of the messages, so batches interleave.
The batch transaction first locks its streams' ``consumer_streams`` rows (one
``SELECT … FOR UPDATE`` over the sorted stream ids: a consistent lock order, so two
batches never deadlock on them; a stream without a row yet can only take its first
published event, which the inbox's unique key lets apply once). An event whose
predecessor the other replica is applying waits for that commit and is then the next
one, or is held until the predecessor arrives. Unless a feed says its projections only
change rows of the event's own stream (:attr:`shared.service.Feed.concurrent`), the
batch locks the consumer's checkpoint row before the stream rows, so replicas apply
that consumer's batches in turn: projections that fold several aggregates into one row
(a household of several participants) would otherwise lose updates between two
concurrent read-modify-writes. Subject-partitioned consumers (one durable per hash
bucket of the stream id) were the alternative: they keep order by construction but need
a fixed partition count, a way to hand partitions to replicas and re-balance them when
one dies, and they still would not protect cross-aggregate rows. Version rows work with
any number of replicas on one durable, and they are what gap detection needs anyway.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import uuid
from collections import Counter
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
from shared.bus import Bus, ack, fetch
from shared.catchup import CatchUpClient, CatchUpUnavailable
from shared.db import Database, driver_connection
from shared.events import Envelope
from shared.eventstore import PREVIOUS_VERSION
from shared.inbox import Keep, minimise
from shared.inbox import received_payload as received_payload
from shared.logging import describe_exception, get_logger
from shared.metrics import Metrics
from shared.projection import EventFailed
from shared.settings import Settings
from shared.tasks import beside, first_of

log = get_logger(__name__)

Handler = Callable[[AsyncConnection, Sequence[Envelope]], Awaitable[None]]
"""Applies a batch of new events, in order, in the consumer's transaction."""

# After this many empty fetches in a row the consumer asks the server how far behind
# it is: nats.py pull subscriptions can sit silent after a server restart, and a
# consumer with messages pending that still gets nothing is re-subscribed.
_HEALTH_CHECK_AFTER_EMPTY_FETCHES = 3


# The hot path's statements, sent to asyncpg directly (see shared.db.driver_connection).
# A batch costs two: the stream rows locked and read, then the inbox rows, the stream
# versions moved on and the checkpoint in one statement. Duplicates within the inbox
# insert are fine (the first of two rows with one event id is kept, the second skipped).
# A stream's version moves only with an event the inbox took as new: a redelivered or
# reconciled event that meets its tombstone must not bring back the row of an erased
# person's stream, which scrub_inbox deleted.
#
# Existing rows only, so a batch of new streams writes each row once (in _RECORD). A
# stream without a row yet has applied nothing: only its first published event
# (previousversion 0) can apply, and two transactions applying that same event meet on
# the inbox's unique key, so the second finds it a duplicate.
#
# One primary-key probe per stream, locking in the order of the (sorted) array: the
# row-locking subquery is never flattened into a join, so no plan scans every row of
# the consumer, whatever the table's statistics say.
_LOCKED_STREAMS = """
    SELECT c.stream_id, c.version
    FROM unnest($2::text[]) AS s(stream_id),
    LATERAL (
        SELECT stream_id, version FROM consumer_streams
        WHERE consumer = $1 AND stream_id = s.stream_id
        FOR UPDATE
    ) AS c
"""
_LOCK_STREAMS = _LOCKED_STREAMS
# The same, after waiting for this consumer's turn: the checkpoint row, locked first
# (Append runs the branches in order), so replicas apply the consumer's batches one at a
# time. A consumer's checkpoint row is written before it first subscribes.
_LOCK_STREAMS_IN_TURN = (
    """
    WITH turn AS (
        SELECT consumer FROM consumer_checkpoints WHERE consumer = $1 FOR UPDATE
    ),
    streams AS ("""
    + _LOCKED_STREAMS
    + """)
    SELECT NULL::text AS stream_id, NULL::int AS version FROM turn
    UNION ALL
    SELECT stream_id, version FROM streams
"""
)
_OPEN_CHECKPOINT = """
    INSERT INTO consumer_checkpoints (consumer, source_sequence) VALUES ($1, 0)
    ON CONFLICT (consumer) DO NOTHING
"""
_INBOX_AND_VERSIONS = """
    inbox AS (
        INSERT INTO received_events (consumer, event_id, type, source_sequence, payload)
        SELECT $1, event_id, type, source_sequence, payload
        FROM unnest($2::uuid[], $3::text[], $4::bigint[], $5::jsonb[])
            AS batch(event_id, type, source_sequence, payload)
        ON CONFLICT (consumer, event_id) DO NOTHING
        RETURNING event_id
    ),
    advanced AS (
        INSERT INTO consumer_streams (consumer, stream_id, version)
        SELECT $1, stream_id, version FROM unnest($6::text[], $7::int[]) AS v(stream_id, version)
        WHERE v.stream_id IN (
            SELECT applied.stream_id
            FROM inbox JOIN unnest($2::uuid[], $8::text[]) AS applied(event_id, stream_id)
                USING (event_id)
        )
        ON CONFLICT (consumer, stream_id) DO UPDATE
        SET version = greatest(consumer_streams.version, excluded.version)
    )"""
_CHECKPOINT = """
    INSERT INTO consumer_checkpoints (consumer, source_sequence)
    VALUES ($1, coalesce($9::bigint, 0))
    ON CONFLICT (consumer) DO UPDATE
    SET source_sequence = greatest(consumer_checkpoints.source_sequence, excluded.source_sequence),
        updated_at = now()
"""
# Taking turns, the batch holds the checkpoint row already: everything in one statement.
_RECORD_IN_TURN = (
    "WITH"
    + _INBOX_AND_VERSIONS
    + ",\n    checkpoint AS ("
    + _CHECKPOINT
    + ")\n    SELECT event_id FROM inbox"
)
# Concurrently, the checkpoint row is written last, after the projections: a lock every
# batch takes is then only held from there to the commit, and never before another.
_RECORD_CONCURRENTLY = "WITH" + _INBOX_AND_VERSIONS + "\n    SELECT event_id FROM inbox"
_CHECKPOINT_LAST = _CHECKPOINT.replace("$9", "$2")
_IN_INBOX = (
    "SELECT event_id FROM received_events WHERE consumer = $1 AND event_id = ANY($2::uuid[])"
)
_STORED_VERSION = "SELECT version FROM consumer_streams WHERE consumer = $1 AND stream_id = $2"
_FEED_CURSOR = "SELECT feed_cursor FROM consumer_checkpoints WHERE consumer = $1"
_SAVE_FEED_CURSOR = """
    INSERT INTO consumer_checkpoints (consumer, source_sequence, feed_cursor) VALUES ($1, 0, $2)
    ON CONFLICT (consumer) DO UPDATE SET feed_cursor = excluded.feed_cursor, updated_at = now()
"""
_SKIP_PAST = """
    INSERT INTO consumer_streams (consumer, stream_id, version) VALUES ($1, $2, $3)
    ON CONFLICT (consumer, stream_id) DO UPDATE
    SET version = greatest(consumer_streams.version, excluded.version)
"""


class Outcome(enum.Enum):
    """What became of one event of a batch."""

    APPLIED = "applied"
    DUPLICATE = "duplicate"
    HELD = "held"
    """Its predecessor has not been applied: not applied, not stored; try again later."""


class FeedStalled(Exception):
    """Catching up from the feed stopped at an event that could not be applied yet."""


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
    previous: int | None = None
    """The stream's previous published version (``previousversion``); None on events
    published before the attribute existed."""


@dataclass(frozen=True)
class _Item:
    received: Received
    sequence: int
    """JetStream stream sequence; 0 for an event read from the catch-up feed."""


@dataclass(frozen=True)
class _Fetched:
    """A fetched batch, decoded: what the inbox takes, and what it cannot read."""

    msgs: list[Msg]
    pending: list[tuple[Msg, _Item]]
    undecodable: list[Msg]


def received(document: Any, keep: Keep | None) -> Received:
    """A CloudEvent document as the consumer handles it (``keep`` minimises it)."""
    if not isinstance(document, dict):
        raise ValueError("not a JSON object")
    try:
        kept = minimise(document, keep)
    except Exception as exc:
        # A keep function that cannot read this payload makes it as unusable as
        # undecodable JSON; it is dead-lettered, not retried forever.
        raise ValueError(f"keep failed for {document.get('type')}: {type(exc).__name__}") from exc
    previous = document.get(PREVIOUS_VERSION)
    if previous is not None and (isinstance(previous, bool) or not isinstance(previous, int)):
        raise ValueError(f"{PREVIOUS_VERSION} is not an integer")
    return Received(Envelope.from_cloudevent(kept), kept, previous)


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
        *,
        catchup: CatchUpClient | None = None,
        in_turn: bool = True,
    ) -> None:
        """``catchup`` reads the source's feed (gap fill, reconciliation; without one,
        a gap waits for its predecessor). ``in_turn``: replicas apply this consumer's
        batches one at a time (see the module docstring)."""
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
        self.catchup = catchup
        self.in_turn = in_turn
        self._debug = settings.log_level.upper() == "DEBUG"
        self._reconcile_now = asyncio.Event()
        self._idle = False
        self._feed_failures: Counter[uuid.UUID] = Counter()

    async def run(self, stop: asyncio.Event) -> None:
        await beside(self._consume(stop), self._reconcile_loop(stop), f"{self.durable}-reconcile")

    async def _consume(self, stop: asyncio.Event) -> None:
        backoff = 0.2
        while not stop.is_set():
            try:
                if not await self.bus.wait_connected(timeout=1.0):
                    continue
                await self.bus.ensure_stream(self.subscription.source_service)
                await self._open_checkpoint()
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
                # A (re)subscribe may follow a stream recreated empty or a consumer lost
                # with it: look in the source's feed for what JetStream no longer has.
                self._reconcile_now.set()
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
        ahead: asyncio.Task[_Fetched] | None = self._fetch(psub)
        try:
            while ahead is not None:
                try:
                    fetched = await ahead
                except TimeoutError:
                    ahead = None
                    self._idle = True
                    empty += 1
                    if empty >= _HEALTH_CHECK_AFTER_EMPTY_FETCHES:
                        empty = 0
                        if await self._looks_stalled(psub):
                            log.warning("consumer.stalled_resubscribing", consumer=self.durable)
                            return
                    if not stop.is_set():
                        ahead = self._fetch(psub)
                    continue
                empty = 0
                # The next batch is on its way, and decoded, while this one is applied:
                # JetStream's delivery and the client's parsing and decoding overlap the
                # database's work. One batch ahead at most; max_ack_pending is four.
                ahead = None if stop.is_set() else self._fetch(psub)
                await self._handle_fetched(fetched)
                if stop.is_set():
                    break
        except asyncio.CancelledError:
            if ahead is not None:
                ahead.cancel()
            raise
        except BaseException:
            if ahead is not None:
                await self._give_back(ahead)
            raise
        if ahead is not None:
            await self._give_back(ahead)

    def _fetch(self, psub: JetStreamContext.PullSubscription) -> asyncio.Task[_Fetched]:
        return asyncio.ensure_future(self._fetch_decoded(psub))

    async def _fetch_decoded(self, psub: JetStreamContext.PullSubscription) -> _Fetched:
        msgs = await fetch(
            psub, self.settings.consumer_batch_size, self.settings.consumer_fetch_timeout_seconds
        )
        return self._decode_batch(msgs)

    async def _give_back(self, ahead: asyncio.Task[_Fetched]) -> None:
        """A batch fetched ahead but not applied goes back now, not after ``ack_wait``."""
        if not ahead.done():
            # Stopping or re-subscribing: the fetch ends within its own timeout.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(
                    asyncio.shield(ahead), self.settings.consumer_fetch_timeout_seconds + 1
                )
        if not ahead.done():
            ahead.cancel()
            return
        if ahead.cancelled() or ahead.exception() is not None:
            return
        for msg in ahead.result().msgs:
            with contextlib.suppress(Exception):
                await msg.nak()

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
        return received(orjson.loads(msg.data), self.subscription.keep)

    async def handle(self, msg: Msg) -> None:
        """Apply one message exactly once, in its stream's order, then ack it."""
        meta = msg.metadata
        sequence = int(meta.sequence.stream)
        deliveries = int(meta.num_delivered)
        try:
            decoded = self._decode(msg)
        except (ValueError, KeyError, TypeError) as exc:
            await self._dead_letter(
                msg, None, sequence, deliveries, f"undecodable: {describe_exception(exc)}"
            )
            await msg.term()
            return
        envelope = decoded.envelope
        structlog.contextvars.bind_contextvars(
            correlation_id=envelope.correlation_id, event_id=str(envelope.id)
        )
        try:
            try:
                [outcome] = await self._apply_one(_Item(decoded, sequence))
            except Exception as exc:
                await self._failed(msg, decoded, sequence, deliveries, exc)
                return
            if outcome is Outcome.HELD:
                await self._hold(msg, _Item(decoded, sequence))
                return
            # Acked only after the commit; an ack lost on a closed connection just means a
            # redelivery, which the inbox turns into a no-op.
            await msg.ack()
            self._count(outcome.value)
            log.debug(
                "consumer.applied",
                consumer=self.durable,
                type=envelope.type_name,
                duplicate=outcome is Outcome.DUPLICATE,
            )
        finally:
            structlog.contextvars.unbind_contextvars("correlation_id", "event_id")

    async def _failed(
        self, msg: Msg, decoded: Received, sequence: int, deliveries: int, exc: Exception
    ) -> None:
        envelope = decoded.envelope
        if deliveries >= self.settings.consumer_max_deliveries:
            await self._dead_letter(
                msg,
                str(envelope.id),
                sequence,
                deliveries,
                describe_exception(exc),
                envelope.to_json(),
                skipped=envelope,
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
        dead-lettered. Events held for a missing predecessor are nak'ed (or their gap
        filled) after the rest is acked.
        """
        await self._handle_fetched(self._decode_batch(msgs))

    def _decode_batch(self, msgs: list[Msg]) -> _Fetched:
        fetched = _Fetched(msgs, [], [])
        for msg in msgs:
            try:
                decoded = self._decode(msg)
            except (ValueError, KeyError, TypeError):
                fetched.undecodable.append(msg)
                continue
            fetched.pending.append((msg, _Item(decoded, _stream_sequence(msg))))
        return fetched

    async def _handle_fetched(self, fetched: _Fetched) -> None:
        for msg in fetched.undecodable:
            await self.handle(msg)
        pending = fetched.pending
        while pending:
            try:
                outcomes = await self._apply([item for _, item in pending])
            except EventFailed as failure:
                # The events before the failing one are fine: apply them on their own,
                # count this delivery as the failing event's try, go on after it.
                if failure.index:
                    await self.handle_batch([msg for msg, _ in pending[: failure.index]])
                msg, item = pending[failure.index]
                await self._failed(
                    msg,
                    item.received,
                    item.sequence,
                    int(msg.metadata.num_delivered),
                    failure.error,
                )
                pending = pending[failure.index + 1 :]
                continue
            except Exception:
                for msg, _ in pending:
                    await self.handle(msg)
                return
            held: list[tuple[Msg, _Item]] = []
            done: list[Msg] = []
            for (msg, item), outcome in zip(pending, outcomes, strict=True):
                if outcome is Outcome.HELD:
                    held.append((msg, item))
                else:
                    done.append(msg)
            await ack(done)
            if self._debug:
                # Per event, for tracing a correlation id; skipped, not just filtered,
                # otherwise: building the lines costs more than the ack.
                for (_, item), outcome in zip(pending, outcomes, strict=True):
                    log.debug(
                        "consumer.applied",
                        consumer=self.durable,
                        type=item.received.envelope.type_name,
                        correlation_id=item.received.envelope.correlation_id,
                        event_id=str(item.received.envelope.id),
                        outcome=outcome.value,
                    )
            tally = Counter(outcomes)
            self._count("applied", tally[Outcome.APPLIED])
            self._count("duplicate", tally[Outcome.DUPLICATE])
            for msg, item in held:
                await self._hold(msg, item)
            return

    async def _hold(self, msg: Msg, item: _Item) -> None:
        """An event whose predecessor is missing: wait a little, then fill the gap."""
        deliveries = int(msg.metadata.num_delivered)
        envelope = item.received.envelope
        delay = self.settings.consumer_gap_delay_seconds * deliveries
        if deliveries < self.settings.consumer_gap_retries or self.catchup is None:
            await msg.nak(delay=min(delay, 30.0))
            self._count("held")
            log.info(
                "consumer.held",
                consumer=self.durable,
                type=envelope.type_name,
                stream_version=envelope.stream_version,
                previous_version=item.received.previous,
                deliveries=deliveries,
            )
            return
        try:
            await self.fill_stream(envelope.stream_id)
            [outcome] = await self._apply_one(item)
        except (CatchUpUnavailable, FeedStalled) as exc:
            await msg.nak(delay=min(delay, 30.0))
            self._count("held")
            log.warning(
                "consumer.gap_fill_failed",
                consumer=self.durable,
                deliveries=deliveries,
                error=describe_exception(exc),
            )
            return
        except Exception as exc:
            await self._failed(msg, item.received, item.sequence, deliveries, exc)
            return
        if outcome is Outcome.HELD:
            # The source's own record has no predecessor for it: its feed and this
            # event disagree. Keep it waiting, loudly, rather than apply it out of order.
            await msg.nak(delay=30.0)
            self._count("held")
            log.error(
                "consumer.gap_unfilled",
                consumer=self.durable,
                type=envelope.type_name,
                stream_version=envelope.stream_version,
                previous_version=item.received.previous,
            )
            return
        await msg.ack()
        self._count(outcome.value)

    async def _apply_one(self, item: _Item) -> list[Outcome]:
        try:
            return await self._apply([item])
        except EventFailed as failure:
            raise failure.error from None

    async def _apply(self, batch: Sequence[_Item], *, trusted: bool = False) -> list[Outcome]:
        """Inbox rows, projection changes, stream versions and checkpoint in one transaction.

        Returns each event's outcome. ``trusted``: the events are one stream's, in
        version order, from the source's own record (the feed), so each one after the
        stored version is the next, whatever its ``previousversion`` says.
        """
        async with self.db.transaction() as conn:
            driver = await driver_connection(conn)
            streams = sorted({item.received.envelope.stream_id for item in batch})
            if self.in_turn:
                locked = await driver.fetch(_LOCK_STREAMS_IN_TURN, self.consumer_key, streams)
                if not any(row["stream_id"] is None for row in locked):
                    # No checkpoint row yet to take turns on (a first batch outside run()).
                    await driver.execute(_OPEN_CHECKPOINT, self.consumer_key)
                    locked = await driver.fetch(_LOCK_STREAMS_IN_TURN, self.consumer_key, streams)
            else:
                locked = await driver.fetch(_LOCK_STREAMS, self.consumer_key, streams)
            stored = dict.fromkeys(streams, 0)
            stored.update(
                {row["stream_id"]: int(row["version"]) for row in locked if row["stream_id"]}
            )
            versions = dict(stored)
            outcomes: list[Outcome] = []
            chosen: list[int] = []
            for index, item in enumerate(batch):
                envelope = item.received.envelope
                current = versions[envelope.stream_id]
                previous = item.received.previous
                if previous is None:
                    # Published before previousversion existed: the inbox alone decides.
                    outcome = Outcome.APPLIED
                    versions[envelope.stream_id] = max(current, envelope.stream_version)
                elif envelope.stream_version <= current:
                    outcome = Outcome.DUPLICATE
                elif trusted or previous <= current:
                    outcome = Outcome.APPLIED
                    versions[envelope.stream_id] = envelope.stream_version
                else:
                    outcome = Outcome.HELD
                outcomes.append(outcome)
                if outcome is Outcome.APPLIED:
                    chosen.append(index)
            held = [i for i, outcome in enumerate(outcomes) if outcome is Outcome.HELD]
            if held:
                # An event the inbox already has was applied, whatever the stream rows say:
                # an erased person's row is gone (scrub_inbox), their events' tombstones stay.
                known = {
                    uuid.UUID(str(row["event_id"]))
                    for row in await driver.fetch(
                        _IN_INBOX,
                        self.consumer_key,
                        [batch[i].received.envelope.id for i in held],
                    )
                }
                for i in held:
                    if batch[i].received.envelope.id in known:
                        outcomes[i] = Outcome.DUPLICATE
            advanced = [stream for stream in streams if versions[stream] != stored[stream]]
            sequences = [
                item.sequence
                for item, outcome in zip(batch, outcomes, strict=True)
                if outcome is not Outcome.HELD and item.sequence
            ]
            applying = [batch[index].received for index in chosen]
            inserted = await driver.fetch(
                _RECORD_IN_TURN if self.in_turn else _RECORD_CONCURRENTLY,
                self.consumer_key,
                [r.envelope.id for r in applying],
                [r.envelope.type_name for r in applying],
                [batch[index].sequence for index in chosen],
                # The connection's jsonb codec takes JSON text (SQLAlchemy's asyncpg setup).
                [orjson.dumps(r.payload).decode() for r in applying],
                advanced,
                [versions[stream] for stream in advanced],
                [r.envelope.stream_id for r in applying],
                *([max(sequences) if sequences else None] if self.in_turn else []),
            )
            # asyncpg's UUIDs hash and compare like uuid.UUID: no conversion per row.
            new_ids = {_as_uuid(row["event_id"]) for row in inserted}
            fresh: list[Envelope] = []
            positions: list[int] = []
            for index in chosen:
                envelope = batch[index].received.envelope
                if envelope.id in new_ids:
                    # A message delivered twice in one batch is applied once.
                    new_ids.discard(envelope.id)
                    fresh.append(envelope)
                    positions.append(index)
                else:
                    outcomes[index] = Outcome.DUPLICATE
            if fresh:
                try:
                    await self.subscription.handler(conn, fresh)
                except EventFailed as failure:
                    raise EventFailed(positions[failure.index], failure.error) from failure.error
            if not self.in_turn:
                await driver.execute(
                    _CHECKPOINT_LAST, self.consumer_key, max(sequences) if sequences else None
                )
            return outcomes

    # -- the catch-up feed ---------------------------------------------------------------

    async def fill_stream(self, stream_id: str) -> int:
        """Apply what the source's feed has of ``stream_id`` after the stored version.

        Returns how many events were new. Raises :class:`CatchUpUnavailable` when the
        feed cannot be read, :class:`FeedStalled` when an event of it cannot be applied.
        """
        if self.catchup is None:
            raise CatchUpUnavailable("no catch-up feed configured")
        async with self.db.connect() as conn:
            driver = await driver_connection(conn)
            after = int(await driver.fetchval(_STORED_VERSION, self.consumer_key, stream_id) or 0)
        applied = 0
        while True:
            page = await self.catchup.stream(stream_id, after, self.settings.catchup_page_size)
            items = self._feed_items(page.events)
            if items:
                outcomes = await self._apply_feed(items, trusted=True)
                applied += outcomes.count(Outcome.APPLIED)
            if not page.more or page.next_version is None or page.next_version <= after:
                break
            after = page.next_version
        if applied:
            self._count("filled", applied)
            log.info("consumer.gap_filled", consumer=self.durable, stream=stream_id, events=applied)
        return applied

    async def reconcile(self) -> int:
        """Walk the source's whole feed from the stored cursor; returns events applied.

        What the consumer has are duplicates; what it never saw is applied, a stream
        whose events the global order shows out of version order filled from its own
        page. The cursor moves on only past pages wholly applied.
        """
        if self.catchup is None:
            return 0
        async with self.db.connect() as conn:
            cursor: str | None = await (await driver_connection(conn)).fetchval(
                _FEED_CURSOR, self.consumer_key
            )
        applied = 0
        while True:
            page = await self.catchup.page(cursor, self.settings.catchup_page_size)
            items = self._feed_items(page.events)
            if items:
                outcomes = await self._apply_feed(items)
                applied += outcomes.count(Outcome.APPLIED)
                held = [item for item, o in zip(items, outcomes, strict=True) if o is Outcome.HELD]
                if held:
                    for stream_id in sorted({item.received.envelope.stream_id for item in held}):
                        applied += await self.fill_stream(stream_id)
                    if Outcome.HELD in await self._apply_feed(held):
                        raise FeedStalled("the source's feed has a gap in one of its streams")
            if page.next is not None and page.next != cursor:
                async with self.db.transaction() as conn:
                    await (await driver_connection(conn)).execute(
                        _SAVE_FEED_CURSOR, self.consumer_key, page.next
                    )
                cursor = page.next
            if not page.more:
                break
        if applied:
            self._count("reconciled", applied)
            log.warning("consumer.reconciled", consumer=self.durable, events=applied)
        return applied

    def _feed_items(self, documents: Sequence[dict[str, Any]]) -> list[_Item]:
        try:
            return [_Item(received(doc, self.subscription.keep), 0) for doc in documents]
        except (ValueError, KeyError, TypeError) as exc:
            raise FeedStalled(f"undecodable event in the feed: {describe_exception(exc)}") from exc

    async def _apply_feed(self, items: Sequence[_Item], *, trusted: bool = False) -> list[Outcome]:
        """:meth:`_apply` for events from the feed; one that keeps failing is dead-lettered."""
        try:
            return await self._apply(items, trusted=trusted)
        except EventFailed as failure:
            before = await self._apply_feed(items[: failure.index], trusted=trusted)
            item = items[failure.index]
            envelope = item.received.envelope
            self._feed_failures[envelope.id] += 1
            if self._feed_failures[envelope.id] < self.settings.consumer_max_deliveries:
                raise FeedStalled(
                    f"{envelope.type_name} failed: {describe_exception(failure.error)}"
                ) from failure.error
            del self._feed_failures[envelope.id]
            await self._dead_letter_envelope(envelope, failure.error)
            after = await self._apply_feed(items[failure.index + 1 :], trusted=trusted)
            return [*before, Outcome.DUPLICATE, *after]

    async def _reconcile_loop(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await first_of(
                self._reconcile_now, stop, timeout=self.settings.consumer_reconcile_seconds
            )
            if stop.is_set():
                return
            if not self._reconcile_now.is_set() and not self._idle:
                continue
            self._reconcile_now.clear()
            self._idle = False
            try:
                await self.reconcile()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning(
                    "consumer.reconcile_failed",
                    consumer=self.durable,
                    error=describe_exception(exc),
                )

    async def _dead_letter(
        self,
        msg: Msg,
        event_id: str | None,
        sequence: int,
        deliveries: int,
        error: str,
        payload: bytes | None = None,
        *,
        skipped: Envelope | None = None,
    ) -> None:
        """Park a message; a decodable one is kept minimised like its inbox copy.

        A ``skipped`` event moves its stream's stored version past it, so the events
        after it are not held for ever behind a predecessor that will never apply.
        """
        async with self.db.transaction() as conn:
            if skipped is not None:
                await self._skip_past(conn, skipped)
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

    async def _open_checkpoint(self) -> None:
        """The consumer's checkpoint row, which batches lock to take turns."""
        async with self.db.transaction() as conn:
            await (await driver_connection(conn)).execute(_OPEN_CHECKPOINT, self.consumer_key)

    async def _skip_past(self, conn: AsyncConnection, envelope: Envelope) -> None:
        await (await driver_connection(conn)).execute(
            _SKIP_PAST, self.consumer_key, envelope.stream_id, envelope.stream_version
        )

    async def _dead_letter_envelope(self, envelope: Envelope, error: Exception) -> None:
        """Park an event from the catch-up feed that keeps failing (no message to term)."""
        async with self.db.transaction() as conn:
            await self._skip_past(conn, envelope)
            await conn.execute(
                sa.insert(tables.dead_letters).values(
                    consumer=self.consumer_key,
                    event_id=str(envelope.id),
                    subject="catch-up feed",
                    source_sequence=None,
                    deliveries=self.settings.consumer_max_deliveries,
                    error=describe_exception(error)[:2000],
                    payload=envelope.to_json(),
                )
            )
        self._count("dead_lettered")
        log.error("consumer.dead_lettered", consumer=self.durable, type=envelope.type_name)

    def _count(self, outcome: str, n: int = 1) -> None:
        if self.metrics and n:
            self.metrics.events_consumed.labels(self.service, self.durable, outcome).inc(n)


def _stream_sequence(msg: Msg) -> int:
    """The message's stream sequence, read from its ack subject.

    ``msg.metadata`` parses every token (and a timestamp) the first time; a batch
    only needs this one. JetStream's v1 ack subject is
    ``$JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<time>.<pending>``;
    any other form goes through nats-py's parser.
    """
    tokens = msg.reply.split(".") if msg.reply else []
    if len(tokens) == 9 and tokens[0] == "$JS" and tokens[1] == "ACK":
        return int(tokens[5])
    return int(msg.metadata.sequence.stream)


def _as_uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
