"""Unaccompanied minors' four outcomes, reproduced through the running stack.

A seeded Drammen-like cohort of 35 unaccompanied minors settled in 2019 is recorded over
the participants service's HTTP API (phases, bedsit tenancies, outcomes); the events
reach the indicators service over NATS, and its built-in indicators give the seed's
figures: about 12 months on average in the shared home, 8 of 35 dropped out of upper
secondary school, 80 % had contact with working life in their first year, 11 of 33 had
supplementary social assistance after turning 20 (the two youngest are not 20 yet).
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import httpx
from hypothesis import given
from hypothesis import strategies as st

from services.indicators.app import create_app as indicators_app
from services.indicators.domain.facts import build_snapshots
from services.indicators.domain.periods import Period
from services.indicators.domain.rules import RULES, Context
from services.participants.app import create_app as participants_app
from shared.dates import add_months
from shared.settings import Settings
from tests.support import auth, eventually, national_id, running, settled_participant

COHORT = 35
DROPPED_OUT = 8
WORKING_LIFE = 28
ASSISTED = 11
YOUNGEST = 2
"""Born 2007: not 20 in the as-of year, out of the assistance rule's base."""


def _stay_months(n: int) -> int:
    # Five each of 9..15 months: the mean is 12 calendar months.
    return 12 + (n % 7) - 3


async def _seed_minor(client: httpx.AsyncClient, headers: dict[str, str], n: int) -> str:
    born = date(2007, 3, 1 + n) if n < YOUNGEST else date(2002, 1, 1 + n % 28)
    settled_on = date(2019, 1 + n % 12, 1 + n % 27)
    pid = await settled_participant(
        client,
        headers,
        given_name=f"U{n}",
        family_name="Cohort",
        born=born,
        settled_on=settled_on.isoformat(),
        unaccompanied_minor=True,
    )
    shared_home = settled_on + timedelta(days=14)
    bedsit = add_months(shared_home, _stay_months(n))
    steps: list[tuple[str, dict[str, Any]]] = [
        ("phases", {"phase": "intake", "entered_on": settled_on.isoformat()}),
        ("phases", {"phase": "moving_in", "entered_on": (settled_on + timedelta(7)).isoformat()}),
        ("phases", {"phase": "shared_home", "entered_on": shared_home.isoformat()}),
        (
            "bedsit-contract",
            {
                "signed_on": (bedsit - timedelta(days=20)).isoformat(),
                "moves_in_on": bedsit.isoformat(),
            },
        ),
        ("phases", {"phase": "bedsit", "entered_on": bedsit.isoformat()}),
    ]
    if n < WORKING_LIFE:
        on = settled_on + timedelta(days=200)
        steps.append(("outcomes", {"outcome": "working_life_contact", "on": on.isoformat()}))
    else:
        # Contact only after the first year: not counted.
        on = settled_on + timedelta(days=400)
        steps.append(("outcomes", {"outcome": "working_life_contact", "on": on.isoformat()}))
    if YOUNGEST <= n < YOUNGEST + DROPPED_OUT:
        steps.append(("outcomes", {"outcome": "school_dropout", "on": "2021-06-20"}))
    if COHORT - ASSISTED <= n:
        steps.append(
            ("outcomes", {"outcome": "supplementary_social_assistance", "on": "2023-02-01"})
        )
    for path, body in steps:
        answer = await client.post(f"/participants/{pid}/minor/{path}", headers=headers, json=body)
        assert answer.status_code == 201, (path, answer.text)
    return pid


KEYS = {
    "minor_months_in_shared_home": None,
    "minor_school_dropout": 100 * DROPPED_OUT / COHORT,
    "minor_working_life_contact_first_year": 80.0,
    "minor_assistance_after_twenty": 100 * ASSISTED / (COHORT - YOUNGEST),
}


async def test_the_seeded_cohort_gives_the_seed_figures(settings: Settings) -> None:
    headers = auth(settings, ["caseworker", "manager"], "3301")
    async with (
        running(participants_app(settings)) as participants,
        running(indicators_app(settings)) as indicators,
    ):
        for key in KEYS:
            adopted = await indicators.post(
                "/indicators/definitions", json={"key": key, "from_catalogue": key}, headers=headers
            )
            assert adopted.status_code == 201, adopted.text
        # An adult settled the same year is not in the cohort.
        adult = await participants.post(
            "/participants",
            headers=headers,
            json={
                "given_name": "A",
                "family_name": "Adult",
                "birth_date": "1990-01-01",
                "national_id": national_id(date(1990, 1, 1), d_number=True),
            },
        )
        await participants.post(
            f"/participants/{adult.json()['id']}/settlement",
            headers=headers,
            json={"settled_on": "2019-05-01", "arrival_category": "resettlement_refugee"},
        )
        for n in range(COHORT):
            await _seed_minor(participants, headers, n)

        async def arrived() -> bool:
            value = await indicators.get(
                "/indicators/values/minor_assistance_after_twenty?period=2019", headers=headers
            )
            return bool(value.status_code == 200 and value.json()["numerator"] == ASSISTED)

        await eventually(arrived, timeout=60)
        values = {}
        for key in KEYS:
            got = await indicators.get(f"/indicators/values/{key}?period=2019", headers=headers)
            assert got.status_code == 200, got.text
            values[key] = got.json()
        months = values["minor_months_in_shared_home"]
        assert months["denominator"] == COHORT
        assert abs(months["value"] - 12.0) < 0.1 and months["value_shown"] == 12.0
        dropout = values["minor_school_dropout"]
        assert (dropout["numerator"], dropout["denominator"]) == (DROPPED_OUT, COHORT)
        contact = values["minor_working_life_contact_first_year"]
        assert (contact["numerator"], contact["denominator"]) == (WORKING_LIFE, COHORT)
        assert contact["value"] == 80.0
        aid = values["minor_assistance_after_twenty"]
        assert (aid["numerator"], aid["denominator"]) == (ASSISTED, COHORT - YOUNGEST)
        for key, expected in KEYS.items():
            if expected is not None:
                assert abs(values[key]["value"] - expected) < 1e-9

        drill = await indicators.get(
            "/indicators/values/minor_assistance_after_twenty/drilldown?period=2019",
            headers=headers,
        )
        codes = [m["reason_code"] for m in drill.json()["members"]]
        assert codes.count("minor_not_twenty_yet") == YOUNGEST
        assert codes.count("minor_assistance_after_twenty") == ASSISTED

        # As known before anyone moved to a bedsit, every stay is still open.
        early = await indicators.get(
            "/indicators/values/minor_months_in_shared_home?period=2019&as_of=2019-12-31",
            headers=headers,
        )
        assert early.status_code == 200, early.text


_DAY0 = date(2019, 1, 1)


@given(
    st.lists(
        st.tuples(st.integers(0, 364), st.integers(0, 900), st.booleans(), st.integers(0, 2000)),
        min_size=1,
        max_size=25,
    ),
    st.integers(0, 2500),
)
def test_months_in_shared_home_is_the_mean_of_the_stays_ended_by_the_as_of_date(
    stays: list[tuple[int, int, bool, int]], asked: int
) -> None:
    """For any cohort: the mean months equal the plain mean over the stays that ended
    (bedsit) by the as-of date, every youth is a member once, and open stays are out."""
    rows: dict[str, list[dict[str, Any]]] = {"settlements": [], "minor_facts": []}
    known_on = _DAY0 + timedelta(days=asked)
    expected: list[float] = []
    for settle, stay, _ in ((s, d, b) for s, d, b, _ in stays):
        pid = uuid.uuid4()
        settled_on = _DAY0 + timedelta(days=settle)
        rows["settlements"].append(
            {
                "municipality": "3301",
                "participant_id": pid,
                "settled_on": settled_on,
                "arrival_category": "resettlement_refugee",
                "household_id": None,
                "household_size": None,
                "unaccompanied_minor": True,
            }
        )
        entered = settled_on + timedelta(days=14)
        left = entered + timedelta(days=stay)
        for kind, on in (("shared_home", entered), ("bedsit", left)):
            rows["minor_facts"].append(
                {
                    "municipality": "3301",
                    "participant_id": pid,
                    "family": "phase",
                    "kind": kind,
                    "on_date": on,
                }
            )
        if settled_on <= known_on and left <= known_on:
            expected.append(stay / (365.25 / 12))
    snapshot = build_snapshots(rows).get("3301")
    assert snapshot is not None
    context = Context(Period.parse("2019"), known_on)
    result = RULES["minor_months_in_shared_home"].compute(snapshot, context, {})
    assert result.denominator == len(expected)
    if expected:
        assert result.value is not None and abs(result.value - sum(expected) / len(expected)) < 1e-9
    else:
        assert result.value is None
    cohort = sum(1 for s, *_ in stays if _DAY0 + timedelta(days=s) <= known_on)
    assert len(result.members) == cohort
