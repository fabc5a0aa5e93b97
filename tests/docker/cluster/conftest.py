"""The clustered Docker profile (deploy/compose/cluster), driven from the outside.

``deploy/compose/cluster/cluster.sh test`` brings the cluster up and runs these tests
against it. Where it runs comes from the environment, with the compose file's defaults:
the compose project (``VEIVISER_CLUSTER_PROJECT``), the address the ports are published
on (``VEIVISER_CLUSTER_BIND``) and each port (``VEIVISER_CLUSTER_<NAME>_PORT``, as in the
compose file). Containers are found by their compose labels, so the same code works with
``docker compose`` and docker-compose 1.29.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from shared.settings import SERVICES, Settings

NATS_NODES = ("nats-1", "nats-2", "nats-3")
REPLICAS = (1, 2)

_DEFAULT_PORTS = {
    "PG": 26432,
    **{f"NATS_{n}": 26220 + n for n in (1, 2, 3)},
    **{f"NATS_{n}_MONITOR": 26820 + n for n in (1, 2, 3)},
    **{
        f"{service.upper()}_{replica}": 26000 + 10 * (index + 1) + replica
        for index, service in enumerate(SERVICES)
        for replica in REPLICAS
    },
}


def _port(name: str) -> int:
    return int(os.environ.get(f"VEIVISER_CLUSTER_{name}_PORT", _DEFAULT_PORTS[name]))


@dataclass
class Cluster:
    """Addresses of the running cluster as seen from this host, and its containers."""

    project: str
    host: str
    settings: Settings
    """For tokens and names: the cluster's keys, namespace and database prefix."""
    replicas: dict[str, list[str]]
    """Base URLs of each service's replicas (replica 1 first)."""
    nats: dict[str, str]
    """Client URL of each NATS node by compose service name."""
    database_url: str
    """The PostgreSQL server (its ``postgres`` database)."""
    _ids: dict[str, str] = field(default_factory=dict)

    def database(self, service: str) -> str:
        """asyncpg URL of ``service``'s own database."""
        return self.settings.model_copy(
            update={"database_url": self.database_url}
        ).service_database_url(service, driver="postgresql")

    async def container(self, name: str) -> str:
        """Id of the container of compose service ``name`` (``participants-1``, ``nats-2``)."""
        if name not in self._ids:
            out = await docker(
                "ps",
                "-aq",
                "--filter",
                f"label=com.docker.compose.project={self.project}",
                "--filter",
                f"label=com.docker.compose.service={name}",
            )
            ids = out.split()
            assert len(ids) == 1, f"expected one container for {name}, found {ids}"
            self._ids[name] = ids[0]
        return self._ids[name]

    async def kill(self, name: str) -> None:
        """SIGKILL the container: a crash. Its restart policy does not bring it back
        (Docker counts a kill as stopped by hand); :meth:`start` does."""
        await docker("kill", await self.container(name))

    async def start(self, name: str) -> None:
        await docker("start", await self.container(name))

    async def health(self, name: str) -> str:
        out = await docker(
            "inspect",
            "-f",
            "{{.State.Status}}/{{if .State.Health}}{{.State.Health.Status}}{{end}}",
            await self.container(name),
        )
        return out.strip()

    async def wait_healthy(self, name: str, timeout: float = 300.0) -> float:
        """Seconds until the container reports healthy."""
        started = time.monotonic()
        while (state := await self.health(name)) != "running/healthy":
            if time.monotonic() - started > timeout:
                logs = await docker("logs", "--tail", "40", await self.container(name))
                raise AssertionError(f"{name} not healthy after {timeout:.0f} s: {state}\n{logs}")
            await asyncio.sleep(0.5)
        return time.monotonic() - started


async def docker(*args: str) -> str:
    process = await asyncio.create_subprocess_exec(
        "docker",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT if args[0] == "logs" else asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, f"docker {' '.join(args)}: {err.decode()[-500:]}"
    return out.decode()


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    host = os.environ.get("VEIVISER_CLUSTER_BIND", "127.0.0.1")
    user = os.environ.get("VEIVISER_POSTGRES_USER", "postgres")
    password = os.environ.get("VEIVISER_POSTGRES_PASSWORD", "veiviser")
    database_url = f"postgresql://{user}:{password}@{host}:{_port('PG')}/postgres"
    nats = {node: f"nats://{host}:{_port(f'NATS_{node[-1]}')}" for node in NATS_NODES}
    # The cluster's keys, issuer, namespace and prefix come from the same variables the
    # compose file reads; the servers are the published ports.
    settings = Settings(database_url=database_url, nats_url=",".join(nats.values()))
    yield Cluster(
        project=os.environ.get("VEIVISER_CLUSTER_PROJECT", "veiviser-cluster"),
        host=host,
        settings=settings,
        replicas={
            service: [
                f"http://{host}:{_port(f'{service.upper()}_{replica}')}" for replica in REPLICAS
            ]
            for service in SERVICES
        },
        nats=nats,
        database_url=database_url,
    )
