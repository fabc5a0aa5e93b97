"""The resource bank of volunteers: registration, politiattest, approval, assignments."""

from __future__ import annotations

import inspect
import re
import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.matching import volunteering
from services.matching.api.common import CommandRequest, Created, ListDep, read
from services.matching.domain.volunteers import VOLUNTEER
from services.matching.events import (
    ContactKind,
    FollowUpStatus,
    GatheringKind,
    Gender,
    TimeSlot,
    VolunteerRole,
)
from shared.auth import Principal, require_roles
from shared.codes import LanguageCode, MunicipalityCode
from shared.commands import CommandResult
from shared.dates import Day, today
from shared.deps import IdempotencyKeyHeader, RuntimeDep
from shared.http import add_generated_route, problem_responses
from shared.paging import DEFAULT_LIMIT, Limit, Offset, Page, page_of
from shared.taxonomy import load as load_taxonomy

router = APIRouter(prefix="/volunteers", tags=["volunteers"])

Coordinator = Annotated[Principal, Depends(require_roles("volunteer_coordinator"))]
"""Writes: volunteer coordinators (role ``volunteer_coordinator``)."""

VolunteerReader = Annotated[Principal, Depends(require_roles("volunteer_coordinator", "manager"))]


async def coordinator_command(
    request: Request, response: Response, principal: Coordinator
) -> CommandRequest:
    return CommandRequest(request, response, principal)


CoordinatorCommand = Annotated[CommandRequest, Depends(coordinator_command)]


_COMMAND_PROBLEMS = problem_responses(401, 403, 404, 409, 422)

_PATH_ID = re.compile(r"{(\w+)}")


def _volunteer_command(
    path: str,
    body: type[BaseModel],
    use_case: Callable[..., Awaitable[CommandResult]],
    *,
    name: str,
    summary: str,
    description: str | None = None,
    status_code: int = 200,
) -> None:
    """A coordinator's command on one volunteer, declared: the use case gets the path ids
    (``volunteer_id`` first) and the body's fields by name; the volunteer must exist in
    the caller's municipality (404 before the Idempotency-Key is looked up)."""
    path_ids = _PATH_ID.findall(path)

    async def endpoint(**given: Any) -> dict[str, Any]:
        command: CommandRequest = given["command"]
        payload: BaseModel = given["body"]
        ids = [given[key] for key in path_ids]
        arguments = {field: getattr(payload, field) for field in type(payload).model_fields}
        return await command.run(use_case, *ids, body=payload, on=(VOLUNTEER, ids[0]), **arguments)

    keyword = inspect.Parameter.POSITIONAL_OR_KEYWORD
    add_generated_route(
        router,
        "POST",
        path,
        endpoint,
        [
            *(inspect.Parameter(key, keyword, annotation=uuid.UUID) for key in path_ids),
            inspect.Parameter("body", keyword, annotation=body),
            inspect.Parameter("command", keyword, annotation=CoordinatorCommand),
            inspect.Parameter(
                "idempotency_key", keyword, annotation=IdempotencyKeyHeader, default=None
            ),
        ],
        name=name,
        return_annotation=dict[str, Any],
        status_code=status_code,
        summary=summary,
        description=description,
        responses=_COMMAND_PROBLEMS,
    )


def check_skills(skills: list[str]) -> list[str]:
    """ESCO skill URIs the kit's taxonomy knows (422 naming the first unknown one)."""
    known = load_taxonomy().skills
    for uri in skills:
        if uri not in known:
            raise ValueError(f"{uri!r} is not an ESCO skill URI the taxonomy knows")
    return skills


class Personal(BaseModel):
    """Sealed with the volunteer's own key; never published, erased with the key."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=200, pattern=r"^[^@\s]+@[^@\s]+$")
    gender: Gender | None = Field(default=None, description="For needs with a gender wish")
    contribution: str | None = Field(
        default=None, max_length=2000, description="What they want to contribute"
    )
    formal_competence: str | None = Field(default=None, max_length=2000)
    informal_competence: str | None = Field(default=None, max_length=2000)


class RegisterVolunteer(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    consent: Literal[True] = Field(
        description="The volunteer consented to the municipality keeping this record"
    )
    consented_on: Day
    personal: Personal
    roles: list[VolunteerRole] = Field(min_length=1, max_length=6)
    languages: list[LanguageCode] = Field(min_length=1, max_length=20)
    skills: list[str] = Field(default_factory=list, max_length=100, description="ESCO skills")
    municipality_code: MunicipalityCode
    areas: list[Annotated[str, Field(min_length=1, max_length=60)]] = Field(
        default_factory=list, max_length=20, description="Parts of the municipality (bydel)"
    )
    slots: list[TimeSlot] = Field(default_factory=list, max_length=21)
    available_from: Day
    available_until: Day | None = None
    capacity: int = Field(default=1, ge=1, le=20)

    _skills = field_validator("skills")(classmethod(lambda cls, v: check_skills(v)))


@router.post(
    "",
    status_code=201,
    response_model=Created,
    summary="Registrer en frivillig (med samtykke) / Register a volunteer (with consent)",
    description="Appends `volunteer.registered` (published: ids, roles, language codes, "
    "capacity) and the profile with the personal record sealed under the volunteer's own "
    "key (never published). The volunteer takes no assignment before a coordinator "
    "approves them.",
    responses=problem_responses(401, 403, 422),
)
async def register_volunteer(
    body: RegisterVolunteer,
    command: CoordinatorCommand,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    return await command.run(
        volunteering.register_volunteer,
        personal=body.personal.model_dump(mode="json"),
        roles=body.roles,
        languages=body.languages,
        municipality_code=body.municipality_code,
        capacity=body.capacity,
        consented_on=body.consented_on,
        skills=body.skills,
        areas=body.areas,
        slots=body.slots,
        available_from=body.available_from,
        available_until=body.available_until,
        body=body,
        created="/volunteers",
    )


@router.get(
    "",
    response_model=Page[dict[str, Any]],
    summary="De frivillige i kommunen din / Volunteers of your municipality",
    description="Rekkefølge: registrert, så id. / Order: registered, then id.",
    responses=problem_responses(401, 403, 422),
)
async def list_volunteers(
    listing: ListDep,
    principal: VolunteerReader,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> dict[str, Any]:
    return await listing.page(
        volunteering.list_volunteers,
        principal.municipality,
        limit=limit,
        offset=offset,
    )


@router.get(
    "/keep-warm",
    response_model=Page[dict[str, Any]],
    summary="Frivillige å holde varme / Volunteers to keep warm",
    description="Approved volunteers with no assignment, contact or gathering attended in "
    "the `weeks` before `on` (today by default). Rekkefølge: registrert, så id. / Order: "
    "registered, then id.",
    responses=problem_responses(401, 403, 422),
)
async def list_keep_warm(
    request: Request,
    runtime: RuntimeDep,
    principal: VolunteerReader,
    weeks: Annotated[int, Query(ge=1, le=104)] = 8,
    on: Annotated[date | None, Query()] = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> dict[str, Any]:
    cold = await read(
        runtime, volunteering.keep_warm, principal.municipality, weeks=weeks, on=on or today()
    )
    return page_of(request, cold, limit, offset)


@router.get(
    "/{volunteer_id}",
    summary="Én frivillig / One volunteer",
    responses=problem_responses(401, 403, 404),
)
async def get_volunteer(
    volunteer_id: uuid.UUID, runtime: RuntimeDep, principal: VolunteerReader
) -> dict[str, Any]:
    return await read(runtime, volunteering.volunteer_view, volunteer_id, principal.municipality)


class CheckCertificate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    checked_on: Day
    checked_by: str = Field(
        min_length=1, max_length=100, pattern=r"^[\w.:/-]+$", description="A reference"
    )
    expires_on: Day


_volunteer_command(
    "/{volunteer_id}/certificate",
    CheckCertificate,
    volunteering.check_certificate,
    name="check_certificate",
    summary="Registrer den kontrollerte politiattesten / Record the checked politiattest",
)


class Approve(BaseModel):
    model_config = ConfigDict(extra="forbid")
    approved_on: Day


_volunteer_command(
    "/{volunteer_id}/approval",
    Approve,
    volunteering.approve,
    name="approve_volunteer",
    summary="Godkjenn den frivillige (frivillighetskoordinator) / Approve the volunteer "
    "(volunteer coordinator)",
)


class RecordContact(BaseModel):
    model_config = ConfigDict(extra="forbid")
    contacted_on: Day
    kind: ContactKind


_volunteer_command(
    "/{volunteer_id}/contacts",
    RecordContact,
    volunteering.record_contact,
    name="record_volunteer_contact",
    summary="Registrer en kontakt med den frivillige / Record a contact with the volunteer",
)


@router.delete(
    "/{volunteer_id}",
    summary="Slett den frivilliges personopplysninger / Erase the volunteer's personal record",
    description="Destroys the volunteer's key and clears the sealed record: no table holds "
    "their name or contact afterwards. `volunteer.erased` carries the id only.",
    responses=problem_responses(401, 403, 404),
)
async def erase_volunteer(
    volunteer_id: uuid.UUID,
    command: CoordinatorCommand,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    return await command.run(
        volunteering.erase_volunteer, volunteer_id, on=(VOLUNTEER, volunteer_id)
    )


class Assign(BaseModel):
    model_config = ConfigDict(extra="forbid")
    need_id: uuid.UUID
    starts_on: Day
    ends_on: Day | None = None


_volunteer_command(
    "/{volunteer_id}/assignments",
    Assign,
    volunteering.assign,
    name="assign_volunteer",
    status_code=201,
    summary="Sett den frivillige på et behov / Assign the volunteer to a need",
    description="Refused with 409 and the rule of the first hard constraint not met "
    "(`volunteer-not-approved`, `volunteer-role`, `police-certificate-required`, "
    "`volunteer-language`, `volunteer-availability`, `volunteer-capacity`), the same ones "
    "the matching explains.",
)


class FollowUp(BaseModel):
    model_config = ConfigDict(extra="forbid")
    followed_up_on: Day
    status: FollowUpStatus


_volunteer_command(
    "/{volunteer_id}/assignments/{assignment_id}/follow-ups",
    FollowUp,
    volunteering.follow_up,
    name="record_assignment_follow_up",
    summary="Følg opp et oppdrag / Follow an assignment up",
)


class EndAssignment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ended_on: Day


_volunteer_command(
    "/{volunteer_id}/assignments/{assignment_id}/end",
    EndAssignment,
    volunteering.end_assignment,
    name="end_assignment",
    summary="Avslutt et oppdrag / End an assignment",
)


gatherings = APIRouter(prefix="/volunteer-gatherings", tags=["volunteers"])


class HoldGathering(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: GatheringKind
    held_on: Day
    attended: list[uuid.UUID] = Field(max_length=1000)


@gatherings.post(
    "",
    status_code=201,
    response_model=Created,
    summary="Registrer en samling eller et kurs for frivillige, med oppmøte / Record a gathering "
    "or course for volunteers, with attendance",
    responses=problem_responses(401, 403, 404, 422),
)
async def hold_gathering(
    body: HoldGathering,
    command: CoordinatorCommand,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    return await command.run(
        volunteering.hold_gathering,
        kind=body.kind,
        held_on=body.held_on,
        attended=body.attended,
        body=body,
        created="/volunteer-gatherings",
    )
