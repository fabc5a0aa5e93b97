"""Employers: the organisations that offer openings."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, field_validator
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.no import orgnr

from services.matching import application, queries
from services.matching.api.common import CommandDep, Created, ListDep, Reader, read
from services.matching.api.schemas import Employer
from services.matching.domain import EMPLOYER
from services.matching.events import Agreement, AgreementMeasure, Contact
from shared.codes import MunicipalityCode
from shared.dates import Day
from shared.deps import IdempotencyKeyHeader, RuntimeDep
from shared.http import problem_responses
from shared.i18n import Locale, catalog
from shared.paging import DEFAULT_LIMIT, Limit, Offset, Page, page_of

router = APIRouter(prefix="/employers", tags=["employers"])


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=200, pattern=r"^[^@\s]+@[^@\s]+$")


class AgreementIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    description: str = Field(min_length=1, max_length=500)
    target_share: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="e.g. 0.7: 70 % of practice participants go on to work",
    )
    valid_until: Day | None = None


class RegisterEmployer(BaseModel):
    """An employer; the organisation number is checked (mod 11) with python-stdnum."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    organisation_number: str = Field(description="9 digits (organisasjonsnummer)")
    name: str = Field(min_length=1, max_length=200)
    industry: str = Field(min_length=1, max_length=100, description="e.g. 'hospitality', 'care'")
    municipality_code: MunicipalityCode = Field(description="Where the employer is")
    mentor_capacity: int = Field(
        ge=0, le=1000, description="How many participants the employer can mentor at once"
    )
    contact: ContactIn | None = None
    agreements: list[AgreementIn] = Field(default_factory=list, max_length=20)

    @field_validator("organisation_number")
    @classmethod
    def _valid_orgnr(cls, value: str) -> str:
        try:
            return str(orgnr.validate(value))
        except StdnumError as exc:
            raise ValueError(f"not a valid organisation number ({exc})") from exc


@router.post(
    "",
    status_code=201,
    response_model=Created,
    summary="Registrer en arbeidsgiver / Register an employer",
    description="Appends `employer.registered` (published) and the employer's name, contact "
    "and agreements (kept inside the service). An organisation number is registered once per "
    "municipality (409 otherwise).",
    responses=problem_responses(401, 403, 409, 422),
)
async def register_employer(
    body: RegisterEmployer,
    command: CommandDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    return await command.run(
        application.register_employer,
        organisation_number=body.organisation_number,
        name=body.name,
        industry=body.industry,
        municipality_code=body.municipality_code,
        mentor_capacity=body.mentor_capacity,
        contact=Contact.model_validate(body.contact.model_dump()) if body.contact else None,
        agreements=[Agreement.model_validate(a.model_dump()) for a in body.agreements],
        body=body,
        created="/employers",
    )


@router.get(
    "",
    response_model=Page[Employer],
    summary="Arbeidsgiverne i kommunen din / Employers of your municipality",
    description="Rekkefølge: navn, så id. / Order: name, then id.",
    responses=problem_responses(401, 403, 422),
)
async def list_employers(
    listing: ListDep,
    principal: Reader,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> dict[str, Any]:
    return await listing.page(
        queries.list_employers, principal.municipality, limit=limit, offset=offset
    )


@router.get(
    "/{employer_id}",
    response_model=Employer,
    summary="Én arbeidsgiver / One employer",
    responses=problem_responses(401, 403, 404),
)
async def get_employer(
    employer_id: uuid.UUID, runtime: RuntimeDep, principal: Reader
) -> dict[str, Any]:
    return await read(runtime, queries.employer_view, employer_id, principal.municipality)


class ContactErased(BaseModel):
    id: uuid.UUID
    version: int
    erased: bool = Field(description="False when the employer had no contact person")


@router.delete(
    "/{employer_id}/contact",
    response_model=ContactErased,
    summary="Slett arbeidsgiverens kontaktperson / Erase the employer's contact person",
    description="Destroys the contact person's key: every sealed copy (event store, read "
    "models after a replay) becomes unreadable, and the employer shows no contact. Nothing "
    "about the contact person is ever published.",
    responses=problem_responses(401, 403, 404),
)
async def erase_employer_contact(
    employer_id: uuid.UUID,
    command: CommandDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    return await command.run(
        application.erase_contact,
        employer_id,
        on=(EMPLOYER, employer_id),
    )


class RecordAgreement(BaseModel):
    """An agreement with the employer, e.g. an IA-avtale or a cooperation agreement."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    measure: AgreementMeasure = Field(
        description="`placement_to_job`: the share of ended practice placements that turn "
        "into a job; `jobs`: jobs and apprenticeships started"
    )
    description: str = Field(min_length=1, max_length=500)
    target_share: float | None = Field(
        default=None, ge=0, le=1, description="With `placement_to_job`, e.g. 0.7 for 70 %"
    )
    target_count: int | None = Field(default=None, ge=1, le=10000, description="With `jobs`")
    valid_from: Day
    valid_until: Day | None = None


class AgreementCreated(BaseModel):
    id: uuid.UUID
    employer_id: uuid.UUID
    version: int


class AgreementStatus(BaseModel):
    agreement_id: uuid.UUID
    measure: AgreementMeasure | None = Field(
        description="null: an agreement from the registration without a target"
    )
    description: str
    target_share: float | None
    target_count: int | None
    valid_from: str | None
    valid_until: str | None
    period_over: bool
    status: Literal["met", "on_track", "behind", "no_outcomes"]
    status_label: str
    ended: int | None = Field(default=None, description="placement_to_job: placements ended")
    turned_into_job: int | None = None
    running: int | None = Field(default=None, description="Placements still running")
    share: float | None = None
    jobs: int | None = Field(default=None, description="jobs: jobs started in the period")
    expected_by_now: float | None = Field(
        default=None, description="jobs: the count that keeps pace with the period"
    )


@router.post(
    "/{employer_id}/agreements",
    status_code=201,
    response_model=AgreementCreated,
    summary="Registrer en avtale med arbeidsgiveren (mål og periode) / Record an agreement with "
    "the employer (target and period)",
    description="Appends `employer_agreement.recorded` (kept inside the service). The target "
    "fits the measure (422 `agreement-target`); `valid_until` not before `valid_from` (422 "
    "`date-order`).",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def record_agreement(
    employer_id: uuid.UUID,
    body: RecordAgreement,
    command: CommandDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    return await command.run(
        application.record_agreement,
        employer_id,
        measure=body.measure,
        description=body.description,
        target_share=body.target_share,
        target_count=body.target_count,
        valid_from=body.valid_from,
        valid_until=body.valid_until,
        body=body,
        on=(EMPLOYER, employer_id),
    )


@router.get(
    "/{employer_id}/agreements",
    response_model=Page[AgreementStatus],
    summary="The employer's agreements, followed up (met / on track / behind)",
    description="Every agreement (from the registration and recorded since) with its status "
    "today computed from matching's outcomes, and the numbers it rests on. "
    "`Accept-Language` words `status_label`. Rekkefølge: som registrert. / Order: as "
    "recorded.",
    responses=problem_responses(401, 403, 404, 422),
)
async def list_agreements(
    employer_id: uuid.UUID,
    listing: ListDep,
    principal: Reader,
    locale: Locale,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> dict[str, Any]:
    async with listing.runtime.db.snapshot() as conn:
        found = await application.employer_agreements(
            listing.runtime, conn, employer_id, principal.municipality
        )
    return page_of(listing.request, [with_status_label(a, locale) for a in found], limit, offset)


def with_status_label(agreement: dict[str, Any], locale: str) -> dict[str, Any]:
    """The agreement's status with its label in ``locale`` (the package catalog)."""
    texts = catalog("shared", "services.matching")
    return {
        **agreement,
        "status_label": texts.text(f"agreement.status.{agreement['status']}", locale),
    }
