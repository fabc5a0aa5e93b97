"""How late the event loop runs what is due: a probe that every service process runs.

Every ``interval`` seconds the probe asks to be woken and measures how much later than
asked it actually ran. That lateness is what every request, relay pass and consumer
batch of the process waited on top of its own work at that moment, so a tail in the
HTTP latencies that the lag histogram shares is the process's, not the database's.

Each late wake-up is also told apart by what the process did meanwhile:

- ``running``: the process spent most of the late interval on a core — the loop was
  busy with Python (one long synchronous step, or more ready work than one core runs);
- ``waiting``: it did not — the process was off the core (the machine's other processes
  had it) or stuck in a blocking call outside the loop's selector.

A wake-up on time is counted as ``on_time``, so the three add up to every sample.
"""

from __future__ import annotations

import asyncio
import time

from prometheus_client import CollectorRegistry, Histogram

LAG_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
LATE_SECONDS = 0.005
"""A wake-up later than this is late; below it, timer granularity and a short step."""


def classify(lag: float, wall: float, cpu: float) -> str:
    """``on_time``, ``running`` or ``waiting`` for one sample (see the module)."""
    if lag < LATE_SECONDS:
        return "on_time"
    return "running" if cpu >= wall / 2 else "waiting"


class LoopLagProbe:
    """Samples the running loop's lateness into ``veiviser_event_loop_lag_seconds``."""

    def __init__(
        self, service: str, registry: CollectorRegistry, *, interval: float = 0.05
    ) -> None:
        self.interval = interval
        self.service = service
        self.lag = Histogram(
            "veiviser_event_loop_lag_seconds",
            "How much later than due the event loop woke a timer; cause: running (the "
            "process was on a core), waiting (it was not), on_time",
            ["service", "cause"],
            registry=registry,
            buckets=LAG_BUCKETS,
        )
        for cause in ("on_time", "running", "waiting"):
            self.lag.labels(service, cause)

    async def run(self, stop: asyncio.Event) -> None:
        """Sample until ``stop`` is set (seen within one interval)."""
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            cpu_before = time.process_time()
            asked = loop.time()
            await asyncio.sleep(self.interval)
            woke = loop.time()
            lag = max(0.0, woke - asked - self.interval)
            cause = classify(lag, woke - asked, time.process_time() - cpu_before)
            self.lag.labels(self.service, cause).observe(lag)
