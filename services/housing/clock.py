"""The service's notion of today: the date in Norway, where its users work."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.events import utcnow


def today() -> date:
    """Today in Norway: an officer's "today" must not count as the future after midnight."""
    try:
        return utcnow().astimezone(ZoneInfo("Europe/Oslo")).date()
    except ZoneInfoNotFoundError:
        return utcnow().date()
