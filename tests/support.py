"""Helpers for tests: valid national ids, tokens, apps with their lifespan running."""

from __future__ import annotations

import asyncio
import os
import random
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from stdnum.no import fodselsnummer

from shared.auth import issue_dev_token
from shared.settings import Settings

_ISSUED: set[str] = set()
"""Numbers handed out in this test process: a random one is not handed out twice while the
birth date has unused numbers, so people born the same day in one test do not collide."""


def national_id(birth: date, individual: int | None = None, *, d_number: bool = False) -> str:
    """A valid fødselsnummer (or D-number) for ``birth``; check digits by python-stdnum."""
    rng = random.Random()
    repeats = 0
    while True:
        # Individual numbers 500-999 encode births 2000-2039; 000-499 the 1900s.
        low, high = (500, 1000) if 2000 <= birth.year <= 2039 else (0, 500)
        indiv = individual if individual is not None else rng.randrange(low, high)
        day = birth.day + (40 if d_number else 0)
        base = f"{day:02d}{birth.month:02d}{birth.year % 100:02d}{indiv:03d}"
        k1 = fodselsnummer.calc_check_digit1(base)
        if len(k1) != 1:
            individual = None
            continue
        k2 = fodselsnummer.calc_check_digit2(base + k1)
        if len(k2) != 1:
            individual = None
            continue
        number = base + k1 + k2
        # Past a few hundred people born the same day the numbers run out; then repeats.
        if individual is None and number in _ISSUED and repeats < 200:
            repeats += 1
            continue
        _ISSUED.add(number)
        return number


def token(
    settings: Settings,
    roles: list[str] | None = None,
    municipality: str = "3301",
    sub: str = "tester",
) -> str:
    roles = roles or ["caseworker", "manager"]
    return issue_dev_token(
        settings, sub=sub, roles=roles, municipality=municipality, agency="agency" in roles
    )


def auth(
    settings: Settings, roles: list[str] | None = None, municipality: str = "3301"
) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(settings, roles, municipality)}"}


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan (relay, consumers) running, and an in-process client."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


async def settled_participant(
    participants: httpx.AsyncClient,
    headers: dict[str, str],
    *,
    given_name: str = "Selam",
    family_name: str = "Tesfaye",
    born: date = date(1992, 5, 17),
    settled_on: str = "2024-03-01",
) -> str:
    """Register a participant (a D-number) and settle them, through the participants
    service's API; the participant's id."""
    registered = await participants.post(
        "/participants",
        headers=headers,
        json={
            "given_name": given_name,
            "family_name": family_name,
            "birth_date": born.isoformat(),
            "national_id": national_id(born, d_number=True),
        },
    )
    assert registered.status_code == 201, registered.text
    participant_id = str(registered.json()["id"])
    settled = await participants.post(
        f"/participants/{participant_id}/settlement",
        headers=headers,
        json={"settled_on": settled_on, "arrival_category": "resettlement_refugee"},
    )
    assert settled.status_code == 201, settled.text
    return participant_id


async def eventually(
    check: Callable[[], Awaitable[Any]], *, timeout: float = 20.0, interval: float = 0.05
) -> Any:
    """Poll ``check`` until it returns a truthy value; fail with its last value."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s; last value: {last!r}")


async def publish_foreign_event(
    settings: Settings,
    service: str,
    type_name: str,
    data: dict[str, Any],
    *,
    municipality: str = "3301",
    stream_id: str | None = None,
) -> str:
    """Publish a CloudEvent as if ``service`` had (for services a test does not run)."""
    import uuid as _uuid

    import nats
    from nats.js.api import StorageType, StreamConfig

    from shared.events import Envelope, parse_type_name

    _, aggregate, event, _ = parse_type_name(type_name)
    envelope = Envelope.recorded_now(
        type_name,
        data,
        service=service,
        stream_id=stream_id or str(_uuid.uuid4()),
        municipality=municipality,
        actor="test",
    )
    event_id = envelope.id
    nc = await nats.connect(settings.nats_url)
    try:
        js = nc.jetstream()
        try:
            await js.add_stream(
                StreamConfig(
                    name=settings.stream_name(service),
                    subjects=[f"{settings.subject_prefix(service)}.>"],
                    storage=StorageType.FILE,
                    duplicate_window=120,
                )
            )
        except Exception:
            pass
        await js.publish(
            f"{settings.subject_prefix(service)}.{aggregate}.{event}",
            envelope.to_json(),
            headers={"Nats-Msg-Id": str(event_id)},
        )
    finally:
        await nc.close()
    return str(event_id)


async def stream_messages(settings: Settings, service: str) -> list[dict[str, Any]]:
    """Every CloudEvent currently on ``service``'s JetStream stream, in order."""
    import json as _json

    import nats

    nc = await nats.connect(settings.nats_url)
    try:
        js = nc.jetstream()
        info = await js.stream_info(settings.stream_name(service))
        messages = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            try:
                raw = await js.get_msg(settings.stream_name(service), seq)
            except Exception:
                continue
            messages.append(_json.loads(raw.data or b"{}"))
        return messages
    finally:
        await nc.close()


REPO = Path(__file__).resolve().parents[1]


def child_environment(settings: Settings, **veiviser: str) -> dict[str, str]:
    """The environment of a process the test starts: this one's without any ``VEIVISER_``
    setting, then the test's databases and NATS namespace, then ``veiviser``
    (``log_level="DEBUG"`` is ``VEIVISER_LOG_LEVEL=DEBUG``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VEIVISER_")}
    env |= {
        "VEIVISER_DATABASE_URL": settings.database_url,
        "VEIVISER_DATABASE_PREFIX": settings.database_prefix,
        "VEIVISER_NATS_URL": settings.nats_url,
        "VEIVISER_NAMESPACE": settings.namespace,
    }
    return env | {f"VEIVISER_{name.upper()}": value for name, value in veiviser.items()}


async def python_module(
    settings: Settings, module: str, *args: str, stdout: Any, stderr: Any, **veiviser: str
) -> asyncio.subprocess.Process:
    """``python -m module args`` from the repository, in :func:`child_environment`."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        module,
        *args,
        cwd=REPO,
        env=child_environment(settings, **veiviser),
        stdout=stdout,
        stderr=stderr,
    )


def registration(
    born: date, ident: str | None = None, *, given: str = "Test", family: str = "Person"
) -> dict[str, str]:
    """The body of ``POST /participants`` for someone born on ``born`` (with a fresh
    D-number unless ``ident`` is given)."""
    return {
        "given_name": given,
        "family_name": family,
        "birth_date": born.isoformat(),
        "national_id": ident or national_id(born, d_number=True),
    }
