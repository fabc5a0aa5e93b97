"""From renting to owning: rent-to-own agreements (leie til eie) and start loans (startlån)."""

from __future__ import annotations

import uuid
from datetime import date

from services.housing.domain.calendar import add_years, happened, not_before
from services.housing.domain.dwelling import Dwelling
from services.housing.domain.household import (
    NOTHING_KNOWN,
    Household,
    HouseholdFacts,
    Loan,
    check_move_out,
    placement_ended,
    vacate,
)
from services.housing.domain.rules import (
    AGREEMENT_CLOSED,
    AGREEMENT_EXISTS,
    ALREADY_OWNER,
    AMOUNT_EXCEEDS_PRICE,
    BUY_UNDER_AGREEMENT,
    LOAN_PENDING,
    LOAN_STATE,
    LOAN_TERMS,
    NO_VALUATION,
    NOT_MUNICIPAL,
    NOT_TENANT,
    PURCHASE_BEFORE_DISBURSEMENT,
    RENT_PERIOD,
    RENT_PERIOD_RUNNING,
    UNKNOWN_REFERENCE,
)
from services.housing.events import (
    DwellingStatus,
    EndReason,
    HouseholdBecameOwner,
    Ownership,
    OwnershipRoute,
    RateKind,
    RentToOwnAgreed,
    StartLoanApplied,
    StartLoanDecided,
    StartLoanDisbursed,
)
from shared.events import Event
from shared.rules import MISSING_FIELD

RENT_PERIODS = (3, 5)
"""Leie til eie: the rent period before the purchase, in years."""


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
    happened("agreed_on", agreed_on, today, "The agreement")
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
    not_before("agreed_on", agreed_on, "starts_on", placement.starts_on, "the household moved in")
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
    happened("purchased_on", purchased_on, today, "The purchase")
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
    not_before("purchased_on", purchased_on, "agreed_on", agreement.agreed_on, "the agreement")
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
            placement_ended(household, placement, purchased_on, EndReason.bought_home),
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
        [vacate(placement, purchased_on, DwellingStatus.sold)],
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
    facts: HouseholdFacts = NOTHING_KNOWN,
) -> list[Event]:
    happened("applied_on", applied_on, today, "The start-loan application")
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
    happened("decided_on", decided_on, today, "The decision")
    loan = _loan(household, loan_id)
    if loan.status != "applied":
        raise LOAN_STATE.violation(
            f"The start loan was already decided on "
            f"{loan.decided_on.isoformat() if loan.decided_on else '?'} ({loan.status}).",
            status=loan.status,
        )
    not_before("decided_on", decided_on, "applied_on", loan.applied_on, "the application")
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
    happened("disbursed_on", disbursed_on, today, "The disbursement")
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
    not_before("disbursed_on", disbursed_on, "decided_on", loan.decided_on, "the decision")
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
    happened("purchased_on", purchased_on, today, "The purchase")
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
        check_move_out(household, placement, "purchased_on", purchased_on)
        household_events.append(
            placement_ended(household, placement, purchased_on, EndReason.bought_home)
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
            vacate(
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
