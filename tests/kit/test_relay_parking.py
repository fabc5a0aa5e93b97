"""The relay never wedges (real nats-server with a small max_payload): a row it cannot
publish is parked with its error and attempts, shows in /metrics and /readyz, other
aggregates keep flowing, later rows of the same aggregate wait behind it, and
``veiviser outbox retry`` sends them, in order, once the cause is gone."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from deploy.embedded import EmbeddedNats, free_port
from shared.db import Database
from shared.eventstore import EventStore
from shared.settings import Settings
from tests.kit.helpers import (
    NoteTaken,
    append_notes,
    database,
    kit_registry,
    reaches,
    rows,
    scalar,
    stream_documents,
)
from tests.kit.minimal_service import create_app as kit_app
from tests.support import auth, running, veiviser_command

pytestmark = pytest.mark.timeout(120)

SMALL = "max_payload: 4096\n"


async def _veiviser(settings: Settings, *args: str) -> tuple[int, str]:
    """Run the operator command ``veiviser <args>``; its exit code and all it printed."""
    code, out, err = await veiviser_command(settings, *args, timeout=60)
    return code, out + err


async def _published(settings: Settings) -> list[tuple[str, str]]:
    try:
        docs = await stream_documents(settings.nats_url, settings.stream_name("housing"))
    except Exception:
        return []
    return [(d["streamid"], d["data"]["text"][:12]) for d in docs]


def _metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} not in /metrics")


async def _unpublished(db: Database) -> int:
    return int(await scalar(db, "SELECT count(*) FROM outbox WHERE published_at IS NULL"))


async def test_a_row_too_large_for_the_server_parks_others_flow_and_retry_sends_in_order(
    settings: Settings, tmp_path: Path
) -> None:
    server = EmbeddedNats(tmp_path / "nats", free_port(), config=SMALL)
    server.start()
    local = settings.model_copy(update={"nats_url": server.url, "relay_max_backoff_seconds": 0.3})
    a, b, c = (f"{name}-{uuid.uuid4().hex[:8]}" for name in "abc")
    # Rows written while the limit was not known (an older configuration, or before
    # the first connection): the store took them, the server will not.
    store = EventStore("housing", kit_registry, local.subject_prefix("housing"))
    try:
        async with database(local, "housing") as db:
            for stream_id, texts in ((a, ["a1", "a2" + "x" * 6000, "a3"]), (b, ["b1"])):
                async with db.transaction() as conn:
                    await append_notes(
                        store, conn, stream_id, [NoteTaken(text=t) for t in texts], 0
                    )
            app = kit_app(local)
            async with running(app) as client:
                await reaches(lambda: _published(local), [(a, "a1"), (b, "b1")])
                # Another aggregate's new event flows past the parked row.
                created = await client.post("/notes", json={"text": "c1"}, headers=auth(local))
                assert created.status_code == 201, created.text
                c = created.json()["id"]
                await reaches(lambda: _published(local), [(a, "a1"), (b, "b1"), (c, "c1")])
                # The relay marks a row published after the server's ack: wait for that.
                await reaches(lambda: _unpublished(db), 2)

                [parked] = await rows(
                    db, "SELECT * FROM outbox WHERE parked_at IS NOT NULL ORDER BY id"
                )
                assert parked.stream_id == a and parked.attempts == 1
                assert "TooLargeForServer" in parked.last_error
                [waiting] = await rows(
                    db,
                    "SELECT * FROM outbox WHERE published_at IS NULL AND parked_at IS NULL",
                )
                assert waiting.stream_id == a and waiting.id > parked.id

                metrics = (await client.get("/metrics")).text
                assert _metric(metrics, "veiviser_outbox_parked") == 1
                assert _metric(metrics, "veiviser_outbox_waiting") == 1
                ready = await client.get("/readyz")
                assert ready.status_code == 200, ready.text
                outbox: dict[str, Any] = ready.json()["details"]["outbox"]
                assert (outbox["parked"], outbox["waiting"]) == (1, 1)
                assert outbox["rows"][0]["id"] == parked.id
                assert "TooLargeForServer" in outbox["rows"][0]["last_error"]

                code, listed = await _veiviser(local, "outbox", "list", "housing")
                assert code == 0, listed
                assert f"id={parked.id}" in listed and "waiting=1" in listed

                # Retrying while the cause is still there parks it again, nothing moves.
                code, again = await _veiviser(
                    local, "outbox", "retry", "housing", "--id", str(parked.id)
                )
                assert code == 0, again

                async def attempts() -> int:
                    [row] = await rows(
                        db,
                        "SELECT attempts FROM outbox WHERE id = :id AND parked_at IS NOT NULL",
                        id=parked.id,
                    )
                    return int(row.attempts)

                await reaches(attempts, 1)
                assert len(await _published(local)) == 3

                # The cause goes away: the server takes large messages after a restart.
                server.stop()
                server.config = "max_payload: 1048576\n"
                server.start()
                bus = app.state.runtime.bus

                async def server_max_payload() -> int | None:
                    return bus.server_max_payload() if bus.connected else None

                await reaches(server_max_payload, 1048576)
                code, retried = await _veiviser(local, "outbox", "retry", "housing", "--all")
                assert code == 0, retried
                assert str(parked.id) in retried
                await reaches(
                    lambda: _published(local),
                    [(a, "a1"), (b, "b1"), (c, "c1"), (a, "a2" + "x" * 10), (a, "a3")],
                )
                await reaches(
                    lambda: rows(db, "SELECT id FROM outbox WHERE published_at IS NULL"), []
                )
                metrics = (await client.get("/metrics")).text
                assert _metric(metrics, "veiviser_outbox_parked") == 0
                assert _metric(metrics, "veiviser_outbox_waiting") == 0
                code, nothing = await _veiviser(local, "outbox", "list")
                assert code == 0 and "No parked outbox rows." in nothing
                code, refused = await _veiviser(local, "outbox", "retry", "housing", "--id", "999")
                assert code == 1 and "Not parked" in refused
    finally:
        server.stop()


@asynccontextmanager
async def _a_row_nats_never_acknowledges(
    settings: Settings, **relay: float
) -> AsyncIterator[tuple[Settings, Database, str]]:
    """Settings with ``relay``'s settings, housing's database, and the id of a stream
    whose first outbox row JetStream never acknowledges (a second row waits behind it)."""
    local = settings.model_copy(update=relay)
    store = EventStore("housing", kit_registry, local.subject_prefix("housing"))
    stuck = str(uuid.uuid4())
    async with database(local, "housing") as db:
        async with db.transaction() as conn:
            await append_notes(store, conn, stuck, [NoteTaken(text="s1"), NoteTaken(text="s2")], 0)
            # A subject no stream listens on: JetStream never acknowledges it.
            await conn.execute(
                sa.text(
                    "UPDATE outbox SET subject = 'nowhere.at.all' WHERE id = "
                    "(SELECT min(id) FROM outbox)"
                )
            )
        yield local, db, stuck


async def test_a_row_failing_often_but_briefly_is_not_parked(settings: Settings) -> None:
    """A NATS cluster electing a stream leader refuses every publish for seconds: many
    attempts in a short time are no reason to set a row aside."""
    async with _a_row_nats_never_acknowledges(
        settings,
        relay_park_after_attempts=2,
        relay_park_after_seconds=3600,
        relay_max_backoff_seconds=0.1,
    ) as (local, db, stuck):
        async with running(kit_app(local)):

            async def tried() -> bool:
                found = await rows(
                    db, "SELECT attempts, parked_at FROM outbox WHERE stream_id = :s", s=stuck
                )
                assert all(r.parked_at is None for r in found), found
                return max(r.attempts for r in found) >= 6

            await reaches(tried, True, timeout=60)


async def test_a_row_that_keeps_failing_for_any_reason_is_parked_after_its_attempts(
    settings: Settings,
) -> None:
    async with _a_row_nats_never_acknowledges(
        settings,
        relay_park_after_attempts=3,
        relay_park_after_seconds=0,
        relay_max_backoff_seconds=0.2,
    ) as (local, db, stuck):
        async with running(kit_app(local)) as client:
            created = await client.post("/notes", json={"text": "o1"}, headers=auth(local))
            assert created.status_code == 201
            other = created.json()["id"]
            await reaches(lambda: _published(local), [(other, "o1")])

            async def parked() -> list[tuple[int, bool]]:
                found = await rows(
                    db,
                    "SELECT attempts, parked_at IS NOT NULL AS parked FROM outbox "
                    "WHERE stream_id = :s ORDER BY id",
                    s=stuck,
                )
                return [(r.attempts, r.parked) for r in found]

            # Parked after three attempts; its stream's next row never went out.
            await reaches(parked, [(3, True), (0, False)])
            assert await _published(local) == [(other, "o1")]
            [row] = await rows(db, "SELECT last_error FROM outbox WHERE attempts = 3")
            assert row.last_error.startswith("NoStreamResponseError")


async def test_an_existing_database_gets_the_parking_columns_and_its_rows_their_stream(
    settings: Settings,
) -> None:
    from deploy.services import upgrade
    from shared.migrate import drop_database

    old = settings.model_copy(update={"database_prefix": settings.database_prefix + "_old"})
    try:
        # A database as the kit left it before parking existed, with a row to publish.
        await asyncio.to_thread(upgrade, old, "housing", "0001")
        async with database(old, "housing") as db:
            async with db.transaction() as conn:
                await conn.execute(
                    sa.text(
                        "INSERT INTO outbox (event_id, subject, payload) "
                        "VALUES (:id, 'x.y', :payload)"
                    ),
                    {"id": uuid.uuid4(), "payload": b'{"streamid": "stream-7", "data": {}}'},
                )
        await asyncio.to_thread(upgrade, old, "housing")
        async with database(old, "housing") as db:
            assert [
                tuple(r) for r in await rows(db, "SELECT stream_id, parked_at FROM outbox")
            ] == [("stream-7", None)]
            heads = await rows(db, "SELECT version_num FROM alembic_version ORDER BY 1")
            assert "kit0004" in {r.version_num for r in heads}
    finally:
        await drop_database(old, "housing")
