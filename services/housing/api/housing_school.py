"""The housing school (boligskole): courses with sessions and attendance per household,
host-family follow-up visits, tenancy incidents, and outcomes by completion."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import Field

from services.housing.api.common import Body, Day, Reader, run_command
from services.housing.application import housing_school as use
from services.housing.school_events import IncidentKind
from shared.auth import Principal, require_roles
from shared.deps import IdempotencyKeyHeader, RuntimeDep
from shared.http import problem_responses

router = APIRouter(prefix="/housing/school", tags=["housing school"])

Teacher = Annotated[Principal, Depends(require_roles("housing_officer", "volunteer_coordinator"))]
"""Housing officers and volunteer coordinators run the courses and record the follow-up."""

COMMAND_PROBLEMS = problem_responses(401, 403, 404, 409, 422)


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


@router.post("/courses", status_code=201, summary="Plan a course", responses=COMMAND_PROBLEMS)
async def plan_course(
    body: CourseBody,
    runtime: RuntimeDep,
    request: Request,
    response: Response,
    principal: Teacher,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    return await run_command(
        runtime,
        request,
        response,
        principal,
        body,
        lambda conn, metadata: use.plan_course(
            runtime,
            conn,
            metadata,
            starts_on=body.starts_on,
            sessions=body.sessions,
            required_sessions=body.required_sessions,
        ),
    )


@router.post(
    "/courses/{course_id}/sessions",
    summary="Record a session held, with the households that came",
    responses=COMMAND_PROBLEMS,
)
async def hold_session(
    course_id: uuid.UUID,
    body: SessionBody,
    runtime: RuntimeDep,
    request: Request,
    response: Response,
    principal: Teacher,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    return await run_command(
        runtime,
        request,
        response,
        principal,
        body,
        lambda conn, metadata: use.hold_session(
            runtime,
            conn,
            metadata,
            course_id,
            session=body.session,
            held_on=body.held_on,
            attended=body.attended,
        ),
    )


@router.get(
    "/courses/{course_id}",
    summary="A course with attendance per household",
    responses=problem_responses(401, 403, 404),
)
async def course(course_id: uuid.UUID, runtime: RuntimeDep, principal: Reader) -> dict[str, Any]:
    async with runtime.db.connect() as conn:
        return await use.course_view(conn, course_id, principal.municipality)


@router.post(
    "/visits",
    status_code=201,
    summary="Record a host family's follow-up visit",
    responses=COMMAND_PROBLEMS,
)
async def record_visit(
    body: VisitBody,
    runtime: RuntimeDep,
    request: Request,
    response: Response,
    principal: Teacher,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    return await run_command(
        runtime,
        request,
        response,
        principal,
        body,
        lambda conn, metadata: use.record_visit(
            runtime,
            conn,
            metadata,
            household_id=body.household_id,
            volunteer_id=body.volunteer_id,
            visited_on=body.visited_on,
        ),
    )


@router.post(
    "/incidents",
    status_code=201,
    summary="Record damage or a complaint about a household's tenancy",
    responses=COMMAND_PROBLEMS,
)
async def record_incident(
    body: IncidentBody,
    runtime: RuntimeDep,
    request: Request,
    response: Response,
    principal: Teacher,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    return await run_command(
        runtime,
        request,
        response,
        principal,
        body,
        lambda conn, metadata: use.record_incident(
            runtime,
            conn,
            metadata,
            household_id=body.household_id,
            kind=body.kind,
            occurred_on=body.occurred_on,
        ),
    )


@router.get(
    "/outcomes",
    summary="Damage, complaints and evictions by housing school completion",
    responses=problem_responses(401, 403, 422),
)
async def outcomes(
    runtime: RuntimeDep,
    principal: Reader,
    since: Annotated[date, Query()],
    until: Annotated[date, Query()],
) -> dict[str, Any]:
    async with runtime.db.connect() as conn:
        return await use.outcomes(conn, principal.municipality, since=since, until=until)
