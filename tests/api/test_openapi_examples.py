"""Every command in the four OpenAPI documents has a request and a response example that a
front-end can copy: valid against its schema, and accepted by the service's validation.

The documents come from the services' apps (the same pipeline ``/openapi.json`` serves);
the examples are checked with JSON Schema 2020-12 (the dialect of OpenAPI 3.1) with
``$ref`` resolved inside the document and the formats date, date-time, uuid and email
checked. Then each request example is sent to the running service (real PostgreSQL and
NATS) with a token holding every municipal role: the answer may be a 404 (the example's
ids name nothing in a fresh database) or a rule's 409/422, but never a validation error
of the body itself — that would mean the example does not fit what the service accepts.
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import jsonschema
import pytest
from fastapi import FastAPI

from shared.auth import AGENCY_ROLE, ROLES
from shared.examples import COMMANDS, PROBLEM_JSON, ExampleBuilder, Examples
from shared.openapi import RESPONSE_NAMES
from shared.rules import catalogue
from shared.settings import Settings
from tests.support import auth, running

SERVICES = ("participants", "housing", "matching", "indicators")
JSON_TYPES = ("application/json", "application/problem+json")

FORMATS = jsonschema.FormatChecker(formats=("uuid", "email"))


def _is_date(value: object) -> bool:
    return not isinstance(value, str) or (
        re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) is not None
        and date.fromisoformat(value) is not None
    )


def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", value):
        return datetime.fromisoformat(value) is not None
    return False


FORMATS.checks("date", raises=ValueError)(_is_date)
FORMATS.checks("date-time", raises=ValueError)(_is_date_time)


def _app(service: str, settings: Settings) -> FastAPI:
    app: FastAPI = importlib.import_module(f"services.{service}.app").create_app(settings)
    return app


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "responses" in operation:
                yield path, method, operation


def _success(operation: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    for status in sorted(operation["responses"]):
        if status.startswith("2"):
            return status, operation["responses"][status]
    return None


def _errors(document: dict[str, Any], schema: dict[str, Any], example: Any) -> list[str]:
    """Where ``example`` breaks ``schema`` (its ``$ref``s resolved inside ``document``)."""
    rooted = {**schema, "components": document.get("components", {})}
    validator = jsonschema.Draft202012Validator(rooted, format_checker=FORMATS)
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message[:200]}"
        for error in validator.iter_errors(example)
    ]


def _resolved(document: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
    """A response, or the shared one (``components.responses``) its ``$ref`` names."""
    ref = response.get("$ref")
    if ref is None:
        return response
    found: dict[str, Any] = document["components"]["responses"][str(ref).rsplit("/", 1)[-1]]
    return found


def _media_examples(label: str, body: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    if "example" in body:
        yield label, body["example"]
    for name, named in (body.get("examples") or {}).items():
        yield f"{label} ({name})", named["value"]


def _examples(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], Any]]:
    """Every example in the document's request bodies and responses (the shared 4xx
    responses' named examples too), with its schema."""
    for path, method, operation in _operations(document):
        label = f"{method.upper()} {path}"
        for media, body in operation.get("requestBody", {}).get("content", {}).items():
            for where, example in _media_examples(f"{label} request {media}", body):
                yield where, body.get("schema", {}), example
        for status, response in operation["responses"].items():
            if "$ref" in response:
                continue
            for media, body in (response.get("content") or {}).items():
                for where, example in _media_examples(f"{label} {status} {media}", body):
                    yield where, body.get("schema", {}), example
    for name, response in document.get("components", {}).get("responses", {}).items():
        for media, body in (response.get("content") or {}).items():
            for where, example in _media_examples(f"response {name} {media}", body):
                yield where, body.get("schema", {}), example


@pytest.mark.parametrize("service", SERVICES)
def test_every_command_has_a_request_and_a_response_example(
    service: str, settings: Settings
) -> None:
    document = _app(service, settings).openapi()
    missing = []
    commands = 0
    for path, method, operation in _operations(document):
        if method not in COMMANDS:
            continue
        commands += 1
        label = f"{method.upper()} {path}"
        for media, body in operation.get("requestBody", {}).get("content", {}).items():
            if "example" not in body and "examples" not in body:
                missing.append(f"{label}: request {media}")
        success = _success(operation)
        assert success is not None, f"{label} documents no success response"
        status, response = success
        for media, body in (response.get("content") or {}).items():
            if "example" not in body and "examples" not in body:
                missing.append(f"{label}: {status} {media}")
        for status, response in operation["responses"].items():
            if not status.startswith("4"):
                continue
            for media, body in (_resolved(document, response).get("content") or {}).items():
                if media in JSON_TYPES and "example" not in body and "examples" not in body:
                    missing.append(f"{label}: {status} {media}")
    assert commands > 0
    assert not missing, f"{len(missing)} example(s) missing in {service}:\n" + "\n".join(missing)


@pytest.mark.parametrize("service", SERVICES)
def test_every_example_is_valid_against_its_schema(service: str, settings: Settings) -> None:
    document = _app(service, settings).openapi()
    invalid = []
    checked = 0
    for label, schema, example in _examples(document):
        if not schema:
            continue
        checked += 1
        invalid += [f"{label}: {error}" for error in _errors(document, schema, example)]
    assert checked > 0
    assert not invalid, f"{len(invalid)} invalid example(s) in {service}:\n" + "\n".join(invalid)


@pytest.mark.parametrize("service", SERVICES)
def test_every_declaration_names_something_the_document_has(
    service: str, settings: Settings
) -> None:
    """A renamed schema or route, or a mistyped rule code, would silently fall back to
    generated examples: each declared name must exist (and each rule answer its status)."""
    app = _app(service, settings)
    document = app.openapi()
    declared: Examples = app.state.openapi_examples
    components = set(document["components"]["schemas"])
    operations = {f"{method.upper()} {path}" for path, method, _ in _operations(document)}
    assert declared is not None
    unknown = [f"schema {name}" for name in declared.schemas if name not in components]
    unknown += [f"operation {key}" for key in declared.operations if key not in operations]
    for key, example in declared.operations.items():
        for status, code in example.rules.items():
            rule = catalogue.rules.get(code)
            if rule is None or rule.status != status:
                unknown.append(f"{key}: rule {code} does not answer {status}")
                continue
            shared = document["components"]["responses"][RESPONSE_NAMES[status]]
            if code not in shared["content"][PROBLEM_JSON].get("examples", {}):
                unknown.append(f"{key}: no example of {code} on the shared {status} response")
    assert not unknown, f"{service}: " + "; ".join(unknown)


def test_the_checker_refuses_an_example_that_breaks_its_schema(settings: Settings) -> None:
    """The check above can fail: a settlement without its date, a wrong date and an
    unknown arrival category are each found."""
    document = _app("participants", settings).openapi()
    body = document["paths"]["/participants/{participant_id}/settlement"]["post"]["requestBody"]
    schema = body["content"]["application/json"]["schema"]
    good = body["content"]["application/json"]["example"]
    assert _errors(document, schema, good) == []
    assert _errors(document, schema, {k: v for k, v in good.items() if k != "settled_on"})
    assert _errors(document, schema, {**good, "settled_on": "2024-02-30"})
    assert _errors(document, schema, {**good, "arrival_category": "tourist"})


def _body_refused(answer: dict[str, Any], path_names: set[str]) -> list[dict[str, Any]]:
    """The body's own validation errors in a 422: a rule's 422 names its rule ``code``; an
    error about a query or path parameter (an unknown indicator key) is not the body's, nor
    is an id in the body that names nothing in a fresh database (``unknown_employer``)."""
    if answer.get("code") != "validation-error":
        return []
    return [
        e
        for e in answer.get("errors") or []
        if e.get("location", "body") == "body"
        and e.get("field") not in path_names
        and not str(e.get("type", "")).startswith("unknown_")
    ]


@pytest.mark.parametrize("service", SERVICES)
async def test_every_request_example_passes_the_services_validation(
    service: str, settings: Settings
) -> None:
    app = _app(service, settings)
    document = app.openapi()
    declared: Examples = app.state.openapi_examples or Examples()
    builder = ExampleBuilder(document, declared)
    headers = auth(settings, sorted(ROLES - {AGENCY_ROLE}), "3301")
    refused = []
    sent = 0
    async with running(app) as client:
        for path, method, operation in _operations(document):
            content = operation.get("requestBody", {}).get("content", {})
            for media, body in content.items():
                if "example" not in body:
                    continue
                example = body["example"]
                url = builder.url(method, path, operation)
                payload = (
                    {"json": example}
                    if media == "application/json"
                    else {"content": str(example).encode()}
                )
                response = await client.request(
                    method.upper(),
                    url,
                    headers={**headers, "Content-Type": media},
                    **payload,
                )
                sent += 1
                label = f"{method.upper()} {url} ({media})"
                assert response.status_code < 500, f"{label}: {response.text[:500]}"
                if response.status_code == 422:
                    names = {p["name"] for p in operation.get("parameters", [])}
                    errors = _body_refused(response.json(), names)
                    if errors:
                        refused.append(f"{label}: {json.dumps(errors, ensure_ascii=False)}")
    assert sent > 0
    assert not refused, f"{len(refused)} example(s) refused by {service}:\n" + "\n".join(refused)
