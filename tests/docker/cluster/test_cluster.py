"""The cluster under load loses a NATS node and one replica of every service, and takes
them back: nothing lost, nothing doubled, propagation measured before, during and after.

Load: participants are registered and settled over HTTP through both participants
replicas (a client that picks replicas in turn and moves to the other one on a failed
connection or a 5xx, every request under an Idempotency-Key); for every fifth settled
participant, once housing knows the household, a housing application goes through both
housing replicas the same way. The load is paced (``VEIVISER_CLUSTER_RATE`` settlements
a second), so the propagation figures describe the cluster, not a queue the test built.

While it runs the test SIGKILLs the NATS node that leads the participants stream, then
replica 1 of each of the four services, and restarts them all a few seconds later.
Propagation is command accepted (the 201) -> row committed in the other service's read
model, found by polling the read models' tables every 50 ms; each measurement is
counted in the phase its command was accepted in: before the kills, from the first
kill until everything is healthy again, after. The figures are printed and written to
bench/cluster_results.md; nothing here asserts a time.

At the end every read model of every service must hold exactly what was sent: each
participant once in participants, housing, matching and indicators, each application
once in housing and indicators, every event received once per consumer, no dead
letters, every outbox row published, no duplicate message in JetStream, every stream
and consumer at three replicas with nothing pending.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import math
import os
import platform
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg
import httpx
import nats
import nats.errors
import orjson
import pytest
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError, ServiceUnavailableError

from tests.support import national_id, registration, token

if TYPE_CHECKING:
    from tests.docker.cluster.conftest import Cluster

pytestmark = pytest.mark.timeout(1200)

RATE = float(os.environ.get("VEIVISER_CLUSTER_RATE", "12"))
"""Settlements started per second (each is two commands: register, settle)."""
WARM_UP = int(os.environ.get("VEIVISER_CLUSTER_WARM_UP", "40"))
"""Settlements before the measured "before" phase: first connections, first batches."""
BEFORE = int(os.environ.get("VEIVISER_CLUSTER_BEFORE", "300"))
AFTER = int(os.environ.get("VEIVISER_CLUSTER_AFTER", "300"))
DOWN_SECONDS = float(os.environ.get("VEIVISER_CLUSTER_DOWN_SECONDS", "10"))
"""How long the killed containers stay down."""
IN_FLIGHT = 16
APPLICATION_EVERY = 5
YEAR = 2025
POLL_SECONDS = 0.05
RESULTS = Path(__file__).resolve().parents[3] / "bench" / "cluster_results.md"
PHASES = ("warm-up", "before", "during", "after")
NATS_NODES = ("nats-1", "nats-2", "nats-3")
SERVICES_KILLED = ("participants-1", "housing-1", "matching-1", "indicators-1")

# Where a command's effect shows in another service: (label, database, query over ids).
TARGETS = {
    "housing": (
        "housing",
        "SELECT participant_id FROM household_members WHERE participant_id = ANY($1)",
    ),
    "matching": (
        "matching",
        "SELECT participant_id FROM candidates WHERE participant_id = ANY($1)",
    ),
    "indicators": (
        "indicators",
        "SELECT participant_id FROM settlements WHERE participant_id = ANY($1)",
    ),
    "indicators (housing application)": (
        "indicators",
        "SELECT application_id FROM housing_applications WHERE application_id = ANY($1)",
    ),
}


class Replicas:
    """HTTP to one service's replicas: each request starts at the next replica and moves
    to the other on a connection error, a timeout or a 5xx (what a balancer's health
    check would do). Retries carry the same Idempotency-Key, so none acts twice."""

    def __init__(self, name: str, urls: list[str], headers: dict[str, str]) -> None:
        self.name = name
        self.clients = [
            httpx.AsyncClient(base_url=url, headers=headers, timeout=30.0) for url in urls
        ]
        self._turn = itertools.count()
        self.failovers = 0
        self.errors: list[str] = []

    async def post(self, path: str, body: dict[str, Any], *, key: str) -> httpx.Response:
        start = next(self._turn)
        delay = 0.1
        for attempt in range(60):
            client = self.clients[(start + attempt) % len(self.clients)]
            try:
                response = await client.post(path, json=body, headers={"Idempotency-Key": key})
            except httpx.TransportError as exc:
                problem = f"{type(exc).__name__}"
            else:
                if response.status_code in (200, 201):
                    return response
                problem = f"{response.status_code} {response.text[:200]}"
                if response.status_code < 500:
                    raise AssertionError(f"{self.name} POST {path} [{key}]: {problem}")
            self.failovers += 1
            self.errors.append(problem)
            if attempt % len(self.clients) == len(self.clients) - 1:
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)
        raise AssertionError(f"{self.name} POST {path} [{key}] kept failing: {self.errors[-4:]}")

    async def close(self) -> None:
        for client in self.clients:
            await client.aclose()


@dataclass
class Sample:
    phase: str
    accepted: float
    seen: dict[str, float] = field(default_factory=dict)


class Watcher:
    """Polls the read models' tables for ids whose command was accepted and not yet
    seen there; remembers when each first showed."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.samples: dict[str, dict[str, Sample]] = {target: {} for target in TARGETS}
        self._pending: dict[str, set[str]] = {target: set() for target in TARGETS}
        self._arrived: dict[str, asyncio.Event] = {}
        self._conns: dict[str, asyncpg.Connection] = {}
        self._stop = asyncio.Event()
        self.failed: BaseException | None = None

    def expect(self, target: str, ident: str, phase: str, accepted: float) -> None:
        self.samples[target][ident] = Sample(phase, accepted)
        self._pending[target].add(ident)

    async def seen(self, target: str, ident: str) -> None:
        """Wait until ``ident`` showed in ``target``."""
        while ident in self._pending[target]:
            if self.failed is not None:
                raise AssertionError("the read-model watcher failed") from self.failed
            event = self._arrived.setdefault(f"{target}:{ident}", asyncio.Event())
            await event.wait()

    def missing(self, target: str) -> int:
        return len(self._pending[target])

    async def run(self) -> None:
        try:
            await self._poll()
        except BaseException as exc:
            self.failed = exc
            for event in self._arrived.values():
                event.set()
            raise

    async def _poll(self) -> None:
        while not self._stop.is_set():
            for target, (service, query) in TARGETS.items():
                pending = list(self._pending[target])
                if not pending:
                    continue
                try:
                    conn = self._conns.get(service)
                    if conn is None or conn.is_closed():
                        conn = self._conns[service] = await asyncpg.connect(
                            self.cluster.database(service), timeout=5
                        )
                    rows = await conn.fetch(query, pending)
                except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
                    self._conns.pop(service, None)
                    continue
                now = time.monotonic()
                for row in rows:
                    ident = str(row[0])
                    self._pending[target].discard(ident)
                    self.samples[target][ident].seen[target] = now
                    event = self._arrived.pop(f"{target}:{ident}", None)
                    if event is not None:
                        event.set()
            await asyncio.sleep(POLL_SECONDS)

    async def close(self) -> None:
        self._stop.set()
        for conn in self._conns.values():
            with contextlib.suppress(Exception):
                await conn.close()


class Load:
    def __init__(self, cluster: Cluster, watcher: Watcher) -> None:
        settings = cluster.settings
        caseworker = {
            "Authorization": f"Bearer {token(settings, ['caseworker', 'manager'], sub='load')}"
        }
        officer = {"Authorization": f"Bearer {token(settings, ['housing_officer'], sub='load')}"}
        self.participants = Replicas("participants", cluster.replicas["participants"], caseworker)
        self.housing = Replicas("housing", cluster.replicas["housing"], officer)
        self.watcher = watcher
        self.phase = "warm-up"
        self.entered: dict[str, float] = {"warm-up": time.monotonic()}
        self.finished = 0.0
        self.settled: dict[int, str] = {}
        self.households: dict[str, str] = {}
        """participant id -> household id."""
        self.applications: dict[str, str] = {}
        """household id -> application id."""
        self.by_phase = dict.fromkeys(PHASES, 0)
        self._applying: set[asyncio.Task[None]] = set()
        self.before_done = asyncio.Event()

    async def run(self, done: Callable[[], bool]) -> None:
        """Start settlements at ``RATE`` a second, ``IN_FLIGHT`` at most, until ``done()``."""
        slots = asyncio.Semaphore(IN_FLIGHT)
        tasks: set[asyncio.Task[None]] = set()
        failure: list[BaseException] = []

        async def one(index: int) -> None:
            try:
                await self._settle(index)
            except BaseException as exc:
                failure.append(exc)
            finally:
                slots.release()

        loop = asyncio.get_running_loop()
        started = loop.time()
        for index in itertools.count():
            if done() or failure:
                break
            await asyncio.sleep(max(0.0, started + index / RATE - loop.time()))
            await slots.acquire()
            task = asyncio.create_task(one(index))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        await asyncio.gather(*tasks)
        self.finished = time.monotonic()
        await asyncio.gather(*self._applying)
        if failure:
            raise failure[0]

    def enter(self, phase: str) -> None:
        self.phase = phase
        self.entered[phase] = time.monotonic()

    def rates(self) -> dict[str, float]:
        """Settlements accepted per second in each phase (what the cluster kept up with)."""
        ends = [*(self.entered[p] for p in PHASES[1:]), self.finished]
        return {
            phase: self.by_phase[phase] / max(end - self.entered[phase], 1e-9)
            for phase, end in zip(PHASES, ends, strict=True)
        }

    async def _settle(self, index: int) -> None:
        birth = date(1950, 1, 1) + timedelta(days=index)
        registered = await self.participants.post(
            "/participants",
            registration(birth, national_id(birth), given=f"Klynge{index}", family="Testesen"),
            key=f"cluster-register-{index}",
        )
        participant_id = str(registered.json()["id"])
        settled = await self.participants.post(
            f"/participants/{participant_id}/settlement",
            {
                "settled_on": date(YEAR, 1 + index % 12, 1 + index % 28).isoformat(),
                "arrival_category": "resettlement_refugee",
            },
            key=f"cluster-settle-{index}",
        )
        accepted = time.monotonic()
        phase = self.phase
        self.by_phase[phase] += 1
        if phase == "warm-up" and self.by_phase[phase] >= WARM_UP:
            self.enter("before")
        if self.by_phase["before"] >= BEFORE:
            self.before_done.set()
        self.settled[index] = participant_id
        # Settled on their own: participants gives the person a household of their own.
        self.households[participant_id] = str(settled.json()["household_id"])
        for target in ("housing", "matching", "indicators"):
            self.watcher.expect(target, participant_id, phase, accepted)
        if index % APPLICATION_EVERY == 0:
            task = asyncio.create_task(self._apply(index, participant_id))
            self._applying.add(task)
            task.add_done_callback(self._applying.discard)

    async def _apply(self, index: int, participant_id: str) -> None:
        # Housing takes an application once it knows the household from the settlement.
        await self.watcher.seen("housing", participant_id)
        household_id = self.households[participant_id]
        answer = await self.housing.post(
            "/housing/applications",
            {"household_id": household_id, "received_on": f"{YEAR}-06-01"},
            key=f"cluster-apply-{index}",
        )
        application_id = str(answer.json()["application_id"])
        self.applications[household_id] = application_id
        self.watcher.expect(
            "indicators (housing application)", application_id, self.phase, time.monotonic()
        )

    async def close(self) -> None:
        await self.participants.close()
        await self.housing.close()


async def _stream_leader(cluster: Cluster, service: str) -> str:
    nc = await nats.connect(list(cluster.nats.values()), connect_timeout=3)
    try:
        info = await nc.jetstream().stream_info(cluster.settings.stream_name(service))
        assert info.cluster is not None and info.cluster.leader in NATS_NODES, info.cluster
        return str(info.cluster.leader)
    finally:
        await nc.close()


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered), max(1, math.ceil(q / 100 * len(ordered)))) - 1]


def _table(watcher: Watcher) -> list[str]:
    lines = [
        "| read model | phase | n | p50 ms | p90 ms | p99 ms | max ms |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for target in TARGETS:
        for phase in PHASES:
            values = [
                (s.seen[target] - s.accepted) * 1000
                for s in watcher.samples[target].values()
                if s.phase == phase and target in s.seen
            ]
            cells = [_percentile(values, q) for q in (50, 90, 99)] + [
                max(values) if values else math.nan
            ]
            lines.append(
                f"| {target} | {phase} | {len(values)} | "
                + " | ".join("n/a" if math.isnan(c) else f"{c:,.0f}" for c in cells)
                + " |"
            )
    return lines


async def _rows(url: str, query: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(url)
    try:
        return list(await conn.fetch(query, *args))
    finally:
        await conn.close()


async def _ids(url: str, query: str, *args: object) -> list[str]:
    return [str(row[0]) for row in await _rows(url, query, *args)]


async def _eventually(check: Callable[[], Awaitable[Any]], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = await check()
        if last is True:
            return
        await asyncio.sleep(0.5)
    raise AssertionError(f"{what} not reached within {timeout:.0f} s: {last!r}")


async def test_cluster_loses_a_nats_node_and_a_replica_of_each_service_and_nothing_is_lost(
    cluster: Cluster,
) -> None:
    watcher = Watcher(cluster)
    load = Load(cluster, watcher)
    started = time.monotonic()
    timeline: list[str] = []

    def note(what: str) -> None:
        line = f"{time.monotonic() - started:6.1f} s  {len(load.settled):4d} settled  {what}"
        timeline.append(line)
        print(line)

    watching = asyncio.create_task(watcher.run())
    killed_nats = ""
    recovery: dict[str, float] = {}

    async def chaos() -> None:
        nonlocal killed_nats
        await load.before_done.wait()
        killed_nats = await _stream_leader(cluster, "participants")
        load.enter("during")
        await cluster.kill(killed_nats)
        note(f"killed {killed_nats} (leader of the participants stream)")
        await asyncio.sleep(2)
        await asyncio.gather(*(cluster.kill(name) for name in SERVICES_KILLED))
        note("killed " + ", ".join(SERVICES_KILLED))
        await asyncio.sleep(DOWN_SECONDS)
        restarted = time.monotonic()
        await asyncio.gather(*(cluster.start(name) for name in (killed_nats, *SERVICES_KILLED)))
        note(f"restarted {killed_nats} and " + ", ".join(SERVICES_KILLED))

        async def healthy(name: str) -> None:
            await cluster.wait_healthy(name)
            recovery[name] = time.monotonic() - restarted

        await asyncio.gather(*(healthy(name) for name in (killed_nats, *SERVICES_KILLED)))
        note(
            "all healthy again ("
            + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in recovery.items())
            + ")"
        )
        load.enter("after")

    try:
        note(f"load starts: {RATE:g} settlements/s, {IN_FLIGHT} in flight at most")
        chaos_task = asyncio.create_task(chaos())

        def enough() -> bool:
            if not chaos_task.done():
                return False
            failed = chaos_task.cancelled() or chaos_task.exception() is not None
            return failed or load.by_phase["after"] >= AFTER

        await load.run(enough)
        await chaos_task
        note(f"load done: {load.by_phase}, {len(load.applications)} applications")

        async def converged() -> bool | dict[str, int]:
            if watcher.failed is not None:
                raise AssertionError("the read-model watcher failed") from watcher.failed
            missing = {target: watcher.missing(target) for target in TARGETS}
            return True if not any(missing.values()) else missing

        await _eventually(converged, 180, "every settlement and application in every read model")
        note("every settlement and application seen in every read model")
    finally:
        await watcher.close()
        watching.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watching
        await load.close()

    table = _table(watcher)
    for line in table:
        print(line)
    _write_results(table, timeline, load, killed_nats, recovery, time.monotonic() - started)

    await _assert_exactly_what_was_sent(cluster, load)
    note("read models, inboxes, outboxes and streams checked")


def _write_results(
    table: list[str],
    timeline: list[str],
    load: Load,
    killed_nats: str,
    recovery: dict[str, float],
    seconds: float,
) -> None:
    failovers = load.participants.failovers + load.housing.failovers
    kinds = Counter(
        problem.split()[0] for problem in load.participants.errors + load.housing.errors
    )
    text = "\n".join(
        [
            "# Cluster profile under failure: propagation (tests/docker/cluster)",
            "",
            "Written by `tests/docker/cluster/test_cluster.py` on every run "
            "(`deploy/compose/cluster/cluster.sh test`); no timing is asserted.",
            "",
            f"Run: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
            f"{platform.machine()}, cluster of 3 NATS nodes (R3) and 2 replicas of each "
            f"service on one Docker host. Load {RATE:g} settlements/s (register + settle), "
            f"at most {IN_FLIGHT} in flight; a housing application for every "
            f"{APPLICATION_EVERY}th household. Killed: {killed_nats} (leader of the "
            f"participants stream), then {', '.join(SERVICES_KILLED)} 2 s later; all "
            f"restarted after {DOWN_SECONDS:g} s.",
            "",
            "Propagation = HTTP 201 of the command -> the row committed in the other "
            "service's read model (polled every 50 ms, so figures carry up to ~50 ms of "
            "polling). Phase = when the command was accepted: warm-up (the first "
            f"{WARM_UP} settlements: first connections and batches), before the first kill, "
            "during (from the first kill until every restarted container was healthy "
            "again), after. The figures include whatever else the machine ran meanwhile.",
            "",
            *table,
            "",
            f"Settlements per phase: {load.by_phase}, accepted per second: "
            + ", ".join(f"{phase} {rate:.1f}" for phase, rate in load.rates().items())
            + f" (offered: {RATE:g}/s; less means the cluster, or the machine, was the "
            "limit); housing applications: "
            f"{len(load.applications)}. Requests moved to the other replica "
            f"(connection refused/reset, timeout or 5xx): {failovers}"
            + (
                " (" + ", ".join(f"{k} {n}" for k, n in kinds.most_common()) + ")."
                if kinds
                else "."
            ),
            "Time from restart to healthy: "
            + ", ".join(f"{name} {value:.1f} s" for name, value in recovery.items())
            + ".",
            f"Whole test: {seconds:.0f} s. Load average of the machine (1, 5, 15 min) when "
            "it ended: " + ", ".join(f"{v:.1f}" for v in os.getloadavg()) + ".",
            "",
            "Timeline:",
            "",
            "```",
            *timeline,
            "```",
            "",
        ]
    )
    RESULTS.write_text(text)


async def _assert_exactly_what_was_sent(cluster: Cluster, load: Load) -> None:
    settings = cluster.settings
    people = sorted(load.settled.values())
    applications = sorted(load.applications.values())
    assert len(set(people)) == len(people) == sum(load.by_phase.values())
    participants = cluster.database("participants")
    housing = cluster.database("housing")
    matching = cluster.database("matching")
    indicators = cluster.database("indicators")

    # Every outbox row published, so what follows is final.
    async def drained() -> bool | dict[str, list[str]]:
        backlog = {
            service: [
                # What an operator would look at (`veiviser outbox list`), no payloads.
                f"id {r['id']} {r['subject']} attempts {r['attempts']} parked "
                f"{r['parked_at'] is not None} error {r['last_error']!r} age {r['age']}"
                for r in await _rows(
                    db,
                    "SELECT id, subject, attempts, parked_at, last_error, "
                    "now() - created_at AS age FROM outbox WHERE published_at IS NULL "
                    "ORDER BY id LIMIT 5",
                )
            ]
            for service, db in (("participants", participants), ("housing", housing))
        }
        return True if not any(backlog.values()) else backlog

    await _eventually(drained, 60, "outboxes drained")

    # The source services: one participant per registration, one application each.
    assert (
        await _ids(participants, "SELECT participant_id FROM participant_summary ORDER BY 1")
        == people
    )
    # Both in id order: without it the planner may answer one from the primary key's index
    # (sorted) and the other from the heap.
    assert await _ids(
        participants,
        "SELECT participant_id FROM participant_summary WHERE status = 'settled' ORDER BY 1",
    ) == await _ids(participants, "SELECT participant_id FROM participant_summary ORDER BY 1")
    assert (
        await _ids(housing, "SELECT application_id FROM housing_applications ORDER BY 1")
        == applications
    )

    # The consumers' read models: each participant and application exactly once.
    assert await _ids(housing, "SELECT household_id FROM households ORDER BY 1") == sorted(
        load.households.values()
    )
    assert await _ids(housing, "SELECT participant_id FROM household_members ORDER BY 1") == people
    assert await _ids(matching, "SELECT participant_id FROM candidates ORDER BY 1") == people
    assert await _ids(indicators, "SELECT participant_id FROM settlements ORDER BY 1") == people
    assert await _ids(indicators, "SELECT participant_id FROM registrations ORDER BY 1") == people
    assert (
        await _ids(indicators, "SELECT application_id FROM housing_applications ORDER BY 1")
        == applications
    )

    # Each consumer received each published event of its source once, and dead-lettered
    # none.
    published = {
        "participants": await _ids(participants, "SELECT event_id FROM outbox ORDER BY 1"),
        "housing": await _ids(housing, "SELECT event_id FROM outbox ORDER BY 1"),
    }
    for db, consumer, source in (
        (housing, "participants", "participants"),
        (matching, "participants", "participants"),
        (indicators, "participants", "participants"),
        (indicators, "housing", "housing"),
    ):
        received = await _ids(
            db,
            "SELECT event_id FROM received_events WHERE consumer = $1 ORDER BY 1",
            consumer,
        )
        assert received == published[source], (db, consumer)
    for db in (participants, housing, matching, indicators):
        assert await _rows(db, "SELECT consumer, error FROM dead_letters") == []

    # JetStream: every stream and its consumers at R3, caught up; no duplicate message.
    nc = await nats.connect(list(cluster.nats.values()), connect_timeout=3)
    try:
        js = nc.jetstream()

        async def idle() -> bool | list[str]:
            busy = []
            for stream in (settings.stream_name(s) for s in ("participants", "housing")):
                for consumer in await js.consumers_info(stream):
                    if consumer.num_pending or consumer.num_ack_pending:
                        busy.append(
                            f"{consumer.name}: {consumer.num_pending} pending, "
                            f"{consumer.num_ack_pending} unacked"
                        )
            return True if not busy else busy

        await _eventually(idle, 90, "every consumer idle")
        for service, events in published.items():
            stream = settings.stream_name(service)
            info = await js.stream_info(stream)
            assert info.config.num_replicas == 3
            assert info.cluster is not None and len(info.cluster.replicas or []) == 2
            assert info.state.messages == len(events), (stream, info.state.messages, len(events))
            await _assert_per_stream_order(js, stream, settings.subject_prefix(service))
            durables = [c for c in await js.consumers_info(stream) if c.config.durable_name]
            assert durables, stream
            for durable in durables:
                assert durable.config.num_replicas in (0, 3), durable.config
                assert durable.cluster is not None and len(durable.cluster.replicas or []) == 2
    finally:
        await nc.close()


async def _assert_per_stream_order(js: Any, stream: str, prefix: str) -> None:
    """Each aggregate's events lie in the JetStream stream in version order: two relays
    (one per replica) on one outbox never interleaved their passes."""
    sub = await js.pull_subscribe(
        f"{prefix}.>",
        stream=stream,
        config=ConsumerConfig(ack_policy=AckPolicy.NONE, deliver_policy=DeliverPolicy.ALL),
    )
    try:
        total = (await js.stream_info(stream)).state.messages
        last: dict[str, int] = {}
        read = 0
        deadline = time.monotonic() + 120
        while read < total:
            try:
                msgs = await sub.fetch(500, timeout=10)
            except (ServiceUnavailableError, nats.errors.TimeoutError, TimeoutError):
                # This reader's own (ephemeral, R1) consumer may not be placed yet.
                assert time.monotonic() < deadline, (stream, read, total)
                await asyncio.sleep(0.5)
                continue
            for msg in msgs:
                read += 1
                document = orjson.loads(msg.data)
                stream_id, version = document["streamid"], int(document["streamversion"])
                assert version > last.get(stream_id, 0), (stream, stream_id, version, last)
                last[stream_id] = version
    finally:
        name = (await sub.consumer_info()).name
        await sub.unsubscribe()
        with contextlib.suppress(NotFoundError):
            await js.delete_consumer(stream, name)
