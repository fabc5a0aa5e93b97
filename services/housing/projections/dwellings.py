"""``dwellings``: the rental stock, its attributes, status and current tenancy."""

from __future__ import annotations

from typing import Any

from services.housing import tables as t
from services.housing.events import (
    DwellingAddressRecorded,
    DwellingChanged,
    DwellingRegistered,
    DwellingStatus,
    PlacementStarted,
)
from services.housing.projections.rows import fold, insert_new, update
from shared.events import Envelope, Event
from shared.projection import OWN_EVENTS, Batch, Projection


async def _apply_dwellings(batch: Batch, envelope: Envelope, event: Event) -> None:
    table = t.dwellings
    match event:
        case DwellingRegistered():
            insert_new(
                batch,
                table,
                event,
                envelope,
                status_since=event.registered_on,
                version=envelope.stream_version,
            )
        case DwellingAddressRecorded():
            update(
                batch,
                table,
                event.dwelling_id,
                address=event.address,
                version=envelope.stream_version,
            )
        case DwellingChanged():
            values: dict[str, Any] = {
                name: getattr(event, name)
                for name in ("district", "rooms", "size_m2", "floor", "has_lift", "accessible")
                if getattr(event, name) is not None
            }
            for name in ("ownership", "standard"):
                if getattr(event, name) is not None:
                    values[name] = getattr(event, name).value
            if event.valuation is not None:
                values["valuation"] = event.valuation
            if event.status is not None:
                values["status"] = event.status.value
                values["status_since"] = event.changed_on
                if event.status is DwellingStatus.occupied:
                    values["current_placement_id"] = event.placement_id
                else:
                    values["current_placement_id"] = None
                    values["current_household_id"] = None
            update(batch, table, event.dwelling_id, **values, version=envelope.stream_version)
        case PlacementStarted():
            update(batch, table, event.dwelling_id, current_household_id=event.household_id)


DWELLINGS = Projection(
    "dwellings",
    OWN_EVENTS,
    (t.dwellings,),
    apply_batch=fold(
        _apply_dwellings,
        (
            t.dwellings,
            "dwelling_id",
            (DwellingRegistered, DwellingAddressRecorded, DwellingChanged, PlacementStarted),
        ),
    ),
)
