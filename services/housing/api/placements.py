"""Placements: allocation from the waiting list, the end of a stay, evictions."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from pydantic import Field

from services.housing import application, queries
from services.housing.api.common import Body, Day, command_route, today, view_route
from services.housing.api.schemas import PlacementOut
from services.housing.events import EndReason, EvictionGrounds

router = APIRouter(prefix="/housing/placements", tags=["placements"])


class Allocate(Body):
    application_id: uuid.UUID = Field(description="An accepted application on the waiting list")
    dwelling_id: uuid.UUID = Field(description="A vacant dwelling")
    starts_on: Day = Field(default_factory=today, description="Moving-in date")


class EndPlacement(Body):
    ends_on: Day = Field(default_factory=today)
    reason: EndReason = Field(
        description="private_rental, moved_municipality, death or other; evictions and purchases "
        "have their own endpoints"
    )


class RecordEviction(Body):
    evicted_on: Day = Field(default_factory=today)
    grounds: EvictionGrounds


command_route(
    router,
    "POST",
    "",
    Allocate,
    application.allocate,
    name="allocate_dwelling",
    status_code=201,
    response_model=PlacementOut,
    summary="Tildel en ledig bolig til en husstand på ventelisten / Allocate a vacant dwelling to "
    "a household on the waiting list",
    description="Publishes `placement.started` and `dwelling.changed` (occupied) in one "
    "transaction. Refused with 409 when the dwelling is not vacant, the household already has a "
    "placement, the application is not accepted, or the dwelling breaks the occupancy norm or "
    "an access need. Of concurrent allocations of one dwelling exactly one succeeds; the others "
    "get 409 saying the dwelling is occupied.",
    visible={"application": "application_id", "dwelling": "dwelling_id"},
    location="/housing/placements/{placement_id}",
)


view_route(
    router,
    "/{placement_id}",
    queries.placement_view,
    name="get_placement",
    response_model=PlacementOut,
    summary="Én tildeling / One placement",
)


command_route(
    router,
    "POST",
    "/{placement_id}/end",
    EndPlacement,
    application.end_placement,
    name="end_placement",
    response_model=PlacementOut,
    summary="Husstanden flyttet ut: avslutt tildelingen med en årsak / The household moved out: "
    "end the placement with a reason",
    description="Publishes `placement.ended` and `dwelling.changed` (vacant). An active "
    "rent-to-own agreement on the dwelling lapses.",
    visible={"placement": "placement_id"},
)

command_route(
    router,
    "POST",
    "/{placement_id}/eviction",
    RecordEviction,
    application.record_eviction,
    name="record_eviction",
    status_code=201,
    response_model=PlacementOut,
    summary="Registrer en utkastelse (den avslutter tildelingen) / Record an eviction (it ends "
    "the placement)",
    description="Publishes `eviction.recorded`, `placement.ended` (reason eviction) and "
    "`dwelling.changed` (vacant).",
    visible={"placement": "placement_id"},
)
