"""Append-only event store on PostgreSQL with optimistic concurrency.

Appends run inside the caller's transaction (``AsyncConnection``) so that inline
read models and outbox rows commit or roll back together with the events.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncConnection

from shared import tables
from shared.events import Envelope, Event, EventRegistry, Metadata, utcnow
from shared.rules import RuleViolation, rule

NO_STREAM = 0
"""Expected version of a stream that must not exist yet."""

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


# Built once: constructing a statement per call costs more than executing it.
_OPEN_STREAM = pg.insert(tables.streams).on_conflict_do_nothing(index_elements=["stream_id"])
_ADVANCE_STREAM = (
    sa.update(tables.streams)
    .where(
        tables.streams.c.stream_id == sa.bindparam("sid"),
        tables.streams.c.version == sa.bindparam("expected"),
    )
    .values(version=sa.bindparam("new_version"))
)
_INSERT_EVENTS = sa.insert(tables.events)
_INSERT_OUTBOX = sa.insert(tables.outbox)


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
        row = await conn.execute(
            sa.select(tables.streams.c.version).where(tables.streams.c.stream_id == stream_id)
        )
        version = row.scalar_one_or_none()
        return int(version) if version is not None else NO_STREAM

    async def stream_municipality(self, conn: AsyncConnection, stream_id: str) -> str | None:
        row = await conn.execute(
            sa.select(tables.streams.c.municipality).where(tables.streams.c.stream_id == stream_id)
        )
        return row.scalar_one_or_none()

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
        """
        if not new_events:
            return []
        new_version = expected_version + len(new_events)
        now = utcnow()
        occurred = occurred_at or now
        envelopes: list[Envelope] = []
        event_rows: list[dict[str, Any]] = []
        outbox_rows: list[dict[str, Any]] = []
        limit = self.max_envelope_bytes()
        # Everything is built and measured before the first write: an event the bus
        # could never carry is refused here, not parked in the outbox for ever.
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
            envelopes.append(envelope)
            event_rows.append(
                {
                    "event_id": event_id,
                    "stream_id": stream_id,
                    "version": envelope.stream_version,
                    "type": event.type_name,
                    "municipality": metadata.municipality,
                    "data": envelope.data,
                    "actor": metadata.actor,
                    "correlation_id": metadata.correlation_id,
                    "causation_id": metadata.causation_id,
                    "occurred_at": occurred,
                    "recorded_at": now,
                }
            )
            if event.published:
                payload = envelope.to_json()
                if len(payload) > limit:
                    raise _too_large(envelope, len(payload), limit)
                outbox_rows.append(
                    {
                        "event_id": event_id,
                        "subject": f"{self.subject_prefix}.{event.subject_suffix()}",
                        "stream_id": stream_id,
                        "payload": payload,
                    }
                )
        if expected_version == NO_STREAM:
            claimed = await conn.execute(
                _OPEN_STREAM,
                {
                    "stream_id": stream_id,
                    "stream_type": stream_type,
                    "municipality": metadata.municipality,
                    "version": new_version,
                },
            )
        else:
            # The row lock taken by this UPDATE makes a concurrent appender wait and
            # then re-check the version, so exactly one of them wins.
            claimed = await conn.execute(
                _ADVANCE_STREAM,
                {"sid": stream_id, "expected": expected_version, "new_version": new_version},
            )
        if claimed.rowcount != 1:
            raise ConcurrencyConflict(
                stream_id, expected_version, await self.current_version(conn, stream_id)
            )
        await conn.execute(_INSERT_EVENTS, event_rows)
        if outbox_rows:
            await conn.execute(_INSERT_OUTBOX, outbox_rows)
        return envelopes

    async def load(
        self,
        conn: AsyncConnection,
        stream_id: str,
        *,
        up_to_version: int | None = None,
        recorded_until: datetime | None = None,
    ) -> list[Envelope]:
        """The stream's events in version order, optionally cut at a version or a time."""
        query = (
            sa.select(*_envelope_columns())
            .where(tables.events.c.stream_id == stream_id)
            .order_by(tables.events.c.version)
        )
        if up_to_version is not None:
            query = query.where(tables.events.c.version <= up_to_version)
        if recorded_until is not None:
            query = query.where(tables.events.c.recorded_at <= recorded_until)
        rows = await conn.execute(query)
        return [self._envelope(row._mapping) for row in rows]

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
        rows = await conn.execute(
            sa.text(
                """
                SELECT tx_id::text AS tx, position, event_id, stream_id, version, type,
                       municipality, data, actor, correlation_id, causation_id,
                       occurred_at, recorded_at
                FROM events
                WHERE (tx_id, position) > (CAST(:tx AS text)::xid8, :pos)
                  AND tx_id < """
                + LOCAL_HORIZON
                + """
                ORDER BY tx_id, position
                LIMIT :limit
                """
            ),
            {"tx": str(after.tx_id), "pos": after.position, "limit": limit},
        )
        return [
            StoredEvent(
                GlobalPosition(int(row.tx), int(row.position)), self._envelope(row._mapping)
            )
            for row in rows
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
        return Envelope(
            id=row["event_id"],
            type_name=row["type"],
            source=self.source,
            stream_id=row["stream_id"],
            stream_version=row["version"],
            municipality=row["municipality"],
            occurred_at=row["occurred_at"],
            recorded_at=row["recorded_at"],
            actor=row["actor"],
            correlation_id=row["correlation_id"],
            causation_id=row["causation_id"],
            data=row["data"],
        )


def _envelope_columns() -> list[sa.Column[Any]]:
    c = tables.events.c
    return [
        c.event_id,
        c.stream_id,
        c.version,
        c.type,
        c.municipality,
        c.data,
        c.actor,
        c.correlation_id,
        c.causation_id,
        c.occurred_at,
        c.recorded_at,
    ]
