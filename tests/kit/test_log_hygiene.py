"""No log line leaks personal data: a service process gets a run of bad requests and
poisoned events carrying a known national id, name and health note — validation
errors, conflicts, NUL, oversized bodies, database errors, validation errors inside
handlers, unexpected errors, failing projections, undecodable messages — and none of
the values appears in its output. Every 5xx answer carries the request's correlation id."""

from __future__ import annotations

import asyncio
import logging
from datetime import date
from pathlib import Path

import httpx
import nats
import pytest

from deploy.embedded import free_port
from shared.logging import configure_logging, describe_exception
from shared.settings import Settings
from tests.kit.helpers import database, minimal_service, rows, scalar, until_healthy
from tests.support import auth, eventually, national_id, publish_foreign_event

pytestmark = pytest.mark.timeout(120)

NATIONAL_ID = national_id(date(1971, 5, 17))
NAME = "Kari Nordmann-Testesen"
HEALTH = "diabetes type 1, insulin pump"
PERSONAL = (NATIONAL_ID, NAME, HEALTH)


async def _serve(settings: Settings, log_file: Path) -> tuple[asyncio.subprocess.Process, str]:
    port = free_port()
    with log_file.open("wb") as out:
        proc = await minimal_service(
            settings,
            "create_app_with_feed",
            str(port),
            stdout=out,
            stderr=asyncio.subprocess.STDOUT,
            env="development",
            log_level="DEBUG",
            consumer_max_deliveries="2",
        )
    return proc, f"http://127.0.0.1:{port}"


async def test_no_error_path_writes_personal_values_to_the_log(
    settings: Settings, tmp_path: Path
) -> None:
    log_file = tmp_path / "service.log"
    proc, url = await _serve(settings, log_file)
    try:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            await until_healthy(client)
            headers = auth(settings)
            note = {"text": HEALTH, "tags": [NAME, NATIONAL_ID]}
            created = await client.post("/notes", json=note, headers=headers)
            assert created.status_code == 201, created.text
            stream_id = created.json()["id"]

            expected = {
                "conflict": (
                    lambda: client.post(
                        "/notes",
                        json=note | {"stream_id": stream_id, "expected_version": 0},
                        headers=headers,
                    ),
                    409,
                ),
                "validation": (
                    lambda: client.post("/notes", json={"text": 5, "tags": NAME}, headers=headers),
                    422,
                ),
                "malformed json": (
                    lambda: client.post(
                        "/notes",
                        content=f'{{"text": "{NAME}", "tags": ['.encode(),
                        headers=headers | {"content-type": "application/json"},
                    ),
                    422,
                ),
                "nul": (
                    lambda: client.post("/notes", json={"text": HEALTH + "\x00"}, headers=headers),
                    422,
                ),
                "too large": (
                    lambda: client.post(
                        "/upload",
                        content=(NAME * 60_000).encode(),
                        headers=headers | {"content-type": "text/csv"},
                    ),
                    413,
                ),
                "query": (lambda: client.get("/things/x", params={"q": NATIONAL_ID}), 200),
                "no token": (lambda: client.post("/notes", json=note), 401),
            }
            for case, (call, status) in expected.items():
                response = await call()
                assert response.status_code == status, (case, response.text)

            for n, (kind, value) in enumerate(
                [("db", NATIONAL_ID), ("validation", NAME), ("runtime", HEALTH)]
            ):
                cid = f"leak-test-{n}"
                failed = await client.post(
                    f"/boom/{kind}",
                    json={"value": value},
                    headers=headers | {"X-Correlation-ID": cid},
                )
                assert failed.status_code == 500, (kind, failed.text)
                assert failed.json()["correlation_id"] == cid
                assert failed.json()["code"] == "internal-error"
                assert failed.headers["x-correlation-id"] == cid
                assert not any(v in failed.text for v in PERSONAL)

        # A projection that fails on an event's own values, and a message that is not
        # even JSON, both end as dead letters.
        await publish_foreign_event(
            settings,
            "participants",
            "participants.participant.settled.v1",
            {
                "participant_id": "p-1",
                "given_name": NAME,
                "national_id": NATIONAL_ID,
                "note": HEALTH,
            },
        )
        nc = await nats.connect(settings.nats_url)
        try:
            await nc.jetstream().publish(
                f"{settings.subject_prefix('participants')}.participant.settled",
                f"not json {NATIONAL_ID} {NAME}".encode(),
            )
        finally:
            await nc.close()
        async with database(settings, "housing") as db:

            async def letters() -> int:
                return int(await scalar(db, "SELECT count(*) FROM dead_letters"))

            async def both() -> bool:
                return await letters() == 2

            await eventually(both, timeout=60)
            for letter in await rows(db, "SELECT error FROM dead_letters"):
                assert not any(v in letter.error for v in PERSONAL), letter.error
    finally:
        proc.terminate()
        await proc.wait()

    output = log_file.read_text()
    for value in PERSONAL:
        assert value not in output, f"{value!r} leaked into the log:\n{output}"
    # The error paths really ran, and were logged (as types and places).
    assert output.count('"http.unhandled_error"') == 3
    assert "DataError" in output and "ValidationError" in output
    assert "Exception in ASGI application" in output
    assert '"consumer.dead_lettered"' in output
    assert '"GET /things/x HTTP/1.1 200"' in output


def test_an_exception_is_described_by_types_and_places_only() -> None:
    try:
        try:
            raise KeyError(NATIONAL_ID)
        except KeyError as inner:
            raise ValueError(f"no participant with {NAME}") from inner
    except ValueError as error:
        text = describe_exception(error)
    assert text.startswith("ValueError (at kit/test_log_hygiene.py:")
    assert "caused by KeyError" in text
    assert not any(v in text for v in PERSONAL)


def test_http_client_request_lines_stay_out_of_the_log(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("test", "DEBUG")
    try:
        logging.getLogger("httpx").info(
            'HTTP Request: GET %s "HTTP/1.1 200 OK"', "http://p/events?after=cursor-123"
        )
        logging.getLogger("httpx").warning("connection pool is full")
        output = capsys.readouterr().out
    finally:
        configure_logging("test", "INFO")
    assert "cursor-123" not in output
    assert "connection pool is full" in output
