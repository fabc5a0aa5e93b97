"""An unaccompanied minor's four phases, primary contact, measures plan, bedsit, follow-up
team, outcomes and the services' end (Drammen's method).

Every command appends one dated fact to the participant's stream and is refused, with a
rule code, for anyone not settled as an unaccompanied minor (``not-unaccompanied-minor``),
for a phase out of order (``minor-phase-out-of-order``) and after the services ended
(``minor-services-ended``; outcomes excepted). ``GET /participants/{id}/minor`` reads the
record back with the age limits in force today and their sources.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncConnection

from services.participants import application, audit, domain
from services.participants import events as ev
from services.participants.api.common import (
    CASEWORK,
    ChangeAccepted,
    Command,
    ParticipantRecord,
    Reader,
    participant_with,
    today,
)
from services.participants.domain import minor, minor_housing
from services.participants.tables import minor_shared_home_stays
from shared.auth import require_roles
from shared.commands import CommandContext, Decided, command
from shared.dates import Day
from shared.http import problem_responses
from shared.problems import NotFound

router = APIRouter(prefix="/participants/{participant_id}", tags=["unaccompanied minors"])


_Minor = ParticipantRecord[minor.MinorRecord]
_AGGREGATE = participant_with(minor.fold_minor)


def _answer(ctx: CommandContext[Any], decided: Decided[_Minor]) -> dict[str, Any]:
    participant_id: uuid.UUID = ctx.path["participant_id"]
    return application.accepted(participant_id, decided.version, decided.state.participant)


class EnterPhase(Command):
    """Fasen ungdommen går inn i: mottak, innflytting, bofellesskap, hybel. / The phase the
    youth enters: intake, moving in, shared home, own bedsit."""

    phase: ev.MinorPhase
    entered_on: Day | None = Field(default=None, description="Today when left out; not ahead")


class AssignPrimaryContact(Command):
    contact_id: uuid.UUID = Field(description="The employee (primærkontakt), by reference")
    assigned_on: Day | None = Field(default=None, description="Today when left out; not ahead")


class AgreeMeasuresPlan(Command):
    """Tiltaksplan med mål. / The individual measures plan with its goals."""

    agreed_on: Day | None = Field(default=None, description="Today when left out; not ahead")
    goals: list[ev.MeasuresGoal] = Field(min_length=1, max_length=20)


class SignBedsitContract(Command):
    """Ungdommen har signert leiekontrakt for egen hybel på det private markedet. / The
    youth signed the tenancy of an own bedsit on the private market."""

    signed_on: Day | None = Field(default=None, description="Today when left out; not ahead")
    moves_in_on: Day = Field(description="The day the youth moves in (may lie ahead)")


class RecordFollowUpContact(Command):
    kind: ev.FollowUpContactKind
    on: Day | None = Field(default=None, description="Today when left out; not ahead")


class RecordMinorOutcome(Command):
    outcome: ev.MinorOutcome
    on: Day | None = Field(default=None, description="Today when left out; not ahead")


class EndServices(Command):
    reason: ev.ServicesEndReason
    ended_on: Day | None = Field(default=None, description="Today when left out; not ahead")
    basis: Literal["child_welfare_aftercare", "settlement_follow_up"] | None = Field(
        default=None, description="The age limit the end rests on (reason age_limit)"
    )


_PATH = {"participant_id": uuid.UUID}
_CASEWORKER = require_roles(*CASEWORK)


def _command(path: str, body: type[Command], name: str, summary: str, decide: Any) -> None:
    command(
        router,
        "POST",
        path,
        body=body,
        path_params=_PATH,
        principal=_CASEWORKER,
        aggregate=_AGGREGATE,
        decide=decide,
        respond=_answer,
        name=name,
        summary=summary,
        description="Only for a participant settled as an unaccompanied minor "
        "(`not-unaccompanied-minor`); not dated ahead (`future-fact`) or before the "
        "settlement (`date-order`). See docs/participants/unaccompanied-minors.md.",
        response_model=ChangeAccepted,
    )


_command(
    "/minor/phases",
    EnterPhase,
    "enter_minor_phase",
    "Registrer neste fase (mottak → innflytting → bofellesskap → hybel). / Record the next "
    "phase; out of order → 409 `minor-phase-out-of-order`.",
    lambda ctx, s: minor.enter_phase(
        s.participant, s.record, ctx.body.phase, ctx.body.entered_on or today(), today()
    ),
)
_command(
    "/minor/primary-contacts",
    AssignPrimaryContact,
    "assign_minor_primary_contact",
    "Registrer primærkontakt. / Assign the primary contact.",
    lambda ctx, s: minor.assign_primary_contact(
        s.participant, s.record, ctx.body.contact_id, ctx.body.assigned_on or today(), today()
    ),
)
_command(
    "/minor/measures-plans",
    AgreeMeasuresPlan,
    "agree_minor_measures_plan",
    "Registrer tiltaksplan med mål. / Record the measures plan with its goals.",
    lambda ctx, s: minor.agree_measures_plan(
        s.participant,
        s.record,
        uuid.uuid4(),
        ctx.body.agreed_on or today(),
        tuple(ctx.body.goals),
        today(),
    ),
)
_command(
    "/minor/bedsit-contract",
    SignBedsitContract,
    "sign_minor_bedsit_contract",
    "Ungdommen har signert kontrakt for egen hybel. / The youth signed an own bedsit's tenancy.",
    lambda ctx, s: minor.sign_bedsit_contract(
        s.participant,
        s.record,
        uuid.uuid4(),
        ctx.body.signed_on or today(),
        ctx.body.moves_in_on,
        today(),
    ),
)
_command(
    "/minor/follow-up-contacts",
    RecordFollowUpContact,
    "record_minor_follow_up_contact",
    "Oppfølgingsteamets kontakt (lege, skolemøte, praktisk hjelp, kurs). / A follow-up team "
    "contact (doctor, school meeting, practical help, course).",
    lambda ctx, s: minor.record_follow_up_contact(
        s.participant, s.record, uuid.uuid4(), ctx.body.kind, ctx.body.on or today(), today()
    ),
)
_command(
    "/minor/outcomes",
    RecordMinorOutcome,
    "record_minor_outcome",
    "Registrer et utfall (frafall vgs, kontakt med arbeidslivet, supplerende sosialhjelp etter "
    "20). / Record an outcome.",
    lambda ctx, s: minor.record_outcome(
        s.participant, s.record, ctx.body.outcome, ctx.body.on or today(), today()
    ),
)
_command(
    "/minor/services-end",
    EndServices,
    "end_minor_services",
    "Avslutt tjenestene (aldersgrense eller formell avslutning av samarbeidet). / End the "
    "services (age limit or formal end of cooperation).",
    lambda ctx, s: minor.end_services(
        s.participant,
        s.record,
        ctx.body.reason,
        ctx.body.ended_on or today(),
        ctx.body.basis,
        today(),
    ),
)


class PhaseView(BaseModel):
    phase: ev.MinorPhase
    entered_on: date


class AgeLimitView(BaseModel):
    basis: str
    age: int
    to_be_verified: bool
    valid_from: date
    source: str


class StayView(BaseModel):
    placement_id: uuid.UUID
    shared_home_id: uuid.UUID
    starts_on: date
    ends_on: date | None = Field(description="The place is free that day (half-open stay)")


class ContradictionView(BaseModel):
    code: Literal[
        "shared-home-stay-before-moving-in",
        "shared-home-stay-after-shared-home",
        "shared-home-phase-without-stay",
    ]
    detail: str = Field(description="bokmål / English")
    placement_id: uuid.UUID | None = Field(description="The stay in question, if one")
    facts: dict[str, date | None] = Field(description="The dates on both sides")


class MinorView(BaseModel):
    participant_id: uuid.UUID
    phases: list[PhaseView]
    next_phase: ev.MinorPhase | None
    primary_contact_id: uuid.UUID | None
    measures_plans: list[dict[str, Any]]
    bedsit_contract: dict[str, Any] | None
    follow_up_contacts: list[dict[str, Any]]
    outcomes: list[dict[str, Any]]
    services_ended: dict[str, Any] | None
    age_limits: list[AgeLimitView] = Field(description="In force today, with their sources")
    shared_home_stays: list[StayView] = Field(
        description="The youth's places in shared homes, as the housing service published them"
    )
    housing_contradictions: list[ContradictionView] = Field(
        description="Where the phases and housing's stays disagree (see "
        "docs/participants/unaccompanied-minors.md); empty when they agree"
    )


@router.get(
    "/minor",
    response_model=MinorView,
    summary="Enslig mindreårig: faser, plan, oppfølging og avslutning. / Unaccompanied minor: "
    "phases, plan, follow-up and the services' end.",
    description="Med oppholdene i bofellesskap fra boligtjenesten og der de motsier fasene. "
    "Hver lesing logges (handling `minor`, med formålet fra `X-Purpose`). / With the "
    "shared-home stays from the housing service and where they contradict the phases. "
    "Every read is audited (action `minor`, with the purpose from `X-Purpose`).",
    responses=problem_responses(401, 403, 404, 409),
)
async def get_minor_record(participant_id: uuid.UUID, request: Request, principal: Reader) -> Any:
    runtime = request.app.state.runtime
    async with runtime.db.snapshot() as conn:
        envelopes = await runtime.store.load(conn, str(participant_id))
        if not envelopes or envelopes[0].municipality != principal.municipality:
            raise NotFound(
                f"No participant {participant_id} in municipality {principal.municipality}."
            )
        events = [runtime.store.decode(e) for e in envelopes]
        state = domain.fold(events)
        if state.erased:
            raise NotFound(
                f"No participant {participant_id} in municipality {principal.municipality}."
            )
        if not state.unaccompanied_minor:
            raise minor.NOT_UNACCOMPANIED_MINOR.violation(
                "The participant was not settled as an unaccompanied minor.", "participant_id"
            )
        # Every role reads the same record (an analyst too: there is no pseudonymous
        # version of a youth's phases and follow-up), so every read is audited, in the
        # transaction that read it, as the profile's are.
        await audit.record_reads(conn, principal, request, [participant_id], "minor")
        stays = await _stays(conn, participant_id, principal.municipality)
    record = minor.fold_minor(events)
    day = today()
    return {
        "participant_id": participant_id,
        "phases": [{"phase": p, "entered_on": on} for p, on in record.phases],
        "next_phase": record.next_phase(),
        "primary_contact_id": record.primary_contacts[-1][0] if record.primary_contacts else None,
        "measures_plans": [
            {"plan_id": pid, "agreed_on": on, "goals": [g.model_dump(mode="json") for g in goals]}
            for pid, on, goals in record.plans
        ],
        "bedsit_contract": {
            "contract_id": record.bedsit_contract[0],
            "signed_on": record.bedsit_contract[1],
            "moves_in_on": record.bedsit_contract[2],
            "private_market": True,
        }
        if record.bedsit_contract
        else None,
        "follow_up_contacts": [
            {"contact_id": cid, "kind": kind, "on": on}
            for cid, kind, on in record.follow_up_contacts
        ],
        "outcomes": [{"outcome": o, "on": on} for o, on in record.outcomes],
        "services_ended": {
            "reason": record.ended[0],
            "ended_on": record.ended[1],
            "age_limit": record.ended[2],
        }
        if record.ended
        else None,
        "age_limits": [
            limit
            for basis in minor.AGE_LIMIT_TABLES
            if (limit := minor.age_limit_on(basis, day)) is not None
        ],
        "shared_home_stays": stays,
        "housing_contradictions": [
            {
                "code": c.code,
                "detail": c.detail,
                "placement_id": c.placement_id,
                "facts": c.facts,
            }
            for c in minor_housing.contradictions(record, stays, day)
        ],
    }


async def _stays(
    conn: AsyncConnection, participant_id: uuid.UUID, municipality: str
) -> list[minor_housing.HousingStay]:
    """The youth's shared-home stays as housing's events told this service."""
    table = minor_shared_home_stays
    rows = await conn.execute(
        sa.select(table)
        .where(table.c.participant_id == participant_id, table.c.municipality == municipality)
        .order_by(table.c.starts_on, table.c.placement_id)
    )
    return [
        minor_housing.HousingStay(row.placement_id, row.shared_home_id, row.starts_on, row.ends_on)
        for row in rows
    ]
