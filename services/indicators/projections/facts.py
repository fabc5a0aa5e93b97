"""Fact rows: how another service's event becomes one row of a fact table.

Facts are never updated: one row per received event with the source's ``recorded_at``
(CloudEvent ``recordedtime``), so any as-of question reads the rows recorded by then.
A :class:`FactRow` names the table and, per column, the event field it is read from; the
inbox keeps exactly those fields (:func:`keep`), so the handlers and what the inbox
stores cannot drift apart.

Every applied fact bumps the municipality's ``data_version``: the level evaluator and
the snapshot cache key on it.
"""

from __future__ import annotations

import functools
import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa

from services.indicators import tables as t
from shared.events import Envelope
from shared.inbox import Keep, keep_fields
from shared.projection import ApplyBatch, ApplyInBatch, Batch

PARTICIPANTS_FEED = "participants"
HOUSING_FEED = "housing"
MATCHING_FEED = "matching"

Read = Callable[[dict[str, Any], str], Any]
"""Reads one field of an event's data (``data, name -> value``)."""


def optional(data: dict[str, Any], key: str) -> Any:
    return data.get(key)


def required(data: dict[str, Any], key: str) -> Any:
    return data[key]


def required_day(data: dict[str, Any], key: str) -> date:
    return date.fromisoformat(data[key])


def day(data: dict[str, Any], key: str) -> date | None:
    raw = data.get(key)
    return date.fromisoformat(str(raw)) if raw else None


def ident(data: dict[str, Any], key: str) -> uuid.UUID | None:
    raw = data.get(key)
    return _uuid(str(raw)) if raw else None


@functools.lru_cache(maxsize=1 << 16)
def _uuid(text: str) -> uuid.UUID:
    # A person's id comes in every one of their events, and parsing it is the dearest
    # step of a fact row: a replay of a person's events parses it once.
    return uuid.UUID(text)


def number(data: dict[str, Any], key: str) -> float | None:
    raw = data.get(key)
    return float(raw) if raw is not None else None


def whole(data: dict[str, Any], key: str) -> int:
    return int(data[key])


def hours(data: dict[str, Any], key: str) -> float:
    return float(data[key])


def truth(data: dict[str, Any], key: str) -> bool:
    return bool(data[key])


def flag(data: dict[str, Any], key: str) -> bool:
    """A boolean an older event may leave out (false then)."""
    return bool(data.get(key, False))


@dataclass(frozen=True)
class FactRow:
    """One event type's row: ``columns`` maps a column to ``(event field, read)``;
    ``fixed`` gives columns that are the same for every event of the type."""

    table: sa.Table
    columns: Mapping[str, tuple[str, Read]]
    fixed: Mapping[str, Any] = field(default_factory=dict)

    @property
    def fields(self) -> tuple[str, ...]:
        """The event fields this row reads (what the inbox keeps)."""
        return tuple(dict.fromkeys(name for name, _ in self.columns.values()))

    @functools.cached_property
    def _keyed_by_event(self) -> bool:
        # Looked up once: a column lookup on the table costs more than the row's reads.
        return "event_id" in self.table.c

    def values(self, envelope: Envelope) -> dict[str, Any]:
        data = envelope.data
        values = {column: read(data, name) for column, (name, read) in self.columns.items()}
        if self._keyed_by_event:
            values["event_id"] = envelope.id
        values.update(self.fixed)
        values["municipality"] = envelope.municipality
        values["recorded_at"] = envelope.recorded_at
        return values


def insert(batch: Batch, table: sa.Table, values: dict[str, Any]) -> None:
    """Insert one row; a redelivered event finds its row there and changes nothing."""
    batch.insert(table, **values)


def bump(batch: Batch, municipality: str, facts: int = 1) -> None:
    """Mark the municipality's data as changed by ``facts`` facts (evaluator and caches
    look at this)."""
    batch.add(t.municipality_data, {"municipality": municipality}, data_version=facts)


def fact_handler(
    rows: Mapping[str, FactRow], others: Mapping[str, ApplyInBatch] | None = None
) -> ApplyBatch:
    """A set-based projection storing each event of ``rows`` as its fact row, handing
    the types in ``others`` to their own handler, and bumping the municipality's data."""
    special = dict(others or {})

    async def apply(batch: Batch, envelopes: Sequence[Envelope]) -> None:
        # The bumps summed per municipality over the batch: one counter step each
        # instead of one per event (a rebuild's chunk is thousands of events).
        bumps: Counter[str] = Counter()
        for envelope in envelopes:
            type_name = envelope.type_name
            row = rows.get(type_name)
            if row is not None:
                insert(batch, row.table, row.values(envelope))
            elif type_name in special:
                # What the events before it changed comes first, as event by event.
                _bump_all(batch, bumps)
                await special[type_name](batch, envelope)
            else:
                continue
            bumps[envelope.municipality] += 1
        _bump_all(batch, bumps)

    return apply


def _bump_all(batch: Batch, bumps: Counter[str]) -> None:
    for municipality, facts in bumps.items():
        bump(batch, municipality, facts)
    bumps.clear()


def keep(rows: Mapping[str, FactRow]) -> Keep:
    """What the inbox keeps of each event type: the fields its fact row reads."""
    return {type_name: keep_fields(*row.fields) for type_name, row in rows.items()}
