"""What the participants routers share: roles, request helpers, command plumbing."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncConnection

from services.participants import application, domain, personal_data
from shared import dates
from shared.auth import Principal, require_roles
from shared.commands import Aggregate, CommandContext, CommandResult, answer, command
from shared.events import Event
from shared.eventstore import Stream
from shared.service import Runtime

PARTICIPANT_NOUN = "participant"

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
    return await answer(
        request,
        response,
        principal,
        work,
        body=body,
        target=str(participant_id) if participant_id is not None else None,
        target_noun=PARTICIPANT_NOUN,
        companion=application.PARTICIPANT_KEY if participant_id is not None else None,
    )


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


@dataclass(frozen=True)
class Case:
    """A participant as a command sees it: the state and the seal for its free text."""

    participant: domain.Participant
    seal: Sealer


def _no_seal(name: str) -> Sealer:
    def seal(text: str | None) -> str | None:
        raise AssertionError(f"{name} does not seal text")

    return seal


def _participant(name: str, seals_text: bool) -> Aggregate[Case]:
    """The participant aggregate; with ``seals_text`` its key is read with the state
    (once), and an erased participant's missing key is a rule (``erased``), not a 500."""

    async def state(ctx: CommandContext[Any], stream: Stream) -> Case:
        participant_id: uuid.UUID = ctx.path["participant_id"]
        if not seals_text:
            participant = await application.fold(
                ctx.runtime, ctx.conn, participant_id, stream.envelopes
            )
            return Case(participant, _no_seal(name))
        participant, key = await application.fold_for_sealing(
            ctx.runtime, ctx.conn, participant_id, stream.envelopes
        )
        return Case(
            participant, lambda text: personal_data.seal_optional(key, participant_id, text)
        )

    return Aggregate(
        stream_type=domain.STREAM_TYPE,
        noun=PARTICIPANT_NOUN,
        stream_id=lambda path: str(path["participant_id"]),
        state=state,
        evolve=lambda case, events: replace(
            case, participant=application.evolve(case.participant, events)
        ),
        companion=application.PARTICIPANT_KEY,
    )


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
    command(
        router,
        method,
        path,
        body=model,
        path_params={"participant_id": uuid.UUID},
        principal=require_roles(*CASEWORK),
        aggregate=_participant(name, seals_text),
        decide=lambda ctx, case: decision(ctx.body, case.participant, case.seal),
        respond=lambda ctx, decided: application.accepted(
            ctx.path["participant_id"], decided.version, decided.state.participant
        ),
        name=name,
        summary=summary,
        description=description,
        response_model=ChangeAccepted,
    )
