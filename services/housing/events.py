"""Events of the housing service.

Published events are the public contract (CloudEvents type ``no.veiviser.<type_name>``).
They carry household and dwelling ids (pseudonymous), dates, categories, sizes and
amounts — never addresses, names, members' ages or accessibility needs (health).
Those travel only in unpublished events.

Units: amounts are whole Norwegian kroner (``int``); areas are m² and rates are
percent per year as JSON numbers with at most three decimals, which the service
turns into exact decimals (``Decimal(str(x))``) before any computation.
"""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum
from typing import ClassVar

from pydantic import Field

from shared.events import Event, EventRegistry, Part
from shared.placement_vocabulary import OwnershipRoute as OwnershipRoute
from shared.placement_vocabulary import Urgency as Urgency

registry = EventRegistry()


class Ownership(StrEnum):
    municipal = "municipal"
    leased_from_private_owner = "leased_from_private_owner"
    private_with_municipal_guarantee = "private_with_municipal_guarantee"


class Standard(StrEnum):
    """The dwelling's standard; with its size it sets the FDV part of the rent."""

    low = "low"
    normal = "normal"
    high = "high"


class DwellingStatus(StrEnum):
    vacant = "vacant"
    occupied = "occupied"
    under_renovation = "under_renovation"
    sold = "sold"


class ChangeCause(StrEnum):
    """Why a dwelling changed: an officer's edit or a step in a household's housing career."""

    edited = "edited"
    placement_started = "placement_started"
    placement_ended = "placement_ended"
    sold_to_tenant = "sold_to_tenant"


class Decision(StrEnum):
    accepted = "accepted"
    rejected = "rejected"
    withdrawn = "withdrawn"


class EndReason(StrEnum):
    private_rental = "private_rental"
    bought_home = "bought_home"
    moved_municipality = "moved_municipality"
    eviction = "eviction"
    death = "death"
    other = "other"


class EvictionGrounds(StrEnum):
    """Grounds for an eviction (husleieloven § 9-9 / tvangsfullbyrdelsesloven § 13-2)."""

    rent_arrears = "rent_arrears"
    breach_of_tenancy = "breach_of_tenancy"
    damage_or_neglect = "damage_or_neglect"
    violence_or_threats = "violence_or_threats"
    other = "other"


class RateKind(StrEnum):
    fixed = "fixed"
    floating = "floating"


# -- dwellings ---------------------------------------------------------------------------


@registry.register
class DwellingRegistered(Event):
    """A dwelling joined the municipality's rental stock."""

    type_name: ClassVar[str] = "housing.dwelling.registered.v1"
    dwelling_id: uuid.UUID
    district: str = Field(max_length=100, description="District (bydel/område) code or name")
    rooms: int = Field(ge=1, description="Rooms excluding kitchen and bathroom")
    size_m2: float = Field(gt=0, description="Usable area (P-rom/BRA) in m²")
    floor: int = Field(description="0 = ground floor")
    has_lift: bool
    accessible: bool = Field(description="Wheelchair accessible (universell utforming)")
    ownership: Ownership
    standard: Standard
    status: DwellingStatus
    valuation: int | None = Field(default=None, ge=0, description="Valuation in NOK")
    registered_on: date


@registry.register
class DwellingAddressRecorded(Event):
    """The dwelling's street address; never published (with a placement it locates a household)."""

    type_name: ClassVar[str] = "housing.dwelling.address_recorded.v1"
    published: ClassVar[bool] = False
    dwelling_id: uuid.UUID
    address: str


@registry.register
class DwellingChanged(Event):
    """Some of the dwelling's attributes or its status changed; null means unchanged."""

    type_name: ClassVar[str] = "housing.dwelling.changed.v1"
    dwelling_id: uuid.UUID
    changed_on: date
    cause: ChangeCause
    placement_id: uuid.UUID | None = Field(
        default=None, description="The placement that started or ended, when that caused it"
    )
    district: str | None = Field(default=None, max_length=100)
    rooms: int | None = Field(default=None, ge=1)
    size_m2: float | None = Field(default=None, gt=0)
    floor: int | None = None
    has_lift: bool | None = None
    accessible: bool | None = None
    ownership: Ownership | None = None
    standard: Standard | None = None
    status: DwellingStatus | None = None
    valuation: int | None = Field(default=None, ge=0)


# -- waiting list --------------------------------------------------------------------------


class _OfApplication(Event):
    """An event of one household's application for a municipal dwelling."""

    application_id: uuid.UUID
    household_id: uuid.UUID


@registry.register
class HousingApplicationReceived(_OfApplication):
    """A household applied for a municipal dwelling."""

    type_name: ClassVar[str] = "housing.housing_application.received.v1"
    household_size: int = Field(ge=1)
    received_on: date
    urgency: Urgency


@registry.register
class HousingApplicationNeedsRecorded(_OfApplication):
    """Members' ages, accessibility needs and district wishes: never published (health data)."""

    type_name: ClassVar[str] = "housing.housing_application.needs_recorded.v1"
    published: ClassVar[bool] = False
    member_ages: tuple[int, ...] = ()
    needs_wheelchair_access: bool = False
    needs_step_free: bool = False
    district_wishes: tuple[str, ...] = ()


@registry.register
class HousingApplicationNeedsSealed(_OfApplication):
    """The needs of :class:`HousingApplicationNeedsRecorded`, sealed with the household's key.

    What housing stores since members' ages and accessibility needs must not survive an
    erasure in clear: the key lives outside the event store and is destroyed then.
    """

    type_name: ClassVar[str] = "housing.housing_application.needs_sealed.v1"
    published: ClassVar[bool] = False
    sealed: str


@registry.register
class MemberNeedsRecorded(_OfApplication):
    """One member's accessibility needs (health data): never stored in clear.

    The domain decides this event; housing stores it as :class:`MemberNeedsSealed`.
    """

    type_name: ClassVar[str] = "housing.housing_application.member_needs_recorded.v1"
    published: ClassVar[bool] = False
    participant_id: uuid.UUID
    needs_wheelchair_access: bool = False
    needs_step_free: bool = False


@registry.register
class MemberNeedsSealed(_OfApplication):
    """:class:`MemberNeedsRecorded`, sealed with the member's own key (shredded on erasure)."""

    type_name: ClassVar[str] = "housing.housing_application.member_needs_sealed.v1"
    published: ClassVar[bool] = False
    participant_id: uuid.UUID
    sealed: str


@registry.register
class HousingApplicationDecided(_OfApplication):
    """The application was accepted (onto the waiting list), rejected, or withdrawn."""

    type_name: ClassVar[str] = "housing.housing_application.decided.v1"
    decision: Decision
    decided_on: date


# -- placements ------------------------------------------------------------------------------


class _OfPlacement(Event):
    """An event of one household's placement in one municipal dwelling."""

    placement_id: uuid.UUID
    household_id: uuid.UUID
    dwelling_id: uuid.UUID


@registry.register
class PlacementStarted(_OfPlacement):
    """A household moved into a municipal dwelling (allocation from the waiting list)."""

    type_name: ClassVar[str] = "housing.placement.started.v1"
    starts_on: date
    application_id: uuid.UUID
    household_size: int = Field(ge=1)


@registry.register
class PlacementEnded(_OfPlacement):
    """A household left a municipal dwelling, with the reason."""

    type_name: ClassVar[str] = "housing.placement.ended.v1"
    ends_on: date
    reason: EndReason


@registry.register
class EvictionRecorded(_OfPlacement):
    """A household was evicted from a municipal dwelling (the placement ends the same day)."""

    type_name: ClassVar[str] = "housing.eviction.recorded.v1"
    evicted_on: date
    grounds: EvictionGrounds


# -- from rent to own ------------------------------------------------------------------------


@registry.register
class RentToOwnAgreed(Event):
    """Leie til eie: the tenant household will buy its municipal dwelling after a rent period."""

    type_name: ClassVar[str] = "housing.rent_to_own.agreed.v1"
    agreement_id: uuid.UUID
    household_id: uuid.UUID
    dwelling_id: uuid.UUID
    placement_id: uuid.UUID
    agreed_on: date
    rent_period_years: int = Field(ge=1)
    price: int = Field(gt=0, description="Purchase price in NOK (the valuation when agreed)")
    purchase_from: date = Field(description="Earliest completion: agreed_on + rent period")


class _OfStartLoan(Event):
    """An event of one household's Husbanken start loan (startlån)."""

    loan_id: uuid.UUID
    household_id: uuid.UUID


@registry.register
class StartLoanApplied(_OfStartLoan):
    """A start-loan application with the household's income: never published (finances)."""

    type_name: ClassVar[str] = "housing.start_loan.applied.v1"
    published: ClassVar[bool] = False
    applied_on: date
    purchase_price: int = Field(gt=0)
    requested_amount: int = Field(ge=0)
    employment_income: int = Field(ge=0)
    introduction_benefit: int = Field(ge=0)
    other_income: int = Field(ge=0)


@registry.register
class StartLoanDecided(_OfStartLoan):
    """Husbanken start loan (startlån) decided: loan, grant (tilskudd) and terms."""

    type_name: ClassVar[str] = "housing.start_loan.decided.v1"
    decided_on: date
    approved: bool
    loan_amount: int = Field(ge=0, description="NOK")
    grant_amount: int = Field(ge=0, description="Tilskudd, NOK")
    rate_kind: RateKind | None = None
    interest_rate_percent: float | None = Field(default=None, ge=0)
    interest_only_years: int = Field(default=0, ge=0)
    term_years: int | None = Field(default=None, ge=1)


@registry.register
class StartLoanDisbursed(_OfStartLoan):
    """The approved start loan (and grant) was paid out."""

    type_name: ClassVar[str] = "housing.start_loan.disbursed.v1"
    disbursed_on: date
    loan_amount: int = Field(ge=0)
    grant_amount: int = Field(ge=0)


@registry.register
class HouseholdBecameOwner(Event):
    """The household bought its home: the end of the housing career from rent to own."""

    type_name: ClassVar[str] = "housing.household.became_owner.v1"
    household_id: uuid.UUID
    became_owner_on: date
    route: OwnershipRoute
    dwelling_id: uuid.UUID | None = Field(
        default=None, description="The municipal dwelling bought, if it was one"
    )
    price: int = Field(gt=0, description="NOK")
    agreement_id: uuid.UUID | None = None
    loan_id: uuid.UUID | None = None


# -- municipality settings --------------------------------------------------------------------


@registry.register
class RentRatesSet(Event):
    """The municipality's cost-covering rent rates, in force from ``valid_from``."""

    type_name: ClassVar[str] = "housing.rent_rates.set.v1"
    published: ClassVar[bool] = False
    valid_from: date
    fdv_per_m2_year_low: float = Field(ge=0)
    fdv_per_m2_year_normal: float = Field(ge=0)
    fdv_per_m2_year_high: float = Field(ge=0)
    government_bond_rate_percent: float = Field(ge=0)
    capital_markup_points: float = Field(default=2.0, ge=0)


# -- settlement planning (bosettingsplan) and the preparedness plan (beredskapsplan) -----------


class MeasureKind(StrEnum):
    """What a preparedness-plan measure adds for settlement."""

    referral_agreement = "referral_agreement"  # private rental with tilvisningsavtale
    host_family = "host_family"  # vertsfamilie
    purchase = "purchase"  # the municipality buys dwellings
    rent_to_own_turnover = "rent_to_own_turnover"  # tenants buying free their dwellings


class MeasureOwner(StrEnum):
    """The municipal unit answerable for a measure (a unit, never a person)."""

    housing_office = "housing_office"  # boligkontoret
    property_department = "property_department"  # eiendom
    refugee_service = "refugee_service"  # flyktningtjenesten
    volunteer_centre = "volunteer_centre"  # frivilligsentralen
    finance = "finance"  # økonomi


class HouseholdCount(Part):
    size: int = Field(ge=1, le=20, description="Persons in the household")
    households: int = Field(ge=0, le=10_000)


class PlannedMonth(Part):
    month: int = Field(ge=1, le=12)
    households: list[HouseholdCount] = Field(max_length=20)
    unaccompanied_minors: int = Field(default=0, ge=0, le=10_000)


class _OfSettlementYear(Event):
    """An event of the municipality's settlement plan for one year."""

    year: int = Field(ge=2000, le=2199)


@registry.register
class SettlementRequested(_OfSettlementYear):
    """IMDi's request (anmodning) to settle refugees in a year, with its household mix."""

    type_name: ClassVar[str] = "housing.settlement_plan.requested.v1"
    requested_on: date
    singles: int = Field(ge=0, le=10_000, description="Single adults")
    families: list[HouseholdCount] = Field(
        max_length=20, description="Families (two persons or more) by size"
    )
    unaccompanied_minors: int = Field(ge=0, le=10_000, description="Enslige mindreårige")
    persons: int = Field(ge=0, le=100_000, description="All persons the request names")


@registry.register
class SettlementDecided(_OfSettlementYear):
    """The council's decision (vedtak) on how many persons it settles in the year."""

    type_name: ClassVar[str] = "housing.settlement_plan.decided.v1"
    decided_on: date
    persons: int = Field(ge=0, le=100_000)
    unaccompanied_minors: int = Field(ge=0, le=10_000, description="Of the persons")


@registry.register
class SettlementPlanned(_OfSettlementYear):
    """The monthly plan: households by size per month, adding up to the decision."""

    type_name: ClassVar[str] = "housing.settlement_plan.planned.v1"
    planned_on: date
    months: list[PlannedMonth] = Field(max_length=12)


@registry.register
class PreparednessMeasureAdded(_OfSettlementYear):
    """A measure of the preparedness plan: dwellings of a size, ready after a lead time."""

    type_name: ClassVar[str] = "housing.settlement_plan.measure_added.v1"
    measure_id: uuid.UUID
    kind: MeasureKind
    rooms: int = Field(ge=1, le=10)
    quantity: int = Field(ge=1, le=1_000)
    decided_on: date
    lead_time_months: int = Field(ge=0, le=36)
    owner: MeasureOwner


@registry.register
class PreparednessMeasureWithdrawn(_OfSettlementYear):
    """A measure was dropped from the preparedness plan."""

    type_name: ClassVar[str] = "housing.settlement_plan.measure_withdrawn.v1"
    measure_id: uuid.UUID
    withdrawn_on: date


# -- shared homes for unaccompanied minors (bofellesskap) -------------------------------


@registry.register
class SharedHomeRegistered(Event):
    """A shared home (bofellesskap) for unaccompanied minors with ``places`` places."""

    type_name: ClassVar[str] = "housing.shared_home.registered.v1"
    shared_home_id: uuid.UUID
    district: str = Field(max_length=100, description="District (bydel/område) code or name")
    places: int = Field(ge=1, le=100)
    registered_on: date


@registry.register
class SharedHomePlacesChanged(Event):
    """The shared home has ``places`` places from ``changed_on``."""

    type_name: ClassVar[str] = "housing.shared_home.places_changed.v1"
    shared_home_id: uuid.UUID
    places: int = Field(ge=1, le=100)
    changed_on: date


class _OfMinorsPlace(Event):
    """An event of one unaccompanied minor's place in a shared home."""

    shared_home_id: uuid.UUID
    placement_id: uuid.UUID
    participant_id: uuid.UUID


@registry.register
class MinorPlacedInSharedHome(_OfMinorsPlace):
    """An unaccompanied minor took a place in the shared home from ``starts_on``."""

    type_name: ClassVar[str] = "housing.shared_home.minor_placed.v1"
    starts_on: date


@registry.register
class MinorLeftSharedHome(_OfMinorsPlace):
    """The youth's place in the shared home ended on ``ends_on`` (the place is free that day)."""

    type_name: ClassVar[str] = "housing.shared_home.minor_left.v1"
    ends_on: date
