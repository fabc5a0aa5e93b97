"""Bad input is a 422 naming the problem, and nothing is stored (one service, many cases)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import asyncpg

from services.indicators.app import create_app
from services.indicators.seed import seed_drammen
from shared.events import utcnow
from shared.settings import Settings
from tests.support import auth, running

TOMORROW = (utcnow().date() + timedelta(days=2)).isoformat()

GOOD_BANDS = [
    {"level": "desired", "lower": 55, "lower_inclusive": False, "upper": None},
    {
        "level": "acceptable",
        "lower": 50,
        "lower_inclusive": True,
        "upper": 54,
        "upper_inclusive": True,
    },
    {"level": "not_approved", "lower": None, "upper": 50, "upper_inclusive": False},
]

# (method, path, json body, field named in the problem)
CASES: list[tuple[str, str, dict[str, Any] | None, str]] = [
    ("GET", "/indicators/values/no_such_indicator?period=2016", None, "key"),
    ("GET", "/indicators/values/exit_work?period=2025-Q5", None, "period"),
    ("GET", "/indicators/values/exit_work?period=2025-13", None, "period"),
    ("GET", "/indicators/values/exit_work?period=next-year", None, "period"),
    ("GET", f"/indicators/values/exit_work?period=2016&as_of={TOMORROW}", None, "as_of"),
    ("GET", "/indicators/values/exit_work?period=2016&as_of=2016-02-30", None, "as_of"),
    ("GET", "/indicators/scorecard?period=2016-Q0", None, "period"),
    ("GET", f"/indicators/scorecard?period=2016&as_of={TOMORROW}", None, "as_of"),
    ("GET", "/indicators/scorecard?period=2016&as_of=9999-12-31", None, "as_of"),
    ("GET", "/indicators/values/exit_work?period=2016&as_of=9999-12-31T23:59:59Z", None, "as_of"),
    ("GET", "/indicators/values/exit_work?period=2016&as_of=0001-01-01", None, "as_of"),
    ("PUT", "/indicators/definitions/homeless/values/2016", {"value": float("nan")}, "value"),
    ("PUT", "/indicators/definitions/homeless/values/2016", {"value": float("inf")}, "value"),
    ("GET", "/indicators/values/no_such_indicator/drilldown?period=2016", None, "key"),
    ("GET", "/indicators/values/no_such_indicator/series", None, "key"),
    ("GET", "/indicators/definitions/no_such_indicator", None, "key"),
    ("GET", "/indicators/definitions/exit_work/classify?value=50", None, "year"),
    (
        "PUT",
        "/indicators/definitions/no_such_indicator/thresholds",
        {"from_year": 2016, "bands": GOOD_BANDS},
        "key",
    ),
    (
        "PUT",
        "/indicators/definitions/exit_work/thresholds",
        {
            "from_year": 2016,
            "bands": [
                {"level": "desired", "lower": 50, "lower_inclusive": True, "upper": None},
                {
                    "level": "acceptable",
                    "lower": 40,
                    "lower_inclusive": True,
                    "upper": 50,
                    "upper_inclusive": True,
                },
            ],
        },
        "bands.1",
    ),
    (
        "PUT",
        "/indicators/definitions/exit_work/thresholds",
        {
            "from_year": 2016,
            "bands": [
                {"level": "desired", "lower": None, "upper": 30, "upper_inclusive": False},
                {"level": "not_approved", "lower": 45, "lower_inclusive": False, "upper": None},
            ],
        },
        "bands",
    ),
    (
        "PUT",
        "/indicators/definitions/exit_work/thresholds",
        {"from_year": 2016, "bands": [{"level": "desired", "lower": 55, "upper": None}]},
        "bands.0.lower_inclusive",
    ),
    (
        "PUT",
        "/indicators/definitions/exit_work/thresholds",
        {"from_year": 2018, "to_year": 2016, "bands": GOOD_BANDS},
        "to_year",
    ),
    (
        "PUT",
        "/indicators/definitions/exit_work/thresholds",
        {
            "from_year": 2016,
            "bands": [{"level": "great", "lower": 1, "lower_inclusive": True, "upper": None}],
        },
        "bands.0.level",
    ),
    (
        "POST",
        "/indicators/definitions",
        {"key": "new_one", "from_catalogue": "no_such_built_in"},
        "from_catalogue",
    ),
    (
        "POST",
        "/indicators/definitions",
        {
            "key": "new_one",
            "title_nb": "Ny",
            "title_en": "New",
            "direction": "higher_is_better",
            "granularity": "year",
            "method": {"kind": "computed"},
            "rule": "no_such_rule",
        },
        "rule",
    ),
    (
        "POST",
        "/indicators/definitions",
        {
            "key": "new_one",
            "from_catalogue": "exit_work",
            "parameters": {"numerator_outcomes": ["work_full_time", "lottery_win"]},
        },
        "parameters.numerator_outcomes.1",
    ),
    (
        "POST",
        "/indicators/definitions",
        {
            "key": "new_one",
            "from_catalogue": "exit_work",
            "parameters": {"excluded_outcomes": ["work_full_time"]},
        },
        "parameters",
    ),
    (
        "POST",
        "/indicators/definitions",
        {
            "key": "new_one",
            "title_nb": "Ny",
            "title_en": "New",
            "unit": "count",
            "direction": "lower_is_better",
            "granularity": "year",
            "method": {"kind": "imported"},
        },
        "method.source",
    ),
    ("POST", "/indicators/definitions", {"key": "Bad Key", "from_catalogue": "exit_work"}, "key"),
    (
        "POST",
        "/indicators/goals",
        {
            "key": "op-x",
            "plan_level": "okonomiplan",
            "parent_key": "kp-selvforsorgelse",
            "title_nb": "x",
            "title_en": "x",
            "owner_unit": "x",
            "from_year": 2016,
            "to_year": 2016,
            "indicator_keys": ["exit_work", "no_such_indicator"],
        },
        "indicator_keys.1",
    ),
    (
        "POST",
        "/indicators/goals",
        {
            "key": "vp-x",
            "plan_level": "virksomhetsplan",
            "title_nb": "x",
            "title_en": "x",
            "owner_unit": "x",
            "from_year": 2016,
            "to_year": 2016,
        },
        "parent_key",
    ),
    (
        "POST",
        "/indicators/definitions/exit_work/comments",
        {"period": "2016-Q5", "text": "Hmm"},
        "period",
    ),
    (
        "POST",
        "/indicators/definitions/no_such_indicator/comments",
        {"period": "2016", "text": "Hmm"},
        "key",
    ),
    ("PUT", "/indicators/definitions/exit_work/values/2016", {"value": 50}, "key"),
    ("PUT", "/indicators/definitions/homeless/values/2016-03", {"value": 50}, "period"),
    ("PUT", "/indicators/definitions/homeless/values/2016-13", {"value": 50}, "period"),
    ("GET", "/indicators/survival/kaplan-meier?from_year=2017&to_year=2016", None, "from_year"),
    (
        "GET",
        "/indicators/survival/expected-vs-observed?from_year=2015&to_year=2016",
        None,
        "from_year",
    ),
]


CONFIG_EVENTS = "events WHERE type <> 'indicators.indicator.level_changed.v1'"


async def _count(settings: Settings, table: str) -> int:
    conn = await asyncpg.connect(settings.service_database_url("indicators", driver="postgresql"))
    try:
        return int(await conn.fetchval(f"SELECT count(*) FROM {table}"))
    finally:
        await conn.close()


async def test_bad_input_is_a_422_naming_the_problem_and_stores_nothing(settings: Settings) -> None:
    app = create_app(settings)
    headers = auth(settings, ["manager"], "3301")
    async with running(app) as client:
        await seed_drammen(app.state.runtime, "3301")
        events = await _count(settings, CONFIG_EVENTS)
        failures = []
        for method, path, body, field in CASES:
            # json.dumps writes NaN and Infinity, as a careless client would.
            response = await client.request(
                method,
                path,
                content=None if body is None else json.dumps(body),
                headers=headers | ({"content-type": "application/json"} if body else {}),
            )
            problem = response.json()
            fields = [e["field"] for e in problem.get("errors") or []]
            if (
                response.status_code != 422
                or response.headers["content-type"] != "application/problem+json"
                or field not in fields
            ):
                failures.append(f"{method} {path}: {response.status_code} {fields} {problem}")
        assert not failures, "\n".join(failures)
        assert await _count(settings, CONFIG_EVENTS) == events
        assert await _count(settings, "threshold_versions") == 9 * 4 - 3  # 8 sets × 4 years, 1 × 1

        # Not 422 but the other statuses: conflicts, roles, other municipalities.
        again = await client.post(
            "/indicators/definitions",
            json={"key": "exit_work", "from_catalogue": "exit_work"},
            headers=headers,
        )
        assert again.status_code == 409
        huge = await client.get(
            "/indicators/definitions/homeless/classify?value=1e308&year=2016", headers=headers
        )
        assert (huge.status_code, huge.json()["level"]) == (200, "not_approved")
        analyst = auth(settings, ["analyst"], "3301")
        assert (
            await client.put(
                "/indicators/definitions/exit_work/thresholds",
                json={"from_year": 2016, "bands": GOOD_BANDS},
                headers=analyst,
            )
        ).status_code == 403
        assert (
            await client.get("/indicators/national/exit_work?period=2016", headers=headers)
        ).status_code == 403
        other = await client.get(
            "/indicators/scorecard?period=2016&municipality=0301", headers=headers
        )
        assert other.status_code == 403
        agency = auth(settings, ["agency"], "0301")
        assert (
            await client.get("/indicators/values/exit_work/drilldown?period=2016", headers=agency)
        ).status_code == 403
        unknown_national = await client.get("/indicators/national/nope?period=2016", headers=agency)
        assert unknown_national.status_code == 422
        assert await _count(settings, CONFIG_EVENTS) == events
