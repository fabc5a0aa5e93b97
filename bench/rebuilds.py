"""Timing one rebuild of a service's projections of one source, beside its raw read."""

from __future__ import annotations

import resource
import threading
import time

import psutil

from bench.env import log
from deploy.services import service_projections
from shared.db import Database
from shared.replay import rebuild_together
from shared.settings import Settings


async def timed_rebuild(
    settings: Settings,
    service: str,
    source: str,
    read: int,
    raw_seconds: float,
    raw_cpu_seconds: float = 0.0,
) -> dict[str, float]:
    """Rebuild every projection of ``service`` fed by ``source`` in one pass, timed.

    ``read``, ``raw_seconds`` and ``raw_cpu_seconds`` are the raw path's row count, time
    and CPU in this process over the same rows; the rebuild must apply exactly ``read``
    events. The memory figure is how much the process's peak resident set grew: the
    rows a rebuild holds until its end. CPU seconds are this process's (its event
    loop's thread, ``time.thread_time``: the sampler's thread is not counted) and those of the PostgreSQL backends serving its database
    (:class:`_Backends`; 0 when the server's processes cannot be read): they stay
    steadier than throughput when other work shares the machine.
    """
    projections, store = service_projections(service, settings)
    chosen = [p for p in projections if p.source == source]
    db = Database.for_service(settings, service, pool_size=1)
    try:
        log(f"{service}: rebuilding {', '.join(p.name for p in chosen)} in one pass")
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        backends = _Backends(db.engine.url.database or "")
        cpu_before = time.thread_time()
        started = time.perf_counter()
        count = await rebuild_together(db, store, chosen)
        seconds = time.perf_counter() - started
        cpu = time.thread_time() - cpu_before
        server_cpu = backends.stop()
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        assert count == read, (count, read)
    finally:
        await db.dispose()
    national = 10_000_000
    log(
        f"{service}: {read:,} events rebuilt in {seconds:,.1f} s (CPU {cpu:,.1f} s here, "
        f"{server_cpu:,.1f} s in PostgreSQL); {national:,} extrapolated "
        f"{seconds * national / max(read, 1):,.0f} s, holding about "
        f"{(after - before) / 1024 * national / max(read, 1) / 1024:,.1f} GiB of rows until the end"
    )
    return {
        "events": float(read),
        "raw_seconds": raw_seconds,
        "raw_cpu_seconds": raw_cpu_seconds,
        "rebuild_seconds": seconds,
        "cpu_seconds": cpu,
        "server_cpu_seconds": server_cpu,
        "peak_rss_mib": after / 1024,
        "rss_growth_mib": (after - before) / 1024,
    }


class _Backends:
    """CPU seconds of the PostgreSQL backends of one database, sampled while they live.

    A rebuild's reading connection closes before the rebuild ends, so its CPU is read
    every half second from the process list (backends name their database in their
    process title) and the last reading of each process counts: a backend that lives
    less than half a second, or its last half second, may be missed.
    """

    def __init__(self, database: str) -> None:
        self._title = f" {database} "
        self._seen: dict[int, float] = {}
        self._start: dict[int, float] = {}
        self._done = threading.Event()
        self._sample()
        self._start = dict(self._seen)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        for process in psutil.process_iter(["name"]):
            if process.info["name"] != "postgres":
                continue
            try:
                title = " ".join(process.cmdline()) + " "
                if title.startswith("postgres: ") and self._title in title:
                    times = process.cpu_times()
                    self._seen[process.pid] = times.user + times.system
            except psutil.Error:
                continue

    def _run(self) -> None:
        while not self._done.wait(0.5):
            self._sample()

    def stop(self) -> float:
        self._done.set()
        self._thread.join()
        self._sample()
        return sum(cpu - self._start.get(pid, 0.0) for pid, cpu in self._seen.items())
