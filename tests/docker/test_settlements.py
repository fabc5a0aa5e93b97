"""The Docker stack from the outside: 1,000 settlements over HTTP while nats-server,
PostgreSQL and the indicators container are killed, counted exactly once everywhere.

The load is the whole-stack test's (tests/integration/test_stack.py): registrations and
settlements through the participants service, ``IN_FLIGHT`` at a time, each request under
an Idempotency-Key and retried on connection errors and 5xx. While it runs:

- the nats container is ``docker kill``ed and ``docker start``ed (a manual kill is not
  restarted by the restart policy, so the test starts it, as an operator would);
- then the postgres container, the same way;
- then the indicators service's main process is SIGKILLed from the host, and Docker's
  ``restart: unless-stopped`` brings the container back by itself.

Then, over HTTP and NATS only: JetStream holds every registration and settlement exactly
once, every durable consumer of the participants stream has nothing pending, and the read
models of participants (search), housing (households) and indicators (settlement count)
each hold exactly the 1,000 participants sent, once.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import nats
import pytest

from tests.docker.support import DockerStack, crash, docker, restart_count, wait_healthy
from tests.integration.test_stack import TOTAL, YEAR, Load
from tests.support import eventually, token

pytestmark = pytest.mark.timeout(900)

MUNICIPALITY = "3301"
PAGE = 500


async def _settled_count(indicators: httpx.AsyncClient) -> int:
    answer = await indicators.get("/indicators/settlements", params={"year": YEAR})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["year"] == YEAR and body["municipality"] == MUNICIPALITY
    return int(body["settled"])


async def _subject_counts(stack: DockerStack) -> dict[str, int]:
    """Messages per subject on the participants stream."""
    client = await nats.connect(stack.nats_url, connect_timeout=5, max_reconnect_attempts=1)
    try:
        js = client.jetstream()
        stream = stack.settings.stream_name("participants")
        info = await js.stream_info(stream, subjects_filter=">")
        return dict(info.state.subjects or {})
    finally:
        await client.close()


async def _consumers_idle(stack: DockerStack) -> list[str] | None:
    """The durable consumers of the participants stream once none has a message pending
    or unacknowledged; None before that."""
    client = await nats.connect(stack.nats_url, connect_timeout=5, max_reconnect_attempts=1)
    try:
        js = client.jetstream()
        consumers = await js.consumers_info(stack.settings.stream_name("participants"))
        if any(c.num_pending or c.num_ack_pending for c in consumers):
            return None
        return sorted(c.name for c in consumers)
    finally:
        await client.close()


async def _settled_participants(participants: httpx.AsyncClient) -> list[dict[str, Any]]:
    """Every participant the participants read model lists as settled, all pages."""
    found: list[dict[str, Any]] = []
    while True:
        answer = await participants.get(
            "/participants", params={"status": "settled", "limit": PAGE, "offset": len(found)}
        )
        assert answer.status_code == 200, answer.text
        page = answer.json()["results"]
        found += page
        if len(page) < PAGE:
            return found


async def test_thousand_settlements_survive_killed_containers(docker_stack: DockerStack) -> None:
    stack = docker_stack
    bearer = {"Authorization": f"Bearer {token(stack.settings, municipality=MUNICIPALITY)}"}
    limits = httpx.Limits(max_connections=40)

    def client(service: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=stack.urls[service], headers=bearer, timeout=30.0, limits=limits
        )

    async with client("participants") as participants, client("indicators") as indicators:
        # The counts below are the run's own only on a stack that has seen no settlement.
        assert await _settled_count(indicators) == 0, "needs a fresh stack (make docker-down)"
        subjects_before = await _subject_counts_or_empty(stack)
        assert not subjects_before, f"the participants stream is not empty: {subjects_before}"

        load = Load(participants)
        started = time.monotonic()

        def note(what: str) -> None:
            print(f"{time.monotonic() - started:6.1f} s  {len(load.settled):4d} settled  {what}")

        nats_container = stack.container("nats")
        postgres_container = stack.container("postgres")
        indicators_container = stack.container("indicators")

        await load.run(range(0, 250))
        note("warm")

        async def kill_and_start(
            container: str, name: str, at: int, while_down: Callable[[], Awaitable[object]]
        ) -> None:
            await load.reached(at)
            await asyncio.to_thread(docker, "kill", container)
            note(f"{name} killed")
            await while_down()
            await asyncio.sleep(2)
            await asyncio.to_thread(docker, "start", container)
            await wait_healthy(container)
            note(f"{name} started and healthy")

        async def accepted_without_nats() -> None:
            # Participants keeps accepting settlements; their events wait in its outbox
            # (that they reach JetStream once NATS is back is checked at the end).
            at_kill = len(load.settled)

            async def accepted() -> bool:
                return len(load.settled) >= at_kill + 20

            await eventually(accepted, timeout=60, interval=0.1)
            note("settlements accepted while NATS is down")

        async def participants_unready() -> None:
            # Without its database the participants service says it is not ready.
            async def unready() -> bool:
                with contextlib.suppress(httpx.TransportError):
                    return (await participants.get("/readyz")).status_code == 503
                return False

            await eventually(unready, timeout=30, interval=0.2)
            note("participants not ready without its database")

        await load.run(
            range(250, 500),
            during=kill_and_start(nats_container, "nats", 270, accepted_without_nats),
        )
        await load.run(
            range(500, 750),
            during=kill_and_start(postgres_container, "postgres", 520, participants_unready),
        )

        restarts = restart_count(indicators_container)

        async def crash_indicators() -> None:
            await load.reached(770)
            by_policy = await asyncio.to_thread(crash, indicators_container)
            note("indicators crashed" + ("" if by_policy else " (docker kill + start)"))
            if by_policy:

                async def restarted() -> bool:
                    return restart_count(indicators_container) > restarts

                await eventually(restarted, timeout=60, interval=0.2)
            await wait_healthy(indicators_container)
            note("indicators back and healthy")

        await load.run(range(750, TOTAL), during=crash_indicators())
        note(f"load done; {len(load.unexpected)} answers retried")

        # Every request ended in a 201 (a 4xx fails inside the load); what was retried
        # was a connection error or a 5xx while a container was down.
        assert len(load.settled) == TOTAL
        sent = set(load.settled.values())
        assert len(sent) == TOTAL

        async def all_counted() -> bool:
            return await _settled_count(indicators) >= TOTAL

        await eventually(all_counted, timeout=180, interval=0.5)
        consumers = await eventually(lambda: _consumers_idle(stack), timeout=180, interval=0.5)
        note(f"consumers idle: {', '.join(consumers)}")
        # Messages the killed process had fetched come back after the ack wait; once
        # nothing is pending, the count must still be exactly the number sent.
        await asyncio.sleep(1)
        assert await _settled_count(indicators) == TOTAL

        # JetStream: each event once (relay retries carry Nats-Msg-Id = event id).
        subjects = await _subject_counts(stack)
        prefix = stack.settings.subject_prefix("participants")
        assert subjects.get(f"{prefix}.participant.registered") == TOTAL, subjects
        assert subjects.get(f"{prefix}.participant.settled") == TOTAL, subjects
        assert any("housing" in name for name in consumers), consumers
        assert any("indicators" in name for name in consumers), consumers

        # participants: exactly the people sent, each settled once, in one household.
        listed = await _settled_participants(participants)
        assert sorted(p["id"] for p in listed) == sorted(sent)
        households = {p["id"]: p["household_id"] for p in listed}
        assert len(set(households.values())) == TOTAL

    # housing: each household known once, with its one settled member.
    async with client("housing") as housing:
        semaphore = asyncio.Semaphore(20)

        async def household(person: str, household_id: str) -> None:
            async with semaphore:
                answer = await housing.get(f"/housing/households/{household_id}")
            assert answer.status_code == 200, answer.text
            settlement = answer.json()["settlement"]
            assert settlement is not None, household_id
            assert settlement["members_settled"] == 1, settlement
            assert [member[0] for member in settlement["members"]] == [person], settlement

        await asyncio.gather(*(household(p, h) for p, h in households.items()))
    note("housing holds every household once")


async def _subject_counts_or_empty(stack: DockerStack) -> dict[str, int]:
    """:func:`_subject_counts`, or nothing when the stream does not exist yet."""
    try:
        return await _subject_counts(stack)
    except nats.js.errors.NotFoundError:
        return {}
