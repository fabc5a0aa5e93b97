"""The housing school (boligskole): courses, attendance, completion, and whether damage,
complaints or evictions differ for the households that completed it (pure, no I/O)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from functools import reduce

from services.housing.school_events import HousingSchoolCoursePlanned, HousingSchoolSessionHeld
from shared.dates import check_window
from shared.events import Event
from shared.rules import DATE_ORDER, rule

COURSE = "housing_school_course"
TENANCY_FOLLOW_UP = "tenancy_follow_up"

REQUIRED_SESSIONS = rule(
    "housing-school-required-sessions",
    422,
    "More sessions required than planned",
    service="housing",
    description="A course's `required_sessions` is at most its `sessions`.",
)
SESSION_NOT_PLANNED = rule(
    "housing-school-session",
    409,
    "Session not planned or already held",
    service="housing",
    description="A session is one of the course's planned sessions (1…`sessions`) and is "
    "held once, on or after the course starts.",
)


def course_stream(course_id: uuid.UUID) -> str:
    return f"{COURSE}-{course_id}"


def follow_up_stream(household_id: uuid.UUID) -> str:
    return f"{TENANCY_FOLLOW_UP}-{household_id}"


@dataclass(frozen=True)
class Course:
    course_id: uuid.UUID | None = None
    starts_on: date | None = None
    sessions: int = 0
    required_sessions: int = 0
    attended: dict[int, frozenset[uuid.UUID]] = field(default_factory=dict)


def evolve(state: Course, event: Event) -> Course:
    if isinstance(event, HousingSchoolCoursePlanned):
        return Course(event.course_id, event.starts_on, event.sessions, event.required_sessions)
    if isinstance(event, HousingSchoolSessionHeld):
        return replace(state, attended={**state.attended, event.session: frozenset(event.attended)})
    return state


def fold(events: Iterable[Event]) -> Course:
    return reduce(evolve, events, Course())


def plan_course(
    course_id: uuid.UUID, *, starts_on: date, sessions: int, required_sessions: int
) -> list[Event]:
    check_window("starts_on", starts_on)
    if required_sessions > sessions:
        raise REQUIRED_SESSIONS.violation(
            f"required_sessions {required_sessions} is more than the {sessions} planned.",
            "required_sessions",
            sessions=sessions,
            required_sessions=required_sessions,
        )
    return [
        HousingSchoolCoursePlanned(
            course_id=course_id,
            starts_on=starts_on,
            sessions=sessions,
            required_sessions=required_sessions,
        )
    ]


def hold_session(
    state: Course, *, session: int, held_on: date, attended: Iterable[uuid.UUID]
) -> list[Event]:
    assert state.course_id is not None and state.starts_on is not None
    check_window("held_on", held_on)
    if held_on < state.starts_on:
        raise DATE_ORDER.violation(
            f"held_on {held_on} is before the course starts ({state.starts_on}).",
            "held_on",
            starts_on=state.starts_on,
            held_on=held_on,
        )
    if not 1 <= session <= state.sessions or session in state.attended:
        raise SESSION_NOT_PLANNED.violation(
            f"Session {session} is not a planned session not yet held (1–{state.sessions}).",
            "session",
            session=session,
        )
    return [
        HousingSchoolSessionHeld(
            course_id=state.course_id,
            session=session,
            held_on=held_on,
            attended=tuple(dict.fromkeys(attended)),
        )
    ]


def completed(sessions_attended: int, required_sessions: int) -> bool:
    """A household completed a course when it came to at least the required sessions."""
    return sessions_attended >= required_sessions


@dataclass(frozen=True)
class Outcomes:
    households: int
    with_damage: int
    with_complaint: int
    evicted: int

    def rates(self) -> dict[str, float | None]:
        def share(count: int) -> float | None:
            return round(count / self.households, 4) if self.households else None

        return {
            "damage": share(self.with_damage),
            "complaint": share(self.with_complaint),
            "eviction": share(self.evicted),
        }


def compare(
    housed: Iterable[uuid.UUID],
    completers: set[uuid.UUID],
    incidents: Mapping[uuid.UUID, set[str]],
    evicted: set[uuid.UUID],
) -> dict[str, Outcomes]:
    """Housed households split by completion: how many had damage, a complaint, an eviction.

    Each household counts once per kind however many incidents it had.
    """
    groups: dict[str, list[uuid.UUID]] = {"completed": [], "not_completed": []}
    for household in set(housed):
        groups["completed" if household in completers else "not_completed"].append(household)
    return {
        name: Outcomes(
            households=len(members),
            with_damage=sum(1 for h in members if "damage" in incidents.get(h, set())),
            with_complaint=sum(1 for h in members if "complaint" in incidents.get(h, set())),
            evicted=sum(1 for h in members if h in evicted),
        )
        for name, members in groups.items()
    }
