"""The housing school indicators through the running stack: a course, its sessions and
tenancy incidents recorded over the housing service's HTTP API reach the indicators service
over NATS, which gives the share of households with damage, a complaint or an eviction for
those that completed the course and for those that did not (worked out by hand below)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import httpx
from hypothesis import given
from hypothesis import strategies as st

from services.housing.app import create_app as housing_app
from services.indicators.app import create_app as indicators_app
from services.indicators.domain.facts import build_snapshots
from services.indicators.domain.periods import Period
from services.indicators.domain.rules import RULES, Context
from shared.settings import Settings
from tests.housing.helpers import accepted_application, dwelling, place, post, settled_households
from tests.indicators.approval import approve
from tests.support import auth, eventually, running

KEYS = ("housing_school_incidents_completed", "housing_school_incidents_not_completed")


async def _value(
    client: httpx.AsyncClient, headers: dict[str, str], key: str, period: str
) -> dict[str, Any]:
    got = await client.get(f"/indicators/values/{key}?period={period}", headers=headers)
    assert got.status_code == 200, got.text
    body: dict[str, Any] = got.json()
    return body


async def test_completers_and_the_others_get_their_own_share(settings: Settings) -> None:
    headers = auth(settings, ["housing_officer", "manager"], "3301")
    async with (
        running(housing_app(settings)) as housing,
        running(indicators_app(settings)) as indicators,
    ):
        for key in KEYS:
            adopted = await indicators.post(
                "/indicators/definitions", json={"key": key, "from_catalogue": key}, headers=headers
            )
            assert adopted.status_code == 201, adopted.text
        a, b, c, d, e, g = await settled_households(housing, settings, [2, 3, 1, 4, 2, 1])
        # g is settled but never placed in a municipal dwelling: in neither group.
        for household in (a, b, c, d, e):
            application = await accepted_application(housing, settings, household)
            home = await dwelling(housing, settings)
            placed = await place(
                housing, settings, application["application_id"], home["dwelling_id"], "2020-03-01"
            )
            if household == d:
                evicted_from = placed["placement_id"]
        course = await post(
            housing,
            "/housing/school/courses",
            headers,
            {"starts_on": "2020-04-01", "sessions": 3, "required_sessions": 2},
            201,
        )
        # Two of three sessions complete the course: a and b on 04-08, c on 04-15; e came once.
        for session, held_on, came in (
            (1, "2020-04-01", [a, b, c]),
            (2, "2020-04-08", [a, b]),
            (3, "2020-04-15", [c, e]),
        ):
            await post(
                housing,
                f"/housing/school/courses/{course['id']}/sessions",
                headers,
                {"session": session, "held_on": held_on, "attended": [str(h) for h in came]},
                200,
            )
        for household, kind, on in (
            (a, "complaint", "2020-06-01"),
            (a, "complaint", "2020-07-01"),  # a counts once
            (c, "damage", "2020-06-01"),
            (b, "damage", "2021-02-01"),  # after the period
            (d, "complaint", "2020-06-01"),
            (g, "damage", "2020-06-01"),  # not housed
        ):
            await post(
                housing,
                "/housing/school/incidents",
                headers,
                {"household_id": str(household), "kind": kind, "occurred_on": on},
                201,
            )
        await post(
            housing,
            f"/housing/placements/{evicted_from}/eviction",
            headers,
            {"evicted_on": "2020-09-01", "grounds": "rent_arrears"},
            201,
        )

        async def arrived() -> bool:
            got = await indicators.get(f"/indicators/values/{KEYS[1]}?period=2020", headers=headers)
            body = got.json() if got.status_code == 200 else {}
            return bool(body.get("denominator") == 2 and body.get("numerator") == 1)

        await eventually(arrived, timeout=60)

        # Completed (a, b, c): a's complaints and c's damage in 2020; b's damage is 2021.
        # 2 / 3 = 66.666… → 66.7
        completed = await _value(indicators, headers, KEYS[0], "2020")
        assert (completed["numerator"], completed["denominator"]) == (2, 3)
        assert abs(completed["value"] - 200 / 3) < 1e-9 and completed["value_shown"] == 66.7
        # Not completed (d, e): d's complaint and eviction, e nothing. 1 / 2 = 50.0
        others = await _value(indicators, headers, KEYS[1], "2020")
        assert (others["numerator"], others["denominator"]) == (1, 2)
        assert others["value"] == 50.0

        drill = await indicators.get(
            f"/indicators/values/{KEYS[0]}/drilldown?period=2020", headers=headers
        )
        assert drill.status_code == 200, drill.text
        codes = sorted(m["reason_code"] for m in drill.json()["members"])
        assert codes == [
            "school_incident",
            "school_incident",
            "school_no_incident",
            "school_other_group",
            "school_other_group",
        ]

        # Both groups are below the floor of 5 households (3 and 2): inside the municipality
        # the figures are shown, outside it they are hidden, n included, as for every share.
        assert completed["n"] == 3 and completed["suppressed"] is False
        await approve(indicators, headers)
        agency = auth(settings, ["agency"], "0301")
        for key in KEYS:
            seen = await indicators.get(
                f"/indicators/values/{key}",
                params={"period": "2020", "municipality": "3301"},
                headers=agency,
            )
            assert seen.status_code == 200, seen.text
            outside = seen.json()
            assert outside["suppressed"] is True
            assert (outside["value"], outside["n"], outside["numerator"]) == (None, None, None)

        # 2021: a, b, c are still housed and completed the course in 2020; only b's damage
        # (2021-02-01) is dated in 2021. 1 / 3
        later = await _value(indicators, headers, KEYS[0], "2021")
        assert (later["numerator"], later["denominator"]) == (1, 3)


_DAY0 = date(2020, 1, 1)

household_facts = st.lists(
    st.tuples(
        st.one_of(st.none(), st.integers(-400, 400)),  # placement start (None: never placed)
        st.one_of(st.none(), st.integers(0, 500)),  # placement length (None: still placed)
        st.lists(st.integers(1, 4), max_size=4, unique=True),  # sessions attended
        st.lists(st.tuples(st.sampled_from(["damage", "complaint"]), st.integers(-30, 400))),
        st.one_of(st.none(), st.integers(-30, 400)),  # eviction
    ),
    max_size=20,
)


@given(household_facts, st.integers(1, 4), st.integers(0, 500))
def test_every_housed_household_is_in_exactly_one_group(
    facts: list[tuple[int | None, int | None, list[int], list[tuple[str, int]], int | None]],
    required: int,
    asked: int,
) -> None:
    """For any households and course: each housed household is in the base of exactly one
    group, the groups' bases add up to the housed households, and the shares are in [0, 1]."""
    course = uuid.uuid4()
    sessions = {n: _DAY0 + timedelta(days=7 * n) for n in range(1, 5)}
    rows: dict[str, list[dict[str, Any]]] = {
        "placements": [],
        "evictions": [],
        "tenancy_incidents": [],
        "housing_school": [
            {
                "municipality": "3301",
                "course_id": course,
                "change": "planned",
                "on_date": _DAY0,
                "required_sessions": required,
                "session": None,
                "attended": None,
            }
        ],
    }
    came: dict[int, list[uuid.UUID]] = {n: [] for n in sessions}
    known_on = _DAY0 + timedelta(days=asked)
    period = Period.parse("2020")
    housed = set()
    for start, length, attended, incidents, evicted in facts:
        hid, pid = uuid.uuid4(), uuid.uuid4()
        for n in attended:
            came[n].append(hid)
        for kind, on in incidents:
            rows["tenancy_incidents"].append(
                {
                    "municipality": "3301",
                    "household_id": hid,
                    "kind": kind,
                    "occurred_on": _DAY0 + timedelta(on),
                }
            )
        if evicted is not None:
            rows["evictions"].append(
                {
                    "municipality": "3301",
                    "placement_id": pid,
                    "household_id": hid,
                    "evicted_on": _DAY0 + timedelta(evicted),
                    "grounds": None,
                }
            )
        if start is None:
            continue
        starts_on = _DAY0 + timedelta(start)
        ends_on = None if length is None else starts_on + timedelta(length)
        rows["placements"].append(
            {
                "municipality": "3301",
                "placement_id": pid,
                "household_id": hid,
                "change": "started",
                "dwelling_id": None,
                "application_id": None,
                "on_date": starts_on,
                "reason": None,
            }
        )
        if ends_on is not None:
            rows["placements"].append(
                {
                    "municipality": "3301",
                    "placement_id": pid,
                    "household_id": hid,
                    "change": "ended",
                    "dwelling_id": None,
                    "application_id": None,
                    "on_date": ends_on,
                    "reason": None,
                }
            )
        if starts_on <= min(period.last_day, known_on) and (ends_on is None or ends_on >= _DAY0):
            housed.add(hid)
    for n, held_on in sessions.items():
        rows["housing_school"].append(
            {
                "municipality": "3301",
                "course_id": course,
                "change": "held",
                "on_date": held_on,
                "required_sessions": None,
                "session": n,
                "attended": came[n],
            }
        )
    snapshot = build_snapshots(rows).get("3301")
    assert snapshot is not None
    context = Context(period, known_on)
    rule = RULES["housing_school_incident_share"]
    results = {
        g: rule.compute(snapshot, context, {"group": g}) for g in ("completed", "not_completed")
    }
    in_base = {g: {m.key for m in r.members if m.in_denominator} for g, r in results.items()}
    assert not in_base["completed"] & in_base["not_completed"]
    assert in_base["completed"] | in_base["not_completed"] == housed
    for result in results.values():
        assert result.denominator == len({m.key for m in result.members if m.in_denominator})
        if result.denominator:
            assert result.value is not None and 0 <= result.value / 100 <= 1
            assert abs(result.value - 100 * result.numerator / result.denominator) < 1e-9
            assert 0 <= result.numerator <= result.denominator
        else:
            assert result.value is None
