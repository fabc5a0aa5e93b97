"""Reports benchmark: the council's annual PDF warm, and the agency's national comparison.

``python -m bench.reports [--settled-per-year 15000] [--years 10] [--out bench/reports_results.md]``

Uses ``VEIVISER_DATABASE_URL`` under a database prefix of its own (dropped afterwards), or
starts an embedded PostgreSQL. Fills the indicators' fact tables with the synthetic
national data of ``bench.indicators`` (357 municipalities, COPY straight into the tables),
seeds the Drammen example plan for the largest municipality (its goals for 2015–2018 carry
19 indicators in 2018, over the 15 the target names) and measures over HTTP (in-process
ASGI):

* ``GET /indicators/reports/2018?format=pdf``: cold (first request) and warm (p50/p95 of
  20), beside rendering the PDF alone from the built report (the renderer's share);
* ``GET /indicators/national/{key}?period=2018`` (role agency) for one built-in over all
  357 municipalities: cold and warm (p50/p95 of 20).

Targets: annual PDF warm < 3 s; national comparison < 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench.indicators import generate, indicators_database, load, percentile
from services.indicators.app import create_app
from services.indicators.seed import seed_drammen
from shared.auth import issue_dev_token
from shared.settings import Settings

YEAR = 2018
DRAMMEN = "3301"
NATIONAL_KEY = "exit_work_or_education"
OTHER_URL = f"/indicators/national/persons_settled?period={YEAR}"
WARM = 20
OUT = Path(__file__).with_name("reports_results.md")


def log(message: str) -> None:
    print(f"[bench reports {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


async def _timed(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> float:
    started = time.perf_counter()
    response = await client.get(url, headers=headers)
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, response.text[:500]
    return elapsed


async def as_drammen(url: str, synthetic: str) -> None:
    """Give the largest synthetic municipality Drammen's number: tokens take only real
    kommunenummer, and the synthetic codes are not."""
    conn = await asyncpg.connect(url)
    try:
        tables = await conn.fetch(
            "SELECT table_name FROM information_schema.columns WHERE column_name = "
            "'municipality' AND table_schema = 'public'"
        )
        await conn.execute("DELETE FROM municipality_data WHERE municipality = $1", DRAMMEN)
        for (name,) in tables:
            await conn.execute(
                f'UPDATE "{name}" SET municipality = $1 WHERE municipality = $2',
                DRAMMEN,
                synthetic,
            )
    finally:
        await conn.close()


async def measure(settings: Settings, municipality: str) -> dict[str, Any]:
    from services.indicators.api.reports import report_for
    from services.indicators.domain.asof import parse_as_of
    from services.indicators.queries import keep_national_facts_warm
    from services.indicators.reports.pdf import render_pdf
    from shared.auth import Principal

    app = create_app(settings, evaluation_interval=3600)
    runtime = app.state.runtime
    state = app.state.indicators
    stop = asyncio.Event()
    warm_up: asyncio.Task[None] | None = None
    try:
        await seed_drammen(runtime, municipality)
        # What the service's lifespan starts beside the relay and consumers (the bench
        # runs no NATS): the national facts folded off the request path.
        started = time.perf_counter()
        warm_up = asyncio.create_task(keep_national_facts_warm(runtime, state, stop, 3600))
        await asyncio.sleep(0)  # the loop's first step sets state.warming
        assert state.warming is not None
        await asyncio.shield(state.warming)
        warm_up_ms = (time.perf_counter() - started) * 1000
        log(f"national facts folded at start-up in {warm_up_ms:,.0f} ms")
        manager = {
            "Authorization": "Bearer "
            + issue_dev_token(settings, sub="bench", roles=["manager"], municipality=municipality)
        }
        agency = {
            "Authorization": "Bearer "
            + issue_dev_token(
                settings, sub="bench-agency", roles=["agency"], municipality="0301", agency=True
            )
        }
        pdf_url = f"/indicators/reports/{YEAR}?format=pdf"
        national_url = f"/indicators/national/{NATIONAL_KEY}?period={YEAR}"
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench", timeout=600
        ) as client:
            cold_pdf = await _timed(client, pdf_url, manager)
            warm_pdf = [await _timed(client, pdf_url, manager) for _ in range(WARM)]
            size = len((await client.get(pdf_url, headers=manager)).content)
            cold_national = await _timed(client, national_url, agency)
            warm_national = [await _timed(client, national_url, agency) for _ in range(WARM)]
            national = (await client.get(national_url, headers=agency)).json()
            cold_other = await _timed(client, OTHER_URL, agency)
            # The old path for comparison: no folded facts, the question folds the country.
            state.national_facts = None
            state.national.clear()
            unwarmed_national = await _timed(client, national_url, agency)
        principal = Principal(
            subject="bench", roles=frozenset({"manager"}), municipality=municipality
        )
        report = await report_for(
            runtime,
            app.state.indicators,
            principal,
            str(YEAR),
            parse_as_of(None, datetime.now(UTC)),
            "nb",
        )
        render = []
        for _ in range(WARM):
            started = time.perf_counter()
            render_pdf(report, "nb")
            render.append((time.perf_counter() - started) * 1000)
        entries = national.get("entries") or national.get("municipalities") or []
        return {
            "indicators": len(report.rows),
            "goals": len(report.goals),
            "pdf_bytes": size,
            "cold_pdf": cold_pdf,
            "warm_pdf": warm_pdf,
            "render": render,
            "cold_national": cold_national,
            "warm_national": warm_national,
            "warm_up": warm_up_ms,
            "cold_other": cold_other,
            "unwarmed_national": unwarmed_national,
            "national_entries": len(entries),
        }
    finally:
        stop.set()
        if warm_up is not None:
            warm_up.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await warm_up
        await runtime.db.dispose()


def table(found: dict[str, Any], municipality: str, settled: int, args: argparse.Namespace) -> str:
    p50 = statistics.median(found["warm_pdf"])
    n50 = statistics.median(found["warm_national"])
    lines = [
        f"## Reports benchmark ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()})",
        "",
        f"Synthetic national data: 357 municipalities × {args.years} years, "
        f"{args.settled_per_year:,} settled per year; the report is for the largest "
        f"municipality ({municipality}, {settled:,} settled) with the Drammen plan: "
        f"{found['goals']} goals, {found['indicators']} indicator rows in {YEAR}; "
        f"PDF {found['pdf_bytes'] / 1024:,.0f} KiB. The national comparison covers "
        f"{found['national_entries']} municipalities.",
        "",
        "| Measured | Cold | Warm p50 | Warm p95 | Target |",
        "|---|---:|---:|---:|---|",
        f"| Annual PDF over HTTP (`/indicators/reports/{YEAR}?format=pdf`) | "
        f"{found['cold_pdf']:,.0f} ms | {p50:,.0f} ms | {percentile(found['warm_pdf'], 95):,.0f} ms"
        f" | < 3 s warm ({'met' if p50 < 3000 else 'missed'}) |",
        f"| of which: rendering the PDF alone (ReportLab) | | "
        f"{statistics.median(found['render']):,.0f} ms | "
        f"{percentile(found['render'], 95):,.0f} ms | |",
        f"| National comparison (`/indicators/national/{NATIONAL_KEY}?period={YEAR}`) | "
        f"{found['cold_national']:,.0f} ms | {n50:,.0f} ms | "
        f"{percentile(found['warm_national'], 95):,.0f} ms | < 1 s (warm "
        f"{'met' if n50 < 1000 else 'missed'}; cold "
        f"{'met' if found['cold_national'] < 1000 else 'missed'}) |",
        f"| of which: another built-in's first question (`{OTHER_URL}`) | "
        f"{found['cold_other']:,.0f} ms | | | < 1 s |",
        f"| National comparison with no folded facts (the path before the warm-up) | "
        f"{found['unwarmed_national']:,.0f} ms | | | |",
        f"| Start-up fold of the national facts (background, off the request path) | "
        f"{found['warm_up']:,.0f} ms | | | |",
        "",
        "Warm: the municipality's snapshot and rule results cached (after any first request). "
        "Cold national: the first national question after a start, once the service's "
        "background warm-up (`queries.keep_national_facts_warm`, started by the lifespan) "
        "has folded every fact of all 357 municipalities into snapshots; it then only "
        "computes the rule over the held snapshots. A question arriving while that fold is "
        "under way waits for it (at most the start-up fold's time) instead of folding a "
        "second time; a question after facts were applied folds anew until the next "
        "refresh (every 60 s when facts moved). 'No folded facts' is the old cold path, "
        "measured in the same run by dropping the held facts. The machine is shared with "
        "other work; figures vary between runs.",
    ]
    return "\n".join(lines) + "\n"


async def main(args: argparse.Namespace) -> None:
    async with indicators_database("reports", "benchrep", drop=True) as (settings, url):
        rows = generate(args.settled_per_year, args.years)
        per_municipality: dict[str, int] = {}
        for row in rows.tables["settlements"]:
            per_municipality[row[1]] = per_municipality.get(row[1], 0) + 1
        total = await load(url, rows)
        del rows
        log(f"loaded {total:,} fact rows")
        largest = max(per_municipality, key=per_municipality.__getitem__)
        await as_drammen(url, largest)
        found = await measure(settings, DRAMMEN)
        text = table(found, DRAMMEN, per_municipality[largest], args)
        print()
        print(text)
        await asyncio.to_thread(Path(args.out).write_text, text, encoding="utf-8")
        log(f"wrote {args.out}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--settled-per-year", type=int, default=15000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--out", default=str(OUT))
    asyncio.run(main(parser.parse_args()))
