"""Part 1: HTTP commands/s through the participants service vs a bare FastAPI INSERT.

Both servers run as their own uvicorn process (uvloop + httptools, no access log, one
worker, as ``veiviser up`` starts the services); the load generator is a third process
(:mod:`bench.loadgen`) with ``connections`` keep-alive connections in a closed loop.

* bare: ``POST /bare/{id}/settlement`` (:mod:`bench.bare_app`): pydantic body, one
  asyncpg INSERT, JSON answer.
* kit, settle: ``POST /participants/{id}/settlement`` on participants registered just
  before: token check, load + fold the stream, decide, append (events, outbox, inline
  projections) in one transaction, relay woken; the relay publishes to JetStream in the
  same process meanwhile.
* kit, register: ``POST /participants`` (two events, sealed personal data, lookup).
* kit, caseworker mix: a quarter each of register, settle, start the introduction
  programme (sealed adviser) and record an absence (sealed note), interleaved, each on
  participants brought to the stage it needs before the clock starts.

Every request of a run has its own id; the first ``warmup`` requests of each run are
sent before the clock starts and are not counted.
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg
import psutil

from bench.bare_app import TABLE_DDL
from bench.env import ROOT, BenchEnv, ServiceProcess, log
from bench.meter import Meter
from bench.samples import SETTLE_BODY, national_ids, register_body
from shared.auth import issue_dev_token
from shared.settings import Settings


@dataclass(frozen=True)
class LoadResult:
    rate: float
    count: int
    elapsed: float
    statuses: dict[str, int]
    outcomes: list[dict[str, Any]]
    cpu_ms: float | None = None
    """CPU per request (warm-up and timed) of the server process (relay included),
    PostgreSQL and NATS together."""
    server_cpu_ms: float | None = None
    """The part of ``cpu_ms`` spent in the server process itself (Python)."""

    def ok(self, status: int = 201) -> int:
        return self.statuses.get(str(status), 0)


def auth_headers(settings: Settings) -> dict[str, str]:
    token = issue_dev_token(settings, sub="bench", roles=["caseworker"], municipality="3301")
    return {"Authorization": f"Bearer {token}"}


async def run_loadgen(
    env: BenchEnv, name: str, spec: dict[str, Any], server: ServiceProcess | None = None
) -> LoadResult:
    meter = Meter([server.proc.pid] if server is not None else [], include_self=False)
    server_before = _process_cpu(server)
    spec_file = env.tmp / f"{name}.spec.json"
    out_file = env.tmp / f"{name}.out.json"
    spec_file.write_text(json.dumps(spec))
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.loadgen",
        str(spec_file),
        str(out_file),
        cwd=ROOT,
    )
    if await proc.wait() != 0:
        raise RuntimeError(f"load generator failed for {name}")
    measured = meter.stop(1, cpu_ops=1)
    server_seconds = _process_cpu(server) - server_before
    doc = json.loads(out_file.read_text())
    count = int(doc["count"])
    sent = count + len(spec.get("warmup", []))
    if server is not None:
        # With shared servers (VEIVISER_DATABASE_URL) their CPU is not counted and the
        # table shows none; the server process's own share still compares two runs.
        log(
            f"http: {name}: {count / doc['elapsed']:.0f}/s, server process "
            f"{1000 * server_seconds / sent:.2f} CPU ms per request"
        )
    return LoadResult(
        rate=count / doc["elapsed"],
        count=count,
        elapsed=float(doc["elapsed"]),
        statuses=doc["statuses"],
        outcomes=doc["outcomes"],
        cpu_ms=None if measured.cpu_ms is None or server is None else measured.cpu_ms / sent,
        server_cpu_ms=None if server is None else 1000 * server_seconds / sent,
    )


def _process_cpu(server: ServiceProcess | None) -> float:
    if server is None:
        return 0.0
    try:
        times = psutil.Process(server.proc.pid).cpu_times()
    except psutil.Error:
        return 0.0
    return float(times.user + times.system)


def _spec(
    service: ServiceProcess,
    headers: dict[str, str],
    requests: list[dict[str, Any]],
    *,
    warmup: int,
    connections: int,
    keep_bodies: bool = False,
) -> dict[str, Any]:
    return {
        "host": "127.0.0.1",
        "port": service.port,
        "mode": "closed",
        "connections": connections,
        "headers": headers,
        "warmup": requests[:warmup],
        "requests": requests[warmup:],
        "keep_bodies": keep_bodies,
    }


def _check(name: str, result: LoadResult) -> None:
    bad = {code: n for code, n in result.statuses.items() if code != "201"}
    if bad:
        raise RuntimeError(f"{name}: unexpected answers {bad} (first: {result.outcomes[:1]})")


async def run_bare(
    env: BenchEnv, settings: Settings, *, count: int, warmup: int, connections: int
) -> LoadResult:
    dsn = await env.create_database("bare")
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(TABLE_DDL)
    finally:
        await conn.close()
    service = await asyncio.to_thread(
        env.start_uvicorn,
        "bare",
        "bench.bare_app:create_app",
        env.child_env(settings, {"BENCH_BARE_DSN": dsn}),
    )
    try:
        requests = [
            {"path": f"/bare/{uuid.uuid4()}/settlement", "body": SETTLE_BODY}
            for _ in range(warmup + count)
        ]
        log(f"http: bare FastAPI INSERT, {count} requests, {connections} connections")
        result = await run_loadgen(
            env,
            "bare",
            _spec(
                service, auth_headers(settings), requests, warmup=warmup, connections=connections
            ),
            service,
        )
    finally:
        await asyncio.to_thread(env.stop_process, service)
    _check("bare", result)
    return result


PARTICIPANTS_APP = "services.participants.app:create_app"


def start_participants(
    env: BenchEnv,
    settings: Settings,
    factory: str = PARTICIPANTS_APP,
    extra: Mapping[str, str] | None = None,
) -> ServiceProcess:
    return env.start_uvicorn("participants", factory, env.child_env(settings, extra))


async def register(
    env: BenchEnv,
    settings: Settings,
    service: ServiceProcess,
    *,
    count: int,
    warmup: int,
    connections: int,
    name: str = "register",
    skip: int = 0,
) -> tuple[LoadResult, list[str]]:
    """``POST /participants`` ``warmup`` + ``count`` times; the ids of the timed ones.

    ``skip``: national ids already registered in this database (they are handed out in
    a fixed order).
    """
    ids = national_ids(skip + warmup + count)[skip:]
    registrations = [
        {"path": "/participants", "body": register_body(nid, skip + i)} for i, nid in enumerate(ids)
    ]
    log(f"http: POST /participants, {count} requests, {connections} connections ({name})")
    result = await run_loadgen(
        env,
        name,
        _spec(
            service,
            auth_headers(settings),
            registrations,
            warmup=warmup,
            connections=connections,
            keep_bodies=True,
        ),
        service,
    )
    _check(name, result)
    return result, [json.loads(o["body"])["id"] for o in result.outcomes]


async def run_kit(
    env: BenchEnv,
    settings: Settings,
    service: ServiceProcess,
    *,
    settle_count: int,
    warmup: int,
    connections: int,
) -> tuple[LoadResult, LoadResult]:
    """Register ``warmup + settle_count`` (timed), then settle them (``warmup`` untimed)."""
    registered, participant_ids = await register(
        env,
        settings,
        service,
        count=warmup + settle_count,
        warmup=warmup,
        connections=connections,
    )
    settlements = [
        {"path": f"/participants/{pid}/settlement", "body": SETTLE_BODY, "tag": pid}
        for pid in participant_ids
    ]
    log(f"http: POST /participants/{{id}}/settlement, {settle_count} requests")
    settle = await run_loadgen(
        env,
        "settle",
        _spec(service, auth_headers(settings), settlements, warmup=warmup, connections=connections),
        service,
    )
    _check("settle", settle)
    return registered, settle


PROGRAMME_BODY = {"kind": "introduction", "starts_on": "2025-04-01", "adviser": "bench-adviser"}
ABSENCE_BODY = {"on": "2025-05-06", "hours": 3, "valid_reason": True, "note": "Legetime"}


async def _drive(
    env: BenchEnv,
    settings: Settings,
    service: ServiceProcess,
    name: str,
    requests: list[dict[str, Any]],
    *,
    warmup: int,
    connections: int,
) -> LoadResult:
    result = await run_loadgen(
        env,
        name,
        _spec(service, auth_headers(settings), requests, warmup=warmup, connections=connections),
        service,
    )
    _check(name, result)
    return result


def _quarter(count: int, warmup: int) -> int:
    return -(-(warmup + count) // 4)


def mix_preparation(count: int, warmup: int) -> int:
    """How many commands :func:`run_mix` sends, untimed, to prepare its participants."""
    return 6 * _quarter(count, warmup)


async def run_mix(
    env: BenchEnv,
    settings: Settings,
    service: ServiceProcess,
    *,
    count: int,
    warmup: int,
    connections: int,
    skip: int,
) -> LoadResult:
    """The caseworker mix, ``warmup`` + ``count`` commands, a quarter of each kind.

    Participants are first registered (three quarters of them), settled (two
    quarters) and put in a programme (one quarter), untimed; then the timed run
    registers new ones, settles the registered, starts the settled ones' programme
    and records absences for those in a programme. ``skip``: participants already
    registered in this database.
    """
    quarter = _quarter(count, warmup)
    log(f"http: caseworker mix, preparing {3 * quarter} participants")
    _, prepared = await register(
        env,
        settings,
        service,
        count=3 * quarter,
        warmup=0,
        connections=connections,
        name="mix-prepare",
        skip=skip,
    )
    to_settle, to_start, in_programme = (
        prepared[:quarter],
        prepared[quarter : 2 * quarter],
        prepared[2 * quarter :],
    )
    await _drive(
        env,
        settings,
        service,
        "mix-settle",
        [
            {"path": f"/participants/{pid}/settlement", "body": SETTLE_BODY}
            for pid in to_start + in_programme
        ],
        warmup=0,
        connections=connections,
    )
    await _drive(
        env,
        settings,
        service,
        "mix-programme",
        [
            {"path": f"/participants/{pid}/programme", "body": PROGRAMME_BODY}
            for pid in in_programme
        ],
        warmup=0,
        connections=connections,
    )
    fresh = national_ids(skip + 4 * quarter)[skip + 3 * quarter :]
    mix: list[dict[str, Any]] = []
    for i in range(quarter):
        mix += [
            {"path": "/participants", "body": register_body(fresh[i], skip + 3 * quarter + i)},
            {"path": f"/participants/{to_settle[i]}/settlement", "body": SETTLE_BODY},
            {"path": f"/participants/{to_start[i]}/programme", "body": PROGRAMME_BODY},
            {"path": f"/participants/{in_programme[i]}/absences", "body": ABSENCE_BODY},
        ]
    log(f"http: caseworker mix, {count} requests, {connections} connections")
    return await _drive(
        env,
        settings,
        service,
        "mix",
        mix[: warmup + count],
        warmup=warmup,
        connections=connections,
    )
