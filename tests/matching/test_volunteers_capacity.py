"""Properties of a volunteer's capacity: assignments accepted one after another never
put more on a day than the capacity, and a refusal always means a day would be over it."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from services.matching.domain.needs import Need, assign
from services.matching.domain.volunteers import (
    Interval,
    Volunteer,
    evolve_volunteer,
    fold_volunteer,
    peak_load,
    register_volunteer,
)
from services.matching.events import (
    VolunteerApproved,
    VolunteerAssigned,
    VolunteerAssignmentEnded,
    VolunteerRole,
)
from shared.rules import RuleViolation

START = date(2025, 1, 1)


def _volunteer(capacity: int) -> Volunteer:
    volunteer_id = uuid.uuid4()
    events = register_volunteer(
        volunteer_id,
        roles=[VolunteerRole.guide],
        languages=["ar"],
        municipality_code="3301",
        capacity=capacity,
        consented_on=START,
        skills=[],
        areas=[],
        slots=[],
        available_from=START,
        available_until=None,
        sealed="x",
    )
    return fold_volunteer(
        [*events, VolunteerApproved(volunteer_id=volunteer_id, approved_on=START)]
    )


NEED = Need(
    need_id=uuid.uuid4(),
    role=VolunteerRole.guide,
    language="ar",
    municipality_code="3301",
    area=None,
    slots=frozenset(),
    starts_on=START,
    ends_on=None,
    involves_minors=False,
    preferred_gender=None,
    skills=frozenset(),
)

attempts = st.lists(
    st.tuples(
        st.integers(0, 60),
        st.one_of(st.none(), st.integers(0, 30)),
        st.one_of(st.none(), st.integers(0, 30)),
    ),
    max_size=25,
)


def _load_on(intervals: list[Interval], day: date) -> int:
    return sum(
        1 for i in intervals if i.starts_on <= day and (i.ends_on is None or day <= i.ends_on)
    )


@settings(max_examples=300, deadline=None)
@given(capacity=st.integers(1, 4), tries=attempts)
def test_accepted_assignments_never_exceed_capacity_on_any_day(
    capacity: int, tries: list[tuple[int, int | None, int | None]]
) -> None:
    volunteer = _volunteer(capacity)
    for offset, length, ended_after in tries:
        starts_on = START + timedelta(days=offset)
        ends_on = None if length is None else starts_on + timedelta(days=length)
        held = [a.interval for a in volunteer.assignments.values()]
        before = peak_load(held, Interval(starts_on, ends_on))
        try:
            events = assign(
                volunteer, NEED, assignment_id=uuid.uuid4(), starts_on=starts_on, ends_on=ends_on
            )
        except RuleViolation as refused:
            assert refused.code == "volunteer-capacity"
            assert before >= capacity
            continue
        assert before < capacity
        for event in events:
            volunteer = evolve_volunteer(volunteer, event)
        if ended_after is not None:
            [new] = events
            assert isinstance(new, VolunteerAssigned)
            volunteer = evolve_volunteer(
                volunteer,
                VolunteerAssignmentEnded(
                    volunteer_id=new.volunteer_id,
                    assignment_id=new.assignment_id,
                    ended_on=starts_on + timedelta(days=ended_after),
                ),
            )
        intervals = [a.interval for a in volunteer.assignments.values()]
        for day in range(0, 100):
            assert _load_on(intervals, START + timedelta(days=day)) <= capacity


@given(
    held=st.lists(
        st.tuples(st.integers(0, 40), st.one_of(st.none(), st.integers(0, 20))), max_size=12
    ),
    wanted=st.tuples(st.integers(0, 40), st.one_of(st.none(), st.integers(0, 20))),
)
def test_peak_load_is_the_most_on_any_day_of_the_wanted_interval(
    held: list[tuple[int, int | None]], wanted: tuple[int, int | None]
) -> None:
    def interval(offset: int, length: int | None) -> Interval:
        starts_on = START + timedelta(days=offset)
        return Interval(starts_on, None if length is None else starts_on + timedelta(days=length))

    intervals = [interval(*h) for h in held]
    window = interval(*wanted)
    last = window.ends_on or START + timedelta(days=80)
    days = [window.starts_on + timedelta(days=d) for d in range((last - window.starts_on).days + 1)]
    assert peak_load(intervals, window) == max(_load_on(intervals, d) for d in days)
