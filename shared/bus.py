"""The NATS connection of one process, kept alive through server restarts."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Sequence
from typing import Any

import nats
import nats.errors
import orjson
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js import JetStreamContext
from nats.js.api import Header, StorageType, StreamConfig
from nats.js.errors import APIError, BadRequestError, NoStreamResponseError

from shared.logging import get_logger
from shared.settings import Settings

log = get_logger(__name__)

DUPLICATE_WINDOW_SECONDS = 120.0
_REPLICAS_NEED_CLUSTER = 10074
"""JetStream's error code for replicas > 1 asked of a server that is not clustered."""
_STATE_POLL_SECONDS = 0.25
_CONNECT_TIMEOUT = 2
"""Seconds one attempt to reach a NATS server may take."""
_NO_RESPONDERS = "503"
_STATUS = Header.STATUS.value
_EXPECTED_STREAM = Header.EXPECTED_STREAM.value
_MSG_ID = Header.MSG_ID.value


class Wave:
    """Acknowledgements of one set of JetStream publishes (see :meth:`Publisher.send`).

    ``errors[i]`` is ``None`` once message ``i`` is stored, the error JetStream (or the
    client) gave for it, or still :data:`Wave.UNANSWERED`.
    """

    UNANSWERED: Any = object()

    def __init__(self, size: int) -> None:
        self.errors: list[BaseException | None] = [self.UNANSWERED] * size
        self.outstanding = 0
        self.answered: list[int] = []
        """Indexes answered (either way) since :meth:`take_answered` last ran."""
        self._changed = asyncio.Event()

    def _answer(self, index: int, error: BaseException | None) -> None:
        if self.errors[index] is not self.UNANSWERED:
            return
        self.errors[index] = error
        self.outstanding -= 1
        self.answered.append(index)
        self._changed.set()

    def take_answered(self) -> list[int]:
        answered, self.answered = self.answered, []
        return answered

    async def changed(self, timeout: float) -> None:
        """Wait until a message is answered (or ``timeout``)."""
        if self.answered or self.outstanding <= 0:
            return
        self._changed.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), timeout)


class Publisher:
    """Pipelined JetStream publishing without a future per message.

    nats-py's ``js.publish_async`` makes a future, a semaphore round and a header dict
    per message and decodes each ack with ``json``; the relay sends hundreds at once and
    only needs to know, per wave, which were stored. One reply subscription per
    connection, the reply subject's last token an index into the open waves, the
    headers encoded once per call and each ack decoded with orjson.
    """

    def __init__(self, nc: NATS) -> None:
        self._nc = nc
        self._prefix = ""
        self._sub: Subscription | None = None
        self._tokens = itertools.count()
        self._open: dict[str, tuple[Wave, int]] = {}

    async def _subscribe(self) -> None:
        self._prefix = self._nc.new_inbox() + "."
        self._sub = await self._nc.subscribe(self._prefix + "*", cb=self._on_reply)

    async def _on_reply(self, msg: Msg) -> None:
        found = self._open.pop(msg.subject[len(self._prefix) :], None)
        if found is None:
            return  # a wave that stopped waiting for it
        wave, index = found
        if msg.headers and msg.headers.get(_STATUS) == _NO_RESPONDERS:
            wave._answer(index, NoStreamResponseError())
            return
        try:
            answer = orjson.loads(msg.data)
            error = answer.get("error") if isinstance(answer, dict) else None
            wave._answer(index, APIError.from_error(error) if error else None)
        except Exception as exc:
            wave._answer(index, exc)

    async def send(
        self, stream: str, messages: Sequence[tuple[str, bytes, str]]
    ) -> tuple[Wave, BaseException | None]:
        """Publish ``(subject, payload, msg_id)`` messages expecting ``stream``; no waiting.

        Returns the wave and, if sending stopped part-way for a reason that is not the
        message's (the connection), that error: the wave then covers only the
        messages before the one that failed (``len(wave.errors)``). A message the
        client refuses for itself (over ``max_payload``) has its error at once.
        """
        if self._sub is None:
            await self._subscribe()
        wave = Wave(len(messages))
        headers = {_EXPECTED_STREAM: stream, _MSG_ID: ""}
        for index, (subject, payload, msg_id) in enumerate(messages):
            token = str(next(self._tokens))
            self._open[token] = (wave, index)
            wave.outstanding += 1
            # The client encodes the headers before its first await: one dict will do.
            headers[_MSG_ID] = msg_id
            try:
                await self._nc.publish(
                    subject, payload, reply=self._prefix + token, headers=headers
                )
            except nats.errors.MaxPayloadError as exc:
                wave._answer(index, exc)
                self._open.pop(token, None)
            except Exception as exc:
                self._open.pop(token, None)
                wave.outstanding -= 1
                del wave.errors[index:]
                return wave, exc
        return wave, None

    def forget(self, wave: Wave) -> None:
        """Stop waiting for a wave's unanswered messages (late acks are dropped)."""
        for token in [t for t, (w, _) in self._open.items() if w is wave]:
            del self._open[token]


# Status codes of a pull request's replies (no body, a Status header).
_IDLE_HEARTBEAT = "100"
_NO_MESSAGES = "404"
_REQUEST_TIMEOUT = "408"
_CONFLICT = "409"


async def fetch(psub: JetStreamContext.PullSubscription, batch: int, timeout: float) -> list[Msg]:
    """Up to ``batch`` messages of a pull subscription, like ``psub.fetch(batch, timeout)``.

    The same requests as nats-py's fetch (first what is there now, ``no_wait``; if that
    is nothing, one request that lingers for the rest of ``timeout``) and the same
    treatment of status replies, but the replies are read straight off the
    subscription's queue under one deadline. nats-py's fetch awaits each message with
    ``next_msg``: two tasks, a ``wait_for`` and a uuid4 per message, about a third of
    the raw fetch-and-ack path's CPU. Raises ``TimeoutError`` when nothing came. Falls
    back to ``psub.fetch`` should nats-py's internals ever look different.
    """
    sub: Any = getattr(psub, "_sub", None)
    queue = getattr(sub, "_pending_queue", None)
    nms = getattr(psub, "_nms", None)
    deliver = getattr(psub, "_deliver", None)
    nc = getattr(psub, "_nc", None)
    if (
        not isinstance(queue, asyncio.Queue)
        or not isinstance(nms, str)
        or not isinstance(deliver, str)
        or not isinstance(getattr(sub, "_pending_size", None), int)
        or nc is None
    ):
        return await psub.fetch(batch, timeout=timeout)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    msgs: list[Msg] = []

    def ended(msg: Msg) -> bool:
        """Take one reply; whether it ends the request."""
        sub._pending_size -= len(msg.data)
        status = msg.headers.get(_STATUS) if msg.headers else None
        if status is None:
            msgs.append(msg)
            return False
        if status in (_NO_MESSAGES, _REQUEST_TIMEOUT):
            return True
        if status in (_IDLE_HEARTBEAT, _CONFLICT):
            return False
        raise APIError.from_msg(msg)

    async def collect() -> None:
        while len(msgs) < batch:
            if queue.empty():
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return
                try:
                    async with asyncio.timeout(remaining):
                        msg = await queue.get()
                except TimeoutError:
                    return
            else:
                msg = queue.get_nowait()
            if ended(msg):
                return

    async def request(**fields: Any) -> None:
        await nc.publish(nms, orjson.dumps({"batch": batch - len(msgs), **fields}), deliver)

    # Replies to an earlier request that came after it returned; a status among them
    # was that request's end.
    while not queue.empty() and len(msgs) < batch:
        msg = queue.get_nowait()
        sub._pending_size -= len(msg.data)
        if not (msg.headers and msg.headers.get(_STATUS)):
            msgs.append(msg)
    if len(msgs) >= batch:
        return msgs
    # With messages in hand, no expires: the server would otherwise treat no_wait as a
    # lingering pull and hold the request for the whole expiry (see nats-py).
    expires = {} if msgs else {"expires": max(int(timeout * 1e9) - 100_000, 1)}
    await request(no_wait=True, **expires)
    await collect()
    if msgs:
        return msgs
    remaining = deadline - loop.time()
    if remaining * 1e9 - 100_000 <= 0:
        raise TimeoutError
    await request(expires=int(remaining * 1e9) - 100_000)
    await collect()
    if not msgs:
        raise TimeoutError
    return msgs


async def ack(msgs: Sequence[Msg]) -> None:
    """Acknowledge JetStream messages, as ``await msg.ack()`` would each, in one command.

    ``msg.ack()`` is a coroutine, subject checks, a command string and a pending-buffer
    append per message: about a sixth of the consumer's CPU per event. The acks of a
    batch go out as one write of the same ``PUB <reply> 0`` commands. A message that
    ``msg.ack()`` would refuse (no reply subject, acked already), messages of another
    connection, or a connection that is not plainly connected go through ``msg.ack()``
    one by one, with its errors.
    """
    if not msgs:
        return
    nc: Any = getattr(msgs[0], "_client", None)
    send = getattr(nc, "_send_command", None)
    flush = getattr(nc, "_flush_pending", None)
    stats = getattr(nc, "stats", None)
    if (
        send is None
        or flush is None
        or not isinstance(stats, dict)
        or not nc.is_connected
        or nc.is_draining_pubs
        or any(msg._client is not nc or not msg.reply or msg._ackd for msg in msgs)
    ):
        for msg in msgs:
            await msg.ack()
        return
    # What nats-py's pub_cmd writes for an empty payload and no reply subject.
    await send(b"".join([b"PUB " + msg.reply.encode() + b"  0\r\n\r\n" for msg in msgs]))
    stats["out_msgs"] = stats.get("out_msgs", 0) + len(msgs)
    for msg in msgs:
        msg._ackd = True
    # What publish() does after each command: kick the flusher unless a flush is queued.
    flushes = getattr(nc, "_flush_queue", None)
    if flushes is not None and flushes.empty():
        await flush()


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
        self._publisher: Publisher | None = None
        self._connected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._connecting = False
        self._closing = False

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

    @property
    def publisher(self) -> Publisher:
        """The connection's :class:`Publisher` (one reply subscription per connection)."""
        if self.nc is None:
            raise ConnectionError("NATS is not connected yet")
        if self._publisher is None:
            self._publisher = Publisher(self.nc)
        return self._publisher

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
        while not self._closing:
            try:
                self._js = None
                self._publisher = None
                self._connecting = True
                try:
                    self.nc = await self._connect()
                finally:
                    self._connecting = False
                self._connected.set()
                log.info("nats.connected", url=_safe(self.settings.nats_url))
                return
            except Exception as exc:
                if self._closing:
                    return
                log.warning("nats.connect_failed", error=type(exc).__name__, retry_in=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.settings.relay_max_backoff_seconds)

    async def _connect(self) -> NATS:
        return await nats.connect(
            self.settings.nats_servers(),
            name=self.name,
            allow_reconnect=True,
            max_reconnect_attempts=-1,
            reconnect_time_wait=0.5,
            connect_timeout=_CONNECT_TIMEOUT,
            disconnected_cb=self._on_disconnected,
            reconnected_cb=self._on_reconnected,
            error_cb=self._on_error,
        )

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
        self._closing = True
        if self._task is not None and not self._task.done():
            if self._connecting:
                # nats-py leaves the socket of a connect cancelled half-way open (a
                # ResourceWarning, a file descriptor lost): let the attempt finish first.
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(asyncio.shield(self._task), _CONNECT_TIMEOUT + 1)
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
