"""From mapping to contract: competence mapping, career guidance and the integration
contract (integreringskontrakt) with every revision."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from services.participants import events as ev
from services.participants.api.common import (
    Command,
    ReaderReads,
    command_route,
    read_audited,
    today,
)
from services.participants.domain import contract
from services.participants.queries import act as queries
from shared.dates import Day
from shared.http import problem_responses

router = APIRouter(prefix="/participants/{participant_id}", tags=["integration act"])


class RecordMapping(Command):
    """Kompetansekartlegging etter bosetting (integreringsloven § 10). / Competence mapping
    after settlement."""

    mapped_on: Day = Field(description="Not in the future, not before settlement")
    education_level: ev.EducationLevel | None = Field(
        default=None, description="Høyeste fullførte utdanning / Highest completed education"
    )
    upper_secondary_completed: bool = Field(
        default=False,
        description="Fullført videregående opplæring eller høyere; gir kortere programlengde "
        "(§ 13). / Upper-secondary education or higher; the shorter programme length of § 13.",
    )


class RecordGuidance(Command):
    """Karriereveiledning (integreringsloven § 11). / Career guidance."""

    guided_on: Day = Field(description="Not in the future, on or after the mapping")


class AgreeContract(Command):
    """Integreringskontrakt (integreringsloven § 16). / The integration contract."""

    agreed_on: Day
    content: str = Field(
        min_length=1,
        max_length=8000,
        description="Gjensidige forpliktelser og langsiktig mål; forseglet, aldri publisert. / "
        "Mutual obligations and long-term goal; sealed, never published.",
    )


class SignContract(Command):
    revision: int = Field(ge=1, description="The revision both parties signed")
    signed_on: Day


class ReviseContract(Command):
    revised_on: Day
    content: str = Field(min_length=1, max_length=8000, description="Sealed, never published")


command_route(
    router,
    "POST",
    "/competence-mapping",
    RecordMapping,
    lambda b, s, _: contract.record_mapping(
        s, b.mapped_on, b.education_level, b.upper_secondary_completed, today()
    ),
    name="record_competence_mapping",
    summary="Registrer kompetansekartlegging. / Record the competence mapping.",
    description="Etter bosetting (`before-settlement`), ikke fram i tid (`future-fact`), "
    "utdanningsnivået må stemme med fullført videregående (`education-contradiction`). / "
    "After settlement, not ahead; the education level agrees with upper-secondary completion.",
)
command_route(
    router,
    "POST",
    "/career-guidance",
    RecordGuidance,
    lambda b, s, _: contract.record_guidance(s, b.guided_on, today()),
    name="record_career_guidance",
    summary="Registrer karriereveiledning. / Record career guidance.",
    description="Bygger på kartleggingen (`guidance-before-mapping`), etter bosetting. / "
    "Builds on the mapping (integreringsloven § 11), after settlement.",
)
command_route(
    router,
    "POST",
    "/contract",
    AgreeContract,
    lambda b, s, seal: contract.agree_contract(
        s, uuid.uuid4(), b.agreed_on, seal(b.content) or "", today()
    ),
    name="agree_integration_contract",
    summary="Inngå integreringskontrakt. / Agree the integration contract.",
    description="Sammen med integreringsplanen (`contract-without-plan`), én kontrakt "
    "(`contract-exists`); innholdet forsegles. / Made with the integration plan (§ 15); one "
    "contract, revised afterwards; the content is sealed and never published.",
    seals_text=True,
)
command_route(
    router,
    "POST",
    "/contract/signature",
    SignContract,
    lambda b, s, _: contract.sign_contract(s, b.revision, b.signed_on, today()),
    name="sign_integration_contract",
    summary="Registrer signering av kontrakten. / Record the contract's signing.",
    description="En revisjon som finnes (`contract-revision-unknown`), én gang "
    "(`contract-signed`), ikke før den ble avtalt (`date-order`). / A revision that exists, "
    "signed once, on or after it was agreed.",
)
command_route(
    router,
    "POST",
    "/contract/revisions",
    ReviseContract,
    lambda b, s, seal: contract.revise_contract(s, b.revised_on, seal(b.content) or "", today()),
    name="revise_integration_contract",
    summary="Revider integreringskontrakten. / Revise the integration contract.",
    description="Forrige revisjon må være signert (`contract-unsigned`); alle revisjoner "
    "bevares. / The previous revision is signed first; every revision is kept.",
    seals_text=True,
)


class RevisionView(BaseModel):
    revision: int
    agreed_on: str
    plan_revision: int
    signed_on: str | None
    signed: bool
    content: str | None = Field(description="Only for caseworkers; null for analysts")


class ContractView(BaseModel):
    participant_id: uuid.UUID
    contract_id: uuid.UUID | None
    programme_id: uuid.UUID | None
    current_revision: int | None
    signed: bool = Field(description="The current revision is signed")
    revisions: list[RevisionView]


@router.get(
    "/contract",
    summary="Integreringskontrakten med alle revisjoner. / The integration contract with every "
    "revision.",
    description="Eldste først; innholdet bare for saksbehandlere. / Oldest first; the content "
    "in words only for caseworkers (sealed otherwise).",
    response_model=ContractView,
    responses=problem_responses(401, 403, 404),
)
async def get_integration_contract(
    participant_id: uuid.UUID, reading: ReaderReads
) -> dict[str, Any]:
    return await read_audited(
        reading,
        participant_id,
        "contract",
        lambda conn, personal: queries.contract(
            reading.runtime, conn, participant_id, reading.principal.municipality, personal
        ),
    )
