"""HTTP routes of the participants service."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.no import fodselsnummer

from services.participants import application
from services.participants.events import ArrivalCategory
from shared.auth import Principal, require_roles
from shared.deps import ExpectedVersionDep, IdempotencyKeyHeader, RuntimeDep
from shared.events import utcnow
from shared.http import problem_responses

router = APIRouter(prefix="/participants", tags=["participants"])

CASEWORK = ("caseworker", "manager")
Caseworker = Annotated[Principal, Depends(require_roles(*CASEWORK))]


class RegisterParticipant(BaseModel):
    """A person to register; the national id is a fødselsnummer or a D-number."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    given_name: str = Field(min_length=1, max_length=200)
    family_name: str = Field(min_length=1, max_length=200)
    birth_date: date
    national_id: str = Field(description="11 digits: fødselsnummer or D-number")

    @field_validator("national_id")
    @classmethod
    def _valid_national_id(cls, value: str) -> str:
        try:
            return str(fodselsnummer.validate(value))
        except StdnumError as exc:
            raise ValueError(f"not a valid fødselsnummer or D-number ({exc.message})") from exc

    @field_validator("birth_date")
    @classmethod
    def _not_in_future(cls, value: date) -> date:
        if value > utcnow().date():
            raise ValueError("birth_date is in the future")
        return value


class Registered(BaseModel):
    id: uuid.UUID
    version: int


class Settle(BaseModel):
    model_config = ConfigDict(extra="forbid")

    settled_on: date = Field(description="Date the person was settled (bosatt); not in the future")
    arrival_category: ArrivalCategory

    @field_validator("settled_on")
    @classmethod
    def _not_in_future(cls, value: date) -> date:
        if value > utcnow().date():
            raise ValueError("settled_on is in the future")
        return value


class Settled(BaseModel):
    participant_id: uuid.UUID
    settled_on: date
    arrival_category: ArrivalCategory
    version: int


def _respond(response: Response, status: int, replayed: bool) -> None:
    response.status_code = status
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"


@router.post(
    "",
    status_code=201,
    response_model=Registered,
    summary="Register a participant",
    responses=problem_responses(401, 403, 409, 422),
)
async def register(
    body: RegisterParticipant,
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    principal: Caseworker,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    metadata = runtime.metadata(principal, request)
    result = await runtime.command(
        lambda conn: application.register_participant(
            runtime,
            conn,
            metadata,
            given_name=body.given_name,
            family_name=body.family_name,
            birth_date=body.birth_date,
            national_id=body.national_id,
        ),
        principal=principal,
        request=request,
        body=body.model_dump(mode="json"),
    )
    _respond(response, result.status_code, result.replayed)
    response.headers["Location"] = f"/participants/{result.body['id']}"
    return result.body


@router.post(
    "/{participant_id}/settlement",
    status_code=201,
    response_model=Settled,
    summary="Record the settlement (bosetting)",
    description="Appends `participant.settled`. A participant is settled once: a second "
    "settlement answers 409.",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def settle(
    participant_id: uuid.UUID,
    body: Settle,
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    principal: Caseworker,
    expected: ExpectedVersionDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    metadata = runtime.metadata(principal, request)
    result = await runtime.command(
        lambda conn: application.settle_participant(
            runtime,
            conn,
            metadata,
            participant_id,
            settled_on=body.settled_on,
            arrival_category=body.arrival_category,
            today=utcnow().date(),
            expected_version=expected,
        ),
        principal=principal,
        request=request,
        body=body.model_dump(mode="json"),
    )
    _respond(response, result.status_code, result.replayed)
    return result.body


@router.get(
    "/{participant_id}",
    summary="A participant's current state",
    description="Caseworkers and managers see personal data; analysts only pseudonymous fields.",
    responses=problem_responses(401, 403, 404),
)
async def get_participant(
    participant_id: uuid.UUID,
    runtime: RuntimeDep,
    principal: Annotated[Principal, Depends(require_roles(*CASEWORK, "analyst"))],
) -> dict[str, Any]:
    async with runtime.db.connect() as conn:
        return await application.participant_view(
            conn,
            participant_id,
            principal.municipality,
            with_personal_data=principal.has_any(frozenset(CASEWORK)),
        )
