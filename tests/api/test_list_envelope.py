"""No list slips past the envelope: every GET that answers a list answers a :class:`Page`.

Read from each service's OpenAPI document, so a new list that answers a bare array, a
``{"count", "results"}`` of its own or takes an ``offset`` without the envelope fails here
before any client sees it.
"""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from shared.paging import Page
from shared.settings import Settings

SERVICES = ("participants", "housing", "matching", "indicators")

PAGE_FIELDS = frozenset(Page[Any].model_fields)

NOT_LISTS = {
    # The kit's catalogue of problem types: documentation every service serves alike
    # (a few dozen fixed entries, read whole by tools), not a resource list.
    "/problems": "problem-type catalogue",
    # Resources whose `count` is part of what they are (members counted), not a page size.
    "/households/{household_id}": "a household and its members",
    "/participants/{participant_id}/household": "a household and its members",
    # One person's history, given whole under the right of access (GDPR art. 15).
    "/participants/{participant_id}/personal-details/history": "right-of-access history",
    # Reports delivered whole (to NIR, to the benefit payroll): a page of one is no report.
    "/nir/dataset": "the yearly NIR dataset",
    "/nir/data-quality": "the NIR dataset's checks",
    "/benefit/{year}/{month}": "a month's benefit basis with totals",
}
"""GET paths whose answer may look like a list without being one, and why."""


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def page_schema(schema: dict[str, Any], components: dict[str, Any]) -> bool:
    """Whether ``schema`` is the envelope (or a model built on it)."""
    return PAGE_FIELDS <= set(_resolve(schema, components).get("properties", {}))


def answers(openapi: dict[str, Any]) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """Each GET's path, operation and 200 JSON schema."""
    found = []
    for path, operations in openapi["paths"].items():
        get = operations.get("get")
        if get is None:
            continue
        content = get.get("responses", {}).get("200", {}).get("content", {})
        schema = content.get("application/json", {}).get("schema")
        if schema is not None:
            found.append((path, get, schema))
    return found


def _openapi(service: str, settings: Settings) -> dict[str, Any]:
    app = importlib.import_module(f"services.{service}.app").create_app(settings)
    document: dict[str, Any] = app.openapi()
    return document


@pytest.mark.parametrize("service", SERVICES)
def test_no_get_answers_a_list_outside_the_envelope(service: str, settings: Settings) -> None:
    openapi = _openapi(service, settings)
    components = openapi.get("components", {}).get("schemas", {})
    outside = []
    for path, get, schema in answers(openapi):
        body = _resolve(schema, components)
        query = {p["name"] for p in get.get("parameters", []) if p["in"] == "query"}
        if path in NOT_LISTS or path == "/events":
            # /events is the service-to-service catch-up feed with its own cursor format.
            continue
        if body.get("type") == "array":
            outside.append((path, "a bare array"))
        elif {"results", "count"} & set(body.get("properties", {})) and not page_schema(
            body, components
        ):
            outside.append((path, "results/count outside the envelope"))
        elif "offset" in query and not page_schema(body, components):
            outside.append((path, "an offset without the envelope"))
    assert not outside, outside


@pytest.mark.parametrize("service", SERVICES)
def test_every_page_documents_count_as_deprecated(service: str, settings: Settings) -> None:
    openapi = _openapi(service, settings)
    components = openapi.get("components", {}).get("schemas", {})
    pages = [
        (path, _resolve(schema, components))
        for path, _, schema in answers(openapi)
        if page_schema(schema, components)
    ]
    assert pages, f"{service} has no list"
    for path, body in pages:
        properties = body["properties"]
        assert properties["count"].get("deprecated") is True, path
        assert not properties["results"].get("deprecated"), path
        assert set(body["required"]) >= {"results", "limit", "offset", "total", "next"}, path
        get = openapi["paths"][path]["get"]
        query = {p["name"]: p for p in get.get("parameters", []) if p["in"] == "query"}
        assert {"limit", "offset"} <= set(query), path
        # Every list says in which order it pages (see shared/paging.py).
        assert "Order: " in get.get("description", ""), path


def test_a_page_names_its_item_type() -> None:
    class Thing(Page[int]):
        pass

    schema = Thing.model_json_schema()
    assert schema["properties"]["results"]["items"] == {"type": "integer"}
    assert schema["properties"]["count"]["deprecated"] is True
