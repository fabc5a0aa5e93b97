"""A hand-built cohort in Drammen (3301) whose every indicator value for 2016 is known.

Each block says which indicator it feeds and what it should give; the expected values
are worked out by hand in tests/indicators/test_cohort.py. People are named by role:
P* settled in 2016 (the settlement cohort), Q* settled in 2014 with programmes ending
in 2016 and households whose 27-month window closes in 2016, R* with programmes ending
in 2015 and a follow-up status for November 2016, S* running programmes.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date

import httpx

from services.indicators.app import create_app
from services.indicators.seed import seed_drammen
from shared.service import Runtime
from shared.settings import Settings
from tests.indicators.feeder import EventFeeder, Housing, Matching, Participants
from tests.support import running


def ids(*names: str) -> dict[str, uuid.UUID]:
    return {name: uuid.uuid4() for name in names}


@dataclass
class Cohort:
    people: dict[str, uuid.UUID] = field(default_factory=dict)
    programmes: dict[str, uuid.UUID] = field(default_factory=dict)
    households: dict[str, uuid.UUID] = field(default_factory=dict)
    placements: dict[str, uuid.UUID] = field(default_factory=dict)


async def build(feeder: EventFeeder) -> Cohort:
    p, h, m = Participants(feeder), Housing(feeder), Matching(feeder)
    c = Cohort()
    c.people = ids(
        *(f"P{i}" for i in range(1, 11)),
        *(f"Q{i}" for i in range(1, 11)),
        *(f"R{i}" for i in range(1, 6)),
        *(f"S{i}" for i in range(1, 4)),
        "X1",
    )
    P = c.people

    # -- the 2016 settlement cohort (persons settled, time to start, time to first job) --
    births = {"P1": 1986, "P2": 1990, "P3": 1970, "P4": 1995, "P5": 1960, "P6": 2000,
              "P7": 2000, "P8": 1980, "P9": 1980, "P10": 1985}  # fmt: skip
    settled = {
        "P1": date(2016, 1, 10),
        "P2": date(2016, 3, 1),
        "P3": date(2016, 5, 15),
        "P4": date(2016, 9, 1),
        "P5": date(2016, 4, 1),
        "P6": date(2016, 6, 1),
        "P7": date(2016, 7, 1),
        "P8": date(2015, 12, 31),
        "P9": date(2016, 11, 20),
        "P10": date(2016, 12, 1),
    }
    for name, born in births.items():
        await p.registered(
            P[name], born, "female" if int(name[1:]) % 2 else "male", on=settled[name]
        )
        await p.settled(P[name], settled[name], minor=name == "P7")
    await p.registered(P["X1"], 1990, "male", on=date(2016, 2, 1), m="0301")
    await p.settled(P["X1"], date(2016, 2, 1), m="0301")

    c.programmes = ids("P1", "P2", "P3", "P10", *(f"C{i}" for i in range(1, 11)),
                       *(f"D{i}" for i in range(1, 6)), "S1", "S2", "S3")  # fmt: skip
    G = c.programmes
    await p.started(P["P1"], G["P1"], date(2016, 2, 9))
    await p.started(P["P2"], G["P2"], date(2016, 6, 30))
    await p.started(P["P3"], G["P3"], date(2016, 6, 14))
    await p.started(P["P10"], G["P10"], date(2017, 1, 16))
    await p.moved_out(P["P4"], date(2016, 10, 15))
    await m.job(P["P1"], date(2016, 8, 7))
    await m.job(P["P3"], date(2017, 5, 15))
    await m.job(P["P9"], date(2016, 11, 10))  # before settlement: not a first job

    # -- plans of the programmes running on 2016-12-31 (full-time share, 2016-Q4) --
    await p.plan(P["P1"], G["P1"], 1, date(2016, 2, 9), 30)
    await p.plan(P["P1"], G["P1"], 2, date(2016, 9, 1), 37.5)
    await p.plan(P["P2"], G["P2"], 1, date(2016, 6, 30), 37.5)
    await p.plan(P["P2"], G["P2"], 2, date(2017, 1, 15), 20)
    await p.plan(P["P3"], G["P3"], 1, date(2016, 6, 14), 25)
    for name, started_on in (("S1", date(2015, 8, 1)), ("S2", date(2015, 9, 1)),
                             ("S3", date(2015, 10, 1))):  # fmt: skip
        await p.registered(P[name], 1985, "female", on=date(2015, 7, 1))
        await p.settled(P[name], date(2015, 7, 1))
        await p.started(P[name], G[name], started_on)
    await p.plan(P["S1"], G["S1"], 1, date(2015, 8, 1), 37.5)
    await p.interrupted(P["S1"], G["S1"], date(2016, 11, 1), "leave")
    await p.moved_out(P["S3"], date(2016, 10, 1))

    # -- Q: settled 2014 in households; programmes ending in 2016 (exit outcomes) --
    c.households = ids(*(f"HH{i}" for i in range(1, 8)), "E1", "E2", "O2", "O3", "O4",
                       *(f"W{i}" for i in range(1, 5)))  # fmt: skip
    HH = c.households
    q_settled = {
        "Q1": date(2014, 1, 15),
        "Q2": date(2014, 3, 1),
        "Q3": date(2014, 5, 1),
        "Q4": date(2014, 6, 1),
        "Q5": date(2014, 7, 1),
        "Q6": date(2014, 8, 1),
        "Q7": date(2014, 2, 1),
        "Q8": date(2014, 9, 1),
        "Q9": date(2014, 9, 15),
        "Q10": date(2014, 10, 1),
    }
    for name, on in q_settled.items():
        household = HH.get(f"HH{name[1:]}")
        await p.registered(P[name], 1980, "male", on=on)
        await p.settled(P[name], on, household=household, size=3 if household else None)
    exits = {
        "C1": ("Q1", date(2016, 3, 1), "work_full_time", "completed", "introduction"),
        "C2": ("Q2", date(2016, 4, 1), "education_higher", "completed", "introduction"),
        "C3": ("Q3", date(2016, 5, 1), "work_part_time", "completed", "introduction"),
        "C4": ("Q4", date(2016, 6, 1), "nav_measure", "completed", "introduction"),
        "C5": ("Q5", date(2016, 7, 1), "moved_municipality", "completed", "introduction"),
        "C6": ("Q6", date(2016, 8, 1), "other", "interrupted", "introduction"),
        "C7": ("Q7", date(2016, 9, 1), None, "completed", "introduction"),
        "C8": ("Q8", date(2016, 10, 1), "work_and_education", "completed", "introduction"),
        "C9": ("Q9", date(2016, 11, 1), "work_full_time", "completed", "qualification"),
        "C10": ("Q10", date(2015, 12, 31), "work_full_time", "completed", "introduction"),
    }
    for programme, (person, ended, outcome, reason, kind) in exits.items():
        await p.started(P[person], G[programme], date(2014, 11, 1), kind)
        await p.completed(P[person], G[programme], ended, outcome, reason)

    # -- R: programmes that ended in 2015; SSB status for November 2016 --
    for i in range(1, 6):
        await p.registered(P[f"R{i}"], 1975, "female", on=date(2013, 5, 1))
        await p.settled(P[f"R{i}"], date(2013, 5, 1))
        await p.started(P[f"R{i}"], G[f"D{i}"], date(2013, 6, 1))
        await p.completed(P[f"R{i}"], G[f"D{i}"], date(2015, 6, 1), "other")
    await p.follow_up(
        P["R1"], G["D1"], 2016, "employed", preliminary=False, recorded=date(2017, 2, 1)
    )
    await p.follow_up(
        P["R2"], G["D2"], 2016, "education", preliminary=True, recorded=date(2016, 9, 15)
    )
    await p.follow_up(P["R2"], G["D2"], 2016, "unemployed_or_nav_measure", preliminary=False,
                      recorded=date(2017, 2, 1))  # fmt: skip
    await p.follow_up(P["R3"], G["D3"], 2016, "employed_and_education", preliminary=True,
                      recorded=date(2016, 9, 15))  # fmt: skip
    await p.follow_up(
        P["R4"], G["D4"], 2016, "other_unknown", preliminary=False, recorded=date(2016, 9, 15)
    )

    # -- Norwegian tests in 2016 (oral at A2 or above) --
    await p.test(P["P1"], "oral", "A1", date(2016, 3, 1))
    await p.test(P["P1"], "oral", "A2", date(2016, 9, 1))
    await p.test(P["P2"], "oral", "A1", date(2016, 10, 1))
    await p.test(P["P3"], "oral", "B1", date(2016, 11, 1))
    await p.test(P["P4"], "oral", "below_A1", date(2016, 9, 20))
    await p.test(P["P5"], "written", "B2", date(2016, 6, 1))
    await p.test(P["Q1"], "oral", "A2", date(2015, 6, 1))
    await p.profile(P["P1"], "upper_secondary", "A1", on=date(2016, 1, 20))

    # -- housing: the 27-month households (settled via Q1–Q7) --
    c.placements = ids(*(f"PL{i}" for i in range(1, 8)), "PLE1", "PLE2", "PLW1", "PLW4")
    PL = c.placements
    await h.placed(PL["PL1"], HH["HH1"], date(2014, 2, 1))
    await h.placement_ended(PL["PL1"], HH["HH1"], date(2015, 6, 30), "private_rental")
    await h.placed(PL["PL2"], HH["HH2"], date(2014, 3, 10))
    await h.placed(PL["PL3"], HH["HH3"], date(2014, 5, 10))
    await h.became_owner(HH["HH3"], date(2016, 3, 1), "rent_to_own")
    await h.placed(PL["PL4"], HH["HH4"], date(2014, 6, 5))
    await h.evicted(PL["PL4"], HH["HH4"], date(2015, 9, 1))
    await h.placement_ended(PL["PL4"], HH["HH4"], date(2015, 9, 1), "eviction")
    await h.placed(PL["PL5"], HH["HH5"], date(2014, 7, 5))
    await h.placement_ended(PL["PL5"], HH["HH5"], date(2015, 1, 1), "moved_municipality")
    await h.placed(PL["PL7"], HH["HH7"], date(2014, 2, 10))
    await h.placement_ended(PL["PL7"], HH["HH7"], date(2016, 7, 1), "private_rental")

    # -- evictions and owners in 2016 --
    await h.placed(PL["PLE1"], HH["E1"], date(2015, 1, 1))
    await h.evicted(PL["PLE1"], HH["E1"], date(2016, 4, 1))
    await h.placed(PL["PLE2"], HH["E2"], date(2015, 1, 1))
    await h.evicted(PL["PLE2"], HH["E2"], date(2016, 10, 10))
    await h.became_owner(HH["O2"], date(2016, 6, 1), "start_loan")
    await h.became_owner(HH["O3"], date(2016, 12, 31), "start_loan")
    await h.became_owner(HH["O4"], date(2017, 1, 1), "rent_to_own")

    # -- the waiting list in early 2016 --
    apps = ids("A1", "A2", "A3", "A4")
    await h.applied(apps["A1"], HH["W1"], date(2016, 1, 10))
    await h.decided(apps["A1"], HH["W1"], "accepted", date(2016, 1, 20))
    await h.placed(PL["PLW1"], HH["W1"], date(2016, 4, 15), apps["A1"])
    await h.applied(apps["A2"], HH["W2"], date(2016, 2, 5))
    await h.decided(apps["A2"], HH["W2"], "rejected", date(2016, 3, 10))
    await h.applied(apps["A3"], HH["W3"], date(2016, 3, 31))
    await h.decided(apps["A3"], HH["W3"], "withdrawn", date(2016, 5, 2))
    await h.applied(apps["A4"], HH["W4"], date(2015, 12, 1))
    await h.placed(PL["PLW4"], HH["W4"], date(2016, 1, 31), apps["A4"])

    # -- practice placements ending in 2016 --
    for name, person, ends, outcome in (
        ("PR1", "P1", date(2016, 5, 1), "turned_into_job"),
        ("PR2", "P2", date(2016, 8, 1), "completed"),
        ("PR3", "P3", date(2016, 9, 1), "broke_off"),
        ("PR4", "Q1", date(2016, 2, 1), "turned_into_job"),
        ("PR5", "Q2", date(2017, 1, 10), "turned_into_job"),
    ):
        c.placements[name] = uuid.uuid4()
        await m.practice(c.placements[name], P[person], date(2016, 1, 1), ends, outcome)
    return c


async def in_drammen(runtime: Runtime, feeder: EventFeeder) -> Cohort:
    """The Drammen example plan seeded for 3301 and the cohort built, its facts applied."""
    await seed_drammen(runtime, "3301")
    built = await build(feeder)
    await feeder.wait_applied()
    return built


async def homeless_in_2016(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    """Enter the manual figure the homeless indicator has for 2016: 70."""
    put = await client.put(
        "/indicators/definitions/homeless/values/2016", json={"value": 70}, headers=headers
    )
    assert put.status_code == 200, put.text


@asynccontextmanager
async def running_in_drammen(
    settings: Settings,
) -> AsyncIterator[tuple[httpx.AsyncClient, EventFeeder, Cohort]]:
    """The indicators service running (its evaluator idle for an hour) with the cohort
    :func:`in_drammen`: a client of it, the feeder and the cohort."""
    app = create_app(settings, evaluation_interval=3600)
    async with running(app) as client, EventFeeder(settings) as feeder:
        yield client, feeder, await in_drammen(app.state.runtime, feeder)
