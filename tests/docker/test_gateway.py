"""The nginx gateway of the Docker stack, from the outside: one entry point for the API.

Through the gateway (``VEIVISER_DOCKER_GATEWAY_URL``, default the published port 28000) a
participant is registered and read back; each service answers one of its own paths the
same as it does directly; a service's shared paths are reached under ``/_services/…``;
the merged OpenAPI document and Swagger UI are served; an oversized body is refused by
the gateway itself (problem details, nothing forwarded); ``/metrics`` and the catch-up
feed are not reachable; and the access log holds neither bodies nor query strings.

These tests write (a registration), so tests/docker/conftest.py runs them after the ones
that need a stack that has seen nothing.
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import httpx
import pytest

from deploy.gateway import max_request_bytes
from tests.docker.support import DockerStack, docker
from tests.support import eventually, registration, token

pytestmark = pytest.mark.timeout(300)

GATEWAY_PORT = "28000"
ROLES = ["caseworker", "manager", "housing_officer", "job_coach", "analyst"]


def _gateway_url() -> str:
    bind = os.environ.get("VEIVISER_DOCKER_BIND") or "127.0.0.1"
    port = os.environ.get("VEIVISER_DOCKER_GATEWAY_PORT") or GATEWAY_PORT
    return os.environ.get("VEIVISER_DOCKER_GATEWAY_URL") or f"http://{bind}:{port}"


@pytest.fixture
async def gateway(docker_stack: DockerStack) -> AsyncIterator[httpx.AsyncClient]:
    bearer = {"Authorization": f"Bearer {token(docker_stack.settings, ROLES)}"}
    async with httpx.AsyncClient(base_url=_gateway_url(), headers=bearer, timeout=30.0) as client:
        await eventually(lambda: _answers(client), timeout=60, interval=0.5)
        yield client


async def _answers(client: httpx.AsyncClient) -> bool:
    try:
        return (await client.get("/_gateway/healthz")).status_code == 200
    except httpx.TransportError:
        return False


def _direct(stack: DockerStack, service: str) -> httpx.AsyncClient:
    bearer = {"Authorization": f"Bearer {token(stack.settings, ROLES)}"}
    return httpx.AsyncClient(base_url=stack.urls[service], headers=bearer, timeout=30.0)


async def _log_lines(stack: DockerStack, correlation_id: str) -> list[dict[str, Any]]:
    """The gateway's access log lines of one correlation id (JSON, one per request)."""
    out = await asyncio.to_thread(docker, "logs", stack.container("gateway"))
    lines = []
    for line in out.splitlines():
        if correlation_id in line:
            lines.append(json.loads(line))
    return lines


async def _logged(stack: DockerStack, correlation_id: str) -> list[dict[str, Any]]:
    """Waits until nginx has written the request's line (it writes after answering)."""
    found: list[dict[str, Any]] = []

    async def written() -> bool:
        found[:] = await _log_lines(stack, correlation_id)
        return bool(found)

    await eventually(written, timeout=20, interval=0.2)
    return found


async def test_a_participant_registered_and_read_back_through_the_gateway(
    gateway: httpx.AsyncClient,
) -> None:
    body = registration(date(1990, 5, 17), given="Gatewaya", family="Portnes")
    created = await gateway.post(
        "/participants", json=body, headers={"Idempotency-Key": str(uuid.uuid4())}
    )
    assert created.status_code == 201, created.text
    participant_id = created.json()["id"]
    read = await gateway.get(f"/participants/{participant_id}")
    assert read.status_code == 200, read.text
    assert read.json()["id"] == participant_id
    assert read.json()["personal_data"]["given_name"] == "Gatewaya"


@pytest.mark.parametrize(
    ("service", "path"),
    [
        ("participants", "/deadlines"),
        ("housing", "/housing/dwellings"),
        ("matching", "/employers"),
        ("indicators", "/indicators/settlements?year=2026"),
    ],
)
async def test_each_service_answers_one_of_its_paths_through_the_gateway(
    gateway: httpx.AsyncClient, docker_stack: DockerStack, service: str, path: str
) -> None:
    async with _direct(docker_stack, service) as direct:
        expected = await direct.get(path)
    answer = await gateway.get(path)
    assert expected.status_code == 200, expected.text
    assert answer.status_code == 200, answer.text
    assert answer.json() == expected.json()


async def test_shared_paths_under_services_prefix(
    gateway: httpx.AsyncClient, docker_stack: DockerStack
) -> None:
    health = await gateway.get("/_services/housing/healthz")
    assert health.status_code == 200, health.text
    async with _direct(docker_stack, "housing") as direct:
        assert health.json() == (await direct.get("/healthz")).json()
        problems = await direct.get("/problems")
    via_gateway = await gateway.get("/_services/housing/problems")
    assert via_gateway.status_code == 200
    assert via_gateway.json() == problems.json()
    # Another service's shared path is its own, not housing's.
    assert (await gateway.get("/_services/matching/readyz")).status_code == 200


async def test_merged_openapi_and_swagger_ui(gateway: httpx.AsyncClient) -> None:
    document = await gateway.get("/openapi.json")
    assert document.status_code == 200, document.text
    assert document.headers["content-type"].startswith("application/json")
    paths = document.json()["paths"]
    assert "/participants" in paths and "/housing/dwellings" in paths
    assert "/employers" in paths and "/_services/housing/healthz" in paths
    assert "/metrics" not in paths and "/events" not in paths
    docs = await gateway.get("/docs")
    assert docs.status_code == 200
    assert docs.headers["content-type"].startswith("text/html")
    assert "SwaggerUIBundle" in docs.text and '"openapi.json"' in docs.text


async def test_an_oversized_body_is_refused_at_the_gateway(
    gateway: httpx.AsyncClient, docker_stack: DockerStack
) -> None:
    correlation_id = f"gateway-413-{uuid.uuid4().hex}"
    limit = max_request_bytes()
    oversized = b'{"given_name": "' + b"x" * limit + b'"}'
    answer = await gateway.post(
        "/participants",
        content=oversized,
        headers={
            "Content-Type": "application/json",
            "X-Correlation-Id": correlation_id,
            "Accept-Language": "en",
        },
    )
    assert answer.status_code == 413, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    problem = answer.json()
    assert problem["code"] == "request-too-large" and problem["status"] == 413
    assert problem["type"].endswith("/request-too-large")
    assert problem["max_bytes"] == limit
    assert "bytes" in problem["detail"]
    assert answer.headers["x-correlation-id"] == correlation_id
    # Refused by nginx itself: the request never reached a service.
    [line] = await _logged(docker_stack, correlation_id)
    assert line["status"] == 413 and line["upstream"] == ""
    # Within the limit the same request reaches the service (its own 422, not a 413).
    small = await gateway.post("/participants", json={"given_name": "x"})
    assert small.status_code == 422, small.text


async def test_metrics_and_the_catch_up_feed_are_not_exposed(
    gateway: httpx.AsyncClient, docker_stack: DockerStack
) -> None:
    async with _direct(docker_stack, "participants") as direct:
        assert (await direct.get("/metrics")).status_code == 200
    for path in (
        "/metrics",
        "/events",
        "/_services/participants/metrics",
        "/_services/housing/events",
        "/_services/housing/events?after=0",
        "/participants/..%2Fmetrics",
        "/unknown-segment",
    ):
        answer = await gateway.get(path)
        assert answer.status_code == 404, (path, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json"), path
        assert answer.json()["code"] == "not-found", path


async def test_access_log_holds_the_path_only(
    gateway: httpx.AsyncClient, docker_stack: DockerStack
) -> None:
    search_id = f"gateway-log-{uuid.uuid4().hex}"
    searched = await gateway.get(
        "/participants",
        params={"q": "Kari Nordmann", "limit": 5},
        headers={"X-Correlation-Id": search_id},
    )
    assert searched.status_code in (200, 422), searched.text
    body_id = f"gateway-log-{uuid.uuid4().hex}"
    marker = f"Bodymarker{uuid.uuid4().hex}"
    posted = await gateway.post(
        "/participants",
        json=registration(date(1991, 2, 3), given=marker, family="Loggfri"),
        headers={"X-Correlation-Id": body_id},
    )
    assert posted.status_code == 201, posted.text
    [search_line] = await _logged(docker_stack, search_id)
    [body_line] = await _logged(docker_stack, body_id)
    assert search_line["path"] == "/participants"
    assert search_line["method"] == "GET" and search_line["upstream"] != ""
    assert body_line["path"] == "/participants" and body_line["status"] == 201
    whole_log = await asyncio.to_thread(docker, "logs", docker_stack.container("gateway"))
    for secret in ("Kari", "Nordmann", "limit=5", marker, "Loggfri"):
        assert secret not in whole_log


async def test_correlation_id_forwarded_or_made(
    gateway: httpx.AsyncClient, docker_stack: DockerStack
) -> None:
    given = f"gateway-cid-{uuid.uuid4().hex}"
    answer = await gateway.get("/deadlines", headers={"X-Correlation-Id": given})
    assert answer.headers["x-correlation-id"] == given
    made = await gateway.get("/deadlines")
    correlation_id = made.headers["x-correlation-id"]
    assert len(correlation_id) == 32 and int(correlation_id, 16) >= 0
    [line] = await _logged(docker_stack, correlation_id)
    assert line["path"] == "/deadlines" and line["status"] == 200


async def test_cors_preflight_is_passed_to_the_service(
    gateway: httpx.AsyncClient, docker_stack: DockerStack
) -> None:
    correlation_id = f"gateway-cors-{uuid.uuid4().hex}"
    preflight = {
        "Origin": "https://kommune.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }
    async with _direct(docker_stack, "participants") as direct:
        expected = await direct.options("/participants", headers=preflight)
    answer = await gateway.options(
        "/participants", headers=preflight | {"X-Correlation-Id": correlation_id}
    )
    assert answer.status_code == expected.status_code
    for header in (
        "access-control-allow-origin",
        "access-control-allow-methods",
        "access-control-allow-headers",
    ):
        assert answer.headers.get(header) == expected.headers.get(header), header
    [line] = await _logged(docker_stack, correlation_id)
    assert line["method"] == "OPTIONS" and line["upstream"] != ""


async def test_the_typed_client_runs_its_live_script_through_the_gateway(
    gateway: httpx.AsyncClient, docker_stack: DockerStack
) -> None:
    # The TypeScript client in gateway mode (one base URL), as a front-end on the Docker
    # stack uses it: the same script the suite runs against a service without a gateway.
    from tests.api.test_typescript_client import CLIENT, LIVE_STEPS, _lines, _node_tool, _run

    built = await asyncio.to_thread(_run, [_node_tool("tsc"), "-p", str(CLIENT)])
    assert built.returncode == 0, built.stdout + built.stderr
    script = CLIENT / "build" / "examples" / "live.js"
    environment = {
        "PATH": os.environ["PATH"],
        "VEIVISER_TOKEN": token(docker_stack.settings, ["caseworker"]),
        "VEIVISER_GATEWAY_URL": _gateway_url(),
    }
    ran = await asyncio.to_thread(_run, ["node", str(script)], env=environment)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    steps = _lines(ran.stdout)
    assert list(steps) == LIVE_STEPS
    participant_id = steps["registered"]["id"]
    assert steps["healthz"] == {"status": 200}
    assert steps["registered"]["location"] == f"/participants/{participant_id}"
    assert steps["register-retried"] == {"id": participant_id, "same": True}
    assert steps["not-modified"] == {"status": 304}
    assert steps["conflict"]["code"] == "version-conflict"
    assert steps["invalid"]["code"] == "validation-error"
    # What the script was told is what the service holds, read back through the gateway.
    read = await gateway.get(f"/participants/{participant_id}", headers={"X-Purpose": "test"})
    assert read.status_code == 200, read.text
    assert read.json()["version"] == steps["conflict-retried"]["version"]
    assert read.json()["status"] == "settled"
