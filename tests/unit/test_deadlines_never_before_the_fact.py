"""A deadline never falls before the fact it runs from, whatever the participant's facts."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from services.participants import domain
from services.participants import events as ev
from services.participants.domain import deadlines
from shared.events import Event
from tests.unit.participant_events import programme_started, registered_and_settled

START = date(2021, 1, 1)


@st.composite
def journeys(draw: st.DrawFn) -> tuple[list[Event], date]:
    pid = uuid.uuid4()
    settled = draw(st.dates(min_value=START, max_value=date(2030, 12, 31)))
    events = registered_and_settled(pid, settled, arrival=ev.ArrivalCategory.other)
    category = draw(st.sampled_from([None, *ev.ActCategory]))
    if category is not None:
        events.append(
            ev.CategoryRecorded(participant_id=pid, category=category, valid_from=settled)
        )
    if draw(st.booleans()):
        events.append(
            ev.CompetenceMapped(
                participant_id=pid,
                mapped_on=settled + timedelta(days=draw(st.integers(0, 400))),
                upper_secondary_completed=draw(st.booleans()),
            )
        )
    if draw(st.booleans()):
        starts = settled + timedelta(days=draw(st.integers(0, 400)))
        programme = uuid.uuid4()
        events.append(programme_started(pid, programme, starts))
        if draw(st.booleans()):
            events.append(
                ev.ProgrammeCompleted(
                    participant_id=pid,
                    programme_id=programme,
                    ended_on=starts + timedelta(days=draw(st.integers(0, 900))),
                    reason=ev.CompletionReason.completed,
                )
            )
    today = settled + timedelta(days=draw(st.integers(0, 2000)))
    return events, today


RULES = [
    deadlines.MunicipalRule("a", "settled_on", "programme_started", 1, "a"),
    deadlines.MunicipalRule("b", "programme_started", "plan_revised", 30, "b"),
    deadlines.MunicipalRule("c", "programme_ended", "end_reason", 3650, "c"),
]


@settings(max_examples=200, deadline=None)
@given(journeys())
def test_no_deadline_falls_before_the_fact_it_runs_from(journey: tuple[list[Event], date]) -> None:
    events, today = journey
    state = domain.fold(events)
    found = deadlines.act_deadlines(state, today) + deadlines.municipal_deadlines(
        state, today, RULES
    )
    for deadline in found:
        assert deadline.after_on <= today, deadline
        assert deadline.due_on >= deadline.after_on, deadline
        assert deadline.days_left(today) == (deadline.due_on - today).days
        if deadline.met_by is not None:
            assert deadlines.fact_on(state, deadline.met_by, today) is None, deadline
    codes = [d.code for d in found if d.kind == "act"]
    assert len(codes) == len(set(codes))
