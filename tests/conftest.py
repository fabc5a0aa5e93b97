"""Real PostgreSQL and NATS for the suite.

Without ``VEIVISER_DATABASE_URL`` / ``VEIVISER_NATS_URL`` the session starts its own
embedded servers (PyPI wheels) on free ports; with them it uses the given servers.
Every test gets fresh databases (copied from migrated templates) and its own NATS
namespace, and removes both afterwards, so a shared server stays clean.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from deploy.embedded import PORT_SLOT_ENV, EmbeddedNats, EmbeddedPostgres, free_port
from deploy.services import upgrade
from shared.settings import SERVICES, Settings
from tests.support import drop_databases, private_environment

# Parallel workers (make test runs pytest-xdist) each take ports of their own slot.
if worker := os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.setdefault(
        PORT_SLOT_ENV, f"{int(worker.removeprefix('gw'))}/{os.environ['PYTEST_XDIST_WORKER_COUNT']}"
    )

# tests/docker/ drives a Docker stack from the outside (make docker-test sets this);
# the ordinary suite runs against its own servers and does not collect it.
collect_ignore = [] if os.environ.get("VEIVISER_DOCKER_TESTS") else ["docker"]


@dataclass(frozen=True)
class Servers:
    database_url: str
    nats_url: str
    embedded_nats: EmbeddedNats | None


@pytest.fixture(scope="session")
def servers() -> Iterator[Servers]:
    tmp = Path(tempfile.mkdtemp(prefix="veiviser-test-"))
    pg: EmbeddedPostgres | None = None
    nt: EmbeddedNats | None = None
    database_url = os.environ.get("VEIVISER_DATABASE_URL")
    nats_url = os.environ.get("VEIVISER_NATS_URL")
    try:
        if not database_url:
            pg = EmbeddedPostgres(tmp / "pg", free_port(), fast_unsafe=True)
            pg.start()
            database_url = pg.url
        if not nats_url:
            nt = EmbeddedNats(tmp / "nats", free_port())
            nt.start()
            nats_url = nt.url
        yield Servers(database_url, nats_url, nt)
    finally:
        if nt is not None:
            nt.stop()
        if pg is not None:
            pg.stop()


_SESSION = uuid.uuid4().hex[:6]


@pytest.fixture(scope="session")
def templates(servers: Servers) -> Iterator[dict[str, str]]:
    """One migrated template database per service, copied for every test."""
    settings = Settings(
        database_url=servers.database_url,
        nats_url=servers.nats_url,
        database_prefix=f"vtpl_{_SESSION}",
        env="development",
    )
    # Alembic and the clean-up run their own event loops; in a worker thread they leave
    # the main thread's loop (pytest-asyncio's session loop) alone.
    with ThreadPoolExecutor(1) as worker:
        for service in SERVICES:
            worker.submit(upgrade, settings, service).result()
        yield {service: settings.database_name(service) for service in SERVICES}
        worker.submit(
            asyncio.run, drop_databases(settings.server_database_url(), f"vtpl_{_SESSION}_")
        ).result()


@pytest.fixture
async def settings(servers: Servers, templates: dict[str, str]) -> AsyncIterator[Settings]:
    """Settings of a fresh, private environment: own databases, own NATS namespace."""
    async with private_environment(
        servers.database_url, servers.nats_url, templates, _SESSION
    ) as settings:
        yield settings
