"""Volunteers of the resource bank: registration, politiattest, approval, assignments.

The volunteer's stream carries their assignments too, so the capacity check and the
certificate check see every assignment the volunteer holds under one stream lock.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date

from services.matching.domain.streams import fold
from services.matching.events import (
    ContactKind,
    FollowUpStatus,
    TimeSlot,
    VolunteerApproved,
    VolunteerAssigned,
    VolunteerAssignmentEnded,
    VolunteerAssignmentFollowedUp,
    VolunteerCertificateChecked,
    VolunteerContacted,
    VolunteerErased,
    VolunteerProfileRecorded,
    VolunteerRegistered,
    VolunteerRole,
)
from shared.dates import check_window
from shared.events import Event
from shared.rules import DATE_ORDER, rule

VOLUNTEER = "volunteer"
VOLUNTEER_NEED = "volunteer_need"
VOLUNTEER_GATHERING = "volunteer_gathering"

VOLUNTEER_NOT_APPROVED = rule(
    "volunteer-not-approved",
    409,
    "Volunteer not approved",
    service="matching",
    description="A volunteer coordinator approves a volunteer before any assignment.",
)
POLICE_CERTIFICATE = rule(
    "police-certificate-required",
    409,
    "Valid police certificate required",
    service="matching",
    description="Escorts, host families and every need involving minors take a volunteer "
    "whose politiattest was checked and does not expire before the assignment ends (an "
    "open-ended one: before it starts).",
)
VOLUNTEER_ROLE = rule(
    "volunteer-role",
    409,
    "Volunteer does not take this role",
    service="matching",
    description="A volunteer is matched and assigned only in the roles they registered for.",
)
VOLUNTEER_LANGUAGE = rule(
    "volunteer-language",
    409,
    "Volunteer does not speak the language",
    service="matching",
    description="The need's language must be among the volunteer's languages.",
)
VOLUNTEER_AVAILABILITY = rule(
    "volunteer-availability",
    409,
    "Volunteer not available then",
    service="matching",
    description="The need must fall inside the volunteer's available period and share at "
    "least one weekday part with their times, when either lists times.",
)
VOLUNTEER_CAPACITY = rule(
    "volunteer-capacity",
    409,
    "Volunteer's capacity reached",
    service="matching",
    description="On no day may a volunteer hold more assignments than their capacity.",
)
VOLUNTEER_ERASED = rule(
    "volunteer-erased",
    409,
    "Volunteer's data erased",
    service="matching",
    description="An erased volunteer takes no assignment, check or approval.",
)
VOLUNTEER_UNKNOWN = rule(
    "volunteer-unknown",
    409,
    "No such volunteer or assignment",
    service="matching",
    description="The volunteer has no history, or the assignment is not theirs.",
)
NEED_SUBJECT = rule(
    "need-subject",
    422,
    "A need is for one participant or one household",
    service="matching",
    description="Exactly one of `participant_id` and `household_id`.",
)


@dataclass(frozen=True)
class Interval:
    """Days ``starts_on`` through ``ends_on`` (open-ended without)."""

    starts_on: date
    ends_on: date | None

    def overlaps(self, other: Interval) -> bool:
        return (self.ends_on is None or other.starts_on <= self.ends_on) and (
            other.ends_on is None or self.starts_on <= other.ends_on
        )


@dataclass(frozen=True)
class Assignment:
    assignment_id: uuid.UUID
    need_id: uuid.UUID
    role: VolunteerRole
    starts_on: date
    ends_on: date | None
    ended_on: date | None = None
    follow_ups: tuple[tuple[date, FollowUpStatus], ...] = ()

    @property
    def interval(self) -> Interval:
        """The days the assignment takes: an early end shortens it."""
        end = self.ends_on
        if self.ended_on is not None and (end is None or self.ended_on < end):
            end = self.ended_on
        return Interval(self.starts_on, end)


@dataclass(frozen=True)
class Certificate:
    checked_on: date
    checked_by: str
    expires_on: date


@dataclass(frozen=True)
class Volunteer:
    volunteer_id: uuid.UUID | None = None
    roles: frozenset[VolunteerRole] = frozenset()
    languages: frozenset[str] = frozenset()
    municipality_code: str = ""
    capacity: int = 1
    skills: frozenset[str] = frozenset()
    areas: frozenset[str] = frozenset()
    slots: frozenset[TimeSlot] = frozenset()
    available_from: date | None = None
    available_until: date | None = None
    certificate: Certificate | None = None
    approved_on: date | None = None
    erased: bool = False
    assignments: dict[uuid.UUID, Assignment] = field(default_factory=dict)


def evolve_volunteer(state: Volunteer, event: Event) -> Volunteer:
    if isinstance(event, VolunteerRegistered):
        return replace(
            state,
            volunteer_id=event.volunteer_id,
            roles=frozenset(event.roles),
            languages=frozenset(event.languages),
            municipality_code=event.municipality_code,
            capacity=event.capacity,
        )
    if isinstance(event, VolunteerProfileRecorded):
        return replace(
            state,
            skills=frozenset(event.skills),
            areas=frozenset(event.areas),
            slots=frozenset(event.slots),
            available_from=event.available_from,
            available_until=event.available_until,
        )
    if isinstance(event, VolunteerCertificateChecked):
        return replace(
            state, certificate=Certificate(event.checked_on, event.checked_by, event.expires_on)
        )
    if isinstance(event, VolunteerApproved):
        return replace(state, approved_on=event.approved_on)
    if isinstance(event, VolunteerErased):
        return replace(state, erased=True)
    if isinstance(event, VolunteerAssigned):
        assignment = Assignment(
            event.assignment_id, event.need_id, event.role, event.starts_on, event.ends_on
        )
        return replace(state, assignments={**state.assignments, event.assignment_id: assignment})
    if isinstance(event, VolunteerAssignmentEnded | VolunteerAssignmentFollowedUp):
        known = state.assignments.get(event.assignment_id)
        if known is None:
            return state
        if isinstance(event, VolunteerAssignmentEnded):
            changed = replace(known, ended_on=event.ended_on)
        else:
            changed = replace(
                known, follow_ups=(*known.follow_ups, (event.followed_up_on, event.status))
            )
        return replace(state, assignments={**state.assignments, event.assignment_id: changed})
    return state


def fold_volunteer(events: Iterable[Event]) -> Volunteer:
    return fold(Volunteer(), evolve_volunteer, events)


def peak_load(held: Iterable[Interval], wanted: Interval) -> int:
    """The most of ``held`` that cover one day of ``wanted``.

    Only the days where an interval starts can raise the count, so the count is taken
    on ``wanted``'s first day and on every start inside it.
    """
    overlapping = [i for i in held if i.overlaps(wanted)]
    days = {wanted.starts_on} | {i.starts_on for i in overlapping if i.starts_on > wanted.starts_on}
    return max(
        (
            sum(
                1
                for i in overlapping
                if i.starts_on <= day and (i.ends_on is None or day <= i.ends_on)
            )
            for day in days
        ),
        default=0,
    )


def _live(state: Volunteer) -> Volunteer:
    if state.volunteer_id is None:
        raise VOLUNTEER_UNKNOWN.violation("The volunteer does not exist.", "volunteer_id")
    if state.erased:
        raise VOLUNTEER_ERASED.violation("The volunteer's data was erased.", "volunteer_id")
    return state


def register_volunteer(
    volunteer_id: uuid.UUID,
    *,
    roles: Iterable[VolunteerRole],
    languages: Iterable[str],
    municipality_code: str,
    capacity: int,
    consented_on: date,
    skills: Iterable[str],
    areas: Iterable[str],
    slots: Iterable[TimeSlot],
    available_from: date,
    available_until: date | None,
    sealed: str,
) -> list[Event]:
    check_window("consented_on", consented_on)
    check_window("available_from", available_from)
    if available_until is not None:
        check_window("available_until", available_until)
        if available_until < available_from:
            raise DATE_ORDER.violation(
                f"available_until {available_until} is before available_from {available_from}.",
                "available_until",
                available_from=available_from,
                available_until=available_until,
            )
    return [
        VolunteerRegistered(
            volunteer_id=volunteer_id,
            roles=tuple(sorted(set(roles))),
            languages=tuple(sorted(set(languages))),
            municipality_code=municipality_code,
            capacity=capacity,
            consented_on=consented_on,
        ),
        VolunteerProfileRecorded(
            volunteer_id=volunteer_id,
            skills=tuple(sorted(set(skills))),
            areas=tuple(sorted(set(areas))),
            slots=tuple(sorted(set(slots), key=lambda s: (s.weekday, s.part))),
            available_from=available_from,
            available_until=available_until,
            sealed=sealed,
        ),
    ]


def check_certificate(
    state: Volunteer, *, checked_on: date, checked_by: str, expires_on: date
) -> list[Event]:
    volunteer = _live(state)
    check_window("checked_on", checked_on)
    check_window("expires_on", expires_on)
    if expires_on < checked_on:
        raise DATE_ORDER.violation(
            f"expires_on {expires_on} is before checked_on {checked_on}.",
            "expires_on",
            checked_on=checked_on,
            expires_on=expires_on,
        )
    assert volunteer.volunteer_id is not None
    return [
        VolunteerCertificateChecked(
            volunteer_id=volunteer.volunteer_id,
            checked_on=checked_on,
            checked_by=checked_by,
            expires_on=expires_on,
        )
    ]


def approve(state: Volunteer, *, approved_on: date) -> list[Event]:
    volunteer = _live(state)
    check_window("approved_on", approved_on)
    assert volunteer.volunteer_id is not None
    if volunteer.approved_on is not None:
        return []
    return [VolunteerApproved(volunteer_id=volunteer.volunteer_id, approved_on=approved_on)]


def record_contact(state: Volunteer, *, contacted_on: date, kind: ContactKind) -> list[Event]:
    volunteer = _live(state)
    check_window("contacted_on", contacted_on)
    assert volunteer.volunteer_id is not None
    return [
        VolunteerContacted(
            volunteer_id=volunteer.volunteer_id, contacted_on=contacted_on, kind=kind
        )
    ]


def erase(state: Volunteer) -> list[Event]:
    if state.volunteer_id is None:
        raise VOLUNTEER_UNKNOWN.violation("The volunteer does not exist.", "volunteer_id")
    if state.erased:
        return []
    return [VolunteerErased(volunteer_id=state.volunteer_id)]


def _assignment(state: Volunteer, assignment_id: uuid.UUID) -> Assignment:
    found = state.assignments.get(assignment_id)
    if found is None:
        raise VOLUNTEER_UNKNOWN.violation(
            f"The volunteer has no assignment {assignment_id}.", "assignment_id"
        )
    return found


def follow_up(
    state: Volunteer, assignment_id: uuid.UUID, *, followed_up_on: date, status: FollowUpStatus
) -> list[Event]:
    volunteer = _live(state)
    assignment = _assignment(volunteer, assignment_id)
    check_window("followed_up_on", followed_up_on)
    if followed_up_on < assignment.starts_on:
        raise DATE_ORDER.violation(
            f"followed_up_on {followed_up_on} is before the assignment starts.",
            "followed_up_on",
            starts_on=assignment.starts_on,
            followed_up_on=followed_up_on,
        )
    assert volunteer.volunteer_id is not None
    return [
        VolunteerAssignmentFollowedUp(
            volunteer_id=volunteer.volunteer_id,
            assignment_id=assignment_id,
            followed_up_on=followed_up_on,
            status=status,
        )
    ]


def end_assignment(state: Volunteer, assignment_id: uuid.UUID, *, ended_on: date) -> list[Event]:
    if state.volunteer_id is None:
        raise VOLUNTEER_UNKNOWN.violation("The volunteer does not exist.", "volunteer_id")
    assignment = _assignment(state, assignment_id)
    check_window("ended_on", ended_on)
    if ended_on < assignment.starts_on:
        raise DATE_ORDER.violation(
            f"ended_on {ended_on} is before the assignment starts ({assignment.starts_on}).",
            "ended_on",
            starts_on=assignment.starts_on,
            ended_on=ended_on,
        )
    if assignment.ended_on is not None:
        return []
    return [
        VolunteerAssignmentEnded(
            volunteer_id=state.volunteer_id, assignment_id=assignment_id, ended_on=ended_on
        )
    ]
