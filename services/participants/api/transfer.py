"""Advisers, caseloads and transfers between municipalities (flytting)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncConnection

from services.participants import audit, transfers
from services.participants import events as ev
from services.participants.api.common import (
    Caseworker,
    CaseworkerAsks,
    ChangeAccepted,
    Command,
    Reader,
    perform,
    perform_on,
    sees_personal_data,
    today,
)
from services.participants.queries import transfer as queries
from shared.codes import check_municipality
from shared.commands import CommandResult
from shared.dates import Day
from shared.deps import ExpectedVersionDep, IdempotencyKeyHeader, RuntimeDep
from shared.events import Metadata
from shared.http import problem_responses
from shared.i18n import Locale
from shared.paging import DEFAULT_LIMIT, Limit, Offset, Page, page_of
from shared.service import Runtime

router = APIRouter(tags=["transfers"])

Adviser = Annotated[str, Field(min_length=1, max_length=200)]


class ChangeAdviser(Command):
    adviser: Adviser = Field(description="The new adviser's user id; sealed, never published")


class AdviserChanged(ChangeAccepted):
    adviser: str


class MoveCaseload(Command):
    to_adviser: Adviser = Field(description="The adviser who takes the caseload over")
    participant_ids: list[uuid.UUID] | None = Field(
        default=None,
        max_length=1000,
        description="Only these participants (each must be in the caseload); all of the "
        "caseload when left out",
    )


class MoveResult(BaseModel):
    participant_id: uuid.UUID
    result: Literal["moved", "refused"]
    version: int | None = None
    code: str | None = Field(default=None, description="The rule code of a refusal")
    detail: str | None = None
    current_version: int | None = None


class CaseloadMoved(BaseModel):
    from_adviser: str
    to_adviser: str
    requested: int
    moved: int
    refused: int
    results: list[MoveResult]


class RecordTransfer(Command):
    to_municipality: str = Field(
        pattern=r"^\d{4}$", description="Kommunenummer moved to, valid on moved_on"
    )
    moved_on: Day = Field(
        description="The day the person moved; not in the future, not before settlement"
    )


class TransferRecordedAnswer(ChangeAccepted):
    transfer_id: uuid.UUID
    to_municipality: str
    moved_on: date
    delivered: bool = Field(description="The receiving municipality runs Veiviser here")
    transfer_status: Literal["pending", "outbound"]


class AcceptTransfer(Command):
    moved_in_on: Day | None = Field(
        default=None, description="The day the person moved in; the move day when left out"
    )


class TransferAcceptedAnswer(BaseModel):
    transfer_id: uuid.UUID
    status: Literal["accepted"]
    participant_id: uuid.UUID = Field(description="The new participant in this municipality")
    version: int
    moved_in_on: date
    from_municipality: str


class DeclineTransfer(Command):
    reason: ev.DeclineReason


class TransferDeclinedAnswer(BaseModel):
    transfer_id: uuid.UUID
    status: Literal["declined"]
    reason: ev.DeclineReason
    declined_on: date


class TransferView(BaseModel):
    transfer_id: uuid.UUID
    direction: Literal["incoming", "outgoing"]
    from_municipality: str
    to_municipality: str
    moved_on: date
    delivered: bool
    status: Literal["pending", "outbound", "accepted", "declined"]
    status_label: str
    decided_on: date | None = None
    decline_reason: str | None = None
    decline_reason_label: str | None = None
    recorded_at: str | None = None
    package: dict[str, Any] | None = Field(
        default=None,
        description="What passes: programme, plan, planned hours, absence, hours done, "
        "remaining right, category and decision",
    )
    participant_id: uuid.UUID | None = None
    person: dict[str, Any] | None = Field(
        default=None,
        description="Who the person is (name, birth date, national id), shown to the receiving "
        "municipality's caseworkers while the transfer is pending (audited)",
    )


class ParticipantTransfers(BaseModel):
    participant_id: uuid.UUID
    sent: TransferView | None
    received: TransferView | None
    read_only: bool


class AdviserAssignment(BaseModel):
    programme_id: uuid.UUID | None
    adviser: str | None
    assigned_at: str
    assigned_by: str
    until: str | None
    version: int


class AdviserHistory(BaseModel):
    participant_id: uuid.UUID
    advisers: list[AdviserAssignment]


COMMAND_PROBLEMS = problem_responses(401, 403, 404, 409, 422)


@router.put(
    "/participants/{participant_id}/adviser",
    status_code=200,
    response_model=AdviserChanged,
    summary="Bytt programrådgiver / Change the programme's adviser",
    description="Gir det løpende (eller planlagte) programmet en ny rådgiver; tidligere "
    "rådgivere beholdes i historikken. / Gives the running (or planned) programme a new "
    "adviser; earlier advisers stay in the history (`GET …/advisers`). Refused: no running "
    "programme (`no-programme`), the same adviser (`same-adviser`), a participant who moved "
    "(`moved-away`, `transfer-recorded`).",
    responses=COMMAND_PROBLEMS,
)
async def change_adviser(
    participant_id: uuid.UUID,
    body: ChangeAdviser,
    asked: CaseworkerAsks,
    expected: ExpectedVersionDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    return await perform_on(
        asked, participant_id, body, transfers.change_adviser, body.adviser, expected, today()
    )


@router.get(
    "/participants/{participant_id}/advisers",
    response_model=AdviserHistory,
    summary="Rådgiverhistorikk / The history of the programme's advisers",
    description="Hver tildeling av rådgiver, eldste først, med tidspunkt og hvem som gjorde "
    "den. / Every adviser assignment, oldest first, with when and by whom (audited).",
    responses=problem_responses(401, 403, 404),
)
async def list_adviser_history(
    participant_id: uuid.UUID, request: Request, runtime: RuntimeDep, principal: Caseworker
) -> dict[str, Any]:
    async with runtime.db.snapshot() as conn:
        history = await queries.adviser_history(
            conn, runtime.store, participant_id, principal.municipality
        )
        await audit.record_reads(conn, principal, request, [participant_id], "advisers")
    return {"participant_id": str(participant_id), "advisers": history}


@router.post(
    "/advisers/{adviser}/caseload/move",
    status_code=200,
    response_model=CaseloadMoved,
    summary="Flytt en saksmengde / Move a caseload to another adviser",
    description="Flytter alle (eller utvalgte) deltakere fra én rådgiver til en annen, én "
    "kommando per deltaker; svaret viser resultatet for hver. / Moves every (or each chosen) "
    "participant of the adviser's caseload to `to_adviser`: one command per participant, "
    "each refused on its own (`not-in-caseload`, `moved-away`, `not-found`, "
    "`version-conflict`) without undoing the others. With `Idempotency-Key` a retry answers "
    "the first result. The same adviser on both sides is `caseload-to-self` (422).",
    responses=problem_responses(401, 403, 422),
)
async def move_caseload(
    adviser: str,
    body: MoveCaseload,
    asked: CaseworkerAsks,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    to, chosen = body.to_adviser, body.participant_ids
    return await perform(asked, body, transfers.move_caseload, adviser, to, chosen, today())


@router.post(
    "/participants/{participant_id}/transfer",
    status_code=201,
    response_model=TransferRecordedAnswer,
    summary="Registrer flytting til en annen kommune / Record a transfer to another municipality",
    description="Registrerer flyttingen (flyttet ut, programmet avsluttet med "
    "`moved_municipality`), og – når mottakerkommunen bruker Veiviser her "
    "(`VEIVISER_SERVED_MUNICIPALITIES`) – en ventende overføring med plan, timer gjennomført "
    "og gjenstående rett. Ellers registreres den bare som utgående. Etterpå er deltakeren "
    "skrivebeskyttet her. / Records the move (moved out, the programme ended with "
    "`moved_municipality`) and, when the receiving municipality runs Veiviser on this "
    "deployment, a pending transfer carrying the plan, hours done and remaining right; "
    "otherwise it is recorded as outbound only. The record is read-only afterwards. "
    "Refused: `transfer-to-self`, `unknown-code` (not a kommunenummer on `moved_on`), "
    "`future-fact`, `before-settlement`, `moved-away`, `transfer-recorded`.",
    responses=COMMAND_PROBLEMS,
)
async def record_transfer(
    participant_id: uuid.UUID,
    body: RecordTransfer,
    asked: CaseworkerAsks,
    expected: ExpectedVersionDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    async def record(
        runtime: Runtime, conn: AsyncConnection, metadata: Metadata, participant_id: uuid.UUID
    ) -> CommandResult:
        # Checked inside the command: an unknown participant is a 404 before the code is.
        to = check_municipality("to_municipality", body.to_municipality, body.moved_on)
        return await transfers.record_transfer(
            runtime, conn, metadata, participant_id, to, body.moved_on, expected, today()
        )

    return await perform_on(asked, participant_id, body, record)


@router.get(
    "/participants/{participant_id}/transfer",
    response_model=ParticipantTransfers,
    summary="Deltakerens flyttinger / The participant's transfers",
    description="Overføringen deltakeren ble sendt med, og den som brakte deltakeren hit. / "
    "The transfer the participant was sent with (`read_only` once sent) and the one that "
    "brought them here.",
    responses=problem_responses(401, 403, 404),
)
async def list_participant_transfers(
    participant_id: uuid.UUID, runtime: RuntimeDep, principal: Reader, locale: Locale
) -> dict[str, Any]:
    async with runtime.db.snapshot() as conn:
        return await queries.of_participant(
            conn, runtime.store, participant_id, principal.municipality, locale
        )


@router.get(
    "/transfers/incoming",
    response_model=Page[TransferView],
    summary="Innkommende overføringer / Transfers to this municipality",
    description="Overføringer til kommunen (ventende om ikke `status` sier noe annet), med det "
    "loven tillater å overføre. / Transfers addressed to the token's municipality (pending "
    "unless `status` says otherwise) with what the law lets pass; who the person is is shown "
    "to caseworkers while a transfer is pending (audited). Rekkefølge: flyttedato, så id. / "
    "Order: moving date, then id.",
    responses=problem_responses(401, 403, 422),
)
async def list_incoming_transfers(
    request: Request,
    runtime: RuntimeDep,
    principal: Reader,
    locale: Locale,
    status: Annotated[Literal["pending", "accepted", "declined"] | None, Query()] = "pending",
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> dict[str, Any]:
    personal = sees_personal_data(principal)
    async with runtime.db.snapshot() as conn:
        found = await queries.incoming(conn, principal.municipality, status, personal, locale)
        body = page_of(request, found, limit, offset)
        shown = [sender for _, sender in body["results"] if sender is not None]
        body["results"] = [view for view, _ in body["results"]]
        if shown:
            await audit.record_reads(conn, principal, request, shown, "incoming_transfer")
    return body


@router.get(
    "/transfers/outgoing",
    response_model=Page[TransferView],
    summary="Utgående overføringer / Transfers from this municipality",
    description="Alle overføringer kommunen har sendt, med status. / Every transfer the "
    "municipality recorded, with its status (pending, outbound, accepted, declined). "
    "Rekkefølge: flyttedato, så id. / Order: moving date, then id.",
    responses=problem_responses(401, 403),
)
async def list_outgoing_transfers(
    request: Request,
    runtime: RuntimeDep,
    principal: Reader,
    locale: Locale,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> dict[str, Any]:
    async with runtime.db.snapshot() as conn:
        rows = await queries.outgoing(conn, principal.municipality, locale)
    return page_of(request, rows, limit, offset)


@router.get(
    "/transfers/{transfer_id}",
    response_model=TransferView,
    summary="Én overføring / One transfer",
    description="Synlig for sender- og mottakerkommunen. / Visible to the sending and the "
    "receiving municipality; 404 for any other.",
    responses=problem_responses(401, 403, 404),
)
async def get_transfer(
    transfer_id: uuid.UUID,
    request: Request,
    runtime: RuntimeDep,
    principal: Reader,
    locale: Locale,
) -> dict[str, Any]:
    async with runtime.db.snapshot() as conn:
        view, shown = await queries.one(
            conn, transfer_id, principal.municipality, sees_personal_data(principal), locale
        )
        if shown is not None:
            await audit.record_reads(conn, principal, request, [shown], "incoming_transfer")
    return view


@router.post(
    "/transfers/{transfer_id}/acceptance",
    status_code=201,
    response_model=TransferAcceptedAnswer,
    summary="Ta imot en overføring / Accept a pending transfer",
    description="Oppretter deltakeren i mottakerkommunen, knyttet til den sendte saken; "
    "identiteten forsegles med den nye deltakerens nøkkel. / Creates the participant in the "
    "receiving municipality, linked to the sent record (`participant.transferred_in`); the "
    "identity passes sealed under the new participant's own key. Refused: another "
    "municipality's or an unknown transfer (404), `transfer-decided` (accepted or declined "
    "already), `moved-in-before-move`, `future-fact`, `already-registered-here`.",
    responses=COMMAND_PROBLEMS,
)
async def accept_transfer(
    transfer_id: uuid.UUID,
    body: AcceptTransfer,
    asked: CaseworkerAsks,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    return await perform(
        asked, body, transfers.accept_transfer, transfer_id, body.moved_in_on, today()
    )


@router.post(
    "/transfers/{transfer_id}/decline",
    status_code=200,
    response_model=TransferDeclinedAnswer,
    summary="Avslå en overføring / Decline a pending transfer",
    description="Avslår overføringen med en årsakskode. / Declines the pending transfer with a "
    "reason code; the sending municipality sees it declined. Refused: another municipality's "
    "or an unknown transfer (404), `transfer-decided`.",
    responses=COMMAND_PROBLEMS,
)
async def decline_transfer(
    transfer_id: uuid.UUID,
    body: DeclineTransfer,
    asked: CaseworkerAsks,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    return await perform(asked, body, transfers.decline_transfer, transfer_id, body.reason, today())
