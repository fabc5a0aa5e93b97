"""The OpenAPI documents are ones a generator and Swagger UI can use.

Readable unique operation ids, a bearer-JWT scheme with ``security`` on every operation
(empty on the open ones), a tag and a summary on each, servers, licence and contact,
and every 4xx an operation can answer listed as problem details with the rule codes of
that status. The merged document: business paths as they are, the shared ones under
``/_services/{service}``, one owner per first path segment.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from deploy.services import create_app
from shared.openapi import (
    API_VERSION,
    BEARER_SCHEME,
    LICENSE,
    PROBLEM_JSON,
    RESPONSE_NAMES,
    build_document,
    merge_documents,
    operations,
    path_owners,
)
from shared.problem_docs import service_rules
from shared.settings import DEFAULT_PORTS, SERVICES, Settings

OPEN_PATHS = {
    "/healthz",
    "/readyz",
    "/metrics",
    "/problems",
    "/asyncapi.json",
    "/events/schemas/{type_name}.json",
}
OPERATION_ID = re.compile(r"^[a-z][A-Za-z0-9]+$")


@pytest.fixture(scope="module")
def documents() -> dict[str, dict[str, Any]]:
    return {
        service: build_document(create_app(service, Settings(env="development")), service)
        for service in SERVICES
    }


@pytest.fixture(scope="module")
def merged(documents: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return merge_documents(documents)


def _resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if ref is None:
        return node
    _, _, kind, name = ref.split("/", 3)
    resolved: dict[str, Any] = document["components"][kind][name]
    return resolved


@pytest.mark.parametrize("service", SERVICES)
def test_operation_ids_are_camel_case_and_unique(
    documents: dict[str, dict[str, Any]], service: str
) -> None:
    ids = [op["operationId"] for _p, _m, op in operations(documents[service])]
    assert [i for i in ids if not OPERATION_ID.match(i)] == []
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


def test_a_route_name_becomes_its_operation_id(documents: dict[str, dict[str, Any]]) -> None:
    participants = documents["participants"]["paths"]
    assert participants["/participants"]["post"]["operationId"] == "registerParticipant"
    assert participants["/participants/{participant_id}/settlement"]["post"]["operationId"] == (
        "settleParticipant"
    )
    assert documents["housing"]["paths"]["/housing/waiting-list"]["get"]["operationId"] == (
        "listWaitingList"
    )


@pytest.mark.parametrize("service", SERVICES)
def test_every_operation_has_a_summary_and_a_declared_tag(
    documents: dict[str, dict[str, Any]], service: str
) -> None:
    document = documents[service]
    declared = {tag["name"]: tag.get("description", "") for tag in document["tags"]}
    for path, method, operation in operations(document):
        # Bokmål first, then English: "Registrer en deltaker / Register a participant".
        assert " / " in operation.get("summary", ""), (method, path, operation.get("summary"))
        assert operation.get("tags"), (method, path)
        for tag in operation["tags"]:
            assert " / " in declared.get(tag, ""), (
                f"tag {tag!r} of {method} {path}: no bokmål / English description"
            )


@pytest.mark.parametrize("service", SERVICES)
def test_info_servers_and_licence(documents: dict[str, dict[str, Any]], service: str) -> None:
    document = documents[service]
    info = document["info"]
    assert info["version"] == API_VERSION
    assert info["license"]["name"] == "EUPL-1.2"
    assert info["license"]["url"] == LICENSE["url"]
    assert info["contact"]["name"]
    assert " / " in info["description"] or "\n\n" in info["description"]
    urls = [server["url"] for server in document["servers"]]
    assert urls == ["/", f"http://127.0.0.1:{DEFAULT_PORTS[service]}"]
    assert [r["code"] for r in info["x-problem-codes"]] == [
        r["code"] for r in service_rules(service)
    ]


@pytest.mark.parametrize("service", SERVICES)
def test_security_follows_the_routes_token_dependency(
    documents: dict[str, dict[str, Any]], service: str
) -> None:
    document = documents[service]
    assert document["components"]["securitySchemes"][BEARER_SCHEME] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": document["components"]["securitySchemes"][BEARER_SCHEME]["description"],
    }
    protected = 0
    for path, method, operation in operations(document):
        assert "security" in operation, (method, path)
        if path in OPEN_PATHS:
            assert operation["security"] == [], (method, path)
        if operation["security"]:
            protected += 1
            assert operation["security"] == [{BEARER_SCHEME: []}]
            assert {"401", "403"} <= set(operation["responses"]), (method, path)
    # The catch-up feed wants a service identity, the business routes a person's roles.
    assert document["paths"]["/events"]["get"]["security"] == [{BEARER_SCHEME: []}]
    assert protected > len(list(operations(document))) / 2


def test_the_business_routes_ask_for_a_token(documents: dict[str, dict[str, Any]]) -> None:
    participants = documents["participants"]["paths"]
    for path, method in [
        ("/participants", "post"),
        ("/participants/{participant_id}", "get"),
        ("/participants/{participant_id}/settlement", "post"),
    ]:
        assert participants[path][method]["security"] == [{BEARER_SCHEME: []}]


@pytest.mark.parametrize("service", SERVICES)
def test_every_4xx_is_problem_details_with_the_rule_codes_of_its_status(
    documents: dict[str, dict[str, Any]], service: str
) -> None:
    document = documents[service]
    codes: dict[int, list[str]] = {}
    for rule in service_rules(service):
        codes.setdefault(int(rule["status"]), []).append(rule["code"])
    for path, method, operation in operations(document):
        responses = operation["responses"]
        assert "422" in responses, (method, path)
        if "requestBody" in operation:
            assert "413" in responses, (method, path)
        if "{" in path:
            assert "404" in responses, (method, path)
        for status, response in responses.items():
            if not status.startswith("4"):
                continue
            assert response == {"$ref": f"#/components/responses/{RESPONSE_NAMES[int(status)]}"}
            resolved = _resolve(document, response)
            assert resolved["content"][PROBLEM_JSON]["schema"] == {
                "$ref": "#/components/schemas/ProblemDetails"
            }
            assert resolved.get("x-problem-codes", []) == codes.get(int(status), [])
            for code in resolved.get("x-problem-codes", []):
                assert f"`{code}`" in resolved["description"]
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_rule_codes_of_a_status_are_listed_on_it(documents: dict[str, dict[str, Any]]) -> None:
    conflict = documents["participants"]["components"]["responses"]["Conflict"]
    assert conflict["x-problem-codes"], "participants declares 409 rules"
    unprocessable = documents["participants"]["components"]["responses"]["UnprocessableContent"]
    assert unprocessable["x-problem-codes"], "participants declares 422 rules"


def test_no_first_path_segment_is_owned_twice(documents: dict[str, dict[str, Any]]) -> None:
    owners = path_owners(documents)
    assert owners["participants"] == "participants"
    assert owners["housing"] == "housing"
    assert owners["openings"] == "matching"
    assert owners["dashboard"] == "indicators"
    for service, document in documents.items():
        for path in document["paths"]:
            segment = path.lstrip("/").split("/")[0]
            assert owners.get(segment, service) == service, (service, path)
    assert not {"healthz", "problems", "events", "access", "metrics"} & set(owners)


def test_a_first_segment_claimed_by_two_services_is_refused() -> None:
    def doc(*paths: str) -> dict[str, Any]:
        return {"paths": {p: {} for p in paths}}

    with pytest.raises(ValueError, match="/employers is owned by both matching and housing"):
        path_owners({"matching": doc("/employers"), "housing": doc("/employers/{id}")})
    assert path_owners({"a": doc("/healthz", "/x"), "b": doc("/healthz", "/y")}) == {
        "x": "a",
        "y": "b",
    }


def test_the_merged_document_keeps_business_paths_and_moves_the_shared_ones(
    documents: dict[str, dict[str, Any]], merged: dict[str, Any]
) -> None:
    paths = merged["paths"]
    assert "/participants/{participant_id}/settlement" in paths
    assert "/housing/waiting-list" in paths
    for service in SERVICES:
        assert f"/_services/{service}/healthz" in paths
        assert f"/_services/{service}/problems" in paths
        assert f"/_services/{service}/events/schemas/{{type_name}}.json" in paths
    assert paths["/_services/participants/healthz"]["get"]["operationId"] == "participantsHealthz"
    assert not [p for p in paths if p in {"/healthz", "/metrics", "/events"}]
    assert not [p for p in paths if p.endswith("/metrics") or p.endswith("/events")]
    business = sum(
        1
        for document in documents.values()
        for path in document["paths"]
        if path.lstrip("/").split("/")[0] in path_owners(documents)
    )
    assert len([p for p in paths if not p.startswith("/_services/")]) == business
    ids = [op["operationId"] for _p, _m, op in operations(merged)]
    assert len(ids) == len(set(ids))
    assert all(OPERATION_ID.match(i) for i in ids)
    assert merged["info"]["x-path-owners"] == path_owners(documents)
    assert [server["url"] for server in merged["servers"]] == ["/"]
    assert [
        s["url"] for s in merge_documents(documents, servers=[{"url": "http://gw"}])["servers"]
    ] == ["/", "http://gw"]


def test_the_merged_document_shares_equal_schemas_and_prefixes_differing_ones(
    merged: dict[str, Any],
) -> None:
    schemas = merged["components"]["schemas"]
    assert "ProblemDetails" in schemas
    assert not [
        name for name in schemas if name.endswith("ProblemDetails") and name != "ProblemDetails"
    ]
    text = str(merged)
    for kind in ("schemas", "responses"):
        for ref in re.findall(rf"#/components/{kind}/([A-Za-z0-9_.-]+)", text):
            assert ref in merged["components"][kind], ref


def test_merging_renames_a_clash_and_its_references() -> None:
    def doc(status: str, thing: dict[str, Any]) -> dict[str, Any]:
        return {
            "openapi": "3.1.0",
            "info": {"title": status, "version": "1"},
            "paths": {
                f"/{status}": {
                    "get": {
                        "operationId": f"get{status.capitalize()}",
                        "responses": {
                            "200": {
                                "description": "ok",
                                "content": {
                                    "application/json": {
                                        "schema": {"$ref": "#/components/schemas/Thing"}
                                    }
                                },
                            }
                        },
                    }
                }
            },
            "components": {"schemas": {"Thing": thing, "Same": {"type": "string"}}},
        }

    merged = merge_documents(
        {"a": doc("alpha", {"type": "integer"}), "b": doc("beta", {"type": "string"})}
    )
    schemas = merged["components"]["schemas"]
    assert set(schemas) == {"AThing", "BThing"}  # Same is used by no path: left out
    assert merged["paths"]["/alpha"]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"
    ] == {"$ref": "#/components/schemas/AThing"}
    with pytest.raises(ValueError, match="operationId getAlpha"):
        merge_documents(
            {
                "a": doc("alpha", {}),
                "b": {
                    **doc("beta", {}),
                    "paths": {"/beta": {"get": {"operationId": "getAlpha", "responses": {}}}},
                },
            }
        )


async def test_swagger_ui_gets_the_bearer_scheme_and_keeps_the_token() -> None:
    """/docs (Swagger UI) reads /openapi.json: the scheme there is its Authorize button."""
    app = create_app("participants", Settings(env="development"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        page = await client.get("/docs")
        served = (await client.get("/openapi.json")).json()
    assert page.status_code == 200
    assert '"persistAuthorization": true' in page.text
    assert served["components"]["securitySchemes"][BEARER_SCHEME]["scheme"] == "bearer"
    assert served["paths"]["/participants"]["post"]["security"] == [{BEARER_SCHEME: []}]
