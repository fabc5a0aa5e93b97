"""Replay == incremental for every read model the participants service keeps of its own
events: each table rebuilt from the event store, alone and all together in one pass (as
``make bench`` rebuilds them), holds exactly the rows the appends left."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx

from deploy.services import service_projections
from shared.db import Database
from shared.projection import OWN_EVENTS
from shared.replay import rebuild, rebuild_together
from shared.settings import Settings
from tests.participants.conftest import person
from tests.support import auth, national_id, table_rows

PLAN = {
    "valid_from": "2024-02-05",
    "end_goal": "work",
    "activities": [
        {"kind": "norwegian_training", "hours_per_week": 37.5, "starts_on": "2024-02-05"}
    ],
}


async def _tables(settings: Settings) -> dict[str, list[tuple[Any, ...]]]:
    projections, _ = service_projections("participants", settings)
    own = (t for p in projections if p.source == OWN_EVENTS for t in p.tables)
    return await table_rows(settings, "participants", own)


async def _ok(response: httpx.Response) -> Any:
    assert response.status_code in (200, 201, 204), response.text
    return response.json() if response.content else None


async def _journeys(client: httpx.AsyncClient, settings: Settings) -> None:
    """Events of every kind the own-event read models follow, over several people."""
    caseworker = auth(settings, ["caseworker"])
    manager = auth(settings, ["manager"])
    officer = auth(settings, ["privacy_officer"])
    people = []
    for birth in (date(1991, 6, 14), date(1993, 2, 1), date(1988, 9, 9), date(1979, 3, 3)):
        created = await _ok(
            await client.post("/participants", headers=caseworker, json=person(birth))
        )
        people.append(str(created["id"]))
    first, partner, mover, erased = people
    settled = await _ok(
        await client.post(
            f"/participants/{first}/settlement",
            headers=caseworker,
            json={"settled_on": "2024-01-10", "arrival_category": "resettlement_refugee"},
        )
    )
    for pid in (partner, erased):
        await _ok(
            await client.post(
                f"/participants/{pid}/settlement",
                headers=caseworker,
                json={
                    "settled_on": "2024-06-01",
                    "arrival_category": "family_reunification",
                    "household_id": settled["household_id"],
                },
            )
        )
    await _ok(
        await client.post(
            f"/participants/{mover}/settlement",
            headers=caseworker,
            json={"settled_on": "2024-01-10", "arrival_category": "resettlement_refugee"},
        )
    )
    base = f"/participants/{first}"
    completion = {
        "ended_on": "2025-06-30",
        "reason": "completed",
        "outcome": "work_full_time",
        "hours_per_week": 37.5,
    }
    changed_id = {"national_id": national_id(date(1991, 6, 14), d_number=True)}
    steps: list[tuple[str, str, dict[str, Any]]] = [
        (
            "POST",
            "/programme",
            {"kind": "introduction", "starts_on": "2024-02-01", "adviser": "a7"},
        ),
        ("PUT", "/plan", PLAN),
        ("POST", "/follow-ups", {"held_on": "2024-03-04", "adviser": "a7", "note": "Plans"}),
        ("POST", "/follow-ups", {"held_on": "2024-03-02", "adviser": "a7", "note": "Earlier"}),
        ("POST", "/norwegian-tests", {"sub_test": "oral", "level": "B1", "taken_on": "2024-09-01"}),
        ("POST", "/norwegian-tests", {"sub_test": "oral", "level": "A2", "taken_on": "2024-10-01"}),
        ("POST", "/programme/interruption", {"kind": "leave", "from_date": "2025-01-01"}),
        ("POST", "/programme/resumption", {"resumed_on": "2025-03-01"}),
        ("POST", "/programme/completion", completion),
        ("POST", "/follow-up-status", {"status": "employed", "preliminary": True}),
        ("PATCH", "/personal-details", changed_id),
    ]
    for method, path, body in steps:
        await _ok(await client.request(method, base + path, headers=caseworker, json=body))
    await _ok(
        await client.post(f"/participants/{partner}/death", headers=caseworker, json={"died_on": "2024-08-01"})
    )  # fmt: skip
    await _ok(
        await client.post(
            f"/participants/{mover}/transfer",
            headers=caseworker,
            json={"to_municipality": "0301", "moved_on": "2024-11-01"},
        )
    )
    rule = {
        "after": "programme_started",
        "met_by": "plan_revised",
        "days": 30,
        "label_nb": "Plan innen 30 dager",
        "label_en": "Plan within 30 days",
    }
    for code in ("plan-within-30-days", "plan-soon"):
        await _ok(
            await client.post("/deadlines/rules", headers=manager, json={**rule, "code": code})
        )
    await _ok(await client.delete("/deadlines/rules/plan-soon", headers=manager))
    await _ok(await client.delete(f"/participants/{erased}/personal-data", headers=officer))


async def test_each_own_read_model_rebuilt_equals_the_incremental_one(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await _journeys(client, settings)
    incremental = await _tables(settings)
    assert incremental["participant_summary"] and incremental["person_lookup"]
    assert incremental["households"] and incremental["municipal_transfers"]
    assert [r[1] for r in incremental["municipal_deadline_rules"]] == ["plan-within-30-days"]

    projections, store = service_projections("participants", settings)
    own = [p for p in projections if p.source == OWN_EVENTS]
    assert {p.name for p in own} == {
        "participant_summary", "person_lookup", "households", "municipal_transfers",
        "municipal_deadline_rules",
    }  # fmt: skip
    db = Database.for_service(settings, "participants", pool_size=1)
    try:
        counts = {p.name: await rebuild(db, store, p) for p in own}
        assert len(set(counts.values())) == 1 and counts["participant_summary"] > 20
        assert await _tables(settings) == incremental
        assert await rebuild_together(db, store, own) == counts["participant_summary"]
    finally:
        await db.dispose()
    assert await _tables(settings) == incremental
