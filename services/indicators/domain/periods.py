"""Reporting periods: a year (``2025``), a tertial (``2025-T1``), a quarter (``2025-Q2``),
a month (``2025-03``), a year to date (``2025-YTD``, ``2025-YTD-06``, ``2025-YTD-06-15``)
or the rolling 12 months ending at a month (``R12-2025-06``).

Pure: no clock, no I/O. A period is half-open, ``[start, end)``; ``last_day`` is the
last calendar day inside it.

Tertials are the Norwegian municipal reporting thirds (tertialrapport): T1 January–April,
T2 May–August, T3 September–December. A year to date runs from 1 January through a day
of that year: ``2025-YTD-06-15`` through 15 June, ``2025-YTD-06`` through 30 June, and
``2025-YTD`` *to date* — through the as-of day, resolved by :meth:`Period.to_date`
(``Period.parse(text, today=...)`` resolves at once). Every year to date is cut at the
day it is resolved against, so it never reaches past the as-of date.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from shared.dates import add_months as add_months

FIRST_YEAR = 1990
LAST_YEAR = 2100
TERTIAL_MONTHS = 4
"""A tertial is a third of the year: four months."""
ROLLING_MONTHS = 12
"""A rolling period covers the twelve months ending at its month."""

_YEAR = re.compile(r"^(\d{4})$")
_QUARTER = re.compile(r"^(\d{4})-[Qq](\d{1,2})$")
_TERTIAL = re.compile(r"^(\d{4})-[Tt](\d{1,2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_YTD = re.compile(r"^(\d{4})-(?:YTD|ytd|Ytd)(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")
_ROLLING = re.compile(r"^[Rr]12-(\d{4})-(\d{1,2})$")


class Granularity(StrEnum):
    """What an indicator is measured per (a definition's granularity)."""

    year = "year"
    quarter = "quarter"
    month = "month"


class Span(StrEnum):
    """Report periods beside the granularities: no indicator is measured per one, but any
    indicator can be computed for one (without thresholds)."""

    tertial = "tertial"
    year_to_date = "year_to_date"
    rolling_12_months = "rolling_12_months"


Kind = Granularity | Span
"""What a period is: a granularity or a report span."""


FORMS = (
    "a year (2025), a tertial (2025-T1), a quarter (2025-Q2), a month (2025-03), "
    "a year to date (2025-YTD, 2025-YTD-06 or 2025-YTD-06-15) or rolling 12 months "
    "ending at a month (R12-2025-06)"
)
"""Every text form, as an error message lists them."""

_LIMIT = {
    Granularity.year: 1,
    Granularity.quarter: 4,
    Span.tertial: 3,
    Granularity.month: 12,
    Span.rolling_12_months: 12,
}
_MONTHS = {Granularity.quarter: 3, Span.tertial: TERTIAL_MONTHS, Granularity.month: 1}
TO_DATE = 0
"""The index of a year to date not yet resolved against an as-of day (``2025-YTD``)."""


class PeriodError(ValueError):
    """Text that names no existing period (``2025-Q5``, ``2025-13``, ``twenty``)."""


@dataclass(frozen=True)
class Period:
    granularity: Kind
    year: int
    index: int = 1
    """1 for a year, 1–3 for a tertial, 1–4 for a quarter, 1–12 for a month, the month
    it ends at (1–12) for rolling 12 months, and for a year to date the day of the year
    it runs through (1–366), or :data:`TO_DATE` while not resolved (the whole year)."""
    start: date = field(init=False, repr=False, compare=False)
    """The first day of the period."""
    end: date = field(init=False, repr=False, compare=False)
    """The first day after the period."""
    last_day: date = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not FIRST_YEAR <= self.year <= LAST_YEAR:
            raise PeriodError(f"year {self.year} is outside {FIRST_YEAR}–{LAST_YEAR}")
        if self.granularity is Span.year_to_date:
            days = 366 if calendar.isleap(self.year) else 365
            if not TO_DATE <= self.index <= days:
                raise PeriodError(f"day {self.index} of {self.year} does not exist (1–{days})")
        elif not 1 <= self.index <= _LIMIT[self.granularity]:
            what = {
                "quarter": "quarter",
                "tertial": "tertial",
                "month": "month",
                "rolling_12_months": "month",
                "year": "year index",
            }
            raise PeriodError(
                f"{what[self.granularity]} {self.index} does not exist "
                f"(1–{_LIMIT[self.granularity]})"
            )
        # Computed once: rules ask a period for its ends hundreds of thousands of times.
        object.__setattr__(self, "start", self._start())
        object.__setattr__(self, "end", self._end())
        object.__setattr__(self, "last_day", self.end - timedelta(days=1))

    @classmethod
    def parse(cls, text: str, today: date | None = None) -> Period:
        """Any form of :data:`FORMS` to its period; else PeriodError.

        With ``today`` a year to date is resolved against it (:meth:`to_date`); without,
        ``2025-YTD`` stays unresolved until its as-of day is known.
        """
        raw = text.strip()
        if match := _YEAR.match(raw):
            return cls(Granularity.year, int(match[1]))
        if match := _QUARTER.match(raw):
            return cls(Granularity.quarter, int(match[1]), int(match[2]))
        if match := _TERTIAL.match(raw):
            return cls(Span.tertial, int(match[1]), int(match[2]))
        if match := _MONTH.match(raw):
            return cls(Granularity.month, int(match[1]), int(match[2]))
        if match := _ROLLING.match(raw):
            return cls(Span.rolling_12_months, int(match[1]), int(match[2]))
        if match := _YTD.match(raw):
            period = cls._year_to_date(int(match[1]), match[2], match[3])
            return period if today is None else period.to_date(today)
        raise PeriodError(f"{text!r} is not a period; write {FORMS}")

    @classmethod
    def _year_to_date(cls, year: int, month: str | None, day: str | None) -> Period:
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise PeriodError(f"year {year} is outside {FIRST_YEAR}–{LAST_YEAR}")
        if month is None:
            return cls(Span.year_to_date, year, TO_DATE)
        if not 1 <= int(month) <= 12:
            raise PeriodError(f"month {int(month)} does not exist (1–12)")
        last = calendar.monthrange(year, int(month))[1]
        through = last if day is None else int(day)
        if not 1 <= through <= last:
            raise PeriodError(f"day {through} of {year}-{int(month):02d} does not exist (1–{last})")
        return cls.through(date(year, int(month), through))

    @classmethod
    def year_of(cls, year: int) -> Period:
        return cls(Granularity.year, year)

    @classmethod
    def through(cls, day: date) -> Period:
        """The year to date from 1 January through ``day``."""
        return cls(Span.year_to_date, day.year, day.timetuple().tm_yday)

    @classmethod
    def containing(cls, day: date, granularity: Kind) -> Period:
        """The period of ``granularity`` the day lies in (a year to date or rolling 12
        months: the one ending on that day or at its month)."""
        if granularity is Granularity.year:
            return cls(granularity, day.year)
        if granularity is Span.year_to_date:
            return cls.through(day)
        if granularity in (Granularity.month, Span.rolling_12_months):
            return cls(granularity, day.year, day.month)
        return cls(granularity, day.year, (day.month - 1) // _MONTHS[granularity] + 1)

    @property
    def resolved(self) -> bool:
        """False only for a year to date whose as-of day is not applied yet."""
        return not (self.granularity is Span.year_to_date and self.index == TO_DATE)

    def to_date(self, today: date) -> Period:
        """A year to date cut at ``today`` (the as-of day); other periods unchanged.

        An unresolved ``2025-YTD`` runs through ``today`` in 2025 and through 31 December
        for an earlier year; a year to date reaching past ``today`` ends on ``today``. A
        year that has not begun by ``today`` has no year to date (PeriodError).
        """
        if self.granularity is not Span.year_to_date:
            return self
        if today.year < self.year:
            raise PeriodError(f"{self.year} has not begun on {today.isoformat()}: no year to date")
        if self.resolved and self.last_day <= today:
            return self
        return Period.through(min(today, date(self.year, 12, 31)))

    def same_period_last_year(self) -> Period:
        """The same period one year earlier (a year to date: through the same date, 28
        February for 29 February; unresolved stays unresolved)."""
        if self.granularity is not Span.year_to_date or not self.resolved:
            return Period(self.granularity, self.year - 1, self.index)
        day = self.last_day
        last = calendar.monthrange(day.year - 1, day.month)[1]
        return Period.through(date(day.year - 1, day.month, min(day.day, last)))

    def _start(self) -> date:
        if self.granularity in (Granularity.year, Span.year_to_date):
            return date(self.year, 1, 1)
        if self.granularity is Span.rolling_12_months:
            return add_months(date(self.year, self.index, 1), 1 - ROLLING_MONTHS)
        if self.granularity is Granularity.month:
            return date(self.year, self.index, 1)
        return date(self.year, _MONTHS[self.granularity] * (self.index - 1) + 1, 1)

    def _end(self) -> date:
        if self.granularity is Granularity.year or not self.resolved:
            return date(self.year + 1, 1, 1)
        if self.granularity is Span.year_to_date:
            return date(self.year, 1, 1) + timedelta(days=self.index)
        if self.granularity is Span.rolling_12_months:
            return add_months(date(self.year, self.index, 1), 1)
        return add_months(self._start(), _MONTHS[self.granularity])

    def contains(self, day: date | None) -> bool:
        return day is not None and self.start <= day < self.end

    def month_ends(self) -> list[date]:
        """The last day of every month in the period, in order (a year to date ending
        inside a month: that month's end is left out, it has not come)."""
        ends = []
        month = self.start
        while month < self.end:
            last = date(month.year, month.month, _days_in(month))
            if last < self.end:
                ends.append(last)
            month = add_months(month, 1)
        return ends

    def periods_within(self, granularity: Kind) -> list[Period]:
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
        if self.granularity is Span.tertial:
            return f"{self.year}-T{self.index}"
        if self.granularity is Span.rolling_12_months:
            return f"R12-{self.year}-{self.index:02d}"
        if self.granularity is Span.year_to_date:
            if not self.resolved:
                return f"{self.year}-YTD"
            return f"{self.year}-YTD-{self.last_day.month:02d}-{self.last_day.day:02d}"
        return f"{self.year}-{self.index:02d}"


def _days_in(day: date) -> int:
    return calendar.monthrange(day.year, day.month)[1]
