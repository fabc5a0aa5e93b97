"""Wall time and CPU time around one measured stretch.

Throughput on a shared 2-core machine moves with whatever else runs; CPU time spent per
operation by the processes doing the work moves much less, so every figure carries both.
Counted: the bench process itself (where the in-process parts run), any extra process
named (a uvicorn server), and the embedded PostgreSQL and NATS servers once
:func:`count_servers` has been told how to read theirs. The load generator is not
counted.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import psutil


def _no_servers() -> float | None:
    return 0.0


_probe: list[Callable[[], float | None]] = [_no_servers]


def count_servers(probe: Callable[[], float | None]) -> None:
    """Include the servers' CPU seconds (``probe()``; ``None`` when unknown) from now on."""
    _probe[0] = probe


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process (0 if it is gone)."""
    try:
        times = psutil.Process(pid).cpu_times()
    except psutil.Error:
        return 0.0
    return float(times.user + times.system)


@dataclass(frozen=True)
class Measured:
    rate: float
    """Operations per second of wall time."""
    cpu_ms: float | None
    """CPU milliseconds per operation, all counted processes together; None if unknown."""
    elapsed: float


class Meter:
    """Started on creation; ``stop(ops)`` gives the rate and CPU per operation."""

    def __init__(self, pids: Sequence[int] = (), *, include_self: bool = True) -> None:
        self.pids = [*pids, *([os.getpid()] if include_self else [])]
        self.started = time.perf_counter()
        self.cpu_before = self._cpu()

    def _cpu(self) -> float | None:
        servers = _probe[0]()
        if servers is None:
            return None
        return servers + sum(cpu_seconds(pid) for pid in self.pids)

    def stop(self, ops: int, *, cpu_ops: int | None = None) -> Measured:
        """``cpu_ops``: operations the CPU was spent on, if more than the timed ones."""
        elapsed = time.perf_counter() - self.started
        after = self._cpu()
        cpu_ms = (
            None
            if after is None or self.cpu_before is None
            else (after - self.cpu_before) / (cpu_ops or ops) * 1000
        )
        return Measured(ops / elapsed, cpu_ms, elapsed)
