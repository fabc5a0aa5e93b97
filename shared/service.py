"""Assembling one service process: database, bus, relay, consumers, HTTP kit.

A service describes itself with a :class:`ServiceDefinition`; :func:`build_app` is
the only place that turns it into a running FastAPI application with concrete
adapters, and it does so inside the app's lifespan, never at import time.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, FastAPI, Request
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.auth import Principal, TokenVerifier
from shared.bus import Bus
from shared.catchup import CatchUpClient, install_catchup_feed
from shared.commands import CommandResult, fingerprint, run_command
from shared.conditional import ConditionalGet
from shared.consumer import DurableConsumer, Subscription
from shared.contract import install_contract_routes
from shared.cors import Cors
from shared.db import Database, atomic
from shared.events import Envelope, Event, EventRegistry, Metadata
from shared.eventstore import EventStore, Stream
from shared.examples import Examples
from shared.http import (
    CorrelationAndMetrics,
    add_response_headers,
    correlation_id,
    install_error_handlers,
    install_operational_routes,
)
from shared.inbox import Keep
from shared.limits import RequestLimits
from shared.logging import configure_logging, get_logger
from shared.loop_lag import LoopLagProbe
from shared.metrics import Metrics
from shared.openapi import API_VERSION, install_openapi, operation_id
from shared.outbox import OutboxRelay, parked_rows
from shared.problem_docs import install_problem_catalogue
from shared.problems import NotFound
from shared.projection import OWN_EVENTS, Batch, EventFailed, Projection, apply_batch
from shared.query_params import refuse_unknown_query_parameters
from shared.settings import Settings

log = get_logger(__name__)

STREAM_VERSION_HEADER = "Stream-Version"
"""The response header of a command naming the version its stream is at now."""

ResourcePath = Callable[[str], str | None]
"""A stream id -> the path of the resource it is (``None``: none to point at)."""


def resource(template: str, pattern: str = r"(?P<id>.+)") -> ResourcePath:
    """The resource path of a stream: ``pattern`` (a regular expression with named groups)
    matched against the whole stream id fills ``template``'s ``{names}``.

    ``resource("/housing/dwellings/{id}", r"dwelling-(?P<id>.+)")`` turns the stream
    ``dwelling-5f0c…`` into ``/housing/dwellings/5f0c…``.
    """
    compiled = re.compile(pattern)

    def path(stream_id: str) -> str | None:
        match = compiled.fullmatch(stream_id)
        return template.format(**match.groupdict()) if match else None

    return path


# The streams a command appended to, (stream id, stream type, version), in order; set by
# Runtime.command for the length of one command's work.
_APPENDED: ContextVar[list[tuple[str, str, int]] | None] = ContextVar(
    "veiviser_appended", default=None
)


@dataclass(frozen=True)
class Feed:
    """Another service's events this service consumes, under a consumer ``name``.

    ``keep`` maps an event type name to a function ``payload_data -> dict | None``
    returning only the fields this service's read models need; the inbox stores, and
    the projections see, only that (see :func:`shared.inbox.minimise`). A type
    missing from ``keep`` is stored with empty data. ``keep=None`` keeps whole
    payloads, for feeds that have not said what they need yet.
    """

    name: str
    source_service: str
    keep: Keep | None = None
    concurrent: bool = False
    """Whether two replicas may apply this feed's batches at the same time.

    Only for projections that change nothing but rows of the event's own source
    stream (aggregate): per-stream version rows then keep each aggregate's order. The
    default has replicas take turns per consumer, which also keeps rows that fold
    several aggregates (a household of several participants) free of lost updates
    (see :mod:`shared.consumer`)."""


@dataclass(frozen=True)
class ServiceDefinition:
    name: str
    title: str
    description: str
    registry: EventRegistry
    routers: Sequence[APIRouter] = ()
    projections: Sequence[Projection] = ()
    feeds: Sequence[Feed] = ()
    extra_routes: Callable[[FastAPI], None] | None = None
    openapi_tags: Sequence[dict[str, Any]] = field(default_factory=tuple)
    locale_packages: Sequence[str] = ()
    """Packages whose ``locale`` folders hold the service's texts (beside the kit's)."""
    resources: Mapping[str, ResourcePath] = field(default_factory=dict)
    """Stream type -> the path of the resource a stream of it is (see :func:`resource`):
    a command that appends to one answers ``Location`` with it (unless the route set its
    own) and ``Stream-Version`` with the stream's new version."""
    examples: Examples | None = None
    """The service's request and response examples for its OpenAPI (``api/examples.py``)."""


class Runtime:
    """What request handlers and use cases reach through ``request.app.state.runtime``."""

    def __init__(self, definition: ServiceDefinition, settings: Settings) -> None:
        self.definition = definition
        self.settings = settings
        self.metrics = Metrics(definition.name)
        self.db = Database.for_service(settings, definition.name)
        self.bus = Bus(settings, f"veiviser-{definition.name}")
        self.store = EventStore(
            definition.name,
            definition.registry,
            settings.subject_prefix(definition.name),
            max_event_bytes=settings.max_event_bytes,
            server_max_payload=self.bus.server_max_payload,
        )
        self.relay = OutboxRelay(self.db, self.bus, settings, definition.name, self.metrics)
        self.loop_lag = LoopLagProbe(definition.name, self.metrics.registry)
        self.consumers = [
            DurableConsumer(
                Subscription(
                    feed.name, feed.source_service, self._dispatcher(feed.name), keep=feed.keep
                ),
                self.db,
                self.bus,
                settings,
                definition.name,
                self.metrics,
                catchup=CatchUpClient(settings, definition.name, feed.source_service),
                in_turn=not feed.concurrent,
            )
            for feed in definition.feeds
        ]
        self._inline = [p for p in definition.projections if p.source == OWN_EVENTS]
        # A per-event projection may read what the append wrote: it runs after it.
        self._inline_batched = all(p.apply_batch is not None for p in self._inline)
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._probe: asyncio.Task[None] | None = None

    def _dispatcher(
        self, source: str
    ) -> Callable[[AsyncConnection, Sequence[Envelope]], Awaitable[None]]:
        projections = [p for p in self.definition.projections if p.source == source]

        async def dispatch(conn: AsyncConnection, envelopes: Sequence[Envelope]) -> None:
            await apply_batch(Batch(conn), projections, envelopes)

        return dispatch

    async def start(self) -> None:
        self.bus.start()
        if self.settings.relay_in_process:
            self._tasks.append(asyncio.create_task(self.relay.run(self._stop), name="outbox-relay"))
        self._probe = asyncio.create_task(self.loop_lag.run(self._stop), name="loop-lag")
        for consumer in self.consumers:
            self._tasks.append(asyncio.create_task(consumer.run(self._stop), name=consumer.durable))

    async def stop(self) -> None:
        self._stop.set()
        if self._probe is not None:
            self._probe.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._probe
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, asyncio.TimeoutError):
                await asyncio.wait_for(task, timeout=10)
        for consumer in self.consumers:
            if consumer.catchup is not None:
                await consumer.catchup.close()
        await self.bus.close()
        await self.db.dispose()

    async def append(
        self,
        conn: AsyncConnection,
        stream_id: str,
        stream_type: str,
        events: Sequence[Event],
        *,
        expected_version: int,
        metadata: Metadata,
        occurred_at: datetime | None = None,
    ) -> list[Envelope]:
        """Append and update this service's inline projections in the same transaction.

        The read models are worked out from the prepared envelopes first, so that
        their writes ride on the append's one statement (:meth:`Batch.riders`): events,
        outbox and read models in one round trip, all only if the stream claim takes.
        Where they cannot ride (per-event projections, a delete, many rows) they are
        written after the append, in the same transaction: the caller's, or on a
        connection outside one (:meth:`Database.autocommit`) one of their own.
        """
        pending = await self.store.prepare(
            conn,
            stream_id,
            stream_type,
            events,
            expected_version=expected_version,
            metadata=metadata,
            occurred_at=occurred_at,
        )
        if pending is None:
            return []
        try:
            if self._inline_batched:
                batch = Batch(conn, deferred=True)
                await apply_batch(batch, self._inline, pending.envelopes)
                riders = await batch.riders()
                if riders is not None:
                    envelopes = await self.store.write(conn, pending, riders)
                else:
                    async with atomic(conn):
                        envelopes = await self.store.write(conn, pending)
                        await batch.flush()
            else:
                async with atomic(conn):
                    envelopes = await self.store.write(conn, pending)
                    await apply_batch(Batch(conn), self._inline, envelopes)
        except EventFailed as failure:
            # Only a consumer retries single events; a command's caller sees the error
            # itself (a read model's unique constraint is that command's rule).
            raise failure.error from None
        for envelope in envelopes:
            self.metrics.events_appended.labels(self.definition.name, envelope.type_name).inc()
        appended = _APPENDED.get()
        if appended is not None and envelopes:
            appended.append((stream_id, stream_type, envelopes[-1].stream_version))
        return envelopes

    def answer_headers(
        self, appended: Sequence[tuple[str, str, int]], target: str | None
    ) -> dict[str, str]:
        """``Location`` and ``Stream-Version`` of the stream a command changed.

        That is ``target`` when the command appended to it, else the first stream it
        appended to; ``Location`` only where :attr:`ServiceDefinition.resources` maps the
        stream's type to a path.
        """
        chosen = [a for a in appended if a[0] == target] or [
            a for a in appended if a[0] == appended[0][0]
        ]
        if not chosen:
            return {}
        stream_id, stream_type, _ = chosen[0]
        headers = {STREAM_VERSION_HEADER: str(max(version for _, _, version in chosen))}
        path_of = self.definition.resources.get(stream_type)
        path = path_of(stream_id) if path_of is not None else None
        if path is not None:
            headers["Location"] = path
        return headers

    async def command(
        self,
        work: Callable[[AsyncConnection], Awaitable[CommandResult]],
        *,
        principal: Principal,
        request: Request,
        body: Any = None,
        target: str | None = None,
        target_noun: str = "record",
        companion: str | None = None,
        one_write: bool = False,
    ) -> CommandResult:
        """Run a command under the request's Idempotency-Key (if any), then wake the relay.

        ``body`` (a pydantic model or plain JSON data) is what makes two requests under
        one key "the same", with the method and path.

        ``target``: the stream id (aggregate) the command acts on. It must exist in the
        caller's municipality, checked before the Idempotency-Key is looked up, so an
        id of another municipality and an unknown id get the same 404 — no stored
        answer, key conflict or rule violation reveals that it exists. ``companion`` is
        read with it (see :meth:`EventStore.open`). ``one_write``: see
        :func:`~shared.commands.run_command`.
        """
        key = request.headers.get("idempotency-key")
        opened: list[AsyncConnection] = []

        async def tracked(conn: AsyncConnection) -> CommandResult:
            # Collected inside the transaction, so the headers are stored with the key.
            appended: list[tuple[str, str, int]] = []
            token = _APPENDED.set(appended)
            try:
                result = await work(conn)
            finally:
                _APPENDED.reset(token)
            if not appended:
                return result
            return replace(result, headers=self.answer_headers(appended, target) | result.headers)

        async def precheck(conn: AsyncConnection) -> None:
            if target is not None:
                opened.append(conn)
                await self.must_exist(conn, target, principal, target_noun, companion)

        try:
            result = await run_command(
                self.db,
                tracked,
                idempotency_key=key,
                scope=f"{principal.municipality}:{principal.subject}",
                # Hashed only when there is a key to store it under.
                request_hash=fingerprint(
                    self.settings.lookup_key,
                    request.method,
                    request.url.path,
                    body.model_dump(mode="json") if isinstance(body, BaseModel) else body,
                )
                if key is not None
                else "",
                precheck=precheck if target is not None else None,
                one_write=one_write,
            )
        finally:
            for conn in opened:
                self.store.close(conn)
        self.relay.notify()
        add_response_headers(
            request,
            result.headers | ({"Idempotent-Replayed": "true"} if result.replayed else {}),
        )
        return result

    async def must_exist(
        self,
        conn: AsyncConnection,
        stream_id: str,
        principal: Principal,
        noun: str = "record",
        companion: str | None = None,
    ) -> Stream:
        """The stream ``stream_id``; 404 unless the caller's municipality may see it.

        One answer, word for word, for an unknown id and for another municipality's.
        The stream is read whole in the same round trip (:meth:`EventStore.open`), so
        the command's own load of it costs nothing more; so is ``companion``.
        """
        stream = await self.store.open(conn, stream_id, companion=companion)
        if stream is None or not principal.reaches(stream.municipality):
            raise NotFound(f"No {noun} {stream_id} in municipality {principal.municipality}.")
        return stream

    def metadata(self, principal: Principal, request: Request) -> Metadata:
        return Metadata(
            actor=principal.subject,
            municipality=principal.municipality,
            correlation_id=correlation_id(request),
        )

    async def readiness(self) -> dict[str, Any]:
        checks: dict[str, Any] = {}
        try:
            async with self.db.connect() as conn:
                await conn.execute(sa.text("SELECT 1"))
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"unreachable ({type(exc).__name__})"
        if not self.bus.connected:
            checks["nats"] = "unreachable"
        else:
            try:
                await self.bus.js.account_info()
                checks["nats"] = "ok"
            except Exception as exc:
                checks["nats"] = f"JetStream unavailable ({type(exc).__name__})"
        return checks

    async def details(self) -> dict[str, Any]:
        """The relay's parked rows: they do not make the service unready, but need an operator."""
        health = await self.relay.refresh_gauges()
        outbox: dict[str, Any] = {"parked": health.parked, "waiting": health.waiting}
        if health.parked:
            async with self.db.connect() as conn:
                rows = await parked_rows(conn)
            outbox["rows"] = [
                {
                    "id": row.id,
                    "subject": row.subject,
                    "attempts": row.attempts,
                    "last_error": row.last_error,
                    "waiting": row.waiting,
                }
                for row in rows[:20]
            ]
            outbox["action"] = f"veiviser outbox list {self.definition.name}"
        return {"outbox": outbox}


def build_app(definition: ServiceDefinition, settings: Settings | None = None) -> FastAPI:
    """The FastAPI application of one service, wired to real adapters at start-up."""
    settings = settings or Settings()
    settings.refuse_development_secrets(definition.name)
    configure_logging(definition.name, settings.log_level, settings.log_json)
    runtime = Runtime(definition, settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        # What start-up built (modules, routes, schemas, caches) lives as long as the
        # process: frozen out of the collector's generations, a full collection no
        # longer walks it on every command that happens to trigger one.
        gc.freeze()
        log.info("service.started", service=definition.name)
        try:
            yield
        finally:
            await runtime.stop()
            # A process that starts several apps (tests, benches) gets their garbage
            # collected again once they are gone.
            gc.unfreeze()
            log.info("service.stopped", service=definition.name)

    app = FastAPI(
        title=definition.title,
        description=definition.description,
        version=API_VERSION,
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
        # Swagger UI keeps the token given to Authorize across reloads of /docs.
        swagger_ui_parameters={"persistAuthorization": True},
        openapi_tags=list(definition.openapi_tags) or None,
    )
    app.state.runtime = runtime
    # Every route refuses query parameters it does not take (shared.query_params).
    app.router.dependencies.append(Depends(refuse_unknown_query_parameters))
    app.state.settings = settings
    app.state.openapi_examples = definition.examples
    app.state.token_verifier = TokenVerifier(settings)
    install_error_handlers(app, ("shared", *definition.locale_packages))
    # Added first, so it runs inside the correlation middleware: its 413/422 answers
    # carry a correlation id and are counted like every other response.
    app.add_middleware(ConditionalGet)
    app.add_middleware(RequestLimits, max_request_bytes=settings.max_request_bytes)
    # Outside the limits, so a 413 reaches a browser page; inside the correlation
    # middleware, so preflights are counted and carry a correlation id.
    app.add_middleware(Cors, settings=settings)
    app.add_middleware(CorrelationAndMetrics, metrics=runtime.metrics)
    install_operational_routes(app, runtime.metrics, runtime.readiness, runtime.details)
    install_contract_routes(app, definition.name, definition.registry, settings.namespace)
    install_problem_catalogue(app, definition.name)
    install_openapi(app, definition.name)
    install_catchup_feed(app, definition.name, settings.namespace)
    for router in definition.routers:
        app.include_router(router)
    if definition.extra_routes is not None:
        definition.extra_routes(app)
    return app
