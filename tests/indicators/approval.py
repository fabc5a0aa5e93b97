"""Approving the plan over HTTP, as a manager does after changing it."""

from __future__ import annotations

from typing import Any

import httpx


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
