"""Periods and dates in the rules: a period counts only its own facts, none before its date,
and no contradicting facts reach a value as a negative duration."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.indicators.domain.facts import Placement, Snapshot
from services.indicators.domain.invariants import check_children_within, check_goal_within_parent
from services.indicators.domain.periods import Granularity, Period
from services.indicators.domain.rules import RULES, Context
from shared.rules import RuleViolation

START = date(2014, 1, 1)
days = st.integers(min_value=0, max_value=6 * 365).map(lambda n: START + timedelta(days=n))
years = st.integers(min_value=2014, max_value=2019)


@settings(max_examples=200, deadline=None)
@given(days, days, years, st.sampled_from(list(Granularity)), st.integers(1, 12))
def test_a_fact_counts_only_in_its_period_and_from_its_date(
    day: date, known_on: date, year: int, granularity: Granularity, index: int
) -> None:
    limit = {Granularity.year: 1, Granularity.quarter: 4, Granularity.month: 12}[granularity]
    period = Period(granularity, year, (index - 1) % limit + 1)
    counts = Context(period, known_on).counts(day)
    assert counts == (period.start <= day < period.end and day <= known_on)


@st.composite
def settlements(draw: st.DrawFn) -> Snapshot:
    snapshot = Snapshot("3301")
    for _ in range(draw(st.integers(min_value=0, max_value=30))):
        person = snapshot.person(uuid.uuid4())
        person.birth_year = 1990
        person.settled_on = draw(days)
        person.arrival_category = "resettlement_refugee"
        if draw(st.booleans()):
            programme = person.programme(uuid.uuid4())
            programme.kind = "introduction"
            programme.starts_on = draw(days)
        household = snapshot.household(uuid.uuid4())
        household.members.append(person.participant_id)
        household.settled_on = person.settled_on
        person.household_id = household.household_id
        for _ in range(draw(st.integers(min_value=0, max_value=2))):
            starts = draw(days)
            ends = draw(st.none() | days)
            placement = Placement(uuid.uuid4(), household.household_id, None, None, starts, ends)
            household.placements[placement.placement_id] = placement
    return snapshot


@settings(max_examples=100, deadline=None)
@given(settlements(), years, days)
def test_quarters_and_months_add_up_to_their_year_and_never_count_the_future(
    snapshot: Snapshot, year: int, known_on: date
) -> None:
    rule = RULES["persons_settled"]
    whole = rule.compute(snapshot, Context(Period.year_of(year), known_on), {})
    for granularity in (Granularity.quarter, Granularity.month):
        parts = [
            rule.compute(snapshot, Context(p, known_on), {})
            for p in Period.year_of(year).periods_within(granularity)
        ]
        assert sum(p.value or 0 for p in parts) == whole.value
    counted = {m.key for m in whole.members if m.in_numerator}
    for person in snapshot.persons.values():
        assert person.settled_on is not None
        expected = person.settled_on.year == year and person.settled_on <= known_on
        assert (person.participant_id in counted) == expected


@settings(max_examples=100, deadline=None)
@given(settlements(), years, days)
def test_contradicting_dates_never_become_negative_durations(
    snapshot: Snapshot, year: int, known_on: date
) -> None:
    context = Context(Period.year_of(year), known_on)
    start = RULES["settlement_to_programme_start"].compute(snapshot, context, {})
    assert start.value is None or start.value >= 0
    assert all(m.amount is None or m.amount >= 0 for m in start.members)
    left = RULES["left_municipal_housing_within"].compute(snapshot, context, {})
    assert all(m.amount is None or m.amount >= 0 for m in left.members if m.in_numerator)
    for result in (start, left):
        flagged = sum(result.data_quality.values())
        assert flagged == sum(m.reason_code in result.data_quality for m in result.members)
        assert not any(
            m.in_denominator for m in result.members if m.reason_code in result.data_quality
        )


@settings(max_examples=200, deadline=None)
@given(years, years, years, years)
def test_a_goal_lies_within_its_parent(
    low: int, high: int, parent_low: int, parent_high: int
) -> None:
    low, high = min(low, high), max(low, high)
    parent_low, parent_high = min(parent_low, parent_high), max(parent_low, parent_high)
    inside = parent_low <= low and high <= parent_high
    try:
        check_goal_within_parent("child", low, high, "parent", (parent_low, parent_high))
    except RuleViolation as refused:
        assert not inside
        assert refused.code == "goal-outside-parent" and refused.status == 422
    else:
        assert inside
    try:
        check_children_within("parent", parent_low, parent_high, [("child", low, high)])
    except RuleViolation as refused:
        assert not inside
        assert refused.code == "goal-outside-parent"
    else:
        assert inside


def test_the_rule_names_the_fields_outside() -> None:
    with pytest.raises(RuleViolation) as refused:
        check_goal_within_parent("vp", 2014, 2019, "op", (2015, 2018))
    assert refused.value.fields == ("from_year", "to_year")
    assert refused.value.facts["parent_from_year"] == 2015
