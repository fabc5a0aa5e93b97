"""From rent to own: rent-to-own agreements and start loans."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from services.housing import domain, queries
from services.housing.application.aggregates import (
    append_both,
    append_household,
    change_household,
    change_tenancy,
    domain_rules,
    household_facts,
    load_dwelling,
    load_household,
    lock_and_load,
    lock_streams,
    owner_of,
)
from shared.commands import CommandResult
from shared.dates import today
from shared.events import Event, Metadata
from shared.problems import Conflict
from shared.service import Runtime


async def agree_rent_to_own(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    *,
    household_id: uuid.UUID,
    dwelling_id: uuid.UUID,
    agreed_on: date,
    rent_period_years: int,
    price: int | None,
) -> CommandResult:
    dwelling, _, household, version = await lock_and_load(
        runtime, conn, metadata.municipality, dwelling_id, household_id
    )
    agreement_id = uuid.uuid4()
    with domain_rules(version):
        events = domain.agree_rent_to_own(
            household,
            dwelling,
            agreement_id,
            agreed_on=agreed_on,
            rent_period_years=rent_period_years,
            price=price,
            today=today(),
        )
    await append_household(runtime, conn, metadata, household_id, events, version)
    return CommandResult(
        201, await queries.agreement_view(conn, agreement_id, metadata.municipality)
    )


async def complete_rent_to_own(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    agreement_id: uuid.UUID,
    *,
    purchased_on: date,
    loan_id: uuid.UUID | None,
) -> CommandResult:
    household_id = await change_tenancy(
        runtime,
        conn,
        metadata,
        "rent-to-own agreement",
        agreement_id,
        lambda household: domain.complete_rent_to_own(
            household, agreement_id, purchased_on, loan_id, today=today()
        ),
    )
    return CommandResult(
        201, await queries.ownership_view(conn, household_id, metadata.municipality)
    )


async def apply_start_loan(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    *,
    household_id: uuid.UUID,
    applied_on: date,
    **application: Any,
) -> CommandResult:
    """``application``: the price, the amount asked for and the incomes
    :func:`domain.apply_start_loan` takes."""
    loan_id = uuid.uuid4()

    async def decide(household: domain.Household) -> list[Event]:
        return domain.apply_start_loan(
            household,
            household_id,
            loan_id,
            applied_on=applied_on,
            **application,
            today=today(),
            facts=await household_facts(conn, household_id, applied_on),
        )

    await change_household(runtime, conn, metadata, household_id, decide)
    return CommandResult(201, await queries.loan_view(conn, loan_id, metadata.municipality))


LoanCommand = Callable[..., Awaitable[CommandResult]]
"""``(runtime, conn, metadata, loan_id, **facts)``: the loan as it stands after."""


def _loan_decision(decision: Callable[..., list[Event]]) -> LoanCommand:
    """The use case of a decision on the loan alone: ``decision`` takes the household, the
    loan id and the command's facts; its household's events are appended."""

    async def decide_loan(
        runtime: Runtime,
        conn: AsyncConnection,
        metadata: Metadata,
        loan_id: uuid.UUID,
        **facts: Any,
    ) -> CommandResult:
        row = await owner_of(conn, "start loan", loan_id, metadata.municipality)

        async def decided(household: domain.Household) -> list[Event]:
            return decision(household, loan_id, **facts, today=today())

        await change_household(runtime, conn, metadata, row.household_id, decided)
        return CommandResult(200, await queries.loan_view(conn, loan_id, metadata.municipality))

    return decide_loan


decide_start_loan = _loan_decision(domain.decide_start_loan)
"""``facts``: the date, amounts and terms :func:`domain.decide_start_loan` takes."""
disburse_start_loan = _loan_decision(domain.disburse_start_loan)
"""``facts``: the ``disbursed_on`` :func:`domain.disburse_start_loan` takes."""


async def purchase_with_start_loan(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    loan_id: uuid.UUID,
    *,
    purchased_on: date,
    price: int,
    dwelling_id: uuid.UUID | None,
) -> CommandResult:
    row = await owner_of(conn, "start loan", loan_id, metadata.municipality)
    household_id: uuid.UUID = row.household_id
    rented = await queries.active_placement_dwelling(conn, household_id)
    streams = [domain.household_stream(household_id)]
    if rented is not None:
        streams.append(domain.dwelling_stream(rented))
    await lock_streams(conn, *streams)
    household, version = await load_household(runtime, conn, household_id, metadata.municipality)
    placement = household.active_placement
    if (placement.dwelling_id if placement else None) != rented:
        raise Conflict("The household's placement changed at this very moment; please retry.")
    rented_ownership = None
    dwelling_version = 0
    if rented is not None:
        dwelling, dwelling_version = await load_dwelling(
            runtime, conn, rented, metadata.municipality
        )
        rented_ownership = dwelling.ownership
    with domain_rules(version):
        household_events, dwelling_events = domain.purchase_with_start_loan(
            household,
            loan_id,
            purchased_on=purchased_on,
            price=price,
            dwelling_id=dwelling_id,
            rented_ownership=rented_ownership,
            today=today(),
        )
    await append_both(
        runtime,
        conn,
        metadata,
        dwelling_id=rented,
        dwelling_events=dwelling_events,
        dwelling_version=dwelling_version,
        household_id=household_id,
        household_events=household_events,
        household_version=version,
    )
    return CommandResult(
        201, await queries.ownership_view(conn, household_id, metadata.municipality)
    )
