"""Dates in the housing timelines: facts not ahead of today, order, whole months and years."""

from __future__ import annotations

from datetime import date

from shared import dates
from shared.dates import EARLIEST, LATEST, check_window, not_in_future
from shared.rules import DATE_ORDER, DATE_OUT_OF_RANGE


def happened(field: str, value: date, today: date, what: str) -> None:
    """Housing records facts once they happened; a plan is not recorded as a fact."""
    not_in_future(field, value, today, what)


def not_before(field: str, value: date, earlier_field: str, earlier: date, what: str) -> None:
    if value < earlier:
        raise DATE_ORDER.violation(
            f"{field} {value.isoformat()} is before {what} ({earlier_field} "
            f"{earlier.isoformat()}).",
            field,
            **{field: value, earlier_field: earlier},
        )


def add_years(day: date, years: int, field: str = "date") -> date:
    """``day`` plus whole years (29 February → 28 February), inside the plausible window."""
    target = day.year + years
    if not EARLIEST.year <= target <= LATEST.year:
        raise DATE_OUT_OF_RANGE.violation(
            f"{field} {day.isoformat()} plus {years} years leaves the calendar window.",
            field,
            **{field: day},
        )
    try:
        result = day.replace(year=target)
    except ValueError:
        result = day.replace(year=target, day=28)
    return check_window(field, result)


def add_months(day: date, months: int) -> date:
    """``day`` plus whole months, clamped to the end of a shorter month."""
    year = day.year + (day.month - 1 + months) // 12
    if not EARLIEST.year <= year <= LATEST.year:
        raise DATE_OUT_OF_RANGE.violation(
            f"{day.isoformat()} plus {months} months leaves the calendar window.", "date"
        )
    return dates.add_months(day, months)
