"""Indicators benchmark: the scorecard warm, and a national recompute of every built-in.

``python -m bench.indicators [--settled-per-year 15000] [--years 10]``

Starts its own embedded PostgreSQL (unless ``VEIVISER_DATABASE_URL`` is set), migrates
the indicators database, fills the fact tables with synthetic events for 357
municipalities over ten years (COPY straight into the tables the consumers fill; the
ingest path itself is measured by the kit's consumer benchmark), and measures:

* raw read rates — ``count(*)`` and a full read of every fact table through asyncpg;
* the national recompute — read + fold every fact into snapshots, then every built-in
  indicator for every municipality and year (357 × 10 × 14 values);
* the scorecard over HTTP (in-process ASGI) for the largest and a median municipality,
  cold (first request) and warm (p50/p95), beside a raw read of that municipality's rows.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from deploy.embedded import EmbeddedPostgres, free_port
from deploy.services import upgrade
from services.indicators.app import create_app
from services.indicators.domain.catalogue import BUILT_INS
from services.indicators.domain.facts import build_snapshots
from services.indicators.domain.periods import Period
from services.indicators.domain.rules import RULES, Context
from services.indicators.loader import read_fact_rows
from services.indicators.seed import seed_drammen
from shared.auth import issue_dev_token
from shared.settings import Settings

MUNICIPALITIES = 357
FIRST_YEAR = 2015
TODAY = date(2025, 6, 30)
OUTCOMES = (
    ("work_full_time", 30),
    ("work_part_time", 10),
    ("education_upper_secondary", 12),
    ("education_higher", 6),
    ("education_primary", 6),
    ("work_and_education", 4),
    ("nav_measure", 14),
    ("other", 12),
    ("moved_municipality", 4),
    ("emigrated", 1),
    ("deceased", 1),
)
STATUSES = ("employed", "education", "employed_and_education", "unemployed_or_nav_measure",
            "other_unknown")  # fmt: skip
LEVELS = ("below_A1", "A1", "A2", "B1", "B2")


def log(message: str) -> None:
    print(f"[bench indicators {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def recorded(day: date, rng: random.Random) -> datetime:
    moment = datetime.combine(day + timedelta(days=rng.randrange(0, 5)), clock(12), UTC)
    return min(moment, datetime.combine(TODAY, clock(12), UTC))


def municipality_codes() -> list[str]:
    return [f"{1000 + i * 13:04d}" for i in range(MUNICIPALITIES)]


def sizes(total_per_year: int) -> list[float]:
    """Settlements per year by municipality: a long tail, as in Norway."""
    weights = [1 / (rank**0.9) for rank in range(1, MUNICIPALITIES + 1)]
    scale = total_per_year / sum(weights)
    return [w * scale for w in weights]


class Rows:
    def __init__(self) -> None:
        self.tables: dict[str, list[tuple[Any, ...]]] = {}

    def add(self, table: str, *row: Any) -> None:
        self.tables.setdefault(table, []).append(row)


COLUMNS = {
    "registrations": ("participant_id", "municipality", "birth_year", "gender", "recorded_at"),
    "settlements": ("participant_id", "municipality", "settled_on", "arrival_category",
                    "recorded_at", "household_id", "household_size", "unaccompanied_minor",
                    "event_id"),
    "competence_profiles": ("event_id", "participant_id", "municipality", "education_level",
                            "norwegian_oral", "norwegian_written", "norwegian_reading",
                            "norwegian_listening", "recorded_at"),
    "programme_starts": ("event_id", "participant_id", "programme_id", "municipality", "kind",
                         "starts_on", "planned_end", "recorded_at"),
    "plan_revisions": ("event_id", "participant_id", "programme_id", "municipality", "revision",
                       "valid_from", "hours_per_week", "full_time", "recorded_at"),
    "programme_completions": ("event_id", "participant_id", "programme_id", "municipality",
                              "ended_on", "reason", "outcome", "hours_per_week", "recorded_at"),
    "norwegian_tests": ("event_id", "participant_id", "municipality", "sub_test", "level",
                        "taken_on", "recorded_at"),
    "follow_up_statuses": ("event_id", "participant_id", "programme_id", "municipality",
                           "reference_year", "status", "preliminary", "recorded_at"),
    "moves_out": ("event_id", "participant_id", "municipality", "moved_on", "to_municipality",
                  "recorded_at"),
    "jobs": ("event_id", "participant_id", "municipality", "employer_id", "match_id",
             "starts_on", "hours_per_week", "permanent", "recorded_at"),
    "practice_placements": ("event_id", "placement_id", "participant_id", "municipality",
                            "change", "kind", "on_date", "hours_per_week", "outcome",
                            "recorded_at"),
    "housing_applications": ("event_id", "application_id", "household_id", "municipality",
                             "household_size", "received_on", "urgency", "recorded_at"),
    "housing_decisions": ("event_id", "application_id", "household_id", "municipality",
                          "decision", "decided_on", "recorded_at"),
    "placements": ("event_id", "placement_id", "household_id", "municipality", "change",
                   "dwelling_id", "application_id", "on_date", "reason", "recorded_at"),
    "evictions": ("event_id", "placement_id", "household_id", "municipality", "evicted_on",
                  "grounds", "recorded_at"),
    "ownerships": ("event_id", "household_id", "municipality", "became_owner_on", "route",
                   "dwelling_id", "price", "recorded_at"),
}  # fmt: skip


def _day(year: int, rng: random.Random) -> date:
    return date(year, 1, 1) + timedelta(days=rng.randrange(0, 365))


def generate(settled_per_year: int, years: int, seed: int = 2015) -> Rows:
    """Synthetic facts: people, programmes, jobs and households for every municipality."""
    rng = random.Random(seed)
    rows = Rows()
    u = uuid.uuid4
    outcome_names = [o for o, _ in OUTCOMES]
    outcome_weights = [w for _, w in OUTCOMES]
    for municipality, per_year in zip(municipality_codes(), sizes(settled_per_year), strict=True):
        for year in range(FIRST_YEAR, FIRST_YEAR + years):
            count = int(per_year) + (1 if rng.random() < per_year % 1 else 0)
            left = count
            while left > 0:
                size = min(left, rng.choice((1, 1, 2, 3, 4, 5)))
                left -= size
                household = u()
                settled_on = _day(year, rng)
                if settled_on > TODAY:
                    continue
                _household(rows, rng, municipality, household, size, settled_on)
                for _ in range(size):
                    _person(rows, rng, municipality, household, size, settled_on,
                            outcome_names, outcome_weights)  # fmt: skip
    return rows


def _person(
    rows: Rows,
    rng: random.Random,
    m: str,
    household: uuid.UUID,
    size: int,
    settled_on: date,
    outcome_names: list[str],
    outcome_weights: list[int],
) -> None:
    u = uuid.uuid4
    pid = u()
    age = rng.choice((3, 8, 14, 19, 24, 28, 32, 36, 41, 47, 53, 60))
    rows.add("registrations", pid, m, settled_on.year - age, rng.choice(("female", "male")),
             recorded(settled_on - timedelta(days=3), rng))  # fmt: skip
    rows.add("settlements", pid, m, settled_on,
             rng.choice(("resettlement_refugee", "asylum_reception", "family_reunification")),
             recorded(settled_on, rng), household, size, False, u())  # fmt: skip
    if not 18 <= age <= 55:
        return
    if rng.random() < 0.6:
        rows.add("competence_profiles", u(), pid, m,
                 rng.choice(("none", "primary", "upper_secondary", "bachelor", "master")),
                 rng.choice(LEVELS[:3]), None, None, None, recorded(settled_on, rng))  # fmt: skip
    if rng.random() < 0.04:
        moved = settled_on + timedelta(days=rng.randrange(30, 1500))
        if moved <= TODAY:
            rows.add("moves_out", u(), pid, m, moved, "0301", recorded(moved, rng))
    if rng.random() < 0.85:
        programme = u()
        start = settled_on + timedelta(days=rng.randrange(20, 160))
        if start <= TODAY:
            rows.add("programme_starts", u(), pid, programme, m, "introduction", start,
                     start + timedelta(days=730), recorded(start, rng))  # fmt: skip
            hours = rng.choice((25.0, 30.0, 37.5, 37.5))
            rows.add("plan_revisions", u(), pid, programme, m, 1, start, hours, hours >= 37.5,
                     recorded(start, rng))  # fmt: skip
            later = start + timedelta(days=180)
            if later <= TODAY:
                rows.add("plan_revisions", u(), pid, programme, m, 2, later, 37.5, True,
                         recorded(later, rng))  # fmt: skip
            ended = start + timedelta(days=rng.randrange(400, 800))
            if ended <= TODAY:
                outcome = rng.choices(outcome_names, outcome_weights)[0]
                rows.add("programme_completions", u(), pid, programme, m, ended,
                         rng.choice(("completed", "completed", "interrupted")), outcome, None,
                         recorded(ended, rng))  # fmt: skip
                reference = ended.year + 1
                if date(reference, 11, 30) <= TODAY and rng.random() < 0.9:
                    rows.add("follow_up_statuses", u(), pid, programme, m, reference,
                             rng.choice(STATUSES), False, recorded(date(reference + 1, 2, 1), rng))  # fmt: skip
        for _ in range(rng.choice((0, 1, 2))):
            taken = settled_on + timedelta(days=rng.randrange(90, 900))
            if taken <= TODAY:
                rows.add("norwegian_tests", u(), pid, m, rng.choice(("oral", "written")),
                         rng.choice(LEVELS), taken, recorded(taken, rng))  # fmt: skip
    if rng.random() < 0.5:
        job = settled_on + timedelta(days=rng.randrange(100, 1600))
        if job <= TODAY:
            rows.add("jobs", u(), pid, m, u(), u(), job, rng.choice((20.0, 37.5)), True,
                     recorded(job, rng))  # fmt: skip
    if rng.random() < 0.3:
        placement = u()
        start = settled_on + timedelta(days=rng.randrange(100, 500))
        end = start + timedelta(days=rng.randrange(60, 200))
        if end <= TODAY:
            rows.add("practice_placements", u(), placement, pid, m, "started", "language_practice",
                     start, 15.0, None, recorded(start, rng))  # fmt: skip
            rows.add("practice_placements", u(), placement, pid, m, "ended", None, end, None,
                     rng.choice(("completed", "broke_off", "turned_into_job")),
                     recorded(end, rng))  # fmt: skip


def _household(
    rows: Rows, rng: random.Random, m: str, household: uuid.UUID, size: int, settled_on: date
) -> None:
    u = uuid.uuid4
    if rng.random() > 0.7:
        return
    application = u()
    received = settled_on - timedelta(days=rng.randrange(0, 40))
    rows.add("housing_applications", u(), application, household, m, size, received,
             rng.choice(("acute", "high", "normal")), recorded(received, rng))  # fmt: skip
    decided = received + timedelta(days=rng.randrange(5, 60))
    if decided > TODAY:
        return
    decision = rng.choices(("accepted", "rejected", "withdrawn"), (80, 15, 5))[0]
    rows.add("housing_decisions", u(), application, household, m, decision, decided,
             recorded(decided, rng))  # fmt: skip
    if decision != "accepted":
        return
    placement = u()
    start = decided + timedelta(days=rng.randrange(5, 200))
    if start > TODAY:
        return
    rows.add("placements", u(), placement, household, m, "started", u(), application, start, None,
             recorded(start, rng))  # fmt: skip
    if rng.random() < 0.02:
        evicted = start + timedelta(days=rng.randrange(100, 900))
        if evicted <= TODAY:
            rows.add("evictions", u(), placement, household, m, evicted, "rent_arrears",
                     recorded(evicted, rng))  # fmt: skip
            rows.add("placements", u(), placement, household, m, "ended", None, None, evicted,
                     "eviction", recorded(evicted, rng))  # fmt: skip
            return
    if rng.random() < 0.08:
        owner = start + timedelta(days=rng.randrange(400, 2000))
        if owner <= TODAY:
            rows.add("ownerships", u(), household, m, owner,
                     rng.choice(("rent_to_own", "start_loan")), None, 2_000_000,
                     recorded(owner, rng))  # fmt: skip
            return
    if rng.random() < 0.35:
        ended = start + timedelta(days=rng.randrange(300, 1300))
        if ended <= TODAY:
            rows.add("placements", u(), placement, household, m, "ended", None, None, ended,
                     rng.choice(("private_rental", "bought_home", "moved_municipality")),
                     recorded(ended, rng))  # fmt: skip


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def chunks(items: list[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def load(url: str, rows: Rows) -> int:
    conn = await asyncpg.connect(url)
    total = 0
    try:
        for table, records in rows.tables.items():
            for part in chunks(records, 200_000):
                await conn.copy_records_to_table(table, records=part, columns=list(COLUMNS[table]))
            total += len(records)
        await conn.execute("ANALYZE")
        await conn.execute(
            "INSERT INTO municipality_data (municipality, data_version, evaluated_version) "
            "SELECT DISTINCT municipality, 1, 1 FROM settlements"
        )
    finally:
        await conn.close()
    return total


async def raw_reads(url: str) -> tuple[float, float, int]:
    """(seconds for count(*) of every fact table, seconds to fetch every row, rows)."""
    conn = await asyncpg.connect(url)
    try:
        started = time.perf_counter()
        for table in COLUMNS:
            await conn.fetchval(f"SELECT count(*) FROM {table}")
        counting = time.perf_counter() - started
        started = time.perf_counter()
        rows = 0
        for table in COLUMNS:
            rows += len(await conn.fetch(f"SELECT * FROM {table}"))
        return counting, time.perf_counter() - started, rows
    finally:
        await conn.close()


async def national(settings: Settings, years: int) -> tuple[float, float, int, int]:
    """(seconds to read + fold, seconds to compute, values, municipalities)."""
    app = create_app(settings)
    runtime = app.state.runtime
    try:
        async with runtime.db.connect() as conn:
            started = time.perf_counter()
            fact_rows = await read_fact_rows(conn, None, None)
            snapshots = build_snapshots(fact_rows)
            loading = time.perf_counter() - started
        started = time.perf_counter()
        values = 0
        for snapshot in snapshots.values():
            for built_in in BUILT_INS.values():
                rule = RULES[built_in.rule]
                params = built_in.full_parameters()
                for year in range(FIRST_YEAR, FIRST_YEAR + years):
                    rule.compute(
                        snapshot, Context(Period.year_of(year), TODAY, ordered=False), params
                    )
                    values += 1
        return loading, time.perf_counter() - started, values, len(snapshots)
    finally:
        await runtime.db.dispose()


async def scorecard(
    settings: Settings, municipality: str, year: int
) -> tuple[float, list[float], list[float], float]:
    """(cold ms, warm ms, warm ms with rule results recomputed, raw read ms of its facts).

    Warm: the snapshot (keyed by the municipality's data version) and the rule results
    computed on it are cached, as after any first request. "Recomputed" clears the
    remembered rule results before each request: the cost when only the snapshot is warm.
    """
    app = create_app(settings)
    runtime = app.state.runtime
    try:
        await seed_drammen(runtime, municipality)
        bearer = issue_dev_token(
            settings, sub="bench", roles=["manager"], municipality=municipality
        )
        headers = {"Authorization": f"Bearer {bearer}"}
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench"
        ) as client:
            started = time.perf_counter()
            first = await client.get(f"/indicators/scorecard?period={year}", headers=headers)
            cold = (time.perf_counter() - started) * 1000
            assert first.status_code == 200, first.text
            warm = []
            for _ in range(30):
                started = time.perf_counter()
                response = await client.get(f"/indicators/scorecard?period={year}", headers=headers)
                warm.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200
            recomputed = []
            for _ in range(10):
                for snapshot in app.state.indicators.cache._entries.values():
                    snapshot.results.clear()
                started = time.perf_counter()
                response = await client.get(f"/indicators/scorecard?period={year}", headers=headers)
                recomputed.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200
        async with runtime.db.connect() as conn:
            started = time.perf_counter()
            await read_fact_rows(conn, municipality, None)
            raw = (time.perf_counter() - started) * 1000
        return cold, warm, recomputed, raw
    finally:
        await runtime.db.dispose()


@contextlib.asynccontextmanager
async def indicators_database(
    bench: str, prefix: str, *, drop: bool = False
) -> AsyncIterator[tuple[Settings, str]]:
    """The settings and the migrated indicators database of one ``bench`` run: on
    ``VEIVISER_DATABASE_URL``'s server under a database ``prefix`` of its own, or on an
    embedded PostgreSQL (stopped afterwards); ``drop``: the run's databases are dropped
    afterwards."""
    tmp = Path(tempfile.mkdtemp(prefix=f"veiviser-bench-{bench}-"))
    pg: EmbeddedPostgres | None = None
    database_url = os.environ.get("VEIVISER_DATABASE_URL")
    if not database_url:
        pg = EmbeddedPostgres(tmp / "pg", free_port(), fast_unsafe=True)
        log(f"starting embedded PostgreSQL in {tmp}")
        pg.start()
        database_url = pg.url
    settings = Settings(
        database_url=database_url,
        database_prefix=f"{prefix}_{uuid.uuid4().hex[:6]}",
        namespace=prefix,
        log_level="ERROR",
        env="development",
    )
    try:
        await asyncio.to_thread(upgrade, settings, "indicators")
        yield settings, settings.service_database_url("indicators", driver="postgresql")
    finally:
        if drop:
            server = await asyncpg.connect(settings.server_database_url())
            try:
                names = await server.fetch(
                    "SELECT datname FROM pg_database WHERE datname LIKE $1",
                    f"{settings.database_prefix}%",
                )
                for (name,) in names:
                    await server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await server.close()
        if pg is not None:
            pg.stop()


async def main(settled_per_year: int, years: int) -> None:
    async with indicators_database("indicators", "benchind") as (settings, url):
        started = time.perf_counter()
        rows = generate(settled_per_year, years)
        log(f"generated {sum(len(r) for r in rows.tables.values()):,} fact rows in "
            f"{time.perf_counter() - started:.1f} s")  # fmt: skip
        started = time.perf_counter()
        total = await load(url, rows)
        log(f"loaded {total:,} rows in {time.perf_counter() - started:.1f} s")
        counts = {table: len(records) for table, records in rows.tables.items()}
        per_municipality: dict[str, int] = {}
        for row in rows.tables["settlements"]:
            per_municipality[row[1]] = per_municipality.get(row[1], 0) + 1
        del rows
        ranked = sorted(per_municipality, key=per_municipality.__getitem__, reverse=True)
        largest, median = ranked[0], ranked[len(ranked) // 2]

        counting, reading, read_rows = await raw_reads(url)
        log(f"raw: count(*) {counting * 1000:.0f} ms, full read {reading:.1f} s")
        loading, computing, values, municipalities = await national(settings, years)
        log(f"national: load {loading:.1f} s, compute {computing:.1f} s")
        last_year = FIRST_YEAR + years - 1
        cards = {}
        for label, municipality in (("largest", largest), ("median", median)):
            cards[label] = (municipality, *(await scorecard(settings, municipality, last_year)))

        print()
        print(f"## Indicators benchmark ({municipalities} municipalities × {years} years, "
              f"{settled_per_year:,} settled per year)\n")  # fmt: skip
        print(f"Fact rows: {total:,} — " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
        print()
        print("| Measured | Result | Raw path (same run) | Raw | Target |")
        print("|---|---:|---|---:|---|")
        print(f"| Raw read: `count(*)` of all {len(COLUMNS)} fact tables | "
              f"{counting * 1000:,.0f} ms | | | |")  # fmt: skip
        print(f"| Raw read: every fact row through asyncpg (seq scans) | {reading:,.1f} s | "
              f"rows/s | {read_rows / reading:,.0f} | |")  # fmt: skip
        national_total = loading + computing
        print(f"| National recompute: read + fold {read_rows:,} facts into {municipalities} "
              f"snapshots | {loading:,.1f} s | raw full read | {reading:,.1f} s | |")  # fmt: skip
        print(f"| National recompute: {values:,} values (14 built-ins × {years} years × "
              f"{municipalities}) | {computing:,.1f} s | values/s | {values / computing:,.0f} | |")  # fmt: skip
        verdict = "met" if national_total < 60 else "missed"
        print(f"| **National recompute, total** | **{national_total:,.1f} s** | | | "
              f"< 60 s ({verdict}) |")  # fmt: skip
        for label, (municipality, cold, warm, recomputed, raw) in cards.items():
            size = per_municipality[municipality]
            p50, p95 = statistics.median(warm), percentile(warm, 95)
            verdict = "met" if p50 < 200 else "missed"
            print(f"| Scorecard {last_year}, {label} municipality {municipality} ({size:,} "
                  f"settled), cold (first request: read + fold) | {cold:,.0f} ms | raw read of "
                  f"its facts | {raw:,.0f} ms | |")  # fmt: skip
            print(f"| Scorecard {last_year}, {label} municipality, warm p50 / p95 (30 requests) | "
                  f"{p50:,.1f} / {p95:,.1f} ms | | | < 200 ms ({verdict}) |")  # fmt: skip
            r50, r95 = statistics.median(recomputed), percentile(recomputed, 95)
            print(f"| Scorecard {last_year}, {label} municipality, snapshot warm but every rule "
                  f"recomputed, p50 / p95 (10 requests) | {r50:,.1f} / {r95:,.1f} ms | | | |")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--settled-per-year", type=int, default=15_000)
    parser.add_argument("--years", type=int, default=10)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.settled_per_year, arguments.years))
