"""A household's housing history, the owning-vs-renting economy, and the housing reports."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncConnection

from services.housing import application, queries
from services.housing.api.common import Body, Day, Reader, today
from services.housing.api.schemas import (
    EconomyOut,
    EvictionsYear,
    HouseholdHistory,
    MovedOutOut,
    OwnersYear,
    TimeToPlacementOut,
)
from services.housing.domain import money
from shared.auth import Principal, require_roles
from shared.deps import RuntimeDep
from shared.http import problem_responses
from shared.i18n import Locale, catalog
from shared.paging import DEFAULT_LIMIT, Limit, Offset, Page, page_of
from shared.problems import InvalidInput, field_error

households = APIRouter(prefix="/housing/households", tags=["households"])
economy = APIRouter(prefix="/housing/economy", tags=["economy"])
reports = APIRouter(prefix="/housing/reports", tags=["reports"])

HistoryReader = Annotated[Principal, Depends(require_roles("housing_officer", "manager"))]
Adviser = Annotated[
    Principal, Depends(require_roles("housing_officer", "caseworker", "manager", "analyst"))
]

Year = Annotated[int, Query(ge=1990, le=2100)]


@households.get(
    "/{household_id}",
    response_model=HouseholdHistory,
    summary="Husstandens boligforløp: bosetting, søknader, tildelinger, eierskap. / A "
    "household's housing history: settlement, applications, placements, ownership.",
    description="`situation` er hvor husstanden står i dag (`situation_label` på bokmål, "
    "nynorsk eller engelsk etter `Accept-Language`). `timeline` lister alt boligtjenesten har "
    "registrert for den, eldst først, hver med `label`. / `situation` is where the household "
    "stands today (`situation_label` in bokmål, nynorsk or English by `Accept-Language`). "
    "`timeline` lists every fact housing recorded for it, oldest first, each with a `label`.",
    responses=problem_responses(401, 403, 404),
)
async def get_household_history(
    household_id: uuid.UUID, runtime: RuntimeDep, principal: HistoryReader, locale: Locale
) -> dict[str, Any]:
    async with runtime.db.snapshot() as conn:
        timeline = await application.household_timeline(
            runtime, conn, household_id, principal.municipality
        )
        body = await queries.household_history(conn, household_id, principal.municipality, timeline)
    texts = catalog("shared", "services.housing")
    body["situation_label"] = texts.label("situation", body["situation"], locale)
    for entry in body["timeline"]:
        entry["label"] = texts.text(f"event.{entry['event']}", locale)
    return body


class OwnershipVsRent(Body):
    price: int = Field(gt=0, le=1_000_000_000, description="Purchase price, NOK")
    grant: int = Field(default=0, ge=0, le=1_000_000_000, description="Tilskudd, NOK")
    loan: int = Field(ge=0, le=1_000_000_000, description="Start loan (and other loans), NOK")
    interest_rate_percent: Decimal = Field(ge=0, le=25, decimal_places=3)
    term_years: int = Field(ge=1, le=50)
    interest_only_years: int = Field(default=0, ge=0, le=10)
    loan_type: money.LoanType = money.LoanType.annuity
    rent_per_month: int = Field(ge=0, le=1_000_000, description="Rent the household pays today")
    owner_costs_per_year: int | None = Field(
        default=None, ge=0, le=10_000_000, description="FDV/common costs as owner, NOK a year"
    )
    size_m2: Decimal | None = Field(default=None, gt=0, le=2000, decimal_places=2)
    fdv_per_m2_year: Decimal | None = Field(
        default=None, ge=0, le=100_000, decimal_places=2, description="Instead of owner_costs"
    )
    years: int = Field(default=15, ge=1, le=40)
    rent_growth_percent: Decimal = Field(default=Decimal(0), ge=-10, le=20, decimal_places=3)
    owner_cost_growth_percent: Decimal = Field(default=Decimal(0), ge=-10, le=20, decimal_places=3)
    interest_deduction_percent: Decimal = Field(
        default=Decimal(22), ge=0, le=100, decimal_places=3, description="Tax value of interest"
    )
    grant_write_down_years: int = Field(default=20, ge=1, le=50)


FORMULAS = [
    "own funds = price − grant − loan",
    "monthly rate r = interest_rate_percent / 100 / 12; interest in a month = balance × r",
    "annuity: payment = L × r / (1 − (1 + r)^−n), n = (term − interest-only years) × 12 "
    "months, L = the loan; serial: instalment = L / n",
    "owner costs = owner_costs_per_year (or size_m2 × fdv_per_m2_year) × (1 + growth)^(year − 1)",
    "tax deduction = interest × interest_deduction_percent (income to the owner)",
    "owner net cash cost = interest + instalment + owner costs − tax deduction",
    "rent = rent_per_month × 12 × (1 + rent growth)^(year − 1)",
    "difference = rent − owner net cash cost (positive: owning costs less cash that year)",
    "grant remaining = grant × (1 − min(year / grant_write_down_years, 1))",
    "yearly sums of exact monthly amounts, rounded to øre (half up)",
]


@economy.post(
    "/ownership-vs-rent",
    response_model=EconomyOut,
    summary="Husstandens økonomi over 15 år: eie eller fortsette å leie / Household economy over "
    "15 years: owning vs continuing to rent",
    description="Plain yearly numbers from documented formulas (see `formulas` in the answer). "
    "Seed example: price NOK 2,000,000, grant 740,000, loan 1,260,000, rent 7,185 a month, "
    "owner costs 69 m² × NOK 400. Nothing is stored.",
    responses=problem_responses(401, 403, 422),
)
async def compare_ownership_with_rent(body: OwnershipVsRent, principal: Adviser) -> dict[str, Any]:
    if body.grant + body.loan > body.price:
        raise InvalidInput(
            f"grant NOK {body.grant:,} + loan NOK {body.loan:,} exceed the price NOK {body.price:,}.",
            [field_error("loan", "grant + loan must not exceed price")],
        )
    if body.interest_only_years >= body.term_years:
        raise InvalidInput(
            "The interest-only period must be shorter than the term.",
            [field_error("interest_only_years", "must be less than term_years")],
        )
    if body.owner_costs_per_year is not None:
        owner_costs = Decimal(body.owner_costs_per_year)
    elif body.size_m2 is not None and body.fdv_per_m2_year is not None:
        owner_costs = body.size_m2 * body.fdv_per_m2_year
    else:
        raise InvalidInput(
            "Give owner_costs_per_year, or size_m2 and fdv_per_m2_year.",
            [field_error("owner_costs_per_year", "owner costs are missing")],
        )
    purchase = money.Purchase(
        price=Decimal(body.price),
        grant=Decimal(body.grant),
        loan=Decimal(body.loan),
        interest_rate_percent=body.interest_rate_percent,
        term_years=body.term_years,
        interest_only_years=body.interest_only_years,
        loan_type=body.loan_type,
        owner_costs_per_year=owner_costs,
        rent_per_month=Decimal(body.rent_per_month),
        years=body.years,
        rent_growth_percent=body.rent_growth_percent,
        owner_cost_growth_percent=body.owner_cost_growth_percent,
        interest_deduction_percent=body.interest_deduction_percent,
        grant_write_down_years=body.grant_write_down_years,
    )
    rows = money.ownership_vs_rent(purchase)
    months = (body.term_years - body.interest_only_years) * 12
    if body.loan_type is money.LoanType.annuity:
        payment = money.annuity_payment(purchase.loan, purchase.interest_rate_percent, months)
    else:
        payment = purchase.loan / months + purchase.loan * purchase.interest_rate_percent / 1200
    fields = (
        "interest",
        "instalment",
        "owner_costs",
        "tax_deduction",
        "owner_net_cash_cost",
        "rent",
        "difference",
    )
    return {
        "price": body.price,
        "grant": body.grant,
        "loan": body.loan,
        "own_funds": body.price - body.grant - body.loan,
        "grant_share_of_price": round(body.grant / body.price, 4),
        "loan_type": body.loan_type.value,
        "monthly_payment_after_interest_only": float(money.oere(payment)),
        "owner_costs_per_year": float(money.oere(owner_costs)),
        "years": [{k: queries.jsonable(v) for k, v in vars(row).items()} for row in rows],
        "totals": {
            name: float(sum((getattr(row, name) for row in rows), Decimal(0))) for name in fields
        },
        "formulas": FORMULAS,
    }


def _period(settled_from: Day, settled_to: Day) -> None:
    if settled_to < settled_from:
        raise InvalidInput(
            "settled_to is before settled_from.",
            [field_error("settled_to", "must not be before settled_from")],
        )


def _years(from_year: int, to_year: int) -> None:
    if not 0 <= to_year - from_year < 100:
        raise InvalidInput(
            "to_year must be from from_year up to 99 years later.",
            [field_error("to_year", "must be from from_year to from_year + 99")],
        )


ReportEndpoint = Callable[..., Awaitable[dict[str, Any]]]


def _report(
    path: str, name: str, model: type[BaseModel], summary: str, description: str
) -> Callable[[ReportEndpoint], ReportEndpoint]:
    """The route of a report, registered under ``name``."""
    return reports.get(
        path,
        name=name,
        response_model=model,
        summary=summary,
        description=description,
        responses=problem_responses(401, 403, 422),
    )


CohortReport = Callable[[AsyncConnection, str, date, date], Awaitable[dict[str, Any]]]
"""A report on the households settled in a period: ``(conn, municipality, from, to)``."""


def _cohort_report(
    path: str,
    name: str,
    model: type[BaseModel],
    summary: str,
    description: str,
    report_on: CohortReport,
) -> None:
    """A report on the households settled from ``settled_from`` to ``settled_to``."""

    @_report(path, name, model, summary, description)
    async def report(
        runtime: RuntimeDep, principal: Reader, settled_from: Day, settled_to: Day
    ) -> dict[str, Any]:
        _period(settled_from, settled_to)
        async with runtime.db.snapshot() as conn:
            return await report_on(conn, principal.municipality, settled_from, settled_to)


async def _moved_out_by_today(
    conn: AsyncConnection, municipality: str, settled_from: date, settled_to: date
) -> dict[str, Any]:
    return await queries.moved_out_within(conn, municipality, settled_from, settled_to, today())


_cohort_report(
    "/time-to-first-placement",
    "report_time_to_first_placement",
    TimeToPlacementOut,
    "Dager fra bosetting til første tildeling / Days from settlement to the first placement",
    "For households settled in the period (from `participant.settled`): the days from "
    "settlement to their first municipal placement, with mean and median over those placed.",
    queries.time_to_first_placement,
)
_cohort_report(
    "/moved-out-within-27-months",
    "report_moved_out_within_27_months",
    MovedOutOut,
    "Husstander som flyttet ut av kommunal bolig innen 27 måneder etter bosetting / "
    "Households that moved out of municipal housing within 27 months of settlement",
    "Cohort: households settled in the period that had a municipal placement. A "
    "household moved out on the end of a placement after which it had no municipal dwelling; "
    "it counts when that day is at most 27 months after settlement. Households still inside "
    "their window are `window_open`, left out of `measured`. `share` counts every reason; "
    "`share_private_rental_or_own_home` only moves to private rental or an own home.",
    _moved_out_by_today,
)


YEARLY = (
    "Én rad per år. Rekkefølge: år, eldste først. / One row per year. Order: year, oldest first."
)
YearlyRows = Callable[[AsyncConnection, str, int, int], Awaitable[list[dict[str, Any]]]]
"""A report's rows: ``(conn, municipality, from_year, to_year)``."""


def _yearly_report(
    path: str, name: str, page: type[BaseModel], summary: str, rows_of: YearlyRows
) -> None:
    """A report of one row per year from ``from_year`` to ``to_year``, paged."""

    @_report(path, name, page, summary, YEARLY)
    async def report(
        request: Request,
        runtime: RuntimeDep,
        principal: Reader,
        from_year: Year,
        to_year: Year,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        _years(from_year, to_year)
        async with runtime.db.snapshot() as conn:
            rows = await rows_of(conn, principal.municipality, from_year, to_year)
        return page_of(request, rows, limit, offset)


_yearly_report(
    "/owners-per-year",
    "report_owners_per_year",
    Page[OwnersYear],
    "Husstander som ble eiere, per år og vei / Households that became owners, per year and route",
    queries.owners_per_year,
)
_yearly_report(
    "/evictions-per-year",
    "report_evictions_per_year",
    Page[EvictionsYear],
    "Utkastelser fra kommunale boliger per år, etter grunnlag / Evictions from municipal "
    "dwellings per year, by grounds",
    queries.evictions_per_year,
)
