"""One row per stream, folded a batch at a time: how the inline read models are declared.

Employers, openings and matches each keep one row per aggregate. A :class:`StreamRows`
says which events are the table's, which one starts a row, and what every other
changes; it reads the rows a batch touches once, folds the events in memory and
writes each changed row back through the :class:`~shared.projection.Batch` (one
upsert per table). The stream's version goes with every change; the change markers
the index follows are stamped by the database (``tables.UNSTAMPED``).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from services.matching.events import registry
from services.matching.tables import UNSTAMPED
from shared.events import Envelope
from shared.projection import Batch, Row

Changes = Callable[[Batch, Any, Envelope, Row], dict[str, Any] | None]
Prepare = Callable[[Batch, Sequence[Any]], Awaitable[None]]


async def _nothing_to_prepare(batch: Batch, events: Sequence[Any]) -> None:
    return None


@dataclass(frozen=True)
class StreamRows:
    """The ``apply_batch`` of a read model with one row per aggregate.

    - ``prefixes``: the event types it follows;
    - ``key``: the event's aggregate id (the table's primary key);
    - ``starts`` / ``new``: the event that starts a row and the row it starts (written
      only where there is none: a stream starts once);
    - ``changes``: the columns any other event sets on an existing row (``None``: the
      event changes nothing; an event for a row that does not exist changes nothing);
    - ``prepare``: loads other rows the changes read (e.g. sealing keys).
    """

    table: sa.Table
    prefixes: tuple[str, ...]
    key: Callable[[Any], uuid.UUID]
    starts: type | tuple[type, ...]
    new: Callable[[Any, Envelope], Row]
    changes: Changes
    prepare: Prepare = _nothing_to_prepare

    async def __call__(self, batch: Batch, envelopes: Sequence[Envelope]) -> None:
        events = [
            (envelope, registry.decode(envelope.type_name, envelope.data))
            for envelope in envelopes
            if envelope.type_name.startswith(self.prefixes)
        ]
        if not events:
            return
        await batch.load(self.table, {(self.key(event),) for _, event in events})
        await self.prepare(batch, [event for _, event in events])
        [pk] = [column.name for column in self.table.primary_key.columns]
        for envelope, event in events:
            key = self.key(event)
            row = batch.row(self.table, (key,))
            if isinstance(event, self.starts):
                if row is None:
                    batch.put(self.table, self.new(event, envelope) | UNSTAMPED)
            elif row is not None:
                changes = self.changes(batch, event, envelope, row)
                if changes is None:
                    continue
                batch.put(
                    self.table,
                    {pk: key, **changes, "version": envelope.stream_version} | UNSTAMPED,
                )
