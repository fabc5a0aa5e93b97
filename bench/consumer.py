"""Part 4: DurableConsumer into the indicators projection vs raw pull fetch + ack.

The participants stream of a fresh namespace is pre-filled with ``count`` real
``participant.settled`` envelopes. Kit: the indicators service's own consumer (built by
``create_app`` with its projections, started on its own, without the HTTP server) runs
from the first message; the time runs until the ``settlements`` projection holds
``count`` rows (the consumer's checkpoint polled every 20 ms, the rows counted once it
has reached the last message). Raw: a nats-py durable pull subscription with the
same configuration (explicit ack, same batch size and ``max_ack_pending``) fetches and
acks the same stream, doing nothing else, until it has seen ``count`` messages.

The consumer runs as in the service: what start-up built is frozen out of the
collector's generations (``gc.freeze``, as the service's lifespan does once it has
started). Its own subscribe (stream, checkpoint row, durable, first connection of the
pool) is inside its time; the raw path subscribes before its clock starts.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import gc
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import nats
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from bench.env import BenchEnv, log, participants_stream
from bench.meter import Measured, Meter
from bench.samples import settled_envelope
from services.indicators.app import create_app as indicators_app
from shared.logging import configure_logging
from shared.service import Runtime
from shared.settings import Settings


@dataclass(frozen=True)
class ConsumerResult:
    kit: Measured
    raw: Measured
    count: int


async def prefill_stream(settings: Settings, count: int) -> None:
    await participants_stream(settings, "bench-prefill")
    nc = await nats.connect(settings.nats_url)
    try:
        js = nc.jetstream(timeout=10.0)
        subject = f"{settings.subject_prefix('participants')}.participant.settled"
        stream = settings.stream_name("participants")
        futures = []
        for _ in range(count):
            envelope = settled_envelope()
            futures.append(
                await js.publish_async(
                    subject,
                    envelope.to_json(),
                    stream=stream,
                    headers={"Nats-Msg-Id": str(envelope.id)},
                )
            )
        await asyncio.gather(*futures)
    finally:
        await nc.close()


async def _raw(settings: Settings, count: int) -> Measured:
    nc = await nats.connect(settings.nats_url)
    try:
        js = nc.jetstream(timeout=5.0)
        psub = await js.pull_subscribe(
            f"{settings.subject_prefix('participants')}.>",
            durable=f"{settings.namespace}_rawbench",
            stream=settings.stream_name("participants"),
            config=ConsumerConfig(
                ack_policy=AckPolicy.EXPLICIT,
                deliver_policy=DeliverPolicy.ALL,
                ack_wait=30,
                max_deliver=-1,
                max_ack_pending=settings.consumer_batch_size * 4,
            ),
        )
        seen = 0
        meter = Meter()
        while seen < count:
            msgs = await psub.fetch(
                settings.consumer_batch_size, timeout=settings.consumer_fetch_timeout_seconds
            )
            for msg in msgs:
                await msg.ack()
            seen += len(msgs)
        await nc.flush()
        measured = meter.stop(count)
    finally:
        await nc.close()
    return measured


async def count_rows(conn: asyncpg.Connection, table: str) -> int:
    return int(await conn.fetchval(f"SELECT count(*) FROM {table}"))


async def measure(settings: Settings, count: int) -> Measured:
    """Events/s of the indicators service's consumer over the pre-filled stream, until
    its ``settlements`` projection holds ``count`` rows."""
    app = indicators_app(settings)
    runtime: Runtime = app.state.runtime
    consumer = runtime.consumers[0]
    watch = await asyncpg.connect(settings.service_database_url("indicators", driver="postgresql"))
    stop = asyncio.Event()
    runtime.bus.start()
    task: asyncio.Task[None] | None = None
    try:
        if not await runtime.bus.wait_connected(timeout=10):
            raise RuntimeError("NATS not reachable")
        gc.freeze()
        meter = Meter()
        task = asyncio.create_task(consumer.run(stop))
        deadline = time.monotonic() + 600
        # Polled every 20 ms, count(*) of the growing table was itself a load on the
        # database the consumer writes to (a seq scan each time, 20 ms each on the
        # loaded shared server): the checkpoint, one primary-key probe, says when the
        # last message's batch has committed, and only then are the rows counted.
        while (
            await watch.fetchval(
                "SELECT source_sequence FROM consumer_checkpoints WHERE consumer = $1",
                consumer.consumer_key,
            )
            or 0
        ) < count or await count_rows(watch, "settlements") < count:
            if task.done():
                task.result()
                raise RuntimeError("consumer stopped")
            if time.monotonic() > deadline:
                raise RuntimeError("consumer did not reach the count in 600 s")
            await asyncio.sleep(0.02)
        measured = meter.stop(count)
    finally:
        gc.unfreeze()
        stop.set()
        if task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, 15)
        await watch.close()
        await runtime.bus.close()
        await runtime.db.dispose()
    return measured


async def run(settings: Settings, *, count: int) -> ConsumerResult:
    """One round on ``settings``' fresh databases and stream: raw first, then the kit."""
    log(f"consumer: pre-filling the participants stream with {count} events")
    await prefill_stream(settings, count)
    log("consumer: raw pull fetch + ack")
    raw = await _raw(settings, count)
    log("consumer: DurableConsumer -> indicators projection")
    kit = await measure(settings, count)
    return ConsumerResult(kit, raw, count)


def median_round(results: list[ConsumerResult]) -> ConsumerResult:
    """The round whose kit/raw ratio is the median (the upper one of an even count).

    Raw and kit run one after the other on two shared cores, and the raw path's rate
    alone moved by a fifth between rounds on this machine: one round's ratio says as
    much about the moment as about the code.
    """
    ordered = sorted(results, key=lambda result: result.kit.rate / result.raw.rate)
    return ordered[len(ordered) // 2]


async def _rounds(env: BenchEnv, count: int, rounds: int, profile: Path | None) -> None:
    await env.migrate_templates()
    for index in range(rounds):
        settings = await env.fresh(f"c{index}")
        log(f"consumer: pre-filling the participants stream with {count} events")
        await prefill_stream(settings, count)
        raw = await _raw(settings, count)
        if profile is None:
            kit = await measure(settings, count)
        else:
            profiler = cProfile.Profile()
            profiler.enable()
            kit = await measure(settings, count)
            profiler.disable()
            profiler.dump_stats(profile)
        print(
            f"round {index + 1}: kit {kit.rate:,.0f} events/s, raw {raw.rate:,.0f} events/s, "
            f"kit/raw {kit.rate / raw.rate:.1%}, CPU ms/event kit {kit.cpu_ms:.3f} · "
            f"raw {raw.cpu_ms:.3f}, load {os.getloadavg()[0]:.1f}",
            flush=True,
        )


def main(argv: list[str] | None = None) -> int:
    """Part 4 on its own, several rounds (each on fresh databases and a fresh stream)."""
    parser = argparse.ArgumentParser(prog="python -m bench.consumer", description=__doc__)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--durable", action="store_true", help="embedded PostgreSQL fsync on")
    parser.add_argument(
        "--profile", type=Path, default=None, help="cProfile the kit side into this file"
    )
    args = parser.parse_args(argv)
    configure_logging("bench", "ERROR", json_output=False)
    env = BenchEnv(durable=args.durable)
    try:
        env.start_servers()
        asyncio.run(_rounds(env, args.events, args.rounds, args.profile))
    finally:
        env.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
