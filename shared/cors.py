"""CORS for browser apps on other origins, from :class:`~shared.settings.Settings`.

Starlette's :class:`~starlette.middleware.cors.CORSMiddleware` does the work; this
subclass only makes a refusal unmistakable:

* a preflight that is refused (origin, method or a request header not allowed) is
  answered ``403`` with problem details (``cors-preflight-refused``, what was refused in
  ``refused``) and no ``Access-Control-*`` header at all, instead of Starlette's plain
  text 400 that still lists the allowed methods and headers;
* an ordinary request from an origin that is not allowed gets no ``Access-Control-*``
  header either (Starlette adds ``Access-Control-Expose-Headers`` to every answer to a
  request with an ``Origin``), so the browser withholds the answer from the page.

No origin is allowed unless configured (``VEIVISER_CORS_ALLOWED_ORIGINS``).
"""

from __future__ import annotations

import json
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Send

from shared.i18n import catalog, language_headers, negotiate
from shared.problems import PROBLEM_BASE, PROBLEM_JSON, translated
from shared.settings import Settings

CORS_PREFLIGHT_REFUSED = "cors-preflight-refused"

EXPOSED_HEADERS: tuple[str, ...] = (
    "Location",
    "ETag",
    "Idempotency-Key",
    "Idempotent-Replayed",
    "X-Correlation-Id",
    "Content-Language",
    "Deprecation",
    "Sunset",
    "Link",
    "Stream-Version",
)
"""Response headers a page on an allowed origin may read (besides the safelisted ones)."""


class Cors(CORSMiddleware):
    """Starlette's CORS middleware with refusals that say so (see the module's docstring)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        super().__init__(
            app,
            allow_origins=settings.cors_allowed_origins,
            allow_methods=settings.cors_allowed_methods,
            allow_headers=settings.cors_allowed_headers,
            allow_credentials=settings.cors_allow_credentials,
            expose_headers=EXPOSED_HEADERS,
            max_age=settings.cors_max_age_seconds,
        )

    def preflight_response(self, request_headers: Headers) -> Response:
        allowed = super().preflight_response(request_headers)
        if allowed.status_code < 400:
            return allowed
        refused = bytes(allowed.body).decode().removeprefix("Disallowed CORS ").split(", ")
        return _refusal(request_headers, refused)

    async def send(self, message: Message, send: Send, request_headers: Headers) -> None:
        origin = request_headers.get("origin")
        if (
            message["type"] != "http.response.start"
            or origin is None
            or self.is_allowed_origin(origin)
        ):
            await super().send(message, send, request_headers)
            return
        # A caching proxy must not hand this answer to an allowed origin's page or back.
        headers = MutableHeaders(scope=message)
        headers["Vary"] = ", ".join([*headers.getlist("Vary"), "Origin"])
        await send(message)


def cross_origin_headers(settings: Settings, origin: str | None) -> dict[str, str]:
    """The CORS headers of an answer the middleware never sees: the 500 of an unhandled
    error is sent from outside every middleware, and a page must still read its
    correlation id. Empty for a request without ``Origin`` or from an origin not allowed.
    """
    origins = settings.cors_allowed_origins
    if origin is None or ("*" not in origins and origin not in origins):
        return {}
    explicit = "*" not in origins or settings.cors_allow_credentials
    headers = {
        "Access-Control-Allow-Origin": origin if explicit else "*",
        "Access-Control-Expose-Headers": ", ".join(EXPOSED_HEADERS),
    }
    if settings.cors_allow_credentials:
        headers["Access-Control-Allow-Credentials"] = "true"
    return headers


def _refusal(request_headers: Headers, refused: list[str]) -> Response:
    locale = negotiate(request_headers.get("accept-language"))
    what = ", ".join(refused)
    english = (
        f"This browser request is not allowed across origins (refused: {what}). The "
        "service's operator lists the allowed origins, methods and headers "
        "(VEIVISER_CORS_ALLOWED_ORIGINS, _METHODS, _HEADERS)."
    )
    title, detail = translated(
        catalog("shared"),
        f"problem.{CORS_PREFLIGHT_REFUSED}",
        locale,
        "Cross-origin request not allowed",
        english,
        {"refused": what},
    )
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + CORS_PREFLIGHT_REFUSED,
        "title": title,
        "status": 403,
        "detail": detail,
        "detail_en": english,
        "code": CORS_PREFLIGHT_REFUSED,
        "refused": refused,
    }
    return Response(
        json.dumps(body),
        status_code=403,
        media_type=PROBLEM_JSON,
        headers=language_headers(locale)
        | {
            "Vary": "Origin, Access-Control-Request-Method, Access-Control-Request-Headers, "
            "Accept-Language"
        },
    )
