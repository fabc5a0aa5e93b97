"""Placements: allocation from the waiting list, the end of a stay, evictions."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import Field

from services.housing import application, queries
from services.housing.api.common import Body, Day, Officer, Reader, run_command, today
from services.housing.api.schemas import PlacementOut
from services.housing.events import EndReason, EvictionGrounds
from shared.deps import IdempotencyKeyHeader, RuntimeDep
from shared.http import problem_responses

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


@router.post(
    "",
    status_code=201,
    response_model=PlacementOut,
    summary="Allocate a vacant dwelling to a household on the waiting list",
    description="Publishes `placement.started` and `dwelling.changed` (occupied) in one "
    "transaction. Refused with 409 when the dwelling is not vacant, the household already has a "
    "placement, the application is not accepted, or the dwelling breaks the occupancy norm or "
    "an access need. Of concurrent allocations of one dwelling exactly one succeeds; the others "
    "get 409 saying the dwelling is occupied.",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def allocate(
    body: Allocate,
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    principal: Officer,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    result = await run_command(
        runtime,
        request,
        response,
        principal,
        body,
        lambda conn, metadata: application.allocate(
            runtime,
            conn,
            metadata,
            application_id=body.application_id,
            dwelling_id=body.dwelling_id,
            starts_on=body.starts_on,
        ),
        visible=lambda conn: application.visible(
            runtime,
            conn,
            principal.municipality,
            application=body.application_id,
            dwelling=body.dwelling_id,
        ),
    )
    response.headers["Location"] = f"/housing/placements/{result['placement_id']}"
    return result


@router.get(
    "/{placement_id}",
    response_model=PlacementOut,
    summary="One placement",
    responses=problem_responses(401, 403, 404),
)
async def get_placement(
    placement_id: uuid.UUID, runtime: RuntimeDep, principal: Reader
) -> dict[str, Any]:
    async with runtime.db.connect() as conn:
        return await queries.placement_view(conn, placement_id, principal.municipality)


@router.post(
    "/{placement_id}/end",
    response_model=PlacementOut,
    summary="The household moved out: end the placement with a reason",
    description="Publishes `placement.ended` and `dwelling.changed` (vacant). An active "
    "rent-to-own agreement on the dwelling lapses.",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def end(
    placement_id: uuid.UUID,
    body: EndPlacement,
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    principal: Officer,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    return await run_command(
        runtime,
        request,
        response,
        principal,
        body,
        lambda conn, metadata: application.end_placement(
            runtime, conn, metadata, placement_id, ends_on=body.ends_on, reason=body.reason
        ),
        visible=lambda conn: application.visible(
            runtime, conn, principal.municipality, placement=placement_id
        ),
    )


@router.post(
    "/{placement_id}/eviction",
    status_code=201,
    response_model=PlacementOut,
    summary="Record an eviction (it ends the placement)",
    description="Publishes `eviction.recorded`, `placement.ended` (reason eviction) and "
    "`dwelling.changed` (vacant).",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def evict(
    placement_id: uuid.UUID,
    body: RecordEviction,
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    principal: Officer,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    return await run_command(
        runtime,
        request,
        response,
        principal,
        body,
        lambda conn, metadata: application.record_eviction(
            runtime, conn, metadata, placement_id, evicted_on=body.evicted_on, grounds=body.grounds
        ),
        visible=lambda conn: application.visible(
            runtime, conn, principal.municipality, placement=placement_id
        ),
    )
