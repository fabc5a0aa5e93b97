"""JetStream loses its data while events are in flight; every consumer still converges.

The four services run as processes against a private nats-server. Participants takes
registrations and settlements over HTTP while, first, every stream is deleted through
the JetStream API and, then, nats-server is killed, its store directory removed and
the server started empty. The indicators process is paused (SIGSTOP) across the wipe,
so the events published to it meanwhile are certainly gone from JetStream: what the
relays had marked published exists only in the sources' event stores.

Afterwards every consumer of every service holds exactly the source's published events
(in its inbox, once each, none dead-lettered), and every read model a consumer feeds
equals what a replay of that inbox builds.
"""

from __future__ import annotations

import asyncio
import shutil
import signal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from deploy.services import service_projections
from shared.db import Database
from shared.projection import OWN_EVENTS
from shared.replay import rebuild
from shared.settings import SERVICES, Settings
from tests.integration.processes import stack
from tests.integration.test_stack import Load
from tests.support import delete_streams, eventually, token

pytestmark = pytest.mark.timeout(600)

FEEDS: dict[str, dict[str, str]] = {
    "participants": {"matching": "matching"},
    "housing": {"participants": "participants"},
    "matching": {"participants": "participants"},
    "indicators": {"participants": "participants", "housing": "housing", "matching": "matching"},
}
"""Per service, its consumers (consumer name -> source service)."""
STAMPS = {"changed_tx", "change_seq"}
"""Matching's write stamps: they say when a row was written, which a rebuild changes."""


async def _ids(url: str, query: str, *args: object) -> set[str]:
    conn = await asyncpg.connect(url)
    try:
        return {str(row[0]) for row in await conn.fetch(query, *args)}
    finally:
        await conn.close()


async def _missing(settings: Settings) -> dict[str, int]:
    """Per consumer, how many of its source's published events its inbox lacks (or has
    that the source never published)."""
    gaps: dict[str, int] = {}
    for service, feeds in FEEDS.items():
        url = settings.service_database_url(service, driver="postgresql")
        for consumer, source in feeds.items():
            published = await _ids(
                settings.service_database_url(source, driver="postgresql"),
                "SELECT event_id FROM outbox",
            )
            received = await _ids(
                url, "SELECT event_id FROM received_events WHERE consumer = $1", consumer
            )
            if published ^ received:
                gaps[f"{service}/{consumer}"] = len(published ^ received)
    return gaps


async def _tables(settings: Settings, service: str) -> dict[str, list[tuple[Any, ...]]]:
    projections, _ = service_projections(service, settings)
    tables = [t for p in projections if p.source != OWN_EVENTS for t in p.tables]
    conn = await asyncpg.connect(settings.service_database_url(service, driver="postgresql"))
    try:
        found = {}
        for table in tables:
            columns = [c.name for c in table.columns if c.name not in STAMPS]
            keys = ", ".join(c.name for c in table.primary_key.columns) or ", ".join(columns)
            rows = await conn.fetch(
                f"SELECT {', '.join(columns)} FROM {table.name} ORDER BY {keys}"
            )
            found[table.name] = [tuple(r) for r in rows]
        return found
    finally:
        await conn.close()


async def _rebuild(settings: Settings, service: str) -> None:
    """Every consumer-fed projection of ``service`` rebuilt from its inbox, one after
    another in the order the service declares them (as ``veiviser replay`` does)."""
    projections, store = service_projections(service, settings)
    db = Database.for_service(settings, service, pool_size=1)
    try:
        for projection in projections:
            if projection.source != OWN_EVENTS:
                await rebuild(db, store, projection)
    finally:
        await db.dispose()


async def _metric(client: httpx.AsyncClient, outcome: str) -> float:
    text = (await client.get("/metrics")).text
    total = 0.0
    for line in text.splitlines():
        if line.startswith("veiviser_events_consumed_total{") and f'outcome="{outcome}"' in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


async def test_every_consumer_converges_after_jetstream_loses_its_streams_and_its_store(
    settings: Settings, tmp_path: Path
) -> None:
    quick = settings.model_copy(update={"log_level": "INFO", "consumer_reconcile_seconds": 2.0})
    async with stack(quick, tmp_path) as running:
        settings = running.settings
        participants_db = settings.service_database_url("participants", driver="postgresql")
        bearer = {"Authorization": f"Bearer {token(settings)}"}
        async with (
            running.client("participants", bearer) as participants,
            running.client("indicators") as indicators,
        ):
            load = Load(participants)
            await load.run(range(0, 60))

            async def streams_vanish() -> None:
                await load.reached(80)
                await delete_streams(running.settings)

            # The streams vanish (and the durable consumers with them) mid-load.
            await load.run(range(60, 140), during=streams_vanish())

            async def wipe_store() -> None:
                await load.reached(160)
                # Indicators stops consuming; what is published from now on never
                # reaches it through JetStream.
                running["indicators"].send_signal(signal.SIGSTOP)
                await load.reached(190)
                running.nats.kill()
                await asyncio.to_thread(shutil.rmtree, running.nats.store_dir / "jetstream")
                await asyncio.to_thread(running.nats.start)
                await load.reached(220)
                running["indicators"].send_signal(signal.SIGCONT)

            await load.run(range(140, 260), during=wipe_store())
            assert load.unexpected == []
            total = len(load.settled)
            assert total == 260

            async def converged() -> bool:
                return not await _missing(settings)

            await eventually(converged, timeout=240, interval=1.0)
            # Some of what indicators has came from the catch-up feed, not from JetStream.
            assert await _metric(indicators, "reconciled") + await _metric(indicators, "filled") > 0
            settled = await indicators.get(
                "/indicators/settlements",
                params={"year": 2025},
                headers={"Authorization": f"Bearer {token(settings, ['manager'])}"},
            )
            assert settled.status_code == 200, settled.text
            assert int(settled.json()["settled"]) == total

        for service in SERVICES:
            running[service].terminate()
        for service in SERVICES:
            url = settings.service_database_url(service, driver="postgresql")
            assert await _ids(url, "SELECT event_id FROM dead_letters") == set()
            duplicates = await _ids(
                url,
                "SELECT event_id FROM received_events GROUP BY consumer, event_id "
                "HAVING count(*) > 1",
            )
            assert duplicates == set()
            live = await _tables(settings, service)
            await _rebuild(settings, service)
            assert await _tables(settings, service) == live, service
        assert await _missing(settings) == {}
        assert len(await _ids(participants_db, "SELECT event_id FROM outbox")) >= 2 * total
