"""Every list pages the same way, and takes bounded offsets and limits.

Beyond the bounds is a 422, never a 500. The lists are found in each service's OpenAPI
document (a 200 answer that is the :class:`shared.paging.Page` envelope), so a new list is
covered as soon as it is declared: each service's test walks every list on data created
through the API, one item a page, following ``next`` to the end.
"""

from __future__ import annotations

import importlib
import re
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from services.housing.app import create_app as create_housing
from services.indicators.app import create_app as create_indicators
from services.matching.app import create_app as create_matching
from services.participants.app import create_app as create_participants
from shared.auth import AGENCY_ROLE, ROLES, issue_service_token
from shared.paging import MAX_LIMIT, MAX_OFFSET
from shared.settings import Settings
from tests.api.test_list_envelope import answers, page_schema
from tests.housing.helpers import apply_for_housing, dwelling, settled_households
from tests.indicators.approval import approve
from tests.matching.support import (
    Participants,
    esco_occupation,
    propose,
    publish_opening,
    register_employer,
    wait_for_candidates,
)
from tests.support import auth, eventually, registration, running

SERVICES = ("participants", "housing", "matching", "indicators")

REQUIRED = {
    "/housing/reports/owners-per-year": {"from_year": "2020", "to_year": "2021"},
    "/housing/reports/evictions-per-year": {"from_year": "2020", "to_year": "2021"},
}
"""Values for the query parameters a paged list requires."""


def _paged(openapi: dict[str, Any]) -> list[tuple[str, dict[str, dict[str, Any]], set[str]]]:
    """GET paths without path parameters, with their offset/limit query parameters and the
    names of the query parameters they require."""
    found = []
    for path, operations in openapi["paths"].items():
        get = operations.get("get")
        if get is None or "{" in path:
            continue
        query = {p["name"]: p["schema"] for p in get.get("parameters", []) if p["in"] == "query"}
        paging = {name: query[name] for name in ("offset", "limit") if name in query}
        required = {
            p["name"]
            for p in get.get("parameters", [])
            if p["in"] == "query" and p.get("required", False)
        }
        if paging:
            found.append((path, paging, required))
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
        for path, paging, required in lists:
            headers = feed if path == "/events" else people
            given = REQUIRED.get(path, {})
            assert set(given) == required, (path, "give REQUIRED values for", required)
            if "offset" in paging:
                assert paging["offset"].get("maximum", float("inf")) <= MAX_OFFSET, path
                await _refused(client, path, headers, "offset", str(2**63))
                await _refused(client, path, headers, "offset", str(MAX_OFFSET + 1))
                await _refused(client, path, headers, "offset", "-1")
                deepest = await client.get(
                    path, params={**given, "offset": MAX_OFFSET}, headers=headers
                )
                assert deepest.status_code == 200, (path, deepest.text)
                assert deepest.json()["results"] == [] and deepest.json()["next"] is None, path
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


# --- Every list pages the same way: walked on real data created through the API. -------


@dataclass(frozen=True)
class Walk:
    """One list to walk: the concrete path, the filters to carry, who asks, and how many
    items the data created for the test puts in it at least."""

    path: str
    params: dict[str, str]
    headers: dict[str, str]
    at_least: int


def page_lists(openapi: dict[str, Any]) -> set[str]:
    """The GET paths whose 200 answer is the envelope (the lists, as OpenAPI shows them)."""
    components = openapi.get("components", {}).get("schemas", {})
    return {path for path, _, schema in answers(openapi) if page_schema(schema, components)}


async def walk(client: httpx.AsyncClient, listed: Walk, largest: int) -> None:
    """Follow ``next`` one item at a time and check the pages against one whole page (of
    the list's ``largest`` limit)."""
    whole = await client.get(
        listed.path, params={**listed.params, "limit": largest}, headers=listed.headers
    )
    assert whole.status_code == 200, (listed.path, whole.text)
    everything = whole.json()
    total = everything["total"]
    assert everything["next"] is None, listed.path
    assert everything["count"] == len(everything["results"]), listed.path
    if total is not None:
        assert total == len(everything["results"]), listed.path
    assert len(everything["results"]) >= listed.at_least, (listed.path, everything)

    seen: list[Any] = []
    link: str | None = None
    answer = await client.get(
        listed.path, params={**listed.params, "limit": 1}, headers=listed.headers
    )
    while True:
        assert answer.status_code == 200, (listed.path, link, answer.text)
        body = answer.json()
        assert (body["limit"], body["offset"]) == (1, len(seen)), (listed.path, body)
        assert body["count"] == len(body["results"]) <= 1, (listed.path, body)
        assert body["total"] == total, (listed.path, body)
        seen.extend(body["results"])
        link = body["next"]
        if link is None:
            break
        # A relative link to the same list, with the same filters and the next offset.
        assert link.startswith(f"{listed.path}?"), (listed.path, link)
        query = dict(parse_qsl(urlsplit(link).query))
        assert query == {**listed.params, "limit": "1", "offset": str(len(seen))}, link
        assert len(seen) <= len(everything["results"]), (listed.path, "next past the end")
        answer = await client.get(link, headers=listed.headers)
    # Every item exactly once, in the list's order; the last page's next is null.
    assert seen == everything["results"], listed.path


async def _check_lists(
    client: httpx.AsyncClient, openapi: dict[str, Any], walks: dict[str, Walk]
) -> None:
    # A list the test does not walk fails here: a new list gets data and a walk.
    assert set(walks) == page_lists(openapi)
    for template, listed in walks.items():
        get = openapi["paths"][template]["get"]
        [limit] = [p["schema"] for p in get["parameters"] if p["name"] == "limit"]
        assert limit["maximum"] <= MAX_LIMIT, template
        await walk(client, listed, limit["maximum"])


def _everyone(settings: Settings, municipality: str = "3301") -> dict[str, str]:
    return auth(settings, sorted(ROLES - {AGENCY_ROLE}), municipality)


async def _created(response: httpx.Response, status: int = 201) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_participants_lists_page_alike(settings: Settings) -> None:
    served = settings.model_copy(update={"served_municipalities": "3301,0301"})
    app = create_participants(served)
    headers, oslo = _everyone(served), _everyone(served, "0301")
    async with running(app) as client:
        pids = []
        for year in (1981, 1982, 1983, 1984, 1985):
            body = registration(date(year, 3, 4))
            pid = (await _created(await client.post("/participants", headers=headers, json=body)))[
                "id"
            ]
            await _created(
                await client.post(
                    f"/participants/{pid}/settlement",
                    headers=headers,
                    json={"settled_on": "2024-12-02", "arrival_category": "resettlement_refugee"},
                )
            )
            await _created(
                await client.post(
                    f"/participants/{pid}/programme",
                    headers=headers,
                    json={"kind": "introduction", "starts_on": "2025-01-06", "adviser": "h6"},
                )
            )
            pids.append(pid)
        unsettled = registration(date(1986, 3, 4))
        await _created(await client.post("/participants", headers=headers, json=unsettled))
        for _ in range(2):
            await _created(
                await client.post(
                    f"/participants/{pids[0]}/employer-consents",
                    headers=headers,
                    json={"employer_id": str(uuid.uuid4())},
                )
            )
        for pid in pids[3:]:
            await _created(
                await client.post(
                    f"/participants/{pid}/transfer",
                    headers=headers,
                    json={"to_municipality": "0301", "moved_on": "2025-03-03"},
                )
            )

        async def delivered() -> bool:
            incoming = await client.get("/transfers/incoming", headers=oslo)
            return bool(incoming.json()["total"] == 2)

        await eventually(delivered)
        await _check_lists(
            client,
            app.openapi(),
            {
                "/participants": Walk("/participants", {"status": "in_programme"}, headers, 3),
                "/advisers/{adviser}/caseload": Walk("/advisers/h6/caseload", {}, headers, 3),
                "/participants/{participant_id}/employer-consents": Walk(
                    f"/participants/{pids[0]}/employer-consents", {}, headers, 2
                ),
                "/transfers/incoming": Walk("/transfers/incoming", {"status": "pending"}, oslo, 2),
                "/transfers/outgoing": Walk("/transfers/outgoing", {}, headers, 2),
                # Last: the walks above read pids[0]'s personal data, and each read is audited.
                "/participants/{participant_id}/audit": Walk(
                    f"/participants/{pids[0]}/audit", {}, headers, 3
                ),
            },
        )
        # The filter counts: three still in a programme here, six registered in all.
        in_programme = await client.get(
            "/participants", params={"status": "in_programme"}, headers=headers
        )
        assert in_programme.json()["total"] == 3
        assert (await client.get("/participants", headers=headers)).json()["total"] == 6


async def test_housing_lists_page_alike(settings: Settings) -> None:
    app = create_housing(settings)
    headers = _everyone(settings)
    async with running(app) as client:
        for rooms in (2, 3, 4):
            await dwelling(client, settings, rooms=rooms)
        await dwelling(client, settings, district="Vest")
        for household_id in await settled_households(client, settings, [2, 3, 4]):
            await apply_for_housing(client, settings, household_id, "2020-02-01")
        years = {"from_year": "2020", "to_year": "2022"}
        await _check_lists(
            client,
            app.openapi(),
            {
                "/housing/dwellings": Walk(
                    "/housing/dwellings", {"district": "Sentrum"}, headers, 3
                ),
                "/housing/waiting-list": Walk(
                    "/housing/waiting-list", {"on": "2024-06-01"}, headers, 3
                ),
                "/housing/reports/owners-per-year": Walk(
                    "/housing/reports/owners-per-year", years, headers, 3
                ),
                "/housing/reports/evictions-per-year": Walk(
                    "/housing/reports/evictions-per-year", years, headers, 3
                ),
            },
        )


async def test_matching_lists_page_alike(settings: Settings) -> None:
    app = create_matching(settings)
    headers = _everyone(settings)
    cook = esco_occupation()[0]
    participants = Participants(settings)
    people = [uuid.uuid4() for _ in range(3)]
    for person in people:
        await participants.profile(person, skills=list(cook.essential_skills))
    async with running(app) as client:
        agreements = [
            {"description": f"Avtale {n}", "target_share": 0.5 + n / 10} for n in range(3)
        ]
        employer = await register_employer(client, headers, agreements=agreements)
        await register_employer(
            client, headers, name="Bakeriet AS", organisation_number="987654325"
        )
        openings = [await publish_opening(client, headers, employer, cook) for _ in range(2)]
        await publish_opening(client, headers, employer, cook, kind="work_training")
        await wait_for_candidates(client, headers, *people)
        for person in people:
            await propose(client, headers, person, openings[0])
        for name in ("Ingrid", "Ola", "Kari"):
            volunteer = await _created(
                await client.post("/volunteers", headers=headers, json=_volunteer(name))
            )
            await _created(
                await client.post(
                    f"/volunteers/{volunteer['id']}/approval",
                    headers=headers,
                    json={"approved_on": "2025-02-01"},
                ),
                200,
            )
        await _check_lists(
            client,
            app.openapi(),
            {
                "/employers": Walk("/employers", {}, headers, 2),
                "/employers/{employer_id}/agreements": Walk(
                    f"/employers/{employer}/agreements", {}, headers, 3
                ),
                "/openings": Walk("/openings", {"kind": "language_practice"}, headers, 2),
                "/candidates": Walk("/candidates", {}, headers, 3),
                "/matches": Walk("/matches", {"opening_id": openings[0]}, headers, 3),
                "/volunteers": Walk("/volunteers", {}, headers, 3),
                "/volunteers/keep-warm": Walk(
                    "/volunteers/keep-warm", {"weeks": "4", "on": "2025-06-20"}, headers, 3
                ),
            },
        )


def _volunteer(name: str) -> dict[str, Any]:
    return {
        "consent": True,
        "consented_on": "2025-01-10",
        "personal": {"name": name, "phone": "+47 911 22 333", "gender": "female"},
        "roles": ["guide"],
        "languages": ["ar", "nb"],
        "skills": [],
        "municipality_code": "3301",
        "areas": ["Strømsø"],
        "slots": [{"weekday": 1, "part": "evening"}],
        "available_from": "2025-01-15",
        "capacity": 1,
    }


async def test_indicators_lists_page_alike(settings: Settings) -> None:
    app = create_indicators(settings)
    headers = _everyone(settings)
    async with running(app) as client:
        for key in ("persons_settled", "exit_work"):
            await _created(
                await client.post(
                    "/indicators/definitions",
                    json={"key": key, "from_catalogue": key},
                    headers=headers,
                )
            )
        for n in range(3):
            await _created(
                await client.post(
                    "/indicators/goals",
                    headers=headers,
                    json={
                        "key": f"kp-mal-{n}",
                        "plan_level": "kommuneplan",
                        "title_nb": f"Mål {n}",
                        "title_en": f"Goal {n}",
                        "owner_unit": "Kommunedirektøren",
                        "from_year": 2024,
                        "to_year": 2026,
                        "indicator_keys": [],
                    },
                )
            )
        await approve(client, headers)
        for period in ("2019", "2020", "2020"):
            said = {"period": period, "text": "Færre bosatt enn vedtatt.", "level": "not_approved"}
            await _created(
                await client.post(
                    "/indicators/definitions/persons_settled/comments", json=said, headers=headers
                )
            )
        await _created(await client.post("/indicators/evaluations", headers=headers), 200)
        await _check_lists(
            client,
            app.openapi(),
            {
                "/indicators/rules": Walk("/indicators/rules", {}, headers, 2),
                "/indicators/catalogue": Walk("/indicators/catalogue", {}, headers, 2),
                "/indicators/definitions": Walk(
                    "/indicators/definitions", {"draft": "true"}, headers, 2
                ),
                "/indicators/goals": Walk("/indicators/goals", {"draft": "true"}, headers, 3),
                "/indicators/definitions/{key}/comments": Walk(
                    "/indicators/definitions/persons_settled/comments",
                    {"period": "2020"},
                    headers,
                    2,
                ),
                "/indicators/levels": Walk("/indicators/levels", {}, headers, 0),
                "/indicators/reports/locked": Walk("/indicators/reports/locked", {}, headers, 0),
            },
        )
