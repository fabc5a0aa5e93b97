"""Municipality settings with history: the cost-covering rent rates."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import Field

from services.housing import application, queries
from services.housing.api.common import Body, Day, Reader, command_route
from services.housing.api.schemas import RentRatesHistory
from shared.auth import Principal, require_roles
from shared.deps import RuntimeDep
from shared.http import problem_responses

router = APIRouter(prefix="/housing/settings", tags=["settings"])

SettingsAdmin = Annotated[Principal, Depends(require_roles("housing_officer", "manager"))]


class FdvRates(Body):
    low: Decimal = Field(ge=0, le=100_000, decimal_places=2)
    normal: Decimal = Field(ge=0, le=100_000, decimal_places=2)
    high: Decimal = Field(ge=0, le=100_000, decimal_places=2)


class SetRentRates(Body):
    valid_from: Day = Field(description="First day the rates apply (may be in the future)")
    fdv_per_m2_year: FdvRates = Field(
        description="FDV (forvaltning, drift, vedlikehold) in NOK per m² per year, by standard"
    )
    government_bond_rate_percent: Decimal = Field(ge=0, le=20, decimal_places=3)
    capital_markup_points: Decimal = Field(
        default=Decimal(2),
        ge=0,
        le=10,
        decimal_places=3,
        description="Percentage points added to the bond rate for the capital cost (normally 2)",
    )


def _rates(body: SetRentRates) -> dict[str, Any]:
    fdv = body.fdv_per_m2_year
    return {
        "valid_from": body.valid_from,
        "fdv_low": float(fdv.low),
        "fdv_normal": float(fdv.normal),
        "fdv_high": float(fdv.high),
        "government_bond_rate_percent": float(body.government_bond_rate_percent),
        "capital_markup_points": float(body.capital_markup_points),
    }


command_route(
    router,
    "POST",
    "/rent-rates",
    SetRentRates,
    application.set_rent_rates,
    name="set_rent_rates",
    status_code=201,
    response_model=RentRatesHistory,
    summary="Sett satsene for kostnadsdekkende husleie fra en dato / Set the cost-covering rent "
    "rates from a date",
    description="Adds a version to the municipality's rate history (an event-sourced settings "
    "stream). Rent on a day uses the version with the latest `valid_from` on or before it; "
    "setting a `valid_from` again corrects that version.",
    principal=SettingsAdmin,
    arguments=_rates,
    problems=(401, 403, 422),
)


@router.get(
    "/rent-rates",
    response_model=RentRatesHistory,
    summary="Husleiesatsene som gjelder i dag, og historikken / The rent rates in force today and "
    "their history",
    responses=problem_responses(401, 403),
)
async def get_rent_rates(runtime: RuntimeDep, principal: Reader) -> dict[str, Any]:
    async with runtime.db.snapshot() as conn:
        return await queries.rent_rates_view(conn, principal.municipality)
