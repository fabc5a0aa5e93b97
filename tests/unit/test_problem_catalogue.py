"""Every rule code a service declares is listed in its OpenAPI and at /problems."""

from __future__ import annotations

import httpx
import pytest
from fastapi import APIRouter, FastAPI

from shared.events import EventRegistry
from shared.http import problem_responses
from shared.rules import catalogue, rule
from shared.service import ServiceDefinition, build_app
from shared.settings import Settings

EXAMPLE = rule("example-overlap", 409, "Example periods overlap", service="example")


def example_app() -> FastAPI:
    router = APIRouter()

    @router.post("/things", responses=problem_responses(409, 422))
    async def make_thing() -> dict[str, str]:
        raise EXAMPLE.violation("never", "thing")

    definition = ServiceDefinition(
        name="example",
        title="Example",
        description="",
        registry=EventRegistry(),
        routers=[router],
    )
    return build_app(definition, Settings(env="development", log_level="WARNING"))


async def test_rule_codes_are_in_the_openapi_and_at_problems() -> None:
    app = example_app()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        schema = (await client.get("/openapi.json")).json()
        listed = (await client.get("/problems")).json()
        refused = await client.post("/things")
    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["code"] == "example-overlap"
    assert refused.json()["type"] == "https://veiviser.no/problems/example-overlap"
    assert refused.json()["errors"][0]["field"] == "thing"
    codes = {entry["code"] for entry in schema["info"]["x-problem-codes"]}
    assert "example-overlap" in codes
    assert {"future-fact", "date-out-of-range", "unknown-code"} <= codes
    assert [e["code"] for e in listed] == sorted(codes)
    entry = next(e for e in listed if e["code"] == "example-overlap")
    assert entry == {
        "code": "example-overlap",
        "type": "https://veiviser.no/problems/example-overlap",
        "status": 409,
        "title": "Example periods overlap",
        "description": "",
        "service": "example",
    }
    assert (
        "example-overlap"
        in (schema["components"]["schemas"]["ProblemDetails"]["properties"]["code"]["description"])
    )


def test_a_code_cannot_mean_two_things() -> None:
    with pytest.raises(ValueError, match="declared twice"):
        rule("example-overlap", 422, "Something else", service="example")
    with pytest.raises(ValueError, match="409 or 422"):
        catalogue.declare("example-teapot", 418, "Teapot")


def test_a_violation_names_fields_and_dates() -> None:
    from datetime import date

    violation = EXAMPLE.violation("overlaps", "starts_on", starts_on=date(2025, 1, 2))
    assert violation.code == "example-overlap"
    assert violation.status == 409
    assert violation.fields == ("starts_on",)
    assert violation.facts == {"starts_on": "2025-01-02"}


def test_the_readme_lists_every_rule_code_of_the_four_services() -> None:
    import importlib
    from pathlib import Path

    from shared.problem_docs import markdown_table
    from shared.settings import SERVICES

    for service in SERVICES:
        importlib.import_module(f"services.{service}.app")
    table = markdown_table(list(SERVICES))
    committed = Path(__file__).parents[2] / "docs" / "problem-codes.md"
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    assert committed.read_text() == table, (
        "regenerate docs/problem-codes.md: python -c 'from tests.unit.test_problem_catalogue "
        "import write_table; write_table()'"
    )
    assert table.strip() in readme, "paste docs/problem-codes.md into README.md"


def write_table() -> None:
    import importlib
    from pathlib import Path

    from shared.problem_docs import markdown_table
    from shared.settings import SERVICES

    for service in SERVICES:
        importlib.import_module(f"services.{service}.app")
    (Path(__file__).parents[2] / "docs" / "problem-codes.md").write_text(
        markdown_table(list(SERVICES))
    )


def test_a_code_two_services_declare_keeps_each_services_own_description() -> None:
    # Which service's module is imported first must not decide what the other's
    # /problems and OpenAPI document say.
    first = rule("example-shared", 409, "Shared example", "example-a", "As example-a says it.")
    second = rule("example-shared", 409, "Shared example", "example-b", "As example-b says it.")
    assert first.description == "As example-a says it."
    assert second.description == "As example-b says it."
    described = {
        service: [
            r.description for r in catalogue.for_service(service) if r.code == "example-shared"
        ]
        for service in ("example-a", "example-b")
    }
    assert described == {
        "example-a": ["As example-a says it."],
        "example-b": ["As example-b says it."],
    }
    assert catalogue.find("example-shared", "example-b") is second
