"""Dwellings: the rental stock, its cost-covering rent, and allocation suggestions."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import Field

from services.housing import application, domain, queries
from services.housing.api.common import (
    Body,
    Day,
    Officer,
    Reader,
    can_see_addresses,
    command_route,
    fields,
    run_command,
    today,
)
from services.housing.api.schemas import DwellingOut, RentOut, StockOut, SuggestionsOut
from services.housing.domain import allocation, money
from services.housing.events import DwellingStatus, Ownership, Standard
from shared.auth import Principal
from shared.dates import EARLIEST, LATEST
from shared.deps import ExpectedVersionDep, IdempotencyKeyHeader, RuntimeDep
from shared.events import utcnow
from shared.http import problem_responses
from shared.paging import Offset, Page, page
from shared.problems import Conflict, InvalidInput, field_error
from shared.rules import DATE_OUT_OF_RANGE, FUTURE_FACT

router = APIRouter(prefix="/housing", tags=["dwellings"])

OCCUPANCY_NORM = (
    "Rooms exclude kitchen and bathroom; bedrooms = rooms − 1 (a studio counts as one). Hard "
    "limit: at most two persons per bedroom (1–2 rooms: 2 persons, 3 rooms: 4, 4 rooms: 6, "
    "5 rooms: 8). Wheelchair users only get accessible dwellings; households needing step-free "
    "access only accessible, ground-floor or lift dwellings."
)

SCORE_DOC = (
    "Score 0–100 = size (40: ideal bedrooms = one for the first two adults, one per further "
    "adult, one per two children; −15 per bedroom short, −10 per bedroom extra) + access (10; 0 "
    "when an accessible dwelling would go to a household that does not need it) + district (15 "
    "wished, 10 no wishes, 0 other) + waiting (20 × days/730, capped) + urgency (acute 15, high "
    "8, normal 0). Ties: urgency, then earliest received."
)


class RegisterDwelling(Body):
    address: str = Field(min_length=1, max_length=200, description="Street address (not published)")
    district: str = Field(min_length=1, max_length=100)
    rooms: int = Field(ge=1, le=20, description="Rooms excluding kitchen and bathroom")
    size_m2: Decimal = Field(gt=0, le=2000, decimal_places=2, description="Usable area in m²")
    floor: int = Field(default=0, ge=-2, le=60, description="0 = ground floor")
    has_lift: bool = False
    accessible: bool = Field(default=False, description="Wheelchair accessible")
    ownership: Ownership = Ownership.municipal
    standard: Standard = Standard.normal
    status: DwellingStatus = Field(
        default=DwellingStatus.vacant, description="vacant or under_renovation"
    )
    valuation: int | None = Field(default=None, ge=0, le=1_000_000_000, description="NOK")
    registered_on: Day = Field(default_factory=today)


class ChangeDwelling(Body):
    changed_on: Day = Field(default_factory=today)
    address: str | None = Field(default=None, min_length=1, max_length=200)
    district: str | None = Field(default=None, min_length=1, max_length=100)
    rooms: int | None = Field(default=None, ge=1, le=20)
    size_m2: Decimal | None = Field(default=None, gt=0, le=2000, decimal_places=2)
    floor: int | None = Field(default=None, ge=-2, le=60)
    has_lift: bool | None = None
    accessible: bool | None = None
    ownership: Ownership | None = None
    standard: Standard | None = None
    status: DwellingStatus | None = Field(
        default=None, description="vacant ⇄ under_renovation, or sold; occupied only by allocation"
    )
    valuation: int | None = Field(default=None, ge=0, le=1_000_000_000)


def _for(principal: Principal, dwelling: dict[str, Any]) -> dict[str, Any]:
    """The dwelling as the caller may see it: without its address for analysts."""
    if not can_see_addresses(principal):
        dwelling = {**dwelling, "address": None}
    return dwelling


command_route(
    router,
    "POST",
    "/dwellings",
    RegisterDwelling,
    application.register_dwelling,
    name="register_dwelling",
    status_code=201,
    response_model=DwellingOut,
    summary="Registrer en bolig i utleieboligmassen / Register a dwelling in the rental stock",
    description="Appends `dwelling.registered` (published, without the address) and the "
    "address in an unpublished event.",
    arguments=lambda body: {**fields(body), "size_m2": float(body.size_m2)},
    location="/housing/dwellings/{dwelling_id}",
    problems=(401, 403, 422),
)


@router.patch(
    "/dwellings/{dwelling_id}",
    response_model=DwellingOut,
    summary="Endre en boligs egenskaper eller status / Change a dwelling's attributes or status",
    description="Appends `dwelling.changed` with the fields that differ. Status may move between "
    "vacant and under renovation, or to sold; occupied only comes from an allocation, and an "
    "occupied dwelling's status changes only when its placement ends (409 otherwise). "
    "`If-Match` guards against overwriting someone else's change.",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def change_dwelling(
    dwelling_id: uuid.UUID,
    body: ChangeDwelling,
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    principal: Officer,
    expected: ExpectedVersionDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    changes = body.model_dump(exclude={"changed_on", "address"}, exclude_none=True)
    if not changes and body.address is None:
        raise InvalidInput(
            "Nothing to change: give at least one attribute.",
            [field_error("body", "give at least one attribute to change")],
        )
    if "size_m2" in changes:
        changes["size_m2"] = float(changes["size_m2"])
    return await run_command(
        runtime,
        request,
        response,
        principal,
        body,
        lambda conn, metadata: application.change_dwelling(
            runtime,
            conn,
            metadata,
            dwelling_id,
            changed_on=body.changed_on,
            changes=changes,
            address=body.address,
            expected_version=expected,
        ),
        target=domain.dwelling_stream(dwelling_id),
        target_noun="dwelling",
    )


@router.get(
    "/dwellings",
    response_model=Page[DwellingOut],
    summary="List boligene / List dwellings",
    description="Rekkefølge: bydel, antall rom, så id. / Order: district, rooms, then id.",
    responses=problem_responses(401, 403, 422),
)
async def list_dwellings(
    request: Request,
    runtime: RuntimeDep,
    principal: Reader,
    status: DwellingStatus | None = None,
    district: Annotated[str | None, Query(max_length=100)] = None,
    min_rooms: Annotated[int | None, Query(ge=1, le=20)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    async with runtime.db.snapshot() as conn:
        found, total = await queries.list_dwellings(
            conn,
            principal.municipality,
            status=status.value if status else None,
            district=district,
            min_rooms=min_rooms,
            limit=limit,
            offset=offset,
        )
    shown = [_for(principal, dwelling) for dwelling in found]
    return page(request, shown, limit=limit, offset=offset, total=total)


@router.get(
    "/dwellings/{dwelling_id}",
    response_model=DwellingOut,
    summary="Én bolig / One dwelling",
    responses=problem_responses(401, 403, 404),
)
async def get_dwelling(
    dwelling_id: uuid.UUID, runtime: RuntimeDep, principal: Reader
) -> dict[str, Any]:
    async with runtime.db.snapshot() as conn:
        return _for(
            principal, await queries.dwelling_view(conn, dwelling_id, principal.municipality)
        )


@router.get(
    "/stock",
    response_model=StockOut,
    summary="Boligmasse og belegg etter bydel, størrelse (rom) og status / Stock and occupancy by "
    "district, size (rooms) and status",
    description="Counts dwellings by status; `occupancy_rate` = occupied / dwellings not sold.",
    responses=problem_responses(401, 403),
)
async def get_stock(runtime: RuntimeDep, principal: Reader) -> dict[str, Any]:
    async with runtime.db.snapshot() as conn:
        return await queries.stock(conn, principal.municipality)


@router.get(
    "/dwellings/{dwelling_id}/rent",
    response_model=RentOut,
    summary="Kostnadsdekkende husleie, forklart / Cost-covering rent (kostnadsdekkende husleie), "
    "explained",
    description="FDV per year = size_m2 × FDV rate (NOK/m²/year) for the dwelling's standard; "
    "capital cost per year = valuation × (government-bond rate + capital markup, normally 2 "
    "percentage points); monthly rent = (FDV + capital) / 12, rounded to whole kroner (half up). "
    "Set by size and standard, not by district. Uses the municipality's rates in force on `on` "
    "(default today). Example: 69 m² × NOK 400 = 27,600; 2,000,000 × 2.931 % = 58,620; "
    "(27,600 + 58,620) / 12 = NOK 7,185 a month.",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def get_rent(
    dwelling_id: uuid.UUID,
    runtime: RuntimeDep,
    principal: Reader,
    on: Annotated[Day | None, Query(description="Date the rates apply to; default today")] = None,
    as_known_at: Annotated[
        datetime | None,
        Query(
            description="Bitemporal: the rent as the recorded facts stood at this instant "
            "(later corrections and backdated changes unseen); default now"
        ),
    ] = None,
) -> dict[str, Any]:
    day = on or today()
    known_at = _known_at(as_known_at)
    async with runtime.db.snapshot() as conn:
        await queries.dwelling_view(conn, dwelling_id, principal.municipality)
        basis = await application.rent_basis(
            runtime, conn, dwelling_id, principal.municipality, day, known_at
        )
        if known_at is None:
            rates = await queries.rates_on(conn, principal.municipality, day)
            shown = (await queries.rent_rates_view(conn, principal.municipality, day))["current"]
        else:
            found = await application.rates_known(
                runtime, conn, principal.municipality, day, known_at
            )
            rates, shown = found if found is not None else (None, None)
    if rates is None or shown is None:
        raise domain.NO_RENT_RATES.violation(
            f"No rent rates are in force on {day.isoformat()}; set them with "
            "POST /housing/settings/rent-rates.",
            "on",
            on=day,
        )
    if basis is None or basis.valuation is None:
        raise domain.NO_VALUATION.violation(
            f"The dwelling has no valuation in force on {day.isoformat()}, so its capital "
            "cost is unknown; record one with PATCH /housing/dwellings/{id} (changed_on is the "
            "day it takes effect).",
            "on",
            on=day,
        )
    size = money.dec(basis.size_m2)
    rent = money.cost_covering_rent(size, basis.standard.value, basis.valuation, rates)
    return {
        "dwelling_id": dwelling_id,
        "on": day,
        "size_m2": float(size),
        "standard": basis.standard.value,
        "valuation": basis.valuation,
        "rates": shown,
        "as_known_at": known_at,
        **rent.as_dict(),
    }


def _known_at(value: datetime | None) -> datetime | None:
    """An instant in the past (a naive one is UTC); the future is not known yet."""
    if value is None:
        return None
    instant = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if not EARLIEST <= instant.date() <= LATEST:
        raise DATE_OUT_OF_RANGE.violation(
            "as_known_at lies outside the plausible window.", "as_known_at"
        )
    if instant > utcnow():
        raise FUTURE_FACT.violation(
            f"as_known_at {instant.isoformat()} lies in the future; what will be recorded "
            "then is not known yet.",
            "as_known_at",
            as_known_at=instant.isoformat(),
        )
    return instant


@router.get(
    "/dwellings/{dwelling_id}/suggestions",
    response_model=SuggestionsOut,
    summary="Rangerte husstander fra ventelisten til en ledig bolig / Ranked households from the "
    "waiting list for a vacant dwelling",
    description="Only accepted applications of households without a municipal dwelling are "
    "considered. Hard constraints (never broken): "
    + OCCUPANCY_NORM
    + " "
    + SCORE_DOC
    + " Each suggestion carries its score's parts with reasons.",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def get_dwelling_suggestions(
    dwelling_id: uuid.UUID,
    runtime: RuntimeDep,
    principal: Reader,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> dict[str, Any]:
    day = today()
    async with runtime.db.snapshot() as conn:
        dwelling = await queries.dwelling_view(conn, dwelling_id, principal.municipality)
        if dwelling["status"] != DwellingStatus.vacant.value:
            raise Conflict(
                f"The dwelling is {dwelling['status'].replace('_', ' ')}; suggestions are for "
                "vacant dwellings."
            )
        found, placed = await queries.candidates(conn, principal.municipality, day)
    facts = allocation.DwellingFacts(
        rooms=dwelling["rooms"],
        floor=dwelling["floor"],
        has_lift=dwelling["has_lift"],
        accessible=dwelling["accessible"],
        district=dwelling["district"],
    )
    result = allocation.suggest(facts, found, day, limit)
    return {
        "dwelling_id": dwelling_id,
        "rooms": facts.rooms,
        "capacity": allocation.capacity(facts.rooms),
        "on": day,
        "considered": result.considered + len(placed),
        "eligible": result.eligible,
        "excluded": {**result.excluded, "still_in_a_municipal_dwelling": len(placed)},
        "suggestions": [
            {
                "rank": item.rank,
                "application_id": item.candidate.application_id,
                "household_id": item.candidate.household_id,
                "household_size": item.candidate.household_size,
                "urgency": item.candidate.urgency,
                "received_on": item.candidate.received_on,
                "days_waiting": (day - item.candidate.received_on).days,
                "score": item.score,
                "parts": [part.as_dict() for part in item.parts],
            }
            for item in result.ranked
        ],
        "norm": OCCUPANCY_NORM,
    }
