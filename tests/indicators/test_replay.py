"""Replay == incremental: every projection rebuilt from events gives the same tables and
the same numbers; erasure unlinks a person everywhere and survives the replay."""

from __future__ import annotations

import uuid
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
from tests.indicators.feeder import EventFeeder, Participants, at, seeded
from tests.support import auth, running, table_rows

PROJECTED = [t for p in PROJECTIONS for t in p.tables]


async def _tables(settings: Settings) -> dict[str, list[tuple[Any, ...]]]:
    return await table_rows(settings, "indicators", PROJECTED)


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
            "housing_school_incidents_completed",
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


async def _housing_school(feeder: EventFeeder, built: cohort.Cohort) -> None:
    """A housing school course that HH2 and E1 completed, and a complaint about HH2, so the
    housing school and tenancy incident tables are rebuilt too."""
    course = uuid.uuid4()
    hh2, e1 = built.households["HH2"], built.households["E1"]
    await feeder.publish(
        "housing.housing_school.course_planned.v1",
        {"course_id": course, "starts_on": date(2016, 2, 1), "sessions": 2,
         "required_sessions": 2},
        recorded_at=at(date(2016, 1, 20)), stream_id=f"housing_school_course-{course}",
    )  # fmt: skip
    came = [str(hh2), str(e1)]
    for session, held_on in ((1, date(2016, 2, 1)), (2, date(2016, 2, 8))):
        await feeder.publish(
            "housing.housing_school.session_held.v1",
            {"course_id": course, "session": session, "held_on": held_on, "attended": came},
            recorded_at=at(held_on), stream_id=f"housing_school_course-{course}",
            stream_version=1 + session,
        )  # fmt: skip
    await feeder.publish(
        "housing.tenancy.incident_recorded.v1",
        {"household_id": hh2, "incident_id": uuid.uuid4(), "kind": "complaint",
         "occurred_on": date(2016, 5, 1)},
        recorded_at=at(date(2016, 5, 2)),
    )  # fmt: skip


async def test_rebuilt_projections_equal_incremental_ones(settings: Settings) -> None:
    async with seeded(settings, evaluation_interval=0.2) as (client, feeder):
        built = await cohort.build(feeder)
        await _housing_school(feeder, built)
        await feeder.wait_applied()
        manager = auth(settings, ["manager"], "3301")
        key = "housing_school_incidents_completed"
        adopted = await client.post("/indicators/definitions",
                                    json={"key": key, "from_catalogue": key}, headers=manager)  # fmt: skip
        assert adopted.status_code == 201, adopted.text
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
    assert len(incremental_tables["housing_school"]) == 3
    assert len(incremental_tables["tenancy_incidents"]) == 1
    # HH2 (complaint) and E1 (evicted 2016-04-01) completed the course: 2 / 2 in the base.
    school = incremental_numbers["drilldown housing_school_incidents_completed"]
    assert sorted(m["reason_code"] for m in school["members"] if m["in_denominator"]) == [
        "school_incident",
        "school_incident",
    ]

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
