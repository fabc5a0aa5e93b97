"""``dwellings``: the rental stock, its attributes, status and current tenancy."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.housing import tables as t
from services.housing.events import (
    DwellingAddressRecorded,
    DwellingChanged,
    DwellingRegistered,
    DwellingStatus,
    PlacementStarted,
)
from services.housing.projections.rows import decode, insert_new
from shared.events import Envelope
from shared.projection import OWN_EVENTS, Projection


async def _apply_dwellings(conn: AsyncConnection, envelope: Envelope) -> None:
    event = decode(envelope)
    table = t.dwellings
    match event:
        case DwellingRegistered():
            await conn.execute(
                insert_new(
                    table,
                    event,
                    envelope,
                    status_since=event.registered_on,
                    version=envelope.stream_version,
                )
            )
        case DwellingAddressRecorded():
            await conn.execute(
                sa.update(table)
                .where(table.c.dwelling_id == event.dwelling_id)
                .values(address=event.address, version=envelope.stream_version)
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
            await conn.execute(
                sa.update(table)
                .where(table.c.dwelling_id == event.dwelling_id)
                .values(**values, version=envelope.stream_version)
            )
        case PlacementStarted():
            await conn.execute(
                sa.update(table)
                .where(table.c.dwelling_id == event.dwelling_id)
                .values(current_household_id=event.household_id)
            )


DWELLINGS = Projection("dwellings", OWN_EVENTS, (t.dwellings,), _apply_dwellings)
