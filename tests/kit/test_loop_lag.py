"""The event-loop lag probe: late wake-ups measured and told apart by what the process did."""

from __future__ import annotations

import asyncio
import time

from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry

from shared.loop_lag import LATE_SECONDS, LoopLagProbe, classify


@given(
    lag=st.floats(0, 10),
    wall=st.floats(0.001, 10),
    share=st.floats(0, 1),
)
def test_a_sample_is_late_exactly_when_past_the_threshold_and_running_when_mostly_on_a_core(
    lag: float, wall: float, share: float
) -> None:
    cause = classify(lag, wall, wall * share)
    if lag < LATE_SECONDS:
        assert cause == "on_time"
    else:
        assert cause == ("running" if share >= 0.5 else "waiting")


def _samples(registry: CollectorRegistry, cause: str) -> tuple[float, float]:
    labels = {"service": "probe", "cause": cause}
    count = registry.get_sample_value("veiviser_event_loop_lag_seconds_count", labels)
    total = registry.get_sample_value("veiviser_event_loop_lag_seconds_sum", labels)
    assert count is not None and total is not None
    return count, total


async def _probe_while(block: object) -> CollectorRegistry:
    registry = CollectorRegistry()
    probe = LoopLagProbe("probe", registry, interval=0.01)
    stop = asyncio.Event()
    task = asyncio.create_task(probe.run(stop))
    await asyncio.sleep(0.05)
    assert callable(block)
    block()
    await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(task, timeout=5)
    return registry


async def test_a_loop_blocked_off_the_core_is_counted_as_waiting() -> None:
    registry = await _probe_while(lambda: time.sleep(0.3))
    count, total = _samples(registry, "waiting")
    assert count >= 1 and total >= 0.25
    assert _samples(registry, "on_time")[0] >= 1


async def test_a_loop_busy_with_python_is_counted_by_the_core_it_had() -> None:
    """Busy with Python for 0.3 s of CPU: ``running`` when the process had the core for
    most of that while. On a loaded machine (CI's workers share two cores) it may have
    had less than half of one; then the probe must say ``waiting``, as the CPU says."""
    had: dict[str, float] = {}

    def spin() -> None:
        wall, cpu = time.monotonic(), time.process_time()
        until = cpu + 0.3
        while time.process_time() < until:
            pass
        had["share"] = (time.process_time() - cpu) / (time.monotonic() - wall)

    registry = await _probe_while(spin)
    running, waiting = _samples(registry, "running"), _samples(registry, "waiting")
    # The late sample's interval is a little longer than the spin: near half a core,
    # either word is right.
    if had["share"] >= 0.6:
        count, total = running
    elif had["share"] <= 0.4:
        count, total = waiting
    else:
        count, total = running[0] + waiting[0], running[1] + waiting[1]
    assert count >= 1 and total >= 0.25
