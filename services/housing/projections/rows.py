"""How housing's own events become rows of its read models."""

from __future__ import annotations

import enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from services.housing.events import registry
from shared.events import Envelope, Event


def decode(envelope: Envelope) -> Event | None:
    """The event, or None for a type this service does not know (another service's)."""
    if envelope.type_name not in registry:
        return None
    return registry.decode(envelope.type_name, envelope.data)


def columns_of(event: Event, table: sa.Table) -> dict[str, Any]:
    """The event's fields that are columns of ``table`` (by name), enums by their value."""
    values = {}
    for name in type(event).model_fields:
        if name in table.c:
            value = getattr(event, name)
            values[name] = value.value if isinstance(value, enum.Enum) else value
    return values


def insert_new(table: sa.Table, event: Event, envelope: Envelope, **extra: Any) -> sa.Insert:
    """The row an event starts, in the envelope's municipality; a replayed one is kept."""
    return (
        pg.insert(table)
        .values(municipality=envelope.municipality, **columns_of(event, table), **extra)
        .on_conflict_do_nothing()
    )
