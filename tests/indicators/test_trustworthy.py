"""Indicators that count right, fed real events over NATS into PostgreSQL.

The participants events the indicators follow since issue 9 — ``died``, ``emigrated``,
``birth_year_corrected`` and a ``moved_out`` announced ahead — change the numbers; a
placement before its settlement never becomes a negative duration; scorecards count
only their period and show only the goals valid in it; the plan is read as it stood.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import httpx

from services.indicators.app import create_app
from services.indicators.seed import seed_drammen
from shared.settings import Settings
from tests.indicators.approval import approve
from tests.indicators.feeder import EventFeeder, Housing, Matching, Participants, seeded
from tests.support import auth, running

M = "3301"


async def _value(
    client: httpx.AsyncClient, headers: dict[str, str], key: str, period: str, as_of: str = ""
) -> dict[str, Any]:
    params = {"period": period} | ({"as_of": as_of} if as_of else {})
    response = await client.get(f"/indicators/values/{key}", params=params, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _reason(
    client: httpx.AsyncClient, headers: dict[str, str], key: str, period: str, pid: uuid.UUID
) -> str:
    response = await client.get(
        f"/indicators/values/{key}/drilldown", params={"period": period}, headers=headers
    )
    assert response.status_code == 200, response.text
    return str(
        next(m for m in response.json()["members"] if m["participant_id"] == str(pid))[
            "reason_code"
        ]
    )


async def test_deaths_emigrations_corrections_and_announced_moves_change_the_numbers(
    settings: Settings,
) -> None:
    headers = auth(settings, ["manager"], M)
    async with seeded(settings, evaluation_interval=3600) as (client, feeder):
        p, m = Participants(feeder), Matching(feeder)
        people = {name: uuid.uuid4() for name in ("P1", "P2", "P3", "P4", "P5")}
        for name, pid in people.items():
            await p.registered(pid, 2010 if name == "P4" else 1990, "female", on=date(2019, 1, 9))
            await p.settled(pid, date(2019, 1, 10))
        for name in ("P1", "P2", "P3", "P5"):
            programme = uuid.uuid4()
            await p.started(people[name], programme, date(2019, 2, 1))
            await p.plan(people[name], programme, 1, date(2019, 2, 1), 20 if name == "P2" else 37.5)
        await p.started(people["P4"], uuid.uuid4(), date(2019, 6, 3))
        await m.job(people["P2"], date(2019, 9, 2))
        await feeder.wait_applied()

        # Before: P1, P3, P5 full time, P2 part time and P4 without a plan on 31 December;
        # P4 (born 2010 by mistake) is outside the programme age range.
        full_time = await _value(client, headers, "full_time_plans", "2019-Q4")
        assert (full_time["numerator"], full_time["denominator"]) == (3, 5)
        within = await _value(client, headers, "programme_start_within_3_months", "2019")
        assert (within["numerator"], within["denominator"]) == (4, 4)
        assert (
            await _reason(client, headers, "programme_start_within_3_months", "2019", people["P4"])
            == "outside_age_range"
        )

        # P3 died and P1 emigrated: they leave the base from those days.
        await p.died(people["P3"], date(2019, 6, 1))
        await p.emigrated(people["P1"], date(2019, 7, 1))
        await m.job(people["P1"], date(2019, 8, 1))  # abroad: after leaving the base
        # P2's move to Oslo was announced in March for 1 October.
        await p.moved_out(people["P2"], date(2019, 10, 1), recorded=date(2019, 3, 1))
        # P4's birth date was corrected: 1990, within 18–55.
        await p.birth_year_corrected(people["P4"], 1990, on=date(2019, 7, 1))
        await feeder.wait_applied()

        full_time = await _value(client, headers, "full_time_plans", "2019-Q4")
        assert (full_time["numerator"], full_time["denominator"]) == (1, 2), "P4 and P5 left"
        assert (
            await _reason(client, headers, "full_time_plans", "2019-Q4", people["P3"])
            == "left_base"
        )
        # The move announced ahead counts only from its date: still there in Q3.
        third = await _value(client, headers, "full_time_plans", "2019-Q3")
        assert (third["numerator"], third["denominator"]) == (1, 3), "P2 part time, P4, P5"
        assert (
            await _reason(client, headers, "full_time_plans", "2019-Q4", people["P2"])
            == "moved_out"
        )
        as_of_spring = await _value(client, headers, "full_time_plans", "2019-Q2", "2019-05-01")
        assert (as_of_spring["numerator"], as_of_spring["denominator"]) == (3, 4)
        within = await _value(client, headers, "programme_start_within_3_months", "2019")
        assert (within["numerator"], within["denominator"]) == (4, 5), "P4 now in the cohort"

        # Kaplan–Meier: P1 (emigrated, job abroad later) and P3 (died) are censored when
        # they left; P2 is the only transition, with P2 and the never-employed P4 and P5
        # still at risk on that day.
        km = await client.get(
            "/indicators/survival/kaplan-meier",
            params={"from_year": 2019, "to_year": 2019, "as_of": "2020-12-31"},
            headers=headers,
        )
        assert km.status_code == 200, km.text
        body = km.json()
        assert body["confidence_level"] == 0.95
        assert body["complete"] is True, "as of a past date"
        (curve,) = body["cohorts"]
        assert (curve["persons"], curve["events"], curve["censored"]) == (5, 1, 4)
        job_day = float((date(2019, 9, 2) - date(2019, 1, 10)).days)
        point = next(pt for pt in curve["points"] if pt["day"] == job_day)
        assert (point["at_risk"], point["events"]) == (3, 1)
        censored_on = {pt["day"]: pt["censored"] for pt in curve["points"] if pt["censored"]}
        assert censored_on[float((date(2019, 6, 1) - date(2019, 1, 10)).days)] == 1
        assert censored_on[float((date(2019, 7, 1) - date(2019, 1, 10)).days)] == 1
        assert point["survival_lower_95"] <= point["survival"] <= point["survival_upper_95"]
        csv = await client.get(
            "/indicators/survival/kaplan-meier",
            params={"from_year": 2019, "to_year": 2019, "format": "csv", "headers": "codes"},
            headers=headers,
        )
        assert "survival_lower_95" in csv.text.splitlines()[0]


async def test_a_placement_before_settlement_is_a_data_quality_issue_not_a_duration(
    settings: Settings,
) -> None:
    headers = auth(settings, ["manager"], M)
    async with seeded(settings, evaluation_interval=3600) as (client, feeder):
        p, h = Participants(feeder), Housing(feeder)
        good, bad = uuid.uuid4(), uuid.uuid4()
        for household in (good, bad):
            pid = uuid.uuid4()
            await p.registered(pid, 1990, "male", on=date(2016, 3, 1))
            await p.settled(pid, date(2016, 3, 1), household=household, size=1)
        placement = uuid.uuid4()
        await h.placed(placement, good, date(2016, 3, 15))
        await h.placement_ended(placement, good, date(2017, 9, 1), "moved_out")
        early = uuid.uuid4()
        await h.placed(early, bad, date(2015, 11, 1))  # before the household was settled
        await h.placement_ended(early, bad, date(2016, 1, 31), "moved_out")
        await feeder.wait_applied()

        left = await _value(client, headers, "left_municipal_housing_27_months", "2018")
        assert (left["value"], left["numerator"], left["denominator"]) == (100.0, 1, 1)
        assert left["data_quality"] == {"placement_before_settlement": 1}
        assert left["complete"] is True
        drill = await client.get(
            "/indicators/values/left_municipal_housing_27_months/drilldown",
            params={"period": "2018"},
            headers=headers,
        )
        assert drill.json()["data_quality"] == {"placement_before_settlement": 1}
        months = [m for m in drill.json()["members"] if m["in_numerator"]]
        assert [m["household_id"] for m in months] == [str(good)]


async def test_scorecards_count_only_their_period_and_show_the_goals_valid_in_it(
    settings: Settings,
) -> None:
    headers = auth(settings, ["manager"], M)
    async with seeded(settings, evaluation_interval=3600) as (client, feeder):
        p = Participants(feeder)
        for settled_on in [date(2016, 1, 10)] * 3 + [date(2016, 5, 5), date(2016, 12, 30)]:
            pid = uuid.uuid4()
            await p.registered(pid, 1990, "female", on=settled_on)
            await p.settled(pid, settled_on)
        await feeder.wait_applied()

        async def card(period: str, as_of: str = "") -> dict[str, Any]:
            params = {"period": period} | ({"as_of": as_of} if as_of else {})
            response = await client.get("/indicators/scorecard", params=params, headers=headers)
            assert response.status_code == 200, response.text
            body: dict[str, Any] = response.json()
            return body

        def settled(body: dict[str, Any]) -> dict[str, Any]:
            return next(
                v
                for goal in body["goals"]
                for v in goal["indicators"]
                if v["indicator_key"] == "persons_settled"
            )

        year, first, may = await card("2016"), await card("2016-Q1"), await card("2016-05")
        assert settled(year)["value"] == 5
        assert (settled(first)["value"], settled(first)["period"]) == (3, "2016-Q1")
        assert settled(first)["level"] == "no_thresholds", "yearly thresholds, quarter period"
        assert settled(may)["value"] == 1
        assert year["complete"] is True and settled(year)["complete"] is True

        # Goals respect their years: the 2015–2018 economic plan is gone in 2025, the
        # 2014 business plan shows only in 2014.
        goals = {period: {g["key"] for g in (await card(period))["goals"]} for period in
                 ("2014", "2016", "2025")}  # fmt: skip
        assert goals["2025"] == {"kp-selvforsorgelse"}
        assert "vp-introduksjonssenteret-2014" in goals["2014"]
        assert "op-arbeid-utdanning" not in goals["2014"]
        assert "op-arbeid-utdanning" in goals["2016"]
        assert "vp-introduksjonssenteret-2014" not in goals["2016"]

        # Today is never complete.
        today = datetime.now(UTC).date()
        now = await card(f"{today.year}-{today.month:02d}")
        assert now["complete"] is False


async def test_goal_years_lie_within_the_parent_goal(settings: Settings) -> None:
    app = create_app(settings, evaluation_interval=3600)
    headers = auth(settings, ["manager"], M)
    async with running(app) as client:
        await seed_drammen(app.state.runtime, M)
        before = (await client.get("/indicators/goals", headers=headers)).json()["results"]
        outside = await client.post(
            "/indicators/goals",
            json={
                "key": "vp-2019",
                "plan_level": "virksomhetsplan",
                "parent_key": "op-arbeid-utdanning",
                "title_nb": "Mål 2019",
                "title_en": "Goal 2019",
                "owner_unit": "Introduksjonssenteret",
                "from_year": 2018,
                "to_year": 2019,
                "indicator_keys": [],
            },
            headers=headers,
        )
        assert outside.status_code == 422, outside.text
        problem = outside.json()
        assert problem["code"] == "goal-outside-parent"
        assert problem["type"] == "https://veiviser.no/problems/goal-outside-parent"
        assert [e["field"] for e in problem["errors"]] == ["to_year"]
        # Shrinking a parent below its children's years is refused too.
        goal = next(g for g in before if g["key"] == "kp-selvforsorgelse")
        shrunk = await client.put(
            "/indicators/goals/kp-selvforsorgelse",
            json={k: goal[k] for k in ("plan_level", "title_nb", "title_en", "owner_unit")}
            | {"from_year": 2016, "to_year": 2026, "indicator_keys": goal["indicator_keys"]},
            headers=headers,
        )
        assert shrunk.status_code == 422, shrunk.text
        assert shrunk.json()["code"] == "goal-outside-parent"
        assert (await client.get("/indicators/goals", headers=headers)).json()["results"] == before
        schema = (await client.get("/openapi.json")).json()
        codes = {entry["code"] for entry in schema["info"]["x-problem-codes"]}
        assert {"goal-outside-parent", "future-fact", "date-out-of-range"} <= codes


async def test_the_plan_as_of_a_moment_is_the_plan_as_it_stood(settings: Settings) -> None:
    headers = auth(settings, ["manager"], M)
    async with seeded(settings, evaluation_interval=3600) as (client, feeder):
        p = Participants(feeder)
        for _ in range(3):
            pid = uuid.uuid4()
            await p.registered(pid, 1990, "female", on=date(2019, 1, 10))
            await p.settled(pid, date(2019, 1, 10))
        await feeder.wait_applied()

        async def thresholds(desired_from: float) -> None:
            put = await client.put(
                "/indicators/definitions/persons_settled/thresholds",
                json={
                    "from_year": 2019,
                    "bands": [
                        {
                            "level": "desired",
                            "lower": desired_from,
                            "lower_inclusive": True,
                            "upper": None,
                        },
                        {
                            "level": "not_approved",
                            "lower": None,
                            "upper": desired_from,
                            "upper_inclusive": False,
                        },
                    ],
                },
                headers=headers,
            )
            assert put.status_code == 200, put.text

        await thresholds(2)
        # A draft: the thresholds are not in force until a manager approves them.
        draft = await _value(client, headers, "persons_settled", "2019")
        assert draft["level"] == "no_thresholds"
        await approve(client, headers)
        await asyncio.sleep(0.05)
        between = datetime.now(UTC)
        await asyncio.sleep(0.05)
        await thresholds(10)
        assert (await _value(client, headers, "persons_settled", "2019"))["level"] == "desired"
        await approve(client, headers)
        await asyncio.sleep(0.05)

        then = await _value(client, headers, "persons_settled", "2019", between.isoformat())
        now = await _value(client, headers, "persons_settled", "2019")
        assert (then["level"], now["level"]) == ("desired", "not_approved")
        assert then["thresholds"]["bands"][0]["lower"] == 2
        again = await _value(client, headers, "persons_settled", "2019", between.isoformat())
        assert again == then, "an as-of answer is reproducible"
        # Before the plan existed, the scorecard had no goals.
        empty = await client.get(
            "/indicators/scorecard",
            params={"period": "2019", "as_of": "2019-06-01"},
            headers=headers,
        )
        assert empty.json()["goals"] == []


async def test_future_and_implausible_as_of_moments_are_refused(settings: Settings) -> None:
    app = create_app(settings, evaluation_interval=3600)
    headers = auth(settings, ["manager"], M)
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    async with running(app) as client:
        for as_of, code in (
            (tomorrow, "future-fact"),
            ((datetime.now(UTC) + timedelta(hours=3)).isoformat(), "future-fact"),
            ("9999-12-31", "date-out-of-range"),
            ("9999-12-31T23:59:59+00:00", "date-out-of-range"),
            ("1899-12-31", "date-out-of-range"),
        ):
            for path in ("/indicators/scorecard", "/indicators/values/persons_settled"):
                answer = await client.get(
                    path, params={"period": "2019", "as_of": as_of}, headers=headers
                )
                assert answer.status_code == 422, (path, as_of, answer.text)
                assert answer.json()["code"] == code, (as_of, answer.json())
                assert answer.json()["errors"][0]["field"] == "as_of"


async def test_the_inbox_keeps_only_what_the_indicators_read(settings: Settings) -> None:
    app = create_app(settings, evaluation_interval=3600)
    async with running(app), EventFeeder(settings) as feeder:
        p = Participants(feeder)
        pid, programme = uuid.uuid4(), uuid.uuid4()
        await p.registered(pid, 1990, "female", on=date(2019, 1, 9))
        await p.started(pid, programme, date(2019, 2, 1))  # carries an adviser
        await p.plan(pid, programme, 1, date(2019, 2, 1), 37.5)  # carries activities
        await p.profile(pid, "bachelor", "B1", on=date(2019, 2, 1))
        await p.left_household(pid, uuid.uuid4(), date(2019, 3, 1))  # not followed
        await feeder.wait_applied()
        conn = await asyncpg.connect(
            settings.service_database_url("indicators", driver="postgresql")
        )
        try:
            rows = {
                row["type"]: json.loads(row["payload"])["data"]
                for row in await conn.fetch("SELECT type, payload FROM received_events")
            }
        finally:
            await conn.close()
        assert set(rows["participants.programme.started.v1"]) == {
            "participant_id", "programme_id", "kind", "starts_on", "planned_end"
        }  # fmt: skip
        assert "activities" not in rows["participants.plan.revised.v1"]
        assert rows["participants.competence_profile.updated.v1"]["education"] == [
            {"level": "bachelor"}
        ]
        assert rows["participants.participant.left_household.v1"] == {}
