"""The participant's folded state, and what it says as of a given day.

Facts may be dated ahead (a planned programme start, a scheduled leave, a move-out
announced in advance), so nothing here is frozen when an event is folded: status and
planned end are functions of the day asked about (:meth:`Participant.status_on`,
:meth:`Programme.planned_end_on`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from services.participants import events as ev
from services.participants.domain import act, benefit, consent_record, minor_record, nir, transfer
from services.participants.domain.act import ActRecord
from services.participants.domain.benefit import BenefitRecord
from services.participants.domain.consent_record import EmployerConsent
from services.participants.domain.minor_record import MinorRecord
from services.participants.domain.nir import NirRecord
from services.participants.domain.transfer import TransferRecord
from shared.dates import LATEST
from shared.events import Event

STREAM_TYPE = "participant"
LEVEL_ORDER = {level: rank for rank, level in enumerate(ev.NorwegianLevel)}


@dataclass(frozen=True)
class Leave:
    """A pause of the programme: from ``starts_on`` up to (not including) ``ends_on``."""

    kind: ev.PauseKind
    starts_on: date
    ends_on: date | None = None
    """The day the programme resumes; ``None`` while the pause is open."""

    def covers(self, day: date) -> bool:
        return self.starts_on <= day and (self.ends_on is None or day < self.ends_on)


def leave_days(leaves: Iterable[Leave], through: date | None = None) -> int:
    """Days in the union of the leaves, each day counted once.

    With ``through``, only days up to and including it count, and an open leave runs
    to it: that is the pause as known on that day. Without it, closed leaves count
    whole and open ones not at all (their length is not known yet).
    """
    spans: list[tuple[int, int]] = []
    limit = through.toordinal() + 1 if through is not None else None
    for leave in leaves:
        start = leave.starts_on.toordinal()
        if leave.ends_on is None:
            if limit is None:
                continue
            end = limit
        else:
            end = (
                leave.ends_on.toordinal()
                if limit is None
                else min(leave.ends_on.toordinal(), limit)
            )
        if end > start:
            spans.append((start, end))
    total = 0
    reach = None
    for start, end in sorted(spans):
        if reach is not None and start < reach:
            start = reach
        if end > start:
            total += end - start
        reach = end if reach is None else max(reach, end)
    return total


def _shifted(day: date, days: int) -> date:
    # Decisions check every shift with shared.dates.add_days; reading back only clamps.
    return min(day + timedelta(days=min(days, (LATEST - day).days)), LATEST)


@dataclass(frozen=True)
class Programme:
    programme_id: uuid.UUID
    kind: ev.ProgrammeKind
    starts_on: date
    base_planned_end: date
    """The planned end before any leave."""
    leaves: tuple[Leave, ...] = ()
    published_planned_end: date | None = None
    """The planned end the last ``programme.resumed`` published."""
    ended_on: date | None = None
    reason: ev.CompletionReason | None = None
    outcome: ev.Outcome | None = None
    follow_up_final: bool = False
    follow_up_status: ev.FollowUpStatus | None = None
    follow_up_reference_year: int | None = None

    @property
    def active(self) -> bool:
        """Not completed (a planned programme, one not started yet, is active)."""
        return self.ended_on is None

    @property
    def open_leave(self) -> Leave | None:
        for leave in self.leaves:
            if leave.ends_on is None:
                return leave
        return None

    @property
    def paused_since(self) -> date | None:
        leave = self.open_leave
        return leave.starts_on if leave is not None else None

    @property
    def planned_end(self) -> date:
        """The planned end once every closed leave is over: moved by the union of leave days."""
        return _shifted(self.base_planned_end, leave_days(self.leaves))

    def planned_end_on(self, day: date) -> date:
        """The planned end as known on ``day``: only leave days up to ``day`` have moved it."""
        return _shifted(self.base_planned_end, leave_days(self.leaves, through=day))

    def contains(self, day: date) -> bool:
        return self.starts_on <= day and (self.ended_on is None or day <= self.ended_on)

    def status_on(self, day: date) -> str:
        if day < self.starts_on:
            return "programme_planned"
        if self.ended_on is not None and self.ended_on <= day:
            return "programme_ended"
        if any(leave.covers(day) for leave in self.leaves):
            return "paused"
        return "in_programme"


@dataclass(frozen=True)
class Participant:
    participant_id: uuid.UUID | None = None
    birth_year: int | None = None
    birth_date: date | None = None
    """Known to the service only sealed; the application passes it to :func:`fold`."""
    gender: ev.Gender = ev.Gender.unknown
    settled_on: date | None = None
    household_id: uuid.UUID | None = None
    left_household_on: date | None = None
    arrival_category: ev.ArrivalCategory | None = None
    unaccompanied_minor: bool = False
    programmes: tuple[Programme, ...] = ()
    plan_revision: int = 0
    plans: tuple[tuple[uuid.UUID, date, tuple[ev.PlannedActivity, ...]], ...] = ()
    absences: tuple[tuple[date, float], ...] = ()
    follow_ups: tuple[date, ...] = ()
    norwegian_tests: tuple[tuple[ev.NorwegianSubTest, ev.NorwegianLevel, date], ...] = ()
    moved_out_on: date | None = None
    moved_to: str | None = None
    emigrated_on: date | None = None
    died_on: date | None = None
    erased: bool = False
    norwegian: dict[ev.NorwegianSubTest, ev.NorwegianLevel] = field(default_factory=dict)
    act: ActRecord = field(default_factory=ActRecord)
    """The person under the Integration Act: category, rights, decisions, plan, contract."""
    benefit: BenefitRecord = field(default_factory=BenefitRecord)
    """The introduction benefit's own facts."""
    nir: NirRecord = field(default_factory=NirRecord)
    """What IMDi's register needs beyond the journey."""
    transfer: TransferRecord = field(default_factory=TransferRecord)
    """Adviser, caseload and moves between municipalities."""
    minor: MinorRecord = field(default_factory=MinorRecord)
    """An unaccompanied minor's phases, plans, bedsit, follow-up and the services' end."""
    employer_consents: tuple[EmployerConsent, ...] = ()
    """Consents to share name and contact with one employer each."""

    @property
    def exists(self) -> bool:
        return self.participant_id is not None

    @property
    def programme(self) -> Programme | None:
        """The latest programme (planned, running or ended), if any."""
        return self.programmes[-1] if self.programmes else None

    @property
    def born_on(self) -> date:
        """The birth date, or the earliest day of the birth year when it is not known."""
        if self.birth_date is not None:
            return self.birth_date
        return date(self.birth_year or 1900, 1, 1)

    @property
    def left_on(self) -> date | None:
        """The day the person left the municipality (moved or emigrated), if recorded."""
        days = [d for d in (self.moved_out_on, self.emigrated_on) if d is not None]
        return min(days) if days else None

    def absence_hours(self, day: date) -> float:
        return sum(hours for on, hours in self.absences if on == day)

    def programme_on(self, day: date) -> Programme | None:
        for programme in reversed(self.programmes):
            if programme.contains(day):
                return programme
        return None

    def status_on(self, day: date) -> str:
        """The status on ``day``: facts dated after it do not count yet."""
        if self.erased:
            return "erased"
        if self.died_on is not None and self.died_on <= day:
            return "deceased"
        if self.emigrated_on is not None and self.emigrated_on <= day:
            return "emigrated"
        if self.moved_out_on is not None and self.moved_out_on <= day:
            return "moved_out"
        # A programme planned ahead does not change the status before it starts.
        for programme in reversed(self.programmes):
            status = programme.status_on(day)
            if status != "programme_planned":
                return status
        return "settled" if self.settled_on is not None else "registered"


def _replace_programme(
    state: Participant, programme_id: uuid.UUID, **changes: object
) -> Participant:
    programmes = tuple(
        replace(p, **changes) if p.programme_id == programme_id else p  # type: ignore[arg-type]
        for p in state.programmes
    )
    return replace(state, programmes=programmes)


def _close_open_leave(programme: Programme, on: date) -> tuple[Leave, ...]:
    return tuple(
        replace(leave, ends_on=max(on, leave.starts_on)) if leave.ends_on is None else leave
        for leave in programme.leaves
    )


def _programme(state: Participant, programme_id: uuid.UUID) -> Programme | None:
    for programme in state.programmes:
        if programme.programme_id == programme_id:
            return programme
    return None


def _replace_programme_closing_leave(
    state: Participant, programme_id: uuid.UUID, on: date, **changes: object
) -> Participant:
    """The programme changed and its open leave, if any, ended ``on``; an unknown programme
    leaves the state as it is."""
    found = _programme(state, programme_id)
    if found is None:
        return state
    return _replace_programme(state, programme_id, leaves=_close_open_leave(found, on), **changes)


def apply(state: Participant, event: Event) -> Participant:
    """Fold one event into the state: the journey, then each concept's own record."""
    state = _apply_journey(state, event)
    changes: dict[str, object] = {}
    for name, concept in _CONCEPTS:
        record = getattr(state, name)
        folded = concept(record, event)
        if folded is not record:
            changes[name] = folded
    return replace(state, **changes) if changes else state  # type: ignore[arg-type]


_CONCEPTS = (
    ("act", act.apply),
    ("benefit", benefit.apply),
    ("nir", nir.apply),
    ("transfer", transfer.apply),
    ("minor", minor_record.apply),
    ("employer_consents", consent_record.apply),
)


def _apply_journey(state: Participant, event: Event) -> Participant:
    match event:
        case ev.ParticipantRegistered():
            return replace(
                state,
                participant_id=event.participant_id,
                birth_year=event.birth_year,
                gender=event.gender,
            )
        case ev.ParticipantBirthYearCorrected():
            return replace(state, birth_year=event.birth_year)
        case ev.ParticipantSettled():
            return replace(
                state,
                settled_on=event.settled_on,
                arrival_category=event.arrival_category,
                household_id=event.household_id,
                unaccompanied_minor=event.unaccompanied_minor,
            )
        case ev.ParticipantLeftHousehold():
            return replace(state, left_household_on=event.left_on)
        case ev.ParticipantTransferredIn():
            # The person continues here: the settlement they came with stays theirs, so the
            # programme can start without a new settlement (which would count as one).
            return replace(
                state, settled_on=event.settled_on, arrival_category=event.arrival_category
            )
        case ev.ProgrammeStarted():
            programme = Programme(
                event.programme_id, event.kind, event.starts_on, event.planned_end
            )
            return replace(state, programmes=(*state.programmes, programme), plan_revision=0)
        case ev.ProgrammeInterrupted():
            found = _programme(state, event.programme_id)
            if found is None:
                return state
            leave = Leave(event.kind, event.from_date)
            return _replace_programme(state, found.programme_id, leaves=(*found.leaves, leave))
        case ev.ProgrammeResumed():
            return _replace_programme_closing_leave(
                state, event.programme_id, event.resumed_on, published_planned_end=event.planned_end
            )
        case ev.PlanRevised():
            return replace(
                state,
                plan_revision=event.revision,
                plans=(*state.plans, (event.programme_id, event.valid_from, event.activities)),
            )
        case ev.ProgrammeCompleted():
            return _replace_programme_closing_leave(
                state,
                event.programme_id,
                event.ended_on,
                ended_on=event.ended_on,
                reason=event.reason,
                outcome=event.outcome,
            )
        case ev.ProgrammeOutcomeRecorded():
            return _replace_programme(state, event.programme_id, outcome=event.outcome)
        case ev.FollowUpStatusRecorded():
            return _replace_programme(
                state,
                event.programme_id,
                follow_up_status=event.status,
                follow_up_final=not event.preliminary,
                follow_up_reference_year=event.reference_year,
            )
        case ev.FollowUpConversationHeld() | ev.FollowUpConversationHeldV1():
            return replace(state, follow_ups=(*state.follow_ups, event.held_on))
        case ev.AbsenceRecorded():
            return replace(state, absences=(*state.absences, (event.on, event.hours)))
        case ev.NorwegianTestRecorded():
            best = dict(state.norwegian)
            previous = best.get(event.sub_test)
            if previous is None or LEVEL_ORDER[event.level] > LEVEL_ORDER[previous]:
                best[event.sub_test] = event.level
            return replace(
                state,
                norwegian=best,
                norwegian_tests=(
                    *state.norwegian_tests,
                    (event.sub_test, event.level, event.taken_on),
                ),
            )
        case ev.ParticipantMovedOut():
            return replace(state, moved_out_on=event.moved_on, moved_to=event.to_municipality)
        case ev.ParticipantEmigrated():
            return replace(state, emigrated_on=event.emigrated_on)
        case ev.ParticipantDied():
            return replace(state, died_on=event.died_on)
        case ev.ParticipantErased():
            return replace(state, erased=True)
    return state


def fold(events: Iterable[Event], birth_date: date | None = None) -> Participant:
    """The state after ``events``; ``birth_date`` is the (sealed) birth date, when known."""
    state = Participant(birth_date=birth_date)
    for event in events:
        state = apply(state, event)
    return state


def facts_dated(state: Participant, today: date) -> list[tuple[str, date]]:
    """Every fact that has happened by ``today``, named by its field (plans are not facts)."""
    facts: list[tuple[str, date]] = []
    if state.settled_on is not None:
        facts.append(("settled_on", state.settled_on))
    if state.left_household_on is not None:
        facts.append(("left_on", state.left_household_on))
    for programme in state.programmes:
        if programme.starts_on <= today:
            facts.append(("starts_on", programme.starts_on))
        if programme.ended_on is not None and programme.ended_on <= today:
            facts.append(("ended_on", programme.ended_on))
        for leave in programme.leaves:
            if leave.starts_on <= today:
                facts.append(("from_date", leave.starts_on))
    facts += [("on", on) for on, _ in state.absences]
    facts += [("held_on", held) for held in state.follow_ups]
    facts += [("taken_on", taken) for _, _, taken in state.norwegian_tests]
    # What the Integration Act's records hold about the person is dated like the journey,
    # so a death, a move or a birth-date correction is checked against it too.
    record = state.act
    facts += [("valid_from", period.valid_from) for period in record.categories]
    facts += [("decided_on", decision.decided_on) for decision in record.decisions]
    facts += [("mapped_on", day) for day in record.mappings]
    facts += [("guided_on", day) for day in record.guidances]
    for revision in record.contract:
        facts.append(("agreed_on", revision.agreed_on))
        if revision.signed_on is not None:
            facts.append(("signed_on", revision.signed_on))
    facts += [("supported_from", child.supported_from) for child in state.benefit.children]
    # So are an unaccompanied minor's facts and the consents given to employers. They are
    # named apart from the journey's (``on``, ``ended_on``, ``agreed_on``), which decisions
    # select by name. A withdrawal is left out: it is the person's right whenever it is
    # dated, after a death or a move too, and it only stops sharing.
    minor = state.minor
    facts += [("phase_entered_on", on) for _, on in minor.phases]
    facts += [("primary_contact_assigned_on", on) for _, on in minor.primary_contacts]
    facts += [("measures_plan_agreed_on", on) for _, on, _ in minor.plans]
    if minor.bedsit_contract is not None:
        _, signed_on, moves_in_on = minor.bedsit_contract
        facts.append(("bedsit_signed_on", signed_on))
        if moves_in_on <= today:
            facts.append(("bedsit_moves_in_on", moves_in_on))
    facts += [("follow_up_contact_on", on) for _, _, on in minor.follow_up_contacts]
    facts += [("minor_outcome_on", on) for _, on in minor.outcomes]
    if minor.ended is not None:
        facts.append(("services_ended_on", minor.ended[1]))
    facts += [("consent_given_on", c.given_on) for c in state.employer_consents]
    return facts
