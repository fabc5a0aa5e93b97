"""Representation ETags on resources and ``If-None-Match`` → ``304 Not Modified``.

:class:`ConditionalGet` is a pure ASGI middleware. Every ``GET`` answered ``200`` with a
JSON body (``application/json``, not problem details) gets

* ``ETag: "<hash>"`` — a strong validator: the first 32 hex digits of the SHA-256 of the
  body and its ``Content-Language``, so the bokmål and the English answer of one
  resource (``Vary: Accept-Language``) never share a tag;
* ``Cache-Control: private, no-cache`` unless the route set its own: answers hold
  personal data and are for the caller only, and a browser must ask again (with
  ``If-None-Match``) before reusing a stored one.

A ``GET`` whose ``If-None-Match`` lists that tag (or ``*``) gets ``304`` with no body
(weak comparison, RFC 9110 §13.1.2: ``W/"x"`` matches ``"x"``).

Two different things, two headers:

* ``ETag`` / ``If-None-Match`` — *has this answer changed?* A hash of what was sent.
* ``If-Match`` on a command — *the stream version I last read* (``3``, ``"3"`` or
  ``W/"3"``; see :func:`shared.commands.expected_version`). A command answers the new
  version in ``Stream-Version`` and in its body; it is not an ETag.
"""

from __future__ import annotations

import hashlib

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_TAGGED_BYTES = 16 * 1024 * 1024
"""Bodies longer than this are passed on as they come, without an ETag."""

# Headers a 304 keeps (RFC 9110 §15.4.5): the rest describe a body that is not sent.
_KEPT_ON_304 = {b"etag", b"vary", b"cache-control", b"content-location", b"expires", b"date"}


def representation_tag(body: bytes, content_language: str = "") -> str:
    """The strong ETag (quoted) of a body in a language."""
    digest = hashlib.sha256(content_language.encode() + b"\n" + body).hexdigest()
    return f'"{digest[:32]}"'


def matches(if_none_match: str, tag: str) -> bool:
    """Whether ``If-None-Match`` (a list of tags, or ``*``) names ``tag`` (weak comparison)."""
    if if_none_match.strip() == "*":
        return True
    opaque = tag.removeprefix("W/")
    return any(
        candidate.strip().removeprefix("W/") == opaque for candidate in if_none_match.split(",")
    )


class ConditionalGet:
    """Pure ASGI middleware: ETag on JSON ``GET`` answers, 304 for a matching If-None-Match."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        if_none_match = ""
        for name, value in scope.get("headers", []):
            if name == b"if-none-match":
                if_none_match = bytes(value).decode("latin-1")
        start: Message | None = None
        chunks: list[bytes] = []
        size = 0
        passing = False

        async def tagging_send(message: Message) -> None:
            nonlocal start, size, passing
            if passing:
                await send(message)
                return
            if message["type"] == "http.response.start":
                if not _taggable(message):
                    passing = True
                    await send(message)
                    return
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            chunk = bytes(message.get("body", b""))
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_TAGGED_BYTES:
                passing = True
                await send(start)
                await send({**message, "body": b"".join(chunks)})
                return
            if message.get("more_body", False):
                return
            await _answer(scope, send, start, b"".join(chunks), if_none_match)

        await self.app(scope, receive, tagging_send)


def _taggable(start: Message) -> bool:
    if start["status"] != 200:
        return False
    for name, value in start.get("headers", []):
        lowered = bytes(name).lower()
        if lowered == b"content-type":
            kind = bytes(value).split(b";")[0].strip().lower()
            if kind != b"application/json":
                return False
        elif lowered == b"etag":
            return False
    return True


async def _answer(
    scope: Scope, send: Send, start: Message, body: bytes, if_none_match: str
) -> None:
    headers = list(start.get("headers", []))
    # The locale is known once the route has run (the Locale dependency or a problem).
    language = str(scope.get("state", {}).get("locale") or "")
    tag = representation_tag(body, language)
    headers.append((b"etag", tag.encode()))
    if not any(bytes(name).lower() == b"cache-control" for name, _ in headers):
        headers.append((b"cache-control", b"private, no-cache"))
    if if_none_match and matches(if_none_match, tag):
        kept = [(n, v) for n, v in headers if bytes(n).lower() in _KEPT_ON_304]
        await send({"type": "http.response.start", "status": 304, "headers": kept})
        await send({"type": "http.response.body", "body": b""})
        return
    await send({**start, "headers": headers})
    await send({"type": "http.response.body", "body": body})
