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
