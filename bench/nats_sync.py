"""What JetStream's fsync policy costs: ``sync_interval: always`` against the default.

nats-server acknowledges a JetStream publish once the message is in its store's page
cache and syncs that to disk every two minutes by default, so a power loss can take
acknowledged messages with it. ``sync_interval: always`` syncs before every
acknowledgement. Veiviser's outbox keeps every event until JetStream has acknowledged
it, and consumers refill gaps from the source's event store (docs/deploy/
event-delivery.md), so the policy decides how often that refill is needed, not whether
an event is lost; this bench says what the safe setting costs on this machine's disk.

Two private nats-servers (deploy/embedded.py) with identical streams, one per policy.
Against each:

- **pipelined**: ``count`` publishes of a real ``participant.settled`` CloudEvent in
  windows of the relay's batch size, each window's acknowledgements awaited before the
  next, as ``OutboxRelay`` does;
- **one at a time**: ``singles`` publishes, each awaited before the next — the latency of
  one acknowledgement, i.e. what a relay pass with a single pending row waits.

Run: ``python -m bench.nats_sync [--count N] [--singles N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import nats
from nats.js.api import StorageType, StreamConfig

from bench.samples import settled_envelope
from deploy.embedded import EmbeddedNats, free_port
from shared.settings import Settings

POLICIES = {
    "default (sync every 2 min)": None,
    "sync_interval: always": "jetstream {\n  sync_interval: always\n}\n",
}


@dataclass(frozen=True)
class PolicyResult:
    policy: str
    pipelined_per_second: float
    single_p50_ms: float
    single_p99_ms: float


async def _measure(url: str, count: int, singles: int, window: int) -> tuple[float, list[float]]:
    nc = await nats.connect(url)
    try:
        js = nc.jetstream(timeout=10.0)
        await js.add_stream(
            StreamConfig(name="BENCH", subjects=["bench.>"], storage=StorageType.FILE)
        )
        payloads = [settled_envelope().to_json() for _ in range(min(count, 1000))]
        await (await js.publish_async("bench.warm", b"{}", stream="BENCH"))
        started = time.perf_counter()
        sent = 0
        while sent < count:
            futures = [
                await js.publish_async(
                    "bench.participant.settled",
                    payloads[(sent + i) % len(payloads)],
                    stream="BENCH",
                )
                for i in range(min(window, count - sent))
            ]
            await asyncio.gather(*futures)
            sent += len(futures)
        rate = count / (time.perf_counter() - started)
        latencies = []
        for i in range(singles):
            t0 = time.perf_counter()
            await js.publish("bench.participant.settled", payloads[i % len(payloads)])
            latencies.append((time.perf_counter() - t0) * 1000)
        return rate, latencies
    finally:
        await nc.close()


def _p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98] if len(values) >= 2 else values[0]


def run(count: int, singles: int) -> list[PolicyResult]:
    window = Settings().relay_batch_size
    results = []
    with tempfile.TemporaryDirectory(prefix="veiviser-nats-sync-") as tmp:
        for policy, config in POLICIES.items():
            server = EmbeddedNats(Path(tmp) / policy.split()[0], free_port(), config=config)
            server.start()
            try:
                rate, latencies = asyncio.run(_measure(server.url, count, singles, window))
            finally:
                server.stop()
            results.append(
                PolicyResult(policy, rate, statistics.median(latencies), _p99(latencies))
            )
    return results


def render(results: list[PolicyResult], count: int, singles: int) -> str:
    lines = [
        f"| JetStream policy | pipelined publishes/s ({count:,}) | "
        f"one publish ack p50 / p99 ms ({singles:,}) |",
        "|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.policy} | {r.pipelined_per_second:,.0f} | "
            f"{r.single_p50_ms:.2f} / {r.single_p99_ms:.2f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.nats_sync", description=__doc__)
    parser.add_argument("--count", type=int, default=50_000)
    parser.add_argument("--singles", type=int, default=2_000)
    args = parser.parse_args(argv)
    print(render(run(args.count, args.singles), args.count, args.singles))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
