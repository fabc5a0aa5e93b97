"""From rent to own: rent-to-own agreements (leie til eie) and start loans (startlån)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from pydantic import Field

from services.housing import application, queries
from services.housing.api.common import Body, Day, Officer, Reader, run_command, today
from services.housing.api.schemas import AgreementOut, LoanOut, OwnershipOut
from services.housing.events import RateKind
from shared.deps import IdempotencyKeyHeader, RuntimeDep
from shared.http import problem_responses

rent_to_own = APIRouter(prefix="/housing/rent-to-own", tags=["rent to own"])
start_loans = APIRouter(prefix="/housing/start-loans", tags=["start loans"])

NOK_MAX = 1_000_000_000


class AgreeRentToOwn(Body):
    household_id: uuid.UUID
    dwelling_id: uuid.UUID = Field(description="The municipal dwelling the household rents now")
    agreed_on: Day = Field(default_factory=today)
    rent_period_years: Literal[3, 5]
    price: int | None = Field(
        default=None, gt=0, le=NOK_MAX, description="NOK; default the dwelling's valuation"
    )


class CompletePurchase(Body):
    purchased_on: Day = Field(default_factory=today)
    loan_id: uuid.UUID | None = Field(
        default=None,
        description="The household's paid-out start loan, when it financed the purchase",
    )


class ApplyStartLoan(Body):
    household_id: uuid.UUID
    applied_on: Day = Field(default_factory=today)
    purchase_price: int = Field(gt=0, le=NOK_MAX, description="NOK")
    requested_amount: int = Field(ge=0, le=NOK_MAX, description="NOK")
    employment_income: int = Field(default=0, ge=0, le=NOK_MAX, description="NOK per year")
    introduction_benefit: int = Field(
        default=0,
        ge=0,
        le=NOK_MAX,
        description="Introduksjonsstønad, NOK per year: counts as income",
    )
    other_income: int = Field(default=0, ge=0, le=NOK_MAX, description="NOK per year")


class DecideStartLoan(Body):
    decided_on: Day = Field(default_factory=today)
    approved: bool
    loan_amount: int = Field(default=0, ge=0, le=NOK_MAX, description="NOK")
    grant_amount: int = Field(default=0, ge=0, le=NOK_MAX, description="Tilskudd, NOK")
    rate_kind: RateKind | None = None
    interest_rate_percent: Decimal | None = Field(default=None, ge=0, le=25, decimal_places=3)
    interest_only_years: int = Field(default=0, ge=0, le=10)
    term_years: int | None = Field(default=None, ge=1, le=50)


class Disburse(Body):
    disbursed_on: Day = Field(default_factory=today)


class StartLoanPurchase(Body):
    purchased_on: Day = Field(default_factory=today)
    price: int = Field(gt=0, le=NOK_MAX, description="NOK")
    dwelling_id: uuid.UUID | None = Field(
        default=None, description="Only when the household buys the municipal dwelling it rents"
    )


@rent_to_own.post(
    "",
    status_code=201,
    response_model=AgreementOut,
    summary="Agree that the tenant household buys its municipal dwelling after 3 or 5 years",
    description="The household must live in the dwelling now, and the dwelling must be "
    "municipally owned. The price is the valuation (default: the dwelling's). Publishes "
    "`rent_to_own.agreed`; the purchase can complete from `agreed_on` + the rent period.",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def agree(
    body: AgreeRentToOwn,
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    principal: Officer,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    return await run_command(
        runtime,
        request,
        response,
        principal,
        body,
        lambda conn, metadata: application.agree_rent_to_own(
            runtime,
            conn,
            metadata,
            household_id=body.household_id,
            dwelling_id=body.dwelling_id,
            agreed_on=body.agreed_on,
            rent_period_years=body.rent_period_years,
            price=body.price,
        ),
        visible=lambda conn: application.visible(
            runtime,
            conn,
            principal.municipality,
            household=body.household_id,
            dwelling=body.dwelling_id,
        ),
    )


@rent_to_own.get(
    "/{agreement_id}",
    response_model=AgreementOut,
    summary="One rent-to-own agreement",
    responses=problem_responses(401, 403, 404),
)
async def get_agreement(
    agreement_id: uuid.UUID, runtime: RuntimeDep, principal: Reader
) -> dict[str, Any]:
    async with runtime.db.connect() as conn:
        return await queries.agreement_view(conn, agreement_id, principal.municipality)


@rent_to_own.post(
    "/{agreement_id}/purchase",
    status_code=201,
    response_model=OwnershipOut,
    summary="Complete the purchase: the household becomes owner",
    description="Needs an active agreement whose rent period has run (409 otherwise, also for a "
    "date before the agreement). When a start loan financed it, name it in `loan_id` (it must be "
    "paid out). Publishes `placement.ended` (bought_home), "
    "`household.became_owner` (route rent_to_own) and `dwelling.changed` (sold: it leaves the "
    "rental stock).",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def complete(
    agreement_id: uuid.UUID,
    body: CompletePurchase,
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    principal: Officer,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    return await run_command(
        runtime,
        request,
        response,
        principal,
        body,
        lambda conn, metadata: application.complete_rent_to_own(
            runtime,
            conn,
            metadata,
            agreement_id,
            purchased_on=body.purchased_on,
            loan_id=body.loan_id,
        ),
        visible=lambda conn: application.visible(
            runtime, conn, principal.municipality, agreement=agreement_id
        ),
    )


@start_loans.post(
    "",
    status_code=201,
    response_model=LoanOut,
    summary="Register a start-loan application (Husbanken startlån)",
    description="Incomes stay in an unpublished event. The assessment counts the introduction "
    "benefit as income: assessed income = employment + introduction benefit + other.",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def apply(
    body: ApplyStartLoan,
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    principal: Officer,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    return await run_command(
        runtime,
        request,
        response,
        principal,
        body,
        lambda conn, metadata: application.apply_start_loan(
            runtime,
            conn,
            metadata,
            household_id=body.household_id,
            applied_on=body.applied_on,
            purchase_price=body.purchase_price,
            requested_amount=body.requested_amount,
            employment_income=body.employment_income,
            introduction_benefit=body.introduction_benefit,
            other_income=body.other_income,
        ),
        visible=lambda conn: application.visible(
            runtime, conn, principal.municipality, household=body.household_id
        ),
    )


@start_loans.get(
    "/{loan_id}",
    response_model=LoanOut,
    summary="One start loan",
    responses=problem_responses(401, 403, 404),
)
async def get_loan(loan_id: uuid.UUID, runtime: RuntimeDep, principal: Officer) -> dict[str, Any]:
    async with runtime.db.connect() as conn:
        return await queries.loan_view(conn, loan_id, principal.municipality)


@start_loans.post(
    "/{loan_id}/decision",
    response_model=LoanOut,
    summary="Decide the start loan: amounts, grant, rate, interest-only period, term",
    description="Publishes `start_loan.decided`. Approval needs rate kind, rate and term; loan + "
    "grant may not exceed the purchase price; a rejection carries no amounts.",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def decide_loan(
    loan_id: uuid.UUID,
    body: DecideStartLoan,
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    principal: Officer,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    return await run_command(
        runtime,
        request,
        response,
        principal,
        body,
        lambda conn, metadata: application.decide_start_loan(
            runtime,
            conn,
            metadata,
            loan_id,
            decided_on=body.decided_on,
            approved=body.approved,
            loan_amount=body.loan_amount,
            grant_amount=body.grant_amount,
            rate_kind=body.rate_kind,
            interest_rate_percent=(
                float(body.interest_rate_percent)
                if body.interest_rate_percent is not None
                else None
            ),
            interest_only_years=body.interest_only_years,
            term_years=body.term_years,
        ),
        visible=lambda conn: application.visible(
            runtime, conn, principal.municipality, loan=loan_id
        ),
    )


@start_loans.post(
    "/{loan_id}/disbursement",
    response_model=LoanOut,
    summary="The approved loan and grant were paid out",
    description="Publishes `start_loan.disbursed`.",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def disburse(
    loan_id: uuid.UUID,
    body: Disburse,
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    principal: Officer,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    return await run_command(
        runtime,
        request,
        response,
        principal,
        body,
        lambda conn, metadata: application.disburse_start_loan(
            runtime, conn, metadata, loan_id, disbursed_on=body.disbursed_on
        ),
        visible=lambda conn: application.visible(
            runtime, conn, principal.municipality, loan=loan_id
        ),
    )


@start_loans.post(
    "/{loan_id}/purchase",
    status_code=201,
    response_model=OwnershipOut,
    summary="The household bought a home with the start loan: it becomes owner",
    description="Needs a paid-out loan. Buying the dwelling of an active rent-to-own agreement "
    "goes through that agreement instead (409 here). Publishes `household.became_owner` (route "
    "start_loan); other rent-to-own agreements lapse; "
    "a current placement ends (bought_home) and its dwelling becomes vacant — or sold, when the "
    "household bought that very municipal dwelling.",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def purchase(
    loan_id: uuid.UUID,
    body: StartLoanPurchase,
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    principal: Officer,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    return await run_command(
        runtime,
        request,
        response,
        principal,
        body,
        lambda conn, metadata: application.purchase_with_start_loan(
            runtime,
            conn,
            metadata,
            loan_id,
            purchased_on=body.purchased_on,
            price=body.price,
            dwelling_id=body.dwelling_id,
        ),
        visible=lambda conn: application.visible(
            runtime, conn, principal.municipality, loan=loan_id
        ),
    )
