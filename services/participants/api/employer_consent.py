"""Consent to share name and contact with one employer, and the read the matching
service makes with it.

The caseworker records the participant's consent (or its withdrawal) as a dated fact.
The matching service asks ``GET /participants/{id}/employer-contact`` with its service
identity when it builds an employer package; the answer holds the name and contact only
while a consent for that employer is in force (``no-employer-consent`` otherwise), and
every answer is written to the audit log.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncConnection

from services.participants import application, audit, domain, personal_data
from services.participants.api.common import (
    CASEWORK,
    ChangeAccepted,
    Command,
    ParticipantRecord,
    Reader,
    participant_with,
    today,
)
from services.participants.domain import employer_consent as consent
from services.participants.tables import participant_keys, participant_summary
from shared.auth import Principal, require_roles, service_identity
from shared.commands import CommandContext, Decided, command
from shared.dates import Day
from shared.deps import RuntimeDep
from shared.http import problem_responses
from shared.paging import DEFAULT_LIMIT, Limit, Offset, Page, page_of
from shared.problems import Forbidden, NotFound
from shared.service import Runtime

router = APIRouter(prefix="/participants/{participant_id}", tags=["employer consent"])

CONTACT_READER = "matching"
"""The one service that may read a participant's name and contact for an employer."""


_Consents = ParticipantRecord[tuple[consent.EmployerConsent, ...]]
_AGGREGATE = participant_with(consent.fold_consents)


class GiveEmployerConsent(Command):
    """Samtykke til å dele navn og kontaktinformasjon med én arbeidsgiver. / Consent to
    share name and contact with one employer."""

    employer_id: uuid.UUID = Field(description="The employer in the matching service")
    given_on: Day | None = Field(default=None, description="Today when left out; not ahead")


class WithdrawEmployerConsent(Command):
    consent_id: uuid.UUID = Field(description="The consent to withdraw")
    withdrawn_on: Day | None = Field(default=None, description="Today when left out; not ahead")


class ConsentAccepted(ChangeAccepted):
    consent_id: uuid.UUID


def _answer(ctx: CommandContext[Any], decided: Decided[_Consents]) -> dict[str, Any]:
    participant_id: uuid.UUID = ctx.path["participant_id"]
    answer = application.accepted(participant_id, decided.version, decided.state.participant)
    return {**answer, "consent_id": str(decided.envelopes[-1].data["consent_id"])}


def _consent_command(
    path: str,
    body: type[Command],
    decide: Any,
    *,
    name: str,
    summary: str,
    description: str,
    status_code: int = 201,
) -> None:
    """A consent command on the participant's stream, answered with the consent's id."""
    command(
        router,
        "POST",
        path,
        body=body,
        path_params={"participant_id": uuid.UUID},
        principal=require_roles(*CASEWORK),
        aggregate=_AGGREGATE,
        decide=decide,
        respond=_answer,
        name=name,
        summary=summary,
        description=description,
        status_code=status_code,
        response_model=ConsentAccepted,
    )


_consent_command(
    "/employer-consents",
    GiveEmployerConsent,
    lambda ctx, held: consent.give(
        held.participant,
        held.record,
        uuid.uuid4(),
        ctx.body.employer_id,
        ctx.body.given_on or today(),
        today(),
    ),
    name="give_employer_consent",
    summary="Registrer samtykke til å dele navn og kontakt med en arbeidsgiver. / Record "
    "consent to share name and contact with an employer.",
    description="Appends `employer_consent.given` (ids and dates only). One consent in force "
    "per employer (`employer-consent-exists`), not dated ahead (`future-fact`), not for a "
    "participant who died, left or was erased. / Without it the employer package shows the "
    "pseudonymous reference only.",
)
_consent_command(
    "/employer-consent-withdrawals",
    WithdrawEmployerConsent,
    lambda ctx, held: consent.withdraw(
        held.participant,
        held.record,
        ctx.body.consent_id,
        ctx.body.withdrawn_on or today(),
        today(),
    ),
    name="withdraw_employer_consent",
    summary="Trekk tilbake samtykket. / Withdraw the consent.",
    description="Appends `employer_consent.withdrawn`; from that day the employer's package "
    "has no name or contact (`employer-consent-unknown`, `employer-consent-withdrawn`, "
    "`date-order`).",
    status_code=200,
)


class ConsentView(BaseModel):
    consent_id: uuid.UUID
    employer_id: uuid.UUID
    given_on: date
    withdrawn_on: date | None
    in_force: bool = Field(description="In force today")


async def _consents(
    runtime: Runtime,
    conn: AsyncConnection,
    request: Request,
    participant_id: uuid.UUID,
    municipality: str,
    audited: tuple[Principal, str] | None = None,
) -> tuple[consent.EmployerConsent, ...]:
    """The participant's consents; ``audited``: the reader and action to audit the read as."""
    envelopes = await runtime.store.load(conn, str(participant_id))
    if not envelopes or envelopes[0].municipality != municipality:
        raise NotFound(f"No participant {participant_id} in municipality {municipality}.")
    if audited is not None:
        reader, action = audited
        await audit.record_reads(conn, reader, request, [participant_id], action)
    return consent.fold_consents(runtime.store.decode(e) for e in envelopes)


@router.get(
    "/employer-consents",
    response_model=Page[ConsentView],
    summary="Samtykkene til å dele navn og kontakt med arbeidsgivere. / The consents to share "
    "name and contact with employers.",
    description="Hver lesing logges (handling `employer_consents`). Rekkefølge: slik de ble "
    "gitt. / Every read is audited (action `employer_consents`). Order: as given.",
    responses=problem_responses(401, 403, 404),
)
async def list_employer_consents(
    participant_id: uuid.UUID,
    request: Request,
    runtime: RuntimeDep,
    principal: Reader,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> dict[str, Any]:
    # Which employers a person let see their name is about the person, for every role
    # alike: each read is audited, in the transaction that read it, as the profile's are.
    async with runtime.db.snapshot() as conn:
        consents = await _consents(
            runtime,
            conn,
            request,
            participant_id,
            principal.municipality,
            audited=(principal, "employer_consents"),
        )
    day = today()
    listed = [
        {
            "consent_id": c.consent_id,
            "employer_id": c.employer_id,
            "given_on": c.given_on,
            "withdrawn_on": c.withdrawn_on,
            "in_force": c.in_force_on(day),
        }
        for c in consents
    ]
    return page_of(request, listed, limit, offset)


class EmployerContact(BaseModel):
    participant_id: uuid.UUID
    employer_id: uuid.UUID
    consent_id: uuid.UUID
    given_on: date
    given_name: str | None
    family_name: str | None
    phone: str | None
    email: str | None


@router.get(
    "/employer-contact",
    response_model=EmployerContact,
    summary="Navn og kontakt til en arbeidsgiver med samtykke (bare matching-tjenesten). / "
    "Name and contact for an employer, with consent (the matching service only).",
    description="Service identity of the matching service only (403 otherwise). 409 "
    "`no-employer-consent` unless a consent for `employer_id` is in force today; 404 for an "
    "unknown participant, another municipality's, or one whose details were erased. Every "
    "answer is written to the audit log (action `employer_contact`).",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def get_employer_contact(
    participant_id: uuid.UUID,
    request: Request,
    runtime: RuntimeDep,
    caller: Annotated[Principal, Depends(service_identity)],
    employer_id: Annotated[uuid.UUID, Query()],
    municipality: Annotated[str, Query(pattern=r"^[0-9]{4}$")],
) -> dict[str, Any]:
    if caller.service != CONTACT_READER:
        raise Forbidden("Only the matching service reads contacts for employers.")
    # The consent and the details in one snapshot: a withdrawal committed between two
    # reads would otherwise still let the details out.
    async with runtime.db.snapshot() as conn:
        consents = await _consents(runtime, conn, request, participant_id, municipality)
        given = consent.in_force(consents, employer_id, today())
        if given is None:
            raise consent.NO_EMPLOYER_CONSENT.violation(
                f"The participant has no consent in force to share name and contact with "
                f"employer {employer_id}.",
                "employer_id",
            )
        row = (
            await conn.execute(
                sa.select(participant_summary.c.sealed_details, participant_keys.c.key)
                .select_from(
                    participant_summary.outerjoin(
                        participant_keys,
                        participant_keys.c.participant_id == participant_summary.c.participant_id,
                    )
                )
                .where(
                    participant_summary.c.participant_id == participant_id,
                    participant_summary.c.municipality == municipality,
                )
            )
        ).first()
        if row is None or row.key is None or row.sealed_details is None:
            raise NotFound(f"No personal details of participant {participant_id}.")
        details = personal_data.unseal(bytes(row.key), participant_id, row.sealed_details)
        reader = replace(caller, municipality=municipality)
        await audit.record_reads(conn, reader, request, [participant_id], "employer_contact")
    return {
        "participant_id": participant_id,
        "employer_id": employer_id,
        "consent_id": given.consent_id,
        "given_on": given.given_on,
        "given_name": details.get("given_name"),
        "family_name": details.get("family_name"),
        "phone": details.get("phone"),
        "email": details.get("email"),
    }


class PlanActivityView(BaseModel):
    kind: str
    hours_per_week: float
    starts_on: date
    ends_on: date | None


class ProgrammeDates(BaseModel):
    kind: str
    starts_on: date
    planned_end: date
    ended_on: date | None


class PlacementPlan(BaseModel):
    participant_id: uuid.UUID
    programme: ProgrammeDates | None
    plan_valid_from: date | None
    activities: list[PlanActivityView]


@router.get(
    "/placement-plan",
    response_model=PlacementPlan,
    summary="Programmets datoer og planens aktiviteter til en praksisplass (bare "
    "matching-tjenesten). / The programme's dates and the plan's activities for a placement "
    "(the matching service only).",
    description="Service identity of the matching service only. Kinds, hours and dates of "
    "the latest plan (as `plan.revised` publishes them: no goals, no providers) and the "
    "programme's planned end as known today, for the follow-up plan of an employer package.",
    responses=problem_responses(401, 403, 404, 422),
)
async def get_placement_plan(
    participant_id: uuid.UUID,
    request: Request,
    caller: Annotated[Principal, Depends(service_identity)],
    municipality: Annotated[str, Query(pattern=r"^[0-9]{4}$")],
) -> dict[str, Any]:
    if caller.service != CONTACT_READER:
        raise Forbidden("Only the matching service reads plans for employer packages.")
    runtime = request.app.state.runtime
    async with runtime.db.snapshot() as conn:
        envelopes = await runtime.store.load(conn, str(participant_id))
    if not envelopes or envelopes[0].municipality != municipality:
        raise NotFound(f"No participant {participant_id} in municipality {municipality}.")
    state = domain.fold(runtime.store.decode(e) for e in envelopes)
    if state.erased:
        raise NotFound(f"No participant {participant_id} in municipality {municipality}.")
    programme = state.programme
    plan = next(
        (
            p
            for p in reversed(state.plans)
            if programme is not None and p[0] == programme.programme_id
        ),
        None,
    )
    return {
        "participant_id": participant_id,
        "programme": {
            "kind": programme.kind.value,
            "starts_on": programme.starts_on,
            "planned_end": programme.planned_end_on(today()),
            "ended_on": programme.ended_on,
        }
        if programme is not None
        else None,
        "plan_valid_from": plan[1] if plan else None,
        "activities": [
            {
                "kind": a.kind.value,
                "hours_per_week": a.hours_per_week,
                "starts_on": a.starts_on,
                "ends_on": a.ends_on,
            }
            for a in (plan[2] if plan else ())
        ],
    }
