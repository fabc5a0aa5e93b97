"""The Act's pure decisions (hypothesis): a granted decision always rests on what the
category and age give on its day, and a refused command returns no events."""

from __future__ import annotations

import uuid
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from services.participants import events as ev
from services.participants.domain import act, contract
from services.participants.domain.state import Participant, fold
from shared.events import Event
from shared.rules import RuleViolation
from tests.unit.participant_events import registered_and_settled

PID = uuid.UUID(int=11)
TABLES = act.rule_tables()
TODAY = date(2026, 12, 1)
BASES = ["il-8-1", "il-8-3", "il-26-1", "il-26-3", "il-26-7", "il-kap6a"]


def participant(born: date, category: ev.ActCategory, mapped: bool) -> Participant:
    events: list[Event] = [
        *registered_and_settled(PID, date(2024, 1, 10), birth_year=born.year),
        ev.CategoryRecorded(participant_id=PID, category=category, valid_from=date(2023, 12, 1)),
    ]
    if mapped:
        events.append(ev.CompetenceMapped(participant_id=PID, mapped_on=date(2024, 1, 20)))
    return fold(events, born)


@settings(max_examples=200)
@given(
    st.dates(min_value=date(1940, 1, 1), max_value=date(2015, 1, 1)),
    st.sampled_from(list(ev.ActCategory)),
    st.booleans(),
    st.sampled_from(list(ev.Scheme)),
    st.sampled_from(BASES),
    st.booleans(),
    st.dates(min_value=date(2024, 1, 10), max_value=date(2026, 6, 1)),
)
def test_a_granted_decision_rests_on_the_right_of_its_day(
    born: date,
    category: ev.ActCategory,
    mapped: bool,
    scheme: ev.Scheme,
    basis: str,
    granted: bool,
    decided_on: date,
) -> None:
    state = participant(born, category, mapped)
    try:
        events = contract.decide_participation(
            state, uuid.uuid4(), scheme, decided_on, basis, granted, None, TODAY, TABLES
        )
    except RuleViolation as refusal:
        assert refusal.status in (409, 422)
        return
    [decided] = events
    assert isinstance(decided, ev.ParticipationDecided)
    assert decided.category == category
    found = act.legal_basis(TABLES, basis, decided_on)
    assert found is not None and scheme.value in found["schemes"]
    if granted:
        right = act.rights_on(state.act, state, decided_on, TABLES).right(scheme)
        assert right.status != "none"
        if found["grants"] in ("right", "duty"):
            assert right.legal_basis == basis
        if scheme == ev.Scheme.introduction_programme and basis != "il-kap6a":
            assert mapped
        if basis == "il-8-1":
            assert decided_on < date(2026, 1, 10)


def test_a_minor_is_not_offered_the_programme() -> None:
    state = participant(date(2010, 5, 1), ev.ActCategory.refugee, mapped=True)
    right = act.rights_on(state.act, state, date(2024, 2, 1), TABLES).right(
        ev.Scheme.introduction_programme
    )
    assert (right.status, right.reason) == ("none", "below_age")
    try:
        contract.decide_participation(
            state,
            uuid.uuid4(),
            ev.Scheme.introduction_programme,
            date(2024, 2, 1),
            "il-8-3",
            True,
            None,
            TODAY,
            TABLES,
        )
    except RuleViolation as refusal:
        assert refusal.code == "decision-without-right"
    else:
        raise AssertionError("a 13-year-old was offered the programme")
