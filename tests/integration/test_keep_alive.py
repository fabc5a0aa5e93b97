"""A service keeps an idle connection open longer than its clients do.

Otherwise a request sent just as the service closes the connection is lost: httpx reports
a ReadError, the gateway a 502 for a POST it will not send again. A whole-stack test lost
a settlement's first attempt that way with uvicorn's default of 5 s, which is exactly
httpx's own idle limit.
"""

from __future__ import annotations

import asyncio
import re
import socket
from pathlib import Path

import httpx

from deploy.services import KEEP_ALIVE_SECONDS, server_command
from shared.settings import Settings
from tests.integration.processes import PROJECT_ROOT, ServiceProcess, service_environment

REQUEST = b"GET /healthz HTTP/1.1\r\nHost: participants\r\n\r\n"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def _status(reader: asyncio.StreamReader) -> int:
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
    (length,) = re.findall(r"^content-length:\s*(\d+)", head, re.I | re.M)
    await reader.readexactly(int(length))
    return int(head.split()[1])


async def test_an_idle_connection_outlives_the_clients_idle_limit(tmp_path: Path) -> None:
    httpx_idle = httpx.Limits().keepalive_expiry
    assert httpx_idle is not None and httpx_idle < KEEP_ALIVE_SECONDS
    settings = Settings(
        env="development",
        database_url=f"postgresql://postgres@127.0.0.1:{_closed_port()}/postgres",
        nats_url=f"nats://127.0.0.1:{_closed_port()}",
        data_dir=tmp_path,
    )
    service = ServiceProcess("participants", service_environment(settings), tmp_path)
    await service.start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", service.port)
        writer.write(REQUEST)
        assert await _status(reader) == 200
        # Idle for longer than uvicorn's default and httpx's limit, then the same
        # connection is used again.
        await asyncio.sleep(httpx_idle + 1.5)
        writer.write(REQUEST)
        assert await _status(reader) == 200
        writer.close()
    finally:
        service.terminate()


def test_the_image_serves_with_the_same_idle_limit() -> None:
    command = server_command("participants", 8000)
    assert command[command.index("--timeout-keep-alive") + 1] == str(KEEP_ALIVE_SECONDS)
    entrypoint = (PROJECT_ROOT / "deploy" / "docker" / "entrypoint.sh").read_text()
    assert re.findall(r"--timeout-keep-alive (\d+)", entrypoint) == [str(KEEP_ALIVE_SECONDS)]
