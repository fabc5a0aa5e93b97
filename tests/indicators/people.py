"""Synthetic people for the small-number tests: people settled in a year, and programme
leavers whose outcome an indicator counts (or not)."""

from __future__ import annotations

import uuid
from datetime import date

from tests.indicators.feeder import Participants


async def settle(p: Participants, m: str, year: int, count: int) -> None:
    """``count`` people (born 1990) settled in ``m`` in ``year``, spread over the year."""
    for i in range(count):
        person = uuid.uuid4()
        on = date(year, 2 + i % 10, 1 + i)
        await p.registered(person, 1990, "male", on=on, m=m)
        await p.settled(person, on, m=m)


async def programme_leaver(p: Participants, m: str, outcome: str, i: int) -> None:
    """The ``i``-th of a cohort settled in ``m`` in 2014, whose introduction programme
    (June 2014 – June 2016) ended with ``outcome``."""
    person, programme = uuid.uuid4(), uuid.uuid4()
    on = date(2014, 1 + i % 12, 1 + i % 28)
    await p.registered(person, 1985, "female", on=on, m=m)
    await p.settled(person, on, m=m)
    await p.started(person, programme, date(2014, 6, 1), m=m)
    await p.completed(person, programme, date(2016, 6, 1), outcome, m=m)


async def programme_leavers(p: Participants, m: str, outcomes: list[str]) -> None:
    """One programme leaver per outcome."""
    for i, outcome in enumerate(outcomes):
        await programme_leaver(p, m, outcome, i)
