"""Timing one rebuild of a service's projections of one source, beside its raw read."""

from __future__ import annotations

import resource
import time

from bench.env import log
from deploy.services import service_projections
from shared.db import Database
from shared.replay import rebuild_together
from shared.settings import Settings


async def timed_rebuild(
    settings: Settings, service: str, source: str, read: int, raw_seconds: float
) -> dict[str, float]:
    """Rebuild every projection of ``service`` fed by ``source`` in one pass, timed.

    ``read`` and ``raw_seconds`` are the raw path's row count and time over the same
    rows; the rebuild must apply exactly ``read`` events. The memory figure is how much
    the process's peak resident set grew: the rows a rebuild holds until its end.
    """
    projections, store = service_projections(service, settings)
    chosen = [p for p in projections if p.source == source]
    db = Database.for_service(settings, service, pool_size=1)
    try:
        log(f"{service}: rebuilding {', '.join(p.name for p in chosen)} in one pass")
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        count = await rebuild_together(db, store, chosen)
        seconds = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        assert count == read, (count, read)
    finally:
        await db.dispose()
    national = 10_000_000
    log(
        f"{service}: {read:,} events rebuilt in {seconds:,.1f} s; {national:,} extrapolated "
        f"{seconds * national / max(read, 1):,.0f} s, holding about "
        f"{(after - before) / 1024 * national / max(read, 1) / 1024:,.1f} GiB of rows until the end"
    )
    return {
        "events": float(read),
        "raw_seconds": raw_seconds,
        "rebuild_seconds": seconds,
        "peak_rss_mib": after / 1024,
        "rss_growth_mib": (after - before) / 1024,
    }
