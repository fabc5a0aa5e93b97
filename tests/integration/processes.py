"""The whole stack as real processes: a private nats-server and the four uvicorn services.

Whole-stack tests kill and restart these processes, so every one of them is private to the
test: its own nats-server (on a free port, storing under ``tmp_path``) and its own service
processes, each in its own session so a SIGKILL reaches exactly that process. Logs go to
files under ``tmp_path``; their tails are printed when a test fails inside :func:`stack`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from deploy.embedded import EmbeddedNats, free_port, log_tail, spawn_logged, wait_for_port_free
from deploy.services import server_command
from shared.settings import SERVICES, Settings

PROJECT_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_SECONDS = 60.0


def service_environment(settings: Settings) -> dict[str, str]:
    """This process's environment plus every setting as ``VEIVISER_*``.

    The children then use exactly the test's settings: its databases, its NATS, its
    namespace, and the development key the test's tokens are signed with.
    """
    env = dict(os.environ)
    for key, value in settings.model_dump(mode="json").items():
        if value is None:
            env.pop(f"VEIVISER_{key.upper()}", None)
            continue
        # Lists (the CORS settings) are read back as JSON, as pydantic-settings expects.
        env[f"VEIVISER_{key.upper()}"] = (
            json.dumps(value) if isinstance(value, list | dict) else str(value)
        )
    env["PYTHONUNBUFFERED"] = "1"
    return env


class ServiceProcess:
    """One service as ``uvicorn --factory services.<name>.app:create_app`` on a fixed port."""

    def __init__(self, name: str, env: Mapping[str, str], log_dir: Path) -> None:
        self.name = name
        self.env = dict(env)
        self.port = free_port()
        self.log_file = log_dir / f"{name}.log"
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def spawn(self) -> None:
        """Start the process without waiting for it to answer."""
        if self.running:
            raise RuntimeError(f"{self.name} is already running")
        wait_for_port_free(self.port)
        self._proc = spawn_logged(
            server_command(self.name, self.port),
            self.log_file,
            f"{time.strftime('%H:%M:%S')} starting {self.name}",
            env=self.env,
            cwd=PROJECT_ROOT,
        )

    async def wait_healthy(self, timeout: float = START_TIMEOUT_SECONDS) -> None:
        """Return once ``GET /healthz`` answers 200 for this service (not another process on
        the port); fail if the process dies first."""
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(base_url=self.url, timeout=2.0) as client:
            while True:
                if self._proc is None or self._proc.poll() is not None:
                    code = None if self._proc is None else self._proc.returncode
                    raise RuntimeError(
                        f"{self.name} exited ({code}) while starting; "
                        f"last lines of {self.log_file}:\n{self.tail()}"
                    )
                with contextlib.suppress(httpx.TransportError):
                    answer = await client.get("/healthz")
                    if answer.status_code == 200 and answer.json().get("service") == self.name:
                        return
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"{self.name} did not answer /healthz within {timeout:.0f} s; "
                        f"last lines of {self.log_file}:\n{self.tail()}"
                    )
                await asyncio.sleep(0.1)

    async def start(self) -> None:
        """Start (or start again, on the same port) and wait until it answers."""
        self.spawn()
        await self.wait_healthy()

    def kill(self) -> None:
        """SIGKILL: a crash, as far as the service's peers can tell."""
        self.send_signal(signal.SIGKILL)
        self._reap(timeout=None)

    def terminate(self, timeout: float = 15.0) -> None:
        """SIGTERM (graceful shutdown: drain NATS, finish the relay), SIGKILL after ``timeout``."""
        self.send_signal(signal.SIGTERM)
        try:
            self._reap(timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    async def restart(self) -> None:
        """Kill the process if it still runs and start it again on the same port."""
        if self.running:
            self.kill()
        await self.start()

    def tail(self, lines: int = 40) -> str:
        return log_tail(self.log_file, lines)

    def send_signal(self, signum: int) -> None:
        """Signal the process (its whole session) if it is running; do not wait."""
        if self._proc is not None and self._proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._proc.pid, signum)

    def _reap(self, timeout: float | None) -> None:
        if self._proc is not None:
            self._proc.wait(timeout)
            self._proc = None


@dataclass
class Stack:
    """Settings the services run with, their private nats-server, and the services."""

    settings: Settings
    env: dict[str, str]
    nats: EmbeddedNats
    services: dict[str, ServiceProcess]

    def __getitem__(self, name: str) -> ServiceProcess:
        return self.services[name]

    def client(
        self, name: str, headers: Mapping[str, str] | None = None, timeout: float = 30.0
    ) -> httpx.AsyncClient:
        """An HTTP client of service ``name``'s process (``async with`` it)."""
        return httpx.AsyncClient(base_url=self[name].url, headers=headers, timeout=timeout)

    def diagnostics(self) -> str:
        parts = [f"=== nats-server ({self.nats.log_file})\n{log_tail(self.nats.log_file, 20)}"]
        parts += [
            f"=== {name} ({service.log_file})\n{service.tail()}"
            for name, service in self.services.items()
        ]
        return "\n".join(parts)


@asynccontextmanager
async def stack(settings: Settings, directory: Path) -> AsyncIterator[Stack]:
    """A private nats-server and the four services, up and answering; all stopped after.

    ``settings`` supplies the databases and namespace; its ``nats_url`` is replaced by the
    private server's, which the test may kill and restart at will.
    """
    await asyncio.to_thread(directory.mkdir, parents=True, exist_ok=True)
    nats = EmbeddedNats(directory / "nats", free_port())
    settings = settings.model_copy(update={"nats_url": nats.url})
    env = service_environment(settings)
    services = {name: ServiceProcess(name, env, directory) for name in SERVICES}
    # Each service finds the others' catch-up feeds on the ports they were given.
    urls = {f"VEIVISER_{name.upper()}_URL": service.url for name, service in services.items()}
    env.update(urls)
    for service in services.values():
        service.env.update(urls)
    running = Stack(settings, env, nats, services)
    try:
        await asyncio.to_thread(nats.start)
        for service in services.values():
            service.spawn()
        for service in services.values():
            await service.wait_healthy()
        yield running
    except BaseException:
        print(running.diagnostics())
        raise
    finally:
        for service in services.values():
            service.send_signal(signal.SIGTERM)
        for service in services.values():
            service.terminate()
        nats.stop()
