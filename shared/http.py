"""HTTP kit: problem details for every error, correlation ids, health, readiness, metrics."""

from __future__ import annotations

import inspect
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
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
from shared.eventstore import ConcurrencyConflict
from shared.logging import describe_exception, get_logger
from shared.metrics import Metrics
from shared.problems import PROBLEM_BASE, PROBLEM_JSON, InvalidInput, Problem, VersionConflict
from shared.rules import RuleViolation

log = get_logger(__name__)

CORRELATION_HEADER = "X-Correlation-ID"
_SAFE_CORRELATION = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")


class FieldError(BaseModel):
    field: str = Field(description="Dotted path of the offending field, e.g. 'national_id'.")
    location: str = Field(default="body", description="body, query, path or header.")
    message: str
    type: str


class ProblemDetails(BaseModel):
    """RFC 9457 problem details (``application/problem+json``)."""

    type: str
    title: str
    status: int
    detail: str
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


def install_error_handlers(app: FastAPI) -> None:
    """Every error leaves as problem details; nothing internal leaks in a 500."""

    async def on_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Problem)
        return problem_response(exc.status, exc.body(request.url.path), exc.headers())

    async def on_rule(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RuleViolation)
        body: dict[str, Any] = {
            "type": PROBLEM_BASE + exc.code,
            "title": exc.rule.title,
            "status": exc.status,
            "detail": exc.message,
            "instance": request.url.path,
            "code": exc.code,
            "errors": [
                {"field": name, "location": "body", "message": exc.message, "type": exc.code}
                for name in exc.fields
            ],
            "facts": exc.facts,
        }
        if exc.current_version is not None:
            body["current_version"] = exc.current_version
        return problem_response(exc.status, body)

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        errors = []
        for error in exc.errors():
            field, location = _field_name(tuple(error.get("loc", ())))
            if error.get("type") == "json_invalid":
                field = "body"
            errors.append(
                {
                    "field": field,
                    "location": location,
                    "message": error.get("msg", ""),
                    "type": error.get("type", ""),
                }
            )
        names = ", ".join(sorted({e["field"] for e in errors}))
        problem = InvalidInput(f"Invalid input in: {names}.", errors)
        return problem_response(422, problem.body(request.url.path))

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        slug = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
        body = {
            "type": PROBLEM_BASE + slug,
            "title": str(exc.detail) if exc.status_code != 404 else "Not found",
            "status": exc.status_code,
            "detail": str(exc.detail),
            "instance": request.url.path,
            "code": slug,
        }
        return problem_response(exc.status_code, body, dict(exc.headers or {}))

    async def on_conflict(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ConcurrencyConflict)
        problem = VersionConflict(
            f"This record is now at version {exc.current_version}; reload it and retry "
            f"with expected version {exc.current_version}.",
            current_version=exc.current_version,
            expected_version=exc.expected_version,
        )
        return problem_response(409, problem.body(request.url.path))

    async def on_key_reused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, IdempotencyKeyReused)
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
        return problem_response(422, problem.body(request.url.path))

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
        body = {
            "type": PROBLEM_BASE + "internal-error",
            "title": "Internal error",
            "status": 500,
            "detail": "Something went wrong on our side; nothing was changed. Quote the correlation id.",
            "instance": request.url.path,
            "code": "internal-error",
            "correlation_id": cid,
        }
        # The server closes the connection after an unhandled error; saying so keeps a
        # client from sending its next request down a connection about to go.
        headers = {"Connection": "close"} | ({CORRELATION_HEADER: cid} if cid else {})
        return problem_response(500, body, headers)

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

    @app.get("/healthz", tags=["operations"], summary="The process is up")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": metrics.service}

    @app.get(
        "/readyz",
        tags=["operations"],
        summary="Database and NATS are reachable",
        responses={503: {"description": "A dependency is unreachable"}},
    )
    async def readyz() -> Response:
        checks = await readiness()
        ready = all(value == "ok" for value in checks.values())
        body: dict[str, Any] = {"status": "ready" if ready else "not ready", "checks": checks}
        if details is not None:
            body["details"] = await _details(details)
        return JSONResponse(body, status_code=200 if ready else 503)

    @app.get("/metrics", tags=["operations"], summary="Prometheus metrics")
    async def prometheus() -> Response:
        if details is not None:
            await _details(details)
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)


async def _details(details: ReadinessCheck) -> dict[str, Any]:
    try:
        return await details()
    except Exception as exc:
        return {"unavailable": type(exc).__name__}
