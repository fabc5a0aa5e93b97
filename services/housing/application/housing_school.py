"""The housing school: plan courses, hold sessions with attendance, record host-family
visits and tenancy incidents, and compare outcomes for households that completed it."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.housing import tables as t
from services.housing.application.aggregates import append_new, domain_rules, lock_streams
from services.housing.domain import housing_school as school
from services.housing.queries.rows import row_at
from services.housing.school_events import (
    HostFamilyVisitRecorded,
    IncidentKind,
    TenancyIncidentRecorded,
)
from shared.commands import CommandResult
from shared.events import Metadata
from shared.problems import NotFound
from shared.service import Runtime


async def _households_known(
    conn: AsyncConnection, municipality: str, households: list[uuid.UUID]
) -> None:
    """Every household must be one the municipality settled (404 naming the first not)."""
    known = set(
        await conn.scalars(
            sa.select(t.households.c.household_id).where(
                t.households.c.municipality == municipality,
                t.households.c.household_id.in_(households),
            )
        )
    )
    for household in households:
        if household not in known:
            raise NotFound(f"No household {household} in municipality {municipality}.")


async def plan_course(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    *,
    starts_on: date,
    sessions: int,
    required_sessions: int,
) -> CommandResult:
    course_id = uuid.uuid4()
    events = school.plan_course(
        course_id, starts_on=starts_on, sessions=sessions, required_sessions=required_sessions
    )
    version = await append_new(
        runtime, conn, metadata, school.course_stream(course_id), school.COURSE, events
    )
    return CommandResult(201, {"id": str(course_id), "version": version})


async def hold_session(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    course_id: uuid.UUID,
    *,
    session: int,
    held_on: date,
    attended: list[uuid.UUID],
) -> CommandResult:
    stream_id = school.course_stream(course_id)
    if await runtime.store.stream_municipality(conn, stream_id) != metadata.municipality:
        raise NotFound(f"No course {course_id} in municipality {metadata.municipality}.")
    await _households_known(conn, metadata.municipality, attended)
    await lock_streams(conn, stream_id)
    state = school.fold(runtime.store.decode(e) for e in await runtime.store.load(conn, stream_id))
    version = await runtime.store.current_version(conn, stream_id)
    with domain_rules(version):
        events = school.hold_session(state, session=session, held_on=held_on, attended=attended)
    envelopes = await runtime.append(
        conn, stream_id, school.COURSE, events, expected_version=version, metadata=metadata
    )
    return CommandResult(200, {"id": str(course_id), "version": envelopes[-1].stream_version})


async def _follow_up(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    event: HostFamilyVisitRecorded | TenancyIncidentRecorded,
) -> CommandResult:
    household_id = event.household_id
    await _households_known(conn, metadata.municipality, [household_id])
    stream_id = school.follow_up_stream(household_id)
    await lock_streams(conn, stream_id)
    version = await runtime.store.current_version(conn, stream_id)
    envelopes = await runtime.append(
        conn,
        stream_id,
        school.TENANCY_FOLLOW_UP,
        [event],
        expected_version=version,
        metadata=metadata,
    )
    return CommandResult(
        201, {"household_id": str(household_id), "version": envelopes[-1].stream_version}
    )


async def record_visit(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    *,
    household_id: uuid.UUID,
    volunteer_id: uuid.UUID,
    visited_on: date,
) -> CommandResult:
    return await _follow_up(
        runtime,
        conn,
        metadata,
        HostFamilyVisitRecorded(
            household_id=household_id, volunteer_id=volunteer_id, visited_on=visited_on
        ),
    )


async def record_incident(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    *,
    household_id: uuid.UUID,
    kind: IncidentKind,
    occurred_on: date,
) -> CommandResult:
    return await _follow_up(
        runtime,
        conn,
        metadata,
        TenancyIncidentRecorded(
            household_id=household_id,
            incident_id=uuid.uuid4(),
            kind=kind,
            occurred_on=occurred_on,
        ),
    )


async def course_view(
    conn: AsyncConnection, course_id: uuid.UUID, municipality: str
) -> dict[str, Any]:
    course = await row_at(
        conn, t.housing_school_courses, "course_id", course_id, municipality, "course"
    )
    attendance = await conn.execute(
        sa.select(t.housing_school_attendance)
        .where(t.housing_school_attendance.c.course_id == course_id)
        .order_by(t.housing_school_attendance.c.household_id)
    )
    return {
        "course_id": course.course_id,
        "starts_on": course.starts_on,
        "sessions": course.sessions,
        "required_sessions": course.required_sessions,
        "held": course.held,
        "households": [
            {
                "household_id": row.household_id,
                "sessions_attended": row.sessions_attended,
                "completed_on": row.completed_on,
            }
            for row in attendance
        ],
        "version": course.version,
    }


async def outcomes(
    conn: AsyncConnection, municipality: str, *, since: date, until: date
) -> dict[str, Any]:
    """Households in a municipal dwelling between ``since`` and ``until``, split by whether
    they completed a housing school course: the share with damage, a complaint, an eviction
    in that period."""
    housed = set(
        await conn.scalars(
            sa.select(t.placements.c.household_id).where(
                t.placements.c.municipality == municipality,
                t.placements.c.starts_on <= until,
                sa.or_(t.placements.c.ends_on.is_(None), t.placements.c.ends_on >= since),
            )
        )
    )
    completers = set(
        await conn.scalars(
            sa.select(t.housing_school_attendance.c.household_id).where(
                t.housing_school_attendance.c.municipality == municipality,
                t.housing_school_attendance.c.completed_on.is_not(None),
                t.housing_school_attendance.c.completed_on <= until,
            )
        )
    )
    incidents: dict[uuid.UUID, set[str]] = defaultdict(set)
    for row in await conn.execute(
        sa.select(t.tenancy_follow_ups.c.household_id, t.tenancy_follow_ups.c.kind).where(
            t.tenancy_follow_ups.c.municipality == municipality,
            t.tenancy_follow_ups.c.kind != "visit",
            t.tenancy_follow_ups.c.on.between(since, until),
        )
    ):
        incidents[row.household_id].add(row.kind)
    evicted = set(
        await conn.scalars(
            sa.select(t.placements.c.household_id).where(
                t.placements.c.municipality == municipality,
                t.placements.c.evicted_on.between(since, until),
            )
        )
    )
    groups = school.compare(housed, completers, incidents, evicted)
    return {
        "since": since,
        "until": until,
        "rule": "Households in a municipal dwelling some day of the period; completed: came "
        "to at least the course's required sessions by the period's end. Each household "
        "counts once per kind.",
        "groups": {
            name: {
                "households": o.households,
                "with_damage": o.with_damage,
                "with_complaint": o.with_complaint,
                "evicted": o.evicted,
                "rates": o.rates(),
            }
            for name, o in groups.items()
        },
    }
