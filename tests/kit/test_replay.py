"""Projections dropped and rebuilt from events equal the ones built incrementally."""

from __future__ import annotations

from datetime import date

import asyncpg

from deploy.services import service_projections
from services.indicators.app import create_app as indicators_app
from services.participants.app import create_app as participants_app
from shared.db import Database
from shared.replay import rebuild
from shared.settings import Settings
from tests.support import auth, eventually, national_id, registration, running


async def _rows(
    settings: Settings, service: str, table: str, order: str
) -> list[tuple[object, ...]]:
    conn = await asyncpg.connect(settings.service_database_url(service, driver="postgresql"))
    try:
        return [tuple(r) for r in await conn.fetch(f"SELECT * FROM {table} ORDER BY {order}")]
    finally:
        await conn.close()


async def _rebuild_all(settings: Settings, service: str) -> dict[str, int]:
    projections, store = service_projections(service, settings)
    db = Database.for_service(settings, service, pool_size=1)
    progress: list[tuple[int, int]] = []
    try:
        counts = {
            p.name: await rebuild(db, store, p, lambda d, t: progress.append((d, t)))
            for p in projections
        }
    finally:
        await db.dispose()
    assert progress and progress[-1][0] == progress[-1][1]
    return counts


async def test_rebuilt_projections_equal_incremental_ones(settings: Settings) -> None:
    headers = auth(settings)
    async with (
        running(participants_app(settings)) as participants,
        running(indicators_app(settings)) as indicators,
    ):
        for n in range(30):
            birth = date(1980 + n % 20, 1 + n % 12, 1 + n % 28)
            created = await participants.post(
                "/participants",
                headers=headers,
                json=registration(
                    birth, national_id(birth, d_number=n % 2 == 0), given=f"G{n}", family=f"F{n}"
                ),
            )
            assert created.status_code == 201, created.text
            if n % 3:
                settled = await participants.post(
                    f"/participants/{created.json()['id']}/settlement",
                    headers=headers,
                    json={
                        "settled_on": f"{2023 + n % 2}-0{1 + n % 9}-15",
                        "arrival_category": "other",
                    },
                )
                assert settled.status_code == 201

        async def all_counted() -> bool:
            total = 0
            for year in (2023, 2024):
                r = await indicators.get(f"/indicators/settlements?year={year}", headers=headers)
                total += r.json()["settled"]
            return total == 20

        await eventually(all_counted)

    incremental = {
        "summary": await _rows(settings, "participants", "participant_summary", "participant_id"),
        "lookup": await _rows(settings, "participants", "person_lookup", "participant_id"),
        "households": await _rows(settings, "participants", "households", "household_id"),
        "settlements": await _rows(settings, "indicators", "settlements", "participant_id"),
    }
    assert len(incremental["summary"]) == 30 and len(incremental["settlements"]) == 20

    participant_counts = await _rebuild_all(settings, "participants")
    indicator_counts = await _rebuild_all(settings, "indicators")

    assert participant_counts == {
        "participant_summary": 80,
        "person_lookup": 80,
        "households": 80,
        "matching_timeline": 0,
        "municipal_deadline_rules": 80,
        "municipal_transfers": 80,
        "minor_shared_home_stays": 0,
    }
    assert indicator_counts["settlements"] == 50  # 30 registered + 20 settled, all received
    rebuilt = {
        "summary": await _rows(settings, "participants", "participant_summary", "participant_id"),
        "lookup": await _rows(settings, "participants", "person_lookup", "participant_id"),
        "households": await _rows(settings, "participants", "households", "household_id"),
        "settlements": await _rows(settings, "indicators", "settlements", "participant_id"),
    }
    assert rebuilt == incremental
