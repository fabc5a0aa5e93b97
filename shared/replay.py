"""Rebuilding projections from events (``veiviser replay``)."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from shared import tables
from shared.db import Database
from shared.eventstore import EventStore, GlobalPosition
from shared.inbox import is_tombstone, received_payload
from shared.projection import OWN_EVENTS, Projection

Progress = Callable[[int, int], None]
"""Called as ``progress(done, total)`` while a rebuild runs."""

_BATCH = 2000


async def rebuild(
    db: Database,
    store: EventStore,
    projection: Projection,
    progress: Progress | None = None,
) -> int:
    """Empty ``projection`` and apply every event it reads again; returns the count.

    It runs in one transaction: TRUNCATE's lock makes live writers to these tables
    wait, so nobody reads a half-built model and no live event slips between the
    rebuild and the return to incremental updates.
    """
    async with db.transaction() as conn:
        await projection.reset(conn)
        done = 0
        if projection.source == OWN_EVENTS:
            total = int(
                await conn.scalar(sa.select(sa.func.count()).select_from(tables.events)) or 0
            )
            position = GlobalPosition()
            while True:
                batch = await store.read_all(conn, position, _BATCH)
                for stored in batch:
                    await projection.apply(conn, stored.envelope)
                done += len(batch)
                if progress:
                    progress(done, total)
                if len(batch) < _BATCH:
                    break
                position = batch[-1].position
        else:
            received = tables.received_events
            total = int(
                await conn.scalar(
                    sa.select(sa.func.count())
                    .select_from(received)
                    .where(received.c.consumer == projection.source)
                )
                or 0
            )
            last_seq = 0
            while True:
                rows = (
                    await conn.execute(
                        sa.select(received.c.seq, received.c.payload)
                        .where(received.c.consumer == projection.source, received.c.seq > last_seq)
                        .order_by(received.c.seq)
                        .limit(_BATCH)
                    )
                ).all()
                for row in rows:
                    # A scrubbed copy (an erased person's event) is not replayed.
                    if not is_tombstone(row.payload):
                        await projection.apply(conn, received_payload(row.payload))
                done += len(rows)
                if progress:
                    progress(done, total)
                if len(rows) < _BATCH:
                    break
                last_seq = rows[-1].seq
        return done
