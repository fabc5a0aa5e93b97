"""How housing's own events become rows of its read models.

Every housing projection folds a batch of events through a :class:`~shared.projection.Batch`:
the rows the batch's events touch are loaded once (:func:`fold`), changed in memory and
written back one statement per table.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import sqlalchemy as sa

from services.housing.events import registry
from shared.events import Envelope, Event
from shared.projection import ApplyBatch, Batch, Key, Row

Decoded = list[tuple[Envelope, Event]]
ApplyEvent = Callable[[Batch, Envelope, Event], Awaitable[None]]
Load = tuple[sa.Table, str, tuple[type[Event], ...]]
"""A table's rows to load for a batch: keyed by the named field of the events of these kinds."""


def decode(envelope: Envelope) -> Event | None:
    """The event, or None for a type this service does not know (another service's)."""
    if envelope.type_name not in registry:
        return None
    return registry.decode(envelope.type_name, envelope.data)


def decode_all(envelopes: Sequence[Envelope]) -> Decoded:
    """The batch's events this service knows, with their envelopes, in order."""
    return [(envelope, event) for envelope in envelopes if (event := decode(envelope)) is not None]


def keys(events: Decoded, field: str, *kinds: type[Event]) -> set[Key]:
    """Single-column keys: the ``field`` of every event of these kinds that has one."""
    return {
        (value,)
        for _, event in events
        if isinstance(event, kinds) and (value := getattr(event, field)) is not None
    }


def fold(apply: ApplyEvent, *loads: Load) -> ApplyBatch:
    """A set-based projection: load what ``loads`` name, then ``apply`` each event in order."""

    async def apply_batch(batch: Batch, envelopes: Sequence[Envelope]) -> None:
        events = decode_all(envelopes)
        for table, field, kinds in loads:
            await batch.load(table, keys(events, field, *kinds))
        for envelope, event in events:
            await apply(batch, envelope, event)

    return apply_batch


def columns_of(event: Event, table: sa.Table) -> dict[str, Any]:
    """The event's fields that are columns of ``table`` (by name), enums by their value."""
    values = {}
    for name in type(event).model_fields:
        if name in table.c:
            value = getattr(event, name)
            values[name] = value.value if isinstance(value, enum.Enum) else value
    return values


def insert_new(
    batch: Batch, table: sa.Table, event: Event, envelope: Envelope, **extra: Any
) -> None:
    """The row an event starts, in the envelope's municipality; a replayed one is kept.

    Every column is named (those the event does not fill are NULL unless ``extra`` gives
    them), so later events of the batch see the row as it will be stored. The table's
    rows at the event's key must have been loaded.
    """
    row: Row = {column.name: None for column in table.c}
    row.update(municipality=envelope.municipality, **columns_of(event, table), **extra)
    if batch.row(table, tuple(row[c.name] for c in table.primary_key.columns)) is None:
        batch.put(table, row)


def update(batch: Batch, table: sa.Table, key: Any, **values: Any) -> None:
    """Change columns of the (loaded) row with single-column key ``key``, if there is one."""
    row = batch.row(table, (key,))
    if row is not None:
        batch.put(table, row | values)
