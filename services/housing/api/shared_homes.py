"""Shared homes (bofellesskap) for unaccompanied minors: places and the youths' stays.

A shared home is a dwelling type of its own: it has places, not a tenancy, and each
unaccompanied minor holds one place while living there. A placement beyond its places
on any day of the stay is ``shared-home-full`` (409).
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncConnection

from services.housing.api.common import Body, Day, Officer, Reader, run_command, today
from services.housing.application import shared_homes as use
from services.housing.domain import shared_home as home
from shared.commands import CommandResult
from shared.deps import IdempotencyKeyHeader, RuntimeDep
from shared.events import Metadata
from shared.http import problem_responses

router = APIRouter(prefix="/housing/shared-homes", tags=["shared homes"])

COMMAND_PROBLEMS = problem_responses(401, 403, 404, 409, 422)


class RegisterSharedHome(Body):
    district: str = Field(min_length=1, max_length=100)
    places: int = Field(ge=1, le=100, description="Places for youths (plasser)")
    registered_on: Day


class ChangePlaces(Body):
    places: int = Field(ge=1, le=100)
    changed_on: Day


class PlaceMinor(Body):
    participant_id: uuid.UUID = Field(description="The unaccompanied minor (pseudonymous id)")
    starts_on: Day


class EndStay(Body):
    ends_on: Day


@router.post(
    "",
    status_code=201,
    summary="Registrer et bofellesskap med plasser. / Register a shared home with its places.",
    responses=COMMAND_PROBLEMS,
)
async def register_shared_home(
    body: RegisterSharedHome,
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    principal: Officer,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    async def work(conn: AsyncConnection, metadata: Metadata) -> CommandResult:
        return await use.register(
            runtime,
            conn,
            metadata,
            district=body.district,
            places=body.places,
            registered_on=body.registered_on,
        )

    return await run_command(runtime, request, response, principal, body, work)


async def _change(
    runtime: Any,
    request: Request,
    response: Response,
    principal: Any,
    body: Body,
    shared_home_id: uuid.UUID,
    decide: Any,
    status_code: int = 200,
    minor: uuid.UUID | None = None,
) -> dict[str, Any]:
    async def work(conn: AsyncConnection, metadata: Metadata) -> CommandResult:
        return await use.change(runtime, conn, metadata, shared_home_id, decide, status_code, minor)

    return await run_command(
        runtime,
        request,
        response,
        principal,
        body,
        work,
        target=home.shared_home_stream(shared_home_id),
        target_noun="shared home",
    )


@router.post(
    "/{shared_home_id}/places",
    summary="Endre antall plasser fra en dato. / Change the number of places from a date.",
    description="Refused below the youths living there (`shared-home-places-taken`).",
    responses=COMMAND_PROBLEMS,
)
async def change_places(
    shared_home_id: uuid.UUID,
    body: ChangePlaces,
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    principal: Officer,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    return await _change(
        runtime,
        request,
        response,
        principal,
        body,
        shared_home_id,
        lambda state: home.change_places(state, body.places, body.changed_on, today()),
    )


@router.post(
    "/{shared_home_id}/placements",
    status_code=201,
    summary="Gi en enslig mindreårig en plass. / Give an unaccompanied minor a place.",
    description="409 `shared-home-full` when every place is taken on some day from "
    "`starts_on`; 409 `minor-already-placed` when the youth already has a place here; 409 "
    "`not-unaccompanied-minor` unless the participant's settlement as an unaccompanied minor "
    "has reached housing.",
    responses=COMMAND_PROBLEMS,
)
async def place_minor(
    shared_home_id: uuid.UUID,
    body: PlaceMinor,
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    principal: Officer,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    placement_id = uuid.uuid4()
    return await _change(
        runtime,
        request,
        response,
        principal,
        body,
        shared_home_id,
        lambda state: home.place(state, placement_id, body.participant_id, body.starts_on, today()),
        201,
        body.participant_id,
    )


@router.post(
    "/{shared_home_id}/placements/{placement_id}/end",
    summary="Avslutt et opphold (plassen er ledig samme dag). / End a stay (the place is free "
    "that day).",
    responses=COMMAND_PROBLEMS,
)
async def end_stay(
    shared_home_id: uuid.UUID,
    placement_id: uuid.UUID,
    body: EndStay,
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    principal: Officer,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    return await _change(
        runtime,
        request,
        response,
        principal,
        body,
        shared_home_id,
        lambda state: home.leave(state, placement_id, body.ends_on, today()),
    )


@router.get(
    "/{shared_home_id}",
    summary="Bofellesskapet: plasser, belegg og opphold. / The shared home: places, occupancy "
    "and stays.",
    responses=problem_responses(401, 403, 404),
)
async def shared_home(
    shared_home_id: uuid.UUID, runtime: RuntimeDep, principal: Reader
) -> dict[str, Any]:
    async with runtime.db.connect() as conn:
        state, version = await use.load(runtime, conn, shared_home_id, principal.municipality)
    return use.view(state, version, today())
