"""Every rule the housing domain enforces, with its stable code (listed in the README, housing service)."""

from __future__ import annotations

from typing import Any

from shared.rules import rule


def _housing(code: str, status: int, title: str, description: str = "") -> Any:
    return rule(code, status, title, service="housing", description=description)


# -- the housing timelines' rules (one place each; the README) -----------

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
