"""Pure decisions: the current state and a command's values in, events out (or a violation).

Each decision takes ``today`` as an argument; nothing here reads a clock. A refused
command raises a :class:`shared.rules.RuleViolation` naming its rule, fields and dates,
and returns no events, so a refusal changes nothing.
"""

from __future__ import annotations

import uuid
from datetime import date

from stdnum.exceptions import ValidationError as StdnumError
from stdnum.no import fodselsnummer

from services.participants import events as ev
from services.participants.domain import act, benefit
from services.participants.domain import rules as r
from services.participants.domain.state import (
    Leave,
    Participant,
    Programme,
    facts_dated,
    leave_days,
)
from shared.date_order import refuse_after, refuse_before
from shared.dates import add_days, check_window, not_in_future
from shared.dates import age_on as age_on
from shared.events import Event

FULL_TIME_HOURS, WEEKS_PER_YEAR = act.full_time_rule(
    act.rule_tables(), act.rule_tables()["full_time"].entries[-1].valid_from
)
"""Full-time introduction programme (hours a week, weeks a year): the latest entry of the
dated table ``full_time`` (data/integration_act.json), for readers that show one figure;
:func:`revise_plan` uses the entry in force on the plan's ``valid_from``."""
FULL_TIME_WORK_HOURS = 30.0
"""Work of at least 30 hours a week counts as full-time work (below is part-time)."""
HOURS_PER_DAY = 24.0
ADULT_AGE = 18
WORK_OUTCOMES = frozenset(
    {ev.Outcome.work_full_time, ev.Outcome.work_part_time, ev.Outcome.work_and_education}
)
DEFAULT_LENGTH_YEARS = {ev.ProgrammeKind.introduction: 2, ev.ProgrammeKind.qualification: 1}
NOT_REGISTERED = r.NOT_REGISTERED


# -- guards ---------------------------------------------------------------------------


def _exists(state: Participant) -> uuid.UUID:
    if state.participant_id is None:
        raise NOT_REGISTERED.violation("The participant does not exist.")
    if state.erased:
        raise r.ERASED.violation(
            "The participant's personal data was erased; nothing more can be recorded."
        )
    return state.participant_id


def _alive(state: Participant) -> uuid.UUID:
    pid = _exists(state)
    if state.died_on is not None:
        raise r.AFTER_DEATH.violation(
            f"The participant died on {state.died_on.isoformat()}; only corrections of personal "
            "details or erasure can be recorded.",
            died_on=state.died_on,
        )
    return pid


def _present(
    state: Participant, today: date, field: str | None = None, on: date | None = None
) -> uuid.UUID:
    """Alive and still in the municipality on ``on`` (or today, for undated commands)."""
    pid = _alive(state)
    left = state.left_on
    day = on if on is not None else today
    if left is not None and day >= left:
        how = "emigrated" if left == state.emigrated_on else f"moved to {state.moved_to}"
        fields = (field,) if field else ()
        raise r.MOVED_AWAY.violation(
            f"The participant {how} on {left.isoformat()}; "
            + (f"{field} {day.isoformat()} is" if field else "this is")
            + " on or after it, and the new municipality keeps the case.",
            *fields,
            leaves_on=left,
            **({field: day} if field else {}),
        )
    return pid


def _after_birth(state: Participant, field: str, day: date) -> None:
    refuse_before(r.BEFORE_BIRTH, field, day, "the participant's birth", state.born_on, "born_on")


def _no_move_recorded(state: Participant) -> None:
    if state.left_on is not None:
        raise r.MOVED_AWAY.violation(
            f"A move on {state.left_on.isoformat()} is already recorded.", left_on=state.left_on
        )


def _after_settlement(state: Participant, field: str, day: date) -> None:
    if state.settled_on is not None:
        settled = state.settled_on
        refuse_before(r.BEFORE_SETTLEMENT, field, day, "the settlement", settled, "settled_on")


def _within(state: Participant, field: str, day: date) -> Programme:
    """The programme ``day`` falls in, or the rule that says why none does."""
    found = state.programme_on(day)
    if found is not None:
        return found
    if not state.programmes:
        raise r.NO_PROGRAMME.violation(
            f"The participant has no programme for {field} {day.isoformat()} to belong to.",
            field,
        )
    ended_before = [p for p in state.programmes if p.ended_on is not None and p.ended_on < day]
    if not ended_before:
        first = state.programmes[0]
        raise r.BEFORE_PROGRAMME_START.violation(
            f"{field} {day.isoformat()} is before the programme starts "
            f"({first.starts_on.isoformat()}).",
            field,
            **{field: day, "starts_on": first.starts_on},
        )
    ended = ended_before[-1]
    raise r.AFTER_PROGRAMME_END.violation(
        f"{field} {day.isoformat()} is after the programme ended ({ended.ended_on}).",
        field,
        **{field: day, "ended_on": ended.ended_on},
    )


def _current(state: Participant) -> Programme:
    current = state.programme
    if current is None:
        raise r.NO_PROGRAMME.violation("The participant has no programme; start one first.")
    if not current.active:
        raise r.PROGRAMME_ENDED.violation(
            f"The programme ended on {current.ended_on}; start a new one first.",
            ended_on=current.ended_on,
        )
    return current


def add_years(field: str, day: date, years: int) -> date:
    """``day`` ``years`` later (29 February → 28 February), inside the date window."""
    try:
        later = day.replace(year=day.year + years)
    except ValueError:
        later = day.replace(year=day.year + years, day=28)
    return check_window(field, later)


def national_id_birth_date(national_id: str) -> date | None:
    """The birth date a fødselsnummer or D-number encodes (``None`` if it encodes none)."""
    try:
        return fodselsnummer.get_birth_date(national_id)
    except (StdnumError, ValueError):
        return None


def check_birth_date(birth_date: date, national_id: str) -> None:
    encoded = national_id_birth_date(national_id)
    if encoded is not None and encoded != birth_date:
        raise r.BIRTH_DATE_MISMATCH.violation(
            f"birth_date {birth_date.isoformat()} contradicts the national id, which encodes "
            f"{encoded.isoformat()}.",
            "birth_date",
            "national_id",
            birth_date=birth_date,
            encoded_birth_date=encoded,
        )


def _planned_end_after(programme: Programme, leaves: tuple[Leave, ...], field: str) -> date:
    """The planned end once ``leaves`` are over, checked against the date window."""
    return add_days(field, programme.base_planned_end, leave_days(leaves))


# -- person ---------------------------------------------------------------------------


def register(
    participant_id: uuid.UUID,
    birth_date: date,
    national_id: str,
    gender: ev.Gender,
    sealed_details: str,
    today: date,
) -> list[Event]:
    not_in_future("birth_date", birth_date, today, "A birth")
    check_birth_date(birth_date, national_id)
    return [
        ev.ParticipantRegistered(
            participant_id=participant_id, birth_year=birth_date.year, gender=gender
        ),
        ev.PersonalDetailsRecorded(participant_id=participant_id, sealed=sealed_details),
    ]


def change_personal_details(
    state: Participant,
    sealed_details: str,
    birth_date: date,
    national_id: str,
    today: date,
) -> list[Event]:
    """A correction: allowed after death too; the birth date keeps agreeing with the id."""
    pid = _exists(state)
    not_in_future("birth_date", birth_date, today, "A birth")
    check_birth_date(birth_date, national_id)
    corrected = Participant(birth_date=birth_date)
    for field, day in facts_dated(state, today):
        if day < birth_date:
            raise r.BEFORE_BIRTH.violation(
                f"birth_date {birth_date.isoformat()} is after {field} {day.isoformat()}, "
                "already recorded.",
                "birth_date",
                birth_date=birth_date,
                **{field: day},
            )
    for left, on in (
        ("died_on", state.died_on),
        ("emigrated_on", state.emigrated_on),
        ("moved_on", state.moved_out_on),
    ):
        if on is not None:
            _after_birth(corrected, left, on)
    if (
        state.unaccompanied_minor
        and state.settled_on is not None
        and age_on(birth_date, state.settled_on) >= ADULT_AGE
    ):
        raise r.NOT_A_MINOR.violation(
            f"With birth_date {birth_date.isoformat()} the participant was "
            f"{age_on(birth_date, state.settled_on)} at settlement ({state.settled_on}), "
            "but is recorded as an unaccompanied minor.",
            "birth_date",
            birth_date=birth_date,
            settled_on=state.settled_on,
        )
    events: list[Event] = [ev.PersonalDetailsRecorded(participant_id=pid, sealed=sealed_details)]
    if birth_date.year != state.birth_year:
        events.append(
            ev.ParticipantBirthYearCorrected(participant_id=pid, birth_year=birth_date.year)
        )
    return events


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
    pid = _present(state, today, "settled_on", settled_on)
    if state.settled_on is not None:
        raise r.ALREADY_SETTLED.violation(
            f"The participant was already settled on {state.settled_on.isoformat()}; "
            "a person is settled once.",
            settled_on=state.settled_on,
        )
    not_in_future("settled_on", settled_on, today, "A settlement")
    _after_birth(state, "settled_on", settled_on)
    if unaccompanied_minor and age_on(state.born_on, settled_on) >= ADULT_AGE:
        raise r.NOT_A_MINOR.violation(
            f"The participant was {age_on(state.born_on, settled_on)} on settled_on "
            f"{settled_on.isoformat()}; unaccompanied_minor is for those under {ADULT_AGE}.",
            "unaccompanied_minor",
            "settled_on",
            settled_on=settled_on,
            born_on=state.born_on,
        )
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


def leave_household(state: Participant, left_on: date, today: date) -> list[Event]:
    pid = _present(state, today, "left_on", left_on)
    if state.household_id is None or state.settled_on is None:
        raise r.NOT_IN_HOUSEHOLD.violation("The participant is not settled in a household.")
    if state.left_household_on is not None:
        raise r.NOT_IN_HOUSEHOLD.violation(
            f"The participant left the household on {state.left_household_on.isoformat()}.",
            left_household_on=state.left_household_on,
        )
    not_in_future("left_on", left_on, today, "Leaving the household")
    _after_settlement(state, "left_on", left_on)
    return [
        ev.ParticipantLeftHousehold(
            participant_id=pid, household_id=state.household_id, left_on=left_on
        )
    ]


def _end_programme_for(
    state: Participant, pid: uuid.UUID, on: date, outcome: ev.Outcome
) -> list[Event]:
    current = state.programme
    if current is None or not current.active:
        return []
    return [
        ev.ProgrammeCompleted(
            participant_id=pid,
            programme_id=current.programme_id,
            ended_on=max(on, current.starts_on),
            reason=ev.CompletionReason.interrupted,
            outcome=outcome,
        )
    ]


def _no_facts_from(state: Participant, field: str, day: date, today: date, inclusive: bool) -> None:
    for fact, when in facts_dated(state, today):
        if when > day or (inclusive and when == day and fact not in ("settled_on",)):
            rule = r.AFTER_DEATH if field == "died_on" else r.MOVED_AWAY
            raise rule.violation(
                f"{field} {day.isoformat()} is before {fact} {when.isoformat()}, already "
                "recorded; correct that first.",
                field,
                **{field: day, fact: when},
            )


def move_out(
    state: Participant,
    moved_on: date,
    to_municipality: str,
    from_municipality: str,
    today: date,
) -> list[Event]:
    """A move to another municipality; ``moved_on`` may lie ahead (announced in advance)."""
    pid = _present(state, today, "moved_on", moved_on)
    _no_move_recorded(state)
    check_window("moved_on", moved_on)
    if to_municipality == from_municipality:
        raise r.SAME_MUNICIPALITY.violation(
            f"to_municipality {to_municipality} is the municipality the participant lives in.",
            "to_municipality",
        )
    _after_birth(state, "moved_on", moved_on)
    _after_settlement(state, "moved_on", moved_on)
    _no_facts_from(state, "moved_on", moved_on, today, inclusive=True)
    return [
        *_end_programme_for(state, pid, moved_on, ev.Outcome.moved_municipality),
        ev.ParticipantMovedOut(
            participant_id=pid, moved_on=moved_on, to_municipality=to_municipality
        ),
    ]


def emigrate(state: Participant, emigrated_on: date, today: date) -> list[Event]:
    pid = _present(state, today, "emigrated_on", emigrated_on)
    _no_move_recorded(state)
    not_in_future("emigrated_on", emigrated_on, today, "An emigration")
    _after_birth(state, "emigrated_on", emigrated_on)
    _after_settlement(state, "emigrated_on", emigrated_on)
    _no_facts_from(state, "emigrated_on", emigrated_on, today, inclusive=True)
    return [
        *_end_programme_for(state, pid, emigrated_on, ev.Outcome.emigrated),
        ev.ParticipantEmigrated(participant_id=pid, emigrated_on=emigrated_on),
    ]


def die(state: Participant, died_on: date, today: date) -> list[Event]:
    pid = _alive(state)
    not_in_future("died_on", died_on, today, "A death")
    _after_birth(state, "died_on", died_on)
    left = state.left_on
    if left is not None and died_on >= left:
        raise r.MOVED_AWAY.violation(
            f"The participant left on {left.isoformat()}; the new municipality records the death.",
            "died_on",
            died_on=died_on,
            left_on=left,
        )
    _no_facts_from(state, "died_on", died_on, today, inclusive=False)
    return [
        *_end_programme_for(state, pid, died_on, ev.Outcome.deceased),
        ev.ParticipantDied(participant_id=pid, died_on=died_on),
    ]


def erase(state: Participant) -> list[Event]:
    if state.participant_id is None:
        raise NOT_REGISTERED.violation("The participant does not exist.")
    if state.erased:
        raise r.ERASED.violation("The participant's personal data is already erased.")
    return [ev.ParticipantErased(participant_id=state.participant_id)]


# -- programme ------------------------------------------------------------------------


def start_programme(
    state: Participant,
    programme_id: uuid.UUID,
    kind: ev.ProgrammeKind,
    starts_on: date,
    planned_end: date | None,
    sealed_adviser: str | None,
    today: date,
) -> list[Event]:
    """Start a programme; ``starts_on`` may lie ahead (a planned start).

    An introduction programme's planned end is at most what the Act allows for the
    person's background (``programme-length``, integreringsloven §§ 13, 14, kapittel 6A;
    the end goal is not known yet, so the longest for the background); the default end
    is two years, or the normal length the Act allows when shorter.
    """
    pid = _present(state, today, "starts_on", starts_on)
    if state.settled_on is None:
        raise r.NOT_SETTLED.violation(
            "Record the settlement (bosetting) before starting a programme."
        )
    check_window("starts_on", starts_on)
    if state.left_on is not None:
        raise r.MOVED_AWAY.violation(
            f"The participant leaves the municipality on {state.left_on.isoformat()}; the new "
            "municipality starts any programme.",
            "starts_on",
            starts_on=starts_on,
            leaves_on=state.left_on,
        )
    current = state.programme
    if current is not None and current.active:
        raise r.PROGRAMME_RUNNING.violation(
            f"A {current.kind.value} programme starting {current.starts_on.isoformat()} is not "
            "completed; complete it before starting another.",
            starts_on=current.starts_on,
        )
    _after_settlement(state, "starts_on", starts_on)
    if current is not None and current.ended_on is not None:
        previous = "the previous programme ended"
        refuse_before(r.DATE_ORDER, "starts_on", starts_on, previous, current.ended_on, "ended_on")
    tables = act.rule_tables()
    limit = (
        act.length_limit(state.act, starts_on, None, tables)
        if kind == ev.ProgrammeKind.introduction
        else None
    )
    if planned_end is None:
        end = add_years("planned_end", starts_on, DEFAULT_LENGTH_YEARS[kind])
        if limit is not None:
            # The default never exceeds the normal length the Act allows (no extension).
            end = min(end, check_window("planned_end", limit.normal_end(starts_on)))
    else:
        end = check_window("planned_end", planned_end)
    if end <= starts_on:
        raise r.DATE_ORDER.violation(
            f"planned_end {end.isoformat()} is not after starts_on {starts_on.isoformat()}.",
            "planned_end",
            "starts_on",
            planned_end=end,
            starts_on=starts_on,
        )
    if limit is not None:
        # The end goal is not known before the plan: the longest length for the background.
        act.check_programme_length(state.act, starts_on, end, None, tables, "planned_end")
    events: list[Event] = [
        ev.ProgrammeStarted(
            participant_id=pid,
            programme_id=programme_id,
            kind=kind,
            starts_on=starts_on,
            planned_end=end,
        )
    ]
    if sealed_adviser is not None:
        events.append(
            ev.ProgrammeAdviserAssigned(
                participant_id=pid, programme_id=programme_id, sealed_adviser=sealed_adviser
            )
        )
    return events


def _overlap(programme: Programme, starts_on: date, ends_on: date | None) -> Leave | None:
    for leave in programme.leaves:
        other_end = leave.ends_on
        if (ends_on is None or leave.starts_on < ends_on) and (
            other_end is None or starts_on < other_end
        ):
            if ends_on is not None and ends_on == starts_on:
                continue
            if other_end is not None and other_end == leave.starts_on:
                continue
            return leave
    return None


def interrupt_programme(
    state: Participant,
    kind: ev.PauseKind,
    from_date: date,
    today: date,
    to_date: date | None = None,
) -> list[Event]:
    """A leave or interruption from ``from_date`` (may be scheduled ahead), open or up to
    ``to_date`` (the day the programme resumes)."""
    pid = _present(state, today, "from_date", from_date)
    current = _current(state)
    check_window("from_date", from_date)
    if current.open_leave is not None:
        raise r.ALREADY_PAUSED.violation(
            f"The programme is paused since {current.open_leave.starts_on.isoformat()}; "
            "resume it first.",
            paused_since=current.open_leave.starts_on,
        )
    started = "the programme started"
    refuse_before(
        r.BEFORE_PROGRAMME_START, "from_date", from_date, started, current.starts_on, "starts_on"
    )
    if to_date is not None:
        check_window("to_date", to_date)
        if to_date <= from_date:
            raise r.DATE_ORDER.violation(
                f"to_date {to_date.isoformat()} is not after from_date {from_date.isoformat()}.",
                "to_date",
                "from_date",
                to_date=to_date,
                from_date=from_date,
            )
        if state.left_on is not None:
            departure = "the participant leaves"
            refuse_after(r.MOVED_AWAY, "to_date", to_date, departure, state.left_on, "left_on")
    clash = _overlap(current, from_date, to_date)
    if clash is not None:
        raise r.OVERLAPPING_LEAVE.violation(
            f"The {kind.value} from {from_date.isoformat()}"
            + (f" to {to_date.isoformat()}" if to_date else "")
            + f" overlaps the {clash.kind.value} from {clash.starts_on.isoformat()}"
            + (f" to {clash.ends_on.isoformat()}." if clash.ends_on else " (still open)."),
            "from_date",
            *(("to_date",) if to_date else ()),
            from_date=from_date,
            other_starts_on=clash.starts_on,
            other_ends_on=clash.ends_on,
        )
    events: list[Event] = [
        ev.ProgrammeInterrupted(
            participant_id=pid, programme_id=current.programme_id, kind=kind, from_date=from_date
        )
    ]
    if to_date is not None:
        leaves = (*current.leaves, Leave(kind, from_date, to_date))
        events.append(
            ev.ProgrammeResumed(
                participant_id=pid,
                programme_id=current.programme_id,
                resumed_on=to_date,
                planned_end=_planned_end_after(current, leaves, "to_date"),
            )
        )
    return events


def resume_programme(state: Participant, resumed_on: date, today: date) -> list[Event]:
    """Close the open pause on ``resumed_on`` (may lie ahead: the pause's scheduled end)."""
    pid = _present(state, today, "resumed_on", resumed_on)
    current = _current(state)
    check_window("resumed_on", resumed_on)
    open_leave = current.open_leave
    if open_leave is None:
        raise r.NOT_PAUSED.violation("The programme is not paused, so it cannot be resumed.")
    paused_since = open_leave.starts_on
    refuse_before(
        r.DATE_ORDER, "resumed_on", resumed_on, "the pause began", paused_since, "paused_since"
    )
    leaves = tuple(
        Leave(leave.kind, leave.starts_on, resumed_on) if leave is open_leave else leave
        for leave in current.leaves
    )
    return [
        ev.ProgrammeResumed(
            participant_id=pid,
            programme_id=current.programme_id,
            resumed_on=resumed_on,
            planned_end=_planned_end_after(current, leaves, "resumed_on"),
        )
    ]


def weekly_hours(activities: tuple[ev.PlannedActivity, ...], on: date) -> float:
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
    today: date,
    sealed_providers: str | None = None,
) -> list[Event]:
    """A plan revision (plans may lie ahead), within the programme's period.

    The end goal must allow the introduction programme's planned length (leave not
    counted; ``programme-length``, integreringsloven §§ 13, 14, kapittel 6A). ``full_time``
    is the week of ``valid_from`` against the ``full_time`` table in force that day; the
    per-year check is read with ``GET …/rights`` (:func:`act.full_time_check`).
    """
    pid = _present(state, today, "valid_from", valid_from)
    current = _current(state)
    check_window("valid_from", valid_from)
    start, end = current.starts_on, current.planned_end
    starts, planned_end = "the programme starts", "the programme's planned end"
    refuse_before(r.BEFORE_PROGRAMME_START, "valid_from", valid_from, starts, start, "starts_on")
    refuse_after(r.AFTER_PROGRAMME_END, "valid_from", valid_from, planned_end, end, "planned_end")
    for index, activity in enumerate(activities):
        prefix = f"activities.{index}"
        check_window(f"{prefix}.starts_on", activity.starts_on)
        if activity.ends_on is not None:
            check_window(f"{prefix}.ends_on", activity.ends_on)
            if activity.ends_on < activity.starts_on:
                raise r.DATE_ORDER.violation(
                    f"{prefix}.ends_on {activity.ends_on.isoformat()} is before "
                    f"{prefix}.starts_on {activity.starts_on.isoformat()}.",
                    f"{prefix}.ends_on",
                    ends_on=activity.ends_on,
                    starts_on=activity.starts_on,
                )
        refuse_before(
            r.BEFORE_PROGRAMME_START,
            f"{prefix}.starts_on",
            activity.starts_on,
            starts,
            start,
            "programme_starts_on",
            day_fact="starts_on",
        )
    tables = act.rule_tables()
    if current.kind == ev.ProgrammeKind.introduction:
        act.check_programme_length(
            state.act, current.starts_on, current.base_planned_end, end_goal, tables, "end_goal"
        )
    hours = weekly_hours(activities, valid_from)
    full_time_hours, _ = act.full_time_rule(tables, valid_from)
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
            full_time=hours >= full_time_hours,
        )
    ]
    if sealed_goal is not None:
        events.append(
            ev.PlanGoalDescribed(participant_id=pid, revision=revision, sealed=sealed_goal)
        )
    if sealed_providers is not None:
        events.append(
            ev.PlanProvidersRecorded(participant_id=pid, revision=revision, sealed=sealed_providers)
        )
    return events


def record_follow_up(
    state: Participant,
    held_on: date,
    sealed_adviser: str,
    sealed_note: str | None,
    today: date,
) -> list[Event]:
    pid = _present(state, today, "held_on", held_on)
    not_in_future("held_on", held_on, today, "A follow-up conversation")
    _within(state, "held_on", held_on)
    return [
        ev.FollowUpConversationHeld(
            participant_id=pid,
            held_on=held_on,
            sealed_adviser=sealed_adviser,
            sealed_note=sealed_note,
        )
    ]


def record_absence(
    state: Participant,
    on: date,
    hours: float,
    valid_reason: bool,
    sealed_note: str | None,
    today: date,
    kind: ev.AbsenceKind = ev.AbsenceKind.absence,
    activity: ev.ActivityKind | None = None,
) -> list[Event]:
    pid = _present(state, today, "on", on)
    not_in_future("on", on, today, "An absence")
    _within(state, "on", on)
    benefit.check_absence(state, on, valid_reason, kind, activity)
    already = state.absence_hours(on)
    if already + hours > HOURS_PER_DAY + 1e-9:
        raise r.ABSENCE_OVER_24H.violation(
            f"{hours:g} h on {on.isoformat()} would make {already + hours:g} h of absence that "
            f"day ({already:g} h already recorded); a day has {HOURS_PER_DAY:g}.",
            "hours",
            "on",
            on=on,
            recorded_hours=already,
        )
    return [
        ev.AbsenceRecorded(
            participant_id=pid,
            on=on,
            hours=hours,
            valid_reason=valid_reason,
            sealed_note=sealed_note,
            kind=kind,
            activity=activity,
        )
    ]


def record_norwegian_test(
    state: Participant,
    sub_test: ev.NorwegianSubTest,
    level: ev.NorwegianLevel,
    taken_on: date,
    today: date,
) -> list[Event]:
    pid = _present(state, today, "taken_on", taken_on)
    not_in_future("taken_on", taken_on, today, "A Norwegian test")
    _after_birth(state, "taken_on", taken_on)
    return [
        ev.NorwegianTestRecorded(
            participant_id=pid, sub_test=sub_test, level=level, taken_on=taken_on
        )
    ]


def _check_outcome(outcome: ev.Outcome | None, hours_per_week: float | None) -> None:
    if outcome in WORK_OUTCOMES and hours_per_week is None:
        raise r.MISSING_FIELD.violation(
            "hours_per_week is required when the outcome is work.", "hours_per_week"
        )
    if (
        outcome == ev.Outcome.work_full_time
        and hours_per_week is not None
        and hours_per_week < FULL_TIME_WORK_HOURS
    ):
        raise r.OUTCOME_HOURS.violation(
            f"Full-time work means at least {FULL_TIME_WORK_HOURS:g} hours_per_week.",
            "hours_per_week",
        )
    if (
        outcome == ev.Outcome.work_part_time
        and hours_per_week is not None
        and hours_per_week >= FULL_TIME_WORK_HOURS
    ):
        raise r.OUTCOME_HOURS.violation(
            f"Part-time work means under {FULL_TIME_WORK_HOURS:g} hours_per_week.",
            "hours_per_week",
        )
    if outcome not in WORK_OUTCOMES and hours_per_week is not None:
        raise r.OUTCOME_HOURS.violation(
            "hours_per_week belongs only to work outcomes.", "hours_per_week"
        )


def complete_programme(
    state: Participant,
    ended_on: date,
    reason: ev.CompletionReason,
    outcome: ev.Outcome | None,
    hours_per_week: float | None,
    today: date,
) -> list[Event]:
    pid = _present(state, today, "ended_on", ended_on)
    current = _current(state)
    not_in_future("ended_on", ended_on, today, "The end of a programme")
    started = "the programme started"
    refuse_before(
        r.BEFORE_PROGRAMME_START, "ended_on", ended_on, started, current.starts_on, "starts_on"
    )
    inside = [
        (field, day)
        for field, day in facts_dated(state, today)
        if field in ("on", "held_on") and current.contains(day)
    ] + [("from_date", leave.starts_on) for leave in current.leaves]
    later = [(field, day) for field, day in inside if day > ended_on]
    if later:
        field, day = max(later, key=lambda item: item[1])
        raise r.AFTER_PROGRAMME_END.violation(
            f"ended_on {ended_on.isoformat()} is before {field} {day.isoformat()}, already "
            "recorded in this programme.",
            "ended_on",
            ended_on=ended_on,
            **{field: day},
        )
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


def _ended(state: Participant) -> Programme:
    current = state.programme
    if current is None or current.ended_on is None:
        raise r.NO_PROGRAMME.violation(
            "This is recorded after the programme has ended; complete it first."
        )
    return current


def record_outcome(
    state: Participant,
    outcome: ev.Outcome,
    hours_per_week: float | None,
    today: date,
    correction: bool = False,
) -> list[Event]:
    """The outcome of the ended programme; ``correction`` replaces one already recorded."""
    pid = _exists(state)
    if not correction:
        _alive(state)
    current = _ended(state)
    if current.outcome is not None and not correction:
        raise r.OUTCOME_RECORDED.violation(
            f"The outcome is already recorded as {current.outcome.value}; send correction: "
            "true to correct it.",
            "outcome",
            recorded=current.outcome.value,
        )
    _check_outcome(outcome, hours_per_week)
    return [
        ev.ProgrammeOutcomeRecorded(
            participant_id=pid,
            programme_id=current.programme_id,
            outcome=outcome,
            hours_per_week=hours_per_week,
        )
    ]


def left_the_base(state: Participant, reference_year: int) -> tuple[str, date | None] | None:
    """Why the participant is outside the reference November's base, if they are."""
    november_end = date(min(reference_year, 9999), 11, 30)
    for reason, day in (
        ("died", state.died_on),
        ("emigrated", state.emigrated_on),
        ("moved", state.moved_out_on),
    ):
        if day is not None and day <= november_end:
            return reason, day
    current = state.programme
    if current is not None and current.outcome in ev.BASE_EXCLUDING_OUTCOMES:
        return current.outcome.value, current.ended_on
    return None


def record_follow_up_status(
    state: Participant, status: ev.FollowUpStatus, preliminary: bool, today: date
) -> list[Event]:
    """The status in November of the year after the programme ended (SSB's measure)."""
    pid = _exists(state)
    current = _ended(state)
    assert current.ended_on is not None
    reference_year = current.ended_on.year + 1
    gone = left_the_base(state, reference_year)
    if gone is not None:
        reason, day = gone
        raise r.LEFT_THE_BASE.violation(
            f"The participant left the base ({reason}"
            + (f", {day.isoformat()}" if day else "")
            + "); correct the outcome first if that is wrong.",
            "status",
            reason=reason,
            on=day,
        )
    _alive(state)
    november = date(reference_year, 11, 1)
    if today < november:
        raise r.NOVEMBER_NOT_BEGUN.violation(
            f"The status in November {reference_year} can be recorded from "
            f"{november.isoformat()}; today is {today.isoformat()}.",
            "status",
            reference_year=reference_year,
            today=today,
        )
    if current.follow_up_final and preliminary:
        raise r.FINAL_STATUS_RECORDED.violation(
            "A final status is already recorded; a preliminary one cannot replace it.",
            "preliminary",
        )
    return [
        ev.FollowUpStatusRecorded(
            participant_id=pid,
            programme_id=current.programme_id,
            reference_year=reference_year,
            status=status,
            preliminary=preliminary,
        )
    ]


def record_profile(state: Participant, today: date) -> uuid.UUID:
    """A competence profile can be recorded while the participant is alive and here."""
    return _present(state, today)
