"""Part 5: propagation latency, HTTP 201 of a settlement -> row visible in indicators.

participants and indicators run as separate uvicorn processes (relay in the first,
durable consumer in the second). The load generator process sends settlements at a
fixed rate (open loop) and records, per participant, when the 201 arrived. An AFTER
INSERT trigger on the indicators ``settlements`` table (added by the bench to its own
copy of the database) sends ``pg_notify`` with the participant id; notifications are
delivered at commit, so the bench process, listening, records the moment each row
became visible. Both clocks are ``time.monotonic()`` (system-wide on Linux).
Latency = visible - 201.

Both services run on databases and a namespace of their own, so the consumer has no
backlog of part 1 to work off; the participants to settle are registered through the
API first (not measured) while indicators consumes their ``registered`` events, and the
run starts once the outbox is published and indicators' checkpoint has reached the end
of the stream. The load generator offers the rate for a fixed time; requests it could
not send in that time (the service fell behind) are dropped, not queued.

The fixed rate runs twice: with the relay in the participants process (as `make run`
starts it) and with it in a process of its own (``VEIVISER_RELAY_IN_PROCESS=false`` and
``veiviser relay participants``, woken by the database at each commit).

The raw path beside it, at the same rate: nats-py ``js.publish`` (awaiting the ack) of
the same envelope, a nats-py pull subscriber (``fetch`` loop, same batch size) that
INSERTs the row (own transaction) into a table with the same trigger, then acks;
latency = visible - publish ack, all in the bench process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
import uuid
from dataclasses import dataclass

import asyncpg
import httpx
import nats
import psutil
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from prometheus_client.parser import text_string_to_metric_families

from bench.env import BenchEnv, ServiceProcess, log, participants_stream
from bench.http_commands import (
    PARTICIPANTS_APP,
    auth_headers,
    register,
    run_loadgen,
    start_participants,
)
from bench.meter import cpu_seconds
from bench.report import percentile
from bench.samples import SETTLE_BODY, settled_envelope
from deploy.embedded import free_port
from shared.events import Envelope
from shared.settings import Settings

CHANNEL = "bench_visible"
TRIGGER = f"""
CREATE OR REPLACE FUNCTION bench_notify_visible() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('{CHANNEL}', NEW.participant_id::text);
    RETURN NEW;
END $$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS bench_visible ON settlements;
CREATE TRIGGER bench_visible AFTER INSERT ON settlements
    FOR EACH ROW EXECUTE FUNCTION bench_notify_visible();
"""


@dataclass(frozen=True)
class Latencies:
    p50: float
    p90: float
    p99: float
    max: float
    count: int
    sent: int
    rate: float
    command_p50: float = 0.0
    command_p99: float = 0.0
    where: str = ""
    """What the processes did during the run (:class:`Phase`), for the notes."""


LAG_METRIC = "veiviser_event_loop_lag_seconds"
LONG_LAG = 0.1
"""A wake-up this late (s) is counted apart: it alone could push a p99 past the target."""


def loop_lag(url: str) -> dict[str, tuple[float, float, float]]:
    """Per cause, the lag probe's (samples, seconds late, samples later than LONG_LAG)."""
    text = httpx.get(f"{url}/metrics", timeout=5).text
    counts: dict[str, float] = {}
    sums: dict[str, float] = {}
    short: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        if family.name != LAG_METRIC:
            continue
        for sample in family.samples:
            cause = sample.labels["cause"]
            if sample.name.endswith("_count"):
                counts[cause] = sample.value
            elif sample.name.endswith("_sum"):
                sums[cause] = sample.value
            elif sample.name.endswith("_bucket") and float(sample.labels["le"]) == LONG_LAG:
                short[cause] = sample.value
    return {c: (counts[c], sums.get(c, 0.0), counts[c] - short.get(c, 0.0)) for c in counts}


def _cpu_idle_and_total() -> tuple[float, float]:
    times = psutil.cpu_times()
    return times.idle + getattr(times, "iowait", 0.0), sum(times)


class Phase:
    """CPU of the machine and the two services, and their loops' lag, over one stretch."""

    def __init__(self, services: dict[str, ServiceProcess]) -> None:
        self.services = services
        self.started = time.monotonic()
        self.idle, self.total = _cpu_idle_and_total()
        self.cpu = {name: cpu_seconds(s.proc.pid) for name, s in services.items()}
        self.lag = {name: loop_lag(s.url) for name, s in services.items()}

    def describe(self) -> str:
        wall = time.monotonic() - self.started
        idle, total = _cpu_idle_and_total()
        cores = psutil.cpu_count() or 1
        busy = cores * (1 - (idle - self.idle) / max(total - self.total, 1e-9))
        parts = [f"machine busy {busy:.2f} of {cores} cores"]
        for name, service in self.services.items():
            core = (cpu_seconds(service.proc.pid) - self.cpu[name]) / wall
            after = loop_lag(service.url)
            late = []
            for cause in ("running", "waiting"):
                n0, s0, l0 = self.lag[name].get(cause, (0.0, 0.0, 0.0))
                n1, s1, l1 = after.get(cause, (0.0, 0.0, 0.0))
                late.append(
                    f"{cause} {n1 - n0:.0f} ({(s1 - s0) * 1000:.0f} ms in all, "
                    f"{l1 - l0:.0f} over {LONG_LAG * 1000:.0f} ms)"
                )
            samples = sum(n for n, _, _ in after.values()) - sum(
                n for n, _, _ in self.lag[name].values()
            )
            parts.append(
                f"{name} {core:.2f} core, loop woken late {', '.join(late)} of {samples:.0f} "
                "samples"
            )
        return "; ".join(parts)


def summarise(
    latencies: list[float],
    sent: int,
    rate: float,
    command: list[float] | None = None,
    where: str = "",
) -> Latencies:
    return Latencies(
        p50=percentile(latencies, 50) * 1000,
        p90=percentile(latencies, 90) * 1000,
        p99=percentile(latencies, 99) * 1000,
        max=max(latencies) * 1000 if latencies else float("nan"),
        count=len(latencies),
        sent=sent,
        rate=rate,
        command_p50=percentile(command or [], 50) * 1000,
        command_p99=percentile(command or [], 99) * 1000,
        where=where,
    )


class Tap:
    """Subscribes to participants' subjects; remembers when each settlement was on NATS.

    With it a propagation latency splits into the relay's part (201 → published) and
    the consumer's (published → visible in indicators); both clocks are the bench's.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.seen: dict[str, float] = {}
        self.nc: NatsClient | None = None

    async def start(self) -> None:
        self.nc = await nats.connect(self.settings.nats_url)
        await self.nc.subscribe(
            f"{self.settings.subject_prefix('participants')}.>", cb=self._on_message
        )

    async def _on_message(self, message: Msg) -> None:
        arrived = time.monotonic()
        if message.subject.endswith(".settled"):
            event = json.loads(message.data)
            self.seen.setdefault(str(event["subject"]), arrived)

    async def close(self) -> None:
        if self.nc is not None:
            await self.nc.close()


def split(done: dict[str, float], published: dict[str, float], visible: dict[str, float]) -> str:
    """p50/p99 of the relay's and the consumer's part of the latencies, for the notes."""
    relay = [published[t] - done[t] for t in done if t in published and t in visible]
    consumer = [visible[t] - published[t] for t in done if t in published and t in visible]
    if not relay:
        return "no settlement seen on NATS"
    return (
        f"201 → on NATS p50 {percentile(relay, 50) * 1000:.1f} ms / p99 "
        f"{percentile(relay, 99) * 1000:.1f} ms, on NATS → visible p50 "
        f"{percentile(consumer, 50) * 1000:.1f} ms / p99 {percentile(consumer, 99) * 1000:.1f} ms"
        f" ({len(relay)} of {len(done)} seen on both)"
    )


class Watcher:
    """LISTENs for the trigger's notifications; remembers when each id became visible."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.seen: dict[str, float] = {}
        self.conn: asyncpg.Connection | None = None
        self._changed = asyncio.Event()

    async def start(self) -> None:
        self.conn = await asyncpg.connect(self.dsn)
        await self.conn.execute(TRIGGER)
        await self.conn.add_listener(CHANNEL, self._on_notify)

    def _on_notify(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        self.seen.setdefault(payload, time.monotonic())
        self._changed.set()

    async def wait_for(self, ids: set[str], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not ids.issubset(self.seen.keys()):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(remaining, 1.0))

    async def close(self) -> None:
        if self.conn is not None:
            await self.conn.close()


class KitRig:
    """participants and indicators as separate processes on fresh databases, watched."""

    def __init__(
        self,
        env: BenchEnv,
        settings: Settings,
        participants_app: str = PARTICIPANTS_APP,
        *,
        relay_apart: bool = False,
    ) -> None:
        self.env = env
        self.settings = settings
        self.participants_app = participants_app
        self.relay_apart = relay_apart
        self.watcher = Watcher(settings.service_database_url("indicators", driver="postgresql"))
        self.tap = Tap(settings)
        self.participants: ServiceProcess | None = None
        self.indicators: ServiceProcess | None = None
        self.relay: ServiceProcess | None = None

    async def start(self, participants_needed: int, connections: int) -> list[str]:
        """Start both services, register participants (unmeasured), wait until quiet."""
        await self.watcher.start()
        await self.tap.start()
        self.participants = await asyncio.to_thread(
            start_participants,
            self.env,
            self.settings,
            self.participants_app,
            {"VEIVISER_RELAY_IN_PROCESS": "false"} if self.relay_apart else None,
        )
        if self.relay_apart:
            self.relay = await asyncio.to_thread(self._start_relay)
        self.indicators = await asyncio.to_thread(
            self.env.start_uvicorn,
            "indicators",
            "services.indicators.app:create_app",
            self.env.child_env(self.settings),
        )
        _result, ids = await register(
            self.env,
            self.settings,
            self.participants,
            count=participants_needed,
            warmup=0,
            connections=connections,
            name="register-for-propagation",
        )
        await self.quiesce()
        return ids

    def _start_relay(self) -> ServiceProcess:
        port = free_port()
        command = [sys.executable, "-m", "deploy.cli", "relay", "participants"]
        return self.env.start_server(
            "relay",
            port,
            [*command, "--metrics-port", str(port)],
            self.env.child_env(self.settings),
            "/metrics",
        )

    async def quiesce(self, timeout: float = 300) -> None:
        """Wait until the outbox is published and indicators has applied all of it."""
        participants_db = await asyncpg.connect(
            self.settings.service_database_url("participants", driver="postgresql")
        )
        nc = await nats.connect(self.settings.nats_url)
        assert self.watcher.conn is not None
        try:
            deadline = time.monotonic() + timeout
            while True:
                unpublished = await participants_db.fetchval(
                    "SELECT count(*) FROM outbox WHERE published_at IS NULL"
                )
                info = await nc.jetstream().stream_info(self.settings.stream_name("participants"))
                applied = await self.watcher.conn.fetchval(
                    "SELECT coalesce(max(source_sequence), 0) FROM consumer_checkpoints"
                )
                if unpublished == 0 and applied >= info.state.last_seq:
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"not quiet after {timeout:.0f} s")
                await asyncio.sleep(0.2)
        finally:
            await nc.close()
            await participants_db.close()
        await asyncio.sleep(1.0)

    async def measure(
        self, name: str, unsettled: list[str], rate: float, duration: float
    ) -> Latencies:
        assert self.participants is not None
        log(f"propagation: settlements at {rate:.0f}/s for {duration:.0f} s")
        requests = [
            {"path": f"/participants/{pid}/settlement", "body": SETTLE_BODY, "tag": pid}
            for pid in unsettled
        ]
        assert self.indicators is not None
        watched = {"participants": self.participants, "indicators": self.indicators}
        if self.relay is not None:
            watched["relay"] = self.relay
        phase = await asyncio.to_thread(Phase, watched)
        result = await run_loadgen(
            self.env,
            name,
            {
                "host": "127.0.0.1",
                "port": self.participants.port,
                "mode": "rate",
                "rate": rate,
                "duration": duration,
                "connections": 64,
                "headers": auth_headers(self.settings),
                "requests": requests,
            },
        )
        where = await asyncio.to_thread(phase.describe)
        ok = [o for o in result.outcomes if o["status"] == 201]
        await self.watcher.wait_for({o["tag"] for o in ok}, timeout=60)
        seen = self.watcher.seen
        latencies = [seen[o["tag"]] - o["done"] for o in ok if o["tag"] in seen]
        where += "; " + split({o["tag"]: o["done"] for o in ok}, self.tap.seen, seen)
        if len(latencies) < len(ok):
            log(f"propagation: {len(ok) - len(latencies)} settlements never became visible")
        return summarise(
            latencies,
            len(result.outcomes),
            len(result.outcomes) / duration,
            [o["latency"] for o in result.outcomes],
            where,
        )

    async def stop(self) -> None:
        for service in (self.indicators, self.participants, self.relay):
            if service is not None:
                await asyncio.to_thread(self.env.stop_process, service)
        await self.watcher.close()
        await self.tap.close()


async def run_raw(settings: Settings, *, rate: float, count: int) -> Latencies:
    """JetStream publish -> pull fetch -> INSERT + commit -> ack, in this process."""
    raw = settings.model_copy(update={"namespace": settings.namespace + "lat"})
    await participants_stream(raw, "bench-latency")
    dsn = settings.service_database_url("indicators", driver="postgresql")
    setup = await asyncpg.connect(dsn)
    try:
        await setup.execute(
            "CREATE TABLE raw_settlements (LIKE settlements INCLUDING ALL);"
            + TRIGGER.replace("ON settlements", "ON raw_settlements").replace(
                "bench_visible ON", "bench_visible_raw ON"
            )
        )
    finally:
        await setup.close()
    watcher = Watcher(dsn)
    watcher.conn = await asyncpg.connect(dsn)
    await watcher.conn.add_listener(CHANNEL, watcher._on_notify)
    nc = await nats.connect(settings.nats_url)
    sink = await asyncpg.connect(dsn)
    stop = asyncio.Event()
    subject = f"{raw.subject_prefix('participants')}.participant.settled"
    acked: dict[str, float] = {}

    async def consume() -> None:
        psub = await nc.jetstream().pull_subscribe(
            subject,
            durable=f"{raw.namespace}_rawlat",
            stream=raw.stream_name("participants"),
            config=ConsumerConfig(
                ack_policy=AckPolicy.EXPLICIT, deliver_policy=DeliverPolicy.ALL, ack_wait=30
            ),
        )
        while not stop.is_set():
            try:
                # fetch returns as soon as anything is there; the batch only caps it.
                msgs = await psub.fetch(raw.consumer_batch_size, timeout=0.5)
            except TimeoutError:
                continue
            for msg in msgs:
                envelope = Envelope.from_json(msg.data)
                data = envelope.data
                async with sink.transaction():
                    await sink.execute(
                        "INSERT INTO raw_settlements (participant_id, municipality, settled_on, "
                        "arrival_category) VALUES ($1, $2, $3::text::date, $4) "
                        "ON CONFLICT DO NOTHING",
                        uuid.UUID(data["participant_id"]),
                        envelope.municipality,
                        data["settled_on"],
                        data["arrival_category"],
                    )
                await msg.ack()

    consumer = asyncio.create_task(consume())
    try:
        js = nc.jetstream(timeout=5.0)
        envelopes = [settled_envelope() for _ in range(count)]
        start = time.monotonic() + 0.2
        started = time.monotonic()
        pending: set[asyncio.Task[None]] = set()

        async def publish(envelope: Envelope) -> None:
            await js.publish(
                subject,
                envelope.to_json(),
                stream=raw.stream_name("participants"),
                headers={"Nats-Msg-Id": str(envelope.id)},
            )
            acked[str(envelope.data["participant_id"])] = time.monotonic()

        for index, envelope in enumerate(envelopes):
            delay = start + index / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(publish(envelope))
            pending.add(task)
            task.add_done_callback(pending.discard)
        await asyncio.gather(*pending)
        elapsed = time.monotonic() - started
        await watcher.wait_for(set(acked), timeout=30)
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(consumer, 5)
        await nc.close()
        await sink.close()
        await watcher.close()
    latencies = [watcher.seen[pid] - at for pid, at in acked.items() if pid in watcher.seen]
    return summarise(latencies, count, count / elapsed)
