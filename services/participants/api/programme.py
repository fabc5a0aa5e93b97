"""The programme: start, pause, resume, complete, outcome, status one year after, plan."""

from __future__ import annotations

import uuid
from datetime import date

from fastapi import APIRouter
from pydantic import Field, field_validator

from services.participants import domain
from services.participants import events as ev
from services.participants.api.common import Command, command_route, not_in_future

router = APIRouter(prefix="/participants/{participant_id}", tags=["programme"])


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


command_route(
    router,
    "POST",
    "/programme",
    StartProgramme,
    lambda b, s, _: domain.start_programme(
        s, uuid.uuid4(), b.kind, b.starts_on, b.adviser, b.planned_end
    ),
    name="start_programme",
    summary="Start a programme",
)
command_route(
    router,
    "POST",
    "/programme/interruption",
    Pause,
    lambda b, s, _: domain.interrupt_programme(s, b.kind, b.from_date),
    name="interrupt_programme",
    summary="Pause the programme (leave or interruption)",
)
command_route(
    router,
    "POST",
    "/programme/resumption",
    Resume,
    lambda b, s, _: domain.resume_programme(s, b.resumed_on),
    name="resume_programme",
    summary="Resume the programme; the planned end moves by the pause",
)
command_route(
    router,
    "POST",
    "/programme/completion",
    Complete,
    lambda b, s, _: domain.complete_programme(s, b.ended_on, b.reason, b.outcome, b.hours_per_week),
    name="complete_programme",
    summary="End the programme (completed or interrupted) with the outcome directly after",
    description="Work outcomes need `hours_per_week`: `work_full_time` is at least 30 h/week, "
    "`work_part_time` below. `moved_municipality`, `emigrated` and `deceased` take the "
    "participant out of the result measures' base.",
)
command_route(
    router,
    "PUT",
    "/programme/outcome",
    RecordOutcome,
    lambda b, s, _: domain.record_outcome(s, b.outcome, b.hours_per_week),
    name="record_outcome",
    summary="Register the outcome of an ended programme that has none",
)
command_route(
    router,
    "POST",
    "/follow-up-status",
    FollowUpStatus,
    lambda b, s, _: domain.record_follow_up_status(s, b.status, b.preliminary),
    name="record_follow_up_status",
    summary="Record the status in November of the year after leaving the programme",
)
command_route(
    router,
    "POST",
    "/norwegian-tests",
    NorwegianTest,
    lambda b, s, _: domain.record_norwegian_test(s, b.sub_test, b.level, b.taken_on),
    name="record_norwegian_test",
    summary="Record a Norwegian test result (per sub-test)",
)
command_route(
    router,
    "PUT",
    "/plan",
    Plan,
    lambda b, s, seal: domain.revise_plan(
        s,
        b.valid_from,
        b.end_goal,
        b.norwegian_goal,
        tuple(ev.PlannedActivity(**a.model_dump()) for a in b.activities),
        seal(b.goal_description),
    ),
    name="revise_plan",
    summary="Revise the individual plan (every revision is kept)",
    description="Hours per week are the activities running on `valid_from`; the plan is full "
    "time at 37.5 h/week (47 weeks a year) and is flagged `below_full_time` otherwise.",
    seals_text=True,
)
command_route(
    router,
    "POST",
    "/follow-ups",
    FollowUp,
    lambda b, s, seal: domain.record_follow_up(s, b.held_on, b.adviser, seal(b.note)),
    name="record_follow_up",
    summary="Record a follow-up conversation",
    seals_text=True,
)
command_route(
    router,
    "POST",
    "/absences",
    Absence,
    lambda b, s, seal: domain.record_absence(s, b.on, b.hours, b.valid_reason, seal(b.note)),
    name="record_absence",
    summary="Record absence on one day",
    seals_text=True,
)
