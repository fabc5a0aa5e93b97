"""What every housing router shares: roles, date rules, running and declaring a command."""

from __future__ import annotations

import inspect
import re
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncConnection

from services.housing import application
from shared.auth import Principal, require_roles
from shared.commands import CommandResult
from shared.dates import Day, today
from shared.deps import IdempotencyKeyHeader, RuntimeDep
from shared.events import Metadata
from shared.http import add_generated_route, problem_responses
from shared.service import Runtime

__all__ = [
    "Body",
    "Day",
    "Officer",
    "Reader",
    "UseCase",
    "View",
    "can_see_addresses",
    "command_route",
    "fields",
    "run_command",
    "today",
    "view_route",
]

Officer = Annotated[Principal, Depends(require_roles("housing_officer"))]
"""Housing officers (boligkontor) change housing data."""

Reader = Annotated[Principal, Depends(require_roles("housing_officer", "manager", "analyst"))]
"""Officers, managers and analysts read stock, waiting lists and reports."""


ADDRESS_ROLES = frozenset({"housing_officer", "manager"})


def can_see_addresses(principal: Principal) -> bool:
    """Addresses only for officers and managers: an analyst who sees a household's dwelling
    must not be able to locate it (no path from a pseudonymous id to an address)."""
    return principal.has_any(ADDRESS_ROLES)


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


Work = Callable[[AsyncConnection, Metadata], Awaitable[CommandResult]]


Visible = Callable[[AsyncConnection], Awaitable[None]]

Exists = Callable[..., Awaitable[None]]
"""A 404 check of a command's own: ``(conn, municipality, **path ids)``."""


async def run_command(
    runtime: Runtime,
    request: Request,
    response: Response,
    principal: Principal,
    body: BaseModel | None,
    work: Work,
    *,
    visible: Visible | None = None,
    target: str | None = None,
    target_noun: str = "record",
) -> dict[str, Any]:
    """One transaction under the request's Idempotency-Key; status and body of the result.

    ``visible`` checks that the ids the command names exist in the caller's municipality
    and ``target`` names the stream it acts on (the kit checks it): both before the key is
    looked up, so an unknown id and another municipality's answer the same 404.
    """
    metadata = runtime.metadata(principal, request)
    if visible is not None:
        async with runtime.db.connect() as conn:
            await visible(conn)
    result = await runtime.command(
        lambda conn: work(conn, metadata),
        principal=principal,
        request=request,
        body=body.model_dump(mode="json") if body is not None else None,
        target=target,
        target_noun=target_noun,
    )
    response.status_code = result.status_code
    if result.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return result.body


B = TypeVar("B", bound=BaseModel)

UseCase = Callable[..., Awaitable[CommandResult]]
"""An application use case: ``(runtime, conn, metadata, [path id], **arguments)``."""

_PATH_ID = re.compile(r"{(\w+)}")


def fields(body: BaseModel) -> dict[str, Any]:
    """The body's fields as keyword arguments of the same names."""
    return {name: getattr(body, name) for name in type(body).model_fields}


def command_route(
    router: APIRouter,
    method: str,
    path: str,
    body: type[B],
    use_case: UseCase,
    *,
    name: str,
    response_model: type[BaseModel] | None,
    summary: str,
    description: str | None = None,
    status_code: int = 200,
    principal: Any = Officer,
    arguments: Callable[[B], Mapping[str, Any]] = fields,
    visible: Mapping[str, str] | None = None,
    location: str | None = None,
    problems: tuple[int, ...] = (401, 403, 404, 409, 422),
    path_types: Mapping[str, Any] | None = None,
    exists: Exists | None = None,
    target: Callable[..., str] | None = None,
    target_noun: str = "record",
) -> None:
    """Register a command whose endpoint would only pass its path id and body along.

    The use case gets ``runtime, conn, metadata``, the path id (by its name) and
    ``arguments(body)``. ``visible`` maps each keyword of
    :func:`services.housing.application.visible` to the path parameter or body field
    holding that id, so an id unknown in the caller's municipality is a 404 before the
    Idempotency-Key is looked up. ``location`` (e.g. ``/housing/placements/{placement_id}``)
    is filled from the result for the ``Location`` header.

    For records that are not households, dwellings or the kinds ``visible`` knows:
    ``exists(conn, municipality, **path ids)`` is that 404 check of its own, and
    ``target(**path ids)`` names the stream the kit checks (``target_noun`` in its 404).
    ``path_types`` annotates path parameters that are not UUIDs (e.g. a constrained year).
    ``response_model=None`` documents the body as a plain JSON object.
    """
    path_ids = _PATH_ID.findall(path)
    annotations = {key: uuid.UUID for key in path_ids} | dict(path_types or {})

    async def endpoint(**given: Any) -> dict[str, Any]:
        command: B = given["body"]
        runtime: Runtime = given["runtime"]
        caller: Principal = given["principal"]
        ids = {key: given[key] for key in path_ids}
        named = {**fields(command), **ids}
        check = {keyword: named[source] for keyword, source in (visible or {}).items()}

        async def work(conn: AsyncConnection, metadata: Metadata) -> CommandResult:
            return await use_case(runtime, conn, metadata, **ids, **arguments(command))

        async def found(conn: AsyncConnection) -> None:
            if check:
                await application.visible(runtime, conn, caller.municipality, **check)
            if exists is not None:
                await exists(conn, caller.municipality, **ids)

        result = await run_command(
            runtime,
            given["request"],
            given["response"],
            caller,
            command,
            work,
            visible=found if check or exists is not None else None,
            target=target(**ids) if target is not None else None,
            target_noun=target_noun,
        )
        if location is not None:
            given["response"].headers["Location"] = location.format(**result)
        return result

    keyword = inspect.Parameter.POSITIONAL_OR_KEYWORD
    add_generated_route(
        router,
        method,
        path,
        endpoint,
        [
            *(inspect.Parameter(key, keyword, annotation=annotations[key]) for key in path_ids),
            inspect.Parameter("body", keyword, annotation=body),
            inspect.Parameter("request", keyword, annotation=Request),
            inspect.Parameter("response", keyword, annotation=Response),
            inspect.Parameter("runtime", keyword, annotation=RuntimeDep),
            inspect.Parameter("principal", keyword, annotation=principal),
            inspect.Parameter(
                "idempotency_key", keyword, annotation=IdempotencyKeyHeader, default=None
            ),
        ],
        name=name,
        # Without a model the route documents what a hand-written ``-> dict[str, Any]``
        # endpoint did: an object of any fields.
        return_annotation=dict[str, Any] if response_model is None else inspect.Signature.empty,
        status_code=status_code,
        # An explicit None would tell FastAPI not to read the return annotation.
        **({} if response_model is None else {"response_model": response_model}),
        summary=summary,
        description=description,
        responses=problem_responses(*problems),
    )


View = Callable[[AsyncConnection, uuid.UUID, str], Awaitable[dict[str, Any]]]
"""A record's view: ``(conn, id, municipality)``, 404 unless it is that municipality's."""


def view_route(
    router: APIRouter,
    path: str,
    view: View,
    *,
    name: str,
    response_model: type[BaseModel] | None,
    summary: str,
    principal: Any = Reader,
) -> None:
    """Register ``GET path``: the one record the path's id names, as ``view`` shows it.

    ``response_model=None`` documents the body as a plain JSON object.
    """
    (key,) = _PATH_ID.findall(path)

    async def endpoint(**given: Any) -> dict[str, Any]:
        runtime: Runtime = given["runtime"]
        caller: Principal = given["principal"]
        async with runtime.db.snapshot() as conn:
            return await view(conn, given[key], caller.municipality)

    keyword = inspect.Parameter.POSITIONAL_OR_KEYWORD
    add_generated_route(
        router,
        "GET",
        path,
        endpoint,
        [
            inspect.Parameter(key, keyword, annotation=uuid.UUID),
            inspect.Parameter("runtime", keyword, annotation=RuntimeDep),
            inspect.Parameter("principal", keyword, annotation=principal),
        ],
        name=name,
        return_annotation=dict[str, Any] if response_model is None else inspect.Signature.empty,
        **({} if response_model is None else {"response_model": response_model}),
        summary=summary,
        responses=problem_responses(401, 403, 404),
    )
