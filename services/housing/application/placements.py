"""Placements: allocation from the waiting list, the end of a stay, evictions."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from services.housing import domain, queries
from services.housing.application.aggregates import (
    TenancyOutcome,
    append_both,
    change_tenancy,
    domain_rules,
    household_facts,
    lock_and_load,
    owner_of,
)
from shared.commands import CommandResult
from shared.dates import today
from shared.events import Metadata
from shared.service import Runtime


async def allocate(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    *,
    application_id: uuid.UUID,
    dwelling_id: uuid.UUID,
    starts_on: date,
) -> CommandResult:
    """Allocation from the waiting list: ``placement.started`` + the dwelling occupied."""
    row = await owner_of(conn, "application", application_id, metadata.municipality)
    household_id: uuid.UUID = row.household_id
    dwelling, dwelling_version, household, household_version = await lock_and_load(
        runtime, conn, metadata.municipality, dwelling_id, household_id
    )
    placement_id = uuid.uuid4()
    with domain_rules(household_version):
        household_events, dwelling_events = domain.start_placement(
            household,
            dwelling,
            placement_id,
            application_id,
            starts_on,
            today=today(),
            facts=await household_facts(conn, household_id, starts_on),
        )
    await append_both(
        runtime,
        conn,
        metadata,
        dwelling_id=dwelling_id,
        dwelling_events=dwelling_events,
        dwelling_version=dwelling_version,
        household_id=household_id,
        household_events=household_events,
        household_version=household_version,
    )
    return CommandResult(
        201, await queries.placement_view(conn, placement_id, metadata.municipality)
    )


PlacementCommand = Callable[..., Awaitable[CommandResult]]
"""``(runtime, conn, metadata, placement_id, **facts)``: the placement after the command."""


def _leaving(decision: Callable[..., TenancyOutcome], status_code: int) -> PlacementCommand:
    """The use case by which a placement ends (a move-out or an eviction): ``decision`` takes
    the household, the placement id and the command's facts; it answers the placement after."""

    async def leave(
        runtime: Runtime,
        conn: AsyncConnection,
        metadata: Metadata,
        placement_id: uuid.UUID,
        **facts: Any,
    ) -> CommandResult:
        await change_tenancy(
            runtime,
            conn,
            metadata,
            "placement",
            placement_id,
            lambda household: decision(household, placement_id, **facts, today=today()),
        )
        return CommandResult(
            status_code, await queries.placement_view(conn, placement_id, metadata.municipality)
        )

    return leave


end_placement = _leaving(domain.end_placement, 200)
"""``facts``: the date and reason :func:`domain.end_placement` takes."""
record_eviction = _leaving(domain.record_eviction, 201)
"""``facts``: the date and grounds :func:`domain.record_eviction` takes."""
