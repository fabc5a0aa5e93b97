"""Shared homes for unaccompanied minors: registering one, its places, the youths' stays."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.housing import tables as t
from services.housing.application.aggregates import (
    append_new,
    domain_rules,
    load_owned,
    lock_streams,
)
from services.housing.domain import shared_home as home
from services.housing.events import MinorPlacedInSharedHome
from shared.commands import CommandResult
from shared.dates import today
from shared.events import Event, Metadata
from shared.service import Runtime


async def load(
    runtime: Runtime, conn: AsyncConnection, shared_home_id: uuid.UUID, municipality: str
) -> tuple[home.SharedHome, int]:
    """The shared home and its version; another municipality's is 404."""
    events, version = await load_owned(
        runtime,
        conn,
        home.shared_home_stream(shared_home_id),
        municipality,
        f"shared home {shared_home_id}",
    )
    return home.fold_shared_home(events), version


def view(state: home.SharedHome, version: int, day: date) -> dict[str, Any]:
    places = state.places_on(day)
    occupied = state.occupied_on(day)
    return {
        "shared_home_id": str(state.shared_home_id),
        "version": version,
        "district": state.district,
        "registered_on": state.registered_on.isoformat() if state.registered_on else None,
        "places": places,
        "occupied": occupied,
        "free": max(places - occupied, 0),
        "places_history": [{"from": d.isoformat(), "places": n} for d, n in state.places],
        "stays": [
            {
                "placement_id": str(s.placement_id),
                "participant_id": str(s.participant_id),
                "starts_on": s.starts_on.isoformat(),
                "ends_on": s.ends_on.isoformat() if s.ends_on else None,
            }
            for s in state.stays
        ],
    }


async def _settled_as_minor(
    conn: AsyncConnection, participant_id: uuid.UUID, municipality: str
) -> None:
    members = t.household_members
    found = await conn.scalar(
        sa.select(members.c.unaccompanied_minor).where(
            members.c.participant_id == participant_id, members.c.municipality == municipality
        )
    )
    if not found:
        raise home.NOT_UNACCOMPANIED_MINOR.violation(
            f"Participant {participant_id} is not known here as settled as an unaccompanied "
            "minor (the settlement may not have arrived from the participants service yet).",
            "participant_id",
        )


async def register(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    *,
    district: str,
    places: int,
    registered_on: date,
) -> CommandResult:
    shared_home_id = uuid.uuid4()
    with domain_rules():
        events = home.register(shared_home_id, district, places, registered_on, today())
    version = await append_new(
        runtime, conn, metadata, home.shared_home_stream(shared_home_id), home.SHARED_HOME, events
    )
    return CommandResult(201, view(home.fold_shared_home(events), version, today()))


async def change(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    shared_home_id: uuid.UUID,
    decide: Callable[[home.SharedHome], list[Event]],
    status_code: int = 200,
    minor: uuid.UUID | None = None,
) -> CommandResult:
    """Decide on the shared home under its lock; ``minor``: the participant the command
    gives a place, who must be known here as settled as an unaccompanied minor."""
    stream_id = home.shared_home_stream(shared_home_id)
    await lock_streams(conn, stream_id)
    state, version = await load(runtime, conn, shared_home_id, metadata.municipality)
    with domain_rules(version):
        if minor is not None:
            await _settled_as_minor(conn, minor, metadata.municipality)
        events = decide(state)
    await runtime.append(
        conn, stream_id, home.SHARED_HOME, events, expected_version=version, metadata=metadata
    )
    for event in events:
        state = home.apply(state, event)
    body = view(state, version + len(events), today())
    placed = [e for e in events if isinstance(e, MinorPlacedInSharedHome)]
    if placed:
        body["placement_id"] = str(placed[-1].placement_id)
    return CommandResult(status_code, body)
