"""PostgreSQL round trips per participants command, counted in process.

    python -m bench.round_trips [--count 20] [--profile]

Runs the participants app in this process (httpx's ASGI transport, the standard
asyncio loop) against ``VEIVISER_DATABASE_URL`` (or embedded servers), without its relay
(``relay_in_process`` off) so only the commands' own statements are counted, and counts the writes
asyncpg makes on its sockets while each kind of command runs, one at a time: asyncpg
sends each statement's messages in one write and waits for the answer, so a write is
a round trip. A count, not a timing: it is the same on a loaded machine.

``--profile`` also runs the settlements under cProfile and prints where their time in
this process goes, by package (the client's share, httpx, printed apart).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import itertools
import os
import pstats
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, timedelta
from pathlib import Path
from selectors import DefaultSelector
from typing import Any

import httpx

from bench.env import log
from bench.http_commands import ABSENCE_BODY, PROGRAMME_BODY

_WRITES = {"count": 0}


def _count_writes() -> None:
    """Count every write on an asyncio socket transport whose peer is PostgreSQL."""
    from asyncio import selector_events

    transport_class: Any = selector_events._SelectorSocketTransport
    original = transport_class.write

    def write(self: Any, data: Any) -> None:
        if getattr(self, "_veiviser_pg", None) is None:
            peer = self.get_extra_info("peername")
            sock = self.get_extra_info("socket")
            self._veiviser_pg = bool(
                (isinstance(peer, tuple) and peer[1] == _PG_PORT["port"])
                or (sock is not None and sock.family.name == "AF_UNIX" and ".s.PGSQL" in str(peer))
            )
        if self._veiviser_pg:
            _WRITES["count"] += 1
            if _TRACE:
                print("  >", bytes(data)[:160])
        original(self, data)

    transport_class.write = write


_PG_PORT = {"port": 5432}
_TRACE = bool(os.environ.get("ROUND_TRIPS_TRACE"))


@contextlib.asynccontextmanager
async def _servers() -> AsyncIterator[tuple[str, str]]:
    database_url = os.environ.get("VEIVISER_DATABASE_URL")
    nats_url = os.environ.get("VEIVISER_NATS_URL")
    if database_url and nats_url:
        yield database_url, nats_url
        return
    from deploy.embedded import EmbeddedNats, EmbeddedPostgres, free_port

    tmp = Path(tempfile.mkdtemp(prefix="veiviser-rt-"))
    pg = EmbeddedPostgres(tmp / "pg", free_port(), fast_unsafe=True)
    nt = EmbeddedNats(tmp / "nats", free_port())
    pg.start()
    nt.start()
    try:
        yield pg.url, nt.url
    finally:
        nt.stop()
        pg.stop()


async def _measure(count: int, profile: bool = False) -> dict[str, float]:
    from deploy.services import upgrade
    from services.participants.app import create_app
    from shared.auth import issue_dev_token
    from shared.settings import Settings
    from tests.support import drop_databases, national_id

    async with _servers() as (database_url, nats_url):
        prefix = f"vrt_{uuid.uuid4().hex[:8]}"
        settings = Settings(
            database_url=database_url,
            nats_url=nats_url,
            database_prefix=prefix,
            namespace=f"rt{uuid.uuid4().hex[:8]}",
            env="development",
            relay_in_process=False,
            consumer_reconcile_seconds=3600,
            log_level="WARNING",
        )
        from sqlalchemy.engine import make_url

        _PG_PORT["port"] = make_url(settings.server_database_url()).port or 5432
        await asyncio.to_thread(upgrade, settings, "participants")
        headers = {
            "Authorization": "Bearer "
            + issue_dev_token(settings, sub="bench", roles=["caseworker"], municipality="3301")
        }
        app = create_app(settings)
        try:
            async with app.router.lifespan_context(app):
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(transport=transport, base_url="http://rt") as http:
                    return await _commands(http, headers, count, national_id, profile)
        finally:
            await drop_databases(settings.server_database_url(), prefix + "_")


async def _commands(
    http: httpx.AsyncClient,
    headers: dict[str, str],
    count: int,
    national_id: Callable[..., str],
    profile: bool = False,
) -> dict[str, float]:
    born = date(1990, 4, 2)

    async def counted(send: Callable[[], Awaitable[httpx.Response]]) -> int:
        before = _WRITES["count"]
        answer = await send()
        assert answer.status_code in (200, 201), answer.text
        return _WRITES["count"] - before

    registered = itertools.count()

    def register() -> Awaitable[httpx.Response]:
        # A birth date per 20 people: drawn at random, more numbers of one date collide.
        day = born + timedelta(days=next(registered) // 20)
        body = {
            "given_name": "Test",
            "family_name": "Person",
            "birth_date": day.isoformat(),
            "national_id": national_id(day, d_number=True),
        }
        return http.post("/participants", headers=headers, json=body)

    # Warm up: every statement prepared on the connections the pool hands out.
    ids = []
    for _ in range(count + 3):
        ids.append((await register()).json()["id"])
    totals: dict[str, int] = {}
    kinds: dict[str, Callable[[str], Callable[[], Awaitable[httpx.Response]]]] = {
        "register": lambda _pid: register,
        "settle": lambda pid: (
            lambda: http.post(
                f"/participants/{pid}/settlement",
                headers=headers,
                json={"settled_on": "2024-03-01", "arrival_category": "resettlement_refugee"},
            )
        ),
        "start programme": lambda pid: (
            lambda: http.post(
                f"/participants/{pid}/programme", headers=headers, json=PROGRAMME_BODY
            )
        ),
        "record absence": lambda pid: (
            lambda: http.post(f"/participants/{pid}/absences", headers=headers, json=ABSENCE_BODY)
        ),
    }
    for pid in ids[:3]:
        for make in kinds.values():
            await counted(make(pid))
    for name, make in kinds.items():
        totals[name] = 0
        profiler = cProfile.Profile() if profile and name == "settle" else None
        if profiler is not None:
            profiler.enable()
        for pid in ids[3:]:
            totals[name] += await counted(make(pid))
        if profiler is not None:
            profiler.disable()
            _print_profile(profiler, count)
    return {name: total / count for name, total in totals.items()}


_PACKAGES = (
    ("shared/", "kit (shared/)"),
    ("services/", "participants (services/)"),
    ("/fastapi/", "FastAPI"),
    ("/starlette/", "Starlette"),
    ("/pydantic", "pydantic"),
    ("/sqlalchemy/", "SQLAlchemy"),
    ("/asyncpg/", "asyncpg"),
    ("/httpx/", "client (httpx)"),
    ("/httpcore/", "client (httpx)"),
    ("/structlog/", "structlog"),
    ("/prometheus_client/", "prometheus_client"),
    ("/cryptography/", "cryptography"),
    ("/jwt/", "PyJWT"),
    ("/asyncio/", "asyncio"),
)


def _print_profile(profiler: cProfile.Profile, count: int) -> None:
    """Own time of every function, summed by the package its file is in, per command
    (wall time: waiting for PostgreSQL in the selector is its own line)."""
    stats = pstats.Stats(profiler)
    by_package: dict[str, float] = {}
    for (filename, _, function), entry in stats.stats.items():  # type: ignore[attr-defined]
        if "poll" in function and "epoll" in function:
            package = "waiting (epoll: PostgreSQL)"
        elif filename == "~":
            package = "builtins (JSON, crypto, …)"
        else:
            package = next((label for part, label in _PACKAGES if part in filename), "other")
        by_package[package] = by_package.get(package, 0.0) + entry[2]
    total = sum(by_package.values())
    log(f"profile: settle, {total / count * 1000:.2f} ms per command in this process")
    for package, seconds in sorted(by_package.items(), key=lambda item: -item[1]):
        log(f"  {package:28} {seconds / count * 1000:6.3f} ms  {seconds / total:5.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--profile", action="store_true", help="profile the settlements")
    args = parser.parse_args()
    _count_writes()
    loop = asyncio.SelectorEventLoop(DefaultSelector())
    try:
        result = loop.run_until_complete(_measure(args.count, args.profile))
    finally:
        loop.close()
    for name, value in result.items():
        log(f"round trips: {name}: {value:.2f} per command ({args.count} commands)")


if __name__ == "__main__":
    main()
