"""The Prometheus scrape configuration and the Grafana dashboard in deploy/monitoring/
name only metrics the services expose, and reach the services where they listen."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from prometheus_client.parser import text_string_to_metric_families

from services.housing.app import create_app as housing_app
from services.indicators.app import create_app as indicators_app
from services.matching.app import create_app as matching_app
from services.participants.app import create_app as participants_app
from shared.settings import DEFAULT_PORTS, SERVICES, Settings
from tests.support import REPO, auth, eventually, registration, running

MONITORING = REPO / "deploy" / "monitoring"
DASHBOARD = MONITORING / "grafana" / "veiviser.json"
PROMETHEUS = MONITORING / "prometheus.yml"

SYNTHETIC = {"up"}
"""Series Prometheus makes itself for every target."""

_PROMQL_WORDS = {
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "bool",
    "and",
    "or",
    "unless",
    "offset",
    "inf",
    "nan",
}


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression (with Grafana variables) selects."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # string literals
    text = re.sub(r"\{[^}]*\}", "", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", "", text)  # ranges
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text)
    text = re.sub(r"\$\{?\w+\}?", "", text)  # $service, ${datasource}, $__rate_interval
    names = set()
    for match in re.finditer(r"(?<![\w.])([A-Za-z_:][\w:]*)(\s*\()?", text):
        name, call = match.group(1), match.group(2)
        if call or name.lower() in _PROMQL_WORDS:
            continue
        names.add(name)
    return names


def dashboard_expressions(dashboard: dict[str, Any]) -> list[str]:
    """Every PromQL expression of the dashboard: its panels' targets and its variables."""
    exprs = [
        target["expr"]
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
        if "expr" in target
    ]
    for variable in dashboard.get("templating", {}).get("list", []):
        query = variable.get("query")
        if variable.get("type") == "query":
            text = query["query"] if isinstance(query, dict) else query
            inner = re.fullmatch(r"label_values\((.*),\s*\w+\)", text.strip())
            exprs.append(inner.group(1) if inner else text)
    return exprs


def unknown_metrics(dashboard: dict[str, Any], exposed: set[str]) -> dict[str, set[str]]:
    """Expression → the metric names in it that no service exposes."""
    missing = {}
    for expr in dashboard_expressions(dashboard):
        names = metric_names(expr)
        assert names, f"no metric found in {expr!r}"
        absent = names - exposed - SYNTHETIC
        if absent:
            missing[expr] = absent
    return missing


def exposed_names(exposition: str) -> set[str]:
    """Every series name in a /metrics answer. A labelled metric nobody has touched yet
    shows only its HELP and TYPE lines; the names it will have are derived from its type."""
    names: set[str] = set()
    for family in text_string_to_metric_families(exposition):
        names |= {sample.name for sample in family.samples}
        if family.type == "counter":
            names.add(family.name + "_total")
        elif family.type == "histogram":
            names |= {family.name + suffix for suffix in ("_bucket", "_sum", "_count")}
        else:
            names.add(family.name)
    return names


async def test_every_metric_the_dashboard_queries_is_exposed_by_the_services(
    settings: Settings,
) -> None:
    headers = auth(settings, ["caseworker"])
    expositions = {}
    async with (
        running(participants_app(settings)) as participants,
        running(housing_app(settings)) as housing,
        running(matching_app(settings)) as matching,
        running(indicators_app(settings)) as indicators,
    ):
        clients = dict(zip(SERVICES, (participants, housing, matching, indicators), strict=True))
        registered = await participants.post(
            "/participants", headers=headers, json=registration(date(1990, 2, 3))
        )
        assert registered.status_code == 201, registered.text

        async def published() -> bool:
            text = (await participants.get("/metrics")).text
            return 'veiviser_events_published_total{service="participants"} 1.0' in text

        await eventually(published)
        for service, client in clients.items():
            assert (await client.get("/healthz")).status_code == 200
            scraped = await client.get("/metrics")
            assert scraped.status_code == 200, scraped.text
            assert scraped.headers["content-type"].startswith("text/plain")
            expositions[service] = scraped.text

    for service, text in expositions.items():
        # Real samples, not only declarations: the latency of the requests just made.
        counts = [
            line
            for line in text.splitlines()
            if line.startswith("veiviser_http_request_duration_seconds_count{")
        ]
        assert any(
            f'service="{service}"' in line and 'route="/healthz"' in line for line in counts
        ), service
    exposed = set.intersection(*(exposed_names(text) for text in expositions.values()))
    dashboard = json.loads(DASHBOARD.read_text())
    assert unknown_metrics(dashboard, exposed) == {}
    # The dashboard covers what the issue asks for.
    used = set().union(*(metric_names(e) for e in dashboard_expressions(dashboard)))
    for wanted in (
        "veiviser_http_request_duration_seconds_bucket",
        "veiviser_outbox_backlog",
        "veiviser_consumer_lag",
        "veiviser_events_consumed_total",
        "veiviser_events_published_total",
    ):
        assert wanted in used, wanted
    assert any('outcome="dead_lettered"' in e for e in dashboard_expressions(dashboard))

    # The check can fail: a misspelt metric is reported.
    misspelt = json.loads(
        DASHBOARD.read_text().replace("veiviser_outbox_backlog", "veiviser_outbox_backlgo")
    )
    assert set().union(*unknown_metrics(misspelt, exposed).values()) == {"veiviser_outbox_backlgo"}


def test_metric_names_are_read_from_promql() -> None:
    expr = (
        "histogram_quantile(0.99, sum by (le, service) "
        '(rate(veiviser_http_request_duration_seconds_bucket{service=~"$service", '
        'route="/x"}[$__rate_interval]))) / on (service) group_left '
        'sum(up{job="veiviser"}) + veiviser_outbox_backlog offset 5m'
    )
    assert metric_names(expr) == {
        "veiviser_http_request_duration_seconds_bucket",
        "up",
        "veiviser_outbox_backlog",
    }


def test_the_dashboard_is_well_formed() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["uid"] and dashboard["title"] and dashboard["schemaVersion"] >= 36
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    assert all(isinstance(i, int) for i in ids)
    graphs = [panel for panel in dashboard["panels"] if panel["type"] != "row"]
    assert len(graphs) >= 8
    for panel in graphs:
        where = panel["title"]
        assert panel["type"] in {"timeseries", "stat", "gauge", "table", "bargauge"}, where
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, where
        assert set(panel["gridPos"]) == {"x", "y", "w", "h"}, where
        assert panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24, where
        assert panel["targets"], where
        refs = [target["refId"] for target in panel["targets"]]
        assert len(refs) == len(set(refs)), where
        for target in panel["targets"]:
            assert target["expr"].strip(), where
            assert target["datasource"] == panel["datasource"], where
            assert target["expr"].count("(") == target["expr"].count(")"), target["expr"]
            variables_used = set(re.findall(r"\$\{?(\w+)\}?", target["expr"]))
            assert variables_used <= set(variables) | {"__rate_interval", "__range"}, where


def _targets(path: Path) -> dict[str, str]:
    groups = yaml.safe_load(path.read_text())
    found = {}
    for group in groups:
        [target] = group["targets"]
        found[group["labels"]["target_service"]] = target
    return found


def test_the_scrape_config_reaches_the_make_run_and_docker_services() -> None:
    config = yaml.safe_load(PROMETHEUS.read_text())
    [job] = config["scrape_configs"]
    assert job["job_name"] == "veiviser" and job["metrics_path"] == "/metrics"
    [sd] = job["file_sd_configs"]
    files = sorted(p for pattern in sd["files"] for p in MONITORING.glob(pattern))
    assert files == [MONITORING / "targets" / "local.yml"]
    assert _targets(files[0]) == {s: f"127.0.0.1:{DEFAULT_PORTS[s]}" for s in SERVICES}

    compose = yaml.safe_load((REPO / "deploy" / "compose" / "compose.yaml").read_text())
    port = _compose_port(compose)
    docker = _targets(MONITORING / "docker" / "services.yml")
    assert docker == {s: f"{s}:{port}" for s in SERVICES}
    for service in SERVICES:
        assert service in compose["services"], service
    # The docker targets replace targets/ when mounted there: same file pattern.
    assert all(Path(p).parent.name == "targets" for p in sd["files"])


def _compose_port(compose: dict[str, Any]) -> str:
    """The port the services listen on inside the stack (VEIVISER_PORT)."""
    text = json.dumps(compose)
    ports = set(re.findall(r'"VEIVISER_PORT": "(\d+)"', text))
    assert len(ports) == 1, ports
    return ports.pop()
