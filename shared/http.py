"""HTTP kit: problem details for every error, correlation ids, health, readiness, metrics."""

from __future__ import annotations

import inspect
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import structlog
from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.commands import IdempotencyKeyReused
from shared.cors import cross_origin_headers
from shared.eventstore import ConcurrencyConflict
from shared.i18n import ENGLISH, Catalog, catalog, fill, language_headers, request_locale
from shared.logging import describe_exception, get_logger
from shared.metrics import Metrics
from shared.problems import (
    PROBLEM_BASE,
    PROBLEM_JSON,
    InvalidInput,
    Problem,
    VersionConflict,
    translated,
)
from shared.rules import RuleViolation

log = get_logger(__name__)

CORRELATION_HEADER = "X-Correlation-ID"
_SAFE_CORRELATION = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")


class FieldError(BaseModel):
    field: str = Field(description="Dotted path of the offending field, e.g. 'national_id'.")
    location: str = Field(default="body", description="body, query, path or header.")
    message: str = Field(description="What is wrong with the field, in the request's language.")
    type: str
    message_en: str | None = Field(
        default=None, description="The same in English, as the validator said it."
    )


class ProblemDetails(BaseModel):
    """RFC 9457 problem details (``application/problem+json``)."""

    type: str
    title: str
    status: int
    detail: str = Field(
        description="What happened, in the request's language (bokmål unless "
        "Accept-Language asks for nn or en)."
    )
    detail_en: str | None = Field(
        default=None,
        description="The English sentence with the ids, dates and values involved (not "
        "translated; for support and logs).",
    )
    instance: str | None = None
    code: str | None = Field(
        default=None,
        description="Stable machine-readable code, e.g. `overlapping-leave`; the last part of `type`.",
    )
    errors: list[FieldError] | None = None
    facts: dict[str, Any] | None = Field(
        default=None, description="The dates and values the rule compared (rule violations only)."
    )
    current_version: int | None = None
    expected_version: int | None = None
    correlation_id: str | None = None


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries documenting problem-details errors."""
    descriptions = {
        400: "Bad request",
        401: "Missing, invalid or expired bearer token",
        403: "The token's roles do not allow this",
        404: "Not found (or belongs to another municipality)",
        409: "Conflicts with the current state; the body says how to retry",
        422: "Invalid input; `errors` names each field",
    }
    return {
        status: {
            "model": ProblemDetails,
            "description": descriptions.get(status, "Error"),
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}},
        }
        for status in statuses
    }


def add_generated_route(
    router: APIRouter,
    method: str,
    path: str,
    endpoint: Callable[..., Any],
    parameters: Sequence[inspect.Parameter],
    *,
    name: str,
    return_annotation: Any = inspect.Signature.empty,
    **route: Any,
) -> None:
    """Register an endpoint built by a factory (a declared command) under its own name.

    FastAPI reads path parameters, the body and dependencies from the signature, so a
    function defined once and registered for many routes gets each route's
    ``parameters``; ``route`` goes to ``add_api_route`` (status code, response model,
    summary, responses…).
    """
    endpoint.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        list(parameters), return_annotation=return_annotation
    )
    endpoint.__name__ = name
    router.add_api_route(path, endpoint, methods=[method], name=name, **route)


def problem_response(
    status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field_name(loc: tuple[Any, ...]) -> tuple[str, str]:
    location = str(loc[0]) if loc else "body"
    path = (
        [str(part) for part in loc[1:]]
        if location in {"body", "query", "path", "header"}
        else [str(p) for p in loc]
    )
    return ".".join(path) or location, location


def validation_message(error: Mapping[str, Any], locale: str, texts: Catalog) -> str:
    """A pydantic error's message in ``locale`` (``validation.<type>``), else pydantic's own."""
    english = str(error.get("msg", ""))
    if locale == ENGLISH:
        return english
    template = texts.find(f"validation.{error.get('type', '')}", locale)
    if template is None:
        return english
    context = error.get("ctx") or {}
    params = {
        name: str(value) for name, value in context.items() if not isinstance(value, BaseException)
    }
    if "expected" in params:
        params["expected"] = str(params["expected"]).replace(" or ", " eller ")
    return fill(template, params)


def install_error_handlers(app: FastAPI, locale_packages: Sequence[str] = ("shared",)) -> None:
    """Every error leaves as problem details; nothing internal leaks in a 500.

    Titles and details are in the request's language (``Accept-Language``; bokmål by
    default), read from the catalogs of ``locale_packages``; codes stay as they are, and
    every problem response says ``Content-Language`` and ``Vary: Accept-Language``.
    """
    texts = catalog(*locale_packages)
    app.state.locale_packages = tuple(locale_packages)

    def localised(
        request: Request, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> JSONResponse:
        locale = getattr(request.state, "locale", None) or request_locale(request)
        return problem_response(status, body, (headers or {}) | language_headers(locale))

    async def on_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Problem)
        locale = request_locale(request)
        return localised(
            request, exc.status, exc.body(request.url.path, locale, texts), exc.headers()
        )

    async def on_rule(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RuleViolation)
        locale = request_locale(request)
        detail = exc.detail_in(locale, texts)
        body: dict[str, Any] = {
            "type": PROBLEM_BASE + exc.code,
            "title": exc.title_in(locale, texts),
            "status": exc.status,
            "detail": detail,
            "detail_en": exc.message,
            "instance": request.url.path,
            "code": exc.code,
            "errors": [
                {"field": name, "location": "body", "message": detail, "type": exc.code}
                for name in exc.fields
            ],
            "facts": exc.facts,
        }
        if exc.current_version is not None:
            body["current_version"] = exc.current_version
        return localised(request, exc.status, body)

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        locale = request_locale(request)
        errors = []
        for error in exc.errors():
            field, location = _field_name(tuple(error.get("loc", ())))
            if error.get("type") == "json_invalid":
                field = "body"
            entry = {
                "field": field,
                "location": location,
                "message": validation_message(error, locale, texts),
                "type": error.get("type", ""),
            }
            if locale != ENGLISH:
                entry["message_en"] = error.get("msg", "")
            errors.append(entry)
        names = ", ".join(sorted({e["field"] for e in errors}))
        problem = InvalidInput(f"Invalid input in: {names}.", errors)
        return localised(request, 422, problem.body(request.url.path, locale, texts))

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        locale = request_locale(request)
        slug = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
        english_title = str(exc.detail) if exc.status_code != 404 else "Not found"
        title, detail = translated(
            texts, f"problem.{slug}", locale, english_title, str(exc.detail), {}
        )
        body = {
            "type": PROBLEM_BASE + slug,
            "title": title,
            "status": exc.status_code,
            "detail": detail,
            "detail_en": str(exc.detail),
            "instance": request.url.path,
            "code": slug,
        }
        return localised(request, exc.status_code, body, dict(exc.headers or {}))

    async def on_conflict(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ConcurrencyConflict)
        locale = request_locale(request)
        problem = VersionConflict(
            f"This record is now at version {exc.current_version}; reload it and retry "
            f"with expected version {exc.current_version}.",
            current_version=exc.current_version,
            expected_version=exc.expected_version,
        )
        return localised(request, 409, problem.body(request.url.path, locale, texts))

    async def on_key_reused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, IdempotencyKeyReused)
        locale = request_locale(request)
        problem = InvalidInput(
            "This Idempotency-Key was already used for a different request; use a new key.",
            [
                {
                    "field": "Idempotency-Key",
                    "location": "header",
                    "message": str(exc),
                    "type": "idempotency_key_reused",
                }
            ],
        )
        return localised(request, 422, problem.body(request.url.path, locale, texts))

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        # Messages of driver and validation errors quote row values and inputs, so only
        # the types and code locations are logged (shared.logging.describe_exception).
        # The middleware has unbound the correlation id by now; the request keeps it.
        cid = str(getattr(request.state, "correlation_id", "")) or None
        log.error(
            "http.unhandled_error",
            error=describe_exception(exc),
            path=request.url.path,
            correlation_id=cid,
        )
        locale = request_locale(request)
        english = "Something went wrong on our side; nothing was changed. Quote the correlation id."
        title, detail = translated(
            texts, "problem.internal-error", locale, "Internal error", english, {}
        )
        body = {
            "type": PROBLEM_BASE + "internal-error",
            "title": title,
            "status": 500,
            "detail": detail,
            "detail_en": english,
            "instance": request.url.path,
            "code": "internal-error",
            "correlation_id": cid,
        }
        # The server closes the connection after an unhandled error; saying so keeps a
        # client from sending its next request down a connection about to go.
        headers = {"Connection": "close"} | ({CORRELATION_HEADER: cid} if cid else {})
        settings = getattr(request.app.state, "settings", None)
        if settings is not None:
            headers |= cross_origin_headers(settings, request.headers.get("origin"))
        return localised(request, 500, body, headers)

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(RuleViolation, on_rule)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(ConcurrencyConflict, on_conflict)
    app.add_exception_handler(IdempotencyKeyReused, on_key_reused)
    app.add_exception_handler(Exception, on_unexpected)


class CorrelationAndMetrics:
    """Pure ASGI middleware: correlation id in and out, latency histogram."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = ""
        for name, value in scope.get("headers", []):
            if name == b"x-correlation-id":
                incoming = value.decode("latin-1")
                break
        correlation_id = incoming if _SAFE_CORRELATION.match(incoming) else str(uuid.uuid4())
        scope.setdefault("state", {})["correlation_id"] = correlation_id
        tokens = structlog.contextvars.bind_contextvars(correlation_id=correlation_id)
        status = 500
        started = time.perf_counter()

        async def send_with_header(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-correlation-id", correlation_id.encode()))
                _language_headers(scope, headers)
                _added_headers(scope, headers)
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_header)
        finally:
            structlog.contextvars.reset_contextvars(**tokens)
            route = scope.get("route")
            template = getattr(route, "path", "unmatched")
            self.metrics.request_latency.labels(
                self.metrics.service, scope["method"], template, str(status)
            ).observe(time.perf_counter() - started)


def _language_headers(scope: Scope, headers: list[tuple[bytes, bytes]]) -> None:
    """``Content-Language`` and ``Vary: Accept-Language`` on an answer that asked for a locale.

    A route that takes the ``Locale`` dependency (or renders a problem) leaves the
    locale on the request's state; its answer depends on ``Accept-Language``, so
    caches must keep one copy per language.
    """
    locale = scope.get("state", {}).get("locale")
    if not locale:
        return
    names = {name.lower() for name, _ in headers}
    if b"content-language" not in names:
        headers.append((b"content-language", str(locale).encode()))
    vary = [i for i, (name, _) in enumerate(headers) if name.lower() == b"vary"]
    if not vary:
        headers.append((b"vary", b"Accept-Language"))
    elif not any(b"accept-language" in headers[i][1].lower() for i in vary):
        name, value = headers[vary[0]]
        headers[vary[0]] = (name, value + b", Accept-Language")


def add_response_headers(request: Request, headers: Mapping[str, str]) -> None:
    """Headers for this request's answer, whatever the route returns (a model or a Response).

    :class:`CorrelationAndMetrics` adds each one the answer does not carry already, so a
    route that sets its own (``Location`` of the resource it created) keeps it. The kit
    adds a command's ``Location`` and ``Stream-Version`` this way, and a deprecated route's
    ``Deprecation`` and ``Sunset``.
    """
    state: dict[str, Any] = request.scope.setdefault("state", {})
    state.setdefault("response_headers", {}).update(headers)


def _added_headers(scope: Scope, headers: list[tuple[bytes, bytes]]) -> None:
    added = scope.get("state", {}).get("response_headers")
    if not added:
        return
    present = {name.lower() for name, _ in headers}
    for name, value in added.items():
        if name.lower().encode() not in present:
            headers.append((name.lower().encode(), value.encode("latin-1")))


def correlation_id(request: Request) -> str:
    """The request's correlation id (set by :class:`CorrelationAndMetrics`)."""
    return str(getattr(request.state, "correlation_id", "")) or str(uuid.uuid4())


ReadinessCheck = Callable[[], Awaitable[dict[str, Any]]]


def install_operational_routes(
    app: FastAPI,
    metrics: Metrics,
    readiness: ReadinessCheck,
    details: ReadinessCheck | None = None,
) -> None:
    """``/healthz``, ``/readyz`` and ``/metrics`` — open, no token needed.

    ``details`` adds what an operator should know but that does not make the service
    unready (the relay's parked rows); it is also run before ``/metrics`` answers so
    the gauges it sets are current.
    """

    @app.get("/healthz", tags=["operations"], summary="Prosessen kjører / The process is up")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": metrics.service}

    @app.get(
        "/readyz",
        tags=["operations"],
        summary="Databasen og NATS svarer / Database and NATS are reachable",
        responses={503: {"description": "A dependency is unreachable"}},
    )
    async def readyz() -> Response:
        checks = await readiness()
        ready = all(value == "ok" for value in checks.values())
        body: dict[str, Any] = {"status": "ready" if ready else "not ready", "checks": checks}
        if details is not None:
            body["details"] = await _details(details)
        return JSONResponse(body, status_code=200 if ready else 503)

    @app.get("/metrics", tags=["operations"], summary="Prometheus-metrikker / Prometheus metrics")
    async def prometheus() -> Response:
        if details is not None:
            await _details(details)
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)


async def _details(details: ReadinessCheck) -> dict[str, Any]:
    try:
        return await details()
    except Exception as exc:
        return {"unavailable": type(exc).__name__}
