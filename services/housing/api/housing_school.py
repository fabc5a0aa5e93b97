"""The housing school (boligskole): courses with sessions and attendance per household,
host-family follow-up visits, tenancy incidents, and outcomes by completion."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import Field

from services.housing.api.common import Body, Day, Reader, command_route, view_route
from services.housing.application import housing_school as use
from services.housing.school_events import IncidentKind
from shared.auth import Principal, require_roles
from shared.deps import RuntimeDep
from shared.http import problem_responses

router = APIRouter(prefix="/housing/school", tags=["housing school"])

Teacher = Annotated[Principal, Depends(require_roles("housing_officer", "volunteer_coordinator"))]
"""Housing officers and volunteer coordinators run the courses and record the follow-up."""


class CourseBody(Body):
    starts_on: Day
    sessions: int = Field(ge=1, le=20)
    required_sessions: int = Field(ge=1, le=20, description="Sessions that make it completed")


class SessionBody(Body):
    session: int = Field(ge=1, le=20)
    held_on: Day
    attended: list[uuid.UUID] = Field(max_length=500, description="Households that came")


class VisitBody(Body):
    household_id: uuid.UUID
    volunteer_id: uuid.UUID = Field(description="The host family's volunteer id (matching)")
    visited_on: Day


class IncidentBody(Body):
    household_id: uuid.UUID
    kind: IncidentKind
    occurred_on: Day


command_route(
    router,
    "POST",
    "/courses",
    CourseBody,
    use.plan_course,
    name="plan_course",
    status_code=201,
    response_model=None,
    summary="Planlegg et kurs / Plan a course",
    principal=Teacher,
)

command_route(
    router,
    "POST",
    "/courses/{course_id}/sessions",
    SessionBody,
    use.hold_session,
    name="hold_course_session",
    response_model=None,
    summary="Registrer en gjennomført økt, med husstandene som kom / Record a session held, with "
    "the households that came",
    principal=Teacher,
)


view_route(
    router,
    "/courses/{course_id}",
    use.course_view,
    name="get_course",
    response_model=None,
    summary="Et kurs med oppmøte per husstand / A course with attendance per household",
)


command_route(
    router,
    "POST",
    "/visits",
    VisitBody,
    use.record_visit,
    name="record_visit",
    status_code=201,
    response_model=None,
    summary="Registrer et oppfølgingsbesøk fra en vertsfamilie / Record a host family's follow-up "
    "visit",
    principal=Teacher,
)

command_route(
    router,
    "POST",
    "/incidents",
    IncidentBody,
    use.record_incident,
    name="record_incident",
    status_code=201,
    response_model=None,
    summary="Registrer skade eller en klage på en husstands leieforhold / Record damage or a "
    "complaint about a household's tenancy",
    principal=Teacher,
)


@router.get(
    "/outcomes",
    summary="Skader, klager og utkastelser etter fullført boskole / Damage, complaints and "
    "evictions by housing school completion",
    responses=problem_responses(401, 403, 422),
)
async def get_housing_school_outcomes(
    runtime: RuntimeDep,
    principal: Reader,
    since: Annotated[date, Query()],
    until: Annotated[date, Query()],
) -> dict[str, Any]:
    async with runtime.db.snapshot() as conn:
        return await use.outcomes(conn, principal.municipality, since=since, until=until)
