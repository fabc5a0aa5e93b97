"""The programme: start, pause, resume, complete, outcome, status one year after, plan."""

from __future__ import annotations

import json
import uuid

from fastapi import APIRouter
from pydantic import Field

from services.participants import domain
from services.participants import events as ev
from services.participants.api.common import Command, Sealer, command_route, today
from services.participants.domain import nir
from shared.dates import Day
from shared.events import Event

router = APIRouter(prefix="/participants/{participant_id}", tags=["programme"])


class StartProgramme(Command):
    """Start av introduksjonsprogram eller kvalifiseringsprogram. / Start of a programme.

    Et introduksjonsprogram kan ikke planlegges lengre enn integreringsloven tillater for
    deltakerens bakgrunn (`programme-length`, §§ 13, 14, kapittel 6A; sluttmålet er ennå
    ikke kjent, så den lengste for bakgrunnen). / An introduction programme cannot be
    planned longer than the Act allows for the background (the end goal is not known yet,
    so the longest for it); see GET /integration-act/rules, table programme_length.
    """

    kind: ev.ProgrammeKind = Field(description="introduction, or qualification («Ny sjanse»)")
    starts_on: Day = Field(description="May lie ahead: a planned start takes effect on its date")
    planned_end: Day | None = Field(
        default=None,
        description="Default: two years after start (one year for qualification), or the "
        "normal length the Act allows when shorter (six months with upper-secondary "
        "education, integreringsloven § 13)",
    )
    adviser: str = Field(
        min_length=1,
        max_length=200,
        description="The programme adviser's user id; sealed, never published",
    )


class Pause(Command):
    kind: ev.PauseKind = Field(description="leave (permisjon) or interruption (avbrudd)")
    from_date: Day = Field(description="First day of the pause; may lie ahead (scheduled)")
    to_date: Day | None = Field(
        default=None,
        description="The day the programme resumes, when known (a scheduled leave); "
        "otherwise resume it later",
    )


class Resume(Command):
    resumed_on: Day = Field(description="The day the programme resumes; may lie ahead")


class Complete(Command):
    ended_on: Day
    reason: ev.CompletionReason
    outcome: ev.Outcome | None = Field(
        default=None,
        description="Outcome directly after; may be registered later (PUT …/programme/outcome)",
    )
    hours_per_week: float | None = Field(
        default=None, gt=0, le=80, description="Required for work outcomes"
    )
    end_reason: str | None = Field(
        default=None,
        pattern=ev.END_REASON_PATTERN,
        description="Avslutningsårsak: a code of NIR's list (GET /nir/end-reasons); may be "
        "registered later (PUT …/programme/end-reason). Missing, it shows in "
        "GET /nir/data-quality",
    )


class RecordOutcome(Command):
    outcome: ev.Outcome
    hours_per_week: float | None = Field(default=None, gt=0, le=80)
    correction: bool = Field(
        default=False, description="Replace an outcome already recorded (a correction)"
    )


class FollowUpStatus(Command):
    status: ev.FollowUpStatus = Field(
        description="Status in November of the year after leaving (SSB)"
    )
    preliminary: bool = Field(description="Preliminary (September) or final figure")


class Activity(Command):
    kind: ev.ActivityKind
    hours_per_week: float = Field(ge=0, le=60)
    provider: str | None = Field(
        default=None, max_length=200, description="Sealed; never published"
    )
    starts_on: Day
    ends_on: Day | None = None


class Plan(Command):
    """En ny revisjon av integreringsplanen (integreringsloven § 15). / A new revision of the
    integration plan (integreringsplan).

    Sluttmålet må tillate programmets planlagte lengde (`programme-length`, §§ 13, 14,
    kapittel 6A). Fulltid (`full_time`) er uken for `valid_from` mot tabellen `full_time`;
    kravet per år leses i GET …/rights. / The end goal must allow the programme's planned
    length; `full_time` is the week of `valid_from`, the per-year check is in GET …/rights.
    """

    valid_from: Day
    end_goal: ev.EndGoal = Field(
        description="Sluttmål; upper_secondary (fullført videregående opplæring) allows the "
        "longest programme (§ 14)"
    )
    norwegian_goal: ev.NorwegianLevel | None = Field(default=None, description="Norskmål")
    goal_description: str | None = Field(
        default=None, max_length=4000, description="Sealed; never published"
    )
    activities: list[Activity] = Field(min_length=1, max_length=100)


class FollowUp(Command):
    held_on: Day
    adviser: str = Field(min_length=1, max_length=200, description="Sealed; never published")
    note: str | None = Field(
        default=None, max_length=2000, description="Short note; sealed, never published"
    )


class Absence(Command):
    on: Day
    hours: float = Field(gt=0, le=24, description="At most 24 h per day in total")
    valid_reason: bool
    note: str | None = Field(default=None, max_length=500)
    kind: ev.AbsenceKind = Field(
        default=ev.AbsenceKind.absence,
        description="`absence` (fravær, hours) or `unauthorised_leave` (permisjon uten "
        "tillatelse: the whole day is deducted from the benefit; never with a valid reason)",
    )
    activity: ev.ActivityKind | None = Field(
        default=None,
        description="The activity the absence was from; one the plan holds that day",
    )


class NorwegianTest(Command):
    sub_test: ev.NorwegianSubTest
    level: ev.NorwegianLevel
    taken_on: Day


def _completion(body: Complete, state: domain.Participant) -> list[Event]:
    """The completion, then its end reason (NIR's code list checked on ``ended_on``)."""
    completed = domain.complete_programme(
        state, body.ended_on, body.reason, body.outcome, body.hours_per_week, today()
    )
    return [
        *completed,
        *nir.end_reason_at_completion(state, body.end_reason, body.ended_on, body.reason),
    ]


def _sealed_providers(plan: Plan, seal: Sealer) -> str | None:
    providers = [activity.provider for activity in plan.activities]
    return seal(json.dumps(providers)) if any(providers) else None


command_route(
    router,
    "POST",
    "/programme",
    StartProgramme,
    lambda b, s, seal: domain.start_programme(
        s, uuid.uuid4(), b.kind, b.starts_on, b.planned_end, seal(b.adviser), today()
    ),
    name="start_programme",
    summary="Start et program (eller planlegg starten) / Start a programme (or plan its start)",
    description="A start dated ahead is a planned start: the participant's status, deadlines "
    "and lists change only on that date.",
    seals_text=True,
)
command_route(
    router,
    "POST",
    "/programme/interruption",
    Pause,
    lambda b, s, _: domain.interrupt_programme(s, b.kind, b.from_date, today(), b.to_date),
    name="interrupt_programme",
    summary="Stans programmet (permisjon eller avbrudd), nå eller planlagt / Pause the programme "
    "(leave or interruption), now or scheduled",
    description="Pauses never overlap (`overlapping-leave`). With `to_date` the pause is "
    "closed at once and the planned end moves by the union of all pause days.",
)
command_route(
    router,
    "POST",
    "/programme/resumption",
    Resume,
    lambda b, s, _: domain.resume_programme(s, b.resumed_on, today()),
    name="resume_programme",
    summary="Gjenoppta programmet; planlagt slutt flyttes like mye som stansen / Resume the "
    "programme; the planned end moves by the pause",
)
command_route(
    router,
    "POST",
    "/programme/completion",
    Complete,
    lambda b, s, _: _completion(b, s),
    name="complete_programme",
    summary="Avslutt programmet (fullført eller avbrutt) med resultatet rett etter / End the "
    "programme (completed or interrupted) with the outcome directly after",
    description="Work outcomes need `hours_per_week`: `work_full_time` is at least 30 h/week, "
    "`work_part_time` below. `moved_municipality`, `emigrated` and `deceased` take the "
    "participant out of the result measures' base. With `end_reason` (avslutningsårsak, "
    "NIR's code list in force on `ended_on`) `programme.end_reason_recorded` follows the "
    "completion; a code not in the list is `unknown-end-reason`, one that does not fit "
    "`reason` is `end-reason-misfits` (422).",
)
command_route(
    router,
    "PUT",
    "/programme/outcome",
    RecordOutcome,
    lambda b, s, _: domain.record_outcome(s, b.outcome, b.hours_per_week, today(), b.correction),
    name="record_programme_outcome",
    summary="Registrer resultatet av et avsluttet program som mangler det / Register the outcome "
    "of an ended programme that has none",
)
command_route(
    router,
    "POST",
    "/follow-up-status",
    FollowUpStatus,
    lambda b, s, _: domain.record_follow_up_status(s, b.status, b.preliminary, today()),
    name="record_follow_up_status",
    summary="Registrer statusen i november året etter programmet / Record the status in November "
    "of the year after leaving the programme",
)
command_route(
    router,
    "POST",
    "/norwegian-tests",
    NorwegianTest,
    lambda b, s, _: domain.record_norwegian_test(s, b.sub_test, b.level, b.taken_on, today()),
    name="record_norwegian_test",
    summary="Registrer et resultat fra norskprøven (per delprøve) / Record a Norwegian test "
    "result (per sub-test)",
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
        tuple(ev.PlannedActivity(**a.model_dump(exclude={"provider"})) for a in b.activities),
        seal(b.goal_description),
        today(),
        _sealed_providers(b, seal),
    ),
    name="revise_plan",
    summary="Revider den individuelle planen (hver revisjon tas vare på) / Revise the individual "
    "plan (every revision is kept)",
    description="Hours per week are the activities running on `valid_from`; the plan is full "
    "time at 37.5 h/week (47 weeks a year) and is flagged `below_full_time` otherwise.",
    seals_text=True,
)
command_route(
    router,
    "POST",
    "/follow-ups",
    FollowUp,
    lambda b, s, seal: domain.record_follow_up(
        s, b.held_on, seal(b.adviser) or "", seal(b.note), today()
    ),
    name="record_follow_up",
    summary="Registrer en oppfølgingssamtale / Record a follow-up conversation",
    seals_text=True,
)
command_route(
    router,
    "POST",
    "/absences",
    Absence,
    lambda b, s, seal: domain.record_absence(
        s, b.on, b.hours, b.valid_reason, seal(b.note), today(), b.kind, b.activity
    ),
    name="record_absence",
    summary="Registrer fravær én dag / Record absence on one day",
    description="Invalid absence (no valid reason) reduces the introduction benefit hour "
    "for hour and unauthorised leave by the whole day (integreringsloven § 21); see "
    "GET …/benefit/{year}/{month}.",
    seals_text=True,
)
