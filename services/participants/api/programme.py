"""The programme: start, pause, resume, complete, outcome, status one year after, plan."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import Field, field_validator
from sqlalchemy.ext.asyncio import AsyncConnection

from services.participants import application, domain, personal_data
from services.participants import events as ev
from services.participants.api.common import (
    Caseworker,
    ChangeAccepted,
    Command,
    decide,
    not_in_future,
    respond,
)
from shared.commands import CommandResult
from shared.deps import ExpectedVersionDep, IdempotencyKeyHeader, RuntimeDep
from shared.http import problem_responses

router = APIRouter(prefix="/participants/{participant_id}", tags=["programme"])
ERRORS = problem_responses(401, 403, 404, 409, 422)


class StartProgramme(Command):
    kind: ev.ProgrammeKind = Field(description="introduction, or qualification («Ny sjanse»)")
    starts_on: date
    planned_end: date | None = Field(
        default=None, description="Default: two years after start (one year for qualification)"
    )
    adviser: str = Field(
        min_length=1, max_length=200, description="The programme adviser's user id"
    )


class Pause(Command):
    kind: ev.PauseKind = Field(description="leave (permisjon) or interruption (avbrudd)")
    from_date: date


class Resume(Command):
    resumed_on: date


class Complete(Command):
    ended_on: date
    reason: ev.CompletionReason
    outcome: ev.Outcome | None = Field(
        default=None,
        description="Outcome directly after; may be registered later (PUT …/programme/outcome)",
    )
    hours_per_week: float | None = Field(
        default=None, gt=0, le=80, description="Required for work outcomes"
    )

    _ended = field_validator("ended_on")(classmethod(lambda cls, v: not_in_future(v, "ended_on")))


class RecordOutcome(Command):
    outcome: ev.Outcome
    hours_per_week: float | None = Field(default=None, gt=0, le=80)


class FollowUpStatus(Command):
    status: ev.FollowUpStatus = Field(
        description="Status in November of the year after leaving (SSB)"
    )
    preliminary: bool = Field(description="Preliminary (September) or final figure")


class Activity(Command):
    kind: ev.ActivityKind
    hours_per_week: float = Field(ge=0, le=60)
    provider: str | None = Field(default=None, max_length=200)
    starts_on: date
    ends_on: date | None = None


class Plan(Command):
    """A new revision of the individual plan (integreringsplan)."""

    valid_from: date
    end_goal: ev.EndGoal = Field(description="Sluttmål")
    norwegian_goal: ev.NorwegianLevel | None = Field(default=None, description="Norskmål")
    goal_description: str | None = Field(
        default=None, max_length=4000, description="Sealed; never published"
    )
    activities: list[Activity] = Field(min_length=1)


class FollowUp(Command):
    held_on: date
    adviser: str = Field(min_length=1, max_length=200)
    note: str | None = Field(
        default=None, max_length=2000, description="Short note; sealed, never published"
    )

    _held = field_validator("held_on")(classmethod(lambda cls, v: not_in_future(v, "held_on")))


class Absence(Command):
    on: date
    hours: float = Field(gt=0, le=24)
    valid_reason: bool
    note: str | None = Field(default=None, max_length=500)

    _on = field_validator("on")(classmethod(lambda cls, v: not_in_future(v, "on")))


class NorwegianTest(Command):
    sub_test: ev.NorwegianSubTest
    level: ev.NorwegianLevel
    taken_on: date

    _taken = field_validator("taken_on")(classmethod(lambda cls, v: not_in_future(v, "taken_on")))


@router.post(
    "/programme",
    status_code=201,
    response_model=ChangeAccepted,
    summary="Start a programme",
    responses=ERRORS,
)
async def start(
    participant_id: uuid.UUID,
    body: StartProgramme,
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    principal: Caseworker,
    expected: ExpectedVersionDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    programme_id = uuid.uuid4()
    return await decide(
        runtime,
        request,
        response,
        principal,
        participant_id,
        body,
        lambda s: domain.start_programme(
            s, programme_id, body.kind, body.starts_on, body.adviser, body.planned_end
        ),
        expected,
    )


@router.post(
    "/programme/interruption",
    status_code=201,
    response_model=ChangeAccepted,
    summary="Pause the programme (leave or interruption)",
    responses=ERRORS,
)
async def interrupt(
    participant_id: uuid.UUID,
    body: Pause,
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    principal: Caseworker,
    expected: ExpectedVersionDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    return await decide(
        runtime,
        request,
        response,
        principal,
        participant_id,
        body,
        lambda s: domain.interrupt_programme(s, body.kind, body.from_date),
        expected,
    )


@router.post(
    "/programme/resumption",
    status_code=201,
    response_model=ChangeAccepted,
    summary="Resume the programme; the planned end moves by the pause",
    responses=ERRORS,
)
async def resume(
    participant_id: uuid.UUID,
    body: Resume,
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    principal: Caseworker,
    expected: ExpectedVersionDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    return await decide(
        runtime,
        request,
        response,
        principal,
        participant_id,
        body,
        lambda s: domain.resume_programme(s, body.resumed_on),
        expected,
    )


@router.post(
    "/programme/completion",
    status_code=201,
    response_model=ChangeAccepted,
    summary="End the programme (completed or interrupted) with the outcome directly after",
    description="Work outcomes need `hours_per_week`: `work_full_time` is at least 30 h/week, "
    "`work_part_time` below. `moved_municipality`, `emigrated` and `deceased` take the "
    "participant out of the result measures' base.",
    responses=ERRORS,
)
async def complete(
    participant_id: uuid.UUID,
    body: Complete,
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    principal: Caseworker,
    expected: ExpectedVersionDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    return await decide(
        runtime,
        request,
        response,
        principal,
        participant_id,
        body,
        lambda s: domain.complete_programme(
            s, body.ended_on, body.reason, body.outcome, body.hours_per_week
        ),
        expected,
    )


@router.put(
    "/programme/outcome",
    status_code=201,
    response_model=ChangeAccepted,
    summary="Register the outcome of an ended programme that has none",
    responses=ERRORS,
)
async def outcome(
    participant_id: uuid.UUID,
    body: RecordOutcome,
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    principal: Caseworker,
    expected: ExpectedVersionDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    return await decide(
        runtime,
        request,
        response,
        principal,
        participant_id,
        body,
        lambda s: domain.record_outcome(s, body.outcome, body.hours_per_week),
        expected,
    )


@router.post(
    "/follow-up-status",
    status_code=201,
    response_model=ChangeAccepted,
    summary="Record the status in November of the year after leaving the programme",
    responses=ERRORS,
)
async def follow_up_status(
    participant_id: uuid.UUID,
    body: FollowUpStatus,
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    principal: Caseworker,
    expected: ExpectedVersionDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    return await decide(
        runtime,
        request,
        response,
        principal,
        participant_id,
        body,
        lambda s: domain.record_follow_up_status(s, body.status, body.preliminary),
        expected,
    )


@router.post(
    "/norwegian-tests",
    status_code=201,
    response_model=ChangeAccepted,
    summary="Record a Norwegian test result (per sub-test)",
    responses=ERRORS,
)
async def norwegian_test(
    participant_id: uuid.UUID,
    body: NorwegianTest,
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    principal: Caseworker,
    expected: ExpectedVersionDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    return await decide(
        runtime,
        request,
        response,
        principal,
        participant_id,
        body,
        lambda s: domain.record_norwegian_test(s, body.sub_test, body.level, body.taken_on),
        expected,
    )


async def _sealed_command(
    runtime: Any,
    request: Request,
    response: Response,
    principal: Any,
    participant_id: uuid.UUID,
    body: Command,
    expected: int | None,
    build: Any,
) -> dict[str, Any]:
    """A command whose events carry text sealed with the participant's key."""
    metadata = runtime.metadata(principal, request)

    async def work(conn: AsyncConnection) -> CommandResult:
        key = await application.key_for(conn, participant_id)
        _, result = await application.change(
            runtime, conn, metadata, participant_id, lambda s: build(s, key), expected
        )
        return result

    return await respond(runtime, request, response, principal, body, work)


@router.put(
    "/plan",
    status_code=201,
    response_model=ChangeAccepted,
    summary="Revise the individual plan (every revision is kept)",
    description="Hours per week are the activities running on `valid_from`; the plan is full "
    "time at 37.5 h/week (47 weeks a year) and is flagged `below_full_time` otherwise.",
    responses=ERRORS,
)
async def revise_plan(
    participant_id: uuid.UUID,
    body: Plan,
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    principal: Caseworker,
    expected: ExpectedVersionDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    activities = tuple(ev.PlannedActivity(**a.model_dump()) for a in body.activities)
    return await _sealed_command(
        runtime,
        request,
        response,
        principal,
        participant_id,
        body,
        expected,
        lambda s, key: domain.revise_plan(
            s,
            body.valid_from,
            body.end_goal,
            body.norwegian_goal,
            activities,
            personal_data.seal_optional(key, participant_id, body.goal_description),
        ),
    )


@router.post(
    "/follow-ups",
    status_code=201,
    response_model=ChangeAccepted,
    summary="Record a follow-up conversation",
    responses=ERRORS,
)
async def follow_up(
    participant_id: uuid.UUID,
    body: FollowUp,
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    principal: Caseworker,
    expected: ExpectedVersionDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    return await _sealed_command(
        runtime,
        request,
        response,
        principal,
        participant_id,
        body,
        expected,
        lambda s, key: domain.record_follow_up(
            s,
            body.held_on,
            body.adviser,
            personal_data.seal_optional(key, participant_id, body.note),
        ),
    )


@router.post(
    "/absences",
    status_code=201,
    response_model=ChangeAccepted,
    summary="Record absence on one day",
    responses=ERRORS,
)
async def absence(
    participant_id: uuid.UUID,
    body: Absence,
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    principal: Caseworker,
    expected: ExpectedVersionDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    return await _sealed_command(
        runtime,
        request,
        response,
        principal,
        participant_id,
        body,
        expected,
        lambda s, key: domain.record_absence(
            s,
            body.on,
            body.hours,
            body.valid_reason,
            personal_data.seal_optional(key, participant_id, body.note),
        ),
    )
