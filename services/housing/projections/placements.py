"""``placements``: who lived where, from when to when, and evictions."""

from __future__ import annotations

from services.housing import tables as t
from services.housing.events import EvictionRecorded, PlacementEnded, PlacementStarted
from services.housing.projections.rows import fold, insert_new, update
from shared.events import Envelope, Event
from shared.projection import OWN_EVENTS, Batch, Projection


async def _apply_placements(batch: Batch, envelope: Envelope, event: Event) -> None:
    table = t.placements
    match event:
        case PlacementStarted():
            insert_new(batch, table, event, envelope)
        case PlacementEnded():
            update(
                batch,
                table,
                event.placement_id,
                ends_on=event.ends_on,
                end_reason=event.reason.value,
            )
        case EvictionRecorded():
            update(
                batch,
                table,
                event.placement_id,
                evicted_on=event.evicted_on,
                eviction_grounds=event.grounds.value,
            )


PLACEMENTS = Projection(
    "placements",
    OWN_EVENTS,
    (t.placements,),
    apply_batch=fold(
        _apply_placements,
        (t.placements, "placement_id", (PlacementStarted, PlacementEnded, EvictionRecorded)),
    ),
)
