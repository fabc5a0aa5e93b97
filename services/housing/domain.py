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
from shared.events import Event

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


class RuleViolation(Exception):
    """The command is impossible in the current state (answered 409)."""


class InvalidCommand(Exception):
    """A value the command cannot accept (answered 422, naming ``field``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def add_months(day: date, months: int) -> date:
    """``day`` plus whole months, clamped to the end of a shorter month."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")


# -- dwelling ----------------------------------------------------------------------------


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
) -> list[Event]:
    if status not in (DwellingStatus.vacant, DwellingStatus.under_renovation):
        raise InvalidCommand(
            "status",
            "A new dwelling is vacant or under renovation; it becomes occupied only through "
            "an allocation (POST /housing/placements).",
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
    state: Dwelling, changed_on: date, *, address: str | None = None, **changes: Any
) -> list[Event]:
    """An officer's edit. Status may go vacant ⇄ under renovation, or to sold from either."""
    assert state.dwelling_id is not None
    if state.status is DwellingStatus.sold:
        raise RuleViolation(
            "This dwelling was sold and has left the rental stock; it can no longer be changed."
        )
    new_status = changes.get("status")
    if new_status is not None and new_status != state.status:
        if new_status is DwellingStatus.occupied:
            raise RuleViolation(
                "A dwelling becomes occupied only by allocating it to a household "
                "(POST /housing/placements)."
            )
        if state.status is DwellingStatus.occupied:
            raise RuleViolation(
                f"The dwelling is occupied (placement {state.placement_id}); end that "
                "placement before changing its status."
            )
    if state.registered_on is not None and changed_on < state.registered_on:
        raise InvalidCommand("changed_on", "changed_on is before the dwelling was registered.")
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
        raise RuleViolation(f"Application {application_id} is not this household's.")
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
) -> list[Event]:
    if member_ages and len(member_ages) != household_size:
        raise InvalidCommand(
            "member_ages",
            f"member_ages lists {len(member_ages)} ages for a household of {household_size}; "
            "give one age per member or none.",
        )
    current = state.open_application
    if current is not None:
        raise RuleViolation(
            f"The household already has an open application ({current.application_id}, "
            f"received {current.received_on.isoformat()}, {current.status}); decide or "
            "withdraw it before registering a new one."
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


def decide_application(
    state: Household, application_id: uuid.UUID, decision: Decision, decided_on: date
) -> list[Event]:
    assert state.household_id is not None
    app = _application(state, application_id)
    if decision is Decision.withdrawn:
        if not app.open:
            raise RuleViolation(
                f"The application is already {app.status}"
                + (f" (since {app.decided_on.isoformat()})" if app.decided_on else "")
                + "; only a pending or accepted application can be withdrawn."
            )
    elif app.status != "pending":
        raise RuleViolation(
            f"The application was already {app.status}"
            + (f" on {app.decided_on.isoformat()}" if app.decided_on else "")
            + "; a decision is made once."
        )
    if decided_on < app.received_on:
        raise InvalidCommand(
            "decided_on",
            f"decided_on {decided_on.isoformat()} is before the application was received "
            f"({app.received_on.isoformat()}).",
        )
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
) -> tuple[list[Event], list[Event]]:
    """Allocate ``dwelling`` to the household: (household events, dwelling events)."""
    assert household.household_id is not None and dwelling.dwelling_id is not None
    app = _application(household, application_id)
    if dwelling.status is DwellingStatus.occupied:
        raise RuleViolation(
            f"The dwelling is already occupied (placement {dwelling.placement_id}, since "
            f"{dwelling.status_since.isoformat() if dwelling.status_since else 'unknown'}); "
            "end that placement before allocating it again."
        )
    if dwelling.status is not DwellingStatus.vacant:
        raise RuleViolation(
            f"The dwelling is {dwelling.status.value.replace('_', ' ')}; only a vacant "
            "dwelling can be allocated."
        )
    current = household.active_placement
    if current is not None:
        raise RuleViolation(
            f"The household already lives in dwelling {current.dwelling_id} (placement "
            f"{current.placement_id} since {current.starts_on.isoformat()}); a household has "
            "one placement at a time — end that one first (e.g. reason 'other' for a move "
            "between municipal dwellings)."
        )
    if app.status == "pending":
        raise RuleViolation(
            "The application is still pending; accept it before allocating a dwelling."
        )
    if app.status != "accepted":
        raise RuleViolation(
            f"The application is {app.status}; only an accepted application on the waiting "
            "list can be given a dwelling."
        )
    broken = allocation.violations(dwelling.facts(), app.candidate(household.household_id))
    if broken:
        raise RuleViolation(
            "This dwelling does not fit the household: "
            + allocation.explain_violations(
                dwelling.facts(), app.candidate(household.household_id), broken
            )
            + "."
        )
    if starts_on < app.received_on:
        raise InvalidCommand(
            "starts_on",
            f"starts_on {starts_on.isoformat()} is before the application was received "
            f"({app.received_on.isoformat()}).",
        )
    if dwelling.registered_on is not None and starts_on < dwelling.registered_on:
        raise InvalidCommand(
            "starts_on",
            f"starts_on {starts_on.isoformat()} is before the dwelling was registered "
            f"({dwelling.registered_on.isoformat()}).",
        )
    return (
        [
            PlacementStarted(
                placement_id=placement_id,
                household_id=household.household_id,
                dwelling_id=dwelling.dwelling_id,
                starts_on=starts_on,
                application_id=application_id,
                household_size=app.household_size,
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
        raise RuleViolation(f"Placement {placement_id} is not this household's.")
    if not placement.active:
        assert placement.ends_on is not None and placement.reason is not None
        raise RuleViolation(
            f"The placement already ended on {placement.ends_on.isoformat()} "
            f"({placement.reason.value.replace('_', ' ')})."
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


def end_placement(
    household: Household, placement_id: uuid.UUID, ends_on: date, reason: EndReason
) -> tuple[list[Event], list[Event]]:
    assert household.household_id is not None
    if reason is EndReason.eviction:
        raise InvalidCommand(
            "reason",
            "Record an eviction with POST /housing/placements/{id}/eviction so its grounds are "
            "kept; that ends the placement too.",
        )
    if reason is EndReason.bought_home:
        raise InvalidCommand(
            "reason",
            "A purchase ends the placement itself: complete the rent-to-own agreement or "
            "record the purchase with the start loan.",
        )
    placement = _active_placement(household, placement_id)
    if ends_on < placement.starts_on:
        raise InvalidCommand(
            "ends_on",
            f"ends_on {ends_on.isoformat()} is before the placement started "
            f"({placement.starts_on.isoformat()}).",
        )
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
    household: Household, placement_id: uuid.UUID, evicted_on: date, grounds: EvictionGrounds
) -> tuple[list[Event], list[Event]]:
    assert household.household_id is not None
    placement = _active_placement(household, placement_id)
    if evicted_on < placement.starts_on:
        raise InvalidCommand(
            "evicted_on",
            f"evicted_on {evicted_on.isoformat()} is before the placement started "
            f"({placement.starts_on.isoformat()}).",
        )
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
        raise RuleViolation(
            f"The household already became an owner on {household.owner_since.isoformat()} "
            f"({household.owner_route.value.replace('_', ' ')})."
        )


def agree_rent_to_own(
    household: Household,
    dwelling: Dwelling,
    agreement_id: uuid.UUID,
    *,
    agreed_on: date,
    rent_period_years: int,
    price: int | None,
) -> list[Event]:
    assert household.household_id is not None and dwelling.dwelling_id is not None
    _not_owner(household)
    if rent_period_years not in RENT_PERIODS:
        raise InvalidCommand("rent_period_years", "The rent period is 3 or 5 years.")
    placement = household.active_placement
    if placement is None or placement.dwelling_id != dwelling.dwelling_id:
        raise RuleViolation(
            "Rent-to-own is for the dwelling the household rents now; the household does not "
            "live in this dwelling."
        )
    if dwelling.ownership is not Ownership.municipal:
        raise RuleViolation(
            f"Only municipally owned dwellings can be sold to the tenant; this one is "
            f"{dwelling.ownership.value.replace('_', ' ')}."
        )
    current = household.active_agreement
    if current is not None:
        raise RuleViolation(
            f"The household already has a rent-to-own agreement ({current.agreement_id}, "
            f"agreed {current.agreed_on.isoformat()})."
        )
    if agreed_on < placement.starts_on:
        raise InvalidCommand(
            "agreed_on",
            f"agreed_on {agreed_on.isoformat()} is before the household moved in "
            f"({placement.starts_on.isoformat()}).",
        )
    if price is None:
        if dwelling.valuation is None:
            raise RuleViolation(
                "The dwelling has no valuation; record one (PATCH the dwelling) or give the "
                "price — rent-to-own sells at valuation."
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
            purchase_from=add_years(agreed_on, rent_period_years),
        )
    ]


def complete_rent_to_own(
    household: Household,
    agreement_id: uuid.UUID,
    purchased_on: date,
    loan_id: uuid.UUID | None = None,
) -> tuple[list[Event], list[Event]]:
    """The tenant buys: ownership, the placement ends (bought home), the dwelling is sold.

    ``loan_id`` names the household's paid-out start loan when it financed the purchase
    (the usual case); the route stays rent-to-own and the loan is used up.
    """
    assert household.household_id is not None
    _not_owner(household)
    if loan_id is not None:
        loan = household.loans.get(loan_id)
        if loan is None:
            raise InvalidCommand("loan_id", f"Start loan {loan_id} is not this household's.")
        if loan.status != "disbursed":
            raise RuleViolation(
                f"The start loan that finances the purchase must be paid out first; it is "
                f"{loan.status}."
            )
    agreement = household.agreements.get(agreement_id)
    if agreement is None:
        raise RuleViolation(f"Agreement {agreement_id} is not this household's.")
    if agreement.status == "lapsed":
        assert agreement.closed_on is not None
        raise RuleViolation(
            f"The agreement lapsed when the household moved out on "
            f"{agreement.closed_on.isoformat()}; there is nothing to complete."
        )
    if agreement.status != "active":
        raise RuleViolation(f"The agreement is already {agreement.status}.")
    if purchased_on < agreement.agreed_on:
        raise RuleViolation(
            f"The purchase date {purchased_on.isoformat()} is before the agreement was made "
            f"({agreement.agreed_on.isoformat()}); a purchase comes after the agreement."
        )
    if purchased_on < agreement.purchase_from:
        raise RuleViolation(
            f"The {agreement.rent_period_years}-year rent period runs until "
            f"{agreement.purchase_from.isoformat()}; the purchase can be completed from then."
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
) -> list[Event]:
    _not_owner(household)
    if requested_amount > purchase_price:
        raise InvalidCommand(
            "requested_amount",
            f"requested_amount NOK {requested_amount:,} is more than the purchase price "
            f"NOK {purchase_price:,}.",
        )
    pending = next((loan for loan in household.loans.values() if loan.status == "applied"), None)
    if pending is not None:
        raise RuleViolation(
            f"The household already has a start-loan application awaiting a decision "
            f"({pending.loan_id}, applied {pending.applied_on.isoformat()})."
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
        raise RuleViolation(f"Start loan {loan_id} is not this household's.")
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
) -> list[Event]:
    assert household.household_id is not None
    loan = _loan(household, loan_id)
    if loan.status != "applied":
        raise RuleViolation(
            f"The start loan was already decided on "
            f"{loan.decided_on.isoformat() if loan.decided_on else '?'} ({loan.status})."
        )
    if decided_on < loan.applied_on:
        raise InvalidCommand(
            "decided_on",
            f"decided_on {decided_on.isoformat()} is before the application "
            f"({loan.applied_on.isoformat()}).",
        )
    if approved:
        for name, value in (
            ("rate_kind", rate_kind),
            ("interest_rate_percent", interest_rate_percent),
            ("term_years", term_years),
        ):
            if value is None:
                raise InvalidCommand(name, f"An approved start loan needs {name}.")
        if loan_amount + grant_amount == 0:
            raise InvalidCommand("loan_amount", "An approved start loan grants a loan or a grant.")
        if loan_amount + grant_amount > loan.purchase_price:
            raise InvalidCommand(
                "loan_amount",
                f"Loan NOK {loan_amount:,} + grant NOK {grant_amount:,} exceed the purchase "
                f"price NOK {loan.purchase_price:,}.",
            )
        assert term_years is not None
        if interest_only_years >= term_years:
            raise InvalidCommand(
                "interest_only_years", "The interest-only period must be shorter than the term."
            )
    elif loan_amount or grant_amount:
        raise InvalidCommand(
            "loan_amount", "A rejected start loan has no loan or grant amount (leave them 0)."
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
    household: Household, loan_id: uuid.UUID, disbursed_on: date
) -> list[Event]:
    assert household.household_id is not None
    loan = _loan(household, loan_id)
    if loan.status == "applied":
        raise RuleViolation("The start loan has not been decided yet; it cannot be paid out.")
    if loan.status == "rejected":
        raise RuleViolation("The start loan was rejected; there is nothing to pay out.")
    if loan.status != "approved":
        raise RuleViolation(
            f"The start loan was already paid out on "
            f"{loan.disbursed_on.isoformat() if loan.disbursed_on else '?'}."
        )
    assert loan.decided_on is not None
    if disbursed_on < loan.decided_on:
        raise InvalidCommand(
            "disbursed_on",
            f"disbursed_on {disbursed_on.isoformat()} is before the decision "
            f"({loan.decided_on.isoformat()}).",
        )
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
) -> tuple[list[Event], list[Event]]:
    """The household bought a home financed by the start loan; any placement ends.

    ``dwelling_id`` is the municipal dwelling bought, which can only be the one the
    household rents (``rented_ownership`` is that dwelling's ownership); ``None`` for a
    home bought on the open market.
    """
    assert household.household_id is not None
    _not_owner(household)
    loan = _loan(household, loan_id)
    if loan.status in ("applied", "rejected"):
        raise RuleViolation(
            "The start loan is not approved; a purchase with it needs an approved and paid-out "
            "loan."
        )
    if loan.status == "approved":
        raise RuleViolation("Record the disbursement of the start loan before the purchase.")
    if loan.status != "disbursed":
        raise RuleViolation(f"The start loan was already used ({loan.status}).")
    assert loan.decided_on is not None
    if purchased_on < loan.decided_on:
        raise RuleViolation(
            f"The purchase date {purchased_on.isoformat()} is before the loan was decided "
            f"({loan.decided_on.isoformat()})."
        )
    household_events: list[Event] = []
    dwelling_events: list[Event] = []
    agreement = household.active_agreement
    if agreement is not None and dwelling_id == agreement.dwelling_id:
        raise RuleViolation(
            f"The household buys this dwelling under its rent-to-own agreement "
            f"({agreement.agreement_id}); complete that agreement and name this start loan "
            "as its financing (POST /housing/rent-to-own/{id}/purchase with loan_id)."
        )
    placement = household.active_placement
    if dwelling_id is not None and (placement is None or placement.dwelling_id != dwelling_id):
        raise InvalidCommand(
            "dwelling_id",
            "dwelling_id names a municipal dwelling bought by its tenant, and the household "
            "does not rent this one; leave it out for a home bought on the open market.",
        )
    if placement is not None:
        if purchased_on < placement.starts_on:
            raise InvalidCommand(
                "purchased_on",
                f"purchased_on {purchased_on.isoformat()} is before the household moved into "
                f"its municipal dwelling ({placement.starts_on.isoformat()}).",
            )
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
            raise RuleViolation(
                f"Only municipally owned dwellings can be sold to the tenant; this one is "
                f"{rented_ownership.value.replace('_', ' ')}."
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
