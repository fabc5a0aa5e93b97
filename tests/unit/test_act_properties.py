"""Properties of the person under the Integration Act (hypothesis): category periods
never overlap whatever order the changes arrive in, and rights and duties follow from
category and age on every day, as the dated tables say."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from services.participants import events as ev
from services.participants.domain import act
from services.participants.domain.act import ActRecord
from services.participants.domain.state import Participant

PID = uuid.UUID(int=7)
TABLES = act.rule_tables()
days = st.dates(min_value=date(2019, 1, 1), max_value=date(2030, 12, 31))
categories = st.sampled_from(list(ev.ActCategory))
changes = st.lists(st.tuples(categories, days), min_size=0, max_size=8)


def fold(recorded: list[tuple[ev.ActCategory, date]]) -> ActRecord:
    record = ActRecord()
    for category, valid_from in recorded:
        record = act.apply(
            record,
            ev.CategoryRecorded(participant_id=PID, category=category, valid_from=valid_from),
        )
    return record


@given(changes, days)
def test_category_periods_never_overlap_and_cover_every_day_from_the_first(
    recorded: list[tuple[ev.ActCategory, date]], day: date
) -> None:
    record = fold(recorded)
    periods = record.categories
    for earlier, later in pairwise(periods):
        assert earlier.valid_to is not None
        assert earlier.valid_from <= earlier.valid_to < later.valid_from
        assert earlier.valid_to + timedelta(days=1) == later.valid_from
    if periods:
        assert periods[-1].valid_to is None
        covering = [p for p in periods if p.covers(day)]
        assert len(covering) == (1 if day >= periods[0].valid_from else 0)
        # The latest change recorded for a start day is the one kept.
        last_for = {valid_from: category for category, valid_from in recorded}
        assert {p.valid_from: p.category for p in periods} == last_for


def _expected_status(
    category: ev.ActCategory, scheme: ev.Scheme, at_permit: int, age: int, day: date
) -> str:
    """An oracle written from the Act, independently of the tables' layout."""
    if day < date(2021, 1, 1):
        return "none"
    if category == ev.ActCategory.ukraine_temporary and day < date(2022, 6, 15):
        return "none"
    if scheme == ev.Scheme.introduction_programme:
        if at_permit < 18:
            return "none"
        if category == ev.ActCategory.other or at_permit > 55:
            return "may_offer"  # § 8 tredje ledd
        return "right" if category == ev.ActCategory.ukraine_temporary else "right_and_duty"
    if at_permit < 18 or at_permit > 67 or age >= 67:
        return "may_offer"  # § 26 sjuende ledd
    if category == ev.ActCategory.other:
        return "duty"
    return "right" if category == ev.ActCategory.ukraine_temporary else "right_and_duty"


@settings(max_examples=300)
@given(
    changes,
    st.dates(min_value=date(1940, 1, 1), max_value=date(2015, 12, 31)),
    days,
)
def test_rights_follow_from_category_and_age_on_every_day(
    recorded: list[tuple[ev.ActCategory, date]], born: date, day: date
) -> None:
    record = fold(recorded)
    participant = Participant(participant_id=PID, birth_year=born.year, birth_date=born)
    rights = act.rights_on(record, participant, day, TABLES)
    period = record.category_on(day)
    assert rights.category == period
    assert rights.age == act.age_on(born, day)
    assert {r.scheme for r in rights.rights} == set(ev.Scheme)
    for right in rights.rights:
        assert right.status in act.RIGHT_STATUSES
        if period is None:
            assert (right.status, right.reason) == ("none", "no_category")
            continue
        at_permit = act.age_on(born, act.permit_day(period))
        assert rights.age_at_permit == at_permit
        expected = _expected_status(
            period.category, right.scheme, at_permit, act.age_on(born, day), day
        )
        assert right.status == expected, (period, right, at_permit)
        if right.status in ("right_and_duty", "right", "duty"):
            assert right.legal_basis is not None
            assert act.legal_basis(TABLES, right.legal_basis, day) is not None
        if right.scheme == ev.Scheme.introduction_programme and right.status == "right_and_duty":
            assert right.hours == 37.5 * 47


@given(days, st.sampled_from([None, *ev.EndGoal]), st.booleans(), categories)
def test_the_allowed_length_is_never_shorter_than_its_normal_length(
    starts_on: date, end_goal: ev.EndGoal | None, upper_secondary: bool, category: ev.ActCategory
) -> None:
    record = ActRecord(upper_secondary_completed=upper_secondary)
    record = act.apply(
        record,
        ev.CategoryRecorded(participant_id=PID, category=category, valid_from=date(2019, 1, 1)),
    )
    limit = act.length_limit(record, starts_on, end_goal, TABLES)
    if starts_on < date(2021, 1, 1):
        assert limit is None
        return
    assert limit is not None
    assert starts_on < limit.normal_end(starts_on) <= limit.latest_end(starts_on)
    # Without an end goal the check allows the most any later plan could.
    if not upper_secondary and limit.group != "ukraine_temporary":
        assert end_goal is not None or limit.group.endswith("goal_upper_secondary")
    act.check_programme_length(
        record, starts_on, limit.latest_end(starts_on), end_goal, TABLES, "planned_end"
    )


@given(
    st.lists(
        st.tuples(st.floats(0, 40), st.integers(0, 400), st.one_of(st.none(), st.integers(0, 400))),
        max_size=5,
    ),
    days,
)
def test_full_time_per_year_never_exceeds_full_time_per_week_for_open_plans(
    raw: list[tuple[float, int, int | None]], valid_from: date
) -> None:
    activities = tuple(
        ev.PlannedActivity(
            kind=ev.ActivityKind.other,
            hours_per_week=hours,
            starts_on=valid_from + timedelta(days=start),
            ends_on=None if end is None else valid_from + timedelta(days=start + end),
        )
        for hours, start, end in raw
    )
    check = act.full_time_check(activities, valid_from, None, TABLES)
    assert check.required_per_week == 37.5 and check.weeks_per_year == 47
    assert check.required_per_year == 37.5 * 47
    if all(a.starts_on == valid_from and a.ends_on is None for a in activities):
        # Activities all year long: the year is full time exactly when the week is.
        assert check.full_time_year == check.full_time_week
    assert check.full_time == (check.full_time_week and check.full_time_year)
