"""Participants benchmark: a realistic command mix, and rebuilding projections from events.

    python -m bench.participants [--quick] [--events 1000000]

1. Commands/s over HTTP for a caseworker's mix (follow-ups, absences, Norwegian tests,
   plan revisions, competence profiles, new registrations) against a real uvicorn
   process of the participants service, beside the bare FastAPI POST doing one INSERT,
   both driven by the same closed-loop load generator at the same concurrency.
2. Seconds to rebuild the participants projections from N events (default 1,000,000:
   100,000 participants with ten events each, sealed personal details included),
   beside the raw rate of reading the same events in global order with asyncpg.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import httpx

from bench import http_commands
from bench.env import BenchEnv, log
from bench.rebuilds import timed_rebuild
from services.participants import personal_data
from shared.sealing import new_key
from tests.support import national_id

SKILL = "http://data.europa.eu/esco/skill/0005c151-5b5a-4a66-8aac-60e734beb1ab"


def _mix(pids: list[str], count: int, rng: random.Random) -> list[dict[str, Any]]:
    """Requests spread over many participants so no two in flight touch one stream."""
    requests = []
    for k in range(count):
        pid = pids[k % len(pids)]
        roll = rng.random()
        if roll < 0.30:
            requests.append(
                {
                    "path": f"/participants/{pid}/follow-ups",
                    "body": {
                        "held_on": "2025-03-03",
                        "adviser": "adv-1",
                        "note": "Talked about the plan",
                    },
                }
            )
        elif roll < 0.50:
            requests.append(
                {
                    "path": f"/participants/{pid}/absences",
                    "body": {"on": "2025-03-04", "hours": 2, "valid_reason": True},
                }
            )
        elif roll < 0.65:
            requests.append(
                {
                    "path": f"/participants/{pid}/norwegian-tests",
                    "body": {"sub_test": "oral", "level": "A2", "taken_on": "2025-02-01"},
                }
            )
        elif roll < 0.80:
            requests.append(
                {
                    "method": "PUT",
                    "path": f"/participants/{pid}/plan",
                    "body": {
                        "valid_from": "2025-03-01",
                        "end_goal": "work",
                        "activities": [
                            {
                                "kind": "norwegian_training",
                                "hours_per_week": 20,
                                "starts_on": "2025-03-01",
                            },
                            {
                                "kind": "language_practice",
                                "hours_per_week": 17.5,
                                "starts_on": "2025-03-01",
                            },
                        ],
                    },
                }
            )
        elif roll < 0.90:
            requests.append(
                {
                    "method": "PUT",
                    "path": f"/participants/{pid}/competence-profile",
                    "body": {
                        "work_experience": [{"isco_code": "5322", "years": 2}],
                        "skills": [SKILL],
                        "consent": {"work_experience": True, "skills": True},
                    },
                }
            )
        else:
            birth = date(1950, 1, 1) + timedelta(days=k)
            requests.append(
                {
                    "path": "/participants",
                    "body": {
                        "given_name": "Bench",
                        "family_name": f"P{k}",
                        "birth_date": birth.isoformat(),
                        "national_id": national_id(birth),
                    },
                }
            )
    return requests


async def _seed_over_http(url: str, headers: dict[str, str], count: int) -> list[str]:
    """Participants settled and in a programme, so every command of the mix is allowed."""
    pids: list[str] = []
    semaphore = asyncio.Semaphore(16)
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as client:

        async def one(n: int) -> None:
            async with semaphore:
                birth = date(1980, 1, 1) + timedelta(days=n % 9000)
                r = await client.post(
                    "/participants",
                    json={
                        "given_name": "Seed",
                        "family_name": f"S{n}",
                        "birth_date": birth.isoformat(),
                        "national_id": national_id(birth),
                    },
                )
                if r.status_code != 201:
                    return
                pid = r.json()["id"]
                await client.post(
                    f"/participants/{pid}/settlement",
                    json={"settled_on": "2024-01-01", "arrival_category": "other"},
                )
                await client.post(
                    f"/participants/{pid}/programme",
                    json={"kind": "introduction", "starts_on": "2024-02-01", "adviser": "adv-1"},
                )
                pids.append(pid)

        await asyncio.gather(*(one(n) for n in range(count)))
    return pids


async def command_mix(env: BenchEnv, count: int, seeds: int, connections: int) -> dict[str, float]:
    settings = await env.fresh("pmix")
    bare = await http_commands.run_bare(
        env, settings, count=count, warmup=200, connections=connections
    )
    service = await asyncio.to_thread(http_commands.start_participants, env, settings)
    try:
        headers = http_commands.auth_headers(settings)
        log(f"participants: seeding {seeds} participants in a programme")
        pids = await _seed_over_http(service.url, headers, seeds)
        requests = _mix(pids, count + 200, random.Random(7))
        log(f"participants: command mix, {count} requests, {connections} connections")
        spec = {
            "host": "127.0.0.1",
            "port": service.port,
            "mode": "closed",
            "connections": connections,
            "headers": headers,
            "warmup": requests[:200],
            "requests": requests[200:],
            "keep_bodies": False,
        }
        mix = await http_commands.run_loadgen(env, "participants-mix", spec, service)
    finally:
        await asyncio.to_thread(env.stop_process, service)
    bad = {code: n for code, n in mix.statuses.items() if code != "201"}
    if bad:
        raise RuntimeError(f"command mix: unexpected answers {bad}")
    return {"mix": mix.rate, "bare": bare.rate}


def _synthetic_rows(
    participants: int, rng: random.Random
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Ten events per participant, in the shapes the service writes (details sealed)."""
    now = datetime.now(UTC)
    events: list[tuple[Any, ...]] = []
    streams: list[tuple[Any, ...]] = []
    keys: list[tuple[Any, ...]] = []
    for n in range(participants):
        pid = uuid.uuid4()
        key = new_key()
        keys.append((pid, key))
        birth = date(1970, 1, 1) + timedelta(days=rng.randrange(15000))
        sealed = personal_data.seal(
            key,
            pid,
            {
                "given_name": "Syn",
                "family_name": f"T{n}",
                "birth_date": birth.isoformat(),
                "national_id": f"{n:011d}",
            },
        )
        programme = str(uuid.uuid4())
        p = str(pid)
        payloads = [
            (
                "participants.participant.registered.v1",
                {"participant_id": p, "birth_year": birth.year, "gender": "unknown"},
            ),
            (
                "participants.participant.personal_details_recorded.v1",
                {"participant_id": p, "sealed": sealed},
            ),
            (
                "participants.participant.settled.v1",
                {
                    "participant_id": p,
                    "settled_on": "2024-01-01",
                    "arrival_category": "other",
                    "household_id": str(uuid.uuid4()),
                    "household_size": 1,
                    "unaccompanied_minor": False,
                },
            ),
            (
                "participants.programme.started.v1",
                {
                    "participant_id": p,
                    "programme_id": programme,
                    "kind": "introduction",
                    "starts_on": "2024-02-01",
                    "planned_end": "2026-02-01",
                    "adviser": f"adv-{n % 50}",
                },
            ),
            (
                "participants.plan.revised.v1",
                {
                    "participant_id": p,
                    "programme_id": programme,
                    "revision": 1,
                    "valid_from": "2024-02-01",
                    "end_goal": "work",
                    "norwegian_goal": None,
                    "activities": [
                        {
                            "kind": "norwegian_training",
                            "hours_per_week": 37.5,
                            "provider": None,
                            "starts_on": "2024-02-01",
                            "ends_on": None,
                        }
                    ],
                    "hours_per_week": 37.5,
                    "full_time": True,
                },
            ),
            (
                "participants.follow_up.conversation_held.v1",
                {
                    "participant_id": p,
                    "held_on": "2024-03-01",
                    "adviser": "adv",
                    "sealed_note": None,
                },
            ),
            (
                "participants.follow_up.conversation_held.v1",
                {
                    "participant_id": p,
                    "held_on": "2024-04-01",
                    "adviser": "adv",
                    "sealed_note": None,
                },
            ),
            (
                "participants.norwegian_test.recorded.v1",
                {"participant_id": p, "sub_test": "oral", "level": "A2", "taken_on": "2024-09-01"},
            ),
            (
                "participants.norwegian_test.recorded.v1",
                {
                    "participant_id": p,
                    "sub_test": "written",
                    "level": "A2",
                    "taken_on": "2024-09-01",
                },
            ),
            (
                "participants.programme.completed.v1",
                {
                    "participant_id": p,
                    "programme_id": programme,
                    "ended_on": "2025-12-01",
                    "reason": "completed",
                    "outcome": "other",
                    "hours_per_week": None,
                },
            ),
        ]
        for version, (type_name, data) in enumerate(payloads, start=1):
            events.append(
                (
                    uuid.uuid4(),
                    p,
                    version,
                    type_name,
                    "3301",
                    json.dumps(data),
                    "bench",
                    "bench",
                    None,
                    now,
                    now,
                )
            )
        streams.append((p, "participant", "3301", len(payloads)))
    return events, streams, keys


async def rebuild_from_events(env: BenchEnv, total_events: int) -> dict[str, float]:
    settings = await env.fresh("prebuild")
    dsn = settings.service_database_url("participants", driver="postgresql")
    participants = max(1, total_events // 10)
    log(f"participants: writing {participants * 10} synthetic events")
    conn = await asyncpg.connect(dsn)
    try:
        rng = random.Random(11)
        chunk = 20_000
        for start in range(0, participants, chunk):
            events, streams, keys = _synthetic_rows(min(chunk, participants - start), rng)
            await conn.copy_records_to_table(
                "events",
                records=events,
                columns=[
                    "event_id",
                    "stream_id",
                    "version",
                    "type",
                    "municipality",
                    "data",
                    "actor",
                    "correlation_id",
                    "causation_id",
                    "occurred_at",
                    "recorded_at",
                ],
            )
            await conn.copy_records_to_table(
                "streams",
                records=streams,
                columns=["stream_id", "stream_type", "municipality", "version"],
            )
            await conn.copy_records_to_table(
                "participant_keys", records=keys, columns=["participant_id", "key"]
            )
        await conn.execute("ANALYZE")
        log("participants: raw read of every event in global order")
        started = time.perf_counter()
        raw_cpu = time.process_time()
        read = 0
        async with conn.transaction():
            async for row in conn.cursor(
                "SELECT tx_id::text, position, type, data FROM events ORDER BY tx_id, position",
                prefetch=5000,
            ):
                json.loads(row["data"])
                read += 1
        raw_seconds = time.perf_counter() - started
        raw_cpu = time.process_time() - raw_cpu
    finally:
        await conn.close()
    return await timed_rebuild(settings, "participants", "own", read, raw_seconds, raw_cpu)


async def main_async(args: argparse.Namespace) -> None:
    env = BenchEnv(durable=False)
    env.start_servers()
    try:
        await env.migrate_templates()
        count = 600 if args.quick else 3000
        seeds = 400 if args.quick else 2000
        mix = None if args.rebuild_only else await command_mix(env, count, seeds, connections=32)
        events = 50_000 if args.quick else args.events
        rebuilt = await rebuild_from_events(env, events)
    finally:
        await asyncio.to_thread(env.close)
    n = rebuilt["events"]
    seconds = rebuilt["rebuild_seconds"]
    national = 10_000_000
    lines = ["| measure | Veiviser | raw path | ratio |", "|---|---|---|---|"]
    if mix is not None:
        lines.append(
            f"| HTTP commands/s, caseworker mix vs bare POST + INSERT | {mix['mix']:,.0f} | {mix['bare']:,.0f} | {mix['mix'] / mix['bare']:.0%} |"
        )
    lines += [
        f"| rebuild all participant projections from {n:,.0f} events (s) | {seconds:,.1f} | {rebuilt['raw_seconds']:,.1f} (read + decode) | {rebuilt['raw_seconds'] / seconds:.0%} |",
        f"| … events/s | {n / seconds:,.0f} | {n / rebuilt['raw_seconds']:,.0f} | |",
        f"| … CPU s, this process · its PostgreSQL backends | {rebuilt['cpu_seconds']:,.1f} · {rebuilt['server_cpu_seconds']:,.1f} | {rebuilt['raw_cpu_seconds']:,.1f} (this process) | |",
        f"| … peak memory of the rebuilding process (MiB; grew by) | {rebuilt['peak_rss_mib']:,.0f} ({rebuilt['rss_growth_mib']:+,.0f}) | | |",
        f"| national {national:,} events, extrapolated at the measured rate (s) | {seconds * national / n:,.0f} | {rebuilt['raw_seconds'] * national / n:,.0f} | |",
        f"| … memory, extrapolated (rows held for the whole rebuild; MiB) | {rebuilt['rss_growth_mib'] * national / n:,.0f} | | |",
    ]
    print("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small run (about a minute)")
    parser.add_argument("--events", type=int, default=1_000_000, help="events to rebuild from")
    parser.add_argument(
        "--rebuild-only", action="store_true", help="skip the command mix, only rebuild"
    )
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
