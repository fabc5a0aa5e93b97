"""Rebuilding the indicators projections from their inbox, beside a raw read of it.

``python -m bench.indicators_rebuild [--events 1000000] [--municipalities 357]``

Fills the indicators inbox (``received_events``, consumer ``participants``) with a
national synthetic set of participants events — each person registered, settled,
starting a programme, revising the plan, taking Norwegian tests, completing, and a
follow-up status, spread over every municipality — copied in with COPY as the consumer
would have stored them (minimised CloudEvents). Then:

* raw: every inbox row read in order through asyncpg and its payload decoded (orjson);
* kit: ``shared.replay.rebuild_together`` of every projection fed by that inbox
  (``settlements`` and ``participant_facts``), in one pass.

Prints the rates, the share of raw, the memory the rebuilding process grew by, and a
10,000,000-event rebuild extrapolated from the measured rate.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import orjson

from bench.env import BenchEnv, log
from bench.rebuilds import timed_rebuild
from shared.codes import municipalities as all_municipalities
from shared.events import CLOUDEVENTS_TYPE_PREFIX

FEED = "participants"
PREFIX = "participants."


def _person(rng: random.Random, municipality: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """One person's events in the order the participants service publishes them."""
    pid = str(uuid.uuid4())
    programme = str(uuid.uuid4())
    settled = date(2016, 1, 1) + timedelta(days=rng.randrange(3600))
    start = settled + timedelta(days=rng.randrange(20, 120))
    end = start + timedelta(days=rng.randrange(300, 700))
    yield (
        "participant.registered.v1",
        {
            "participant_id": pid,
            "birth_year": rng.randrange(1960, 2008),
            "gender": rng.choice(["female", "male", "unknown"]),
        },
    )
    yield (
        "participant.settled.v1",
        {
            "participant_id": pid,
            "settled_on": settled.isoformat(),
            "arrival_category": rng.choice(["resettlement", "family_reunification", "other"]),
            "household_id": str(uuid.uuid4()),
            "household_size": rng.randrange(1, 7),
            "unaccompanied_minor": False,
        },
    )
    yield (
        "programme.started.v2",
        {
            "participant_id": pid,
            "programme_id": programme,
            "kind": "introduction_programme",
            "starts_on": start.isoformat(),
            "planned_end": (start + timedelta(days=730)).isoformat(),
        },
    )
    yield (
        "plan.revised.v2",
        {
            "participant_id": pid,
            "programme_id": programme,
            "revision": 1,
            "valid_from": start.isoformat(),
            "hours_per_week": float(rng.choice([30, 37.5])),
            "full_time": True,
        },
    )
    for sub_test in ("oral", "written", "reading"):
        yield (
            "norwegian_test.recorded.v1",
            {
                "participant_id": pid,
                "sub_test": sub_test,
                "level": rng.choice(["A1", "A2", "B1", "B2"]),
                "taken_on": (start + timedelta(days=rng.randrange(200, 500))).isoformat(),
            },
        )
    yield (
        "programme.completed.v1",
        {
            "participant_id": pid,
            "programme_id": programme,
            "ended_on": end.isoformat(),
            "reason": "completed",
            "outcome": rng.choice(["employed", "education", None]),
            "hours_per_week": 37.5,
        },
    )
    yield (
        "follow_up_status.recorded.v1",
        {
            "participant_id": pid,
            "programme_id": programme,
            "reference_year": end.year + 1,
            "status": rng.choice(["employed", "education", "neither"]),
            "preliminary": False,
        },
    )


def _inbox_rows(
    total: int, municipalities: list[str], rng: random.Random
) -> Iterator[tuple[Any, ...]]:
    now = datetime.now(UTC).isoformat()
    sequence = 0
    while sequence < total:
        municipality = rng.choice(municipalities)
        for version, (kind, data) in enumerate(_person(rng, municipality), start=1):
            if sequence >= total:
                return
            sequence += 1
            event_id = uuid.uuid4()
            type_name = PREFIX + kind
            payload = {
                "specversion": "1.0",
                "id": str(event_id),
                "source": "/veiviser/participants",
                "type": CLOUDEVENTS_TYPE_PREFIX + type_name,
                "subject": data["participant_id"],
                "time": now,
                "datacontenttype": "application/json",
                "streamid": data["participant_id"],
                "streamversion": version,
                "municipality": municipality,
                "correlationid": "bench",
                "causationid": str(event_id),
                "actor": "bench",
                "recordedtime": now,
                "data": data,
            }
            yield (FEED, event_id, type_name, sequence, orjson.dumps(payload).decode())


async def measure(env: BenchEnv, total: int, municipalities: int) -> dict[str, float]:
    settings = await env.fresh("irebuild")
    dsn = settings.service_database_url("indicators", driver="postgresql")
    today = date(2025, 1, 1)
    numbers = sorted(m.code for m in all_municipalities() if m.valid_on(today))[:municipalities]
    conn = await asyncpg.connect(dsn)
    try:
        log(f"indicators: writing {total:,} inbox rows for {len(numbers)} municipalities")
        rows = list(_inbox_rows(total, numbers, random.Random(7)))
        await conn.copy_records_to_table(
            "received_events",
            records=rows,
            columns=["consumer", "event_id", "type", "source_sequence", "payload"],
        )
        del rows
        await conn.execute("ANALYZE")
        log("indicators: raw read + decode of the inbox in order")
        started = time.perf_counter()
        raw_cpu = time.process_time()
        read = 0
        async with conn.transaction():
            async for row in conn.cursor(
                "SELECT seq, payload::text FROM received_events WHERE consumer = $1 ORDER BY seq",
                FEED,
                prefetch=10_000,
            ):
                orjson.loads(row[1])
                read += 1
        raw_seconds = time.perf_counter() - started
        raw_cpu = time.process_time() - raw_cpu
    finally:
        await conn.close()
    return await timed_rebuild(settings, "indicators", FEED, read, raw_seconds, raw_cpu)


def table(result: dict[str, float]) -> str:
    n, seconds, raw = result["events"], result["rebuild_seconds"], result["raw_seconds"]
    national = 10_000_000
    return "\n".join(
        [
            "| measure | Veiviser | raw path | ratio |",
            "|---|---|---|---|",
            f"| rebuild the indicators' participants-fed projections from {n:,.0f} inbox events (s) | {seconds:,.1f} | {raw:,.1f} (read + decode) | {raw / seconds:.0%} |",
            f"| … events/s | {n / seconds:,.0f} | {n / raw:,.0f} | |",
            f"| … CPU s, this process · its PostgreSQL backends | {result['cpu_seconds']:,.1f} · {result['server_cpu_seconds']:,.1f} | {result['raw_cpu_seconds']:,.1f} (this process) | |",
            f"| … memory the rebuilding process grew by (MiB) | {result['rss_growth_mib']:+,.0f} | | |",
            f"| national {national:,} events, extrapolated (s) | {seconds * national / n:,.0f} | {raw * national / n:,.0f} | |",
        ]
    )


async def main_async(args: argparse.Namespace) -> None:
    env = BenchEnv(durable=False)
    env.start_servers()
    try:
        await env.migrate_templates()
        result = await measure(env, args.events, args.municipalities)
    finally:
        await asyncio.to_thread(env.close)
    print(table(result))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--municipalities", type=int, default=357)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
