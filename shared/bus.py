"""The NATS connection of one process, kept alive through server restarts."""

from __future__ import annotations

import asyncio
import contextlib

import nats
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from nats.js.api import StorageType, StreamConfig
from nats.js.errors import APIError, BadRequestError

from shared.logging import get_logger
from shared.settings import Settings

log = get_logger(__name__)

DUPLICATE_WINDOW_SECONDS = 120.0
_REPLICAS_NEED_CLUSTER = 10074
"""JetStream's error code for replicas > 1 asked of a server that is not clustered."""
_STATE_POLL_SECONDS = 0.25


class Bus:
    """Connects in the background and reconnects forever.

    The service starts and serves HTTP while NATS is down; the relay and consumers
    wait on :meth:`wait_connected` and back off until it comes back.
    """

    def __init__(self, settings: Settings, name: str) -> None:
        self.settings = settings
        self.name = name
        self.nc: NATS | None = None
        self._js: JetStreamContext | None = None
        self._connected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def connected(self) -> bool:
        return self.nc is not None and self.nc.is_connected

    @property
    def js(self) -> JetStreamContext:
        if self.nc is None:
            raise ConnectionError("NATS is not connected yet")
        # One context per connection: each context subscribes its own reply inbox on its
        # first publish_async, so a fresh one per relay pass would leak a subscription.
        if self._js is None:
            self._js = self.nc.jetstream(timeout=5.0)
        return self._js

    def server_max_payload(self) -> int | None:
        """The largest message the server takes (its ``max_payload``), once connected."""
        if self.nc is None or self.nc.is_closed:
            return None
        return int(self.nc.max_payload)

    def start(self) -> None:
        self._task = asyncio.create_task(self._connect_forever(), name=f"{self.name}-nats")

    async def wait_connected(self, timeout: float | None = None) -> bool:
        """Wait until the connection is up; ``False`` if it is still down after ``timeout``.

        While NATS is away this really waits: the relay and consumers loop on it, and a
        call that returned at once would turn their loops into a busy spin that starves
        the event loop.
        """
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while not self.connected:
            # The flag is set on (re)connect, but the client's state changes a moment
            # before its callbacks run: clear it to wait for the next reconnect, in short
            # slices that re-check the state itself.
            self._connected.clear()
            remaining = _STATE_POLL_SECONDS
            if deadline is not None:
                remaining = min(remaining, deadline - loop.time())
                if remaining <= 0:
                    return False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._connected.wait(), remaining)
        return True

    async def _connect_forever(self) -> None:
        delay = 0.2
        while True:
            try:
                self._js = None
                self.nc = await nats.connect(
                    self.settings.nats_servers(),
                    name=self.name,
                    allow_reconnect=True,
                    max_reconnect_attempts=-1,
                    reconnect_time_wait=0.5,
                    connect_timeout=2,
                    disconnected_cb=self._on_disconnected,
                    reconnected_cb=self._on_reconnected,
                    error_cb=self._on_error,
                )
                self._connected.set()
                log.info("nats.connected", url=_safe(self.settings.nats_url))
                return
            except Exception as exc:
                log.warning("nats.connect_failed", error=type(exc).__name__, retry_in=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.settings.relay_max_backoff_seconds)

    async def _on_disconnected(self) -> None:
        log.warning("nats.disconnected")

    async def _on_reconnected(self) -> None:
        self._connected.set()
        log.info("nats.reconnected")

    async def _on_error(self, exc: Exception) -> None:
        log.warning("nats.error", error=type(exc).__name__)

    async def ensure_stream(self, service: str) -> None:
        """Create (or align) the file-backed JetStream stream of ``service``'s events.

        The stream gets ``stream_replicas`` replicas. An existing stream with fewer is
        scaled up to that; one with more keeps its replicas, so a process started with
        the default (a one-off command, an older replica) never scales a cluster's
        streams down.
        """
        name = self.settings.stream_name(service)
        config = StreamConfig(
            name=name,
            subjects=[f"{self.settings.subject_prefix(service)}.>"],
            storage=StorageType.FILE,
            duplicate_window=DUPLICATE_WINDOW_SECONDS,
            num_replicas=self.settings.stream_replicas,
        )
        try:
            await self.js.add_stream(config)
            return
        except BadRequestError:
            pass  # it exists with another configuration
        except APIError as exc:
            if exc.err_code == _REPLICAS_NEED_CLUSTER:
                log.error(
                    "nats.stream_refused",
                    stream=name,
                    replicas=self.settings.stream_replicas,
                    reason="more than one replica needs a clustered NATS: set "
                    "VEIVISER_STREAM_REPLICAS=1 or point VEIVISER_NATS_URL at a cluster",
                )
            raise
        existing = await self.js.stream_info(name)
        current = existing.config.num_replicas or 1
        config.num_replicas = max(current, self.settings.stream_replicas)
        await self.js.update_stream(config)
        if current < config.num_replicas:
            log.info("nats.stream_scaled", stream=name, replicas=config.num_replicas, was=current)

    async def close(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.nc is not None and not self.nc.is_closed:
            with contextlib.suppress(Exception):
                if self.nc.is_connected:
                    await asyncio.wait_for(self.nc.drain(), timeout=5)
                else:
                    await self.nc.close()


def _safe(url: str) -> str:
    """The URL(s) without credentials, for logs."""
    return ",".join(part.split("@")[-1] for part in url.split(","))
