"""The four services by name: where their apps and migrations are found.

The kit serves the services without knowing them; the operator command, the stack,
the tests and the benchmarks look a service up here and hand the kit what it needs.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

from fastapi import FastAPI

from shared import migrate
from shared.eventstore import EventStore
from shared.projection import Projection
from shared.settings import Settings


def create_app(service: str, settings: Settings | None = None) -> FastAPI:
    """``service``'s app, wired but not started (no connection is opened)."""
    factory = importlib.import_module(f"services.{service}.app").create_app
    app: FastAPI = factory(settings)
    return app


KEEP_ALIVE_SECONDS = 75
"""How long a service keeps an idle HTTP connection open (uvicorn's own default is 5 s).

The client must be the side that gives up an idle connection first: a request sent on a
connection the server is closing at that moment is lost as a reset (httpx's ReadError) or,
behind the gateway, as a 502 for a POST nginx will not resend. So the services wait longer
than any of their clients: httpx keeps idle connections 5 s, the chart's gateway pool
60 s (``keepalive_timeout`` in its upstreams.conf), and load balancers commonly 60 s.
The image's entrypoint passes the same number (a test holds them together)."""


def server_command(service: str, port: int, host: str = "127.0.0.1") -> list[str]:
    """The command line that serves ``service`` under uvicorn on ``host:port``."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        f"services.{service}.app:create_app",
        "--host",
        host,
        "--port",
        str(port),
        "--no-access-log",
        "--timeout-keep-alive",
        str(KEEP_ALIVE_SECONDS),
    ]


def migrations(service: str) -> Path:
    """The folder of ``service``'s Alembic history."""
    package = importlib.import_module(f"services.{service}.migrations")
    return Path(package.__file__ or "").parent


def upgrade(settings: Settings, service: str, revision: str = "heads") -> None:
    """Create ``service``'s database if needed and migrate it to ``revision`` (blocking)."""
    migrate.upgrade(settings, service, migrations(service), revision)


def service_projections(service: str, settings: Settings) -> tuple[list[Projection], EventStore]:
    """The projections a service declares and its event store (for replay)."""
    runtime = create_app(service, settings).state.runtime
    return list(runtime.definition.projections), runtime.store
