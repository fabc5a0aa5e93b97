"""Request limits enforced by the kit for every service: body size (413, also chunked),
NUL characters (422 naming the field), and events too large for the bus (never appended)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest

from deploy.embedded import EmbeddedNats, free_port
from shared.settings import Settings
from tests.kit.helpers import database, minimal_service, scalar, until_healthy
from tests.kit.minimal_service import create_app as kit_app
from tests.support import auth, eventually, running

pytestmark = pytest.mark.timeout(120)

MiB = 1024 * 1024


async def _chunks(total: int, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    sent = 0
    while sent < total:
        part = min(size, total - sent)
        sent += part
        yield b"a" * part


async def test_bodies_over_the_limit_get_413_with_or_without_content_length(
    settings: Settings,
) -> None:
    async with running(kit_app(settings)) as client:
        headers = auth(settings)
        big = await client.post("/upload", content=b"x" * (MiB + 1), headers=headers)
        assert big.status_code == 413, big.text
        body = big.json()
        assert big.headers["content-type"] == "application/problem+json"
        assert body["code"] == "request-too-large" and body["max_bytes"] == MiB
        assert "VEIVISER_MAX_REQUEST_BYTES" in body["detail"]
        assert big.headers["x-correlation-id"]

        chunked = await client.post(
            "/upload",
            content=_chunks(MiB + 10),
            headers=headers | {"content-type": "text/csv"},
        )
        assert "content-length" not in chunked.request.headers
        assert chunked.status_code == 413, chunked.text

        # JSON too, before any parsing or authentication.
        note = await client.post("/notes", json={"text": "x" * MiB})
        assert note.status_code == 413

        at_limit = await client.post(
            "/upload", content=_chunks(MiB), headers=headers | {"content-type": "text/csv"}
        )
        assert at_limit.status_code == 200, at_limit.text
        assert at_limit.json() == {"bytes": MiB}

    small = settings.model_copy(update={"max_request_bytes": 100})
    async with running(kit_app(small)) as client:
        assert (await client.post("/upload", content=b"x" * 101)).status_code == 413
        assert (await client.post("/upload", content=b"x" * 100)).status_code == 200


async def test_a_real_server_refuses_a_chunked_body_over_the_limit(settings: Settings) -> None:
    port = free_port()
    proc = await minimal_service(
        settings,
        "create_app",
        str(port),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
        env="development",
        max_request_bytes="1000",
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            await until_healthy(client)
            refused = await client.post(
                "/upload", content=_chunks(50_000, 500), headers={"content-type": "text/csv"}
            )
            assert refused.status_code == 413
            assert refused.json()["code"] == "request-too-large"
            fine = await client.post(
                "/upload", content=_chunks(1000, 100), headers={"content-type": "text/csv"}
            )
            assert fine.json() == {"bytes": 1000}
    finally:
        proc.terminate()
        await proc.wait()


async def test_nul_characters_are_refused_with_422_naming_the_field(settings: Settings) -> None:
    async with running(kit_app(settings)) as client, database(settings, "housing") as db:
        headers = auth(settings)

        async def refused(response: httpx.Response) -> list[tuple[str, str]]:
            assert response.status_code == 422, response.text
            body = response.json()
            assert body["code"] == "nul-character"
            assert body["type"] == "https://veiviser.no/problems/nul-character"
            return [(e["field"], e["location"]) for e in body["errors"]]

        cases: list[tuple[Callable[[], Awaitable[httpx.Response]], list[tuple[str, str]]]] = [
            (
                lambda: client.post("/notes", json={"text": "Kari\x00"}, headers=headers),
                [("text", "body")],
            ),
            (
                lambda: client.post(
                    "/notes", json={"text": "ok", "tags": ["a", "b\x00c"]}, headers=headers
                ),
                [("tags.1", "body")],
            ),
            (
                lambda: client.post(
                    "/notes",
                    content=b'{"text": "ok", "nested": {"k\\u0000ey": "v"}}',
                    headers=headers | {"content-type": "application/json"},
                ),
                [("nested.k\\u0000ey", "body")],
            ),
            (lambda: client.get("/things/abc?q=x%00y", headers=headers), [("q", "query")]),
            (lambda: client.get("/things/ab%00c", headers=headers), [("thing_id", "path")]),
            (
                lambda: client.post(
                    "/upload",
                    content=b"a;b\n1;2\n3;\x004\n",
                    headers=headers | {"content-type": "text/csv"},
                ),
                [("line 3", "body")],
            ),
        ]
        for call, expected in cases:
            assert await refused(await call()) == expected
        # Nothing reached the database.
        assert await scalar(db, "SELECT count(*) FROM events") == 0

        fine = await client.post("/notes", json={"text": "Kari \\u0000 as text"}, headers=headers)
        assert fine.status_code == 201, fine.text
        assert (await client.get("/things/abc?q=xy", headers=headers)).json() == {
            "thing_id": "abc",
            "q": "xy",
        }


async def test_an_event_too_large_for_the_bus_is_never_appended(settings: Settings) -> None:
    small = settings.model_copy(update={"max_event_bytes": 4096})
    async with running(kit_app(small)) as client, database(small, "housing") as db:
        headers = auth(small)
        fits = await client.post("/notes", json={"text": "x" * 3000}, headers=headers)
        assert fits.status_code == 201, fits.text
        refused = await client.post(
            "/notes", json={"text": "x" * 5000, "stream_id": fits.json()["id"]}, headers=headers
        )
        assert refused.status_code == 422, refused.text
        body = refused.json()
        assert body["code"] == "event-too-large"
        assert [e["field"] for e in body["errors"]] == ["text"]
        assert body["facts"]["limit"] == 4096 - 256
        assert body["facts"]["size"] > 5000
        assert await scalar(db, "SELECT count(*) FROM events") == 1
        assert await scalar(db, "SELECT count(*) FROM outbox") == 1
        assert await scalar(db, "SELECT max(version) FROM streams") == 1


async def test_the_limit_follows_the_nats_servers_max_payload(
    settings: Settings, tmp_path: Path
) -> None:
    server = EmbeddedNats(tmp_path / "nats", free_port(), config="max_payload: 2048\n")
    server.start()
    local = settings.model_copy(update={"nats_url": server.url})
    try:
        app = kit_app(local)
        async with running(app) as client, database(local, "housing") as db:
            runtime = app.state.runtime
            await eventually(lambda: asyncio.sleep(0, runtime.bus.connected))
            assert runtime.store.max_envelope_bytes() == 2048 - 256
            refused = await client.post("/notes", json={"text": "x" * 2000}, headers=auth(local))
            assert refused.status_code == 422, refused.text
            assert refused.json()["facts"]["limit"] == 2048 - 256
            assert await scalar(db, "SELECT count(*) FROM events") == 0
    finally:
        server.stop()
