"""Append-only event store on PostgreSQL with optimistic concurrency.

Appends run inside the caller's transaction (``AsyncConnection``) so that inline
read models and outbox rows commit or roll back together with the events.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
import uuid
import weakref
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.db import driver_connection
from shared.events import Envelope, Event, EventRegistry, Metadata, utcnow
from shared.rules import RuleViolation, rule

NO_STREAM = 0
"""Expected version of a stream that must not exist yet."""

PREVIOUS_VERSION = "previousversion"
"""CloudEvent extension attribute: the stream version of the stream's previous
published event (0: this is its first). Events published before it existed lack it."""

DEFAULT_MAX_EVENT_BYTES = 1024 * 1024
"""NATS's default ``max_payload``."""
HEADER_ALLOWANCE_BYTES = 256
"""Room kept for the headers a published message carries (``Nats-Msg-Id``)."""

EVENT_TOO_LARGE = rule(
    "event-too-large",
    422,
    "Event too large to publish",
    description="The event this command records would be larger than the message bus "
    "carries (VEIVISER_MAX_EVENT_BYTES or the NATS server's max_payload); nothing is "
    "recorded. Shorten the longest fields or lists.",
)


def _too_large(envelope: Envelope, size: int, limit: int) -> RuleViolation:
    sizes = {
        name: len(json.dumps(value, separators=(",", ":"))) for name, value in envelope.data.items()
    }
    largest = max(sizes, key=lambda name: sizes[name]) if sizes else None
    return EVENT_TOO_LARGE.violation(
        f"The {envelope.type_name} event would be {size} bytes on the bus; at most {limit} "
        f"can be published"
        + (f" (its largest field is {largest}, {sizes[largest]} bytes)." if largest else "."),
        *([largest] if largest else []),
        size=size,
        limit=limit,
        event_type=envelope.type_name,
    )


# The hot path's statements, sent to asyncpg directly (see shared.db.driver_connection)
# and prepared once per connection by its statement cache. One round trip appends a
# batch: the stream claim, the events and the outbox rows are one statement, and the
# rows are written only if the claim took.
_APPEND_ROWS = """
    stored AS (
        INSERT INTO events (event_id, stream_id, version, type, municipality, data, actor,
                            correlation_id, causation_id, occurred_at, recorded_at)
        SELECT e.event_id, $1, e.version, e.type, $4, e.data::jsonb, $5, $6, $7, $8, $9
        FROM unnest($10::uuid[], $11::int[], $12::text[], $13::text[])
             WITH ORDINALITY AS e(event_id, version, type, data, n)
        WHERE EXISTS (SELECT FROM claimed)
        ORDER BY e.n
    ),
    published AS (
        INSERT INTO outbox (event_id, subject, stream_id, payload)
        SELECT o.event_id, o.subject, $1, o.payload
        FROM unnest($14::uuid[], $15::text[], $16::bytea[])
             WITH ORDINALITY AS o(event_id, subject, payload, n)
        WHERE EXISTS (SELECT FROM claimed)
        ORDER BY o.n
    )
    SELECT count(*) FROM claimed
"""
# The row lock taken by the UPDATE makes a concurrent appender wait and then re-check
# the version, so exactly one of them wins; a new stream's INSERT waits on the other
# transaction's row the same way.
_ADVANCE_AND_APPEND = (
    """
    WITH claimed AS (
        UPDATE streams SET version = $3, published_version = $17
        WHERE stream_id = $1 AND version = $2
        RETURNING stream_id
    ),"""
    + _APPEND_ROWS
)
_OPEN_AND_APPEND = (
    """
    WITH claimed AS (
        INSERT INTO streams (stream_id, stream_type, municipality, version, published_version)
        SELECT $1, $18, $4, $3, $17 WHERE $2::int = 0
        ON CONFLICT (stream_id) DO NOTHING
        RETURNING stream_id
    ),"""
    + _APPEND_ROWS
)
_CURRENT_VERSION = "SELECT version FROM streams WHERE stream_id = $1"
# For an append to a stream this transaction has not read: its row locked, so the
# published version read here is still the stream's when the append claims it.
_LOCK_VERSIONS = "SELECT version, published_version FROM streams WHERE stream_id = $1 FOR UPDATE"
_MUNICIPALITY = "SELECT municipality FROM streams WHERE stream_id = $1"
_ENVELOPE_COLUMNS = (
    "event_id, stream_id, version, type, municipality, data, actor, correlation_id, "
    "causation_id, occurred_at, recorded_at"
)
_LOAD = f"""
    SELECT {_ENVELOPE_COLUMNS} FROM events
    WHERE stream_id = $1
      AND ($2::int IS NULL OR version <= $2)
      AND ($3::timestamptz IS NULL OR recorded_at <= $3)
    ORDER BY version
"""
_OPEN = f"""
    SELECT s.municipality AS owner, s.published_version AS owner_published,
           {", ".join("e." + c for c in _ENVELOPE_COLUMNS.split(", "))}{{companion}}
    FROM streams s LEFT JOIN events e ON e.stream_id = s.stream_id
    WHERE s.stream_id = $1
    ORDER BY e.version
"""


@functools.lru_cache(maxsize=64)
def _open_statement(companion: str | None) -> str:
    # An uncorrelated scalar subquery is one InitPlan: evaluated once, not per row.
    return _OPEN.format(companion="" if companion is None else f", ({companion}) AS companion")


@dataclass(frozen=True)
class Stream:
    """One stream as a command read it: who owns it and its events in version order."""

    stream_id: str
    municipality: str
    envelopes: list[Envelope]
    published_version: int = 0
    """Version of the stream's latest published event (0: none)."""
    companion: Any = None
    """The value of the ``companion`` query :meth:`EventStore.open` was given."""
    companion_read: bool = False
    """Whether :meth:`EventStore.open` read ``companion`` (it may be read as ``None``)."""

    @property
    def version(self) -> int:
        return self.envelopes[-1].stream_version if self.envelopes else NO_STREAM


_read_in: weakref.WeakKeyDictionary[AsyncConnection, dict[str, Stream]] = (
    weakref.WeakKeyDictionary()
)
"""Streams :meth:`EventStore.open` read in a transaction, kept current by its appends.

A command reads its stream once (:meth:`EventStore.open`) and takes it from here
(:meth:`EventStore.read_in`) without another round trip; :meth:`EventStore.close`
forgets them. :meth:`EventStore.load` always reads the database: code that locks a
stream's row before loading it must see what the transaction before it appended."""


class ConcurrencyConflict(Exception):
    """The stream moved on since the caller read it; retry from ``current_version``."""

    def __init__(self, stream_id: str, expected_version: int, current_version: int) -> None:
        super().__init__(
            f"stream {stream_id} is at version {current_version}, not {expected_version}"
        )
        self.stream_id = stream_id
        self.expected_version = expected_version
        self.current_version = current_version


@dataclass(frozen=True)
class Rider:
    """A write that rides on an append's statement (:meth:`EventStore.write`).

    ``sql`` is one data-modifying statement (``INSERT``/``UPDATE``/``DELETE``) that
    becomes a common table expression of the append; it must act only when the
    stream claim took, i.e. carry ``EXISTS (SELECT FROM claimed)`` in its condition.
    Its parameters are numbered from ``$1``; the store renumbers them after the
    append's own and passes ``args`` for them.
    """

    sql: str
    args: tuple[Any, ...]


@dataclass
class PendingAppend:
    """An append :meth:`EventStore.prepare` built and :meth:`EventStore.write` stores."""

    stream_id: str
    stream_type: str
    expected_version: int
    metadata: Metadata
    occurred_at: datetime
    recorded_at: datetime
    envelopes: list[Envelope] = dataclasses.field(default_factory=list)
    types: list[str] = dataclasses.field(default_factory=list)
    data: list[str] = dataclasses.field(default_factory=list)
    outbox_ids: list[uuid.UUID] = dataclasses.field(default_factory=list)
    subjects: list[str] = dataclasses.field(default_factory=list)
    payloads: list[bytes] = dataclasses.field(default_factory=list)
    published_version: int = 0
    """``streams.published_version`` once these events are stored."""


_PARAMETER = re.compile(r"\$(\d+)")


def _renumbered(sql: str, offset: int) -> str:
    return _PARAMETER.sub(lambda match: f"${int(match.group(1)) + offset}", sql)


@functools.lru_cache(maxsize=256)
def _append_statement(new_stream: bool, riders: tuple[str, ...]) -> str:
    """The append statement, with each rider as one more CTE (parameters renumbered)."""
    base = _OPEN_AND_APPEND if new_stream else _ADVANCE_AND_APPEND
    if not riders:
        return base
    used = 18 if new_stream else 17
    ctes = []
    for index, sql in enumerate(riders):
        ctes.append(f"    ride_{index} AS (\n        {_renumbered(sql, used)}\n    ),")
        used += max((int(n) for n in _PARAMETER.findall(sql)), default=0)
    head, tail = base.rsplit("    SELECT count(*) FROM claimed", 1)
    # The last CTE of the base ends with "),": the riders follow it, the last one's
    # comma goes, and the final SELECT stays last.
    body = head.rstrip()
    assert body.endswith(")")
    return body + ",\n" + "\n".join(ctes).rstrip(",") + "\n    SELECT count(*) FROM claimed" + tail


@dataclass(frozen=True)
class GlobalPosition:
    """Where a reader of the whole log stands: (writing transaction id, position)."""

    tx_id: int = 0
    position: int = 0


@dataclass(frozen=True)
class StoredEvent:
    position: GlobalPosition
    envelope: Envelope


LOCAL_HORIZON = (
    "(SELECT COALESCE(min(x), pg_snapshot_xmax(pg_current_snapshot())) "
    "FROM pg_snapshot_xip(pg_current_snapshot()) AS x "
    "WHERE x::xid NOT IN (SELECT backend_xid FROM pg_stat_activity "
    "WHERE datname <> current_database() AND backend_xid IS NOT NULL))"
)
"""SQL for the oldest transaction still open that could have written this database's rows.

Like ``pg_snapshot_xmin`` of the statement's snapshot, but without transactions seen
running in *other* databases of the cluster: they cannot write this database's tables,
and a long one (another service's migration, a CREATE DATABASE) must not hold readers
back or make a rebuild stop short. A transaction that ended between the snapshot and
the look at ``pg_stat_activity``, or whose database this role may not see, still
counts, so no row is ever skipped."""


_READ_ALL = (
    """
    SELECT tx_id::text AS tx, position, event_id, stream_id, version, type,
           municipality, data, actor, correlation_id, causation_id,
           occurred_at, recorded_at
    FROM events
    WHERE (tx_id, position) > ($1::text::xid8, $2)
      AND tx_id < """
    + LOCAL_HORIZON
    + """
    ORDER BY tx_id, position
    LIMIT $3
    """
)


_EVERY_EVENT = (
    """
    SELECT event_id, stream_id, version, type, municipality, data::text, actor,
           correlation_id, causation_id, occurred_at, recorded_at
    FROM events
    WHERE tx_id < """
    + LOCAL_HORIZON
    + """
    ORDER BY tx_id, position
    """
)


# The catch-up feed (shared.catchup): the published events exactly as the relay
# publishes them (their outbox rows: same bytes, same minimisation), in the global
# order read_all uses, below the same horizon.
_PUBLISHED_AFTER = (
    """
    SELECT e.tx_id::text AS tx, e.position, o.payload
    FROM events e JOIN outbox o ON o.event_id = e.event_id
    WHERE (e.tx_id, e.position) > ($1::text::xid8, $2)
      AND e.tx_id < """
    + LOCAL_HORIZON
    + """
    ORDER BY e.tx_id, e.position
    LIMIT $3
    """
)
# One stream's published events in version order. No horizon: appends to a stream
# hold its row lock until they commit, so its visible versions are always a prefix.
_PUBLISHED_IN_STREAM = """
    SELECT e.version, o.payload
    FROM events e JOIN outbox o ON o.event_id = e.event_id
    WHERE e.stream_id = $1 AND e.version > $2
    ORDER BY e.version
    LIMIT $3
"""


@dataclass(frozen=True)
class PublishedEvent:
    """A published event as the relay sends it: its CloudEvent bytes and where it stands."""

    position: GlobalPosition
    stream_version: int
    payload: bytes


class EventStore:
    """Streams of events of one service (``source`` is e.g. ``/veiviser/participants``)."""

    def __init__(
        self,
        service: str,
        registry: EventRegistry,
        subject_prefix: str,
        *,
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
        server_max_payload: Callable[[], int | None] | None = None,
    ) -> None:
        self.service = service
        self.source = f"/veiviser/{service}"
        self.registry = registry
        self.subject_prefix = subject_prefix
        self.max_event_bytes = max_event_bytes
        self._server_max_payload = server_max_payload

    def max_envelope_bytes(self) -> int:
        """The largest published envelope this store appends.

        The configured limit, or the NATS server's ``max_payload`` when it is known
        and smaller, less room for the message headers the relay adds.
        """
        limit = self.max_event_bytes
        server = self._server_max_payload() if self._server_max_payload else None
        if server:
            limit = min(limit, server)
        return limit - HEADER_ALLOWANCE_BYTES

    async def current_version(self, conn: AsyncConnection, stream_id: str) -> int:
        version = await (await driver_connection(conn)).fetchval(_CURRENT_VERSION, stream_id)
        return int(version) if version is not None else NO_STREAM

    async def stream_municipality(self, conn: AsyncConnection, stream_id: str) -> str | None:
        owner: str | None = await (await driver_connection(conn)).fetchval(_MUNICIPALITY, stream_id)
        return owner

    async def open(
        self, conn: AsyncConnection, stream_id: str, *, companion: str | None = None
    ) -> Stream | None:
        """The stream's owner and events in one round trip, or None if there is no such stream.

        ``companion``: a query returning one value (or no row), with ``$1`` the stream
        id, read in the same round trip into :attr:`Stream.companion` — what a command
        needs beside the events, such as the key its sealed data opens with. It is read
        once, as the transaction saw it here; code that changes that row later in the
        transaction reads it again itself.

        :meth:`read_in` answers with what was read here (and what :meth:`append` added
        since) for the rest of the transaction, until :meth:`close`. Another
        transaction's append after this read is not in it, and an append at the version
        read here then fails with :class:`ConcurrencyConflict`, as it would a moment
        later.
        """
        rows = await (await driver_connection(conn)).fetch(_open_statement(companion), stream_id)
        if not rows:
            return None
        envelopes = [self._envelope(row) for row in rows if row["event_id"] is not None]
        first = rows[0]
        stream = Stream(
            stream_id,
            first["owner"],
            envelopes,
            first["owner_published"],
            first["companion"] if companion is not None else None,
            companion is not None,
        )
        _read_in.setdefault(conn, {})[stream_id] = stream
        return dataclasses.replace(stream, envelopes=list(envelopes))

    def read_in(self, conn: AsyncConnection, stream_id: str) -> Stream | None:
        """The stream as :meth:`open` read it in this transaction (and appended since),
        or None if it was not opened; no round trip."""
        stream = _read_in.get(conn, {}).get(stream_id)
        if stream is None:
            return None
        return dataclasses.replace(stream, envelopes=list(stream.envelopes))

    def close(self, conn: AsyncConnection) -> None:
        """Forget the streams :meth:`open` read in ``conn``'s transaction."""
        _read_in.pop(conn, None)

    async def append(
        self,
        conn: AsyncConnection,
        stream_id: str,
        stream_type: str,
        new_events: Sequence[Event],
        *,
        expected_version: int,
        metadata: Metadata,
        occurred_at: datetime | None = None,
    ) -> list[Envelope]:
        """Append ``new_events`` to ``stream_id`` if it is still at ``expected_version``.

        Raises :class:`ConcurrencyConflict` otherwise; the caller's transaction must
        then roll back, so a batch is stored whole or not at all.

        Every published event carries, besides its ``streamversion``, the attribute
        ``previousversion``: the version of the stream's previous *published* event (0
        for the first). Unpublished events leave holes in the versions a consumer
        sees; with ``previousversion`` it still tells "5 after 3, and 4 was
        unpublished" from "5 after 3, and 4 was lost" (see :mod:`shared.consumer`).
        It comes from ``streams.published_version``, which this append moves on; a
        stream :meth:`open` read in this transaction has it already, any other is
        read with its row locked (one more round trip).

        The same as :meth:`prepare` followed by :meth:`write`.
        """
        pending = await self.prepare(
            conn,
            stream_id,
            stream_type,
            new_events,
            expected_version=expected_version,
            metadata=metadata,
            occurred_at=occurred_at,
        )
        if pending is None:
            return []
        return await self.write(conn, pending)

    async def prepare(
        self,
        conn: AsyncConnection,
        stream_id: str,
        stream_type: str,
        new_events: Sequence[Event],
        *,
        expected_version: int,
        metadata: Metadata,
        occurred_at: datetime | None = None,
    ) -> PendingAppend | None:
        """Build the envelopes and rows of an append without writing them (``None``: no events).

        Everything is built and measured here, before the first write: an event the
        bus could never carry is refused (422 ``event-too-large``), not parked in the
        outbox for ever. The envelopes are final — ids, versions, times — so what
        follows them (inline read models) can be worked out before :meth:`write`
        stores them, and ride on its statement.
        """
        if not new_events:
            return None
        previous = await self._published_version(conn, stream_id, expected_version)
        now = utcnow()
        occurred = occurred_at or now
        pending = PendingAppend(
            stream_id=stream_id,
            stream_type=stream_type,
            expected_version=expected_version,
            metadata=metadata,
            occurred_at=occurred,
            recorded_at=now,
        )
        limit = self.max_envelope_bytes()
        for offset, event in enumerate(new_events, start=1):
            event_id = uuid.uuid4()
            envelope = Envelope(
                id=event_id,
                type_name=event.type_name,
                source=self.source,
                stream_id=stream_id,
                stream_version=expected_version + offset,
                municipality=metadata.municipality,
                occurred_at=occurred,
                recorded_at=now,
                actor=metadata.actor,
                correlation_id=metadata.correlation_id,
                causation_id=metadata.causation_id,
                data=event.model_dump(mode="json"),
            )
            pending.envelopes.append(envelope)
            pending.types.append(event.type_name)
            pending.data.append(json.dumps(envelope.data, separators=(",", ":")))
            if event.published:
                document = envelope.to_cloudevent()
                document[PREVIOUS_VERSION] = previous
                previous = envelope.stream_version
                payload = json.dumps(document, separators=(",", ":")).encode()
                if len(payload) > limit:
                    raise _too_large(envelope, len(payload), limit)
                pending.outbox_ids.append(event_id)
                pending.subjects.append(f"{self.subject_prefix}.{event.subject_suffix()}")
                pending.payloads.append(payload)
        pending.published_version = previous
        return pending

    async def write(
        self, conn: AsyncConnection, pending: PendingAppend, riders: Sequence[Rider] = ()
    ) -> list[Envelope]:
        """Store a prepared append in one statement, with ``riders`` if the claim takes.

        Stream claim, events, outbox rows and every rider are one round trip; the rows
        and the riders' writes happen only if the stream was still at the expected
        version. Raises :class:`ConcurrencyConflict` otherwise.
        """
        expected_version = pending.expected_version
        envelopes = pending.envelopes
        metadata = pending.metadata
        new_stream = expected_version == NO_STREAM
        args: list[Any] = [
            pending.stream_id,
            expected_version,
            expected_version + len(envelopes),
            metadata.municipality,
            metadata.actor,
            metadata.correlation_id,
            metadata.causation_id,
            pending.occurred_at,
            pending.recorded_at,
            [envelope.id for envelope in envelopes],
            [envelope.stream_version for envelope in envelopes],
            pending.types,
            pending.data,
            pending.outbox_ids,
            pending.subjects,
            pending.payloads,
            pending.published_version,
            *([pending.stream_type] if new_stream else []),
        ]
        for rider in riders:
            args.extend(rider.args)
        driver = await driver_connection(conn)
        claimed = await driver.fetchval(
            _append_statement(new_stream, tuple(rider.sql for rider in riders)), *args
        )
        if claimed != 1:
            raise ConcurrencyConflict(
                pending.stream_id,
                expected_version,
                await self.current_version(conn, pending.stream_id),
            )
        read = _read_in.get(conn, {}).get(pending.stream_id)
        if read is not None:
            read.envelopes.extend(envelopes)
            _read_in[conn][pending.stream_id] = dataclasses.replace(
                read, published_version=pending.published_version
            )
        return envelopes

    async def _published_version(
        self, conn: AsyncConnection, stream_id: str, expected_version: int
    ) -> int:
        """The stream's latest published version as it stands at ``expected_version``."""
        if expected_version == NO_STREAM:
            return 0
        read = _read_in.get(conn, {}).get(stream_id)
        if read is not None and read.version == expected_version:
            # If the stream moves on before the append, the append's claim fails anyway.
            return read.published_version
        row = await (await driver_connection(conn)).fetchrow(_LOCK_VERSIONS, stream_id)
        current = int(row["version"]) if row is not None else NO_STREAM
        if current != expected_version:
            raise ConcurrencyConflict(stream_id, expected_version, current)
        assert row is not None
        return int(row["published_version"])

    async def load(
        self,
        conn: AsyncConnection,
        stream_id: str,
        *,
        up_to_version: int | None = None,
        recorded_until: datetime | None = None,
    ) -> list[Envelope]:
        """The stream's events in version order, optionally cut at a version or a time."""
        rows = await (await driver_connection(conn)).fetch(
            _LOAD, stream_id, up_to_version, recorded_until
        )
        return [self._envelope(row) for row in rows]

    async def read_all(
        self, conn: AsyncConnection, after: GlobalPosition = GlobalPosition(), limit: int = 1000
    ) -> list[StoredEvent]:
        """Events after ``after`` in global order, never skipping one that commits late.

        Why: identity values are taken at insert time but become visible at commit
        time, so a reader that simply follows ``position`` can pass over a row whose
        transaction was still open and never come back for it. Every row records the
        id of the transaction that wrote it (``pg_current_xact_id()``); we order by
        (transaction id, position) and return only rows written by transactions older
        than the oldest one still running in this database (:data:`LOCAL_HORIZON`).
        Everything below that horizon has committed or aborted for good, so nothing can
        appear behind the
        reader later. The price: a long-open write transaction holds readers back
        until it ends — they wait, they never skip.
        """
        driver = await driver_connection(conn)
        rows = await driver.fetch(_READ_ALL, str(after.tx_id), after.position, limit)
        return [
            StoredEvent(GlobalPosition(int(row["tx"]), row["position"]), self._envelope(row))
            for row in rows
        ]

    async def read_published(
        self, conn: AsyncConnection, after: GlobalPosition, limit: int
    ) -> list[PublishedEvent]:
        """Published events after ``after`` in global order (the catch-up feed).

        The same horizon as :meth:`read_all`: a reader that moves its position to the
        last event returned never skips one that commits late. Global order is not
        each stream's version order (a transaction that took its id before waiting for
        a stream's row lock sorts before the one it waited for); a reader that needs
        version order per stream reads :meth:`read_published_stream`.
        """
        driver = await driver_connection(conn)
        rows = await driver.fetch(_PUBLISHED_AFTER, str(after.tx_id), after.position, limit)
        return [
            PublishedEvent(
                GlobalPosition(int(row["tx"]), row["position"]), 0, bytes(row["payload"])
            )
            for row in rows
        ]

    async def read_published_stream(
        self, conn: AsyncConnection, stream_id: str, after_version: int, limit: int
    ) -> list[PublishedEvent]:
        """One stream's published events after ``after_version``, in version order."""
        driver = await driver_connection(conn)
        rows = await driver.fetch(_PUBLISHED_IN_STREAM, stream_id, after_version, limit)
        return [
            PublishedEvent(GlobalPosition(), int(row["version"]), bytes(row["payload"]))
            for row in rows
        ]

    async def every_envelope(
        self, conn: AsyncConnection, chunk: int
    ) -> AsyncIterator[list[Envelope]]:
        """Every readable event in global order, ``chunk`` envelopes at a time (replay).

        One server-side cursor over the rows below :data:`LOCAL_HORIZON` as the
        statement starts, inside ``conn``'s transaction; the data comes as JSON text
        and is decoded here (orjson), which is cheaper than the jsonb codec.
        """
        driver = await driver_connection(conn)
        source = self.source
        assemble = Envelope.assemble
        loads = orjson.loads
        # A chunk per fetch: iterating the cursor row by row costs an await per row.
        cursor = await driver.cursor(_EVERY_EVENT)
        while rows := await cursor.fetch(chunk):
            yield [
                assemble(
                    {
                        "id": event_id,
                        "type_name": type_name,
                        "source": source,
                        "stream_id": stream_id,
                        "stream_version": version,
                        "municipality": municipality,
                        "occurred_at": occurred_at,
                        "recorded_at": recorded_at,
                        "actor": actor,
                        "correlation_id": correlation_id,
                        "causation_id": causation_id,
                        "data": loads(data),
                    }
                )
                for (
                    event_id,
                    stream_id,
                    version,
                    type_name,
                    municipality,
                    data,
                    actor,
                    correlation_id,
                    causation_id,
                    occurred_at,
                    recorded_at,
                ) in rows
            ]

    async def tail(
        self,
        conn: AsyncConnection,
        after: GlobalPosition = GlobalPosition(),
        batch_size: int = 1000,
    ) -> AsyncIterator[StoredEvent]:
        """All events currently readable after ``after``, in batches, in global order."""
        position = after
        while True:
            batch = await self.read_all(conn, position, batch_size)
            for stored in batch:
                yield stored
            if len(batch) < batch_size:
                return
            position = batch[-1].position

    def decode(self, envelope: Envelope) -> Event:
        return self.registry.decode(envelope.type_name, envelope.data)

    def _envelope(self, row: Any) -> Envelope:
        return Envelope.assemble(
            {
                "id": row["event_id"],
                "type_name": row["type"],
                "source": self.source,
                "stream_id": row["stream_id"],
                "stream_version": row["version"],
                "municipality": row["municipality"],
                "occurred_at": row["occurred_at"],
                "recorded_at": row["recorded_at"],
                "actor": row["actor"],
                "correlation_id": row["correlation_id"],
                "causation_id": row["causation_id"],
                "data": json.loads(data) if isinstance(data := row["data"], str) else data,
            }
        )
