"""Deadline arithmetic: month addition, days left, NIR's registration windows."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.participants.domain import nir
from services.participants.domain.deadlines import add_months, days_left

DAYS = st.dates(min_value=date(2021, 1, 1), max_value=date(2150, 12, 31))


@given(DAYS, st.integers(min_value=0, max_value=120))
def test_months_later_is_never_earlier_and_lands_in_the_right_month(day: date, months: int) -> None:
    later = add_months(day, months)
    assert later >= day
    assert (later.year * 12 + later.month) - (day.year * 12 + day.month) == months
    last = calendar.monthrange(later.year, later.month)[1]
    assert later.day == min(day.day, last)


def test_three_months_after_the_end_of_november_is_the_end_of_february() -> None:
    assert add_months(date(2025, 11, 30), 3) == date(2026, 2, 28)
    assert add_months(date(2027, 11, 30), 3) == date(2028, 2, 29)
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)


@given(DAYS, DAYS)
def test_days_left_counts_to_the_due_day_and_is_negative_once_overdue(
    due: date, today: date
) -> None:
    left = days_left(due, today)
    assert today + timedelta(days=left) == due
    assert (left < 0) == (today > due)
    assert days_left(due, due) == 0


@given(st.integers(min_value=2000, max_value=2150))
def test_late_registration_ends_on_the_last_day_of_february_the_year_after(year: int) -> None:
    until = nir.late_registration_until(year)
    assert until.year == year + 1 and until.month == 2
    assert until.day == calendar.monthrange(year + 1, 2)[1]


@given(DAYS)
def test_a_fact_is_registered_within_two_months_of_the_day(day: date) -> None:
    due = nir.registration_due(day)
    assert due >= day and due == add_months(day, 2)
