"""The participant aggregate: pure decisions and state folding, no I/O.

Each ``decide_*`` function takes the current state and a command's values and returns
the events to append, or raises :class:`DomainRuleViolation` with a sentence a
caseworker understands. Dates come in as arguments; nothing here reads a clock.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date

from services.participants import events as ev
from shared.events import Event

STREAM_TYPE = "participant"
FULL_TIME_HOURS = 37.5
"""Full-time introduction programme: 37.5 hours a week, 47 weeks a year."""
WEEKS_PER_YEAR = 47
FULL_TIME_WORK_HOURS = 30.0
"""Work of at least 30 hours a week counts as full-time work (below is part-time)."""
WORK_OUTCOMES = frozenset(
    {ev.Outcome.work_full_time, ev.Outcome.work_part_time, ev.Outcome.work_and_education}
)
DEFAULT_LENGTH_YEARS = {ev.ProgrammeKind.introduction: 2, ev.ProgrammeKind.qualification: 1}


class DomainRuleViolation(Exception):
    """A command that the participant's current state does not allow (HTTP 409)."""


class InvalidCommand(ValueError):
    """A command whose values contradict each other (HTTP 422); ``field`` names the culprit."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Programme:
    programme_id: uuid.UUID
    kind: ev.ProgrammeKind
    starts_on: date
    planned_end: date
    adviser: str
    paused_since: date | None = None
    pause_kind: ev.PauseKind | None = None
    ended_on: date | None = None
    reason: ev.CompletionReason | None = None
    outcome: ev.Outcome | None = None
    follow_up_final: bool = False
    follow_up_status: ev.FollowUpStatus | None = None

    @property
    def active(self) -> bool:
        return self.ended_on is None


@dataclass(frozen=True)
class Participant:
    participant_id: uuid.UUID | None = None
    birth_year: int | None = None
    gender: ev.Gender = ev.Gender.unknown
    settled_on: date | None = None
    household_id: uuid.UUID | None = None
    arrival_category: ev.ArrivalCategory | None = None
    programmes: tuple[Programme, ...] = ()
    plan_revision: int = 0
    moved_out_on: date | None = None
    erased: bool = False
    norwegian: dict[ev.NorwegianSubTest, ev.NorwegianLevel] = field(default_factory=dict)

    @property
    def exists(self) -> bool:
        return self.participant_id is not None

    @property
    def programme(self) -> Programme | None:
        """The latest programme (active or ended), if any."""
        return self.programmes[-1] if self.programmes else None

    @property
    def status(self) -> str:
        if self.erased:
            return "erased"
        if self.moved_out_on is not None:
            return "moved_out"
        current = self.programme
        if current is not None:
            if current.ended_on is not None:
                return "programme_ended"
            return "paused" if current.paused_since else "in_programme"
        return "settled" if self.settled_on else "registered"


def _replace_last(state: Participant, programme: Programme) -> Participant:
    return replace(state, programmes=(*state.programmes[:-1], programme))


def apply(state: Participant, event: Event) -> Participant:
    """Fold one event into the state."""
    current = state.programme
    match event:
        case ev.ParticipantRegistered():
            return replace(
                state,
                participant_id=event.participant_id,
                birth_year=event.birth_year,
                gender=event.gender,
            )
        case ev.ParticipantSettled():
            return replace(
                state,
                settled_on=event.settled_on,
                arrival_category=event.arrival_category,
                household_id=event.household_id,
            )
        case ev.ProgrammeStarted():
            programme = Programme(
                event.programme_id, event.kind, event.starts_on, event.planned_end, event.adviser
            )
            return replace(state, programmes=(*state.programmes, programme), plan_revision=0)
        case ev.ProgrammeInterrupted() if current is not None:
            return _replace_last(
                state, replace(current, paused_since=event.from_date, pause_kind=event.kind)
            )
        case ev.ProgrammeResumed() if current is not None:
            return _replace_last(
                state,
                replace(current, paused_since=None, pause_kind=None, planned_end=event.planned_end),
            )
        case ev.PlanRevised():
            return replace(state, plan_revision=event.revision)
        case ev.ProgrammeCompleted() if current is not None:
            return _replace_last(
                state,
                replace(
                    current,
                    ended_on=event.ended_on,
                    reason=event.reason,
                    outcome=event.outcome,
                    paused_since=None,
                ),
            )
        case ev.ProgrammeOutcomeRecorded() if current is not None:
            return _replace_last(state, replace(current, outcome=event.outcome))
        case ev.FollowUpStatusRecorded() if current is not None:
            return _replace_last(
                state,
                replace(
                    current, follow_up_status=event.status, follow_up_final=not event.preliminary
                ),
            )
        case ev.NorwegianTestRecorded():
            best = dict(state.norwegian)
            previous = best.get(event.sub_test)
            if previous is None or LEVEL_ORDER[event.level] > LEVEL_ORDER[previous]:
                best[event.sub_test] = event.level
            return replace(state, norwegian=best)
        case ev.ParticipantMovedOut():
            return replace(state, moved_out_on=event.moved_on)
        case ev.ParticipantErased():
            return replace(state, erased=True)
    return state


LEVEL_ORDER = {level: rank for rank, level in enumerate(ev.NorwegianLevel)}


def fold(events: Iterable[Event]) -> Participant:
    state = Participant()
    for event in events:
        state = apply(state, event)
    return state


def _require_live(state: Participant) -> uuid.UUID:
    if state.participant_id is None:
        raise DomainRuleViolation("The participant does not exist.")
    if state.erased:
        raise DomainRuleViolation(
            "The participant's personal data was erased; nothing more can be recorded."
        )
    if state.moved_out_on is not None:
        raise DomainRuleViolation(
            f"The participant moved out on {state.moved_out_on.isoformat()}; the new municipality keeps the case."
        )
    return state.participant_id


def _require_active(state: Participant) -> Programme:
    current = state.programme
    if current is None or not current.active:
        raise DomainRuleViolation("The participant has no programme running; start one first.")
    return current


def register(
    participant_id: uuid.UUID, birth_date: date, gender: ev.Gender, sealed_details: str
) -> list[Event]:
    return [
        ev.ParticipantRegistered(
            participant_id=participant_id, birth_year=birth_date.year, gender=gender
        ),
        ev.PersonalDetailsRecorded(participant_id=participant_id, sealed=sealed_details),
    ]


def change_personal_details(state: Participant, sealed_details: str) -> list[Event]:
    pid = _require_live(state)
    return [ev.PersonalDetailsRecorded(participant_id=pid, sealed=sealed_details)]


def settle(
    state: Participant,
    settled_on: date,
    arrival_category: ev.ArrivalCategory,
    today: date,
    *,
    household_id: uuid.UUID | None = None,
    household_size: int | None = None,
    unaccompanied_minor: bool = False,
) -> list[Event]:
    pid = _require_live(state)
    if state.settled_on is not None:
        raise DomainRuleViolation(
            f"The participant was already settled on {state.settled_on.isoformat()}; "
            "a person is settled once."
        )
    if settled_on > today:
        raise InvalidCommand("settled_on", "settled_on is in the future")
    return [
        ev.ParticipantSettled(
            participant_id=pid,
            settled_on=settled_on,
            arrival_category=arrival_category,
            household_id=household_id,
            household_size=household_size,
            unaccompanied_minor=unaccompanied_minor,
        )
    ]


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def start_programme(
    state: Participant,
    programme_id: uuid.UUID,
    kind: ev.ProgrammeKind,
    starts_on: date,
    adviser: str,
    planned_end: date | None,
) -> list[Event]:
    pid = _require_live(state)
    if state.settled_on is None:
        raise DomainRuleViolation("Record the settlement (bosetting) before starting a programme.")
    current = state.programme
    if current is not None and current.active:
        raise DomainRuleViolation(
            f"A {current.kind.value} programme started {current.starts_on.isoformat()} is still running; "
            "complete it before starting another."
        )
    if current is not None and current.ended_on is not None and starts_on < current.ended_on:
        raise InvalidCommand("starts_on", "starts_on is before the previous programme ended")
    end = planned_end or add_years(starts_on, DEFAULT_LENGTH_YEARS[kind])
    if end <= starts_on:
        raise InvalidCommand("planned_end", "planned_end must be after starts_on")
    return [
        ev.ProgrammeStarted(
            participant_id=pid,
            programme_id=programme_id,
            kind=kind,
            starts_on=starts_on,
            planned_end=end,
            adviser=adviser,
        )
    ]


def interrupt_programme(state: Participant, kind: ev.PauseKind, from_date: date) -> list[Event]:
    pid = _require_live(state)
    current = _require_active(state)
    if current.paused_since is not None:
        raise DomainRuleViolation(
            f"The programme is already paused since {current.paused_since.isoformat()}; resume it first."
        )
    if from_date < current.starts_on:
        raise InvalidCommand("from_date", "from_date is before the programme started")
    return [
        ev.ProgrammeInterrupted(
            participant_id=pid, programme_id=current.programme_id, kind=kind, from_date=from_date
        )
    ]


def resume_programme(state: Participant, resumed_on: date) -> list[Event]:
    pid = _require_live(state)
    current = _require_active(state)
    if current.paused_since is None:
        raise DomainRuleViolation("The programme is not paused, so it cannot be resumed.")
    if resumed_on < current.paused_since:
        raise InvalidCommand("resumed_on", "resumed_on is before the pause began")
    # The planned end moves by the length of the pause: a leave does not use up programme time.
    planned_end = current.planned_end + (resumed_on - current.paused_since)
    return [
        ev.ProgrammeResumed(
            participant_id=pid,
            programme_id=current.programme_id,
            resumed_on=resumed_on,
            planned_end=planned_end,
        )
    ]


def weekly_hours(activities: Iterable[ev.PlannedActivity], on: date) -> float:
    """Hours a week of the activities running on ``on``."""
    return sum(
        a.hours_per_week
        for a in activities
        if a.starts_on <= on and (a.ends_on is None or a.ends_on >= on)
    )


def revise_plan(
    state: Participant,
    valid_from: date,
    end_goal: ev.EndGoal,
    norwegian_goal: ev.NorwegianLevel | None,
    activities: tuple[ev.PlannedActivity, ...],
    sealed_goal: str | None,
) -> list[Event]:
    pid = _require_live(state)
    current = _require_active(state)
    for index, activity in enumerate(activities):
        if activity.ends_on is not None and activity.ends_on < activity.starts_on:
            raise InvalidCommand(f"activities.{index}.ends_on", "ends_on is before starts_on")
    hours = weekly_hours(activities, valid_from)
    revision = state.plan_revision + 1
    events: list[Event] = [
        ev.PlanRevised(
            participant_id=pid,
            programme_id=current.programme_id,
            revision=revision,
            valid_from=valid_from,
            end_goal=end_goal,
            norwegian_goal=norwegian_goal,
            activities=activities,
            hours_per_week=hours,
            full_time=hours >= FULL_TIME_HOURS,
        )
    ]
    if sealed_goal is not None:
        events.append(
            ev.PlanGoalDescribed(participant_id=pid, revision=revision, sealed=sealed_goal)
        )
    return events


def record_follow_up(
    state: Participant, held_on: date, adviser: str, sealed_note: str | None
) -> list[Event]:
    pid = _require_live(state)
    return [
        ev.FollowUpConversationHeld(
            participant_id=pid, held_on=held_on, adviser=adviser, sealed_note=sealed_note
        )
    ]


def record_absence(
    state: Participant, on: date, hours: float, valid_reason: bool, sealed_note: str | None
) -> list[Event]:
    pid = _require_live(state)
    _require_active(state)
    return [
        ev.AbsenceRecorded(
            participant_id=pid,
            on=on,
            hours=hours,
            valid_reason=valid_reason,
            sealed_note=sealed_note,
        )
    ]


def record_norwegian_test(
    state: Participant, sub_test: ev.NorwegianSubTest, level: ev.NorwegianLevel, taken_on: date
) -> list[Event]:
    pid = _require_live(state)
    return [
        ev.NorwegianTestRecorded(
            participant_id=pid, sub_test=sub_test, level=level, taken_on=taken_on
        )
    ]


def _check_outcome(outcome: ev.Outcome | None, hours_per_week: float | None) -> None:
    if outcome in WORK_OUTCOMES and hours_per_week is None:
        raise InvalidCommand(
            "hours_per_week", "hours_per_week is required when the outcome is work"
        )
    if (
        outcome == ev.Outcome.work_full_time
        and hours_per_week is not None
        and hours_per_week < FULL_TIME_WORK_HOURS
    ):
        raise InvalidCommand(
            "hours_per_week", f"full-time work means at least {FULL_TIME_WORK_HOURS:g} hours a week"
        )
    if (
        outcome == ev.Outcome.work_part_time
        and hours_per_week is not None
        and hours_per_week >= FULL_TIME_WORK_HOURS
    ):
        raise InvalidCommand(
            "hours_per_week", f"part-time work means under {FULL_TIME_WORK_HOURS:g} hours a week"
        )
    if outcome not in WORK_OUTCOMES and hours_per_week is not None:
        raise InvalidCommand("hours_per_week", "hours_per_week belongs only to work outcomes")


def complete_programme(
    state: Participant,
    ended_on: date,
    reason: ev.CompletionReason,
    outcome: ev.Outcome | None,
    hours_per_week: float | None,
) -> list[Event]:
    pid = _require_live(state)
    current = state.programme
    if current is None:
        raise DomainRuleViolation(
            "The participant never started a programme, so it cannot be completed."
        )
    if not current.active:
        raise DomainRuleViolation(f"The programme already ended on {current.ended_on}.")
    if ended_on < current.starts_on:
        raise InvalidCommand("ended_on", "ended_on is before the programme started")
    _check_outcome(outcome, hours_per_week)
    return [
        ev.ProgrammeCompleted(
            participant_id=pid,
            programme_id=current.programme_id,
            ended_on=ended_on,
            reason=reason,
            outcome=outcome,
            hours_per_week=hours_per_week,
        )
    ]


def record_outcome(
    state: Participant, outcome: ev.Outcome, hours_per_week: float | None
) -> list[Event]:
    if state.participant_id is None or state.erased:
        raise DomainRuleViolation("The participant does not exist or was erased.")
    current = state.programme
    if current is None or current.active:
        raise DomainRuleViolation(
            "The outcome is recorded when the programme has ended; complete it first."
        )
    if current.outcome is not None:
        raise DomainRuleViolation(f"The outcome is already recorded as {current.outcome.value}.")
    _check_outcome(outcome, hours_per_week)
    return [
        ev.ProgrammeOutcomeRecorded(
            participant_id=state.participant_id,
            programme_id=current.programme_id,
            outcome=outcome,
            hours_per_week=hours_per_week,
        )
    ]


def record_follow_up_status(
    state: Participant, status: ev.FollowUpStatus, preliminary: bool
) -> list[Event]:
    if state.participant_id is None or state.erased:
        raise DomainRuleViolation("The participant does not exist or was erased.")
    current = state.programme
    if current is None or current.ended_on is None:
        raise DomainRuleViolation(
            "The status one year after is recorded after the programme has ended; complete it first."
        )
    if current.follow_up_final and preliminary:
        raise DomainRuleViolation(
            "A final status is already recorded; a preliminary one cannot replace it."
        )
    return [
        ev.FollowUpStatusRecorded(
            participant_id=state.participant_id,
            programme_id=current.programme_id,
            reference_year=current.ended_on.year + 1,
            status=status,
            preliminary=preliminary,
        )
    ]


def move_out(
    state: Participant, moved_on: date, to_municipality: str, from_municipality: str
) -> list[Event]:
    pid = _require_live(state)
    if to_municipality == from_municipality:
        raise InvalidCommand(
            "to_municipality", "the participant already lives in this municipality"
        )
    events: list[Event] = []
    current = state.programme
    if current is not None and current.active:
        events.append(
            ev.ProgrammeCompleted(
                participant_id=pid,
                programme_id=current.programme_id,
                ended_on=max(moved_on, current.starts_on),
                reason=ev.CompletionReason.interrupted,
                outcome=ev.Outcome.moved_municipality,
            )
        )
    events.append(
        ev.ParticipantMovedOut(
            participant_id=pid, moved_on=moved_on, to_municipality=to_municipality
        )
    )
    return events


def erase(state: Participant) -> list[Event]:
    if state.participant_id is None:
        raise DomainRuleViolation("The participant does not exist.")
    if state.erased:
        raise DomainRuleViolation("The participant's personal data is already erased.")
    return [ev.ParticipantErased(participant_id=state.participant_id)]
