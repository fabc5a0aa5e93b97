"""What one municipality knew at one moment: people, programmes, households, placements.

Pure. :func:`build_snapshots` folds the fact rows the loader read (only rows whose
source had recorded them by the as-of moment, in recording order) into one
:class:`Snapshot` per municipality. The rules compute every indicator from a snapshot,
so a value is reproducible from the rows alone.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

Row = Mapping[str, Any]

NORWEGIAN_LEVELS = ("below_A1", "A1", "A2", "B1", "B2", "C1")
"""CEFR levels, lowest first."""

EDUCATION_LEVELS = (
    "none",
    "primary",
    "lower_secondary",
    "upper_secondary",
    "vocational",
    "bachelor",
    "master",
    "doctorate",
)


def norwegian_rank(level: str | None) -> int:
    return NORWEGIAN_LEVELS.index(level) if level in NORWEGIAN_LEVELS else -1


@dataclass(slots=True)
class PlanRevision:
    revision: int
    valid_from: date
    hours_per_week: float
    full_time: bool


@dataclass(slots=True)
class Pause:
    starts_on: date
    kind: str
    resumed_on: date | None = None


@dataclass(slots=True)
class Programme:
    programme_id: uuid.UUID
    participant_id: uuid.UUID
    kind: str | None = None
    starts_on: date | None = None
    planned_end: date | None = None
    ended_on: date | None = None
    end_reason: str | None = None
    outcome: str | None = None
    exit_hours_per_week: float | None = None
    pauses: list[Pause] = field(default_factory=list)
    plans: list[PlanRevision] = field(default_factory=list)

    def plan_on(self, day: date) -> PlanRevision | None:
        """The plan revision in force on ``day`` (latest ``valid_from``, then revision)."""
        valid = [p for p in self.plans if p.valid_from <= day]
        return max(valid, key=lambda p: (p.valid_from, p.revision)) if valid else None

    def paused_on(self, day: date) -> Pause | None:
        for pause in self.pauses:
            if pause.starts_on <= day and (pause.resumed_on is None or pause.resumed_on > day):
                return pause
        return None


@dataclass(slots=True)
class NorwegianTest:
    sub_test: str
    level: str
    taken_on: date


@dataclass(slots=True)
class Job:
    starts_on: date
    hours_per_week: float | None
    permanent: bool | None


@dataclass(slots=True)
class FollowUp:
    programme_id: uuid.UUID
    reference_year: int
    status: str
    preliminary: bool


@dataclass(slots=True)
class Practice:
    placement_id: uuid.UUID
    participant_id: uuid.UUID
    kind: str | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    outcome: str | None = None


@dataclass(slots=True)
class Person:
    participant_id: uuid.UUID
    birth_year: int | None = None
    gender: str | None = None
    settled_on: date | None = None
    arrival_category: str | None = None
    household_id: uuid.UUID | None = None
    household_size: int | None = None
    unaccompanied_minor: bool = False
    education_level: str | None = None
    """Highest education in the first competence profile: what the person brought."""
    profile_norwegian: dict[str, str] = field(default_factory=dict)
    """Norwegian levels in the first competence profile."""
    programmes: dict[uuid.UUID, Programme] = field(default_factory=dict)
    tests: list[NorwegianTest] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)
    follow_ups: dict[tuple[uuid.UUID, int], FollowUp] = field(default_factory=dict)
    moved_out_on: date | None = None
    """Moved to another municipality; may lie ahead (a move announced in advance)."""
    died_on: date | None = None
    emigrated_on: date | None = None
    minor_phases: dict[str, date] = field(default_factory=dict)
    """An unaccompanied minor's phases (intake, moving_in, shared_home, bedsit) by the day
    each was entered."""
    minor_outcomes: dict[str, date] = field(default_factory=dict)
    """An unaccompanied minor's outcome facts by the first day each was recorded for."""
    minor_services_ended_on: date | None = None

    def left_base(self) -> tuple[date, str] | None:
        """The first day the person is out of the base, and why (moved_out, died, emigrated).

        A date after the as-of date has not happened yet: callers compare it with theirs.
        """
        exits = [
            (day, reason)
            for day, reason in (
                (self.moved_out_on, "moved_out"),
                (self.died_on, "died"),
                (self.emigrated_on, "emigrated"),
            )
            if day is not None
        ]
        return min(exits) if exits else None

    def out_of_base_by(self, day: date) -> tuple[date, str] | None:
        """The exit if it happened on or before ``day``, else None."""
        found = self.left_base()
        return found if found is not None and found[0] <= day else None

    def age_in(self, year: int) -> int | None:
        return None if self.birth_year is None else year - self.birth_year

    def programme(self, programme_id: uuid.UUID) -> Programme:
        found = self.programmes.get(programme_id)
        if found is None:
            found = self.programmes[programme_id] = Programme(programme_id, self.participant_id)
        return found


@dataclass(slots=True)
class Application:
    application_id: uuid.UUID
    household_id: uuid.UUID
    received_on: date | None = None
    household_size: int | None = None
    urgency: str | None = None
    decision: str | None = None
    decided_on: date | None = None


@dataclass(slots=True)
class Placement:
    placement_id: uuid.UUID
    household_id: uuid.UUID
    dwelling_id: uuid.UUID | None = None
    application_id: uuid.UUID | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    end_reason: str | None = None


@dataclass(slots=True)
class Eviction:
    placement_id: uuid.UUID | None
    evicted_on: date
    grounds: str | None


@dataclass(slots=True)
class Ownership:
    became_owner_on: date
    route: str
    price: int | None


@dataclass(slots=True)
class SchoolCourse:
    """A housing school (boligskole) course: the sessions a household must attend and the
    sessions held, each as ``(held_on, session, households that came)``."""

    course_id: uuid.UUID
    required_sessions: int | None = None
    held: list[tuple[date, int, tuple[uuid.UUID, ...]]] = field(default_factory=list)

    def completed_on(self, known_on: date) -> dict[uuid.UUID, date]:
        """Each household that reached the required sessions by ``known_on``, and the day of
        the session at which it did (sessions in the order they were held)."""
        if self.required_sessions is None:
            return {}
        attended: dict[uuid.UUID, int] = {}
        done: dict[uuid.UUID, date] = {}
        for held_on, _, came in sorted(self.held, key=lambda h: (h[0], h[1])):
            if held_on > known_on:
                break
            for household_id in came:
                attended[household_id] = attended.get(household_id, 0) + 1
                if household_id not in done and attended[household_id] >= self.required_sessions:
                    done[household_id] = held_on
        return done


@dataclass(slots=True)
class Incident:
    kind: str
    occurred_on: date


@dataclass(slots=True)
class Household:
    household_id: uuid.UUID
    members: list[uuid.UUID] = field(default_factory=list)
    applications: dict[uuid.UUID, Application] = field(default_factory=dict)
    placements: dict[uuid.UUID, Placement] = field(default_factory=dict)
    evictions: list[Eviction] = field(default_factory=list)
    ownerships: list[Ownership] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)
    """Damage to the dwelling or a neighbour's complaint (housing's tenancy incidents)."""
    settled_on: date | None = None
    """Earliest settlement of a member in this municipality."""

    def application(self, application_id: uuid.UUID) -> Application:
        """The household's application ``application_id`` (new if not seen yet)."""
        found = self.applications.get(application_id)
        if found is None:
            found = self.applications[application_id] = Application(
                application_id, self.household_id
            )
        return found


@dataclass
class Snapshot:
    municipality: str
    persons: dict[uuid.UUID, Person] = field(default_factory=dict)
    households: dict[uuid.UUID, Household] = field(default_factory=dict)
    practice: dict[uuid.UUID, Practice] = field(default_factory=dict)
    school_courses: dict[uuid.UUID, SchoolCourse] = field(default_factory=dict)
    _indexes: dict[str, dict[int, list[Any]]] = field(default_factory=dict, repr=False)
    results: dict[Any, Any] = field(default_factory=dict, repr=False)
    """Rule results computed on this snapshot (it never changes once built)."""

    def person(self, participant_id: uuid.UUID) -> Person:
        found = self.persons.get(participant_id)
        if found is None:
            found = self.persons[participant_id] = Person(participant_id)
        return found

    def household(self, household_id: uuid.UUID) -> Household:
        found = self.households.get(household_id)
        if found is None:
            found = self.households[household_id] = Household(household_id)
        return found

    def settled(self) -> list[Person]:
        return [p for p in self.persons.values() if p.settled_on is not None]

    # Indexes by calendar year, built on first use, so that computing a period touches
    # only the facts dated in its year (a national recompute stays linear in the facts).

    def _index(
        self, name: str, dated: Callable[[], Iterator[tuple[int, Any]]]
    ) -> dict[int, list[Any]]:
        """The entries ``dated`` yields with their year, grouped by year (built once)."""
        found = self._indexes.get(name)
        if found is None:
            found = {}
            for year, entry in dated():
                found.setdefault(year, []).append(entry)
            self._indexes[name] = found
        return found

    def settled_in_year(self, year: int) -> list[Person]:
        def dated() -> Iterator[tuple[int, Person]]:
            for person in self.persons.values():
                if person.settled_on is not None:
                    yield person.settled_on.year, person

        return self._index("settled", dated).get(year, [])

    def programmes_ended_in_year(self, year: int) -> list[tuple[Person, Programme]]:
        def dated() -> Iterator[tuple[int, tuple[Person, Programme]]]:
            for person in self.persons.values():
                for programme in person.programmes.values():
                    if programme.ended_on is not None:
                        yield programme.ended_on.year, (person, programme)

        return self._index("ended", dated).get(year, [])

    def programmes_running_in_year(self, year: int) -> list[tuple[Person, Programme]]:
        """Programmes started by the end of ``year`` and not ended before it began."""

        def dated() -> Iterator[tuple[int, tuple[Person, Programme]]]:
            for person in self.persons.values():
                for programme in person.programmes.values():
                    if programme.starts_on is None:
                        continue
                    if programme.ended_on is None:
                        yield OPEN, (person, programme)
                        continue
                    for y in range(programme.starts_on.year, programme.ended_on.year + 1):
                        yield y, (person, programme)

        return self._with_open(self._index("running", dated), year, _programme_start_year)

    def tests_in_year(self, year: int) -> list[tuple[Person, NorwegianTest]]:
        def dated() -> Iterator[tuple[int, tuple[Person, NorwegianTest]]]:
            for person in self.persons.values():
                for test in person.tests:
                    yield test.taken_on.year, (person, test)

        return self._index("tests", dated).get(year, [])

    def follow_ups_for_year(self, year: int) -> list[tuple[Person, FollowUp]]:
        def dated() -> Iterator[tuple[int, tuple[Person, FollowUp]]]:
            for person in self.persons.values():
                for follow_up in person.follow_ups.values():
                    yield follow_up.reference_year, (person, follow_up)

        return self._index("follow_ups", dated).get(year, [])

    def practice_ended_in_year(self, year: int) -> list[Practice]:
        def dated() -> Iterator[tuple[int, Practice]]:
            for practice in self.practice.values():
                if practice.ends_on is not None:
                    yield practice.ends_on.year, practice

        return self._index("practice", dated).get(year, [])

    def evictions_in_year(self, year: int) -> list[tuple[Household, Eviction]]:
        def dated() -> Iterator[tuple[int, tuple[Household, Eviction]]]:
            for household in self.households.values():
                for eviction in household.evictions:
                    yield eviction.evicted_on.year, (household, eviction)

        return self._index("evictions", dated).get(year, [])

    def ownerships_in_year(self, year: int) -> list[tuple[Household, Ownership]]:
        def dated() -> Iterator[tuple[int, tuple[Household, Ownership]]]:
            for household in self.households.values():
                for ownership in household.ownerships:
                    yield ownership.became_owner_on.year, (household, ownership)

        return self._index("ownerships", dated).get(year, [])

    def households_settled_in_year(self, year: int) -> list[Household]:
        def dated() -> Iterator[tuple[int, Household]]:
            for household in self.households.values():
                if household.settled_on is not None:
                    yield household.settled_on.year, household

        return self._index("households", dated).get(year, [])

    def applications_open_in_year(self, year: int) -> list[Application]:
        """Applications received by the end of ``year`` and not closed before it began."""

        def dated() -> Iterator[tuple[int, Application]]:
            for household in self.households.values():
                for application in household.applications.values():
                    if application.received_on is None:
                        continue
                    closed = _closing_day(household, application)
                    if closed is None:
                        yield OPEN, application
                        continue
                    for y in range(application.received_on.year, closed.year + 1):
                        yield y, application

        return self._with_open(self._index("applications", dated), year, _received_year)

    @staticmethod
    def _with_open(
        index: dict[int, list[Any]], year: int, first_year: Callable[[Any], int]
    ) -> list[Any]:
        """The year's entries plus the still-open ones that began by then."""
        found = index.get(year, [])
        still_open = [entry for entry in index.get(OPEN, []) if first_year(entry) <= year]
        return found + still_open if still_open else found


OPEN = -1
"""Index key of programmes and applications that have not ended yet."""


def _programme_start_year(entry: tuple[Person, Programme]) -> int:
    assert entry[1].starts_on is not None
    return entry[1].starts_on.year


def _received_year(application: Application) -> int:
    assert application.received_on is not None
    return application.received_on.year


def _closing_day(household: Household, application: Application) -> date | None:
    """The first day an application certainly no longer waits (for the year index)."""
    days = []
    if application.decided_on is not None and application.decision in ("rejected", "withdrawn"):
        days.append(application.decided_on)
    for placement in household.placements.values():
        if (
            placement.starts_on is not None
            and placement.application_id == application.application_id
        ):
            days.append(placement.starts_on)
    return min(days) if days else None


FACT_TABLES = (
    "registrations",
    "settlements",
    "competence_profiles",
    "programme_starts",
    "programme_pauses",
    "plan_revisions",
    "programme_completions",
    "norwegian_tests",
    "follow_up_statuses",
    "moves_out",
    "base_exits",
    "birth_year_corrections",
    "jobs",
    "practice_placements",
    "housing_applications",
    "housing_decisions",
    "placements",
    "evictions",
    "ownerships",
    "minor_facts",
    "housing_school",
    "tenancy_incidents",
)
"""Fact tables a snapshot is folded from, in the order they are folded."""


def build_snapshots(rows: Mapping[str, Iterable[Row]]) -> dict[str, Snapshot]:
    """Fold fact rows (each table's rows in recording order) into snapshots by municipality."""
    snapshots: dict[str, Snapshot] = {}

    def snap(row: Row) -> Snapshot:
        municipality = str(row["municipality"])
        found = snapshots.get(municipality)
        if found is None:
            found = snapshots[municipality] = Snapshot(municipality)
        return found

    for row in rows.get("registrations", ()):
        person = snap(row).person(row["participant_id"])
        person.birth_year = row["birth_year"]
        person.gender = row["gender"]
    for row in rows.get("settlements", ()):
        s = snap(row)
        person = s.person(row["participant_id"])
        person.settled_on = row["settled_on"]
        person.arrival_category = row["arrival_category"]
        person.household_id = row["household_id"]
        person.household_size = row["household_size"]
        person.unaccompanied_minor = bool(row["unaccompanied_minor"])
        if row["household_id"] is not None:
            household = s.household(row["household_id"])
            household.members.append(person.participant_id)
            if household.settled_on is None or row["settled_on"] < household.settled_on:
                household.settled_on = row["settled_on"]
    for row in rows.get("competence_profiles", ()):
        person = snap(row).person(row["participant_id"])
        if person.education_level is None and not person.profile_norwegian:
            person.education_level = row["education_level"]
            person.profile_norwegian = {
                sub: row[f"norwegian_{sub}"]
                for sub in ("oral", "written", "reading", "listening")
                if row[f"norwegian_{sub}"] is not None
            }
    for row in rows.get("programme_starts", ()):
        programme = snap(row).person(row["participant_id"]).programme(row["programme_id"])
        programme.kind = row["kind"]
        programme.starts_on = row["starts_on"]
        programme.planned_end = row["planned_end"]
    for row in rows.get("programme_pauses", ()):
        programme = snap(row).person(row["participant_id"]).programme(row["programme_id"])
        if row["change"] == "interrupted":
            programme.pauses.append(Pause(row["on_date"], row["pause_kind"] or "interruption"))
        else:
            open_pauses = [p for p in programme.pauses if p.resumed_on is None]
            if open_pauses:
                open_pauses[-1].resumed_on = row["on_date"]
            if row["planned_end"] is not None:
                programme.planned_end = row["planned_end"]
    for row in rows.get("plan_revisions", ()):
        programme = snap(row).person(row["participant_id"]).programme(row["programme_id"])
        programme.plans.append(
            PlanRevision(
                row["revision"], row["valid_from"], float(row["hours_per_week"]), row["full_time"]
            )
        )
    for row in rows.get("programme_completions", ()):
        programme = snap(row).person(row["participant_id"]).programme(row["programme_id"])
        programme.ended_on = row["ended_on"]
        programme.end_reason = row["reason"]
        programme.outcome = row["outcome"]
        programme.exit_hours_per_week = row["hours_per_week"]
    for row in rows.get("norwegian_tests", ()):
        snap(row).person(row["participant_id"]).tests.append(
            NorwegianTest(row["sub_test"], row["level"], row["taken_on"])
        )
    for row in rows.get("follow_up_statuses", ()):
        person = snap(row).person(row["participant_id"])
        key = (row["programme_id"], row["reference_year"])
        # Later recordings replace earlier ones: final figures replace preliminary.
        person.follow_ups[key] = FollowUp(
            row["programme_id"], row["reference_year"], row["status"], row["preliminary"]
        )
    for row in rows.get("moves_out", ()):
        person = snap(row).person(row["participant_id"])
        person.moved_out_on = row["moved_on"]
    for row in rows.get("base_exits", ()):
        person = snap(row).person(row["participant_id"])
        if row["reason"] == "died":
            person.died_on = row["left_on"]
        else:
            person.emigrated_on = row["left_on"]
    for row in rows.get("birth_year_corrections", ()):
        # Recording order: the latest correction known by the as-of moment wins.
        snap(row).person(row["participant_id"]).birth_year = row["birth_year"]
    for row in rows.get("jobs", ()):
        snap(row).person(row["participant_id"]).jobs.append(
            Job(row["starts_on"], row["hours_per_week"], row["permanent"])
        )
    for row in rows.get("practice_placements", ()):
        s = snap(row)
        s.person(row["participant_id"])
        practice = s.practice.get(row["placement_id"])
        if practice is None:
            practice = s.practice[row["placement_id"]] = Practice(
                row["placement_id"], row["participant_id"]
            )
        if row["change"] == "started":
            practice.kind = row["kind"]
            practice.starts_on = row["on_date"]
        else:
            practice.ends_on = row["on_date"]
            practice.outcome = row["outcome"]
    for row in rows.get("housing_applications", ()):
        household = snap(row).household(row["household_id"])
        application = household.application(row["application_id"])
        application.received_on = row["received_on"]
        application.household_size = row["household_size"]
        application.urgency = row["urgency"]
    for row in rows.get("housing_decisions", ()):
        household = snap(row).household(row["household_id"])
        application = household.application(row["application_id"])
        application.decision = row["decision"]
        application.decided_on = row["decided_on"]
    for row in rows.get("placements", ()):
        household = snap(row).household(row["household_id"])
        placement = household.placements.setdefault(
            row["placement_id"], Placement(row["placement_id"], row["household_id"])
        )
        if row["change"] == "started":
            placement.starts_on = row["on_date"]
            placement.dwelling_id = row["dwelling_id"]
            placement.application_id = row["application_id"]
        else:
            placement.ends_on = row["on_date"]
            placement.end_reason = row["reason"]
    for row in rows.get("evictions", ()):
        snap(row).household(row["household_id"]).evictions.append(
            Eviction(row["placement_id"], row["evicted_on"], row["grounds"])
        )
    for row in rows.get("ownerships", ()):
        snap(row).household(row["household_id"]).ownerships.append(
            Ownership(row["became_owner_on"], row["route"], row["price"])
        )
    for row in rows.get("minor_facts", ()):
        person = snap(row).person(row["participant_id"])
        on = row["on_date"]
        if row["family"] == "phase":
            person.minor_phases.setdefault(row["kind"], on)
        elif row["family"] == "outcome":
            known = person.minor_outcomes.get(row["kind"])
            person.minor_outcomes[row["kind"]] = on if known is None else min(known, on)
        else:
            person.minor_services_ended_on = on
    for row in rows.get("housing_school", ()):
        s = snap(row)
        course = s.school_courses.get(row["course_id"])
        if course is None:
            course = s.school_courses[row["course_id"]] = SchoolCourse(row["course_id"])
        if row["change"] == "planned":
            course.required_sessions = row["required_sessions"]
        else:
            course.held.append((row["on_date"], row["session"], tuple(row["attended"] or ())))
    for row in rows.get("tenancy_incidents", ()):
        snap(row).household(row["household_id"]).incidents.append(
            Incident(row["kind"], row["occurred_on"])
        )
    return snapshots
