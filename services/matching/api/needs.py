"""Needs for a volunteer (a participant's or a household's), and the volunteers for one."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.matching import volunteering
from services.matching.api.common import CommandRequest, Created, read
from services.matching.api.volunteers import VolunteerReader, check_skills
from services.matching.domain.needs import need_described
from services.matching.events import Gender, TimeSlot, VolunteerRole
from shared.auth import Principal, require_roles
from shared.codes import LanguageCode, MunicipalityCode
from shared.dates import Day
from shared.deps import IdempotencyKeyHeader, RuntimeDep
from shared.http import problem_responses

router = APIRouter(prefix="/volunteer-needs", tags=["volunteers"])

NeedWriter = Annotated[
    Principal,
    Depends(require_roles("volunteer_coordinator", "caseworker", "housing_officer")),
]


async def need_command(
    request: Request, response: Response, principal: NeedWriter
) -> CommandRequest:
    return CommandRequest(request, response, principal)


NeedCommand = Annotated[CommandRequest, Depends(need_command)]


class RegisterNeed(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    participant_id: uuid.UUID | None = None
    household_id: uuid.UUID | None = None
    role: VolunteerRole
    language: LanguageCode
    municipality_code: MunicipalityCode
    area: str | None = Field(default=None, min_length=1, max_length=60)
    slots: list[TimeSlot] = Field(default_factory=list, max_length=21)
    starts_on: Day
    ends_on: Day | None = None
    involves_minors: bool = False
    preferred_gender: Gender | None = None
    skills: list[str] = Field(default_factory=list, max_length=50)

    _skills = field_validator("skills")(classmethod(lambda cls, v: check_skills(v)))


@router.post(
    "",
    status_code=201,
    response_model=Created,
    summary="Registrer et behov for en frivillig / Register a need for a volunteer",
    description="For exactly one participant or household (422 `need-subject`). Escorts, "
    "host families and needs with `involves_minors` take only volunteers with a valid "
    "politiattest.",
    responses=problem_responses(401, 403, 422),
)
async def register_need(
    body: RegisterNeed, command: NeedCommand, idempotency_key: IdempotencyKeyHeader = None
) -> dict[str, Any]:
    need = need_described(uuid.uuid4(), body)
    return await command.run(
        volunteering.register_need, need=need, body=body, created="/volunteer-needs"
    )


@router.get(
    "/{need_id}", summary="Ett behov / One need", responses=problem_responses(401, 403, 404)
)
async def get_need(
    need_id: uuid.UUID, runtime: RuntimeDep, principal: VolunteerReader
) -> dict[str, Any]:
    return await read(runtime, volunteering.need_view, need_id, principal.municipality)


@router.get(
    "/{need_id}/volunteers",
    summary="Frivillige til behovet, forklart / Volunteers for the need, explained",
    description="Each volunteer with the hard constraints they fail (each with its rule "
    "code and why) and the soft parts (location, gender wish, skills) whose factors "
    "multiply to the score, as in job matching. Excluded volunteers only with "
    "`include_excluded=true`.",
    responses=problem_responses(401, 403, 404),
)
async def list_volunteers_for_need(
    need_id: uuid.UUID,
    runtime: RuntimeDep,
    principal: VolunteerReader,
    include_excluded: Annotated[bool, Query()] = False,
) -> dict[str, Any]:
    return await read(
        runtime,
        volunteering.volunteers_for_need,
        need_id,
        principal.municipality,
        include_excluded=include_excluded,
    )
