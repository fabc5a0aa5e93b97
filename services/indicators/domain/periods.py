"""Reporting periods: a year (``2025``), a quarter (``2025-Q2``) or a month (``2025-03``).

Pure: no clock, no I/O. A period is half-open, ``[start, end)``; ``last_day`` is the
last calendar day inside it.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

FIRST_YEAR = 1990
LAST_YEAR = 2100

_YEAR = re.compile(r"^(\d{4})$")
_QUARTER = re.compile(r"^(\d{4})-[Qq](\d{1,2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


class Granularity(StrEnum):
    year = "year"
    quarter = "quarter"
    month = "month"


class PeriodError(ValueError):
    """Text that names no existing period (``2025-Q5``, ``2025-13``, ``twenty``)."""


@dataclass(frozen=True)
class Period:
    granularity: Granularity
    year: int
    index: int = 1
    """1 for a year, 1–4 for a quarter, 1–12 for a month."""
    start: date = field(init=False, repr=False, compare=False)
    """The first day of the period."""
    end: date = field(init=False, repr=False, compare=False)
    """The first day after the period."""
    last_day: date = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not FIRST_YEAR <= self.year <= LAST_YEAR:
            raise PeriodError(f"year {self.year} is outside {FIRST_YEAR}–{LAST_YEAR}")
        limit = {Granularity.year: 1, Granularity.quarter: 4, Granularity.month: 12}
        if not 1 <= self.index <= limit[self.granularity]:
            what = {"quarter": "quarter", "month": "month", "year": "year index"}
            raise PeriodError(
                f"{what[self.granularity]} {self.index} does not exist "
                f"(1–{limit[self.granularity]})"
            )
        # Computed once: rules ask a period for its ends hundreds of thousands of times.
        object.__setattr__(self, "start", self._start())
        object.__setattr__(self, "end", self._end())
        object.__setattr__(self, "last_day", self.end - timedelta(days=1))

    @classmethod
    def parse(cls, text: str) -> Period:
        """``2025`` → year, ``2025-Q2`` → quarter, ``2025-03`` → month; else PeriodError."""
        raw = text.strip()
        if match := _YEAR.match(raw):
            return cls(Granularity.year, int(match[1]))
        if match := _QUARTER.match(raw):
            return cls(Granularity.quarter, int(match[1]), int(match[2]))
        if match := _MONTH.match(raw):
            return cls(Granularity.month, int(match[1]), int(match[2]))
        raise PeriodError(
            f"{text!r} is not a period; write a year (2025), a quarter (2025-Q2) "
            "or a month (2025-03)"
        )

    @classmethod
    def year_of(cls, year: int) -> Period:
        return cls(Granularity.year, year)

    @classmethod
    def containing(cls, day: date, granularity: Granularity) -> Period:
        if granularity is Granularity.year:
            return cls(granularity, day.year)
        if granularity is Granularity.quarter:
            return cls(granularity, day.year, (day.month - 1) // 3 + 1)
        return cls(granularity, day.year, day.month)

    def _start(self) -> date:
        if self.granularity is Granularity.year:
            return date(self.year, 1, 1)
        if self.granularity is Granularity.quarter:
            return date(self.year, 3 * (self.index - 1) + 1, 1)
        return date(self.year, self.index, 1)

    def _end(self) -> date:
        if self.granularity is Granularity.year:
            return date(self.year + 1, 1, 1)
        months = 3 if self.granularity is Granularity.quarter else 1
        return add_months(self._start(), months)

    def contains(self, day: date | None) -> bool:
        return day is not None and self.start <= day < self.end

    def month_ends(self) -> list[date]:
        """The last day of every month in the period, in order."""
        ends = []
        month = self.start
        while month < self.end:
            ends.append(date(month.year, month.month, _days_in(month)))
            month = add_months(month, 1)
        return ends

    def periods_within(self, granularity: Granularity) -> list[Period]:
        """The periods of ``granularity`` that start inside this period."""
        found = []
        day = self.start
        while day < self.end:
            period = Period.containing(day, granularity)
            if period.start >= self.start:
                found.append(period)
            day = period.end
        return found

    def sort_key(self) -> tuple[date, int]:
        return (self.start, -(self.end - self.start).days)

    def __str__(self) -> str:
        if self.granularity is Granularity.year:
            return f"{self.year}"
        if self.granularity is Granularity.quarter:
            return f"{self.year}-Q{self.index}"
        return f"{self.year}-{self.index:02d}"


def _days_in(day: date) -> int:
    return calendar.monthrange(day.year, day.month)[1]


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later; the 31st becomes the month's last day if needed."""
    total = day.year * 12 + (day.month - 1) + months
    year, month = divmod(total, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
