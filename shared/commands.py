"""The one command pipeline: load -> decide -> append -> answer.

A service declares a command with :func:`command` (request model, roles, the
:class:`Aggregate` it targets, a decision function and the answer) and the kit does
the rest. Underneath, :func:`run_command` runs any command in one transaction with an
optional Idempotency-Key and a stored response.
"""

from __future__ import annotations

import hashlib
import hmac
import inspect
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Generic, TypeVar

from fastapi import APIRouter, Depends, Header, Request, Response
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.auth import Principal
from shared.db import Database, driver_connection
from shared.events import Envelope, Event, Metadata
from shared.problems import InvalidInput, field_error
from shared.rules import RuleViolation

if TYPE_CHECKING:
    from shared.eventstore import Stream
    from shared.service import Runtime


@dataclass(frozen=True)
class CommandResult:
    """What an HTTP command answers; stored verbatim under its Idempotency-Key.

    ``headers``: response headers that belong to the answer (``Location``,
    ``Stream-Version``; :meth:`shared.service.Runtime.command` adds them), stored and
    replayed with the body so a retry under the same key reads the same answer.
    """

    status_code: int
    body: dict[str, Any]
    replayed: bool = False
    headers: dict[str, str] = field(default_factory=dict)


class IdempotencyKeyReused(Exception):
    """The same Idempotency-Key came with a different request body or target."""

    def __init__(self, key: str) -> None:
        super().__init__(f"Idempotency-Key {key!r} was already used for a different request")
        self.key = key


def fingerprint(key: str, *parts: Any) -> str:
    """A keyed hash of what makes two requests 'the same' (method, path, body).

    Keyed, because a plain hash of a body holding a national id could be reversed by
    trying every possible number.
    """
    raw = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hmac.new(key.encode(), raw.encode(), hashlib.sha256).hexdigest()


Work = Callable[[AsyncConnection], Awaitable[CommandResult]]

# Sent to asyncpg directly, prepared once per connection (see shared.db.driver_connection).
_CLAIM_KEY = """
    INSERT INTO idempotency_keys (scope, key, request_hash) VALUES ($1, $2, $3)
    ON CONFLICT (scope, key) DO NOTHING RETURNING 1
"""
_STORED_ANSWER = """
    SELECT request_hash, status_code, response FROM idempotency_keys
    WHERE scope = $1 AND key = $2
"""
_STORE_ANSWER = """
    UPDATE idempotency_keys SET status_code = $3, response = $4::text::jsonb
    WHERE scope = $1 AND key = $2
"""
_STORED_WITH_HEADERS = "veiviser.answer.v2"
"""Marks a stored answer holding ``body`` and ``headers``; older rows hold the body alone."""


def _stored(result: CommandResult) -> str:
    document = {"format": _STORED_WITH_HEADERS, "body": result.body, "headers": result.headers}
    return json.dumps(document, separators=(",", ":"))


def _replayed(status_code: int, stored: Any) -> CommandResult:
    document = json.loads(stored) if isinstance(stored, str) else stored
    if isinstance(document, dict) and document.get("format") == _STORED_WITH_HEADERS:
        return CommandResult(
            status_code,
            dict(document["body"]),
            replayed=True,
            headers={str(k): str(v) for k, v in dict(document["headers"]).items()},
        )
    return CommandResult(status_code, dict(document), replayed=True)


async def run_command(
    db: Database,
    work: Work,
    *,
    idempotency_key: str | None = None,
    scope: str = "",
    request_hash: str = "",
    precheck: Callable[[AsyncConnection], Awaitable[None]] | None = None,
    one_write: bool = False,
) -> CommandResult:
    """Run ``work`` in one transaction; with a key, a repeat returns the first answer.

    ``one_write``: ``work`` only reads, then appends once through
    :meth:`shared.service.Runtime.append` — one statement, atomic by itself (or, where
    read models cannot ride on it, a transaction of its own). Without a key it then
    runs outside a transaction (:meth:`Database.autocommit`), with no BEGIN and COMMIT;
    under READ COMMITTED each statement saw its own snapshot anyway, and the append's
    stream claim is what makes the reads before it count. With a key it runs in one
    transaction as any command: the key row commits with the events.

    ``precheck`` runs first, before the key is looked up: a command on something the
    caller may not see (see :meth:`shared.service.Runtime.command`'s ``target``) is
    refused the same way whether it exists elsewhere or not at all, and no stored
    answer or key conflict can tell the difference.

    The key row is inserted in the same transaction as the events, so a command whose
    transaction rolls back leaves no key behind and can be retried, and two requests
    racing with one key serialise on the key's unique index: the second waits for the
    first and then returns its stored answer.
    """
    if one_write and idempotency_key is None:
        async with db.autocommit() as conn:
            if precheck is not None:
                await precheck(conn)
            return await work(conn)
    async with db.transaction() as conn:
        if precheck is not None:
            await precheck(conn)
        if idempotency_key is not None:
            driver = await driver_connection(conn)
            if await driver.fetchval(_CLAIM_KEY, scope, idempotency_key, request_hash) is None:
                row = await driver.fetchrow(_STORED_ANSWER, scope, idempotency_key)
                if row["request_hash"] != request_hash:
                    raise IdempotencyKeyReused(idempotency_key)
                return _replayed(int(row["status_code"]), row["response"])
        result = await work(conn)
        if idempotency_key is not None:
            await (await driver_connection(conn)).execute(
                _STORE_ANSWER,
                scope,
                idempotency_key,
                result.status_code,
                _stored(result),
            )
        return result


# --- The declarative command pipeline -------------------------------------------------


async def expected_version(
    if_match: Annotated[
        str | None,
        Header(
            description='Optional: the version you last read (e.g. `"3"`); a stale one gives 409.',
        ),
    ] = None,
) -> int | None:
    """The ``If-Match`` header as an expected stream version (``None`` when absent).

    ``If-Match`` carries the *stream version* the client last read (a body's ``version``
    or a command's ``Stream-Version``), not a representation ``ETag``: ``3``, ``"3"`` and
    ``W/"3"`` all mean version 3.
    """
    if if_match is None:
        return None
    raw = if_match.strip().removeprefix("W/").strip('"')
    if not raw.isdigit():
        raise InvalidInput(
            "If-Match must be a version number.",
            [field_error("If-Match", 'expected a whole number such as "3"')],
        )
    return int(raw)


ExpectedVersionDep = Annotated[int | None, Depends(expected_version)]

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="Retry-safe key: a repeated request with the same key returns the first answer.",
    ),
]


async def answer(
    request: Request,
    response: Response,
    principal: Principal,
    work: Work,
    *,
    body: BaseModel | None = None,
    target: str | None = None,
    target_noun: str = "record",
    companion: str | None = None,
    one_write: bool = False,
) -> dict[str, Any]:
    """Run ``work`` as one command of this request and answer with its result.

    :meth:`shared.service.Runtime.command` does the work (transaction, Idempotency-Key,
    existence of ``target`` before anything else, ``companion`` read with it, the
    ``Location`` and ``Stream-Version`` of the stream appended to); this sets the status
    code and ``Idempotent-Replayed`` on ``response`` and returns the body. For endpoints
    whose shape :func:`command` does not fit; ``one_write`` as :func:`run_command`.
    """
    runtime: Runtime = request.app.state.runtime
    result = await runtime.command(
        work,
        principal=principal,
        request=request,
        body=body,
        target=target,
        target_noun=target_noun,
        companion=companion,
        one_write=one_write,
    )
    response.status_code = result.status_code
    if result.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return result.body


State = TypeVar("State")
Body = TypeVar("Body", bound=BaseModel)


@dataclass(frozen=True)
class Aggregate(Generic[State]):
    """What the pipeline needs to know about one kind of stream.

    ``stream_id`` names the stream from the path parameters; ``state`` folds the
    stream the pipeline read into the aggregate's state (it may read more in the
    command's transaction, e.g. a key); ``evolve`` applies newly decided events to it.
    ``noun`` words the 404 (``No participant … in municipality …``). ``companion``:
    a query read in the same round trip as the stream (``$1`` the stream id; see
    :meth:`shared.eventstore.EventStore.open`), for ``state`` to find on the stream.
    """

    stream_type: str
    noun: str
    stream_id: Callable[[Mapping[str, Any]], str]
    state: Callable[[CommandContext[Any], Stream], Awaitable[State]]
    evolve: Callable[[State, Sequence[Event]], State]
    companion: str | None = None


@dataclass(frozen=True)
class CommandContext(Generic[Body]):
    """One command as its decision and answer functions see it."""

    runtime: Runtime
    conn: AsyncConnection
    request: Request
    principal: Principal
    metadata: Metadata
    body: Body
    path: Mapping[str, Any]
    """The route's path parameters, converted (e.g. ``participant_id`` as a UUID)."""
    expected_version: int | None
    """From ``If-Match``; ``None`` appends at the version just read."""


@dataclass(frozen=True)
class Decided(Generic[State]):
    """What a command recorded: the state after it, and the stored envelopes."""

    state: State
    envelopes: list[Envelope]

    @property
    def version(self) -> int:
        return self.envelopes[-1].stream_version


async def decide_and_append(
    ctx: CommandContext[Any],
    aggregate: Aggregate[State],
    stream: Stream,
    decide: Callable[[CommandContext[Any], State], Sequence[Event]],
) -> Decided[State]:
    """Fold ``stream``, decide, append at the expected version: the core of a command.

    A rule refused with 409 tells the client the version it was checked against; the
    append goes through :meth:`Runtime.append` (inline read models, outbox) and raises
    :class:`~shared.eventstore.ConcurrencyConflict` if the stream moved on.
    """
    state = await aggregate.state(ctx, stream)
    try:
        new_events = list(decide(ctx, state))
    except RuleViolation as exc:
        if exc.status == 409:
            exc.at_version(stream.version)
        raise
    envelopes = await ctx.runtime.append(
        ctx.conn,
        stream.stream_id,
        aggregate.stream_type,
        new_events,
        expected_version=stream.version if ctx.expected_version is None else ctx.expected_version,
        metadata=ctx.metadata,
    )
    return Decided(aggregate.evolve(state, new_events), envelopes)


def command(
    router: APIRouter,
    method: str,
    path: str,
    *,
    body: type[BaseModel],
    path_params: Mapping[str, Any],
    principal: Callable[..., Any],
    aggregate: Aggregate[State],
    decide: Callable[[CommandContext[Any], State], Sequence[Event]],
    respond: Callable[[CommandContext[Any], Decided[State]], dict[str, Any]],
    name: str,
    summary: str,
    description: str | None = None,
    status_code: int = 201,
    response_model: Any = None,
    problems: Sequence[int] = (401, 403, 404, 409, 422),
) -> None:
    """Register one command on ``router``: the whole endpoint, from a declaration.

    The endpoint validates ``body`` (a pydantic model), authenticates and authorises
    with the ``principal`` dependency (e.g. ``require_roles("caseworker")``), and in one
    transaction:

    1. reads the target stream (``aggregate.stream_id`` of the path parameters) and
       answers 404 — the same words for an unknown id and another municipality's —
       before the ``Idempotency-Key`` or any rule is looked at;
    2. with an ``Idempotency-Key``: a repeat with the same body answers the stored
       response with ``Idempotent-Replayed: true``, another body is refused;
    3. folds the state, calls ``decide(ctx, state)`` for the events (a
       :class:`~shared.rules.RuleViolation` becomes problem details; a 409 carries the
       current version);
    4. appends them at ``If-Match``'s version, or the one just read (a stale one is 409
       with ``current_version``), updating inline read models and the outbox;
    5. answers ``respond(ctx, decided)`` with ``status_code``, and wakes the relay.

    ``path_params`` maps each path parameter to its type (FastAPI converts and
    validates them). OpenAPI gets ``response_model`` and problem-details responses for
    ``problems``.
    """
    # Imported here: shared.http imports this module for its exception handlers.
    from shared.http import add_generated_route, problem_responses

    async def endpoint(
        request: Request,
        response: Response,
        payload: BaseModel,
        caller: Principal,
        expected: ExpectedVersionDep,
        idempotency_key: IdempotencyKeyHeader = None,
        **params: Any,
    ) -> dict[str, Any]:
        runtime: Runtime = request.app.state.runtime
        target = aggregate.stream_id(params)
        metadata = runtime.metadata(caller, request)

        async def work(conn: AsyncConnection) -> CommandResult:
            stream = runtime.store.read_in(conn, target)
            assert stream is not None, "Runtime.command read the target stream"
            ctx = CommandContext(
                runtime, conn, request, caller, metadata, payload, params, expected
            )
            decided = await decide_and_append(ctx, aggregate, stream, decide)
            return CommandResult(status_code, respond(ctx, decided))

        return await answer(
            request,
            response,
            caller,
            work,
            body=payload,
            target=target,
            target_noun=aggregate.noun,
            companion=aggregate.companion,
            # Reads, then decide_and_append's one append.
            one_write=True,
        )

    # FastAPI reads parameters from the signature: give each route its own.
    fixed = [
        p.replace(annotation=body)
        if p.name == "payload"
        else p.replace(annotation=Annotated[Principal, Depends(principal)])
        if p.name == "caller"
        else p
        for p in inspect.signature(endpoint).parameters.values()
        if p.kind is not inspect.Parameter.VAR_KEYWORD
    ]
    extra = [
        inspect.Parameter(param, inspect.Parameter.KEYWORD_ONLY, annotation=annotation)
        for param, annotation in path_params.items()
    ]
    add_generated_route(
        router,
        method,
        path,
        endpoint,
        [*fixed, *extra],
        name=name,
        status_code=status_code,
        response_model=response_model,
        summary=summary,
        description=description,
        responses=problem_responses(*problems),
    )
