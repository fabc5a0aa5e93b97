"""Approving the plan over HTTP, as a manager does after changing it."""

from __future__ import annotations

from typing import Any

import httpx

from shared.settings import Settings
from tests.indicators.feeder import EventFeeder, Participants
from tests.indicators.people import settle
from tests.support import auth


async def approve(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    """Approve the plan's current version; the plan's status after."""
    status = (await client.get("/indicators/plan", headers=headers)).json()
    approved = await client.post(
        "/indicators/plan/approve", json={"version": status["current_version"]}, headers=headers
    )
    assert approved.status_code == 200, approved.text
    after = (await client.get("/indicators/plan", headers=headers)).json()
    assert after["status"] == "approved", after
    return dict(after)


async def adopt(client: httpx.AsyncClient, headers: dict[str, str], key: str) -> None:
    """Adopt the built-in indicator ``key`` into the plan (under its own key, as a draft)."""
    adopted = await client.post(
        "/indicators/definitions", json={"key": key, "from_catalogue": key}, headers=headers
    )
    assert adopted.status_code == 201, adopted.text


async def settled_and_approved(
    client: httpx.AsyncClient,
    feeder: EventFeeder,
    settings: Settings,
    municipality: str,
    settled: dict[int, int],
) -> tuple[dict[str, str], dict[str, str]]:
    """So many people settled in ``municipality`` in each year of ``settled``, applied,
    and ``persons_settled`` adopted into its approved plan; the headers of its manager and
    of an agency."""
    p = Participants(feeder)
    for year, count in settled.items():
        await settle(p, municipality, year, count)
    await feeder.wait_applied()
    manager = auth(settings, ["manager"], municipality)
    agency = auth(settings, ["agency"], "0301")
    await adopt(client, manager, "persons_settled")
    await approve(client, manager)
    return manager, agency
