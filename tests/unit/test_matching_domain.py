"""Random match workflows through the pure domain: no accepted sequence breaks an invariant,
and a refused command changes nothing (it raises a rule violation before any event)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from services.matching import domain
from services.matching.events import (
    Contact,
    DeclinedBy,
    EmployerDetailsRecorded,
    EmployerRegistered,
    JobObtained,
    OpeningKind,
    OpeningPublished,
    OpeningTerms,
    PlacementOutcome,
    PracticePlacementEnded,
    PracticePlacementStarted,
)
from shared.events import Event
from shared.rules import RuleViolation

TODAY = date(2026, 6, 1)
EMPLOYER = uuid.UUID(int=1)


def _day(offset: int) -> date:
    return TODAY + timedelta(days=offset)


@dataclass
class Person:
    settled_on: date | None
    left_on: date | None
    erased: bool

    def view(self) -> domain.Participant:
        return domain.Participant(
            settled_on=self.settled_on,
            erased=self.erased,
            left_on=self.left_on,
            left_because="moved_out" if self.left_on else None,
        )


@dataclass
class World:
    """The streams of one employer's openings and matches, as the application keeps them."""

    capacity: int
    openings: dict[uuid.UUID, list[Event]] = field(default_factory=dict)
    matches: dict[uuid.UUID, list[Event]] = field(default_factory=dict)
    people: dict[uuid.UUID, Person] = field(default_factory=dict)

    def opening(self, opening_id: uuid.UUID) -> domain.Opening:
        return domain.fold_opening(self.openings[opening_id])

    def match(self, match_id: uuid.UUID) -> domain.Match:
        return domain.fold_match(self.matches[match_id])

    def mentors(self) -> domain.MentorLoad:
        taken = sum(
            1
            for events in self.matches.values()
            if domain.fold_match(events).status is domain.MatchStatus.in_placement
        )
        return domain.MentorLoad(EMPLOYER, self.capacity, taken)

    def snapshot(self) -> tuple[tuple[int, ...], tuple[int, ...]]:
        return (
            tuple(len(e) for e in self.openings.values()),
            tuple(len(e) for e in self.matches.values()),
        )


command = st.tuples(
    st.one_of(
        st.just("advance"),
        st.sampled_from(["interest", "interview", "offer", "start", "end", "decline"]),
    ),
    st.integers(0, 5),
    st.one_of(st.integers(-400, 0), st.integers(-900, 200)),
    st.one_of(st.integers(0, 60), st.integers(-30, 200)),
    st.sampled_from([None, True, False]),
    st.sampled_from(list(PlacementOutcome)),
)


@st.composite
def worlds(draw: st.DrawFn) -> World:
    world = World(capacity=draw(st.integers(0, 3)))
    for _ in range(draw(st.integers(1, 2))):
        opening_id = uuid.uuid4()
        kind = draw(st.sampled_from(list(OpeningKind)))
        terms = OpeningTerms(
            isco_code="9412",
            places=draw(st.integers(1, 3)),
            hours_per_week=15,
            starts_on=_day(-60),
            municipality_code="3301",
        )
        world.openings[opening_id] = [
            OpeningPublished(
                opening_id=opening_id, employer_id=EMPLOYER, kind=kind, **terms.model_dump()
            )
        ]
    opening_ids = list(world.openings)
    for _ in range(draw(st.integers(1, 6))):
        person = uuid.uuid4()
        world.people[person] = Person(
            settled_on=draw(st.one_of(st.none(), st.integers(-1000, 100).map(_day))),
            left_on=draw(st.one_of(st.none(), st.none(), st.integers(-300, 300).map(_day))),
            erased=draw(st.integers(0, 9)) == 0,
        )
        match_id = uuid.uuid4()
        world.matches[match_id] = domain.propose_match(
            match_id,
            person,
            world.opening(draw(st.sampled_from(opening_ids))),
            score=50,
            band="partial",
        )
    return world


_NEXT = {
    domain.MatchStatus.proposed: "interest",
    domain.MatchStatus.interested: "offer",
    domain.MatchStatus.interview: "offer",
    domain.MatchStatus.offered: "start",
    domain.MatchStatus.in_placement: "end",
}


def _run(world: World, step: tuple) -> list[tuple[uuid.UUID, bool, list[Event]]]:
    """Decide one command; the events to append per stream (True: an opening's stream)."""
    op, index, offset, later, permanent, outcome = step
    match_id = list(world.matches)[index % len(world.matches)]
    state = world.match(match_id)
    on = _day(offset)
    if op == "advance":
        # Mostly the workflow's next step, so that random runs reach starts and ends.
        op = _NEXT.get(state.status, "decline") if state.status else "decline"
    if op == "interest":
        return [(match_id, False, domain.employer_interested(state, on, today=TODAY))]
    if op == "interview":
        return [(match_id, False, domain.schedule_interview(state, on))]
    if op == "offer":
        starts = _day(offset + later)
        events = domain.make_offer(state, on, starts, 15, permanent, today=TODAY)
        return [(match_id, False, events)]
    if op == "decline":
        return [
            (match_id, False, domain.decline(state, DeclinedBy.employer, on, None, today=TODAY))
        ]
    assert state.opening_id is not None and state.participant_id is not None
    opening = world.opening(state.opening_id)
    if op == "start":
        match_events = domain.start(
            state,
            uuid.uuid4(),
            starts_on=_day(offset) if later % 5 == 0 else None,
            hours_per_week=None,
            permanent=permanent,
            participant=world.people[state.participant_id].view(),
            mentors=world.mentors(),
        )
        opening_events = domain.take_place(opening, match_id)
        return [(state.opening_id, True, opening_events), (match_id, False, match_events)]
    job = (
        domain.JobTerms(_day(offset + later), 37.5, bool(permanent))
        if outcome is PlacementOutcome.turned_into_job or permanent is not None
        else None
    )
    match_events = domain.end_placement(state, on, outcome, job, today=TODAY)
    return [
        (state.opening_id, True, domain.release_place(opening, match_id)),
        (match_id, False, match_events),
    ]


def _check_invariants(world: World) -> None:
    assert world.mentors().taken <= world.capacity
    for events in world.openings.values():
        opening = domain.fold_opening(events)
        assert opening.terms is not None and len(opening.taken) <= opening.terms.places
    for events in world.matches.values():
        state = domain.fold_match(events)
        person = world.people[state.participant_id] if state.participant_id else None
        assert person is not None
        started: date | None = None
        for event in events:
            if isinstance(event, PracticePlacementStarted | JobObtained):
                starts = event.starts_on
                started = started or starts
                assert not person.erased
                if person.settled_on is not None:
                    assert starts >= person.settled_on
                if person.left_on is not None and isinstance(event, PracticePlacementStarted):
                    assert starts < person.left_on
            if isinstance(event, PracticePlacementEnded):
                assert started is not None and started <= event.ends_on <= TODAY


@settings(max_examples=150, deadline=None)
@given(worlds(), st.lists(command, min_size=10, max_size=40))
def test_mentor_capacity_and_timelines_hold_and_refusals_change_nothing(
    world: World, steps: list[tuple]
) -> None:
    for step in steps:
        before = world.snapshot()
        try:
            decided = _run(world, step)
        except RuleViolation as refused:
            assert refused.status in (409, 422) and refused.code
            assert world.snapshot() == before
            continue
        for stream, is_opening, events in decided:
            (world.openings if is_opening else world.matches)[stream].extend(events)
        _check_invariants(world)


def _offered(opening: domain.Opening, person: uuid.UUID, permanent: bool | None) -> list[Event]:
    """A match of ``person`` for ``opening`` taken through interest to an offer."""
    match_id = uuid.uuid4()
    events = domain.propose_match(match_id, person, opening, score=1, band="weak")
    events += domain.employer_interested(domain.fold_match(events), _day(-10), today=TODAY)
    events += domain.make_offer(
        domain.fold_match(events), _day(-9), _day(-5), 15, permanent, today=TODAY
    )
    return events


def _published(kind: OpeningKind, places: int) -> list[Event]:
    return [
        OpeningPublished(
            opening_id=uuid.uuid4(),
            employer_id=EMPLOYER,
            kind=kind,
            isco_code="9412",
            places=places,
            hours_per_week=15,
            starts_on=_day(-60),
            municipality_code="3301",
        )
    ]


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 3), st.integers(1, 6))
def test_a_placement_beyond_the_employers_mentors_is_refused_naming_capacity_and_load(
    capacity: int, wanted: int
) -> None:
    world = World(capacity=capacity)
    opening = _published(OpeningKind.language_practice, 10)
    opening_id = domain.fold_opening(opening).opening_id
    assert opening_id is not None
    world.openings[opening_id] = opening
    started = 0
    for _ in range(wanted):
        person = uuid.uuid4()
        world.people[person] = Person(None, None, False)
        events = _offered(world.opening(opening_id), person, None)
        match_id = domain.fold_match(events).match_id
        assert match_id is not None
        world.matches[match_id] = events
        try:
            started_events = domain.start(
                world.match(match_id),
                uuid.uuid4(),
                starts_on=None,
                hours_per_week=None,
                permanent=None,
                participant=world.people[person].view(),
                mentors=world.mentors(),
            )
        except RuleViolation as refused:
            assert refused.code == "mentor-capacity" and refused.status == 409
            assert refused.facts["mentor_capacity"] == capacity
            assert refused.facts["mentors_taken"] == started
            continue
        world.matches[match_id].extend(started_events)
        started += 1
    assert started == min(capacity, wanted)


def test_a_job_start_without_permanent_or_temporary_is_a_missing_field() -> None:
    state = domain.fold_match(
        _offered(domain.fold_opening(_published(OpeningKind.job, 1)), uuid.uuid4(), None)
    )
    try:
        domain.start(
            state,
            uuid.uuid4(),
            starts_on=None,
            hours_per_week=None,
            permanent=None,
            participant=domain.Participant(),
            mentors=domain.MentorLoad(EMPLOYER, 0, 0),
        )
    except RuleViolation as refused:
        assert refused.code == "missing-field" and refused.status == 422
        assert refused.fields == ("permanent",)
    else:
        raise AssertionError("a job start without permanent was accepted")


def test_a_contact_recorded_in_clear_before_sealing_can_still_be_erased() -> None:
    registered = EmployerRegistered(
        employer_id=EMPLOYER,
        organisation_number="974760673",
        municipality_code="3301",
        mentor_capacity=1,
    )
    legacy = EmployerDetailsRecorded(
        employer_id=EMPLOYER, name="Fjordhotellet AS", contact=Contact(name="Kari Nordmann")
    )
    erased = domain.erase_contact(domain.fold_employer([registered, legacy]))
    assert [type(e).__name__ for e in erased] == ["EmployerContactErased"]
    assert domain.erase_contact(domain.fold_employer([registered, legacy, *erased])) == []
    assert domain.erase_contact(domain.fold_employer([registered])) == []
