"""The as-of moment of a question: "what did we know on 1 March?".

``as_of`` is a date (meaning the end of that day in Norway, Europe/Oslo) or a date-time
with a time zone (without one it is read as Norwegian time). Left out, it is now.
A moment in the future is refused: nobody knew anything then yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

NORWAY = ZoneInfo("Europe/Oslo")


class AsOfError(ValueError):
    pass


@dataclass(frozen=True)
class AsOf:
    moment: datetime | None
    """Only facts their source recorded at or before this; None: everything so far."""
    known_on: date
    """The as-of date in Norway: things dated after it have not happened yet."""

    @property
    def label(self) -> str:
        return "now" if self.moment is None else self.moment.isoformat()


def parse_as_of(raw: str | None, now: datetime) -> AsOf:
    today = now.astimezone(NORWAY).date()
    if raw is None or not raw.strip():
        return AsOf(None, today)
    text = raw.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            moment = datetime.combine(day + timedelta(days=1), time(0), NORWAY) - timedelta(
                microseconds=1
            )
        else:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=NORWAY)
    except ValueError as exc:
        raise AsOfError(
            f"{raw!r} is not a date (2025-03-01) or a date-time with zone "
            "(2025-03-01T12:00:00+01:00)"
        ) from exc
    known_on = moment.astimezone(NORWAY).date()
    if known_on > today or (len(text) != 10 and moment > now):
        raise AsOfError(f"as_of {text} is in the future; nothing was known then yet")
    return AsOf(moment, known_on)
