"""From rent to own: rent-to-own agreements (leie til eie) and start loans (startlån)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import Field

from services.housing import application, queries
from services.housing.api.common import (
    Body,
    Day,
    Officer,
    command_route,
    fields,
    today,
    view_route,
)
from services.housing.api.schemas import AgreementOut, LoanOut, OwnershipOut
from services.housing.events import RateKind

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


command_route(
    rent_to_own,
    "POST",
    "",
    AgreeRentToOwn,
    application.agree_rent_to_own,
    name="agree_rent_to_own",
    status_code=201,
    response_model=AgreementOut,
    summary="Avtal at leietakerhusstanden kjøper den kommunale boligen etter 3 eller 5 år / Agree "
    "that the tenant household buys its municipal dwelling after 3 or 5 years",
    description="The household must live in the dwelling now, and the dwelling must be "
    "municipally owned. The price is the valuation (default: the dwelling's). Publishes "
    "`rent_to_own.agreed`; the purchase can complete from `agreed_on` + the rent period.",
    visible={"household": "household_id", "dwelling": "dwelling_id"},
)


view_route(
    rent_to_own,
    "/{agreement_id}",
    queries.agreement_view,
    name="get_rent_to_own_agreement",
    response_model=AgreementOut,
    summary="Én leie-til-eie-avtale / One rent-to-own agreement",
)


command_route(
    rent_to_own,
    "POST",
    "/{agreement_id}/purchase",
    CompletePurchase,
    application.complete_rent_to_own,
    name="complete_rent_to_own_purchase",
    status_code=201,
    response_model=OwnershipOut,
    summary="Fullfør kjøpet: husstanden blir eier / Complete the purchase: the household becomes "
    "owner",
    description="Needs an active agreement whose rent period has run (409 otherwise, also for a "
    "date before the agreement). When a start loan financed it, name it in `loan_id` (it must be "
    "paid out). Publishes `placement.ended` (bought_home), "
    "`household.became_owner` (route rent_to_own) and `dwelling.changed` (sold: it leaves the "
    "rental stock).",
    visible={"agreement": "agreement_id"},
)

command_route(
    start_loans,
    "POST",
    "",
    ApplyStartLoan,
    application.apply_start_loan,
    name="apply_for_start_loan",
    status_code=201,
    response_model=LoanOut,
    summary="Registrer en søknad om startlån (Husbanken) / Register a start-loan application "
    "(Husbanken startlån)",
    description="Incomes stay in an unpublished event. The assessment counts the introduction "
    "benefit as income: assessed income = employment + introduction benefit + other.",
    visible={"household": "household_id"},
)


view_route(
    start_loans,
    "/{loan_id}",
    queries.loan_view,
    name="get_start_loan",
    response_model=LoanOut,
    summary="Ett startlån / One start loan",
    principal=Officer,
)


def _loan_decision(body: DecideStartLoan) -> dict[str, Any]:
    rate = body.interest_rate_percent
    return {**fields(body), "interest_rate_percent": float(rate) if rate is not None else None}


command_route(
    start_loans,
    "POST",
    "/{loan_id}/decision",
    DecideStartLoan,
    application.decide_start_loan,
    name="decide_start_loan",
    response_model=LoanOut,
    summary="Vedta startlånet: beløp, tilskudd, rente, avdragsfrihet, løpetid / Decide the start "
    "loan: amounts, grant, rate, interest-only period, term",
    description="Publishes `start_loan.decided`. Approval needs rate kind, rate and term; loan + "
    "grant may not exceed the purchase price; a rejection carries no amounts.",
    arguments=_loan_decision,
    visible={"loan": "loan_id"},
)

command_route(
    start_loans,
    "POST",
    "/{loan_id}/disbursement",
    Disburse,
    application.disburse_start_loan,
    name="disburse_start_loan",
    response_model=LoanOut,
    summary="Innvilget lån og tilskudd er utbetalt / The approved loan and grant were paid out",
    description="Publishes `start_loan.disbursed`.",
    visible={"loan": "loan_id"},
)

command_route(
    start_loans,
    "POST",
    "/{loan_id}/purchase",
    StartLoanPurchase,
    application.purchase_with_start_loan,
    name="record_start_loan_purchase",
    status_code=201,
    response_model=OwnershipOut,
    summary="Husstanden kjøpte bolig med startlånet: den blir eier / The household bought a home "
    "with the start loan: it becomes owner",
    description="Needs a paid-out loan. Buying the dwelling of an active rent-to-own agreement "
    "goes through that agreement instead (409 here). Publishes `household.became_owner` (route "
    "start_loan); other rent-to-own agreements lapse; "
    "a current placement ends (bought_home) and its dwelling becomes vacant — or sold, when the "
    "household bought that very municipal dwelling.",
    visible={"loan": "loan_id"},
)
