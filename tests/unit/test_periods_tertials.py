"""Tertials, years to date, rolling 12 months and trends: pure period arithmetic."""

from __future__ import annotations

import itertools
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.indicators.domain.periods import (
    FIRST_YEAR,
    LAST_YEAR,
    Granularity,
    Period,
    PeriodError,
    Span,
    add_months,
)
from services.indicators.domain.thresholds import Direction
from services.indicators.domain.trends import Assessment, Trend, change, series_periods

years = st.integers(FIRST_YEAR + 1, LAST_YEAR - 1)
days = st.dates(date(FIRST_YEAR + 1, 1, 1), date(LAST_YEAR - 1, 12, 31))


def months_of(period: Period) -> list[tuple[int, int]]:
    """Every (year, month) a period touches."""
    found = []
    day = period.start
    while day < period.end:
        found.append((day.year, day.month))
        day = add_months(date(day.year, day.month, 1), 1)
    return found


@given(years, st.integers(1, 3))
def test_a_tertial_covers_exactly_its_four_months(year: int, index: int) -> None:
    tertial = Period(Span.tertial, year, index)
    assert months_of(tertial) == [(year, 4 * (index - 1) + m) for m in range(1, 5)]
    assert tertial.start.day == 1 and tertial.end.day == 1
    assert len(tertial.month_ends()) == 4
    assert Period.parse(str(tertial)) == tertial


@given(years)
def test_the_three_tertials_are_the_year_without_overlap(year: int) -> None:
    thirds = Period.year_of(year).periods_within(Span.tertial)
    assert [p.index for p in thirds] == [1, 2, 3]
    assert thirds[0].start == date(year, 1, 1)
    assert thirds[-1].end == date(year + 1, 1, 1)
    for before, after in itertools.pairwise(thirds):
        assert before.end == after.start
    assert (
        sum((p.end - p.start).days for p in thirds)
        == (Period.year_of(year).end - Period.year_of(year).start).days
    )


@given(days)
def test_every_day_lies_in_exactly_one_tertial(day: date) -> None:
    thirds = Period.year_of(day.year).periods_within(Span.tertial)
    assert [p.contains(day) for p in thirds].count(True) == 1
    assert Period.containing(day, Span.tertial).contains(day)


@given(years, st.integers(1, 12))
def test_rolling_12_months_are_the_twelve_months_ending_at_the_month(year: int, m: int) -> None:
    rolling = Period(Span.rolling_12_months, year, m)
    touched = months_of(rolling)
    assert len(touched) == 12
    assert touched[-1] == (year, m)
    assert rolling.end == add_months(date(year, m, 1), 1)
    assert len(rolling.month_ends()) == 12
    assert Period.parse(str(rolling)) == rolling
    assert str(rolling) == f"R12-{year}-{m:02d}"


@given(days, days)
def test_a_year_to_date_never_extends_past_the_as_of_date(through: date, as_of: date) -> None:
    if through.year > as_of.year:
        with pytest.raises(PeriodError):
            Period.parse(f"{through.year}-YTD", today=as_of)
        return
    for text in (
        f"{through.year}-YTD",
        f"{through.year}-YTD-{through.month:02d}",
        f"{through.year}-YTD-{through.month:02d}-{through.day:02d}",
    ):
        ytd = Period.parse(text, today=as_of)
        assert ytd.start == date(through.year, 1, 1)
        assert ytd.last_day <= as_of
        assert ytd.end.year in (through.year, through.year + 1)
        assert ytd.resolved
        assert Period.parse(str(ytd)) == ytd
    assert Period.parse(f"{through.year}-YTD", today=as_of).last_day == min(
        as_of, date(through.year, 12, 31)
    )


@given(days)
def test_same_period_last_year_is_one_year_back(day: date) -> None:
    for granularity in [*Granularity, *Span]:
        period = Period.containing(day, granularity)
        before = period.same_period_last_year()
        assert before.granularity is granularity
        assert before.year == period.year - 1
        assert (period.start - before.start).days in (365, 366)
        if granularity is not Span.year_to_date:
            assert before.index == period.index


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2025-T1", date(2025, 1, 1), date(2025, 5, 1)),
        ("2025-t2", date(2025, 5, 1), date(2025, 9, 1)),
        ("2025-T3", date(2025, 9, 1), date(2026, 1, 1)),
        ("R12-2025-06", date(2024, 7, 1), date(2025, 7, 1)),
        ("R12-2025-12", date(2025, 1, 1), date(2026, 1, 1)),
        ("2024-YTD-02", date(2024, 1, 1), date(2024, 3, 1)),
        ("2025-YTD-06-15", date(2025, 1, 1), date(2025, 6, 16)),
    ],
)
def test_new_forms_parse(text: str, start: date, end: date) -> None:
    period = Period.parse(text)
    assert (period.start, period.end) == (start, end)
    assert Period.parse(str(period)) == period


def test_an_unresolved_year_to_date_waits_for_its_as_of_day() -> None:
    ytd = Period.parse("2025-YTD")
    assert not ytd.resolved and str(ytd) == "2025-YTD"
    assert ytd.to_date(date(2025, 3, 10)) == Period.parse("2025-YTD-03-10")
    assert ytd.to_date(date(2026, 3, 10)) == Period.parse("2025-YTD-12-31")
    assert Period.parse("2025-YTD-06").to_date(date(2025, 3, 10)).last_day == date(2025, 3, 10)
    # A year to date through 29 February compares with 28 February a year earlier.
    assert Period.parse("2024-YTD-02-29").same_period_last_year() == Period.parse("2023-YTD-02-28")
    assert Period.parse("2025-Q2").to_date(date(2025, 3, 10)) == Period.parse("2025-Q2")


@pytest.mark.parametrize(
    "text",
    [
        "2025-T0",
        "2025-T4",
        "R12-2025-13",
        "R12-2025-00",
        "2025-YTD-13",
        "2025-YTD-02-30",
        "R6-2025-06",
    ],
)
def test_new_forms_that_do_not_exist(text: str) -> None:
    with pytest.raises(PeriodError):
        Period.parse(text)


def test_trend_uses_the_published_values_and_the_direction() -> None:
    t1 = Period.parse("2025-T1")
    up = change(t1, 54.04, 50.0, Direction.higher_is_better, 1)
    assert (up.trend, up.assessment, up.change, up.up_is_good) == (
        Trend.up,
        Assessment.better,
        4.0,
        True,
    )
    assert up.previous_period == Period.parse("2024-T1")
    assert up.change_percent == 8.1
    worse = change(t1, 54.0, 50.0, Direction.lower_is_better, 1)
    assert (worse.trend, worse.assessment) == (Trend.up, Assessment.worse)
    flat = change(t1, 50.04, 50.0, Direction.higher_is_better, 1)
    assert (flat.trend, flat.assessment, flat.change) == (Trend.flat, Assessment.unchanged, 0.0)
    none = change(t1, 50.0, None, Direction.higher_is_better, 1)
    assert (none.trend, none.change, none.assessment) == (None, None, None)
    assert change(t1, 3.0, 0.0, Direction.higher_is_better, 0).change_percent is None


def test_series_periods_pick_the_same_period_of_every_year() -> None:
    on = date(2025, 6, 15)
    assert [str(p) for p in series_periods("T1", Granularity.year, 2022, 2025, on)] == [
        "2022-T1",
        "2023-T1",
        "2024-T1",
        "2025-T1",
    ]
    # Not begun on the as-of date: left out.
    assert [str(p) for p in series_periods("T3", Granularity.year, 2024, 2025, on)] == ["2024-T3"]
    assert [str(p) for p in series_periods("YTD", Granularity.year, 2024, 2025, on)] == [
        "2024-YTD-06-15",
        "2025-YTD-06-15",
    ]
    assert [str(p) for p in series_periods("YTD-09", Granularity.year, 2025, 2025, on)] == [
        "2025-YTD-06-15"
    ]
    assert [str(p) for p in series_periods("R12-03", Granularity.year, 2025, 2025, on)] == [
        "R12-2025-03"
    ]
    assert len(series_periods(None, Granularity.quarter, 2024, 2025, on)) == 6
    for bad in ("T4", "week", "13", "R12-13"):
        with pytest.raises(PeriodError):
            series_periods(bad, Granularity.year, 2024, 2025, on)
