"""Fixtures for the participants service tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import asyncpg
import httpx
import pytest

from services.participants.app import create_app
from shared.settings import Settings
from tests.support import auth, national_id, running


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with running(create_app(settings)) as http:
        yield http


@pytest.fixture
def caseworker(settings: Settings) -> dict[str, str]:
    return auth(settings, ["caseworker"])


def person(
    birth: date = date(1991, 6, 14), *, d_number: bool = False, **extra: Any
) -> dict[str, Any]:
    return {
        "given_name": "Amina",
        "family_name": "Haile",
        "birth_date": birth.isoformat(),
        "national_id": national_id(birth, d_number=d_number),
        **extra,
    }


async def database_text(settings: Settings) -> str:
    """Every row of every table of the participants database, as text."""
    conn = await asyncpg.connect(settings.service_database_url("participants", driver="postgresql"))
    try:
        tables = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        dumps = []
        for table in tables:
            rows = await conn.fetch(f'SELECT t::text AS row FROM "{table["tablename"]}" t')
            dumps += [row["row"] for row in rows]
        return "\n".join(dumps)
    finally:
        await conn.close()


async def event_types(settings: Settings, pid: str) -> list[str]:
    """The type names of the participant's events, in stream order."""
    conn = await asyncpg.connect(settings.service_database_url("participants", driver="postgresql"))
    try:
        rows = await conn.fetch(
            "SELECT type FROM events WHERE stream_id = $1 ORDER BY version", pid
        )
    finally:
        await conn.close()
    return [row["type"] for row in rows]


async def registered_and_settled(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    details: dict[str, Any] | None = None,
    **settlement: Any,
) -> str:
    """The id of a person registered with ``details`` (by default ``person`` with a
    D-number) and settled: on 10 January 2024 as a resettlement refugee unless
    ``settlement`` says otherwise."""
    registration = details if details is not None else person(d_number=True)
    created = await client.post("/participants", headers=headers, json=registration)
    assert created.status_code == 201, created.text
    pid = str(created.json()["id"])
    body = {"settled_on": "2024-01-10", "arrival_category": "resettlement_refugee", **settlement}
    settled = await client.post(f"/participants/{pid}/settlement", headers=headers, json=body)
    assert settled.status_code == 201, settled.text
    return pid
