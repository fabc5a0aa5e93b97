"""Housing applications and the waiting list."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from services.housing import domain, queries
from services.housing.application.aggregates import change_household, household_facts, owner_of
from services.housing.events import Decision
from shared.commands import CommandResult
from shared.dates import today
from shared.events import Event, Metadata
from shared.service import Runtime


async def receive_application(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    *,
    household_id: uuid.UUID,
    household_size: int | None,
    member_ages: tuple[int, ...],
    received_on: date,
    **application: Any,
) -> CommandResult:
    """``application``: the needs, wishes and urgency :func:`domain.receive_application`
    takes. Without ``household_size`` the household is as large as the ages given, else
    as settled."""
    application_id = uuid.uuid4()

    async def decide(state: domain.Household) -> list[Event]:
        size = household_size
        if size is None:
            settled = await queries.household_on(conn, household_id, received_on)
            size = (
                len(member_ages)
                if member_ages
                else max(int(settled["household_size"]), 1)
                if settled
                else 1
            )
        return domain.receive_application(
            state,
            household_id,
            application_id,
            household_size=size,
            member_ages=member_ages,
            received_on=received_on,
            **application,
            today=today(),
            facts=await household_facts(conn, household_id, received_on),
        )

    await change_household(runtime, conn, metadata, household_id, decide)
    return CommandResult(
        201, await queries.application_view(conn, application_id, metadata.municipality)
    )


async def record_needs(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    application_id: uuid.UUID,
    **needs: Any,
) -> CommandResult:
    """``needs``: the ages, needs and wishes :func:`domain.record_needs` takes."""
    row = await owner_of(conn, "application", application_id, metadata.municipality)
    day = today()

    async def decide(state: domain.Household) -> list[Event]:
        return domain.record_needs(
            state,
            application_id,
            **needs,
            today=day,
            facts=await household_facts(conn, row.household_id, day),
        )

    await change_household(runtime, conn, metadata, row.household_id, decide)
    return CommandResult(
        200, await queries.application_view(conn, application_id, metadata.municipality)
    )


async def decide_application(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    application_id: uuid.UUID,
    *,
    decision: Decision,
    decided_on: date,
) -> CommandResult:
    row = await owner_of(conn, "application", application_id, metadata.municipality)

    async def decide(state: domain.Household) -> list[Event]:
        return domain.decide_application(
            state,
            application_id,
            decision,
            decided_on,
            today=today(),
            facts=await household_facts(conn, row.household_id, decided_on),
        )

    await change_household(runtime, conn, metadata, row.household_id, decide)
    return CommandResult(
        200, await queries.application_view(conn, application_id, metadata.municipality)
    )
