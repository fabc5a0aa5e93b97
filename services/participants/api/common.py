"""What the participants routers share: roles, request helpers, command plumbing."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Annotated, Any, Generic, TypeVar

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncConnection

from services.participants import application, audit, domain, personal_data
from shared import dates
from shared.auth import Principal, require_roles
from shared.commands import Aggregate, CommandContext, CommandResult, answer, command
from shared.deps import RuntimeDep
from shared.events import Event, Metadata
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
    one_write: bool = False,
) -> dict[str, Any]:
    """Run a command; with ``participant_id``, an unknown id and another municipality's
    get the same 404 before the Idempotency-Key or any rule is looked at. ``one_write``:
    ``work`` reads, then appends once (see :func:`shared.commands.run_command`)."""
    return await answer(
        request,
        response,
        principal,
        work,
        body=body,
        target=str(participant_id) if participant_id is not None else None,
        target_noun=PARTICIPANT_NOUN,
        companion=application.PARTICIPANT_KEY if participant_id is not None else None,
        one_write=one_write,
    )


@dataclass(frozen=True)
class Asked:
    """A command request as its work needs it: the runtime, the request and the response
    it answers with, and the caseworker (or manager) who asks."""

    runtime: Runtime
    request: Request
    response: Response
    principal: Principal


async def _asked(
    request: Request, response: Response, runtime: RuntimeDep, principal: Caseworker
) -> Asked:
    return Asked(runtime, request, response, principal)


CaseworkerAsks = Annotated[Asked, Depends(_asked)]
"""A command endpoint's one dependency for who asks and what answers."""


async def _privacy_officer_asks(
    request: Request, response: Response, runtime: RuntimeDep, principal: PrivacyOfficer
) -> Asked:
    return Asked(runtime, request, response, principal)


PrivacyOfficerAsks = Annotated[Asked, Depends(_privacy_officer_asks)]
"""The same for the commands only a privacy officer gives."""

Operation = Callable[..., Awaitable[CommandResult]]
"""An application command: ``operation(runtime, conn, metadata, *arguments)``."""


async def perform(
    asked: Asked, body: BaseModel | None, operation: Operation, *arguments: Any
) -> dict[str, Any]:
    """Run ``operation(runtime, conn, metadata, *arguments)`` as the request's command, its
    events stamped with the principal and the request's correlation id."""
    return await _perform(asked, body, None, operation, arguments)


async def perform_on(
    asked: Asked,
    participant_id: uuid.UUID,
    body: BaseModel | None,
    operation: Operation,
    *arguments: Any,
    one_write: bool = False,
) -> dict[str, Any]:
    """Run ``operation(runtime, conn, metadata, participant_id, *arguments)`` as the
    request's command on one participant (an unknown one is 404, see :func:`respond`)."""
    return await _perform(
        asked, body, participant_id, operation, (participant_id, *arguments), one_write
    )


async def _perform(
    asked: Asked,
    body: BaseModel | None,
    participant_id: uuid.UUID | None,
    operation: Operation,
    arguments: tuple[Any, ...],
    one_write: bool = False,
) -> dict[str, Any]:
    runtime, request = asked.runtime, asked.request
    metadata = runtime.metadata(asked.principal, request)

    async def work(conn: AsyncConnection) -> CommandResult:
        return await operation(runtime, conn, metadata, *arguments)

    return await respond(
        runtime, request, asked.response, asked.principal, body, work, participant_id, one_write
    )


async def decide(
    asked: Asked,
    participant_id: uuid.UUID,
    body: BaseModel | None,
    decision: Callable[[domain.Participant], list[Event]],
    expected_version: int | None = None,
    status_code: int = 201,
) -> dict[str, Any]:
    """The common command shape: load the participant, decide, append, answer."""

    async def change(
        runtime: Runtime, conn: AsyncConnection, metadata: Metadata, participant_id: uuid.UUID
    ) -> CommandResult:
        _, result = await application.change(
            runtime, conn, metadata, participant_id, decision, expected_version, status_code
        )
        return result

    # application.change reads, then appends once.
    return await perform_on(asked, participant_id, body, change, one_write=True)


@dataclass(frozen=True)
class Reading:
    """A read request as its query needs it: the runtime, the request, and the reader."""

    runtime: Runtime
    request: Request
    principal: Principal


async def _reading(request: Request, runtime: RuntimeDep, principal: Reader) -> Reading:
    return Reading(runtime, request, principal)


ReaderReads = Annotated[Reading, Depends(_reading)]
"""A read endpoint's one dependency for who reads (any role that reads participants)."""

Found = TypeVar("Found")


async def read_audited(
    reading: Reading,
    participant_id: uuid.UUID,
    action: str,
    read: Callable[[AsyncConnection, bool], Awaitable[Found]],
) -> Found:
    """``read(conn, personal)`` one participant, ``personal`` saying whether the reader
    sees personal data; such a read is audited as ``action`` in the transaction that made it."""
    principal = reading.principal
    personal = sees_personal_data(principal)
    async with reading.runtime.db.snapshot() as conn:
        found = await read(conn, personal)
        if personal:
            await audit.record_reads(conn, principal, reading.request, [participant_id], action)
    return found


State = TypeVar("State")


def _stream_of_participant(
    state: Callable[[CommandContext[Any], Stream], Awaitable[State]],
    evolve: Callable[[State, Sequence[Event]], State],
    companion: str | None = None,
) -> Aggregate[State]:
    """An aggregate on the participant's stream (``participant_id`` in the path)."""
    return Aggregate(
        stream_type=domain.STREAM_TYPE,
        noun=PARTICIPANT_NOUN,
        stream_id=lambda path: str(path["participant_id"]),
        state=state,
        evolve=evolve,
        companion=companion,
    )


Record = TypeVar("Record")


@dataclass(frozen=True)
class ParticipantRecord(Generic[Record]):
    """A participant and one more record folded from the same stream."""

    participant: domain.Participant
    record: Record


def participant_with(fold_record: Callable[..., Record]) -> Aggregate[ParticipantRecord[Record]]:
    """The participant aggregate with a record beside it, ``fold_record(events, known)``
    folding the stream's events onto the record known before them (none at first)."""

    async def state(ctx: CommandContext[Any], stream: Stream) -> ParticipantRecord[Record]:
        participant_id: uuid.UUID = ctx.path["participant_id"]
        envelopes = stream.envelopes
        participant = await application.fold(ctx.runtime, ctx.conn, participant_id, envelopes)
        events = [ctx.runtime.store.decode(e) for e in envelopes]
        return ParticipantRecord(participant, fold_record(events))

    return _stream_of_participant(
        state,
        lambda held, events: ParticipantRecord(
            application.evolve(held.participant, events), fold_record(events, held.record)
        ),
    )


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

    return _stream_of_participant(
        state,
        lambda case, events: replace(
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
