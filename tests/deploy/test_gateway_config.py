"""The gateway's generated nginx configuration (deploy/gateway.py), without running nginx.

The committed copies must equal what the services' OpenAPI documents generate, so a new
first segment or shared path cannot be forgotten. Every path of the merged document is
then routed through a model of nginx's location matching (exact locations first, then
the regular expressions in the order they appear) to the service that has it, with the
path the service knows; ``/metrics`` and the catch-up feed route nowhere. The running
gateway is tested in tests/docker/test_gateway.py.
"""

from __future__ import annotations

import copy
import io
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from deploy import gateway, stack
from shared.openapi import merge_documents
from shared.problems import PROBLEM_BASE
from shared.settings import SERVICES, Settings


@cache
def _documents() -> dict[str, dict[str, Any]]:
    return gateway.service_documents()


@cache
def _config() -> str:
    return gateway.render_nginx_conf(gateway.route_table(_documents()), gateway.max_request_bytes())


@dataclass(frozen=True)
class Location:
    exact: str | None
    pattern: re.Pattern[str] | None
    service: str | None
    strips: bool


def _locations(config: str) -> list[Location]:
    """The server's locations, in order, as nginx reads them (this config's subset)."""
    found = []
    for match in re.finditer(r"^ {8}location (=|~) (\S+) \{\n(.*?)^ {8}\}", config, re.M | re.S):
        kind, target, body = match.groups()
        upstream = re.search(r"proxy_pass http://\$veiviser_upstream_(\w+);", body)
        found.append(
            Location(
                exact=target if kind == "=" else None,
                # PCRE's named groups in Python's spelling.
                pattern=re.compile(target.replace("(?<", "(?P<")) if kind == "~" else None,
                service=upstream.group(1) if upstream else None,
                strips="rewrite ^ $veiviser_shared_path break;" in body,
            )
        )
    return found


def route(config: str, path: str) -> tuple[str, str] | None:
    """(service, path it receives) for a request path, or None when nginx answers
    itself (its own locations, or the 404 of ``location /``)."""
    locations = _locations(config)
    if any(location.exact == path for location in locations):
        return None
    for location in locations:
        if location.pattern is None:
            continue
        match = location.pattern.search(path)
        if match:
            assert location.service is not None, location
            forwarded = match.group("veiviser_shared_path") if location.strips else path
            return location.service, forwarded
    return None


def _concrete(template: str) -> str:
    return re.sub(r"\{[^}]+\}", "a1b2c3", template)


def _matches_template(path: str, templates: list[str]) -> bool:
    return any(
        re.fullmatch(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(t)), path) for t in templates
    )


def test_the_committed_gateway_files_are_the_generated_ones() -> None:
    stale = gateway.stale_files(gateway.generated_files(_documents()))
    assert not stale, (
        f"{[str(p.relative_to(gateway.ROOT)) for p in stale]} differ from what the services' "
        "OpenAPI documents generate: run .venv/bin/python -m deploy.gateway --write and "
        "commit them"
    )


def test_every_path_of_the_merged_document_reaches_the_service_that_has_it() -> None:
    documents = _documents()
    merged = merge_documents(documents)
    config = _config()
    owners = gateway.route_table(documents).owners
    assert merged["paths"]
    for template in merged["paths"]:
        path = _concrete(template)
        routed = route(config, path)
        shared = re.fullmatch(r"/_services/([a-z]+)(/.*)", template)
        if shared:
            service, own = shared.group(1), shared.group(2)
            assert routed == (service, _concrete(own)), template
        else:
            service = owners[template.split("/")[1]]
            assert routed == (service, path), template
        assert _matches_template(routed[1], list(documents[service]["paths"])), template


def test_the_framework_pages_of_each_service_are_reached_under_services() -> None:
    config = _config()
    for service in SERVICES:
        for own in ("/openapi.json", "/docs", "/docs/oauth2-redirect", "/healthz", "/readyz"):
            assert route(config, f"/_services/{service}{own}") == (service, own)


@pytest.mark.parametrize(
    "path",
    [
        "/metrics",
        "/events",
        "/events/schemas/ParticipantRegistered.json",
        *(f"/_services/{s}/metrics" for s in SERVICES),
        *(f"/_services/{s}/events" for s in SERVICES),
        "/_services/housing/events/",
        "/_services/unknown/healthz",
        "/_services/housing",
        "/_services/housing/housing/dwellings",
        "/participantsx",
        "/nothing-here",
        "/",
        "/healthz",
    ],
)
def test_metrics_the_catch_up_feed_and_unknown_paths_route_nowhere(path: str) -> None:
    assert route(_config(), path) is None


def test_business_paths_keep_their_shape() -> None:
    config = _config()
    assert route(config, "/participants") == ("participants", "/participants")
    assert route(config, "/participants/") == ("participants", "/participants/")
    assert route(config, "/housing/dwellings/x") == ("housing", "/housing/dwellings/x")
    assert route(config, "/volunteer-needs") == ("matching", "/volunteer-needs")
    assert route(config, "/dashboard") == ("indicators", "/dashboard")
    assert route(config, "/openapi.json") is None and route(config, "/docs") is None


def _synthetic() -> dict[str, dict[str, Any]]:
    def paths(*names: str) -> dict[str, Any]:
        return {"paths": {name: {"get": {"operationId": name}} for name in names}}

    return {
        "participants": paths("/participants", "/healthz", "/metrics", "/events"),
        "housing": paths("/housing", "/healthz", "/problems"),
        "matching": paths("/employers", "/healthz"),
        "indicators": paths("/indicators", "/healthz"),
    }


def test_a_first_segment_owned_twice_is_refused() -> None:
    documents = _synthetic()
    documents["matching"]["paths"]["/housing/elsewhere"] = {"get": {}}
    with pytest.raises(gateway.GatewayConfigError, match="/housing is owned by both"):
        gateway.route_table(documents)


def test_a_new_first_segment_changes_the_generated_config() -> None:
    documents = _synthetic()
    before = gateway.render_nginx_conf(gateway.route_table(documents), 1000)
    grown = copy.deepcopy(documents)
    grown["housing"]["paths"]["/tenancies/{id}"] = {"get": {}}
    after = gateway.render_nginx_conf(gateway.route_table(grown), 1000)
    assert before != after
    assert route(before, "/tenancies/x") is None
    assert route(after, "/tenancies/x") == ("housing", "/tenancies/x")
    # A new shared path too.
    grown["housing"]["paths"]["/readyz"] = {"get": {}}
    shared = gateway.render_nginx_conf(gateway.route_table(grown), 1000)
    assert route(after, "/_services/housing/readyz") is None
    assert route(shared, "/_services/housing/readyz") == ("housing", "/readyz")


def _literals(config: str, status: int) -> list[dict[str, Any]]:
    found = re.findall(rf"return {status} '(.*)';", config)
    return [json.loads(text) for text in found]


def test_the_body_limit_is_the_services_and_its_413_is_problem_details() -> None:
    config = _config()
    limit = Settings().max_request_bytes
    assert gateway.max_request_bytes() == limit
    assert re.findall(r"client_max_body_size (\d+);", config) == [str(limit)]
    assert "error_page 413 @request_too_large;" in config
    problems = _literals(config, 413)
    assert len(problems) == 3  # bokmål, nynorsk, English
    for problem in problems:
        assert problem["type"] == PROBLEM_BASE + "request-too-large"
        assert problem["status"] == 413 and problem["code"] == "request-too-large"
        assert problem["max_bytes"] == limit and str(limit) in problem["detail"]
    assert {p["title"] for p in problems} >= {"Request body too large"}
    assert len({p["title"] for p in problems}) == 3
    block = config.split("location @request_too_large {", 1)[1].split("\n        }\n", 1)[0]
    assert "default_type application/problem+json;" in block
    for status, code in ((404, "not-found"), (503, "service-unavailable")):
        (problem,) = _literals(config, status)
        assert problem["status"] == status and problem["code"] == code


def test_the_access_log_holds_the_path_only() -> None:
    config = _config()
    log_format = config.split("log_format veiviser", 1)[1].split(";", 1)[0]
    for never in (
        "$request_uri",
        "$request ",
        '$request"',
        "$args",
        "$query_string",
        "$request_body",
        "$http_",
        "$remote_addr",
        "$proxy_add_x_forwarded_for",
        "$uri",
    ):
        assert never not in log_format, never
    assert '"path":"$veiviser_path"' in log_format
    assert "escape=json" in config.split("log_format veiviser", 1)[1].split("\n", 1)[0]
    (pattern,) = re.findall(r'"~\^\(\?<veiviser_path_only>(.*?)\)"', config)
    stripped = re.match(pattern, "/participants?search=Kari+Nordmann")
    assert stripped is not None and stripped.group(0) == "/participants"
    assert "access_log /dev/stdout veiviser;" in config


def test_correlation_ids_and_timeouts() -> None:
    config = _config()
    assert "proxy_set_header X-Correlation-Id $veiviser_correlation_id;" in config
    (mapping,) = re.findall(
        r"map \$http_x_correlation_id \$veiviser_correlation_id \{(.*?)\}", config, re.S
    )
    assert '"" $request_id;' in mapping and "default $http_x_correlation_id;" in mapping
    for directive in ("proxy_connect_timeout", "proxy_read_timeout", "proxy_send_timeout"):
        assert re.search(rf"{directive} \d+s;", config), directive
    for directive in ("client_body_timeout", "client_header_timeout", "send_timeout"):
        assert re.search(rf"{directive} \d+s;", config), directive
    # OPTIONS (CORS preflights) is proxied like any method: nothing answers it here.
    assert "OPTIONS" not in config and "limit_except" not in config


def test_the_compose_gateway_mounts_what_nginx_conf_reads() -> None:
    compose = yaml.safe_load((gateway.ROOT / "deploy" / "compose" / "compose.yaml").read_text())
    service = compose["services"]["gateway"]
    mounts = dict(volume.rsplit(":", 2)[:2] for volume in service["volumes"])
    targets = {target: source for source, target in mounts.items()}
    assert targets["/etc/nginx/nginx.conf"] == "../docker/gateway/nginx.conf"
    assert targets[gateway.UPSTREAMS_FILE] == "../docker/gateway/upstreams.conf"
    assert targets[gateway.DOCS_FILE] == "../docker/gateway/docs.html"
    assert gateway.OPENAPI_FILE in targets
    assert service["ports"] == [
        "${VEIVISER_DOCKER_BIND:-127.0.0.1}:${VEIVISER_DOCKER_GATEWAY_PORT:-28000}:"
        f"{gateway.LISTEN_PORT}"
    ]
    assert gateway.GATEWAY_HEALTH in " ".join(service["healthcheck"]["test"])
    upstreams = (gateway.DOCKER_DIR / "upstreams.conf").read_text()
    for name in SERVICES:
        assert name in compose["services"]
        assert compose["services"][name]["environment"]["VEIVISER_PORT"] == str(
            gateway.SERVICE_PORT
        )
        assert f"$veiviser_upstream_{name} {{ default {name}:{gateway.SERVICE_PORT}; }}" in (
            upstreams
        )


def test_make_run_says_where_the_gateway_runs(tmp_path: Path) -> None:
    plan = stack.make_plan(Settings(data_dir=tmp_path), {})
    services = [
        stack._Service(name, port, tmp_path / f"{name}.log", tmp_path / f"{name}.pid")
        for name, port in plan.service_ports.items()
    ]
    out = io.StringIO()
    stack._banner(
        services, "postgresql://x@127.0.0.1/postgres", "nats://127.0.0.1", plan, ("", ""), "t", out
    )
    text = out.getvalue()
    assert "make docker-up" in text and f"{stack.DOCKER_GATEWAY_URL}/docs" in text
    compose = yaml.safe_load((gateway.ROOT / "deploy" / "compose" / "compose.yaml").read_text())
    (published,) = compose["services"]["gateway"]["ports"]
    port = stack.DOCKER_GATEWAY_URL.rsplit(":", 1)[1]
    assert f"VEIVISER_DOCKER_GATEWAY_PORT:-{port}}}" in published
    script = (gateway.ROOT / "deploy" / "docker" / "stack.sh").read_text()
    assert f"VEIVISER_DOCKER_GATEWAY_PORT:-{port}}}" in script
