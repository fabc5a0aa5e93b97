"""Schemathesis against every service's OpenAPI: no input gets a 500 or breaks the schema.

Each service runs in-process with its lifespan (relay, consumers) against real
PostgreSQL and NATS. Schemathesis generates requests for every operation from the
OpenAPI document, sends them with a development token holding every municipal role,
and checks ``not_a_server_error`` and ``response_schema_conformance``. Examples are
bounded and derandomised so a run is reproducible and stays within a few minutes.
Every finding of the run is listed, grouped, before the test fails.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import secrets
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx
import hypothesis
import hypothesis.errors
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error, response_schema_conformance
from stdnum.no import orgnr

from shared.auth import AGENCY_ROLE, ROLES
from shared.settings import Settings
from tests.support import auth, national_id

SERVICES = ("participants", "housing", "matching", "indicators")
MAX_EXAMPLES = int(os.environ.get("VEIVISER_SCHEMATHESIS_EXAMPLES", "8"))
"""Examples per operation and mode (about 140 operations, so about 2000 requests); raise it
with ``VEIVISER_SCHEMATHESIS_EXAMPLES`` to hunt deeper."""
COVERAGE_CASES = int(os.environ.get("VEIVISER_SCHEMATHESIS_COVERAGE", "30"))
"""Boundary cases per operation, taken evenly from schemathesis' coverage phase."""
CHECKS = [not_a_server_error, response_schema_conformance]
BASE_URL = "http://test"
SEEDED = {"participant_id", "dwelling_id", "employer_id", "key", "period"}
"""Path parameters :func:`_seed` fills with real aggregates."""


@schemathesis.serializer("text/csv")
def _csv_body(context: Any, value: Any) -> bytes:
    """Imports take CSV bodies; generated bodies go over the wire as UTF-8 text."""
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8", "surrogatepass")


def _httpx_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Schemathesis speaks requests' keywords; httpx takes raw bodies as ``content``."""
    out = {k: v for k, v in kwargs.items() if k in ("method", "url", "headers", "params")}
    if "json" in kwargs:
        out["json"] = kwargs["json"]
    data = kwargs.get("data")
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    if isinstance(data, bytes):
        out["content"] = data
    elif data is not None:
        out["data"] = data
    if kwargs.get("files"):
        out["files"] = kwargs["files"]
    if kwargs.get("cookies"):
        out["headers"] = {
            **(out.get("headers") or {}),
            "Cookie": "; ".join(f"{k}={v}" for k, v in kwargs["cookies"].items()),
        }
    return out


def _organisation_number() -> str:
    """A fresh valid organisasjonsnummer (mod 11): an employer is registered once."""
    while True:
        candidate = f"9{10**6 + secrets.randbelow(9 * 10**6)}0"
        for last in "0123456789":
            number = candidate[:-1] + last
            if orgnr.is_valid(number):
                return number


async def _seed(service: str, client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, str]:
    """Real aggregates whose ids the fuzzer puts in path parameters, so generated commands
    reach the domain and the database instead of stopping at 404."""

    async def created(path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = await client.post(path, json=body, headers=headers)
        assert response.status_code == 201, f"seeding {path}: {response.text}"
        answer: dict[str, Any] = response.json()
        return answer

    if service == "participants":
        # A national id is registered once: every seed is a different person. Hypothesis
        # reseeds the random module for each derandomised example, hence secrets.
        born = date(1960, 1, 1) + timedelta(days=secrets.randbelow(15_000))
        person = await created(
            "/participants",
            {
                "given_name": "Schema",
                "family_name": "Thesis",
                "birth_date": born.isoformat(),
                "national_id": national_id(born),
            },
        )
        await created(
            f"/participants/{person['id']}/settlement",
            {"settled_on": "2024-01-10", "arrival_category": "resettlement_refugee"},
        )
        return {"participant_id": str(person["id"])}
    if service == "housing":
        dwelling = await created(
            "/housing/dwellings",
            {"address": "Storgata 1", "district": "Sentrum", "rooms": 3, "size_m2": 69},
        )
        return {"dwelling_id": str(dwelling["dwelling_id"])}
    if service == "matching":
        employer = await created(
            "/employers",
            {
                "organisation_number": _organisation_number(),
                "name": "Fjordhotellet AS",
                "industry": "hospitality",
                "municipality_code": "3301",
                "mentor_capacity": 3,
            },
        )
        return {"employer_id": str(employer["id"])}
    return {"key": "exit_work_or_education", "period": "2024"}


@dataclass
class _Probe:
    """Sends cases to the app and keeps what came back: the answers per operation, kind
    and status, and a finding for every check a case failed."""

    send: Callable[[dict[str, Any]], httpx.Response]
    headers: dict[str, str]
    findings: list[str] = field(default_factory=list)
    answers: Counter[str] = field(default_factory=Counter)

    def check(self, case: Any, label: str, kind: str) -> None:
        kwargs = case.as_transport_kwargs(base_url=BASE_URL, headers=self.headers)
        response = self.send(_httpx_kwargs(kwargs))
        self.answers[f"{label} {kind} {response.status_code}"] += 1
        try:
            case.validate_response(response, checks=CHECKS)
        except (AssertionError, BaseExceptionGroup) as exc:
            # Schemathesis raises a FailureGroup holding every failed check.
            self.findings.append(_describe(f"{label} ({kind})", kwargs, response, exc))


def _fuzz(
    schema: Any,
    send: Callable[[dict[str, Any]], httpx.Response],
    headers: dict[str, str],
    seed: Callable[[], dict[str, str]],
) -> tuple[list[str], Counter[str]]:
    probe = _Probe(send, headers)
    for result in schema.get_all_operations():
        operation = result.ok()
        _cover_operation(schema, operation, probe)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz_operation(operation, mode, {}, probe)
        names = {parameter.name for parameter in operation.path_parameters}
        if names & SEEDED:
            # A fresh aggregate per operation: an erasure or a death fuzzed earlier must
            # not leave the next operation nothing but refusals.
            known = {name: value for name, value in seed().items() if name in names}
            _fuzz_operation(operation, GenerationMode.POSITIVE, known, probe)
    return probe.findings, probe.answers


def _cover_operation(schema: Any, operation: Any, probe: _Probe) -> None:
    """Schemathesis' coverage cases: each parameter at and beyond its bounds (the largest
    integers, empty and over-long strings, wrong types), spread evenly over the operation."""
    cases = list(
        schema.iter_coverage_cases(
            operation,
            generation_modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
            generation_config=schema.config.generation_for(operation=operation),
        )
    )
    step = max(1, len(cases) // COVERAGE_CASES)
    for case in cases[::step][:COVERAGE_CASES]:
        probe.check(case, operation.label, "coverage")


def _fuzz_operation(
    operation: Any, mode: GenerationMode, path_parameters: dict[str, str], probe: _Probe
) -> None:
    how = f"{mode.value}, seeded" if path_parameters else mode.value

    @hypothesis.settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis.given(
        case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters or None)
    )
    def run(case: Any) -> None:
        probe.check(case, operation.label, how)

    try:
        run()
    except hypothesis.errors.Unsatisfiable:
        # An operation without parameters or body has no invalid input to generate.
        if mode is GenerationMode.POSITIVE:
            raise


def _describe(
    label: str, kwargs: dict[str, Any], response: httpx.Response, exc: BaseException
) -> str:
    request = {k: kwargs.get(k) for k in ("params", "json", "data") if kwargs.get(k) is not None}
    first = str(exc).strip().splitlines()
    return (
        f"{label} -> {response.status_code}: {' | '.join(line for line in first[:6] if line)}\n"
        f"    url={kwargs.get('url')} input={request!r:.600}\n"
        f"    body={response.text[:300]!r}"
    )


def _create_app(service: str, settings: Settings) -> FastAPI:
    factory: Callable[[Settings], FastAPI] = importlib.import_module(
        f"services.{service}.app"
    ).create_app
    return factory(settings)


def _write_report(path: str, service: str, answers: Counter[str], findings: list[str]) -> None:
    """Optional run log (``VEIVISER_SCHEMATHESIS_REPORT``): answers per operation, findings."""
    with open(path, "a", encoding="utf-8") as out:
        out.write(f"## {service}\n")
        out.writelines(f"{key}: {count}\n" for key, count in sorted(answers.items()))
        out.writelines(f"{finding}\n" for finding in findings)


@pytest.mark.parametrize("service", SERVICES)
async def test_no_generated_request_gets_a_500_or_an_undeclared_shape(
    service: str, settings: Settings
) -> None:
    app = _create_app(service, settings)
    headers = auth(settings, sorted(ROLES - {AGENCY_ROLE}), "3301")
    schema = schemathesis.openapi.from_dict(app.openapi())
    loop = asyncio.get_running_loop()
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:

            def send(kwargs: dict[str, Any]) -> httpx.Response:
                # Hypothesis drives from a worker thread; the requests run on the loop
                # that owns the app's database pool and NATS connection.
                future = asyncio.run_coroutine_threadsafe(client.request(**kwargs), loop)
                return future.result(timeout=60)

            def seed() -> dict[str, str]:
                future = asyncio.run_coroutine_threadsafe(_seed(service, client, headers), loop)
                return future.result(timeout=60)

            findings, answers = await asyncio.to_thread(_fuzz, schema, send, headers, seed)
    report = os.environ.get("VEIVISER_SCHEMATHESIS_REPORT")
    if report:
        await asyncio.to_thread(_write_report, report, service, answers, findings)
    operations = {key.split(" ")[0] + " " + key.split(" ")[1] for key in answers}
    assert len(operations) == len(list(schema.get_all_operations())), "operations never called"
    assert not findings, f"{len(findings)} finding(s) in {service}:\n" + "\n".join(findings)
