"""``placements``: who lived where, from when to when, and evictions."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.housing import tables as t
from services.housing.events import EvictionRecorded, PlacementEnded, PlacementStarted
from services.housing.projections.rows import decode, insert_new
from shared.events import Envelope
from shared.projection import OWN_EVENTS, Projection


async def _apply_placements(conn: AsyncConnection, envelope: Envelope) -> None:
    event = decode(envelope)
    table = t.placements
    match event:
        case PlacementStarted():
            await conn.execute(insert_new(table, event, envelope))
        case PlacementEnded():
            await conn.execute(
                sa.update(table)
                .where(table.c.placement_id == event.placement_id)
                .values(ends_on=event.ends_on, end_reason=event.reason.value)
            )
        case EvictionRecorded():
            await conn.execute(
                sa.update(table)
                .where(table.c.placement_id == event.placement_id)
                .values(evicted_on=event.evicted_on, eviction_grounds=event.grounds.value)
            )


PLACEMENTS = Projection("placements", OWN_EVENTS, (t.placements,), _apply_placements)
