"""The whole stack as separate processes: 1,000 settlements over HTTP, counted exactly once.

The services run as real uvicorn processes against a private nats-server. While the load
runs, nats-server is SIGKILLed and restarted, then the indicators process is; at the end
indicators must report exactly 1,000 settlements — no event lost, none counted twice —
and still exactly 1,000 after ``veiviser replay indicators`` rebuilt the projection.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Coroutine, Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import nats
import pytest

from shared.settings import Settings
from tests.integration.processes import Stack, stack
from tests.support import eventually, national_id, registration, token

pytestmark = pytest.mark.timeout(420)

TOTAL = 1000
YEAR = 2025
IN_FLIGHT = 20
SETTLED = "participants.participant.settled.v1"


class Load:
    """Registers and settles participants over HTTP, ``IN_FLIGHT`` at a time.

    Every request carries an Idempotency-Key and is retried on connection errors and 5xx,
    so a lost answer can never create a second participant or settlement. Only the
    participants service is called, and it is never killed: every answer that is not a
    201 is recorded in :attr:`unexpected`, and the test requires that list to stay empty.
    """

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.settled: dict[int, str] = {}
        self.unexpected: list[str] = []
        self._progress = asyncio.Condition()

    async def run(
        self, indices: Iterable[int], during: Coroutine[Any, Any, object] | None = None
    ) -> None:
        """Settle participants ``indices``; ``during`` runs concurrently with the load."""
        queue = iter(indices)

        async def worker() -> None:
            for index in queue:
                await self._settle(index)

        try:
            async with asyncio.TaskGroup() as group:
                for _ in range(IN_FLIGHT):
                    group.create_task(worker())
                if during is not None:
                    group.create_task(during)
        except ExceptionGroup as failed:
            raise failed.exceptions[0] from failed

    async def reached(self, count: int) -> None:
        async with self._progress:
            await self._progress.wait_for(lambda: len(self.settled) >= count)

    async def _settle(self, index: int) -> None:
        birth = date(1950, 1, 1) + timedelta(days=index)
        registered = await self._post(
            "/participants",
            registration(birth, national_id(birth), given=f"Deltaker{index}", family="Testesen"),
            key=f"register-{index}",
        )
        participant_id = registered.json()["id"]
        await self._post(
            f"/participants/{participant_id}/settlement",
            {
                "settled_on": date(YEAR, 1 + index % 12, 1 + index % 28).isoformat(),
                "arrival_category": "resettlement_refugee",
            },
            key=f"settle-{index}",
        )
        async with self._progress:
            self.settled[index] = participant_id
            self._progress.notify_all()

    async def _post(self, path: str, body: dict[str, str], *, key: str) -> httpx.Response:
        delay = 0.1
        for _ in range(50):
            try:
                response = await self.client.post(path, json=body, headers={"Idempotency-Key": key})
            except httpx.TransportError as exc:
                self.unexpected.append(f"POST {path} [{key}]: {exc!r}")
            else:
                if response.status_code == 201:
                    return response
                self.unexpected.append(
                    f"POST {path} [{key}]: {response.status_code} {response.text[:300]}"
                )
                if response.status_code < 500:
                    raise AssertionError(self.unexpected[-1])
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)
        raise AssertionError(f"POST {path} [{key}] kept failing: {self.unexpected[-3:]}")


async def _count(client: httpx.AsyncClient) -> int:
    response = await client.get("/indicators/settlements", params={"year": YEAR})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["year"] == YEAR and body["municipality"] == "3301"
    return int(body["settled"])


async def _scalar(url: str, query: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return int(await conn.fetchval(query))
    finally:
        await conn.close()


async def _delivered_everything(running: Stack) -> int:
    """The stream's message count once the indicators consumer has no message pending
    or unacknowledged; 0 before that."""
    settings = running.settings
    client = await nats.connect(running.nats.url, connect_timeout=2, max_reconnect_attempts=1)
    try:
        js = client.jetstream()
        stream = settings.stream_name("participants")
        info = await js.consumer_info(stream, f"{settings.namespace}_indicators_participants")
        if info.num_pending or info.num_ack_pending:
            return 0
        state = (await js.stream_info(stream)).state
        return int(state.messages)
    finally:
        await client.close()


async def _replay(running: Stack) -> subprocess.CompletedProcess[str]:
    veiviser = Path(sys.executable).parent / "veiviser"
    return await asyncio.to_thread(
        subprocess.run,
        [str(veiviser), "replay", "indicators"],
        env=running.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_thousand_settlements_are_counted_exactly_once_through_crashes_and_replay(
    settings: Settings, tmp_path: Path
) -> None:
    async with stack(settings.model_copy(update={"log_level": "INFO"}), tmp_path) as running:
        settings = running.settings
        participants_db = settings.service_database_url("participants", driver="postgresql")
        indicators_db = settings.service_database_url("indicators", driver="postgresql")
        bearer = {"Authorization": f"Bearer {token(settings)}"}
        async with (
            running.client("participants", bearer) as participants,
            running.client("indicators", bearer) as indicators,
        ):
            load = Load(participants)
            started = time.monotonic()

            def note(what: str) -> None:
                # Printed, so a failing run shows how far it got and when.
                print(
                    f"{time.monotonic() - started:6.1f} s  {len(load.settled):4d} settled  {what}"
                )

            # Everything up.
            await load.run(range(0, 300))

            # nats-server crashes with requests in flight; participants keeps accepting
            # settlements, which wait in its outbox.
            nats_killed_at = 0.0

            async def kill_nats() -> None:
                nonlocal nats_killed_at
                await load.reached(320)
                running.nats.kill()
                nats_killed_at = time.monotonic()
                note("nats-server killed")

            await load.run(range(300, 500), during=kill_nats())
            backlog = await _scalar(
                participants_db, "SELECT count(*) FROM outbox WHERE published_at IS NULL"
            )
            assert backlog > 0, "the outbox should hold the events committed while NATS was down"

            # nats-server comes back (same port, same store) while the load goes on.
            async def restart_nats() -> None:
                await asyncio.sleep(max(0.0, nats_killed_at + 2.0 - time.monotonic()))
                await asyncio.to_thread(running.nats.start)
                note("nats-server restarted")

            await load.run(range(500, 700), during=restart_nats())

            # The indicators process crashes while it is consuming.
            async def kill_indicators() -> None:
                await load.reached(720)
                running["indicators"].kill()
                note("indicators killed")

            await load.run(range(700, 850), during=kill_indicators())
            counted_while_down = await _scalar(indicators_db, "SELECT count(*) FROM settlements")
            assert counted_while_down < len(load.settled)

            # ... and comes back, on the same port, while the load goes on.
            async def restart_indicators() -> None:
                await running["indicators"].restart()
                note("indicators restarted")

            await load.run(range(850, TOTAL), during=restart_indicators())
            note("load done")

            assert load.unexpected == []
            assert len(load.settled) == TOTAL
            settled_ids = set(load.settled.values())
            assert len(settled_ids) == TOTAL

            async def all_counted() -> bool:
                return await _count(indicators) >= TOTAL

            await eventually(all_counted, timeout=120, interval=0.5)
            assert await _count(indicators) == TOTAL
            note("indicators count 1000")

            async def outbox_drained() -> bool:
                return (
                    await _scalar(
                        participants_db, "SELECT count(*) FROM outbox WHERE published_at IS NULL"
                    )
                    == 0
                )

            await eventually(outbox_drained, timeout=60, interval=0.5)
            published = await _scalar(participants_db, "SELECT count(*) FROM outbox")
            settled_events = await _event_ids(
                participants_db, "SELECT event_id FROM events WHERE type = $1", SETTLED
            )
            assert len(settled_events) == TOTAL

            # Stays exactly 1,000 once JetStream has nothing left to deliver or redeliver
            # (messages the killed process had fetched come back after the ack wait).
            stream_messages = await eventually(
                lambda: _delivered_everything(running), timeout=90, interval=0.5
            )
            note(f"consumer idle; stream holds {stream_messages} of {published} published")
            # Relay retries carry Nats-Msg-Id = event id: JetStream kept no second copy.
            assert stream_messages == published
            await asyncio.sleep(1)
            assert await _count(indicators) == TOTAL
            await _assert_indicators_database(indicators_db, settled_ids, settled_events)

            # Replay rebuilds the projection from received events; damage it first so a
            # replay that does nothing cannot pass.
            conn = await asyncpg.connect(indicators_db)
            try:
                await conn.execute(
                    "DELETE FROM settlements WHERE participant_id IN "
                    "(SELECT participant_id FROM settlements LIMIT 100)"
                )
            finally:
                await conn.close()
            assert await _count(indicators) == TOTAL - 100

            replayed = await _replay(running)
            note(f"replay exited {replayed.returncode}")
            assert replayed.returncode == 0, replayed.stdout + replayed.stderr
            assert await _count(indicators) == TOTAL
            await _assert_indicators_database(indicators_db, settled_ids, settled_events)


async def _event_ids(url: str, query: str, *args: object) -> set[str]:
    conn = await asyncpg.connect(url)
    try:
        return {str(row["event_id"]) for row in await conn.fetch(query, *args)}
    finally:
        await conn.close()


async def _assert_indicators_database(
    url: str, settled_ids: set[str], settled_events: set[str]
) -> None:
    """One settlement row per settled participant; every settled event received once."""
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT participant_id FROM settlements")
        assert len(rows) == TOTAL
        assert {str(row["participant_id"]) for row in rows} == settled_ids
        duplicates = await conn.fetch(
            "SELECT consumer, event_id, count(*) FROM received_events "
            "GROUP BY consumer, event_id HAVING count(*) > 1"
        )
        assert duplicates == []
        received = await conn.fetch("SELECT event_id FROM received_events WHERE type = $1", SETTLED)
        assert sorted(str(row["event_id"]) for row in received) == sorted(settled_events)
        assert await conn.fetchval("SELECT count(*) FROM dead_letters") == 0
    finally:
        await conn.close()
