"""Periods and as-of moments: what exists, what is refused."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.indicators.domain.asof import AsOfError, parse_as_of
from services.indicators.domain.periods import Granularity, Period, PeriodError, add_months
from shared.rules import RuleViolation


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2025", date(2025, 1, 1), date(2026, 1, 1)),
        ("2025-Q2", date(2025, 4, 1), date(2025, 7, 1)),
        ("2025-q4", date(2025, 10, 1), date(2026, 1, 1)),
        ("2024-02", date(2024, 2, 1), date(2024, 3, 1)),
        ("2025-12", date(2025, 12, 1), date(2026, 1, 1)),
    ],
)
def test_periods_parse(text: str, start: date, end: date) -> None:
    period = Period.parse(text)
    assert (period.start, period.end) == (start, end)
    assert Period.parse(str(period)) == period


@pytest.mark.parametrize(
    "text", ["2025-Q5", "2025-Q0", "2025-13", "2025-00", "25", "twenty", "1989", "2025-W01"]
)
def test_periods_that_do_not_exist(text: str) -> None:
    with pytest.raises(PeriodError):
        Period.parse(text)


def test_month_ends_and_sub_periods() -> None:
    assert Period.parse("2016-Q1").month_ends() == [
        date(2016, 1, 31),
        date(2016, 2, 29),
        date(2016, 3, 31),
    ]
    assert [str(p) for p in Period.parse("2016").periods_within(Granularity.quarter)] == [
        "2016-Q1",
        "2016-Q2",
        "2016-Q3",
        "2016-Q4",
    ]
    assert add_months(date(2016, 1, 31), 1) == date(2016, 2, 29)
    assert add_months(date(2014, 5, 1), 27) == date(2016, 8, 1)


NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def test_as_of_a_date_is_the_end_of_that_norwegian_day() -> None:
    as_of = parse_as_of("2026-03-01", NOW)
    assert as_of.known_on == date(2026, 3, 1)
    assert as_of.moment is not None
    assert as_of.moment.astimezone(UTC) == datetime(2026, 3, 1, 22, 59, 59, 999999, tzinfo=UTC)
    assert parse_as_of(None, NOW).moment is None


@pytest.mark.parametrize("text", ["2026-03-03", "2026-03-02T12:00:00+00:00", "2099-01-01"])
def test_as_of_in_the_future_is_refused(text: str) -> None:
    with pytest.raises(RuleViolation, match="future") as refused:
        parse_as_of(text, NOW)
    assert refused.value.code == "future-fact"
    assert refused.value.fields == ("as_of",)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("9999-12-31", "date-out-of-range"),
        ("9999-12-31T23:59:59+00:00", "date-out-of-range"),
        ("1899-12-31", "date-out-of-range"),
        ("0001-01-01T00:00:00+00:00", "date-out-of-range"),
        ("2200-01-01T00:00:00", "date-out-of-range"),
    ],
)
def test_as_of_outside_the_plausible_window_is_refused(text: str, code: str) -> None:
    with pytest.raises(RuleViolation) as refused:
        parse_as_of(text, NOW)
    assert refused.value.code == code


def test_as_of_today_is_allowed_and_garbage_is_refused() -> None:
    assert parse_as_of("2026-03-02", NOW).known_on == date(2026, 3, 2)
    with pytest.raises(AsOfError, match="not a date"):
        parse_as_of("yesterday", NOW)
    with pytest.raises(AsOfError):
        parse_as_of("0000-01-01", NOW)


def test_today_is_never_complete() -> None:
    assert parse_as_of(None, NOW).last_complete_day == date(2026, 3, 1)
    assert parse_as_of("2026-03-02", NOW).last_complete_day == date(2026, 3, 1)
    assert parse_as_of("2026-03-01", NOW).last_complete_day == date(2026, 3, 1)
    assert parse_as_of("2026-03-01T12:00:00+01:00", NOW).last_complete_day == date(2026, 2, 28)
