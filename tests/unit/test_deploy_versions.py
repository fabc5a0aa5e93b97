"""Version parsing, comparison and the messages people see when a server is too old."""

from __future__ import annotations

import asyncio
import json

import pytest

from deploy.embedded import free_port
from deploy.versions import (
    MIN_NATS,
    MIN_POSTGRES,
    ServerTooOld,
    ServerUnusable,
    StackError,
    check_nats,
    format_version,
    nats_too_old_message,
    parse_version,
    postgres_version_from_num,
    redact_url,
    require_nats_version,
    require_postgres_version,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2.9.0", (2, 9, 0)),
        ("v2.10.4", (2, 10, 4)),
        ("2.11.0-beta.2", (2, 11, 0)),
        ("16.2 (Debian 16.2-1.pgdg120+1)", (16, 2)),
        ("18.6", (18, 6)),
    ],
)
def test_parse_version(text: str, expected: tuple[int, ...]) -> None:
    assert parse_version(text) == expected


def test_parse_version_rejects_garbage() -> None:
    with pytest.raises(ValueError):
        parse_version("unknown")


@pytest.mark.parametrize(
    ("num", "expected"),
    [(180006, (18, 6)), (130000, (13, 0)), (120017, (12, 17)), (90605, (9, 6, 5))],
)
def test_postgres_version_num(num: int, expected: tuple[int, ...]) -> None:
    assert postgres_version_from_num(num) == expected


def test_minimums() -> None:
    assert MIN_POSTGRES == (13, 0)
    assert MIN_NATS == (2, 9, 0)
    assert issubclass(ServerTooOld, StackError) and issubclass(ServerUnusable, StackError)


@pytest.mark.parametrize("ok", ["2.9.0", "2.9.25", "2.10.0", "2.15.1", "3.0.0", "2.10.0-RC.1"])
def test_new_enough_nats(ok: str) -> None:
    require_nats_version("nats://127.0.0.1:14222", ok)


@pytest.mark.parametrize("old", ["2.8.4", "2.2.0", "1.4.1"])
def test_too_old_nats(old: str) -> None:
    with pytest.raises(ServerTooOld) as caught:
        require_nats_version("nats://127.0.0.1:4222", old)
    assert str(caught.value) == (
        f"NATS at nats://127.0.0.1:4222 is {old}; Veiviser needs ≥ 2.9.0 "
        "with JetStream enabled (-js)."
    )


def test_unreadable_nats_version() -> None:
    with pytest.raises(ServerUnusable, match="unreadable version"):
        require_nats_version("nats://127.0.0.1:4222", "banana")


def test_postgres_versions() -> None:
    require_postgres_version("postgresql://x@h/postgres", "13.0", 130000)
    require_postgres_version("postgresql://x@h/postgres", "18.6", 180006)
    with pytest.raises(ServerTooOld) as caught:
        require_postgres_version("postgresql://admin:hunter2@db:5432/postgres", "12.17", 120017)
    message = str(caught.value)
    assert message.startswith("PostgreSQL at postgresql://admin:***@db:5432/postgres is 12.17;")
    assert "needs ≥ 13.0" in message
    assert "hunter2" not in message


def test_redact_url() -> None:
    assert redact_url("nats://127.0.0.1:4222") == "nats://127.0.0.1:4222"
    assert redact_url("postgresql://u:p@h:1/d?x=1") == "postgresql://u:***@h:1/d?x=1"
    assert format_version((2, 9, 0)) == "2.9.0"
    assert nats_too_old_message("nats://h:1", "2.8.4").startswith("NATS at nats://h:1 is 2.8.4")


async def test_check_nats_against_a_server_claiming_2_8_4() -> None:
    """A fake server that speaks just enough NATS to announce an old version."""
    port = free_port()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        info = {
            "server_id": "FAKE",
            "version": "2.8.4",
            "proto": 1,
            "headers": True,
            "max_payload": 1048576,
            "host": "127.0.0.1",
            "port": port,
        }
        writer.write(f"INFO {json.dumps(info)}\r\n".encode())
        await writer.drain()
        try:
            while line := await reader.readline():
                if line.startswith(b"PING"):
                    writer.write(b"PONG\r\n")
                    await writer.drain()
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port)
    try:
        with pytest.raises(ServerTooOld) as caught:
            await check_nats(f"nats://127.0.0.1:{port}", connect_timeout=2)
    finally:
        server.close()
        await server.wait_closed()
    assert str(caught.value) == (
        f"NATS at nats://127.0.0.1:{port} is 2.8.4; Veiviser needs ≥ 2.9.0 "
        "with JetStream enabled (-js)."
    )
