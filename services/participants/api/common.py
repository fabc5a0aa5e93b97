"""What the participants routers share: roles, request helpers, command plumbing."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncConnection

from services.participants import application, domain
from shared.auth import Principal, require_roles
from shared.commands import CommandResult
from shared.events import Event, utcnow
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
    return utcnow().date()


def sees_personal_data(principal: Principal) -> bool:
    return principal.has_any(CASEWORK)


def not_in_future(value: date, field: str) -> date:
    if value > today():
        raise ValueError(f"{field} is in the future")
    return value


async def respond(
    runtime: Runtime,
    request: Request,
    response: Response,
    principal: Principal,
    body: BaseModel | None,
    work: Callable[[AsyncConnection], Awaitable[CommandResult]],
) -> dict[str, Any]:
    result = await runtime.command(
        work,
        principal=principal,
        request=request,
        body=body.model_dump(mode="json") if body is not None else None,
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

    return await respond(runtime, request, response, principal, body, work)
