"""Placements: allocation from the waiting list, the end of a stay, evictions."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from services.housing import domain, queries
from services.housing.application.aggregates import (
    TenancyDecision,
    append_both,
    change_tenancy,
    domain_rules,
    household_facts,
    load_dwelling,
    load_household,
    lock_streams,
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
    await lock_streams(
        conn, domain.dwelling_stream(dwelling_id), domain.household_stream(household_id)
    )
    dwelling, dwelling_version = await load_dwelling(
        runtime, conn, dwelling_id, metadata.municipality
    )
    household, household_version = await load_household(
        runtime, conn, household_id, metadata.municipality
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


async def _leave(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    placement_id: uuid.UUID,
    status_code: int,
    decide: TenancyDecision,
) -> CommandResult:
    """The placement ends (a move-out or an eviction); answers the placement after it."""
    await change_tenancy(runtime, conn, metadata, "placement", placement_id, decide)
    return CommandResult(
        status_code, await queries.placement_view(conn, placement_id, metadata.municipality)
    )


async def end_placement(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    placement_id: uuid.UUID,
    **move_out: Any,
) -> CommandResult:
    """``move_out``: the date and reason :func:`domain.end_placement` takes."""
    return await _leave(
        runtime,
        conn,
        metadata,
        placement_id,
        200,
        lambda household: domain.end_placement(household, placement_id, **move_out, today=today()),
    )


async def record_eviction(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    placement_id: uuid.UUID,
    **eviction: Any,
) -> CommandResult:
    """``eviction``: the date and grounds :func:`domain.record_eviction` takes."""
    return await _leave(
        runtime,
        conn,
        metadata,
        placement_id,
        201,
        lambda household: domain.record_eviction(
            household, placement_id, **eviction, today=today()
        ),
    )
