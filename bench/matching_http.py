"""Top-20 among 100,000 candidates over real HTTP: ``python -m bench.matching_http``.

The matching service runs as its own uvicorn process on a socket, on PostgreSQL and NATS
(embedded, or the servers of ``VEIVISER_DATABASE_URL`` / ``VEIVISER_NATS_URL`` under a
database prefix of the run's own). Its read models hold 100,000 synthetic candidates of one
municipality (``bench.matching``'s generator, the real ESCO occupations and skills) and a
few openings; the service builds its index from them at start-up, in its worker thread, as
in production. When the first ranked list answers 200 the index is warm.

Then an httpx client on a keep-alive connection asks ``GET /openings/{id}/candidates?limit=20``
one request at a time, cycling through the openings, and the same with filters. Each
request is the whole path: routing, token, the per-request change-cursor query to
PostgreSQL (``MatchingIndex.current``), scoring, explanation of the 20, JSON.

Reported: wall time p50/p99 per request, and CPU time per request of the service process
(user + system, from ``psutil``, over the timed requests only) — the CPU figure holds when
other work shares the machine, the wall times do not. The load average before the run is
printed beside them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import psutil

from bench.env import BenchEnv, cpu_seconds, log
from bench.matching import (
    MUNICIPALITY,
    print_measures,
    synthetic_openings,
    synthetic_profiles,
)
from deploy.services import upgrade
from shared.auth import issue_dev_token
from shared.settings import Settings

MATCHING_APP = "services.matching.app:create_app"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


async def seed(settings: Settings, candidates: int, openings: int, rng: random.Random) -> list[str]:
    """The read models as the projections would leave them; the trigger stamps each row."""
    profiles = synthetic_profiles(candidates, rng)
    specs = synthetic_openings(openings, rng)
    conn = await asyncpg.connect(settings.service_database_url("matching", driver="postgresql"))
    try:
        now = datetime.now(UTC)
        employer = uuid.uuid4()
        await conn.execute(
            "INSERT INTO employers (employer_id, municipality, organisation_number, name, "
            "industry, municipality_code, mentor_capacity, agreements, registered_at, version) "
            "VALUES ($1, $2, '974760673', 'Bench AS', '56.101', $2, 5, '[]', $3, 1)",
            employer,
            MUNICIPALITY,
            now,
        )
        await conn.copy_records_to_table(
            "candidates",
            records=[
                (
                    uuid.UUID(profile["participant_id"]),
                    MUNICIPALITY,
                    json.dumps(profile),
                    now,
                    settled_on,
                )
                for profile, settled_on in profiles
            ],
            columns=[
                "participant_id",
                "municipality",
                "profile",
                "profile_updated_at",
                "settled_on",
            ],
        )
        ids = []
        for spec in specs:
            terms = spec.terms.model_dump(mode="json") | {"municipality_code": MUNICIPALITY}
            await conn.execute(
                "INSERT INTO openings (opening_id, municipality, employer_id, kind, terms, title, "
                "status, published_at, version) VALUES ($1, $2, $3, $4, $5, 'Bench', 'open', $6, 1)",
                spec.opening_id,
                MUNICIPALITY,
                employer,
                spec.kind.value,
                json.dumps(terms),
                now,
            )
            ids.append(str(spec.opening_id))
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return ids


async def measure(
    url: str, pid: int, token: str, openings: list[str], runs: int, params: dict[str, Any]
) -> dict[str, float]:
    """Wall time and server CPU per request, ``runs`` requests one at a time."""
    headers = {"Authorization": f"Bearer {token}"}
    process = psutil.Process(pid)
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as client:
        for opening in openings[:5]:  # warm: connection, caches, first packing of the batch
            response = await client.get(f"/openings/{opening}/candidates", params=params)
            assert response.status_code == 200, response.text
        times = []
        cpu_before = cpu_seconds(pid)
        threads_before = process.num_threads()
        client_before = time.process_time()
        for i in range(runs):
            opening = openings[i % len(openings)]
            asked = time.perf_counter()
            response = await client.get(f"/openings/{opening}/candidates", params=params)
            times.append(time.perf_counter() - asked)
            assert response.status_code == 200, response.text
            found = len(response.json()["candidates"])
            assert found == 20 or (found and len(params) > 1), found
        cpu = cpu_seconds(pid) - cpu_before
        client_cpu = time.process_time() - client_before
    return {
        "p50": statistics.median(times) * 1000,
        "p99": percentile(times, 0.99) * 1000,
        "mean": statistics.fmean(times) * 1000,
        "cpu_per_request": cpu / runs * 1000,
        "client_cpu_per_request": client_cpu / runs * 1000,
        "threads": float(threads_before),
        "runs": float(runs),
    }


async def wait_warm(url: str, token: str, opening: str, deadline_s: float) -> float:
    """Seconds until the first ranked list answers 200 (503 while the index builds)."""
    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        while True:
            response = await client.get(
                f"/openings/{opening}/candidates",
                params={"limit": 20},
                headers={"Authorization": f"Bearer {token}"},
            )
            if response.status_code == 200:
                return time.perf_counter() - started
            assert response.status_code == 503, response.text
            if time.perf_counter() - started > deadline_s:
                raise RuntimeError("matching index not built in time")
            await asyncio.sleep(1.0)


@dataclass
class Result:
    candidates: int
    openings: int
    seeded: float
    warm: float
    plain: dict[str, float]
    filtered: dict[str, float]
    load: tuple[float, float]


async def over_http(
    env: BenchEnv, *, candidates: int, openings: int, runs: int, seed_value: int = 2025
) -> Result:
    """The whole measurement on ``env``'s servers (started); the service is stopped after."""
    settings = env.settings("matching")
    log("migrating the matching database")
    await asyncio.to_thread(upgrade, settings, "matching")
    log(f"seeding {candidates:,} candidates and {openings} openings")
    seeded = time.perf_counter()
    ids = await seed(settings, candidates, openings, random.Random(seed_value))
    seeded = time.perf_counter() - seeded
    service = await asyncio.to_thread(
        env.start_uvicorn, "matching", MATCHING_APP, env.child_env(settings)
    )
    try:
        token = issue_dev_token(
            settings, sub="bench", roles=["job_coach"], municipality=MUNICIPALITY
        )
        log("waiting for the index build")
        warm = await wait_warm(service.url, token, ids[0], 600)
        load = os.getloadavg()[0]
        log(f"index warm after {warm:.1f} s; load {load:.1f}; measuring")
        plain = await measure(service.url, service.proc.pid, token, ids, runs, {"limit": 20})
        filtered = await measure(service.url, service.proc.pid, token, ids, runs, FILTERS)
    finally:
        await asyncio.to_thread(env.stop_process, service)
    return Result(candidates, openings, seeded, warm, plain, filtered, (load, os.getloadavg()[0]))


FILTERS: dict[str, Any] = {
    "limit": 20,
    "norwegian_oral": "A2",
    "min_waited_days": 100,
    "band": ["strong", "partial"],
}


def lines_of(result: Result) -> list[tuple[str, str, str]]:
    lines = [
        ("candidates / openings", f"{result.candidates:,} / {result.openings}", ""),
        ("seed the read models (COPY)", f"{result.seeded:.1f} s", ""),
        ("index warm after start-up", f"{result.warm:.1f} s", "first ranked list answering 200"),
    ]
    for name, measured in (("", result.plain), (" with filters", result.filtered)):
        lines += [
            (
                f"GET /openings/{{id}}/candidates?limit=20{name} p50",
                f"{measured['p50']:.1f} ms",
                f"over a socket, {int(measured['runs'])} requests one at a time"
                + ("; aim < 50 ms" if not name else ""),
            ),
            ("  … p99", f"{measured['p99']:.1f} ms", f"mean {measured['mean']:.1f} ms"),
            (
                "  … service CPU per request",
                f"{measured['cpu_per_request']:.1f} ms",
                "user + system of the uvicorn process; "
                f"client {measured['client_cpu_per_request']:.1f} ms",
            ),
        ]
    before, after = result.load
    lines.append(
        (
            "load average",
            f"{before:.1f} → {after:.1f}",
            f"on {os.cpu_count()} cores, before → after",
        )
    )
    return lines


async def _standalone(args: argparse.Namespace) -> Result:
    env = BenchEnv(durable=False)
    try:
        env.start_servers()
        return await over_http(
            env,
            candidates=args.candidates,
            openings=args.openings,
            runs=args.runs,
            seed_value=args.seed,
        )
    finally:
        await asyncio.to_thread(env.close)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=100_000)
    parser.add_argument("--openings", type=int, default=30)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=2025)
    args = parser.parse_args()
    print_measures(lines_of(asyncio.run(_standalone(args))))


if __name__ == "__main__":
    main()
