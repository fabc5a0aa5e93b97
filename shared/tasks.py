"""Background work that lives exactly as long as the work it serves."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Coroutine
from typing import Any


async def beside(main: Awaitable[None], helper: Coroutine[Any, Any, None], name: str) -> None:
    """Await ``main`` with ``helper`` running as a task named ``name``; however ``main``
    ends (done, failed, cancelled), ``helper`` is cancelled and awaited before this returns.

    For a loop's companion (the consumer's reconciler, the relay's listener) that must
    neither outlive the loop nor be left pending when the process stops.
    """
    task = asyncio.create_task(helper, name=name)
    try:
        await main
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def first_of(*events: asyncio.Event, timeout: float | None = None) -> None:
    """Return as soon as any of ``events`` is set, or after ``timeout`` seconds; the
    waits on the others are cancelled (a loop's wake-up, its stop, a lost connection)."""
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
