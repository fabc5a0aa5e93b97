"""Veiviser benchmarks: the service kit beside the raw path under it, measured in one run.

    python -m bench.run [--quick] [--durable] [--parts 1,2,3,4,5,6,7] [--rate 300]
                        [--out bench/results.md]

Starts embedded PostgreSQL and NATS on free ports in a temporary directory (or uses
``VEIVISER_DATABASE_URL`` / ``VEIVISER_NATS_URL``, under a database prefix and NATS
namespace of its own that it removes afterwards), migrates, runs the parts, prints a
Markdown table and writes it, with the date, machine and versions, to ``--out``.
About 4 minutes on a quiet 2-core machine, 2 with ``--quick``.

Parts: 1 HTTP commands/s, 2 event-store appends/s, 3 outbox relay msgs/s,
4 consumer events/s, 5 propagation latency at a fixed command rate, 6 rebuilds of
read models from events, 7 matching's top-20 among 100,000 candidates over HTTP
(``bench.matching_http``). Every throughput
figure also gets the CPU time per operation of the processes doing the work.

PostgreSQL runs with fsync off by default: on a VM disk a flush takes 1.5-5 ms and
varies from run to run, which would swamp the software costs this compares (both sides
pay it alike); ``--durable`` measures with fsync on.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import psutil

from bench import (
    append,
    consumer,
    http_commands,
    indicators_rebuild,
    matching_http,
    participants,
    propagation,
    relay,
)
from bench.env import ROOT, BenchEnv, log
from bench.meter import Meter, count_servers
from bench.report import Row, measured_row, render
from shared.logging import configure_logging


@dataclass(frozen=True)
class Sizes:
    connections: int = 32
    http_warmup: int = 200
    http_count: int = 2000
    append_single: int = 3000
    append_batches: int = 200
    append_batch_size: int = 100
    append_workers: int = 4
    relay_count: int = 20000
    latency_rate: float = 300.0
    latency_seconds: float = 20.0
    calm_max_rate: float = 50.0
    calm_seconds: float = 10.0
    raw_latency_seconds: float = 10.0
    idle_seconds: float = 3.0
    consumer_events: int = 20000
    consumer_rounds: int = 3
    rebuild_events: int = 1_000_000


QUICK = Sizes(
    http_warmup=100,
    http_count=1000,
    append_single=1000,
    append_batches=50,
    relay_count=5000,
    latency_seconds=5.0,
    calm_seconds=4.0,
    raw_latency_seconds=3.0,
    consumer_events=3000,
    rebuild_events=100_000,
)


@dataclass
class Run:
    env: BenchEnv
    sizes: Sizes
    parts: set[int]
    settle_rate: float = 0.0
    code_version: str = ""
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


async def _http(run: Run) -> float:
    """Part 1; returns the settle throughput (part 5 sizes itself on it)."""
    env, sizes = run.env, run.sizes
    settings = await env.fresh("http")
    # Every side of part 1 runs under the same load.
    load = {"warmup": sizes.http_warmup, "connections": sizes.connections}
    bare = await http_commands.run_bare(env, settings, count=sizes.http_count, **load)
    participants = await asyncio.to_thread(http_commands.start_participants, env, settings)
    try:
        register, settle = await http_commands.run_kit(
            env, settings, participants, settle_count=sizes.http_count, **load
        )
        mix = await http_commands.run_mix(
            env,
            settings,
            participants,
            count=sizes.http_count,
            skip=sizes.http_count + 2 * sizes.http_warmup,
            **load,
        )
        subscriptions = await asyncio.to_thread(env.nats_subscriptions, "veiviser-participants")
        # What the idle service costs (relay polling, PostgreSQL and NATS included).
        await asyncio.sleep(1.0)
        idle = Meter([participants.proc.pid], include_self=False)
        await asyncio.sleep(sizes.idle_seconds)
        idle_cpu = idle.stop(1).cpu_ms
    finally:
        await asyncio.to_thread(env.stop_process, participants)
    if 1 in run.parts:
        run.rows += [
            measured_row(
                "1",
                "HTTP POST /participants/{id}/settlement (participants service)",
                settle,
                bare,
                "cmd/s",
                "bare FastAPI POST, one asyncpg INSERT",
                target=0.50,
            ),
            measured_row(
                "1",
                "HTTP caseworker mix: register, settle, start programme, record absence (¼ each)",
                mix,
                bare,
                "cmd/s",
                "same bare run",
                target=0.50,
            ),
            measured_row(
                "1",
                "HTTP POST /participants (register: 2 events, sealed details)",
                register,
                bare,
                "cmd/s",
                "same bare run",
            ),
        ]
        run.notes.append(
            f"Part 1: {sizes.connections} keep-alive connections, {sizes.http_warmup} warm-up "
            f"requests, then bare {bare.count} / settle {settle.count} / register "
            f"{register.count} / mix {mix.count} timed requests. Median request latency: bare "
            f"{_median_ms(bare)}, settle {_median_ms(settle)}, register {_median_ms(register)}, "
            f"mix {_median_ms(mix)}."
            + _cpu_ratios(bare, settle=settle, mix=mix)
            + _subscriptions(
                subscriptions,
                register.count
                + settle.count
                + mix.count
                + 3 * sizes.http_warmup
                + http_commands.mix_preparation(sizes.http_count, sizes.http_warmup),
            )
            + (
                ""
                if idle_cpu is None
                else f" Idle afterwards, the service (with PostgreSQL and NATS) used "
                f"{idle_cpu / sizes.idle_seconds:.0f} ms CPU per second."
            )
        )
    return settle.rate


def _cpu_ratios(bare: http_commands.LoadResult, **kit: http_commands.LoadResult) -> str:
    """CPU per command beside the bare POST's (the issue's target: at most 2×)."""
    if bare.cpu_ms is None or any(result.cpu_ms is None for result in kit.values()):
        return ""
    ratios = ", ".join(
        f"{name} {(result.cpu_ms or 0.0) / bare.cpu_ms:.1f}×" for name, result in kit.items()
    )
    split = ", ".join(
        f"{name} {result.server_cpu_ms:.2f}"
        for name, result in {"bare": bare, **kit}.items()
        if result.server_cpu_ms is not None
    )
    return (
        f" CPU per command as a multiple of the bare POST's: {ratios} (target ≤ 2×); of the "
        f"CPU ms per command, the server process's own (Python, relay included): {split}, "
        "the rest PostgreSQL and NATS."
    )


async def _propagation(run: Run, settle_rate: float) -> None:
    env, sizes = run.env, run.sizes
    settings = await env.fresh("latency")
    # A calm point (a quarter of part 1's settle throughput, at most calm_max_rate, as the
    # consumer in indicators shares the two cores) shows the pipeline's own delay; the
    # fixed rate adds whatever a participants service driven at or beyond its capacity
    # does to it. Only as many participants are registered as the service can settle in
    # the time (with a margin), since registering costs as much.
    calm_rate = min(sizes.calm_max_rate, max(1.0, settle_rate / 4))
    calm_count = int(calm_rate * sizes.calm_seconds)
    fixed_count = _fixed_count(sizes, settle_rate)
    rig = propagation.KitRig(env, settings)
    try:
        ids = await rig.start(calm_count + fixed_count, sizes.connections)
        calm = await rig.measure(
            "propagation-calm", ids[:calm_count], calm_rate, sizes.calm_seconds
        )
        await rig.quiesce()
        fixed = await rig.measure(
            "propagation", ids[calm_count:], sizes.latency_rate, sizes.latency_seconds
        )
        subscriptions = await asyncio.to_thread(env.nats_subscriptions, "veiviser-participants")
    finally:
        await rig.stop()
    apart_settings = await env.fresh("latency_apart")
    rig = propagation.KitRig(env, apart_settings, relay_apart=True)
    try:
        ids = await rig.start(fixed_count, sizes.connections)
        apart = await rig.measure(
            "propagation-apart", ids, sizes.latency_rate, sizes.latency_seconds
        )
    finally:
        await rig.stop()
    raw = await propagation.run_raw(
        settings, rate=sizes.latency_rate, count=int(sizes.latency_rate * sizes.raw_latency_seconds)
    )
    raw_what = f"JetStream publish ack → pull fetch → INSERT visible, {sizes.latency_rate:.0f}/s"
    latencies = [
        (
            f"Propagation p50, 201 → visible in indicators, {sizes.latency_rate:.0f} cmd/s offered",
            fixed.p50,
            raw.p50,
            raw_what,
        ),
        ("Propagation p99, same run", fixed.p99, raw.p99, "same raw run"),
        (
            f"Propagation p50 at {sizes.latency_rate:.0f} cmd/s, the relay in a process of its "
            "own (veiviser relay)",
            apart.p50,
            raw.p50,
            "same raw run",
        ),
        ("Propagation p99, same run", apart.p99, raw.p99, "same raw run"),
        (
            f"Propagation p50 at {calm_rate:.0f} cmd/s (¼ of part 1's settle throughput)",
            calm.p50,
            raw.p50,
            "same raw run",
        ),
        (f"Propagation p99 at {calm_rate:.0f} cmd/s", calm.p99, raw.p99, "same raw run"),
    ]
    run.rows += [
        Row("5", what, kit, raw_ms, "ms", raw_side, higher_is_better=False)
        for what, kit, raw_ms, raw_side in latencies
    ]
    run.notes.append(
        f"Part 5: {sizes.latency_rate:.0f}/s offered for {sizes.latency_seconds:.0f} s: "
        f"{fixed.sent} sent ({fixed.rate:.0f}/s), {fixed.count} seen in indicators; p90 "
        f"{fixed.p90:.1f} ms, max {fixed.max:.1f} ms; the command itself (due time → 201) p50 "
        f"{fixed.command_p50:.1f} ms / p99 {fixed.command_p99:.1f} ms; during it: {fixed.where}. "
        "Latencies run from the moment the client has its 201; below zero, the event was "
        "visible in indicators before that (the service's answer waited behind its other "
        "requests while the relay, in another process, had already published). "
        f"The relay in a process of its own, {sizes.latency_rate:.0f}/s: {apart.sent} sent, "
        f"{apart.count} seen, p90 {apart.p90:.1f} ms, max {apart.max:.1f} ms, command p50 "
        f"{apart.command_p50:.1f} ms / p99 {apart.command_p99:.1f} ms; during it: {apart.where}. "
        f"{calm_rate:.0f}/s for "
        f"{sizes.calm_seconds:.0f} s: {calm.sent} sent, {calm.count} seen, p90 {calm.p90:.1f} ms, "
        f"max {calm.max:.1f} ms, command p50 {calm.command_p50:.1f} ms; during it: {calm.where}. "
        f"Raw: {raw.count}/{raw.sent} "
        f"at {raw.rate:.0f}/s, p90 {raw.p90:.1f} ms, max {raw.max:.1f} ms."
        + _subscriptions(subscriptions, calm_count + fixed_count + calm.sent + fixed.sent)
    )


def _fixed_count(sizes: Sizes, settle_rate: float) -> int:
    """Participants for the fixed-rate run: what the service can settle in the time, +30 %."""
    return int(min(sizes.latency_rate, 1.3 * settle_rate) * sizes.latency_seconds) + 64


def _subscriptions(count: int | None, commands: int) -> str:
    if count is None:
        return ""
    return (
        f" The participants service's NATS connection then held {count} subscriptions "
        f"(after {commands:,} timed commands)."
    )


def _median_ms(result: http_commands.LoadResult) -> str:
    from bench.report import percentile

    return f"{percentile([o['latency'] for o in result.outcomes], 50) * 1000:.1f} ms"


async def _append(run: Run) -> None:
    s = run.sizes
    settings = await run.env.fresh("append")
    result = await append.run(
        settings,
        single=s.append_single,
        batches=s.append_batches,
        batch_size=s.append_batch_size,
        workers=s.append_workers,
    )
    sides = [
        (
            "1 event per transaction",
            result.kit_single,
            result.raw_single,
            "asyncpg INSERT, 1 row per transaction",
        ),
        (
            f"{s.append_batch_size} events per append",
            result.kit_batch,
            result.raw_batch,
            f"asyncpg executemany, {s.append_batch_size} rows per transaction",
        ),
    ]
    run.rows += [
        measured_row("2", f"EventStore.append, {what}", kit, raw, "events/s", raw_what)
        for what, kit, raw, raw_what in sides
    ]
    run.notes.append(
        f"Part 2: {s.append_workers} concurrent workers each side; {s.append_single} single-event "
        f"appends, {s.append_batches} appends of {s.append_batch_size}."
    )


async def _relay(run: Run) -> None:
    settings = await run.env.fresh("relay")
    result = await relay.run(settings, count=run.sizes.relay_count)
    run.rows.append(
        measured_row(
            "3",
            f"OutboxRelay.publish_pending draining {run.sizes.relay_count:,} rows",
            result.kit,
            result.raw,
            "msgs/s",
            "nats-py js.publish_async pipelined, await all acks",
            target=0.70,
        )
    )
    run.notes.append(
        f"Part 3: {result.passes} relay passes (relay_batch_size {settings.relay_batch_size}); "
        f"NATS subscriptions on the relay's connection: {result.subscriptions_before} before, "
        f"{result.subscriptions_after} after."
    )


async def _consumer(run: Run) -> None:
    rounds = [
        await consumer.run(await run.env.fresh(f"consumer{index}"), count=run.sizes.consumer_events)
        for index in range(run.sizes.consumer_rounds)
    ]
    result = consumer.median_round(rounds)
    run.notes.append(
        f"Part 4: {len(rounds)} rounds, each on a fresh stream and databases, raw then kit; "
        "the table shows the round of the median ratio. Kit/raw by round: "
        + ", ".join(
            f"{r.kit.rate:,.0f}/{r.raw.rate:,.0f} = {r.kit.rate / r.raw.rate:.1%}" for r in rounds
        )
        + "."
    )
    run.rows.append(
        measured_row(
            "4",
            f"DurableConsumer → indicators projection, {result.count:,} events",
            result.kit,
            result.raw,
            "events/s",
            "nats-py pull fetch + ack of the same stream",
            target=0.50,
        )
    )


async def _rebuilds(run: Run) -> None:
    """Part 6: rebuilding read models from events, beside reading and decoding them."""
    total = run.sizes.rebuild_events
    own = await participants.rebuild_from_events(run.env, total)
    fed = await indicators_rebuild.measure(run.env, total, 357)
    for label, result, target in (
        ("participants projections from their events (summary, lookup, households)", own, None),
        ("indicators projections from their participants inbox", fed, 0.25),
    ):
        n, seconds, raw = result["events"], result["rebuild_seconds"], result["raw_seconds"]
        run.rows.append(
            Row(
                "6",
                f"Rebuild {label}, {n:,.0f} events",
                n / seconds,
                n / raw,
                "events/s",
                "asyncpg read + JSON decode of the same rows",
                target=target,
                note=f"{seconds:,.1f} s; 10,000,000 extrapolated {seconds * 1e7 / n:,.0f} s, "
                f"memory grew {result['rss_growth_mib']:,.0f} MiB",
            )
        )
    run.notes.append(
        "Part 6: the rebuilds run rebuild_together (one pass, one deferred batch, COPY into "
        "the truncated tables); the issue's target for participants is under 30 s for "
        "1,000,000 events, for indicators at least 25 % of the raw read."
    )


async def _matching(run: Run) -> None:
    """Part 7: top-20 among 100,000 candidates over HTTP (``bench.matching_http``)."""
    count = 10_000 if run.sizes is QUICK else 100_000
    result = await matching_http.over_http(run.env, candidates=count, openings=30, runs=200)
    for label, measured in (("", result.plain), (", with filters", result.filtered)):
        run.rows.append(
            Row(
                "7",
                f"HTTP GET /openings/{{id}}/candidates?limit=20 among {count:,} candidates"
                f"{label} (matching service), p50",
                measured["p50"],
                None,
                "ms",
                note=f"p99 {measured['p99']:.1f} ms; aim p50 < 50 ms",
                kit_cpu_ms=measured["cpu_per_request"],
            )
        )
    run.notes.append(
        f"Part 7: one request at a time on a keep-alive connection, warm index "
        f"({result.warm:.0f} s to build after start-up); CPU is the service process's."
    )


async def _main(run: Run) -> None:
    await asyncio.to_thread(run.env.start_servers)
    count_servers(run.env.servers_cpu)
    log("migrating template databases")
    await run.env.migrate_templates()
    if run.parts & {1, 5}:
        run.settle_rate = await _http(run)
        if 5 in run.parts:
            await _propagation(run, run.settle_rate)
    if 2 in run.parts:
        await _append(run)
    if 3 in run.parts:
        await _relay(run)
    if 4 in run.parts:
        await _consumer(run)
    if 6 in run.parts:
        await _rebuilds(run)
    if 7 in run.parts:
        await _matching(run)
    run.notes.insert(0, _versions_line(await run.env.server_versions()))


def _versions_line(servers: dict[str, str]) -> str:
    packages = [
        "fastapi",
        "starlette",
        "uvicorn",
        "uvloop",
        "httptools",
        "sqlalchemy",
        "asyncpg",
        "nats-py",
        "pydantic",
    ]
    found = []
    for name in packages:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    return (
        f"Versions: Python {platform.python_version()}, PostgreSQL {servers['PostgreSQL']} "
        f"(fsync={servers['fsync']}, synchronous_commit={servers['synchronous_commit']}), "
        f"nats-server {servers['nats-server']}; " + ", ".join(found) + "."
    )


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = psutil.virtual_memory().total / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {memory:.0f} GiB, {platform.system()} {platform.release()}"


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout


def _code_version() -> str:
    """HEAD, plus a digest of uncommitted changes to the code under test."""
    try:
        head = _git("rev-parse", "--short", "HEAD").strip()
        diff = _git("diff", "HEAD", "--", "shared", "services", "deploy", "pyproject.toml")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    if not diff:
        return head
    return f"{head} + uncommitted changes (diff {hashlib.sha1(diff.encode()).hexdigest()[:8]})"


def _code_version_line(run: Run) -> str:
    at_end = _code_version()
    if at_end == run.code_version:
        return at_end
    return (
        f"{run.code_version} at the start but {at_end} at the end: the code changed during the run"
    )


def _document(
    run: Run,
    table: str,
    args: argparse.Namespace,
    started: float,
    busy_before: float,
    load_after: tuple[float, float, float],
) -> str:
    mode = "quick" if args.quick else "full"
    durability = (
        "durable (fsync on)" if args.durable else "fsync off (EmbeddedPostgres fast_unsafe)"
    )
    lines = [
        "# Veiviser benchmark results",
        "",
        f"- Date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}; {mode} run, "
        f"{time.monotonic() - started:.0f} s; code {_code_version_line(run)}",
        f"- Machine: {_machine()}",
        f"- PostgreSQL: {durability}; "
        f"{'external servers' if run.env.external else 'embedded PostgreSQL and NATS on loopback'}",
        f"- Other load: CPU {busy_before:.0f} % busy in the second before the run; load average "
        f"at the end {load_after[0]:.1f} / {load_after[1]:.1f} / {load_after[2]:.1f}",
        *(f"- {note}" for note in run.notes),
        "",
        table,
        "",
        "Kit/raw: kit figure as a share of the raw path's (throughput), or how many times the "
        "raw latency (latency). CPU ms/op: CPU time per operation of every process doing the "
        "work (the bench process or the uvicorn server, PostgreSQL, NATS; not the load "
        "generator), far steadier than throughput when other work shares the machine. "
        "Command: `python -m bench.run"
        + (" --quick" if args.quick else "")
        + (" --durable" if args.durable else "")
        + "`; "
        "how each figure is measured: docstrings of the `bench/` modules.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="smaller counts (about a minute)")
    parser.add_argument(
        "--durable",
        action="store_true",
        help="run PostgreSQL with fsync on (slower, noisier on a VM disk)",
    )
    parser.add_argument("--parts", default="1,2,3,4,5,6,7", help="comma-separated parts to run")
    parser.add_argument(
        "--rate", type=float, default=None, help="command rate of part 5 (default 300/s)"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=ROOT / "bench" / "results.md",
        help="where to write the results document ('-' for none)",
    )
    args = parser.parse_args(argv)
    parts = {int(p) for p in args.parts.split(",") if p.strip()}
    configure_logging("bench", "ERROR", json_output=False)
    busy_before = psutil.cpu_percent(interval=1.0)
    started = time.monotonic()
    env = BenchEnv(durable=args.durable)
    sizes = QUICK if args.quick else Sizes()
    if args.rate:
        sizes = replace(sizes, latency_rate=args.rate)
    run = Run(env, sizes, parts, code_version=_code_version())
    try:
        asyncio.run(_main(run))
    finally:
        env.close()
    table = render(sorted(run.rows, key=lambda row: row.part))
    print(table)
    if str(args.out) != "-":
        args.out.write_text(_document(run, table, args, started, busy_before, os.getloadavg()))
        log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
