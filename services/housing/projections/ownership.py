"""``rent_to_own_agreements``, ``start_loans`` and ``ownerships``: the way to owning."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

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
from services.housing.projections.rows import decode, insert_new
from shared.events import Envelope
from shared.projection import OWN_EVENTS, Projection


async def _apply_ownership(conn: AsyncConnection, envelope: Envelope) -> None:
    event = decode(envelope)
    agreements, loans = t.rent_to_own, t.start_loans
    match event:
        case RentToOwnAgreed():
            await conn.execute(insert_new(agreements, event, envelope, status="active"))
        case PlacementEnded() if event.reason is not EndReason.bought_home:
            await conn.execute(
                sa.update(agreements)
                .where(
                    agreements.c.placement_id == event.placement_id,
                    agreements.c.status == "active",
                )
                .values(status="lapsed", closed_on=event.ends_on)
            )
        case StartLoanApplied():
            await conn.execute(
                insert_new(
                    loans,
                    event,
                    envelope,
                    assessed_income=event.employment_income
                    + event.introduction_benefit
                    + event.other_income,
                    status="applied",
                )
            )
        case StartLoanDecided():
            await conn.execute(
                sa.update(loans)
                .where(loans.c.loan_id == event.loan_id)
                .values(
                    status="approved" if event.approved else "rejected",
                    decided_on=event.decided_on,
                    loan_amount=event.loan_amount,
                    grant_amount=event.grant_amount,
                    rate_kind=event.rate_kind.value if event.rate_kind else None,
                    interest_rate_percent=event.interest_rate_percent,
                    interest_only_years=event.interest_only_years,
                    term_years=event.term_years,
                )
            )
        case StartLoanDisbursed():
            await conn.execute(
                sa.update(loans)
                .where(loans.c.loan_id == event.loan_id)
                .values(status="disbursed", disbursed_on=event.disbursed_on)
            )
        case HouseholdBecameOwner():
            await conn.execute(insert_new(t.ownerships, event, envelope))
            if event.agreement_id is not None:
                await conn.execute(
                    sa.update(agreements)
                    .where(agreements.c.agreement_id == event.agreement_id)
                    .values(status="completed", closed_on=event.became_owner_on)
                )
            # An owner no longer buys anything else through rent-to-own.
            await conn.execute(
                sa.update(agreements)
                .where(
                    agreements.c.household_id == event.household_id,
                    agreements.c.status == "active",
                )
                .values(status="lapsed", closed_on=event.became_owner_on)
            )
            if event.loan_id is not None:
                await conn.execute(
                    sa.update(loans)
                    .where(loans.c.loan_id == event.loan_id)
                    .values(status="used", used_on=event.became_owner_on)
                )


OWNERSHIP = Projection(
    "ownership", OWN_EVENTS, (t.rent_to_own, t.start_loans, t.ownerships), _apply_ownership
)
