"""Concurrent allocations over HTTP: exactly one wins, the others learn why."""

from __future__ import annotations

import asyncio

import httpx

from services.housing.app import create_app as housing_app
from shared.settings import Settings
from tests.housing.helpers import (
    accepted_application,
    count,
    dwelling,
    officer,
    settled_households,
)
from tests.support import running


async def _at_once(
    client: httpx.AsyncClient, headers: dict[str, str], allocations: list[tuple[str, str]]
) -> list[httpx.Response]:
    """Every (application, dwelling) allocation from 1 March 2020, all sent at the same time."""
    return await asyncio.gather(
        *(
            client.post(
                "/housing/placements",
                headers=headers,
                json={
                    "application_id": application_id,
                    "dwelling_id": dwelling_id,
                    "starts_on": "2020-03-01",
                },
            )
            for application_id, dwelling_id in allocations
        )
    )


async def test_one_dwelling_allocated_to_eight_households_at_once(settings: Settings) -> None:
    headers = officer(settings)
    async with running(housing_app(settings)) as client:
        households = await settled_households(client, settings, [2] * 8)
        flat = await dwelling(client, settings, rooms=3)
        applications = [await accepted_application(client, settings, h) for h in households]
        responses = await _at_once(
            client, headers, [(a["application_id"], flat["dwelling_id"]) for a in applications]
        )
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [201] + [409] * 7, [r.text for r in responses]
        for refused in (r for r in responses if r.status_code == 409):
            assert "already occupied" in refused.json()["detail_en"]
        winner = next(r.json() for r in responses if r.status_code == 201)
        current = (
            await client.get(f"/housing/dwellings/{flat['dwelling_id']}", headers=headers)
        ).json()
        assert current["current_placement_id"] == winner["placement_id"]
        waiting = (await client.get("/housing/waiting-list", headers=headers)).json()
        assert waiting["households_waiting"] == 7
    assert (
        await count(settings, "SELECT count(*) FROM events WHERE type LIKE '%placement.started%'")
        == 1
    )
    assert await count(settings, "SELECT count(*) FROM placements") == 1
    assert (
        await count(settings, "SELECT count(*) FROM outbox WHERE subject LIKE '%dwelling.changed'")
        == 1
    )


async def test_one_household_allocated_two_dwellings_at_once(settings: Settings) -> None:
    headers = officer(settings)
    async with running(housing_app(settings)) as client:
        (household,) = await settled_households(client, settings, [2])
        flats = [await dwelling(client, settings, address=f"Gate {n}") for n in range(4)]
        application = await accepted_application(client, settings, household)
        responses = await _at_once(
            client,
            headers,
            [(application["application_id"], flat["dwelling_id"]) for flat in flats],
        )
        assert sorted(r.status_code for r in responses) == [201, 409, 409, 409]
        stock = (await client.get("/housing/stock", headers=headers)).json()
        assert stock["total"]["occupied"] == 1 and stock["total"]["vacant"] == 3


async def test_a_retried_allocation_with_its_idempotency_key_returns_the_first_answer(
    settings: Settings,
) -> None:
    async with running(housing_app(settings)) as client:
        (household,) = await settled_households(client, settings, [2])
        flat = await dwelling(client, settings)
        application = await accepted_application(client, settings, household)
        headers = {**officer(settings), "Idempotency-Key": "allocate-once"}
        body = {
            "application_id": application["application_id"],
            "dwelling_id": flat["dwelling_id"],
            "starts_on": "2020-03-01",
        }
        first, again = await asyncio.gather(
            client.post("/housing/placements", headers=headers, json=body),
            client.post("/housing/placements", headers=headers, json=body),
        )
        assert first.status_code == again.status_code == 201
        assert first.json() == again.json()
        assert {
            first.headers.get("idempotent-replayed"),
            again.headers.get("idempotent-replayed"),
        } == {
            None,
            "true",
        }
        other = await client.post(
            "/housing/placements", headers=headers, json={**body, "starts_on": "2020-03-02"}
        )
        assert other.status_code == 422 and other.json()["errors"][0]["field"] == "Idempotency-Key"
    assert await count(settings, "SELECT count(*) FROM placements") == 1
