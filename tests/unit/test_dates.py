"""The plausible window and day arithmetic never end in an exception other than a rule."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from shared.dates import EARLIEST, LATEST, Day, add_days, not_in_future
from shared.rules import RuleViolation


class Body(BaseModel):
    on: Day


@pytest.mark.parametrize("raw", ["0001-01-01", "9999-12-31", "1899-12-31", "2200-01-01"])
def test_request_dates_outside_the_window_fail_validation(raw: str) -> None:
    with pytest.raises(ValidationError) as info:
        Body.model_validate({"on": raw})
    assert info.value.errors()[0]["loc"] == ("on",)


@settings(max_examples=300, deadline=None)
@given(st.dates(), st.integers(min_value=-(10**9), max_value=10**9))
def test_add_days_stays_in_the_window_or_refuses(day: date, days: int) -> None:
    try:
        result = add_days("on", day, days)
    except RuleViolation as exc:
        assert exc.code == "date-out-of-range"
        assert exc.fields == ("on",)
    else:
        assert EARLIEST <= result <= LATEST


@settings(max_examples=300, deadline=None)
@given(st.dates(), st.dates(min_value=EARLIEST, max_value=LATEST))
def test_a_fact_after_today_is_a_future_fact(value: date, today: date) -> None:
    try:
        assert not_in_future("on", value, today) == value
    except RuleViolation as exc:
        assert exc.code in {"future-fact", "date-out-of-range"}
        assert exc.code == "date-out-of-range" or value > today
    else:
        assert EARLIEST <= value <= today
