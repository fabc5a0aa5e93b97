"""Dates that are real: a plausible window, safe day arithmetic, today in Norway.

Two layers keep impossible dates out. :data:`Day` bounds every date a request
carries to 1900-01-01 … 2199-12-31, so year 0 or 9999 is a 422 from validation before
any code adds days to it. The domains then check their own timelines with
:func:`not_in_future` and :func:`add_days`, which turn an overflow into a rule
violation instead of a 500.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field

from shared.events import utcnow
from shared.rules import DATE_OUT_OF_RANGE, FUTURE_FACT

EARLIEST = date(1900, 1, 1)
"""No fact about a living programme participant is older than this."""
LATEST = date(2199, 12, 31)
"""Plans reach decades ahead at most; anything later is a typing error."""

Day = Annotated[
    date,
    Field(
        ge=EARLIEST,
        le=LATEST,
        description="ISO date (YYYY-MM-DD) between 1900-01-01 and 2199-12-31.",
    ),
]
"""A request's date: validation refuses dates outside the plausible window (422)."""


def today() -> date:
    """Today in Norway, where the users work: after midnight in Oslo it is tomorrow."""
    try:
        return utcnow().astimezone(ZoneInfo("Europe/Oslo")).date()
    except ZoneInfoNotFoundError:
        return utcnow().date()


def in_window(value: date) -> bool:
    return EARLIEST <= value <= LATEST


def check_window(field: str, value: date) -> date:
    """``value`` if it lies in the plausible window, else a ``date-out-of-range`` violation."""
    if not in_window(value):
        raise DATE_OUT_OF_RANGE.violation(
            f"{field} {value.isoformat()} lies outside {EARLIEST.isoformat()} … "
            f"{LATEST.isoformat()}.",
            field,
            **{field: value},
        )
    return value


def not_in_future(field: str, value: date, today: date, what: str = "This fact") -> date:
    """Refuse a fact dated after ``today`` (``future-fact``), and outside the window."""
    check_window(field, value)
    if value > today:
        raise FUTURE_FACT.violation(
            f"{what} is dated {value.isoformat()} ({field}), after today "
            f"{today.isoformat()}; record it when it has happened.",
            field,
            **{field: value, "today": today},
        )
    return value


def add_days(field: str, day: date, days: int) -> date:
    """``day`` plus ``days``, as a ``date-out-of-range`` violation if it leaves the window."""
    try:
        result = day + timedelta(days=days)
    except OverflowError:
        result = None
    if result is None or not in_window(result):
        raise DATE_OUT_OF_RANGE.violation(
            f"{field} {day.isoformat()} plus {days} days leaves the calendar window "
            f"{EARLIEST.isoformat()} … {LATEST.isoformat()}.",
            field,
            **{field: day},
        )
    return result


def add_months(day: date, months: int) -> date:
    """``day`` ``months`` later (or earlier), on the month's last day when it has no such
    day (31 January + 1 month = 28/29 February). Pure calendar arithmetic: callers that
    must stay inside the date window check it themselves."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def age_on(born: date, day: date) -> int:
    """Whole years from ``born`` to ``day`` (a birthday counts on the day itself)."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))
