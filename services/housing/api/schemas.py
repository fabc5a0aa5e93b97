"""Response models of the housing API (what the OpenAPI document shows)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from shared.paging import Page


class DwellingOut(BaseModel):
    dwelling_id: uuid.UUID
    address: str | None
    district: str
    rooms: int
    size_m2: float
    floor: int
    has_lift: bool
    accessible: bool
    ownership: str
    standard: str
    status: str
    status_since: date
    valuation: int | None
    registered_on: date
    current_placement_id: uuid.UUID | None
    current_household_id: uuid.UUID | None
    version: int


class StockBucket(BaseModel):
    dwellings: int
    in_stock: int = Field(description="Dwellings not sold")
    vacant: int
    occupied: int
    under_renovation: int
    sold: int
    occupancy_rate: float | None = Field(description="occupied / in_stock")


class DistrictBucket(StockBucket):
    district: str


class RoomsBucket(StockBucket):
    rooms: int


class StatusCount(BaseModel):
    status: str
    dwellings: int


class StockOut(BaseModel):
    total: StockBucket
    by_district: list[DistrictBucket]
    by_rooms: list[RoomsBucket]
    by_status: list[StatusCount]


class RentRatesOut(BaseModel):
    valid_from: date
    fdv_per_m2_year: dict[str, float] = Field(description="NOK per m² per year, by standard")
    government_bond_rate_percent: float
    capital_markup_points: float
    recorded_at: datetime


class RentRatesHistory(BaseModel):
    current: RentRatesOut | None
    history: list[RentRatesOut]


class RentOut(BaseModel):
    dwelling_id: uuid.UUID
    on: date
    size_m2: float
    standard: str
    valuation: int
    rates: RentRatesOut
    as_known_at: datetime | None = Field(
        default=None, description="The instant the answer is as of, when one was asked for"
    )
    fdv_per_m2_year: float
    fdv_per_year: float
    capital_rate_percent: float
    capital_cost_per_year: float
    cost_per_year: float
    monthly_rent: int
    explanation: list[str]


class MemberNeedsOut(BaseModel):
    participant_id: uuid.UUID
    needs_wheelchair_access: bool
    needs_step_free: bool


class ApplicationOut(BaseModel):
    application_id: uuid.UUID
    household_id: uuid.UUID
    household_size: int = Field(
        description="Persons today: the size applied for, less the members who left since"
    )
    applied_household_size: int = Field(description="The size the application was made for")
    member_ages: list[int]
    needs_wheelchair_access: bool
    needs_step_free: bool
    district_wishes: list[str]
    urgency: str
    received_on: date
    status: str = Field(description="pending, accepted, rejected, withdrawn or housed")
    accepted_on: date | None
    decided_on: date | None
    placement_id: uuid.UUID | None
    waiting_until: date | None = Field(
        description="The household waits until (not including) this date; null while waiting. "
        "May lie ahead when the household's move away was announced ahead."
    )
    waiting_end_reason: str | None = Field(
        default=None,
        description="Why the waiting ends: rejected, withdrawn, housed, or the household left "
        "(moved_away, emigrated, deceased, left_household, erased)",
    )
    left_to_municipality: str | None = Field(
        default=None, description="The kommunenummer the household moved to (moved_away)"
    )
    needs_erased: bool = Field(
        default=False,
        description="The recorded ages and needs were destroyed with a member's erasure",
    )
    members: list[MemberNeedsOut] = Field(
        default_factory=list,
        description="Needs recorded per member (each sealed with that person's key); they "
        "count while the member lives in the household",
    )


class WaitingEntry(BaseModel):
    position: int
    application_id: uuid.UUID
    household_id: uuid.UUID
    household_size: int
    urgency: str
    received_on: date
    days_waiting: int
    status: str = Field(description="pending or accepted on that day")
    district_wishes: list[str]


class WaitingListOut(Page[WaitingEntry]):
    on: date
    households_waiting: int


class MonthEnd(BaseModel):
    month: str = Field(description="YYYY-MM")
    month_end: date
    households_waiting: int


class YearAverage(BaseModel):
    year: int
    months: int
    average_households_waiting: float


class MonthEndsOut(BaseModel):
    months: list[MonthEnd]
    yearly_averages: list[YearAverage]


class ScorePart(BaseModel):
    factor: str
    points: float
    max_points: float
    reason: str


class Suggestion(BaseModel):
    rank: int
    application_id: uuid.UUID
    household_id: uuid.UUID
    household_size: int
    urgency: str
    received_on: date
    days_waiting: int
    score: float
    parts: list[ScorePart]


class SuggestionsOut(BaseModel):
    dwelling_id: uuid.UUID
    rooms: int
    capacity: int = Field(description="Most persons allowed under the occupancy norm")
    on: date
    considered: int = Field(description="Accepted applications on the waiting list")
    eligible: int
    excluded: dict[str, int] = Field(description="Candidates left out, by hard constraint")
    suggestions: list[Suggestion]
    norm: str


class PlacementOut(BaseModel):
    placement_id: uuid.UUID
    household_id: uuid.UUID
    dwelling_id: uuid.UUID
    application_id: uuid.UUID
    household_size: int
    starts_on: date
    ends_on: date | None
    end_reason: str | None
    evicted_on: date | None
    eviction_grounds: str | None
    active: bool


class AgreementOut(BaseModel):
    agreement_id: uuid.UUID
    household_id: uuid.UUID
    dwelling_id: uuid.UUID
    placement_id: uuid.UUID
    agreed_on: date
    rent_period_years: int
    price: int
    purchase_from: date
    status: str = Field(description="active, completed or lapsed")
    closed_on: date | None


class Assessment(BaseModel):
    assessed_income_per_year: int
    of_which_introduction_benefit: int
    note: str


class LoanOut(BaseModel):
    loan_id: uuid.UUID
    household_id: uuid.UUID
    applied_on: date
    purchase_price: int
    requested_amount: int
    status: str = Field(description="applied, approved, rejected, disbursed or used")
    decided_on: date | None
    loan_amount: int | None
    grant_amount: int | None
    rate_kind: str | None
    interest_rate_percent: float | None
    interest_only_years: int | None
    term_years: int | None
    disbursed_on: date | None
    used_on: date | None
    assessment: Assessment


class OwnershipOut(BaseModel):
    household_id: uuid.UUID
    became_owner_on: date
    route: str
    dwelling_id: uuid.UUID | None
    price: int
    agreement_id: uuid.UUID | None
    loan_id: uuid.UUID | None


class HouseholdHistory(BaseModel):
    household_id: uuid.UUID
    situation: str = Field(
        description="left (every member gone), waiting, in_municipal_dwelling, owner or "
        "no_municipal_housing"
    )
    situation_label: str | None = Field(
        default=None, description="`situation` in the request's language (bokmål by default)"
    )
    settlement: dict[str, Any] | None = Field(
        description="From the participants events, as of today: settled_on, household_size, "
        "members_settled, members_present, member_ages (from birth years), "
        "unaccompanied_minor, left, left_on, left_reason, left_to_municipality"
    )
    days_from_settlement_to_first_placement: int | None
    applications: list[dict[str, Any]]
    placements: list[dict[str, Any]]
    rent_to_own_agreements: list[dict[str, Any]]
    start_loans: list[dict[str, Any]]
    ownership: dict[str, Any] | None
    timeline: list[dict[str, Any]] = Field(
        description="Every recorded fact, oldest first; `label` says what it was in the "
        "request's language"
    )


class EconomyYear(BaseModel):
    year: int
    interest: float
    instalment: float
    owner_costs: float
    tax_deduction: float = Field(description="Income: tax value of the interest deduction")
    owner_net_cash_cost: float
    owner_cost_excluding_instalment: float
    debt_at_year_end: float
    grant_remaining: float
    rent: float
    difference: float = Field(
        description="rent − owner's net cash cost (positive: owning costs less)"
    )


class EconomyTotals(BaseModel):
    interest: float
    instalment: float
    owner_costs: float
    tax_deduction: float
    owner_net_cash_cost: float
    rent: float
    difference: float


class EconomyOut(BaseModel):
    price: int
    grant: int
    loan: int
    own_funds: int
    grant_share_of_price: float
    loan_type: str
    monthly_payment_after_interest_only: float
    owner_costs_per_year: float
    years: list[EconomyYear]
    totals: EconomyTotals
    formulas: list[str]


class FirstPlacement(BaseModel):
    household_id: uuid.UUID
    settled_on: date
    first_placement_on: date | None
    days: int | None


class TimeToPlacementOut(BaseModel):
    settled_from: date
    settled_to: date
    households_settled: int
    households_placed: int
    households_not_placed: int
    households_placed_before_settlement: int = Field(
        default=0,
        description="First placement dated before a (later corrected) settlement: counted "
        "apart, never as negative days",
    )
    mean_days: float | None
    median_days: float | None
    households: list[FirstPlacement]


class MovedOutHousehold(BaseModel):
    household_id: uuid.UUID
    settled_on: date
    deadline: date
    moved_out_on: date | None
    reason: str | None
    within: bool


class MovedOutOut(BaseModel):
    months: int
    settled_from: date
    settled_to: date
    households_in_municipal_housing: int
    window_open: int = Field(description="Not moved out yet and the window has not closed")
    measured: int
    moved_out_within: int
    share: float | None
    moved_to_private_rental_or_own_home: int
    share_private_rental_or_own_home: float | None
    by_reason: dict[str, int]
    households: list[MovedOutHousehold]


class OwnersYear(BaseModel):
    year: int
    rent_to_own: int
    start_loan: int
    total: int


class EvictionsYear(BaseModel):
    year: int
    evictions: int
    by_grounds: dict[str, int]
