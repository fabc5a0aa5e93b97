"""``veiviser up`` supervises: kill -9 any component and it comes back, the rest serve on.

The real runner runs as a child process on free ports with a private state directory
and short restart delays. Under it the test SIGKILLs nats-server (and holds its port for
a while, so that the restarts fail and the runner says the component keeps failing), the
PostgreSQL postmaster and the indicators service, one after the other. Each comes back
with a new pid, the other services answer ``/healthz`` all along, and a settlement
accepted while NATS (or indicators) was down reaches the indicators read model once it
is back. Finally SIGINT stops everything and no process of the stack is left.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import asyncpg
import httpx
import psutil
import pytest

from deploy.embedded import (
    EmbeddedNats,
    free_port,
    log_tail,
    nats_sync_config,
    port_is_free,
    process_gone,
)
from deploy.stack import RestartPolicy, make_plan, service_port_variable
from shared.settings import SERVICES, Settings
from tests.support import REPO, eventually, registration, token

YEAR = 2024
BANNER_END = "Ctrl-C stops everything."
FAST_RESTARTS = {
    "VEIVISER_RESTART_DELAY_SECONDS": "0.2",
    "VEIVISER_RESTART_MAX_DELAY_SECONDS": "1",
    "VEIVISER_RESTART_STABLE_SECONDS": "5",
}


# --------------------------------------------------------------------------- the runner


@dataclass
class Runner:
    """A ``veiviser up`` process, its state directory and its combined output."""

    state: Path
    env: dict[str, str]
    ports: dict[str, int]
    output: Path
    proc: subprocess.Popen[bytes] | None = None
    seen: set[int] = field(default_factory=set)
    """Every pid of the stack the test has looked at: none may be left at the end."""

    def start(self) -> None:
        veiviser = Path(sys.executable).parent / "veiviser"
        with self.output.open("ab") as out:
            self.proc = subprocess.Popen(
                [str(veiviser), "up"],
                cwd=REPO,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                # A Ctrl-C at the test's terminal must not reach it; the test sends its own.
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def text(self) -> str:
        return self.output.read_text(errors="replace") if self.output.exists() else ""

    def mark(self) -> int:
        """Where the output ends now: :meth:`said` after it sees only what comes later."""
        return len(self.text())

    async def said(self, text: str, *, after: int = 0, timeout: float = 60.0) -> str:
        """Wait until the output has ``text`` after ``after``; the line that holds it."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.text()[after:]
            if text in found:
                return next(line for line in found.splitlines() if text in line)
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError(
                    f"veiviser up exited ({self.proc.returncode}) before saying {text!r}:\n"
                    + self.diagnostics()
                )
            if time.monotonic() > deadline:
                raise AssertionError(f"veiviser up did not say {text!r}:\n" + self.diagnostics())
            await asyncio.sleep(0.1)

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def pid_of(self, component: str) -> int:
        """The current pid of ``nats``, ``postgres`` (the postmaster) or a service."""
        path = {
            "nats": self.state / "nats" / "nats-server.pid",
            "postgres": self.state / "pg" / "cluster" / "postmaster.pid",
        }.get(component, self.state / "pids" / f"{component}.pid")
        pid = int(path.read_text().split()[0])
        self.seen.add(pid)
        return pid

    def descendants(self) -> set[int]:
        try:
            found = {p.pid for p in psutil.Process(self.pid).children(recursive=True)}
        except psutil.Error:
            return set()
        self.seen |= found
        return found

    def diagnostics(self) -> str:
        parts = [f"=== veiviser up ({self.output})\n{log_tail(self.output, 60)}"]
        for name in SERVICES:
            log = self.state / "logs" / f"{name}.log"
            parts.append(f"=== {name} ({log})\n{log_tail(log, 15)}")
        return "\n".join(parts)

    def stop(self, sig: signal.Signals = signal.SIGINT, timeout: float = 60.0) -> int:
        """Send ``sig`` and wait for the runner to exit; its exit code."""
        assert self.proc is not None
        self.descendants()
        self.proc.send_signal(sig)
        return self.proc.wait(timeout)

    def kill_everything(self) -> None:
        """After a failed test: take down whatever the runner left, by its pids."""
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.stop(timeout=60)
        if self.proc is not None and self.proc.poll() is None:
            self.descendants()
            self.proc.kill()
            self.proc.wait()
        for pid in self.seen:
            with contextlib.suppress(psutil.Error):
                proc = psutil.Process(pid)
                if proc.status() != psutil.STATUS_ZOMBIE:
                    proc.kill()


def _environment(state: Path, **extra: str) -> tuple[dict[str, str], dict[str, int]]:
    """This process's environment without any VEIVISER_ setting, then free ports."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VEIVISER_")}
    ports = {name: free_port() for name in (*SERVICES, "pg", "nats")}
    env |= {service_port_variable(name): str(ports[name]) for name in SERVICES}
    env |= {
        "VEIVISER_PG_PORT": str(ports["pg"]),
        "VEIVISER_NATS_PORT": str(ports["nats"]),
        "VEIVISER_DATA_DIR": str(state),
        "VEIVISER_ENV": "development",
        "PYTHONUNBUFFERED": "1",
    }
    return env | extra, ports


@contextlib.contextmanager
def _scratch() -> Iterator[Path]:
    # Not tmp_path: the PostgreSQL system user must traverse it (tests/kit/ explains).
    path = Path(tempfile.mkdtemp(prefix="veiviser-supervision-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@asynccontextmanager
async def veiviser_up(scratch: Path, **extra: str) -> AsyncIterator[Runner]:
    """``veiviser up`` running and past its banner; everything it left stopped after."""
    env, ports = _environment(scratch / "state", **extra)
    runner = Runner(scratch / "state", env, ports, scratch / "veiviser-up.log")
    runner.start()
    try:
        await runner.said(BANNER_END, timeout=240)
        yield runner
    except BaseException:
        print(runner.diagnostics())
        raise
    finally:
        runner.kill_everything()


# --------------------------------------------------------------------------- watching


@dataclass
class Health:
    polls: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


@asynccontextmanager
async def answering(runner: Runner, services: list[str]) -> AsyncIterator[Health]:
    """Poll ``services``' ``/healthz`` all along; every answer that is not 200 is kept."""
    health = Health({name: 0 for name in services})
    stop = asyncio.Event()

    async def poll(client: httpx.AsyncClient, name: str) -> None:
        while not stop.is_set():
            try:
                response = await client.get(f"{runner.url(name)}/healthz")
                if response.status_code != 200:
                    health.failures.append(f"{name}: {response.status_code}")
            except httpx.HTTPError as exc:
                health.failures.append(f"{name}: {exc!r}")
            health.polls[name] += 1
            await asyncio.sleep(0.2)

    async with httpx.AsyncClient(timeout=5.0) as client:
        tasks = [asyncio.create_task(poll(client, name)) for name in services]
        try:
            yield health
        finally:
            stop.set()
            await asyncio.gather(*tasks)


class Office:
    """A caseworker on participants and a manager on indicators, over HTTP."""

    def __init__(self, runner: Runner, client: httpx.AsyncClient) -> None:
        self.runner = runner
        self.client = client
        self.headers = {"Authorization": f"Bearer {token(Settings(env='development'))}"}
        self.born = date(1980, 1, 1)

    async def settle(self, label: str) -> str:
        """Register and settle someone (each POST once, no retry); their id."""
        self.born = date(self.born.year + 1, 1, 1)
        registered = await self.client.post(
            f"{self.runner.url('participants')}/participants",
            json=registration(self.born),
            headers=self.headers | {"Idempotency-Key": f"register-{label}"},
        )
        assert registered.status_code == 201, registered.text
        participant = str(registered.json()["id"])
        settled = await self.client.post(
            f"{self.runner.url('participants')}/participants/{participant}/settlement",
            json={"settled_on": f"{YEAR}-03-01", "arrival_category": "resettlement_refugee"},
            headers=self.headers | {"Idempotency-Key": f"settle-{label}"},
        )
        assert settled.status_code == 201, settled.text
        return participant

    async def counted(self) -> int:
        response = await self.client.get(
            f"{self.runner.url('indicators')}/indicators/settlements",
            params={"year": YEAR},
            headers=self.headers,
        )
        assert response.status_code == 200, response.text
        return int(response.json()["settled"])

    async def counts(self, expected: int) -> None:
        async def reached() -> bool:
            return await self.counted() >= expected

        await eventually(reached, timeout=60, interval=0.2)
        assert await self.counted() == expected


async def _unpublished(runner: Runner) -> int:
    conn = await asyncpg.connect(
        f"postgresql://postgres@127.0.0.1:{runner.ports['pg']}/veiviser_participants"
    )
    try:
        return int(await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL"))
    finally:
        await conn.close()


def _hold(port: int, within: float = 2.0) -> socket.socket | None:
    """Listen on ``port`` as soon as it is free; ``None`` if it did not become free."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            sock.close()
            time.sleep(0.005)
            continue
        sock.listen()
        return sock
    return None


async def _gone(pid: int) -> None:
    async def exited() -> bool:
        return process_gone(pid)

    await eventually(exited, timeout=20)


# --------------------------------------------------------------------------- tests


@pytest.mark.timeout(420)
async def test_every_component_killed_comes_back_while_the_rest_serve() -> None:
    with _scratch() as scratch:
        async with (
            veiviser_up(scratch, **FAST_RESTARTS) as runner,
            httpx.AsyncClient(timeout=30.0) as client,
        ):
            office = Office(runner, client)
            state = runner.state
            # make run's NATS syncs every write before acknowledging it.
            assert nats_sync_config("always") in (state / "nats" / "nats-server.conf").read_text()
            nats_cmdline = psutil.Process(runner.pid_of("nats")).cmdline()
            assert str(state / "nats" / "nats-server.conf") in nats_cmdline
            await office.settle("warm-up")
            await office.counts(1)

            # --- nats-server: killed, then its port held so that restarts fail for a while.
            mark = runner.mark()
            async with answering(runner, list(SERVICES)) as health:
                held: socket.socket | None = None
                for _ in range(5):
                    attempt = runner.mark()
                    crashed = runner.pid_of("nats")
                    os.kill(crashed, signal.SIGKILL)
                    await _gone(crashed)
                    held = _hold(runner.ports["nats"])
                    if held is not None:
                        break
                    # The runner restarted it before the port could be taken: again.
                    await runner.said("NATS is running again", after=attempt)
                assert held is not None, "could not take the NATS port after killing nats-server"
                try:
                    # Accepted while NATS is down: the event waits in participants' outbox.
                    await office.settle("nats-down")
                    assert await _unpublished(runner) > 0
                    assert await office.counted() == 1
                    await runner.said("NATS keeps failing", after=mark)
                    assert "Still trying" in runner.text()[mark:]
                finally:
                    held.close()
                back = await runner.said("NATS is running again", after=mark)
            assert f"(pid {crashed}) was killed by SIGKILL" in runner.text()[mark:]
            assert runner.pid_of("nats") not in (crashed, None)
            assert f"(pid {runner.pid_of('nats')})" in back
            assert health.failures == []
            assert min(health.polls.values()) > 5
            await office.counts(2)

            async def outbox_drained() -> bool:
                return await _unpublished(runner) == 0

            await eventually(outbox_drained, timeout=30)

            # --- PostgreSQL: the postmaster killed; restarted on the same data directory.
            mark = runner.mark()
            async with answering(runner, list(SERVICES)) as health:
                crashed = runner.pid_of("postgres")
                os.kill(crashed, signal.SIGKILL)
                await runner.said("PostgreSQL is running again", after=mark)
            assert f"PostgreSQL (pid {crashed}) was killed by SIGKILL" in runner.text()[mark:]
            assert runner.pid_of("postgres") != crashed
            assert health.failures == []
            # The services' pools reconnect: the first commands after the restart succeed
            # (Office.settle posts once and requires 201), and the data is all there.
            await office.settle("after-pg")
            await office.counts(3)

            # --- a service: indicators killed; a settlement meanwhile is counted after.
            mark = runner.mark()
            others = [name for name in SERVICES if name != "indicators"]
            async with answering(runner, others) as health:
                crashed = runner.pid_of("indicators")
                os.kill(crashed, signal.SIGKILL)
                await runner.said("indicators (pid", after=mark)
                await office.settle("indicators-down")
                await runner.said("indicators is running again", after=mark)
            assert f"indicators (pid {crashed}) was killed by SIGKILL" in runner.text()[mark:]
            assert runner.pid_of("indicators") != crashed
            assert health.failures == []
            await office.counts(4)

            # --- Ctrl-C: everything stops, nothing is left.
            for component in ("nats", "postgres", *SERVICES):
                runner.pid_of(component)
            stack = runner.descendants()
            assert len(stack) >= 6
            assert runner.stop(signal.SIGINT) == 0
            assert runner.text().rstrip().endswith("Stopped.")
            left = sorted(pid for pid in runner.seen | stack if not process_gone(pid))
            assert left == [], f"left running: {left}"
            assert all(port_is_free(port) for port in runner.ports.values())
            assert not list((state / "pids").glob("*.pid"))


@pytest.mark.timeout(300)
async def test_with_existing_servers_only_the_services_are_supervised_and_sigterm_ends_a_wait(
    settings: Settings,
) -> None:
    """External PostgreSQL and NATS are left alone; SIGTERM during a restart delay stops
    the runner at once instead of after the delay."""
    with _scratch() as scratch:
        external = {
            "VEIVISER_DATABASE_URL": settings.database_url,
            "VEIVISER_NATS_URL": settings.nats_url,
            "VEIVISER_DATABASE_PREFIX": settings.database_prefix,
            "VEIVISER_NAMESPACE": settings.namespace,
            "VEIVISER_RESTART_DELAY_SECONDS": "3600",
            "VEIVISER_RESTART_MAX_DELAY_SECONDS": "3600",
        }
        async with veiviser_up(scratch, **external) as runner:
            assert "Supervised: the four services." in runner.text()
            names = {psutil.Process(pid).name() for pid in runner.descendants()}
            assert not any("postgres" in name or "nats" in name for name in names), names
            # Consumers fill gaps from the source's catch-up feed: on the ports chosen here.
            environ = psutil.Process(runner.pid_of("housing")).environ()
            for source in ("participants", "matching", "indicators"):
                assert environ[f"VEIVISER_{source.upper()}_URL"] == runner.url(source)

            mark = runner.mark()
            crashed = runner.pid_of("housing")
            os.kill(crashed, signal.SIGKILL)
            line = await runner.said("housing (pid", after=mark)
            assert f"housing (pid {crashed}) was killed by SIGKILL" in line
            assert "Starting it again in 3600 s" in line
            stack = runner.descendants()
            assert runner.stop(signal.SIGTERM, timeout=60) == 0
            assert "Starting housing again" not in runner.text()
            left = sorted(pid for pid in runner.seen | stack if not process_gone(pid))
            assert left == [], f"left running: {left}"


async def test_embedded_nats_fsync_policy_is_what_the_server_runs_with(tmp_path: Path) -> None:
    monitor = free_port()
    with EmbeddedNats(
        tmp_path / "always", free_port(), monitor_port=monitor, sync_interval="always"
    ):
        async with httpx.AsyncClient() as client:
            varz = (await client.get(f"http://127.0.0.1:{monitor}/varz")).json()
    assert varz["jetstream"]["config"].get("sync_always") is True

    monitor = free_port()
    with EmbeddedNats(tmp_path / "default", free_port(), monitor_port=monitor):
        async with httpx.AsyncClient() as client:
            varz = (await client.get(f"http://127.0.0.1:{monitor}/varz")).json()
    config = varz["jetstream"]["config"]
    assert not config.get("sync_always")
    assert config["sync_interval"] == 120 * 10**9  # nats-server's two minutes, in ns

    with pytest.raises(ValueError, match="sync_interval"):
        EmbeddedNats(tmp_path / "bad", free_port(), sync_interval="sometimes")


def test_make_run_refuses_services_without_their_relays() -> None:
    """``make run`` supervises no ``veiviser relay`` processes: with the relays switched
    out of the services nothing would be published, so it says so before starting."""
    plan = make_plan(Settings(env="development", relay_in_process=False), {})
    (problem,) = plan.problems
    assert "VEIVISER_RELAY_IN_PROCESS=false" in problem
    assert make_plan(Settings(env="development"), {}).problems == []


def test_restart_delays_double_up_to_the_cap() -> None:
    policy = RestartPolicy(first_delay=1.0, max_delay=30.0)
    assert [policy.delay(n) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]
    assert policy.delay(10_000) == 30.0


def test_restart_and_fsync_settings_come_from_the_environment() -> None:
    settings = Settings(env="development")
    plan = make_plan(
        settings,
        {
            "VEIVISER_RESTART_DELAY_SECONDS": "0.5",
            "VEIVISER_RESTART_MAX_DELAY_SECONDS": "8",
            "VEIVISER_RESTART_STABLE_SECONDS": "20",
            "VEIVISER_NATS_SYNC_INTERVAL": "1s",
        },
    )
    assert plan.problems == []
    assert plan.restart == RestartPolicy(first_delay=0.5, max_delay=8.0, stable_after=20.0)
    assert plan.nats_sync == "1s"
    assert make_plan(settings, {}).nats_sync == "always"
    assert make_plan(settings, {"VEIVISER_NATS_SYNC_INTERVAL": "default"}).nats_sync is None

    bad = make_plan(
        settings,
        {
            "VEIVISER_RESTART_DELAY_SECONDS": "-1",
            "VEIVISER_RESTART_MAX_DELAY_SECONDS": "soon",
            "VEIVISER_NATS_SYNC_INTERVAL": "sometimes",
        },
    )
    problems = "\n".join(bad.problems)
    assert "VEIVISER_RESTART_DELAY_SECONDS='-1'" in problems
    assert "VEIVISER_RESTART_MAX_DELAY_SECONDS='soon'" in problems
    assert "VEIVISER_NATS_SYNC_INTERVAL" in problems
