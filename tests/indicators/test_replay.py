"""Replay == incremental: every projection rebuilt from events gives the same tables and
the same numbers; erasure unlinks a person everywhere and survives the replay."""

from __future__ import annotations

from datetime import date
from typing import Any

import asyncpg

from deploy.services import service_projections
from services.indicators import tables
from services.indicators.app import create_app
from services.indicators.projections import PROJECTIONS, erasure_alias
from shared.db import Database
from shared.replay import rebuild
from shared.settings import Settings
from tests.indicators import cohort
from tests.indicators.feeder import Participants, seeded
from tests.support import auth, running

PROJECTED = [t for p in PROJECTIONS for t in p.tables]


async def _tables(settings: Settings) -> dict[str, list[tuple[Any, ...]]]:
    conn = await asyncpg.connect(settings.service_database_url("indicators", driver="postgresql"))
    try:
        found = {}
        for table in PROJECTED:
            keys = ", ".join(c.name for c in table.primary_key.columns)
            rows = await conn.fetch(f"SELECT * FROM {table.name} ORDER BY {keys}")
            found[table.name] = [tuple(r) for r in rows]
        return found
    finally:
        await conn.close()


async def _numbers(settings: Settings) -> dict[str, Any]:
    """Scorecard, series and drill-downs as the API answers them (a fresh app: no cache)."""
    headers = auth(settings, ["manager"], "3301")
    found: dict[str, Any] = {}
    async with running(create_app(settings, evaluation_interval=3600)) as client:
        for period in ("2015", "2016", "2016-Q4"):
            found[f"scorecard {period}"] = (
                await client.get(f"/indicators/scorecard?period={period}", headers=headers)
            ).json()
        for key in (
            "exit_work_or_education",
            "left_municipal_housing_27_months",
            "norwegian_oral_a2",
        ):
            found[f"drilldown {key}"] = (
                await client.get(f"/indicators/values/{key}/drilldown?period=2016", headers=headers)
            ).json()
        found["series"] = (
            await client.get(
                "/indicators/values/households_waiting/series?from_year=2016&to_year=2016",
                headers=headers,
            )
        ).json()
    return found


async def test_rebuilt_projections_equal_incremental_ones(settings: Settings) -> None:
    async with seeded(settings, evaluation_interval=0.2) as (client, feeder):
        built = await cohort.build(feeder)
        await feeder.wait_applied()
        manager = auth(settings, ["manager"], "3301")
        await client.put("/indicators/definitions/homeless/values/2016", json={"value": 70},
                         headers=manager)  # fmt: skip
        await client.post("/indicators/definitions/exit_work/comments",
                          json={"period": "2016", "text": "Færre i fulltidsjobb"}, headers=manager)  # fmt: skip
        before_erasure = (
            await client.get("/indicators/values/norwegian_oral_a2?period=2016", headers=manager)
        ).json()
        # P3 (oral B1, a job, a programme, a practice placement) asks to be forgotten.
        erased = await Participants(feeder).erased(built.people["P3"], date(2020, 1, 1))
        await feeder.wait_applied()
        await client.post("/indicators/evaluations", headers=manager)
        after_erasure = (
            await client.get("/indicators/values/norwegian_oral_a2?period=2016", headers=manager)
        ).json()
        assert after_erasure["value"] == before_erasure["value"] == 50.0

    alias = erasure_alias(erased.id)
    conn = await asyncpg.connect(settings.service_database_url("indicators", driver="postgresql"))
    try:
        p3 = str(built.people["P3"])
        for table in tables.PARTICIPANT_KEYED:
            assert (
                await conn.fetchval(
                    f"SELECT count(*) FROM {table.name} WHERE participant_id = $1",
                    built.people["P3"],
                )
                == 0
            ), table.name
        assert (
            await conn.fetchval(
                "SELECT count(*) FROM received_events WHERE payload::text LIKE $1", f"%{p3}%"
            )
            == 0
        )
        assert (
            await conn.fetchval(
                "SELECT count(*) FROM norwegian_tests WHERE participant_id = $1", alias
            )
            == 1
        )
    finally:
        await conn.close()

    incremental_tables = await _tables(settings)
    incremental_numbers = await _numbers(settings)
    assert incremental_tables["jobs"] and incremental_tables["indicator_levels"]

    projections, store = service_projections("indicators", settings)
    assert {p.name for p in projections} == {
        "settlements", "participant_facts", "housing_facts", "matching_facts", "plan", "levels",
        "comparisons", "frozen_reports",
    }  # fmt: skip
    db = Database.for_service(settings, "indicators", pool_size=1)
    try:
        counts = {p.name: await rebuild(db, store, p) for p in projections}
    finally:
        await db.dispose()
    assert counts["participant_facts"] == counts["settlements"] > 100
    assert counts["housing_facts"] > 20 and counts["matching_facts"] > 5

    assert await _tables(settings) == incremental_tables
    assert await _numbers(settings) == incremental_numbers
