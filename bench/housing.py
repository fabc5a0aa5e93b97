"""Allocation suggestions for one dwelling against a waiting list of 5,000 households.

``python -m bench.housing [--households 5000] [--rounds 30]``

Seeds one municipality with ``--households`` settled households, each with an accepted
application (random sizes, ages, access needs, district wishes, urgency and received
dates) through the housing service's own use cases, so the event store, the inline
projections and the indexes are those of a real run. Then it times, per round:

* ``raw SQL``: asyncpg reading the accepted applications (the list the ranking needs);
* ``candidates query``: the service's query for the same list (SQLAlchemy, plus the
  check for households that still live in a municipal dwelling) into Python objects;
* ``rank (pure)``: the occupancy norm and the fit score over all candidates;
* ``HTTP suggestions``: ``GET /housing/dwellings/{id}/suggestions`` through the whole
  app in process (token check, database, ranking, JSON).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import httpx

from bench.env import BenchEnv, log
from deploy.services import upgrade
from services.housing import application, queries
from services.housing.app import create_app
from services.housing.domain import allocation
from services.housing.events import Decision, Ownership, Standard, Urgency
from services.housing.events import DwellingStatus as Status
from services.housing.projections import PROJECTIONS, SETTLED
from shared.auth import issue_dev_token
from shared.events import Envelope, Metadata
from shared.projection import Batch, apply_batch
from shared.service import Runtime

MUNICIPALITY = "3005"
DISTRICTS = ("Bragernes", "Strømsø", "Konnerud", "Fjell", "Åssiden", "Gulskogen")
TODAY = datetime.now(UTC).date()


def _ages(size: int, rng: random.Random) -> tuple[int, ...]:
    adults = min(size, rng.choice((1, 2, 2, 2)))
    return tuple(
        [rng.randint(20, 60) for _ in range(adults)]
        + [rng.randint(0, 17) for _ in range(size - adults)]
    )


async def seed(runtime: Runtime, households: int, rng: random.Random) -> None:
    metadata = Metadata(actor="bench", municipality=MUNICIPALITY, correlation_id="bench-seed")
    feed = next(p for p in PROJECTIONS if p.name == "households")
    ids = [uuid.uuid4() for _ in range(households)]
    sizes = [rng.choice((1, 1, 2, 2, 3, 4, 5, 6, 7)) for _ in ids]
    envelopes = []
    for household_id, size in zip(ids, sizes, strict=True):
        participant = uuid.uuid4()
        envelopes.append(
            Envelope(
                id=uuid.uuid4(),
                type_name=SETTLED,
                source="/veiviser/participants",
                stream_id=str(participant),
                stream_version=2,
                municipality=MUNICIPALITY,
                occurred_at=datetime.now(UTC),
                recorded_at=datetime.now(UTC),
                actor="bench",
                correlation_id="bench",
                causation_id=None,
                data={
                    "participant_id": str(participant),
                    "settled_on": (TODAY - timedelta(days=rng.randint(30, 1500))).isoformat(),
                    "arrival_category": "resettlement_refugee",
                    "household_id": str(household_id),
                    "household_size": size,
                    "unaccompanied_minor": False,
                },
            ),
        )
    async with runtime.db.transaction() as conn:
        await apply_batch(Batch(conn), [feed], envelopes)
    started = time.perf_counter()
    batch = 250
    for start in range(0, households, batch):
        async with runtime.db.transaction() as conn:
            for household_id, size in zip(
                ids[start : start + batch], sizes[start : start + batch], strict=True
            ):
                received = TODAY - timedelta(days=rng.randint(0, 1200))
                result = await application.receive_application(
                    runtime,
                    conn,
                    metadata,
                    household_id=household_id,
                    household_size=size,
                    member_ages=_ages(size, rng),
                    needs_wheelchair_access=rng.random() < 0.04,
                    needs_step_free=rng.random() < 0.08,
                    district_wishes=tuple(rng.sample(DISTRICTS, rng.choice((0, 1, 2)))),
                    urgency=rng.choice(
                        (Urgency.normal,) * 6 + (Urgency.high,) * 3 + (Urgency.acute,)
                    ),
                    received_on=received,
                )
                await application.decide_application(
                    runtime,
                    conn,
                    metadata,
                    uuid.UUID(result.body["application_id"]),
                    decision=Decision.accepted,
                    decided_on=min(received + timedelta(days=7), TODAY),
                )
        log(f"seeded {min(start + batch, households)}/{households} waiting households")
    log(f"seeding took {time.perf_counter() - started:.1f} s")


async def timed(rounds: int, step: Callable[[], Awaitable[int]]) -> tuple[list[float], int]:
    await step()  # warm-up
    times, rows = [], 0
    for _ in range(rounds):
        started = time.perf_counter()
        rows = await step()
        times.append((time.perf_counter() - started) * 1000)
    return times, rows


def row(name: str, times: list[float], rows: int) -> str:
    p95 = statistics.quantiles(times, n=20)[-1] if len(times) >= 2 else times[0]
    return f"| {name:<40} | {statistics.median(times):>9.2f} | {p95:>9.2f} | {rows:>6} |"


async def run(households: int, rounds: int) -> None:
    rng = random.Random(4)
    env = BenchEnv(durable=False)
    try:
        env.start_servers()
        settings = env.settings("housing")
        await asyncio.to_thread(upgrade, settings, "housing")
        app = create_app(settings)
        runtime: Runtime = app.state.runtime
        await seed(runtime, households, rng)
        metadata = Metadata(actor="bench", municipality=MUNICIPALITY, correlation_id="bench")
        async with runtime.db.transaction() as conn:
            created = await application.register_dwelling(
                runtime,
                conn,
                metadata,
                address="Bench gate 1",
                district="Strømsø",
                rooms=4,
                size_m2=92.0,
                floor=1,
                has_lift=False,
                accessible=False,
                ownership=Ownership.municipal,
                standard=Standard.normal,
                status=Status.vacant,
                valuation=3_100_000,
                registered_on=date(2015, 1, 1),
            )
        dwelling_id = created.body["dwelling_id"]
        facts = allocation.DwellingFacts(
            rooms=4, floor=1, has_lift=False, accessible=False, district="Strømsø"
        )
        dsn = settings.service_database_url("housing", driver="postgresql")
        pg = await asyncpg.connect(dsn)
        token = issue_dev_token(
            settings, sub="bench", roles=["housing_officer"], municipality=MUNICIPALITY
        )
        lines = []
        try:

            async def raw_sql() -> int:
                found = await pg.fetch(
                    "SELECT application_id, household_id, household_size, member_ages, "
                    "needs_wheelchair_access, needs_step_free, district_wishes, urgency, "
                    "received_on FROM housing_applications "
                    "WHERE municipality = $1 AND status = 'accepted'",
                    MUNICIPALITY,
                )
                return len(found)

            async def candidates_query() -> int:
                async with runtime.db.connect() as conn:
                    found, placed = await queries.candidates(conn, MUNICIPALITY)
                return len(found) + len(placed)

            async with runtime.db.connect() as conn:
                candidates, _ = await queries.candidates(conn, MUNICIPALITY)

            async def rank() -> int:
                return allocation.suggest(facts, candidates, TODAY, 10).eligible

            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                headers = {"Authorization": f"Bearer {token}"}
                first: dict[str, Any] = {}

                async def http() -> int:
                    response = await client.get(
                        f"/housing/dwellings/{dwelling_id}/suggestions?limit=10", headers=headers
                    )
                    response.raise_for_status()
                    first.update(response.json())
                    return int(response.json()["considered"])

                for name, step in (
                    ("raw SQL: read the waiting list", raw_sql),
                    ("candidates query (SQLAlchemy → objects)", candidates_query),
                    ("rank: norm + score (pure Python)", rank),
                    ("HTTP GET .../suggestions (in process)", http),
                ):
                    times, rows = await timed(rounds, step)
                    lines.append(row(name, times, rows))
        finally:
            await pg.close()
            await runtime.db.dispose()
        print()
        print(
            f"Allocation suggestions for one 4-room dwelling, {households} households on the "
            f"waiting list, {rounds} rounds (ms)"
        )
        print(f"| {'step':<40} | {'median':>9} | {'p95':>9} | {'rows':>6} |")
        print(f"|{'-' * 42}|{'-' * 11}|{'-' * 11}|{'-' * 8}|")
        for line in lines:
            print(line)
        print()
        print(
            f"eligible {first['eligible']}, excluded {first['excluded']}; top suggestion "
            f"score {first['suggestions'][0]['score']} "
            f"({', '.join(p['factor'] + ' ' + str(p['points']) for p in first['suggestions'][0]['parts'])})"
        )
    finally:
        env.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--households", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    asyncio.run(run(args.households, args.rounds))


if __name__ == "__main__":
    main()
