"""``rent_to_own_agreements``, ``start_loans`` and ``ownerships``: the way to owning."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TypeGuard

import sqlalchemy as sa

from services.housing import tables as t
from services.housing.events import (
    EndReason,
    HouseholdBecameOwner,
    PlacementEnded,
    RentToOwnAgreed,
    StartLoanApplied,
    StartLoanDecided,
    StartLoanDisbursed,
)
from services.housing.projections.rows import decode_all, insert_new, keys, update
from shared.events import Envelope, Event
from shared.projection import OWN_EVENTS, Batch, Projection


def _lapses(event: Event) -> TypeGuard[PlacementEnded]:
    """A placement that ends other than by buying the home lapses its agreement."""
    return isinstance(event, PlacementEnded) and event.reason is not EndReason.bought_home


async def _fold_ownership(batch: Batch, envelopes: Sequence[Envelope]) -> None:
    events = decode_all(envelopes)
    agreements, loans = t.rent_to_own, t.start_loans
    await batch.load(t.ownerships, keys(events, "household_id", HouseholdBecameOwner))
    await batch.load(
        loans,
        keys(
            events,
            "loan_id",
            StartLoanApplied,
            StartLoanDecided,
            StartLoanDisbursed,
            HouseholdBecameOwner,
        ),
    )
    # Agreements are also closed by their placement or household: every agreement of
    # those (stored, or agreed in this batch) is read, and its status checked in memory.
    placements = {e.placement_id for _, e in events if _lapses(e)}
    households = {e.household_id for _, e in events if isinstance(e, HouseholdBecameOwner)}
    involved: set[uuid.UUID] = set()
    if placements or households:
        found = await batch.execute(
            sa.select(agreements.c.agreement_id).where(
                agreements.c.placement_id.in_(placements)
                | agreements.c.household_id.in_(households)
            )
        )
        involved = set(found.scalars())
    agreed = keys(events, "agreement_id", RentToOwnAgreed, HouseholdBecameOwner)
    await batch.load(agreements, agreed | {(a,) for a in involved})
    involved |= {key[0] for key in agreed}

    def lapse(column: str, value: uuid.UUID, on: object) -> None:
        for agreement_id in involved:
            row = batch.row(agreements, (agreement_id,))
            if row is not None and row[column] == value and row["status"] == "active":
                batch.put(agreements, row | {"status": "lapsed", "closed_on": on})

    for envelope, event in events:
        match event:
            case RentToOwnAgreed():
                insert_new(batch, agreements, event, envelope, status="active")
            case PlacementEnded() if _lapses(event):
                lapse("placement_id", event.placement_id, event.ends_on)
            case StartLoanApplied():
                insert_new(
                    batch,
                    loans,
                    event,
                    envelope,
                    assessed_income=event.employment_income
                    + event.introduction_benefit
                    + event.other_income,
                    status="applied",
                )
            case StartLoanDecided():
                update(
                    batch,
                    loans,
                    event.loan_id,
                    status="approved" if event.approved else "rejected",
                    decided_on=event.decided_on,
                    loan_amount=event.loan_amount,
                    grant_amount=event.grant_amount,
                    rate_kind=event.rate_kind.value if event.rate_kind else None,
                    interest_rate_percent=event.interest_rate_percent,
                    interest_only_years=event.interest_only_years,
                    term_years=event.term_years,
                )
            case StartLoanDisbursed():
                update(
                    batch, loans, event.loan_id, status="disbursed", disbursed_on=event.disbursed_on
                )
            case HouseholdBecameOwner():
                insert_new(batch, t.ownerships, event, envelope)
                if event.agreement_id is not None:
                    update(
                        batch,
                        agreements,
                        event.agreement_id,
                        status="completed",
                        closed_on=event.became_owner_on,
                    )
                # An owner no longer buys anything else through rent-to-own.
                lapse("household_id", event.household_id, event.became_owner_on)
                if event.loan_id is not None:
                    update(
                        batch, loans, event.loan_id, status="used", used_on=event.became_owner_on
                    )


OWNERSHIP = Projection(
    "ownership",
    OWN_EVENTS,
    (t.rent_to_own, t.start_loans, t.ownerships),
    apply_batch=_fold_ownership,
)
