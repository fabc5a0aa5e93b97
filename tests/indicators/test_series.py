"""Tertials, years to date, rolling 12 months and multi-year series with trends, over
HTTP on real PostgreSQL and NATS."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from services.indicators import queries
from services.indicators.app import create_app
from services.indicators.domain.asof import parse_as_of
from services.indicators.domain.periods import Period
from services.indicators.seed import seed_drammen
from shared.events import utcnow
from shared.settings import Settings
from tests.indicators.feeder import MUNICIPALITY, EventFeeder, Participants
from tests.support import auth, running

# persons_settled (higher is better, 0 decimals) counts settlements by date.
SETTLED = [
    date(2016, 6, 1),  # 2016-T2: the seeded plan's goals run 2015–2018
    date(2023, 2, 1),  # 2023-T1
    date(2024, 1, 10),  # 2024-T1
    date(2024, 2, 5),  # 2024-T1
    date(2024, 6, 1),  # 2024-T2
    date(2024, 10, 1),  # 2024-T3
    date(2025, 1, 15),  # 2025-T1
    date(2025, 3, 3),  # 2025-T1
    date(2025, 4, 20),  # 2025-T1, after 31 March
    date(2025, 7, 1),  # 2025-T2
]


def _points(body: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (p["period"], p["value"], p["previous_period"], p["previous"], p["change"], p["trend"])
        for p in body["points"]
    ]


def _fields(response: Any) -> list[str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return [e["field"] for e in response.json()["errors"]]


async def test_tertials_years_to_date_and_series_with_trends(settings: Settings) -> None:
    manager = auth(settings, ["manager"], "3301")
    app = create_app(settings)
    async with running(app) as client, EventFeeder(settings) as feeder:
        await seed_drammen(app.state.runtime, MUNICIPALITY)
        people = Participants(feeder)
        for day in SETTLED:
            pid = uuid.uuid4()
            await people.registered(pid, 1990, "female", on=day)
            await people.settled(pid, day)
        await feeder.wait_applied()

        async def get(path: str) -> dict[str, Any]:
            response = await client.get(path, headers=manager)
            assert response.status_code == 200, response.text
            body: dict[str, Any] = response.json()
            return body

        # The same tertial across years, each against the year before.
        t1 = await get("/indicators/series/persons_settled?from=2023&to=2025&period=T1")
        assert _points(t1) == [
            ("2023-T1", 1.0, "2022-T1", 0.0, 1.0, "up"),
            ("2024-T1", 2.0, "2023-T1", 1.0, 1.0, "up"),
            ("2025-T1", 3.0, "2024-T1", 2.0, 1.0, "up"),
        ]
        last = t1["points"][-1]
        assert (last["up_is_good"], last["assessment"], last["arrow"]) == (True, "better", "↑")
        assert (last["trend_label"], last["assessment_label"]) == ("Opp", "Bedre")
        assert last["level"] == "no_thresholds", "thresholds are for years, not tertials"
        assert last["change_percent"] == 50.0

        t2 = await get("/indicators/series/persons_settled?from=2024&to=2025&period=t2&lang=en")
        assert _points(t2)[-1] == ("2025-T2", 1.0, "2024-T2", 1.0, 0.0, "flat")
        assert (t2["points"][-1]["assessment"], t2["points"][-1]["trend_label"]) == (
            "unchanged",
            "Flat",
        )

        # Year to date: the same point in every year, cut at the as-of date.
        ytd = await get(
            "/indicators/series/persons_settled?from=2024&to=2025&period=YTD&as_of=2025-03-31"
        )
        assert _points(ytd) == [
            ("2024-YTD-03-31", 2.0, "2023-YTD-03-31", 1.0, 1.0, "up"),
            ("2025-YTD-03-31", 2.0, "2024-YTD-03-31", 2.0, 0.0, "flat"),
        ]
        # A tertial not begun on the as-of date is left out.
        early = await get(
            "/indicators/series/persons_settled?from=2024&to=2025&period=T2&as_of=2025-03-31"
        )
        assert [p["period"] for p in early["points"]] == ["2024-T2"]

        # Whole years by default, the indicator's own granularity, with thresholds.
        years = await get("/indicators/series/persons_settled?from=2024&to=2025")
        assert _points(years) == [
            ("2024", 4.0, "2023", 1.0, 3.0, "up"),
            ("2025", 4.0, "2024", 4.0, 0.0, "flat"),
        ]

        # The new forms in the values API and the scorecard.
        t1_value = await get("/indicators/values/persons_settled?period=2025-T1")
        assert (t1_value["period"], t1_value["value"]) == ("2025-T1", 3.0)
        to_date = await get("/indicators/values/persons_settled?period=2025-YTD&as_of=2025-03-31")
        assert (to_date["period"], to_date["value"]) == ("2025-YTD-03-31", 2.0)
        capped = await get("/indicators/values/persons_settled?period=2025-YTD-06&as_of=2025-03-31")
        assert (capped["period"], capped["value"]) == ("2025-YTD-03-31", 2.0)
        rolling = await get("/indicators/values/persons_settled?period=R12-2025-12")
        assert (rolling["period"], rolling["value"]) == ("R12-2025-12", 4.0)
        # Across New Year: July 2024 to June 2025 holds 2024-10-01 and three of 2025.
        across = await get("/indicators/values/persons_settled?period=R12-2025-06")
        assert (across["period"], across["value"]) == ("R12-2025-06", 4.0)
        card = await get("/indicators/scorecard?period=2016-T2")
        assert card["period"] == "2016-T2"
        settled = next(
            v
            for goal in card["goals"]
            for v in goal["indicators"]
            if v["indicator_key"] == "persons_settled"
        )
        assert (settled["period"], settled["value"]) == ("2016-T2", 1.0)
        last_year = settled["against_last_year"]
        assert (last_year["previous_period"], last_year["previous"], last_year["arrow"]) == (
            "2015-T2",
            0.0,
            "↑",
        )
        assert last_year["assessment"] == "better"
        # Another municipality's agency view carries no change (it could reveal a hidden value).
        agency = auth(settings, ["agency"], "0301")
        seen = await client.get(
            "/indicators/scorecard",
            params={"period": "2016-T2", "municipality": MUNICIPALITY},
            headers=agency,
        )
        assert seen.status_code == 200, seen.text
        assert all(
            v["against_last_year"] is None
            for goal in seen.json()["goals"]
            for v in goal["indicators"]
        )

        # The scorecard's values against the same period last year, from the same knowledge.
        as_of = parse_as_of(None, utcnow())
        runtime, state = app.state.runtime, app.state.indicators
        known, tertial = await queries.scorecard_for(
            runtime, state, MUNICIPALITY, Period.parse("2016-T2"), as_of
        )
        trends = queries.scorecard_trends(known, tertial, as_of)
        trend = trends["persons_settled"]
        assert (str(trend.previous_period), trend.previous, trend.value, trend.trend) == (
            "2015-T2",
            0.0,
            1.0,
            "up",
        )
        assert trend.assessment == "better"
        shown = [v for goal in tertial.goals for v in goal.values] + tertial.ungrouped
        assert set(trends) == {v.definition.key for v in shown}

        # Bad input: a 422 naming the field.
        for path, field in [
            ("/indicators/series/persons_settled?period=T4", "period"),
            ("/indicators/series/persons_settled?period=week", "period"),
            ("/indicators/series/persons_settled?period=R12-13", "period"),
            ("/indicators/series/persons_settled?from=2025&to=2024", "from"),
            ("/indicators/series/no_such_indicator?period=T1", "key"),
            ("/indicators/values/persons_settled?period=2025-T4", "period"),
            ("/indicators/values/persons_settled?period=R12-2025-13", "period"),
            ("/indicators/values/persons_settled?period=2025-YTD&as_of=2024-06-01", "period"),
            ("/indicators/scorecard?period=2025-T0", "period"),
        ]:
            response = await client.get(path, headers=manager)
            assert field in _fields(response), (path, response.text)
