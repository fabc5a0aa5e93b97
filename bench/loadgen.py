"""A small HTTP/1.1 load generator, run as its own process: ``python -m bench.loadgen SPEC OUT``.

It keeps ``connections`` keep-alive TCP connections open and writes pre-built requests
on them, parsing only the status line and ``Content-Length`` of each answer: per request
it costs a few tens of microseconds, so on a 2-core machine almost all CPU stays with the
server being measured. Two modes:

* ``closed``: every connection sends its next request as soon as the previous answer
  arrived (fixed concurrency); the answer is the throughput over the timed requests.
* ``rate``: requests are due at a fixed rate (open loop); each is sent on a free
  connection as soon as it is due, and its own due time, answer time and status are
  recorded (times are ``time.monotonic()``, which is system-wide on Linux, so another
  process can compare them with its own clock).

The spec is JSON: ``host``, ``port``, ``mode``, ``connections``, ``rate`` (rate mode),
``headers`` (sent with every request), ``warmup`` and ``requests`` (lists of
``{"method", "path", "body", "tag"}``, ``body`` a JSON value or null),
``keep_bodies`` (return the answer bodies of the timed requests) and, in rate mode,
``duration`` (seconds after which requests still unsent are dropped: a server that falls
behind gets the offered rate for that long, not a backlog to work off afterwards).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from dataclasses import dataclass
from typing import Any


@dataclass
class Request:
    raw: bytes
    tag: str


@dataclass
class Outcome:
    tag: str
    status: int
    due: float
    done: float
    latency: float
    body: bytes | None = None


@dataclass
class Spec:
    host: str
    port: int
    mode: str
    connections: int
    rate: float
    warmup: list[Request]
    requests: list[Request]
    keep_bodies: bool = False
    duration: float | None = None


def build_request(host: str, item: dict[str, Any], headers: dict[str, str]) -> Request:
    body = b"" if item.get("body") is None else json.dumps(item["body"]).encode()
    lines = [f"{item.get('method', 'POST')} {item['path']} HTTP/1.1", f"Host: {host}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if body:
        lines.append("Content-Type: application/json")
    lines.append(f"Content-Length: {len(body)}")
    raw = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
    return Request(raw, str(item.get("tag", "")))


def load_spec(path: str) -> Spec:
    with open(path) as handle:
        doc = json.load(handle)
    headers = doc.get("headers", {})
    host = f"{doc['host']}:{doc['port']}"
    return Spec(
        host=doc["host"],
        port=int(doc["port"]),
        mode=doc.get("mode", "closed"),
        connections=int(doc.get("connections", 32)),
        rate=float(doc.get("rate", 0.0)),
        warmup=[build_request(host, item, headers) for item in doc.get("warmup", [])],
        requests=[build_request(host, item, headers) for item in doc["requests"]],
        keep_bodies=bool(doc.get("keep_bodies", False)),
        duration=float(doc["duration"]) if doc.get("duration") else None,
    )


class Connection:
    """One keep-alive HTTP/1.1 connection; reconnects once if the server closed it."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except OSError:
                pass

    async def send(self, request: Request) -> tuple[int, bytes]:
        for attempt in (1, 2):
            try:
                return await self._exchange(request)
            except (ConnectionError, asyncio.IncompleteReadError):
                if attempt == 2:
                    raise
                await self.close()
                await self.open()
        raise AssertionError("unreachable")

    async def _exchange(self, request: Request) -> tuple[int, bytes]:
        assert self.reader is not None and self.writer is not None
        self.writer.write(request.raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        close = False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            lowered = name.strip().lower()
            if lowered == b"content-length":
                length = int(value.strip())
            elif lowered == b"transfer-encoding":
                raise ValueError("chunked answers are not supported by this load generator")
            elif lowered == b"connection" and value.strip().lower() == b"close":
                close = True
        body = await self.reader.readexactly(length) if length else b""
        if close:
            await self.close()
            await self.open()
        return status, body


async def _closed_loop(
    conns: list[Connection], requests: list[Request], keep_bodies: bool
) -> list[Outcome]:
    outcomes: list[Outcome] = []
    cursor = iter(requests)

    async def worker(conn: Connection) -> None:
        for request in cursor:
            started = time.monotonic()
            status, body = await conn.send(request)
            done = time.monotonic()
            outcomes.append(
                Outcome(
                    request.tag,
                    status,
                    started,
                    done,
                    done - started,
                    body if keep_bodies else None,
                )
            )

    await asyncio.gather(*(worker(conn) for conn in conns))
    return outcomes


async def _open_loop(
    conns: list[Connection],
    requests: list[Request],
    rate: float,
    keep_bodies: bool,
    duration: float | None,
) -> list[Outcome]:
    outcomes: list[Outcome] = []
    free: asyncio.Queue[Connection] = asyncio.Queue()
    for conn in conns:
        free.put_nowait(conn)
    pending: set[asyncio.Task[None]] = set()

    async def one(conn: Connection, request: Request, due: float) -> None:
        try:
            status, body = await conn.send(request)
        finally:
            free.put_nowait(conn)
        done = time.monotonic()
        # Latency from the due time, so a server that falls behind is not flattered by
        # requests that simply waited for a free connection (coordinated omission).
        outcomes.append(
            Outcome(request.tag, status, due, done, done - due, body if keep_bodies else None)
        )

    start = time.monotonic() + 0.05
    for index, request in enumerate(requests):
        due = start + index / rate
        if duration is not None and due > start + duration:
            break
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        conn = await free.get()
        if duration is not None and time.monotonic() > start + duration:
            # The server fell behind: what is still unsent at the end is not sent at all.
            free.put_nowait(conn)
            break
        task = asyncio.create_task(one(conn, request, due))
        pending.add(task)
        task.add_done_callback(pending.discard)
    if pending:
        await asyncio.gather(*pending)
    return outcomes


async def run(spec: Spec) -> dict[str, Any]:
    conns = [Connection(spec.host, spec.port) for _ in range(spec.connections)]
    await asyncio.gather(*(conn.open() for conn in conns))
    try:
        if spec.warmup:
            await _closed_loop(conns, spec.warmup, False)
        started = time.monotonic()
        if spec.mode == "rate":
            outcomes = await _open_loop(
                conns, spec.requests, spec.rate, spec.keep_bodies, spec.duration
            )
        else:
            outcomes = await _closed_loop(conns, spec.requests, spec.keep_bodies)
        elapsed = time.monotonic() - started
    finally:
        await asyncio.gather(*(conn.close() for conn in conns))
    statuses: dict[str, int] = {}
    for outcome in outcomes:
        statuses[str(outcome.status)] = statuses.get(str(outcome.status), 0) + 1
    return {
        "elapsed": elapsed,
        "count": len(outcomes),
        "statuses": statuses,
        "outcomes": [
            {
                "tag": o.tag,
                "status": o.status,
                "due": o.due,
                "done": o.done,
                "latency": o.latency,
                **({"body": o.body.decode(errors="replace")} if o.body is not None else {}),
            }
            for o in outcomes
        ],
    }


def main() -> None:
    spec_path, out_path = sys.argv[1], sys.argv[2]
    spec = load_spec(spec_path)
    try:
        import uvloop
    except ImportError:
        result = asyncio.run(run(spec))
    else:
        result = uvloop.run(run(spec))
    with open(out_path, "w") as handle:
        json.dump(result, handle)


if __name__ == "__main__":
    main()
