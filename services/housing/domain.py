"""The housing aggregates: pure decisions (commands → events) and folds; no I/O.

Two aggregates carry the rules:

* **Dwelling** (stream ``dwelling-<id>``): attributes and status. Only a placement
  makes it occupied; only the end of one makes it vacant again; sold is final.
* **Household** (stream ``household-<id>``): its housing career — applications,
  placements, evictions, rent-to-own agreements, start loans, ownership. One open
  application and one active placement at a time; a purchase needs its agreement
  or loan first.

A placement changes both, so the application layer locks both streams (in a fixed
order) before it loads them; the second of two concurrent allocations of a dwelling
then sees the dwelling occupied and gets a clear 409.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from services.housing import allocation
from services.housing.events import (
    ChangeCause,
    Decision,
    DwellingAddressRecorded,
    DwellingChanged,
    DwellingRegistered,
    DwellingStatus,
    EndReason,
    EvictionGrounds,
    EvictionRecorded,
    HouseholdBecameOwner,
    HousingApplicationDecided,
    HousingApplicationNeedsRecorded,
    HousingApplicationReceived,
    Ownership,
    OwnershipRoute,
    PlacementEnded,
    PlacementStarted,
    RateKind,
    RentRatesSet,
    RentToOwnAgreed,
    Standard,
    StartLoanApplied,
    StartLoanDecided,
    StartLoanDisbursed,
    Urgency,
)
from shared.dates import EARLIEST, LATEST, check_window, not_in_future
from shared.events import Event
from shared.rules import DATE_ORDER, DATE_OUT_OF_RANGE, MISSING_FIELD, RuleViolation, rule

__all__ = ["RuleViolation"]

DWELLING = "dwelling"
HOUSEHOLD = "household"
RENT_RATES = "rent_rates"
RENT_PERIODS = (3, 5)


def dwelling_stream(dwelling_id: uuid.UUID) -> str:
    return f"dwelling-{dwelling_id}"


def household_stream(household_id: uuid.UUID) -> str:
    return f"household-{household_id}"


def rent_rates_stream(municipality: str) -> str:
    return f"rent-rates-{municipality}"


def _housing(code: str, status: int, title: str, description: str = "") -> Any:
    return rule(code, status, title, service="housing", description=description)


# -- the housing timelines' rules (one place each; docs/invariants/housing.md) -----------

TENANCY_OVERLAP = _housing(
    "tenancy-overlap",
    409,
    "Tenancies of one dwelling overlap",
    "A dwelling has at most one tenancy at any moment; a backdated placement may not overlap "
    "another household's tenancy.",
)
# Shared with the participants service's rule of the same code (same status and title):
# a fact of the household's timeline dated before its settlement is an impossible value.
BEFORE_SETTLEMENT = _housing(
    "before-settlement",
    422,
    "Dated before settlement",
    "A placement starts on or after the household's settlement (participant.settled).",
)
PURCHASE_BEFORE_DISBURSEMENT = _housing(
    "purchase-before-disbursement",
    409,
    "Purchase before the start loan was paid out",
    "A purchase financed by a start loan comes on or after the loan's disbursement.",
)
HOUSEHOLD_LEFT = _housing(
    "household-left",
    409,
    "The household has left the municipality",
    "Every settled member left (moved away, emigrated, died, left the household or was "
    "erased) on or before the date; nothing new can be recorded for it from then on.",
)
DWELLING_SOLD = _housing("dwelling-sold", 409, "Dwelling sold", "A sold dwelling is final.")
OCCUPIED_BY_ALLOCATION = _housing(
    "occupied-by-allocation",
    422,
    "Occupied only through an allocation",
    "A dwelling becomes occupied only by allocating it (POST /housing/placements).",
)
DWELLING_OCCUPIED = _housing(
    "dwelling-occupied",
    409,
    "Dwelling occupied",
    "The dwelling has a tenancy now; end it first.",
)
DWELLING_NOT_VACANT = _housing(
    "dwelling-not-vacant", 409, "Dwelling not vacant", "Only a vacant dwelling is allocated."
)
HOUSEHOLD_HOUSED = _housing(
    "household-housed",
    409,
    "Household already has a placement",
    "A household has one municipal placement at a time.",
)
APPLICATION_OPEN = _housing(
    "application-open",
    409,
    "Household already has an open application",
    "One pending or accepted application per household.",
)
APPLICATION_DECIDED = _housing(
    "application-decided", 409, "Application already decided", "A decision is made once."
)
APPLICATION_NOT_ACCEPTED = _housing(
    "application-not-accepted",
    409,
    "Application not accepted",
    "Only an accepted application on the waiting list is given a dwelling.",
)
OCCUPANCY_NORM = _housing(
    "occupancy-norm",
    409,
    "Dwelling does not fit the household",
    "At most two persons per bedroom; access needs are hard constraints.",
)
PLACEMENT_ENDED = _housing(
    "placement-ended", 409, "Placement already ended", "A placement ends once."
)
END_REASON_ENDPOINT = _housing(
    "end-reason-endpoint",
    422,
    "Reason recorded by another command",
    "Evictions and purchases end a placement through their own endpoints.",
)
UNKNOWN_REFERENCE = _housing(
    "unknown-reference",
    422,
    "Not this household's",
    "An id in the command names something that does not belong to this household.",
)
ALREADY_OWNER = _housing(
    "already-owner",
    409,
    "Household already became an owner",
    "An owner household applies for no start loan or rent-to-own and buys no second home.",
)
RENT_PERIOD = _housing(
    "rent-period", 422, "Rent period is 3 or 5 years", "Leie til eie runs 3 or 5 years."
)
NOT_TENANT = _housing(
    "not-tenant",
    409,
    "Household does not rent this dwelling",
    "Rent-to-own and a purchase of "
    "a municipal dwelling are for the dwelling the household rents now.",
)
NOT_MUNICIPAL = _housing(
    "not-municipal", 409, "Not a municipal dwelling", "Only municipally owned dwellings are sold."
)
AGREEMENT_EXISTS = _housing(
    "agreement-exists",
    409,
    "Rent-to-own agreement already active",
    "One active rent-to-own agreement per household.",
)
AGREEMENT_CLOSED = _housing(
    "agreement-closed",
    409,
    "Rent-to-own agreement closed",
    "A completed or lapsed (moved out) agreement is not completed again.",
)
RENT_PERIOD_RUNNING = _housing(
    "rent-period-running",
    409,
    "Rent period still running",
    "A rent-to-own purchase is completed from agreed_on + the rent period.",
)
BUY_UNDER_AGREEMENT = _housing(
    "buy-under-agreement",
    409,
    "Bought under the rent-to-own agreement",
    "A dwelling under a rent-to-own agreement is bought by completing that agreement.",
)
NO_VALUATION = _housing(
    "no-valuation",
    409,
    "No valuation in force",
    "Rent-to-own and cost rent need the dwelling's valuation on the date.",
)
NO_RENT_RATES = _housing(
    "no-rent-rates", 409, "No rent rates in force", "Cost rent needs rates in force on the date."
)
AMOUNT_EXCEEDS_PRICE = _housing(
    "amount-exceeds-price",
    422,
    "Amount exceeds the purchase price",
    "A requested or granted loan plus grant is at most the purchase price.",
)
LOAN_TERMS = _housing(
    "loan-terms",
    422,
    "Start-loan terms impossible",
    "An approval grants something, with an interest-only period shorter than the term; a "
    "rejection grants nothing.",
)
LOAN_PENDING = _housing(
    "loan-pending", 409, "Start-loan application awaiting a decision", "One at a time."
)
LOAN_STATE = _housing(
    "loan-state",
    409,
    "Start loan not in the required state",
    "applied → decided (approved/rejected) → disbursed → used, each once, in that order.",
)
MEMBER_AGES = _housing(
    "member-ages",
    422,
    "Member ages do not match the household size",
    "One age per member, or none.",
)


def _past(field: str, value: date, today: date, what: str) -> None:
    """Housing records facts once they happened; a plan is not recorded as a fact."""
    not_in_future(field, value, today, what)


def _not_before(field: str, value: date, earlier_field: str, earlier: date, what: str) -> None:
    if value < earlier:
        raise DATE_ORDER.violation(
            f"{field} {value.isoformat()} is before {what} ({earlier_field} "
            f"{earlier.isoformat()}).",
            field,
            **{field: value, earlier_field: earlier},
        )


@dataclass(frozen=True)
class HouseholdFacts:
    """What housing knows about the household from the participants service (read model)."""

    settled_on: date | None = None
    left_on: date | None = None
    left_reason: str | None = None
    departures: tuple[date, ...] = ()
    """The days members left (moved away, died, emigrated, left the household)."""

    def size_for(self, applied_size: int, received_on: date, on: date) -> int:
        """The application's size on ``on``: one member fewer for each who left since."""
        gone = sum(1 for day in self.departures if received_on < day <= on)
        return max(applied_size - gone, 0)

    def check_present(self, field: str, on: date) -> None:
        if self.left_on is not None and on >= self.left_on:
            raise HOUSEHOLD_LEFT.violation(
                f"The household left on {self.left_on.isoformat()} ({self.left_reason}); "
                f"{field} {on.isoformat()} is on or after that.",
                field,
                **{field: on, "left_on": self.left_on, "reason": self.left_reason},
            )


def add_years(day: date, years: int, field: str = "date") -> date:
    """``day`` plus whole years (29 February → 28 February), inside the plausible window."""
    target = day.year + years
    if not EARLIEST.year <= target <= LATEST.year:
        raise DATE_OUT_OF_RANGE.violation(
            f"{field} {day.isoformat()} plus {years} years leaves the calendar window.",
            field,
            **{field: day},
        )
    try:
        result = day.replace(year=target)
    except ValueError:
        result = day.replace(year=target, day=28)
    return check_window(field, result)


def add_months(day: date, months: int) -> date:
    """``day`` plus whole months, clamped to the end of a shorter month."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    if not EARLIEST.year <= year <= LATEST.year:
        raise DATE_OUT_OF_RANGE.violation(
            f"{day.isoformat()} plus {months} months leaves the calendar window.", "date"
        )
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")


# -- dwelling ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Tenancy:
    """One household's stay in the dwelling: [starts_on, ends_on), open while ends_on is None."""

    placement_id: uuid.UUID
    starts_on: date
    ends_on: date | None = None

    def overlaps_from(self, starts_on: date) -> bool:
        """Does a new open-ended tenancy from ``starts_on`` overlap this one?

        The day one household moves out another may move in, so periods are half-open.
        """
        return self.ends_on is None or self.ends_on > starts_on

    def period(self) -> str:
        end = self.ends_on.isoformat() if self.ends_on else "open"
        return f"{self.starts_on.isoformat()} – {end}"


@dataclass(frozen=True)
class Dwelling:
    dwelling_id: uuid.UUID | None = None
    district: str = ""
    rooms: int = 1
    size_m2: float = 0.0
    floor: int = 0
    has_lift: bool = False
    accessible: bool = False
    ownership: Ownership = Ownership.municipal
    standard: Standard = Standard.normal
    status: DwellingStatus = DwellingStatus.vacant
    valuation: int | None = None
    registered_on: date | None = None
    status_since: date | None = None
    placement_id: uuid.UUID | None = None
    tenancies: tuple[Tenancy, ...] = ()

    @property
    def exists(self) -> bool:
        return self.dwelling_id is not None

    def facts(self) -> allocation.DwellingFacts:
        return allocation.DwellingFacts(
            rooms=self.rooms,
            floor=self.floor,
            has_lift=self.has_lift,
            accessible=self.accessible,
            district=self.district,
        )


ATTRIBUTES = (
    "district",
    "rooms",
    "size_m2",
    "floor",
    "has_lift",
    "accessible",
    "ownership",
    "standard",
    "valuation",
)


def evolve_dwelling(state: Dwelling, event: Event) -> Dwelling:
    match event:
        case DwellingRegistered():
            return Dwelling(
                dwelling_id=event.dwelling_id,
                district=event.district,
                rooms=event.rooms,
                size_m2=event.size_m2,
                floor=event.floor,
                has_lift=event.has_lift,
                accessible=event.accessible,
                ownership=event.ownership,
                standard=event.standard,
                status=event.status,
                valuation=event.valuation,
                registered_on=event.registered_on,
                status_since=event.registered_on,
            )
        case DwellingChanged():
            changes: dict[str, Any] = {
                name: getattr(event, name)
                for name in ATTRIBUTES
                if getattr(event, name) is not None
            }
            if event.status is not None:
                changes["status"] = event.status
                changes["status_since"] = event.changed_on
                changes["placement_id"] = (
                    event.placement_id if event.status is DwellingStatus.occupied else None
                )
            if event.cause is ChangeCause.placement_started and event.placement_id is not None:
                changes["tenancies"] = (
                    *state.tenancies,
                    Tenancy(event.placement_id, event.changed_on),
                )
            elif event.placement_id is not None and event.cause in (
                ChangeCause.placement_ended,
                ChangeCause.sold_to_tenant,
            ):
                changes["tenancies"] = tuple(
                    replace(t, ends_on=event.changed_on)
                    if t.placement_id == event.placement_id
                    else t
                    for t in state.tenancies
                )
            return replace(state, **changes)
    return state


def fold_dwelling(events: Iterable[Event]) -> Dwelling:
    state = Dwelling()
    for event in events:
        state = evolve_dwelling(state, event)
    return state


def register_dwelling(
    dwelling_id: uuid.UUID,
    *,
    address: str,
    district: str,
    rooms: int,
    size_m2: float,
    floor: int,
    has_lift: bool,
    accessible: bool,
    ownership: Ownership,
    standard: Standard,
    status: DwellingStatus,
    valuation: int | None,
    registered_on: date,
    today: date,
) -> list[Event]:
    _past("registered_on", registered_on, today, "The registration")
    if status not in (DwellingStatus.vacant, DwellingStatus.under_renovation):
        raise OCCUPIED_BY_ALLOCATION.violation(
            "A new dwelling is vacant or under renovation; it becomes occupied only through "
            "an allocation (POST /housing/placements).",
            "status",
            status=status.value,
        )
    return [
        DwellingRegistered(
            dwelling_id=dwelling_id,
            district=district,
            rooms=rooms,
            size_m2=size_m2,
            floor=floor,
            has_lift=has_lift,
            accessible=accessible,
            ownership=ownership,
            standard=standard,
            status=status,
            valuation=valuation,
            registered_on=registered_on,
        ),
        DwellingAddressRecorded(dwelling_id=dwelling_id, address=address),
    ]


def change_dwelling(
    state: Dwelling,
    changed_on: date,
    *,
    today: date,
    address: str | None = None,
    **changes: Any,
) -> list[Event]:
    """An officer's edit. Status may go vacant ⇄ under renovation, or to sold from either.

    Attributes (valuation, size, standard) may be backdated: ``changed_on`` is the day they
    took effect, which is what cost rent on a past date reads. A status change cannot be
    dated before the current status began: the dwelling's status timeline has no gaps.
    """
    assert state.dwelling_id is not None
    _past("changed_on", changed_on, today, "The change")
    if state.status is DwellingStatus.sold:
        raise DWELLING_SOLD.violation(
            "This dwelling was sold and has left the rental stock; it can no longer be changed.",
            sold_on=state.status_since,
        )
    new_status = changes.get("status")
    if new_status is not None and new_status != state.status:
        if new_status is DwellingStatus.occupied:
            raise OCCUPIED_BY_ALLOCATION.violation(
                "A dwelling becomes occupied only by allocating it to a household "
                "(POST /housing/placements).",
                "status",
            )
        if state.status is DwellingStatus.occupied:
            raise DWELLING_OCCUPIED.violation(
                f"The dwelling is occupied (placement {state.placement_id}); end that "
                "placement before changing its status.",
                "status",
                placement_id=str(state.placement_id),
            )
        if state.status_since is not None:
            _not_before(
                "changed_on",
                changed_on,
                "status_since",
                state.status_since,
                f"the dwelling became {state.status.value.replace('_', ' ')}",
            )
    if state.registered_on is not None:
        _not_before(
            "changed_on", changed_on, "registered_on", state.registered_on, "the registration"
        )
    differing = {
        name: value
        for name, value in changes.items()
        if value is not None and getattr(state, name) != value
    }
    if new_status is not None and new_status == state.status:
        differing.pop("status", None)
    events: list[Event] = []
    if differing:
        events.append(
            DwellingChanged(
                dwelling_id=state.dwelling_id,
                changed_on=changed_on,
                cause=ChangeCause.edited,
                **differing,
            )
        )
    if address is not None:
        events.append(DwellingAddressRecorded(dwelling_id=state.dwelling_id, address=address))
    return events


# -- household ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Application:
    application_id: uuid.UUID
    household_size: int
    urgency: Urgency
    received_on: date
    member_ages: tuple[int, ...] = ()
    needs_wheelchair_access: bool = False
    needs_step_free: bool = False
    district_wishes: tuple[str, ...] = ()
    status: str = "pending"
    decided_on: date | None = None
    placement_id: uuid.UUID | None = None

    @property
    def open(self) -> bool:
        return self.status in ("pending", "accepted")

    def candidate(self, household_id: uuid.UUID) -> allocation.Candidate:
        return allocation.Candidate(
            application_id=self.application_id,
            household_id=household_id,
            household_size=self.household_size,
            member_ages=self.member_ages,
            needs_wheelchair_access=self.needs_wheelchair_access,
            needs_step_free=self.needs_step_free,
            district_wishes=self.district_wishes,
            urgency=self.urgency.value,
            received_on=self.received_on,
        )


@dataclass(frozen=True)
class Placement:
    placement_id: uuid.UUID
    dwelling_id: uuid.UUID
    application_id: uuid.UUID
    starts_on: date
    ends_on: date | None = None
    reason: EndReason | None = None

    @property
    def active(self) -> bool:
        return self.ends_on is None


@dataclass(frozen=True)
class Agreement:
    agreement_id: uuid.UUID
    dwelling_id: uuid.UUID
    placement_id: uuid.UUID
    agreed_on: date
    rent_period_years: int
    price: int
    purchase_from: date
    status: str = "active"
    closed_on: date | None = None


@dataclass(frozen=True)
class Loan:
    loan_id: uuid.UUID
    applied_on: date
    purchase_price: int
    status: str = "applied"
    decided_on: date | None = None
    loan_amount: int = 0
    grant_amount: int = 0
    disbursed_on: date | None = None


@dataclass(frozen=True)
class Household:
    household_id: uuid.UUID | None = None
    applications: dict[uuid.UUID, Application] = field(default_factory=dict)
    placements: dict[uuid.UUID, Placement] = field(default_factory=dict)
    agreements: dict[uuid.UUID, Agreement] = field(default_factory=dict)
    loans: dict[uuid.UUID, Loan] = field(default_factory=dict)
    owner_since: date | None = None
    owner_route: OwnershipRoute | None = None

    @property
    def open_application(self) -> Application | None:
        return next((a for a in self.applications.values() if a.open), None)

    @property
    def active_placement(self) -> Placement | None:
        return next((p for p in self.placements.values() if p.active), None)

    @property
    def active_agreement(self) -> Agreement | None:
        return next((a for a in self.agreements.values() if a.status == "active"), None)


def _with(mapping: dict[uuid.UUID, Any], key: uuid.UUID, value: Any) -> dict[uuid.UUID, Any]:
    return {**mapping, key: value}


def evolve_household(state: Household, event: Event) -> Household:
    match event:
        case HousingApplicationReceived():
            app = Application(
                event.application_id, event.household_size, event.urgency, event.received_on
            )
            return replace(
                state,
                household_id=event.household_id,
                applications=_with(state.applications, event.application_id, app),
            )
        case HousingApplicationNeedsRecorded():
            app = replace(
                state.applications[event.application_id],
                member_ages=event.member_ages,
                needs_wheelchair_access=event.needs_wheelchair_access,
                needs_step_free=event.needs_step_free,
                district_wishes=event.district_wishes,
            )
            return replace(state, applications=_with(state.applications, app.application_id, app))
        case HousingApplicationDecided():
            app = replace(
                state.applications[event.application_id],
                status=event.decision.value,
                decided_on=event.decided_on,
            )
            return replace(state, applications=_with(state.applications, app.application_id, app))
        case PlacementStarted():
            placement = Placement(
                event.placement_id, event.dwelling_id, event.application_id, event.starts_on
            )
            app = replace(
                state.applications[event.application_id],
                status="housed",
                placement_id=event.placement_id,
            )
            return replace(
                state,
                household_id=event.household_id,
                placements=_with(state.placements, event.placement_id, placement),
                applications=_with(state.applications, app.application_id, app),
            )
        case PlacementEnded():
            placement = replace(
                state.placements[event.placement_id], ends_on=event.ends_on, reason=event.reason
            )
            agreements = {
                key: (
                    replace(agreement, status="lapsed", closed_on=event.ends_on)
                    if agreement.placement_id == event.placement_id
                    and agreement.status == "active"
                    and event.reason is not EndReason.bought_home
                    else agreement
                )
                for key, agreement in state.agreements.items()
            }
            return replace(
                state,
                placements=_with(state.placements, event.placement_id, placement),
                agreements=agreements,
            )
        case RentToOwnAgreed():
            agreement = Agreement(
                event.agreement_id,
                event.dwelling_id,
                event.placement_id,
                event.agreed_on,
                event.rent_period_years,
                event.price,
                event.purchase_from,
            )
            return replace(state, agreements=_with(state.agreements, event.agreement_id, agreement))
        case StartLoanApplied():
            loan = Loan(event.loan_id, event.applied_on, event.purchase_price)
            return replace(
                state,
                household_id=event.household_id,
                loans=_with(state.loans, event.loan_id, loan),
            )
        case StartLoanDecided():
            loan = replace(
                state.loans[event.loan_id],
                status="approved" if event.approved else "rejected",
                decided_on=event.decided_on,
                loan_amount=event.loan_amount,
                grant_amount=event.grant_amount,
            )
            return replace(state, loans=_with(state.loans, event.loan_id, loan))
        case StartLoanDisbursed():
            loan = replace(
                state.loans[event.loan_id], status="disbursed", disbursed_on=event.disbursed_on
            )
            return replace(state, loans=_with(state.loans, event.loan_id, loan))
        case HouseholdBecameOwner():
            agreements = {
                key: (
                    replace(
                        agreement,
                        status="completed" if key == event.agreement_id else "lapsed",
                        closed_on=event.became_owner_on,
                    )
                    if agreement.status == "active"
                    else agreement
                )
                for key, agreement in state.agreements.items()
            }
            loans = state.loans
            if event.loan_id is not None:
                loans = _with(loans, event.loan_id, replace(loans[event.loan_id], status="used"))
            return replace(
                state,
                owner_since=event.became_owner_on,
                owner_route=event.route,
                agreements=agreements,
                loans=loans,
            )
    return state


def fold_household(events: Iterable[Event]) -> Household:
    state = Household()
    for event in events:
        state = evolve_household(state, event)
    return state


def _application(state: Household, application_id: uuid.UUID) -> Application:
    app = state.applications.get(application_id)
    if app is None:
        raise UNKNOWN_REFERENCE.violation(
            f"Application {application_id} is not this household's.",
            "application_id",
            application_id=str(application_id),
        )
    return app


def receive_application(
    state: Household,
    household_id: uuid.UUID,
    application_id: uuid.UUID,
    *,
    household_size: int,
    member_ages: tuple[int, ...],
    needs_wheelchair_access: bool,
    needs_step_free: bool,
    district_wishes: tuple[str, ...],
    urgency: Urgency,
    received_on: date,
    today: date,
    facts: HouseholdFacts = HouseholdFacts(),
) -> list[Event]:
    _past("received_on", received_on, today, "The application")
    facts.check_present("received_on", received_on)
    if member_ages and len(member_ages) != household_size:
        raise MEMBER_AGES.violation(
            f"member_ages lists {len(member_ages)} ages for a household of {household_size}; "
            "give one age per member or none.",
            "member_ages",
            ages=len(member_ages),
            household_size=household_size,
        )
    current = state.open_application
    if current is not None:
        raise APPLICATION_OPEN.violation(
            f"The household already has an open application ({current.application_id}, "
            f"received {current.received_on.isoformat()}, {current.status}); decide or "
            "withdraw it before registering a new one.",
            application_id=str(current.application_id),
            received_on=current.received_on,
        )
    return [
        HousingApplicationReceived(
            application_id=application_id,
            household_id=household_id,
            household_size=household_size,
            received_on=received_on,
            urgency=urgency,
        ),
        HousingApplicationNeedsRecorded(
            application_id=application_id,
            household_id=household_id,
            member_ages=member_ages,
            needs_wheelchair_access=needs_wheelchair_access,
            needs_step_free=needs_step_free,
            district_wishes=district_wishes,
        ),
    ]


def record_needs(
    state: Household,
    application_id: uuid.UUID,
    *,
    member_ages: tuple[int, ...],
    needs_wheelchair_access: bool,
    needs_step_free: bool,
    district_wishes: tuple[str, ...],
    today: date,
    facts: HouseholdFacts = HouseholdFacts(),
) -> list[Event]:
    """New ages, needs and wishes for an open application (e.g. after an erasure removed
    them, or a member left): they replace the recorded ones, the waiting time stays."""
    assert state.household_id is not None
    app = _application(state, application_id)
    if not app.open:
        raise APPLICATION_DECIDED.violation(
            f"The application is {app.status}; needs are recorded for a pending or accepted "
            "application.",
            status=app.status,
        )
    facts.check_present("today", today)
    size = facts.size_for(app.household_size, app.received_on, today)
    if member_ages and len(member_ages) != size:
        raise MEMBER_AGES.violation(
            f"member_ages lists {len(member_ages)} ages for a household of {size} today; "
            "give one age per member or none.",
            "member_ages",
            ages=len(member_ages),
            household_size=size,
        )
    return [
        HousingApplicationNeedsRecorded(
            application_id=application_id,
            household_id=state.household_id,
            member_ages=member_ages,
            needs_wheelchair_access=needs_wheelchair_access,
            needs_step_free=needs_step_free,
            district_wishes=district_wishes,
        )
    ]


def decide_application(
    state: Household,
    application_id: uuid.UUID,
    decision: Decision,
    decided_on: date,
    *,
    today: date,
    facts: HouseholdFacts = HouseholdFacts(),
) -> list[Event]:
    assert state.household_id is not None
    _past("decided_on", decided_on, today, "The decision")
    if decision is Decision.accepted:
        facts.check_present("decided_on", decided_on)
    app = _application(state, application_id)
    if decision is Decision.withdrawn:
        if not app.open:
            raise APPLICATION_DECIDED.violation(
                f"The application is already {app.status}"
                + (f" (since {app.decided_on.isoformat()})" if app.decided_on else "")
                + "; only a pending or accepted application can be withdrawn.",
                status=app.status,
            )
    elif app.status != "pending":
        raise APPLICATION_DECIDED.violation(
            f"The application was already {app.status}"
            + (f" on {app.decided_on.isoformat()}" if app.decided_on else "")
            + "; a decision is made once.",
            status=app.status,
        )
    _not_before("decided_on", decided_on, "received_on", app.received_on, "the application")
    if app.decided_on is not None:
        _not_before("decided_on", decided_on, "accepted_on", app.decided_on, "the acceptance")
    return [
        HousingApplicationDecided(
            application_id=application_id,
            household_id=state.household_id,
            decision=decision,
            decided_on=decided_on,
        )
    ]


def start_placement(
    household: Household,
    dwelling: Dwelling,
    placement_id: uuid.UUID,
    application_id: uuid.UUID,
    starts_on: date,
    *,
    today: date,
    facts: HouseholdFacts = HouseholdFacts(),
) -> tuple[list[Event], list[Event]]:
    """Allocate ``dwelling`` to the household: (household events, dwelling events).

    The one place that keeps a dwelling's tenancies apart and a household's placements
    after its settlement: a backdated placement is checked against every tenancy the
    dwelling ever had, not only its status today.
    """
    assert household.household_id is not None and dwelling.dwelling_id is not None
    _past("starts_on", starts_on, today, "The move-in")
    app = _application(household, application_id)
    if facts.settled_on is not None and starts_on < facts.settled_on:
        raise BEFORE_SETTLEMENT.violation(
            f"starts_on {starts_on.isoformat()} is before the household was settled "
            f"({facts.settled_on.isoformat()}); a placement starts on or after settlement.",
            "starts_on",
            starts_on=starts_on,
            settled_on=facts.settled_on,
        )
    facts.check_present("starts_on", starts_on)
    if dwelling.status is DwellingStatus.occupied:
        raise DWELLING_OCCUPIED.violation(
            f"The dwelling is already occupied (placement {dwelling.placement_id}, since "
            f"{dwelling.status_since.isoformat() if dwelling.status_since else 'unknown'}); "
            "end that placement before allocating it again.",
            "dwelling_id",
            placement_id=str(dwelling.placement_id),
            since=dwelling.status_since,
        )
    if dwelling.status is not DwellingStatus.vacant:
        raise DWELLING_NOT_VACANT.violation(
            f"The dwelling is {dwelling.status.value.replace('_', ' ')}; only a vacant "
            "dwelling can be allocated.",
            "dwelling_id",
            status=dwelling.status.value,
        )
    for tenancy in dwelling.tenancies:
        if tenancy.overlaps_from(starts_on):
            raise TENANCY_OVERLAP.violation(
                f"A tenancy from starts_on {starts_on.isoformat()} would overlap the "
                f"dwelling's tenancy {tenancy.period()} (placement {tenancy.placement_id}); "
                "a dwelling has one tenancy at a time.",
                "starts_on",
                starts_on=starts_on,
                other_placement_id=str(tenancy.placement_id),
                other_starts_on=tenancy.starts_on,
                other_ends_on=tenancy.ends_on,
            )
    if dwelling.status_since is not None:
        _not_before(
            "starts_on", starts_on, "vacant_since", dwelling.status_since, "the dwelling's vacancy"
        )
    current = household.active_placement
    if current is not None:
        raise HOUSEHOLD_HOUSED.violation(
            f"The household already lives in dwelling {current.dwelling_id} (placement "
            f"{current.placement_id} since {current.starts_on.isoformat()}); a household has "
            "one placement at a time — end that one first (e.g. reason 'other' for a move "
            "between municipal dwellings).",
            placement_id=str(current.placement_id),
            since=current.starts_on,
        )
    last_end = max((p.ends_on for p in household.placements.values() if p.ends_on), default=None)
    if last_end is not None:
        _not_before("starts_on", starts_on, "previous_ends_on", last_end, "its last move-out")
    if app.status == "pending":
        raise APPLICATION_NOT_ACCEPTED.violation(
            "The application is still pending; accept it before allocating a dwelling.",
            "application_id",
            status=app.status,
        )
    if app.status != "accepted":
        raise APPLICATION_NOT_ACCEPTED.violation(
            f"The application is {app.status}; only an accepted application on the waiting "
            "list can be given a dwelling.",
            "application_id",
            status=app.status,
        )
    candidate = app.candidate(household.household_id)
    size = facts.size_for(app.household_size, app.received_on, starts_on)
    if size != candidate.household_size:
        # Ages recorded for the earlier size no longer say who is left; the norm then
        # falls back to the size (ages recorded again for the new size still count).
        ages = candidate.member_ages if len(candidate.member_ages) == size else ()
        candidate = candidate._replace(household_size=max(size, 1), member_ages=ages)
    broken = allocation.violations(dwelling.facts(), candidate)
    if broken:
        raise OCCUPANCY_NORM.violation(
            "This dwelling does not fit the household: "
            + allocation.explain_violations(dwelling.facts(), candidate, broken)
            + ".",
            "dwelling_id",
            broken=list(broken),
        )
    _not_before("starts_on", starts_on, "received_on", app.received_on, "the application")
    if dwelling.registered_on is not None:
        _not_before(
            "starts_on", starts_on, "registered_on", dwelling.registered_on, "the registration"
        )
    return (
        [
            PlacementStarted(
                placement_id=placement_id,
                household_id=household.household_id,
                dwelling_id=dwelling.dwelling_id,
                starts_on=starts_on,
                application_id=application_id,
                household_size=candidate.household_size,
            )
        ],
        [
            DwellingChanged(
                dwelling_id=dwelling.dwelling_id,
                changed_on=starts_on,
                cause=ChangeCause.placement_started,
                placement_id=placement_id,
                status=DwellingStatus.occupied,
            )
        ],
    )


def _active_placement(household: Household, placement_id: uuid.UUID) -> Placement:
    placement = household.placements.get(placement_id)
    if placement is None:
        raise UNKNOWN_REFERENCE.violation(
            f"Placement {placement_id} is not this household's.", placement_id=str(placement_id)
        )
    if not placement.active:
        assert placement.ends_on is not None and placement.reason is not None
        raise PLACEMENT_ENDED.violation(
            f"The placement already ended on {placement.ends_on.isoformat()} "
            f"({placement.reason.value.replace('_', ' ')}).",
            ends_on=placement.ends_on,
            reason=placement.reason.value,
        )
    return placement


def _vacate(placement: Placement, on: date, status: DwellingStatus) -> DwellingChanged:
    return DwellingChanged(
        dwelling_id=placement.dwelling_id,
        changed_on=on,
        cause=(
            ChangeCause.sold_to_tenant
            if status is DwellingStatus.sold
            else ChangeCause.placement_ended
        ),
        placement_id=placement.placement_id,
        status=status,
    )


def _check_move_out(household: Household, placement: Placement, field: str, on: date) -> None:
    """A move-out lies after the move-in and after what was agreed while living there."""
    _not_before(field, on, "starts_on", placement.starts_on, "the placement started")
    for agreement in household.agreements.values():
        if agreement.placement_id == placement.placement_id and agreement.status == "active":
            _not_before(field, on, "agreed_on", agreement.agreed_on, "the rent-to-own agreement")


def end_placement(
    household: Household,
    placement_id: uuid.UUID,
    ends_on: date,
    reason: EndReason,
    *,
    today: date,
) -> tuple[list[Event], list[Event]]:
    assert household.household_id is not None
    if reason is EndReason.eviction:
        raise END_REASON_ENDPOINT.violation(
            "Record an eviction with POST /housing/placements/{id}/eviction so its grounds are "
            "kept; that ends the placement too.",
            "reason",
        )
    if reason is EndReason.bought_home:
        raise END_REASON_ENDPOINT.violation(
            "A purchase ends the placement itself: complete the rent-to-own agreement or "
            "record the purchase with the start loan.",
            "reason",
        )
    _past("ends_on", ends_on, today, "The move-out")
    placement = _active_placement(household, placement_id)
    _check_move_out(household, placement, "ends_on", ends_on)
    return (
        [
            PlacementEnded(
                placement_id=placement_id,
                household_id=household.household_id,
                dwelling_id=placement.dwelling_id,
                ends_on=ends_on,
                reason=reason,
            )
        ],
        [_vacate(placement, ends_on, DwellingStatus.vacant)],
    )


def record_eviction(
    household: Household,
    placement_id: uuid.UUID,
    evicted_on: date,
    grounds: EvictionGrounds,
    *,
    today: date,
) -> tuple[list[Event], list[Event]]:
    assert household.household_id is not None
    _past("evicted_on", evicted_on, today, "The eviction")
    placement = _active_placement(household, placement_id)
    _check_move_out(household, placement, "evicted_on", evicted_on)
    return (
        [
            EvictionRecorded(
                placement_id=placement_id,
                household_id=household.household_id,
                dwelling_id=placement.dwelling_id,
                evicted_on=evicted_on,
                grounds=grounds,
            ),
            PlacementEnded(
                placement_id=placement_id,
                household_id=household.household_id,
                dwelling_id=placement.dwelling_id,
                ends_on=evicted_on,
                reason=EndReason.eviction,
            ),
        ],
        [_vacate(placement, evicted_on, DwellingStatus.vacant)],
    )


def _not_owner(household: Household) -> None:
    if household.owner_since is not None:
        assert household.owner_route is not None
        raise ALREADY_OWNER.violation(
            f"The household already became an owner on {household.owner_since.isoformat()} "
            f"({household.owner_route.value.replace('_', ' ')}).",
            owner_since=household.owner_since,
        )


def agree_rent_to_own(
    household: Household,
    dwelling: Dwelling,
    agreement_id: uuid.UUID,
    *,
    agreed_on: date,
    rent_period_years: int,
    price: int | None,
    today: date,
) -> list[Event]:
    assert household.household_id is not None and dwelling.dwelling_id is not None
    _past("agreed_on", agreed_on, today, "The agreement")
    _not_owner(household)
    if rent_period_years not in RENT_PERIODS:
        raise RENT_PERIOD.violation(
            "The rent period is 3 or 5 years.", "rent_period_years", given=rent_period_years
        )
    placement = household.active_placement
    if placement is None or placement.dwelling_id != dwelling.dwelling_id:
        raise NOT_TENANT.violation(
            "Rent-to-own is for the dwelling the household rents now; the household does not "
            "live in this dwelling.",
            "dwelling_id",
        )
    if dwelling.ownership is not Ownership.municipal:
        raise NOT_MUNICIPAL.violation(
            f"Only municipally owned dwellings can be sold to the tenant; this one is "
            f"{dwelling.ownership.value.replace('_', ' ')}.",
            "dwelling_id",
            ownership=dwelling.ownership.value,
        )
    current = household.active_agreement
    if current is not None:
        raise AGREEMENT_EXISTS.violation(
            f"The household already has a rent-to-own agreement ({current.agreement_id}, "
            f"agreed {current.agreed_on.isoformat()}).",
            agreement_id=str(current.agreement_id),
            agreed_on=current.agreed_on,
        )
    _not_before("agreed_on", agreed_on, "starts_on", placement.starts_on, "the household moved in")
    if price is None:
        if dwelling.valuation is None:
            raise NO_VALUATION.violation(
                "The dwelling has no valuation; record one (PATCH the dwelling) or give the "
                "price — rent-to-own sells at valuation.",
                "price",
            )
        price = dwelling.valuation
    return [
        RentToOwnAgreed(
            agreement_id=agreement_id,
            household_id=household.household_id,
            dwelling_id=dwelling.dwelling_id,
            placement_id=placement.placement_id,
            agreed_on=agreed_on,
            rent_period_years=rent_period_years,
            price=price,
            purchase_from=add_years(agreed_on, rent_period_years, "agreed_on"),
        )
    ]


def _financing_loan(household: Household, loan_id: uuid.UUID, purchased_on: date) -> Loan:
    """The paid-out start loan that finances a purchase on ``purchased_on``."""
    loan = household.loans.get(loan_id)
    if loan is None:
        raise UNKNOWN_REFERENCE.violation(
            f"Start loan {loan_id} is not this household's.", "loan_id", loan_id=str(loan_id)
        )
    if loan.status in ("applied", "rejected"):
        raise LOAN_STATE.violation(
            f"The start loan is {loan.status}; a purchase with it needs an approved and "
            "paid-out loan.",
            "loan_id",
            status=loan.status,
        )
    if loan.status == "approved":
        raise PURCHASE_BEFORE_DISBURSEMENT.violation(
            "The start loan has not been paid out; record its disbursement before the purchase.",
            "loan_id",
            status=loan.status,
        )
    if loan.status != "disbursed":
        raise LOAN_STATE.violation(
            f"The start loan was already used ({loan.status}).", "loan_id", status=loan.status
        )
    assert loan.disbursed_on is not None
    if purchased_on < loan.disbursed_on:
        raise PURCHASE_BEFORE_DISBURSEMENT.violation(
            f"purchased_on {purchased_on.isoformat()} is before the start loan was paid out "
            f"(disbursed_on {loan.disbursed_on.isoformat()}); a purchase comes after the "
            "disbursement.",
            "purchased_on",
            purchased_on=purchased_on,
            disbursed_on=loan.disbursed_on,
        )
    return loan


def complete_rent_to_own(
    household: Household,
    agreement_id: uuid.UUID,
    purchased_on: date,
    loan_id: uuid.UUID | None = None,
    *,
    today: date,
) -> tuple[list[Event], list[Event]]:
    """The tenant buys: ownership, the placement ends (bought home), the dwelling is sold.

    ``loan_id`` names the household's paid-out start loan when it financed the purchase
    (the usual case); the route stays rent-to-own and the loan is used up.
    """
    assert household.household_id is not None
    _past("purchased_on", purchased_on, today, "The purchase")
    _not_owner(household)
    if loan_id is not None:
        _financing_loan(household, loan_id, purchased_on)
    agreement = household.agreements.get(agreement_id)
    if agreement is None:
        raise UNKNOWN_REFERENCE.violation(
            f"Agreement {agreement_id} is not this household's.", agreement_id=str(agreement_id)
        )
    if agreement.status == "lapsed":
        assert agreement.closed_on is not None
        raise AGREEMENT_CLOSED.violation(
            f"The agreement lapsed when the household moved out on "
            f"{agreement.closed_on.isoformat()}; there is nothing to complete.",
            closed_on=agreement.closed_on,
        )
    if agreement.status != "active":
        raise AGREEMENT_CLOSED.violation(
            f"The agreement is already {agreement.status}.", status=agreement.status
        )
    _not_before("purchased_on", purchased_on, "agreed_on", agreement.agreed_on, "the agreement")
    if purchased_on < agreement.purchase_from:
        raise RENT_PERIOD_RUNNING.violation(
            f"The {agreement.rent_period_years}-year rent period runs until "
            f"{agreement.purchase_from.isoformat()}; the purchase can be completed from then.",
            "purchased_on",
            purchased_on=purchased_on,
            purchase_from=agreement.purchase_from,
        )
    placement = household.placements[agreement.placement_id]
    return (
        [
            PlacementEnded(
                placement_id=placement.placement_id,
                household_id=household.household_id,
                dwelling_id=placement.dwelling_id,
                ends_on=purchased_on,
                reason=EndReason.bought_home,
            ),
            HouseholdBecameOwner(
                household_id=household.household_id,
                became_owner_on=purchased_on,
                route=OwnershipRoute.rent_to_own,
                dwelling_id=agreement.dwelling_id,
                price=agreement.price,
                agreement_id=agreement_id,
                loan_id=loan_id,
            ),
        ],
        [_vacate(placement, purchased_on, DwellingStatus.sold)],
    )


def apply_start_loan(
    household: Household,
    household_id: uuid.UUID,
    loan_id: uuid.UUID,
    *,
    applied_on: date,
    purchase_price: int,
    requested_amount: int,
    employment_income: int,
    introduction_benefit: int,
    other_income: int,
    today: date,
    facts: HouseholdFacts = HouseholdFacts(),
) -> list[Event]:
    _past("applied_on", applied_on, today, "The start-loan application")
    facts.check_present("applied_on", applied_on)
    _not_owner(household)
    if requested_amount > purchase_price:
        raise AMOUNT_EXCEEDS_PRICE.violation(
            f"requested_amount NOK {requested_amount:,} is more than the purchase price "
            f"NOK {purchase_price:,}.",
            "requested_amount",
            requested_amount=requested_amount,
            purchase_price=purchase_price,
        )
    pending = next((loan for loan in household.loans.values() if loan.status == "applied"), None)
    if pending is not None:
        raise LOAN_PENDING.violation(
            f"The household already has a start-loan application awaiting a decision "
            f"({pending.loan_id}, applied {pending.applied_on.isoformat()}).",
            loan_id=str(pending.loan_id),
            applied_on=pending.applied_on,
        )
    return [
        StartLoanApplied(
            loan_id=loan_id,
            household_id=household_id,
            applied_on=applied_on,
            purchase_price=purchase_price,
            requested_amount=requested_amount,
            employment_income=employment_income,
            introduction_benefit=introduction_benefit,
            other_income=other_income,
        )
    ]


def _loan(household: Household, loan_id: uuid.UUID) -> Loan:
    loan = household.loans.get(loan_id)
    if loan is None:
        raise UNKNOWN_REFERENCE.violation(
            f"Start loan {loan_id} is not this household's.", loan_id=str(loan_id)
        )
    return loan


def decide_start_loan(
    household: Household,
    loan_id: uuid.UUID,
    *,
    decided_on: date,
    approved: bool,
    loan_amount: int,
    grant_amount: int,
    rate_kind: RateKind | None,
    interest_rate_percent: float | None,
    interest_only_years: int,
    term_years: int | None,
    today: date,
) -> list[Event]:
    assert household.household_id is not None
    _past("decided_on", decided_on, today, "The decision")
    loan = _loan(household, loan_id)
    if loan.status != "applied":
        raise LOAN_STATE.violation(
            f"The start loan was already decided on "
            f"{loan.decided_on.isoformat() if loan.decided_on else '?'} ({loan.status}).",
            status=loan.status,
        )
    _not_before("decided_on", decided_on, "applied_on", loan.applied_on, "the application")
    if approved:
        for name, value in (
            ("rate_kind", rate_kind),
            ("interest_rate_percent", interest_rate_percent),
            ("term_years", term_years),
        ):
            if value is None:
                raise MISSING_FIELD.violation(f"An approved start loan needs {name}.", name)
        if loan_amount + grant_amount == 0:
            raise LOAN_TERMS.violation(
                "An approved start loan grants a loan or a grant.", "loan_amount"
            )
        if loan_amount + grant_amount > loan.purchase_price:
            raise AMOUNT_EXCEEDS_PRICE.violation(
                f"Loan NOK {loan_amount:,} + grant NOK {grant_amount:,} exceed the purchase "
                f"price NOK {loan.purchase_price:,}.",
                "loan_amount",
                purchase_price=loan.purchase_price,
            )
        assert term_years is not None
        if interest_only_years >= term_years:
            raise LOAN_TERMS.violation(
                "The interest-only period must be shorter than the term.", "interest_only_years"
            )
    elif loan_amount or grant_amount:
        raise LOAN_TERMS.violation(
            "A rejected start loan has no loan or grant amount (leave them 0).", "loan_amount"
        )
    return [
        StartLoanDecided(
            loan_id=loan_id,
            household_id=household.household_id,
            decided_on=decided_on,
            approved=approved,
            loan_amount=loan_amount,
            grant_amount=grant_amount,
            rate_kind=rate_kind if approved else None,
            interest_rate_percent=interest_rate_percent if approved else None,
            interest_only_years=interest_only_years if approved else 0,
            term_years=term_years if approved else None,
        )
    ]


def disburse_start_loan(
    household: Household, loan_id: uuid.UUID, disbursed_on: date, *, today: date
) -> list[Event]:
    assert household.household_id is not None
    _past("disbursed_on", disbursed_on, today, "The disbursement")
    loan = _loan(household, loan_id)
    if loan.status == "applied":
        raise LOAN_STATE.violation(
            "The start loan has not been decided yet; it cannot be paid out.", status=loan.status
        )
    if loan.status == "rejected":
        raise LOAN_STATE.violation(
            "The start loan was rejected; there is nothing to pay out.", status=loan.status
        )
    if loan.status != "approved":
        raise LOAN_STATE.violation(
            f"The start loan was already paid out on "
            f"{loan.disbursed_on.isoformat() if loan.disbursed_on else '?'}.",
            status=loan.status,
        )
    assert loan.decided_on is not None
    _not_before("disbursed_on", disbursed_on, "decided_on", loan.decided_on, "the decision")
    return [
        StartLoanDisbursed(
            loan_id=loan_id,
            household_id=household.household_id,
            disbursed_on=disbursed_on,
            loan_amount=loan.loan_amount,
            grant_amount=loan.grant_amount,
        )
    ]


def purchase_with_start_loan(
    household: Household,
    loan_id: uuid.UUID,
    *,
    purchased_on: date,
    price: int,
    dwelling_id: uuid.UUID | None,
    rented_ownership: Ownership | None = None,
    today: date,
) -> tuple[list[Event], list[Event]]:
    """The household bought a home financed by the start loan; any placement ends.

    ``dwelling_id`` is the municipal dwelling bought, which can only be the one the
    household rents (``rented_ownership`` is that dwelling's ownership); ``None`` for a
    home bought on the open market.
    """
    assert household.household_id is not None
    _past("purchased_on", purchased_on, today, "The purchase")
    _not_owner(household)
    _financing_loan(household, loan_id, purchased_on)
    household_events: list[Event] = []
    dwelling_events: list[Event] = []
    agreement = household.active_agreement
    if agreement is not None and dwelling_id == agreement.dwelling_id:
        raise BUY_UNDER_AGREEMENT.violation(
            f"The household buys this dwelling under its rent-to-own agreement "
            f"({agreement.agreement_id}); complete that agreement and name this start loan "
            "as its financing (POST /housing/rent-to-own/{id}/purchase with loan_id).",
            "dwelling_id",
            agreement_id=str(agreement.agreement_id),
        )
    placement = household.active_placement
    if dwelling_id is not None and (placement is None or placement.dwelling_id != dwelling_id):
        raise NOT_TENANT.violation(
            "dwelling_id names a municipal dwelling bought by its tenant, and the household "
            "does not rent this one; leave it out for a home bought on the open market.",
            "dwelling_id",
        )
    if placement is not None:
        _check_move_out(household, placement, "purchased_on", purchased_on)
        household_events.append(
            PlacementEnded(
                placement_id=placement.placement_id,
                household_id=household.household_id,
                dwelling_id=placement.dwelling_id,
                ends_on=purchased_on,
                reason=EndReason.bought_home,
            )
        )
        bought_it = dwelling_id == placement.dwelling_id
        if bought_it and rented_ownership is not Ownership.municipal:
            assert rented_ownership is not None
            raise NOT_MUNICIPAL.violation(
                f"Only municipally owned dwellings can be sold to the tenant; this one is "
                f"{rented_ownership.value.replace('_', ' ')}.",
                "dwelling_id",
                ownership=rented_ownership.value,
            )
        dwelling_events.append(
            _vacate(
                placement,
                purchased_on,
                DwellingStatus.sold if bought_it else DwellingStatus.vacant,
            )
        )
    household_events.append(
        HouseholdBecameOwner(
            household_id=household.household_id,
            became_owner_on=purchased_on,
            route=OwnershipRoute.start_loan,
            dwelling_id=dwelling_id,
            price=price,
            loan_id=loan_id,
        )
    )
    return household_events, dwelling_events


# -- municipality settings ---------------------------------------------------------------


def set_rent_rates(
    *,
    valid_from: date,
    fdv_low: float,
    fdv_normal: float,
    fdv_high: float,
    government_bond_rate_percent: float,
    capital_markup_points: float,
) -> list[Event]:
    """Rates in force from ``valid_from``: a plan may lie ahead, it applies from its date."""
    check_window("valid_from", valid_from)
    return [
        RentRatesSet(
            valid_from=valid_from,
            fdv_per_m2_year_low=fdv_low,
            fdv_per_m2_year_normal=fdv_normal,
            fdv_per_m2_year_high=fdv_high,
            government_bond_rate_percent=government_bond_rate_percent,
            capital_markup_points=capital_markup_points,
        )
    ]


# -- cost rent on a date -----------------------------------------------------------------


@dataclass(frozen=True)
class RentBasis:
    """The dwelling's size, standard and valuation in force on one date (by effective date)."""

    size_m2: float
    standard: Standard
    valuation: int | None


def basis_on(events: Iterable[Event], on: date) -> RentBasis | None:
    """Size, standard and valuation in force on ``on``; None before the dwelling existed.

    A backdated change takes effect on its ``changed_on``; of two changes with the same
    effective date the later recorded wins.
    """
    registered: DwellingRegistered | None = None
    changes: list[tuple[date, int, DwellingChanged]] = []
    for position, event in enumerate(events):
        if isinstance(event, DwellingRegistered):
            registered = event
        elif isinstance(event, DwellingChanged):
            changes.append((event.changed_on, position, event))
    if registered is None or on < registered.registered_on:
        return None
    size, standard, valuation = registered.size_m2, registered.standard, registered.valuation
    for changed_on, _, change in sorted(changes, key=lambda c: (c[0], c[1])):
        if changed_on > on:
            break
        size = change.size_m2 if change.size_m2 is not None else size
        standard = change.standard if change.standard is not None else standard
        valuation = change.valuation if change.valuation is not None else valuation
    return RentBasis(size, standard, valuation)
