"""Helpers for tests: valid national ids, tokens, apps with their lifespan running."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import date
from typing import Any

import httpx
from fastapi import FastAPI
from stdnum.no import fodselsnummer

from shared.auth import issue_dev_token
from shared.settings import Settings


def national_id(birth: date, individual: int | None = None, *, d_number: bool = False) -> str:
    """A valid fødselsnummer (or D-number) for ``birth``; check digits by python-stdnum."""
    rng = random.Random()
    while True:
        indiv = individual if individual is not None else rng.randrange(0, 500)
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
        return base + k1 + k2


def token(
    settings: Settings, roles: list[str] | None = None, municipality: str = "3301", sub: str = "tester"
) -> str:
    return issue_dev_token(
        settings, sub=sub, roles=roles or ["caseworker", "manager"], municipality=municipality
    )


def auth(settings: Settings, roles: list[str] | None = None, municipality: str = "3301") -> dict[str, str]:
    return {"Authorization": f"Bearer {token(settings, roles, municipality)}"}


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan (relay, consumers) running, and an in-process client."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


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
