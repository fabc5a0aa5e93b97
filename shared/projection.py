"""Read models that can be dropped and rebuilt from events."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.events import Envelope

Apply = Callable[[AsyncConnection, Envelope], Awaitable[None]]

OWN_EVENTS = "own"
"""Source of a projection fed inline from the service's own event store."""


@dataclass(frozen=True)
class Projection:
    """A read model: its tables, the events it reads and how it applies one.

    ``source`` is :data:`OWN_EVENTS` for inline projections (updated in the append
    transaction) or the name of a consumer whose ``received_events`` feed it.
    """

    name: str
    source: str
    tables: tuple[sa.Table, ...]
    apply: Apply

    async def reset(self, conn: AsyncConnection) -> None:
        names = ", ".join(table.name for table in self.tables)
        await conn.execute(sa.text(f"TRUNCATE {names}"))
