"""Servers, databases and service processes for one benchmark run.

Without ``VEIVISER_DATABASE_URL`` / ``VEIVISER_NATS_URL`` the run starts its own
embedded PostgreSQL and NATS on free ports in a temporary directory. With them it uses
those servers under a database prefix and NATS namespace of its own, and removes its
databases and streams at the end.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import nats
import psutil

from bench.meter import cpu_seconds
from deploy.embedded import EmbeddedNats, EmbeddedPostgres, free_port, log_tail
from deploy.services import upgrade
from shared.bus import Bus
from shared.settings import Settings

BENCH_SERVICES = ("participants", "indicators")
ROOT = Path(__file__).resolve().parent.parent


async def connected_bus(settings: Settings, client: str) -> Bus:
    """The kit's bus, started and connected (or an error after ten seconds)."""
    bus = Bus(settings, client)
    bus.start()
    if not await bus.wait_connected(timeout=10):
        await bus.close()
        raise RuntimeError("NATS not reachable")
    return bus


async def participants_stream(settings: Settings, client: str) -> None:
    """Create the participants JetStream stream as the kit's bus configures it."""
    bus = await connected_bus(settings, client)
    try:
        await bus.ensure_stream("participants")
    finally:
        await bus.close()


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@dataclass
class ServiceProcess:
    name: str
    port: int
    proc: subprocess.Popen[bytes]
    log_file: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self, timeout: float = 15.0) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


class BenchEnv:
    """Everything one run needs; ``fresh(label)`` gives a part its own databases/namespace."""

    def __init__(self, *, durable: bool) -> None:
        self.durable = durable
        self.run_id = uuid.uuid4().hex[:6]
        self.tmp = Path(tempfile.mkdtemp(prefix="veiviser-bench-"))
        self.pg: EmbeddedPostgres | None = None
        self.nats_server: EmbeddedNats | None = None
        self.database_url = os.environ.get("VEIVISER_DATABASE_URL", "")
        self.nats_url = os.environ.get("VEIVISER_NATS_URL", "")
        self.external = bool(self.database_url or self.nats_url)
        self.prefix = f"bench_{self.run_id}"
        self._settings: list[Settings] = []
        self.processes: list[ServiceProcess] = []
        self.nats_monitor_port: int | None = None

    # -- servers ---------------------------------------------------------------------

    def start_servers(self) -> None:
        if not self.database_url:
            self.pg = EmbeddedPostgres(self.tmp / "pg", free_port(), fast_unsafe=not self.durable)
            log(f"starting embedded PostgreSQL (durable={self.durable}) in {self.tmp}")
            self.pg.start()
            self.database_url = self.pg.url
        if not self.nats_url:
            self.nats_monitor_port = free_port()
            self.nats_server = EmbeddedNats(
                self.tmp / "nats", free_port(), monitor_port=self.nats_monitor_port
            )
            log("starting embedded NATS")
            self.nats_server.start()
            self.nats_url = self.nats_server.url

    def settings(self, label: str, **overrides: object) -> Settings:
        values: dict[str, object] = {
            "database_url": self.database_url,
            "nats_url": self.nats_url,
            "database_prefix": f"{self.prefix}_{label}",
            "namespace": f"b{self.run_id}{label}",
            "data_dir": self.tmp / "data",
            "log_level": "ERROR",
            "env": "development",
        }
        values.update(overrides)
        return Settings(**values)  # type: ignore[arg-type]

    async def migrate_templates(self) -> None:
        """Migrate one template database per service; parts copy them."""
        template = self.settings("tpl")
        for service in BENCH_SERVICES:
            await asyncio.to_thread(upgrade, template, service)

    async def fresh(self, label: str, **overrides: object) -> Settings:
        """Settings with brand-new service databases (copies of the templates)."""
        settings = self.settings(label, **overrides)
        template = self.settings("tpl")
        conn = await asyncpg.connect(settings.server_database_url())
        try:
            for service in BENCH_SERVICES:
                await conn.execute(
                    f'CREATE DATABASE "{settings.database_name(service)}" '
                    f'TEMPLATE "{template.database_name(service)}"'
                )
        finally:
            await conn.close()
        self._settings.append(settings)
        return settings

    async def create_database(self, name: str) -> str:
        """An empty extra database (e.g. the bare app's); returns its asyncpg DSN."""
        server = self.settings("x").server_database_url()
        database = f"{self.prefix}_{name}"
        conn = await asyncpg.connect(server)
        try:
            await conn.execute(f'CREATE DATABASE "{database}"')
        finally:
            await conn.close()
        parts = urlsplit(server)
        return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, ""))

    async def server_versions(self) -> dict[str, str]:
        versions: dict[str, str] = {}
        conn = await asyncpg.connect(self.settings("x").server_database_url())
        try:
            versions["PostgreSQL"] = str(await conn.fetchval("SHOW server_version"))
            versions["synchronous_commit"] = str(await conn.fetchval("SHOW synchronous_commit"))
            versions["fsync"] = str(await conn.fetchval("SHOW fsync"))
        finally:
            await conn.close()
        nc = await nats.connect(self.nats_url)
        try:
            versions["nats-server"] = str(nc._server_info.get("version", "?"))
        finally:
            await nc.close()
        return versions

    def postgres_cpu(self) -> float | None:
        """CPU seconds used so far by the embedded PostgreSQL (postmaster and backends)."""
        if self.pg is None or self.pg.pid is None:
            return None
        try:
            root = psutil.Process(self.pg.pid)
            procs = [root, *root.children(recursive=True)]
        except psutil.Error:
            return None
        return sum(cpu_seconds(p.pid) for p in procs)

    def servers_cpu(self) -> float | None:
        """CPU seconds of the embedded PostgreSQL and NATS; None with external servers."""
        postgres = self.postgres_cpu()
        if postgres is None or self.nats_server is None or self.nats_server.pid is None:
            return None
        return postgres + cpu_seconds(self.nats_server.pid)

    def nats_subscriptions(self, connection_name: str) -> int | None:
        """Subscriptions the embedded NATS server holds for connections of that name."""
        if self.nats_monitor_port is None:
            return None
        try:
            doc = httpx.get(
                f"http://127.0.0.1:{self.nats_monitor_port}/connz?subs=1&limit=4096", timeout=5
            ).json()
        except (httpx.HTTPError, ValueError):
            return None
        return sum(
            int(conn.get("subscriptions", 0))
            for conn in doc.get("connections", [])
            if conn.get("name") == connection_name
        )

    # -- service processes -------------------------------------------------------------

    def child_env(
        self, settings: Settings, extra: Mapping[str, str] | None = None
    ) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("VEIVISER_")}
        for key, value in settings.model_dump(mode="json").items():
            if value is None:
                continue
            env[f"VEIVISER_{key.upper()}"] = value if isinstance(value, str) else json.dumps(value)
        env["PYTHONUNBUFFERED"] = "1"
        env["PYTHONPATH"] = str(ROOT)
        env.update(extra or {})
        return env

    def start_uvicorn(
        self, name: str, factory: str, env: Mapping[str, str], wait_path: str = "/healthz"
    ) -> ServiceProcess:
        port = free_port()
        cmd = [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            factory,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
        ]
        return self.start_server(name, port, cmd, env, wait_path)

    def start_server(
        self, name: str, port: int, cmd: list[str], env: Mapping[str, str], wait_path: str
    ) -> ServiceProcess:
        """Run ``cmd`` (which serves HTTP on ``port``) until ``wait_path`` answers 200."""
        log_file = self.tmp / f"{name}.log"
        with log_file.open("ab") as out:
            proc = subprocess.Popen(
                cmd,
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=dict(env),
                start_new_session=True,
            )
        service = ServiceProcess(name, port, proc, log_file)
        self.processes.append(service)
        deadline = time.monotonic() + 60
        with httpx.Client(timeout=2.0) as client:
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(
                        f"{name} exited with {proc.returncode}:\n{log_tail(log_file, 30)}"
                    )
                try:
                    if client.get(f"{service.url}{wait_path}").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{name} not ready after 60 s:\n{log_tail(log_file, 30)}")
                time.sleep(0.1)
        return service

    def stop_process(self, service: ServiceProcess) -> None:
        service.stop()
        if service in self.processes:
            self.processes.remove(service)

    # -- clean-up ----------------------------------------------------------------------

    async def _drop_everything(self) -> None:
        with contextlib.suppress(Exception):
            conn = await asyncpg.connect(self.settings("x").server_database_url())
            try:
                names = await conn.fetch(
                    "SELECT datname FROM pg_database WHERE datname LIKE $1",
                    self.prefix.replace("_", r"\_") + r"\_%",
                )
                for row in names:
                    await conn.execute(f'DROP DATABASE IF EXISTS "{row["datname"]}" WITH (FORCE)')
            finally:
                await conn.close()
        with contextlib.suppress(Exception):
            nc = await nats.connect(self.nats_url, connect_timeout=2, max_reconnect_attempts=1)
            try:
                js = nc.jetstream()
                for name in await js.streams_info():
                    if name.config.name and name.config.name.lower().startswith(f"b{self.run_id}"):
                        with contextlib.suppress(Exception):
                            await js.delete_stream(name.config.name)
            finally:
                await nc.close()

    def close(self) -> None:
        for service in list(self.processes):
            self.stop_process(service)
        if self.external:
            asyncio.run(self._drop_everything())
        if self.nats_server is not None:
            self.nats_server.stop()
        if self.pg is not None:
            self.pg.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)
