"""What the participants routers share: roles, request helpers, command plumbing."""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncConnection

from services.participants import application, domain, personal_data
from shared import dates
from shared.auth import Principal, require_roles
from shared.commands import CommandResult
from shared.deps import ExpectedVersionDep, IdempotencyKeyHeader, RuntimeDep
from shared.events import Event
from shared.http import problem_responses
from shared.service import Runtime

CASEWORK = frozenset({"caseworker", "manager"})
"""Roles that work with named participants of their municipality."""

Caseworker = Annotated[Principal, Depends(require_roles(*CASEWORK))]
Reader = Annotated[Principal, Depends(require_roles(*CASEWORK, "analyst"))]
PrivacyOfficer = Annotated[Principal, Depends(require_roles("privacy_officer"))]


class Command(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ChangeAccepted(BaseModel):
    participant_id: uuid.UUID
    version: int
    status: str


def today() -> date:
    """Today in Norway: facts are dated, and compared, in the users' calendar."""
    return dates.today()


def sees_personal_data(principal: Principal) -> bool:
    return principal.has_any(CASEWORK)


async def respond(
    runtime: Runtime,
    request: Request,
    response: Response,
    principal: Principal,
    body: BaseModel | None,
    work: Callable[[AsyncConnection], Awaitable[CommandResult]],
    participant_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    """Run a command; with ``participant_id``, an unknown id and another municipality's
    get the same 404 before the Idempotency-Key or any rule is looked at."""
    result = await runtime.command(
        work,
        principal=principal,
        request=request,
        body=body.model_dump(mode="json") if body is not None else None,
        target=str(participant_id) if participant_id is not None else None,
        target_noun="participant",
    )
    response.status_code = result.status_code
    if result.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return result.body


async def decide(
    runtime: Runtime,
    request: Request,
    response: Response,
    principal: Principal,
    participant_id: uuid.UUID,
    body: BaseModel | None,
    decision: Callable[[domain.Participant], list[Event]],
    expected_version: int | None = None,
    status_code: int = 201,
) -> dict[str, Any]:
    """The common command shape: load the participant, decide, append, answer."""
    metadata = runtime.metadata(principal, request)

    async def work(conn: AsyncConnection) -> CommandResult:
        _, result = await application.change(
            runtime, conn, metadata, participant_id, decision, expected_version, status_code
        )
        return result

    return await respond(runtime, request, response, principal, body, work, participant_id)


Sealer = Callable[[str | None], str | None]
"""Seals a free-text note with the participant's key (``None`` stays ``None``)."""
BodyDecision = Callable[[Any, domain.Participant, Sealer], list[Event]]


def command_route(
    router: APIRouter,
    method: str,
    path: str,
    model: type[Command],
    decision: BodyDecision,
    *,
    name: str,
    summary: str,
    description: str | None = None,
    seals_text: bool = False,
) -> None:
    """Register a participant command: load the participant, decide from the body, append.

    ``decision(body, state, seal)`` returns the events; ``seal`` is usable only when
    ``seals_text`` (the participant's key is then read in the command's transaction).
    """

    async def endpoint(
        participant_id: uuid.UUID,
        body: Command,
        request: Request,
        response: Response,
        runtime: RuntimeDep,
        principal: Caseworker,
        expected: ExpectedVersionDep,
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> dict[str, Any]:
        metadata = runtime.metadata(principal, request)

        async def work(conn: AsyncConnection) -> CommandResult:
            # Loaded first: an erased participant's missing key is a rule, not a 500.
            await application.load(runtime, conn, participant_id, metadata.municipality)
            key = await application.key_for(conn, participant_id) if seals_text else None

            def seal(text: str | None) -> str | None:
                if key is None:
                    raise AssertionError(f"{name} does not seal text")
                return personal_data.seal_optional(key, participant_id, text)

            _, result = await application.change(
                runtime, conn, metadata, participant_id, lambda s: decision(body, s, seal), expected
            )
            return result

        return await respond(runtime, request, response, principal, body, work, participant_id)

    # FastAPI reads the body's model from the signature: give each route its own.
    signature = inspect.signature(endpoint)
    endpoint.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[
            p.replace(annotation=model) if p.name == "body" else p
            for p in signature.parameters.values()
        ]
    )
    endpoint.__name__ = name
    router.add_api_route(
        path,
        endpoint,
        methods=[method],
        name=name,
        status_code=201,
        response_model=ChangeAccepted,
        summary=summary,
        description=description,
        responses=problem_responses(401, 403, 404, 409, 422),
    )
