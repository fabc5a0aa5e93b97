"""The database wakes every relay at each commit that adds outbox rows, from any process.

With one relay per database publishing at a time, a row committed by another replica,
or by a service whose relay runs in a process of its own (``veiviser relay``), would
otherwise wait for the active relay's next idle look. The relays here look only every
minute, so anything published sooner was woken by the commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import uuid
from collections.abc import AsyncIterator
from datetime import date

import pytest

from services.participants.app import create_app
from shared.db import Database
from shared.outbox import OutboxRelay
from shared.settings import Settings
from tests.kit.catchup_support import SOURCE, append
from tests.kit.helpers import (
    NoteTaken,
    connected_bus,
    database,
    outbox_rows,
    scalar,
    unpublished,
)
from tests.support import auth, eventually, national_id, python_module, running

pytestmark = pytest.mark.timeout(120)

LOOK_SECONDS = 60.0
"""The relays' idle look: far longer than any wait below."""


def _slow_looking(settings: Settings) -> Settings:
    return settings.model_copy(update={"relay_idle_seconds": LOOK_SECONDS})


@contextlib.asynccontextmanager
async def _relay_running(settings: Settings, db: Database) -> AsyncIterator[None]:
    stop = asyncio.Event()
    async with connected_bus(settings, "relay-wakeup", SOURCE) as bus:
        task = asyncio.create_task(OutboxRelay(db, bus, settings, SOURCE).run(stop))
        try:
            # Its first pass (it looks once when it starts listening) has found nothing.
            await eventually(lambda: _listening(db))
            await asyncio.sleep(0.3)
            yield
        finally:
            stop.set()
            await asyncio.wait_for(task, timeout=10)


async def _listening(db: Database) -> int:
    return int(
        await scalar(
            db,
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND query LIKE 'LISTEN%'",
        )
    )


async def test_a_commit_elsewhere_wakes_the_idle_relay(settings: Settings) -> None:
    settings = _slow_looking(settings)
    async with database(settings, SOURCE) as db, _relay_running(settings, db):
        # Committed on connections of their own: nothing in the relay's process knows.
        for n in range(3):
            await append(settings, f"note-{uuid.uuid4()}", [NoteTaken(text=str(n))])
            await eventually(lambda: _none_left(db), timeout=5)


async def test_the_relay_listens_again_after_losing_its_connection(settings: Settings) -> None:
    settings = _slow_looking(settings)
    async with database(settings, SOURCE) as db, _relay_running(settings, db):
        await scalar(
            db,
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND query LIKE 'LISTEN%'",
        )
        await eventually(lambda: _listening(db), timeout=10)
        await append(settings, f"note-{uuid.uuid4()}", [NoteTaken(text="after")])
        await eventually(lambda: _none_left(db), timeout=5)


async def _none_left(db: Database) -> bool:
    return await unpublished(db) == 0


async def test_a_service_without_its_relay_is_published_by_veiviser_relay(
    settings: Settings,
) -> None:
    """``relay_in_process`` off: the service only appends; ``veiviser relay`` publishes,
    woken by the service's commits, and stops cleanly on SIGTERM."""
    service = _slow_looking(settings).model_copy(update={"relay_in_process": False})
    caseworker = auth(settings, ["caseworker"])
    person = {
        "given_name": "Amina",
        "family_name": "Haile",
        "birth_date": "1991-06-14",
        "national_id": national_id(date(1991, 6, 14)),
    }
    async with database(settings, SOURCE) as db, running(create_app(service)) as client:
        created = await client.post("/participants", headers=caseworker, json=person)
        assert created.status_code == 201, created.text
        await asyncio.sleep(1.0)
        waiting = await unpublished(db)
        assert waiting > 0 and waiting == await outbox_rows(db), "published without a relay"
        relay = await python_module(
            settings,
            "deploy.cli",
            "relay",
            SOURCE,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            relay_idle_seconds=str(LOOK_SECONDS),
        )
        try:
            await eventually(lambda: _none_left(db), timeout=30)
            await eventually(lambda: _listening(db), timeout=10)
            await asyncio.sleep(0.3)
            settled = await client.post(
                f"/participants/{created.json()['id']}/settlement",
                headers=caseworker,
                json={"settled_on": "2026-01-05", "arrival_category": "resettlement_refugee"},
            )
            assert settled.status_code == 201, settled.text
            await eventually(lambda: _none_left(db), timeout=5)
        finally:
            relay.send_signal(signal.SIGTERM)
            _, errors = await asyncio.wait_for(relay.communicate(), timeout=20)
        assert relay.returncode == 0, errors.decode()
