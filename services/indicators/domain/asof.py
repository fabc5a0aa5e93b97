"""The as-of moment of a question: "what did we know on 1 March?".

``as_of`` is a date (meaning the end of that day in Norway, Europe/Oslo) or a date-time
with a time zone (without one it is read as Norwegian time). Left out, it is now.
A moment in the future is refused with ``future-fact`` (nobody knew anything then yet),
and a date outside the kit's plausible window with ``date-out-of-range``.

Today is never complete: facts dated today may still be recorded, so an answer that
reaches into today says ``complete: false`` (:attr:`AsOf.complete_through`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from shared.dates import check_window
from shared.rules import DATE_OUT_OF_RANGE, FUTURE_FACT

NORWAY = ZoneInfo("Europe/Oslo")


class AsOfError(ValueError):
    pass


@dataclass(frozen=True)
class AsOf:
    moment: datetime | None
    """Only facts their source recorded at or before this; None: everything so far."""
    known_on: date
    """The as-of date in Norway: things dated after it have not happened yet."""
    complete_through: date | None = None
    """The last day whose facts are all in: the as-of date for a past date, the day
    before for a moment within a day, and never today. None: the day before
    ``known_on``."""

    @property
    def label(self) -> str:
        return "now" if self.moment is None else self.moment.isoformat()

    @property
    def last_complete_day(self) -> date:
        if self.complete_through is not None:
            return self.complete_through
        return self.known_on - timedelta(days=1)


def parse_as_of(raw: str | None, now: datetime) -> AsOf:
    today = now.astimezone(NORWAY).date()
    yesterday = today - timedelta(days=1)
    if raw is None or not raw.strip():
        return AsOf(None, today, yesterday)
    text = raw.strip()
    whole_day = len(text) == 10
    try:
        if whole_day:
            day = check_window("as_of", date.fromisoformat(text))
            if day > today:
                raise _future(text, today)
            moment = datetime.combine(day + timedelta(days=1), time(0), NORWAY) - timedelta(
                microseconds=1
            )
        else:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=NORWAY)
            check_window("as_of", moment.date())
        known_on = moment.astimezone(NORWAY).date()
    except OverflowError as exc:
        raise DATE_OUT_OF_RANGE.violation(
            f"as_of {text} lies outside the calendar window.", "as_of", as_of=text
        ) from exc
    except ValueError as exc:
        raise AsOfError(
            f"{raw!r} is not a date (2025-03-01) or a date-time with zone "
            "(2025-03-01T12:00:00+01:00)"
        ) from exc
    if known_on > today or (not whole_day and moment > now):
        raise _future(text, today)
    complete = known_on if whole_day else known_on - timedelta(days=1)
    return AsOf(moment, known_on, min(complete, yesterday))


def _future(text: str, today: date) -> Exception:
    return FUTURE_FACT.violation(
        f"as_of {text} is in the future (today is {today.isoformat()}); nothing was known "
        "then yet.",
        "as_of",
        as_of=text,
        today=today,
    )
