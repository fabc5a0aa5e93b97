"""Unknown query parameters are refused (422 ``unknown-query-parameter`` naming each) on
every service's operations, while declared ones — also those a route reads by hand, as the
dashboard's pages — keep working; matching's filters keep their own ``unknown-filter``."""

from __future__ import annotations

import importlib
import inspect
import re

import pytest
from fastapi import routing
from fastapi.routing import APIRoute

from services.indicators.app import create_app as indicators_app
from services.participants.app import create_app as participants_app
from shared.query_params import declared_query_parameters
from shared.settings import SERVICES, Settings
from tests.kit.minimal_service import create_app as kit_app
from tests.support import auth, running, settled_participant, token


async def test_an_unknown_query_parameter_is_named_in_a_422(settings: Settings) -> None:
    async with running(kit_app(settings)) as client:
        fine = await client.get("/things/a", params={"q": "x"})
        assert fine.status_code == 200 and fine.json()["q"] == "x"

        refused = await client.get("/things/a", params={"q": "x", "qq": "1", "limit": "5"})
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        body = refused.json()
        assert body["code"] == "unknown-query-parameter"
        assert body["type"] == "https://veiviser.no/problems/unknown-query-parameter"
        assert body["errors"] == [
            {
                "field": name,
                "location": "query",
                "message": "not a parameter of this operation",
                "type": "unknown-query-parameter",
            }
            for name in ("limit", "qq")
        ]
        assert body["unknown"] == ["limit", "qq"] and body["known"] == ["q"]
        assert body["title"] == "Ukjent spørreparameter"
        assert body["detail"] == (
            "Operasjonen tar ikke imot disse spørreparameterne: limit, qq. Den tar imot: q."
        )
        english = await client.get("/things/a?qq=1", headers={"Accept-Language": "en"})
        assert english.json()["detail"] == ("Unknown query parameter: qq. This operation takes: q.")

        # Commands too, and before anything else is looked at.
        command = await client.post("/notes?dry_run=1", json={"text": "t"}, headers=auth(settings))
        assert command.status_code == 422 and command.json()["unknown"] == ["dry_run"]
        # A parameter read by hand, declared with reads_query.
        by_hand = await client.get("/by-hand", params={"colour": "red"})
        assert by_hand.json() == {"colour": "red"}
        assert (await client.get("/by-hand", params={"color": "red"})).status_code == 422


async def test_the_services_refuse_unknown_parameters_and_take_their_own(
    settings: Settings,
) -> None:
    headers = auth(settings)
    async with running(participants_app(settings)) as client:
        participant = await settled_participant(client, headers)
        timeline = await client.get(f"/participants/{participant}/timeline", headers=headers)
        assert timeline.status_code == 200
        typo = await client.get(
            f"/participants/{participant}/timeline", params={"lang": "en"}, headers=headers
        )
        assert typo.status_code == 422
        assert [e["field"] for e in typo.json()["errors"]] == ["lang"]


async def test_the_dashboard_pages_keep_reading_their_own_parameters(settings: Settings) -> None:
    manager = token(settings, ["manager"])
    async with running(indicators_app(settings, evaluation_interval=3600)) as client:
        client.cookies.set("veiviser_token", manager)
        page = await client.get("/dashboard", params={"lang": "en", "period": "2024"})
        assert page.status_code == 200, page.text
        assert page.headers["content-language"] == "en"
        plan = await client.get("/dashboard/plan", params={"saved": "1", "lang": "nn"})
        assert plan.status_code == 200, plan.text
        # ?token= is refused by the page itself (a redirect without it), as before.
        in_address = await client.get("/dashboard", params={"token": manager})
        assert in_address.status_code in (302, 303, 307), in_address.text
        odd = await client.get("/dashboard", params={"colour": "red"})
        assert odd.status_code == 422, odd.text
        assert "colour" in odd.text, odd.text[:2000]


@pytest.mark.parametrize("service", SERVICES)
def test_every_operation_declares_what_it_reads_by_hand(service: str, settings: Settings) -> None:
    """A route whose endpoint reads ``request.query_params.get("x")`` has declared ``x``
    (``reads_query``) or checks its parameters itself (``refuses_unknown_query``)."""
    app = importlib.import_module(f"services.{service}.app").create_app(settings)
    operations = 0
    for context in routing.iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute):
            continue
        operations += 1
        declared = declared_query_parameters(route)
        if declared is None:
            continue
        source = inspect.getsource(route.endpoint)
        read = set(re.findall(r"query_params\.get\(\s*\"([^\"]+)\"", source))
        assert read <= declared, (route.path, read - declared)
    assert operations > 10
