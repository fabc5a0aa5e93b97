"""Every list that pages takes bounded offsets and limits: beyond them is a 422, never a 500.

The lists are found in each service's OpenAPI document, so a new list is covered as soon
as it declares an ``offset`` or ``limit`` query parameter.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

import httpx
import pytest

from shared.auth import AGENCY_ROLE, ROLES, issue_service_token
from shared.paging import MAX_LIMIT, MAX_OFFSET
from shared.settings import Settings
from tests.support import auth, running

SERVICES = ("participants", "housing", "matching", "indicators")


def _paged(openapi: dict[str, Any]) -> list[tuple[str, dict[str, dict[str, Any]]]]:
    """GET paths without path parameters, with their offset/limit query parameters."""
    found = []
    for path, operations in openapi["paths"].items():
        get = operations.get("get")
        if get is None or "{" in path:
            continue
        query = {p["name"]: p["schema"] for p in get.get("parameters", []) if p["in"] == "query"}
        paging = {name: query[name] for name in ("offset", "limit") if name in query}
        if paging:
            found.append((path, paging))
    return found


@pytest.mark.parametrize("service", SERVICES)
async def test_offsets_and_limits_are_bounded_everywhere(service: str, settings: Settings) -> None:
    app = importlib.import_module(f"services.{service}.app").create_app(settings)
    people = auth(settings, sorted(ROLES - {AGENCY_ROLE}), "3301")
    lists = _paged(app.openapi())
    if service in ("participants", "housing", "matching"):
        assert lists, f"{service} declares no paged list"
    # The catch-up feed answers service identities only (a person's token gets 403).
    feed = {"Authorization": f"Bearer {issue_service_token(settings, 'housing')}"}
    async with running(app) as client:
        for path, paging in lists:
            headers = feed if path == "/events" else people
            if "offset" in paging:
                assert paging["offset"].get("maximum", float("inf")) <= MAX_OFFSET, path
                await _refused(client, path, headers, "offset", str(2**63))
                await _refused(client, path, headers, "offset", str(MAX_OFFSET + 1))
                await _refused(client, path, headers, "offset", "-1")
                deepest = await client.get(path, params={"offset": MAX_OFFSET}, headers=headers)
                assert deepest.status_code == 200, (path, deepest.text)
            if "limit" in paging:
                assert paging["limit"].get("maximum", float("inf")) <= MAX_LIMIT, path
                await _refused(client, path, headers, "limit", "0")
                await _refused(client, path, headers, "limit", str(2**64))


async def _refused(
    client: httpx.AsyncClient, path: str, headers: dict[str, str], name: str, value: str
) -> None:
    response = await client.get(path, params={name: value}, headers=headers)
    assert response.status_code == 422, (path, name, value, response.text)
    fields = [e["field"] for e in response.json()["errors"]]
    assert any(re.fullmatch(rf"(query\.)?{name}", f) for f in fields), (path, fields)
