"""Check that the PostgreSQL and NATS servers Veiviser is pointed at are new enough.

Both checks connect for real, so they also catch "nothing listens there" and "JetStream is
off"; the messages they raise are meant for a person and say what to change.
"""

from __future__ import annotations

import asyncio
import re
from urllib.parse import urlsplit, urlunsplit

from deploy.embedded import StackError

__all__ = [
    "MIN_NATS",
    "MIN_POSTGRES",
    "ServerTooOld",
    "ServerUnusable",
    "StackError",
    "check_nats",
    "check_postgres",
    "format_version",
    "nats_too_old_message",
    "parse_version",
    "postgres_too_old_message",
    "postgres_version_from_num",
    "redact_url",
]

MIN_POSTGRES: tuple[int, ...] = (13, 0)
MIN_NATS: tuple[int, ...] = (2, 9, 0)


class ServerTooOld(StackError):
    """The server answers, but its version is below what Veiviser needs."""


class ServerUnusable(StackError):
    """The server cannot be reached, or lacks a feature Veiviser needs (e.g. JetStream)."""


def parse_version(text: str) -> tuple[int, ...]:
    """Leading dotted numbers of a version string.

    ``"2.10.4-beta.1"`` -> ``(2, 10, 4)``, ``"v2.9.0"`` -> ``(2, 9, 0)``,
    ``"16.2 (Debian 16.2-1.pgdg120+1)"`` -> ``(16, 2)``. Raises ``ValueError`` when the
    string does not start with a number.
    """
    match = re.match(r"\s*v?(\d+(?:\.\d+)*)", text)
    if match is None:
        raise ValueError(f"not a version: {text!r}")
    return tuple(int(part) for part in match.group(1).split("."))


def postgres_version_from_num(num: int) -> tuple[int, ...]:
    """Decode ``server_version_num``: 180006 -> (18, 6); before 10, 90605 -> (9, 6, 5)."""
    if num >= 100000:
        return (num // 10000, num % 10000)
    return (num // 10000, num // 100 % 100, num % 100)


def format_version(version: tuple[int, ...]) -> str:
    """``(2, 9, 0)`` -> ``"2.9.0"``."""
    return ".".join(str(part) for part in version)


def redact_url(url: str) -> str:
    """``url`` with any password replaced by ``***`` so it can be printed."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}"))


def _at_least(found: tuple[int, ...], minimum: tuple[int, ...]) -> bool:
    width = max(len(found), len(minimum))
    pad = (0,) * width
    return (found + pad)[:width] >= (minimum + pad)[:width]


def postgres_too_old_message(url: str, version: str) -> str:
    """The message for a PostgreSQL server below ``MIN_POSTGRES``."""
    return (
        f"PostgreSQL at {redact_url(url)} is {version}; Veiviser needs ≥ "
        f"{format_version(MIN_POSTGRES)}."
    )


def nats_too_old_message(url: str, version: str) -> str:
    """The message for a NATS server below ``MIN_NATS``."""
    return (
        f"NATS at {redact_url(url)} is {version}; Veiviser needs ≥ {format_version(MIN_NATS)} "
        "with JetStream enabled (-js)."
    )


def require_postgres_version(url: str, version: str, version_num: int) -> None:
    """Raise ``ServerTooOld`` unless ``version_num`` (server_version_num) is new enough."""
    if not _at_least(postgres_version_from_num(version_num), MIN_POSTGRES):
        raise ServerTooOld(postgres_too_old_message(url, version))


def require_nats_version(url: str, version: str) -> None:
    """Raise ``ServerTooOld`` unless the NATS ``version`` string is new enough."""
    try:
        found = parse_version(version)
    except ValueError:
        raise ServerUnusable(
            f"NATS at {redact_url(url)} reports an unreadable version {version!r}."
        ) from None
    if not _at_least(found, MIN_NATS):
        raise ServerTooOld(nats_too_old_message(url, version))


async def check_postgres(url: str, *, connect_timeout: float = 10.0) -> str:
    """Connect to the PostgreSQL server at ``url`` and return its version (``"18.6"``).

    Raises ``ServerUnusable`` when it cannot be reached and ``ServerTooOld`` when it is
    older than ``MIN_POSTGRES``.
    """
    import asyncpg

    try:
        conn = await asyncpg.connect(url, timeout=connect_timeout)
    except Exception as exc:
        raise ServerUnusable(
            f"Cannot connect to PostgreSQL at {redact_url(url)}: {exc or type(exc).__name__}"
        ) from exc
    try:
        version = str(await conn.fetchval("SHOW server_version")).split()[0]
        version_num = int(await conn.fetchval("SHOW server_version_num"))
    finally:
        await conn.close()
    require_postgres_version(url, version, version_num)
    return version


async def check_nats(url: str, *, connect_timeout: float = 10.0) -> str:
    """Connect to the NATS server at ``url`` and return its version (``"2.15.1"``).

    Raises ``ServerUnusable`` when it cannot be reached or JetStream does not answer, and
    ``ServerTooOld`` when it is older than ``MIN_NATS``.
    """
    import nats
    from nats.errors import Error as NatsError

    async def _quiet(_exc: Exception) -> None:
        # The default callback logs a traceback for every failed attempt; we report once.
        return None

    try:
        # max_reconnect_attempts=0 would mean "retry forever" to nats-py; 1 gives up after
        # a second try. wait_for is the backstop should the client still hang.
        nc = await asyncio.wait_for(
            nats.connect(
                url,
                connect_timeout=connect_timeout,
                allow_reconnect=False,
                max_reconnect_attempts=1,
                reconnect_time_wait=0.2,
                error_cb=_quiet,
                name="veiviser-version-check",
            ),
            timeout=2 * connect_timeout + 1,
        )
    except Exception as exc:
        raise ServerUnusable(
            f"Cannot connect to NATS at {redact_url(url)}: {exc or type(exc).__name__}"
        ) from exc
    try:
        server = nc.connected_server_version
        try:
            version = f"{server.major}.{server.minor}.{server.patch}"
            if server.dev:
                version += f"-{server.dev}"
        except ValueError:
            version = str(getattr(server, "_server_version", "unknown"))
        require_nats_version(url, version)
        try:
            await nc.jetstream(timeout=connect_timeout).account_info()
        except (NatsError, TimeoutError) as exc:
            raise ServerUnusable(
                f"NATS at {redact_url(url)} is {version} but JetStream does not answer "
                f"({type(exc).__name__}); Veiviser needs ≥ {format_version(MIN_NATS)} "
                "with JetStream enabled (-js)."
            ) from exc
    finally:
        await nc.close()
    return version
