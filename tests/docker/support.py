"""A running Docker stack of Veiviser, seen from the outside: its URLs, its NATS, its key.

Nothing here assumes a topology: every address comes from an environment variable with the
single-node stack's default (``deploy/compose/compose.yaml``), and containers are found by
the compose labels of ``VEIVISER_DOCKER_PROJECT`` (default ``COMPOSE_PROJECT_NAME`` or
``veiviser``). A clustered stack sets its own variables and uses the same helpers.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field

import httpx

from shared.settings import DEVELOPMENT_JWT_SECRET, SERVICES, Settings

DEFAULT_PORTS = {"participants": 28001, "housing": 28002, "matching": 28003, "indicators": 28004}
READY_TIMEOUT_SECONDS = 180.0


def _env(name: str, default: str) -> str:
    return os.environ.get(name) or default


@dataclass(frozen=True)
class DockerStack:
    """Where the stack answers and how to reach its containers."""

    project: str
    urls: dict[str, str]
    nats_url: str
    nats_monitor_url: str
    settings: Settings = field(repr=False)

    @classmethod
    def from_environment(cls) -> DockerStack:
        """``VEIVISER_DOCKER_<SERVICE>_URL``, ``VEIVISER_DOCKER_NATS_URL``,
        ``VEIVISER_DOCKER_NATS_MONITOR_URL`` (each defaulting to the ports the compose file
        publishes, themselves from ``VEIVISER_DOCKER_<NAME>_PORT``), the stack's
        ``VEIVISER_JWT_SECRET`` (tokens are signed with it) and ``VEIVISER_NAMESPACE``."""
        bind = _env("VEIVISER_DOCKER_BIND", "127.0.0.1")
        urls = {
            service: _env(
                f"VEIVISER_DOCKER_{service.upper()}_URL",
                f"http://{bind}:"
                + _env(f"VEIVISER_DOCKER_{service.upper()}_PORT", str(DEFAULT_PORTS[service])),
            )
            for service in SERVICES
        }
        nats_url = _env(
            "VEIVISER_DOCKER_NATS_URL",
            f"nats://{bind}:" + _env("VEIVISER_DOCKER_NATS_PORT", "24222"),
        )
        monitor = _env(
            "VEIVISER_DOCKER_NATS_MONITOR_URL",
            f"http://{bind}:" + _env("VEIVISER_DOCKER_NATS_MONITOR_PORT", "28222"),
        )
        settings = Settings(
            nats_url=nats_url,
            namespace=_env("VEIVISER_NAMESPACE", "veiviser"),
            jwt_secret=_env("VEIVISER_JWT_SECRET", DEVELOPMENT_JWT_SECRET),
        )
        project = _env("VEIVISER_DOCKER_PROJECT", _env("COMPOSE_PROJECT_NAME", "veiviser"))
        return cls(project, urls, nats_url, monitor, settings)

    def containers(self, service: str) -> list[str]:
        """Ids of the compose service's containers (running or not), oldest first."""
        out = docker(
            "ps",
            "-aq",
            "--filter",
            f"label=com.docker.compose.project={self.project}",
            "--filter",
            f"label=com.docker.compose.service={service}",
        )
        return list(reversed(out.split()))

    def container(self, service: str) -> str:
        found = self.containers(service)
        if not found:
            raise AssertionError(f"no container of {service} in compose project {self.project}")
        return found[0]

    async def wait_ready(self, timeout: float = READY_TIMEOUT_SECONDS) -> None:
        """Until every service answers ``/readyz`` with 200 (database and NATS reachable)."""
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=5.0) as client:
            for service, url in self.urls.items():
                last = "no answer"
                while True:
                    with contextlib.suppress(httpx.TransportError):
                        answer = await client.get(f"{url}/readyz")
                        if answer.status_code == 200:
                            break
                        last = f"{answer.status_code} {answer.text[:200]}"
                    if time.monotonic() > deadline:
                        raise AssertionError(f"{service} at {url} not ready: {last}")
                    await asyncio.sleep(0.5)


def docker(*args: str, timeout: float = 120.0) -> str:
    """``docker args`` and its standard output; a failure names the command and stderr."""
    done = subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise AssertionError(f"docker {' '.join(args)}: {done.stderr.strip() or done.stdout}")
    return done.stdout.strip()


def inspect(container: str) -> dict[str, object]:
    state: dict[str, object] = json.loads(docker("inspect", "-f", "{{json .State}}", container))
    return state


def restart_count(container: str) -> int:
    return int(docker("inspect", "-f", "{{.RestartCount}}", container))


def crash(container: str) -> bool:
    """SIGKILL the container's main process from the host, as a crash would: Docker sees it
    die and its restart policy brings it back. True if so; False when this user may not
    signal it (not root), after ``docker kill`` + ``docker start`` did the same instead."""
    pid = int(docker("inspect", "-f", "{{.State.Pid}}", container))
    try:
        os.kill(pid, signal.SIGKILL)
    except PermissionError:
        docker("kill", container)
        docker("start", container)
        return False
    return True


async def wait_healthy(container: str, timeout: float = READY_TIMEOUT_SECONDS) -> None:
    """Until the container runs and its healthcheck passes."""
    deadline = time.monotonic() + timeout
    while True:
        state = await asyncio.to_thread(inspect, container)
        health = state.get("Health")
        status = health.get("Status") if isinstance(health, dict) else None
        if state.get("Running") and status in ("healthy", None):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{container} not healthy within {timeout:.0f} s: {state}")
        await asyncio.sleep(0.5)
