"""Request limits every service gets from the kit, before any handler runs.

:class:`RequestLimits` is a pure ASGI middleware that

* reads the request body up to ``max_request_bytes`` and answers 413 beyond it —
  judged by ``Content-Length`` when there is one, by counting when the body comes
  chunked without it;
* refuses NUL characters (U+0000) anywhere in the strings of a JSON body (keys and
  values), in a form or text body, and in query and path parameters with 422
  ``nul-character`` naming the field: PostgreSQL cannot store NUL in text, and a
  service must never get as far as sending one.

The body is buffered (at most the limit) and handed on unchanged, so handlers read
it as usual.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.i18n import catalog, language_headers, negotiate
from shared.problems import PROBLEM_BASE, PROBLEM_JSON, translated
from shared.rules import rule

NUL_CHARACTER = rule(
    "nul-character",
    422,
    "NUL character in text",
    description="Text (JSON strings and keys, form and CSV bodies, query and path "
    "parameters) must not contain the NUL character U+0000.",
)
REQUEST_TOO_LARGE = "request-too-large"
DRAIN_BYTES = 8 * 1024 * 1024
"""How much of an oversized chunked body is read (and dropped) before answering 413."""
_NUL = "\x00"


class RequestLimits:
    """Pure ASGI middleware: body size limit (413) and the NUL rule (422)."""

    def __init__(self, app: ASGIApp, max_request_bytes: int) -> None:
        self.app = app
        self.max_request_bytes = max_request_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_request_bytes:
            if declared <= self.max_request_bytes + DRAIN_BYTES:
                await _drain(receive)
            await self._too_large(scope, send)
            return
        body, extra = await self._read_body(receive)
        if body is None:
            await self._too_large(scope, send)
            return
        errors = _nul_in_parameters(scope) + _nul_in_body(scope, body)
        if errors:
            names = ", ".join(dict.fromkeys(e["field"] for e in errors))
            await _send_json(
                scope, send, 422, _nul_problem(scope, errors), params={"fields": names}
            )
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            if extra is not None:
                return extra
            return await receive()

        await self.app(scope, replay, send)

    async def _read_body(self, receive: Receive) -> tuple[bytes | None, Message | None]:
        """The whole body, or None once it passes the limit.

        Also returns a disconnect message that arrived instead of the rest of the
        body, to hand on to the app.
        """
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return b"".join(chunks), message
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_request_bytes:
                if message.get("more_body", False):
                    await _drain(receive)
                return None, None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks), None

    async def _too_large(self, scope: Scope, send: Send) -> None:
        limit = self.max_request_bytes
        body = {
            "type": PROBLEM_BASE + REQUEST_TOO_LARGE,
            "title": "Request body too large",
            "status": 413,
            "detail": f"The request body is larger than {limit} bytes, the most this service "
            "accepts (setting VEIVISER_MAX_REQUEST_BYTES).",
            "instance": scope.get("path", ""),
            "code": REQUEST_TOO_LARGE,
            "max_bytes": limit,
        }
        await _send_json(scope, send, 413, body, close=True, params={"max_bytes": limit})


async def _drain(receive: Receive) -> None:
    """Read and drop the rest of an oversized body, up to a bound.

    A client still sending when the server answers and closes often loses the
    answer (the connection is reset under it); reading the rest first lets it see
    the 413. Past :data:`DRAIN_BYTES` the connection is simply closed.
    """
    drained = 0
    while drained <= DRAIN_BYTES:
        message = await receive()
        if message["type"] != "http.request":
            return
        drained += len(message.get("body", b""))
        if not message.get("more_body", False):
            return


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _content_type(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            return str(value.decode("latin-1").split(";")[0].strip().lower())
    return ""


def _shown(name: str) -> str:
    return name.replace(_NUL, "\\u0000")


def _nul_in_parameters(scope: Scope) -> list[dict[str, str]]:
    errors: list[dict[str, str]] = []
    query = scope.get("query_string", b"").decode("latin-1")
    for key, value in parse_qsl(query, keep_blank_values=True):
        if _NUL in key or _NUL in value:
            errors.append(_error(_shown(key), "query"))
    path = str(scope.get("path", ""))
    if _NUL in path:
        errors.extend(_error(name, "path") for name in _nul_path_parameters(scope) or ["path"])
    return errors


def _nul_path_parameters(scope: Scope) -> list[str]:
    """Names of the path parameters that hold a NUL (empty if no documented path matches).

    The middleware runs before routing, so the route's parameters are found from the
    app's OpenAPI path templates (rare enough — only for a path holding a NUL).
    """
    openapi = getattr(scope.get("app"), "openapi", None)
    if openapi is None:
        return []
    path = str(scope.get("path", ""))
    for template in openapi().get("paths", {}):
        match = _template_regex(template).fullmatch(path)
        if match:
            return [name for name, value in match.groupdict().items() if _NUL in value]
    return []


@functools.lru_cache(maxsize=1024)
def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::path)?\}", template)
    pattern = "".join(
        re.escape(part) if index % 2 == 0 else f"(?P<{part}>[^/]+)"
        for index, part in enumerate(parts)
    )
    return re.compile(pattern, re.DOTALL)


def _nul_in_body(scope: Scope, body: bytes) -> list[dict[str, str]]:
    if not body:
        return []
    kind = _content_type(scope)
    if kind in ("", "application/json") or kind.endswith("+json"):
        try:
            document = json.loads(body)
        except ValueError:
            # Not JSON after all: the handler's own parsing answers for it.
            return []
        return [_error(field, "body") for field in _nul_fields(document, ())]
    if kind == "application/x-www-form-urlencoded":
        form = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        return [_error(_shown(key), "body") for key, value in form if _NUL in key + value]
    if kind.startswith("text/") and b"\x00" in body:
        line = body[: body.index(b"\x00")].count(b"\n") + 1
        return [_error(f"line {line}", "body")]
    return []


def _nul_fields(value: Any, path: tuple[str, ...]) -> list[str]:
    """Dotted paths (like validation errors') of the strings in ``value`` holding a NUL."""
    if isinstance(value, str):
        return [".".join(path) or "body"] if _NUL in value else []
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            here = (*path, _shown(key))
            if _NUL in key:
                found.append(".".join(here))
            found.extend(_nul_fields(item, here))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_nul_fields(item, (*path, str(index))))
    return found


def _error(field: str, location: str) -> dict[str, str]:
    return {
        "field": field,
        "location": location,
        "message": "must not contain the NUL character (U+0000)",
        "type": NUL_CHARACTER.code,
    }


def _nul_problem(scope: Scope, errors: list[dict[str, str]]) -> dict[str, Any]:
    names = ", ".join(dict.fromkeys(e["field"] for e in errors))
    return {
        "type": PROBLEM_BASE + NUL_CHARACTER.code,
        "title": NUL_CHARACTER.title,
        "status": 422,
        "detail": f"NUL characters (U+0000) are not accepted in: {names}.",
        "instance": scope.get("path", "").replace(_NUL, "\\u0000"),
        "code": NUL_CHARACTER.code,
        "errors": errors,
    }


def _accept_language(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"accept-language":
            return bytes(value).decode("latin-1")
    return None


async def _send_json(
    scope: Scope,
    send: Send,
    status: int,
    body: dict[str, Any],
    *,
    close: bool = False,
    params: dict[str, Any] | None = None,
) -> None:
    # In the request's language like every other problem (problem.<code>.* in the kit's
    # catalog); the English sentence stays in detail_en.
    locale = negotiate(_accept_language(scope))
    english = str(body["detail"])
    body["title"], body["detail"] = translated(
        catalog("shared"), f"problem.{body['code']}", locale, body["title"], english, params or {}
    )
    body["detail_en"] = english
    raw = json.dumps(body).encode()
    headers = [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(raw)).encode()),
        *((k.lower().encode(), v.encode()) for k, v in language_headers(locale).items()),
    ]
    if close:
        # The rest of an oversized body is never read; the connection cannot be reused.
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": raw})
