"""``housing_applications`` and ``application_member_needs``: the waiting list."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncConnection

from services.housing import personal_data
from services.housing import tables as t
from services.housing.domain.allocation import URGENCY_RANK
from services.housing.events import (
    Decision,
    HousingApplicationDecided,
    HousingApplicationNeedsRecorded,
    HousingApplicationNeedsSealed,
    HousingApplicationReceived,
    MemberNeedsSealed,
    PlacementStarted,
)
from services.housing.projections.rows import decode
from shared.events import Envelope
from shared.projection import OWN_EVENTS, Projection


async def _apply_applications(conn: AsyncConnection, envelope: Envelope) -> None:
    event = decode(envelope)
    table = t.applications
    match event:
        case HousingApplicationReceived():
            await conn.execute(
                pg.insert(table)
                .values(
                    application_id=event.application_id,
                    municipality=envelope.municipality,
                    household_id=event.household_id,
                    household_size=event.household_size,
                    urgency=event.urgency.value,
                    urgency_rank=URGENCY_RANK[event.urgency.value],
                    received_on=event.received_on,
                    status="pending",
                )
                .on_conflict_do_nothing()
            )
        case HousingApplicationNeedsRecorded():
            await conn.execute(
                sa.update(table)
                .where(table.c.application_id == event.application_id)
                .values(
                    member_ages=list(event.member_ages),
                    needs_wheelchair_access=event.needs_wheelchair_access,
                    needs_step_free=event.needs_step_free,
                    district_wishes=list(event.district_wishes),
                )
            )
        case HousingApplicationNeedsSealed():
            # Needs recorded again replace the members' too (their events follow).
            await conn.execute(
                sa.delete(t.application_member_needs).where(
                    t.application_member_needs.c.application_id == event.application_id
                )
            )
            needs = await personal_data.open_needs(conn, event.household_id, event.sealed)
            await conn.execute(
                sa.update(table)
                .where(table.c.application_id == event.application_id)
                .values(
                    member_ages=list(needs["member_ages"]) if needs else [],
                    needs_wheelchair_access=bool(needs and needs["needs_wheelchair_access"]),
                    needs_step_free=bool(needs and needs["needs_step_free"]),
                    district_wishes=list(needs["district_wishes"]) if needs else [],
                    needs_erased=needs is None,
                )
            )
        case MemberNeedsSealed():
            await _apply_member_needs(conn, event)
        case HousingApplicationDecided():
            values: dict[str, Any] = {
                "status": event.decision.value,
                "decided_on": event.decided_on,
            }
            if event.decision is Decision.accepted:
                values["accepted_on"] = event.decided_on
            else:
                values["waiting_until"] = event.decided_on
            await conn.execute(
                sa.update(table)
                .where(table.c.application_id == event.application_id)
                .values(values)
            )
        case PlacementStarted():
            await conn.execute(
                sa.update(table)
                .where(table.c.application_id == event.application_id)
                .values(
                    status="housed", placement_id=event.placement_id, waiting_until=event.starts_on
                )
            )


async def _apply_member_needs(conn: AsyncConnection, event: MemberNeedsSealed) -> None:
    needs = await personal_data.open_member_needs(conn, event.participant_id, event.sealed)
    if needs is None:
        return
    values = {
        "needs_wheelchair_access": bool(needs["needs_wheelchair_access"]),
        "needs_step_free": bool(needs["needs_step_free"]),
    }
    await conn.execute(
        pg.insert(t.application_member_needs)
        .values(application_id=event.application_id, participant_id=event.participant_id, **values)
        .on_conflict_do_update(index_elements=["application_id", "participant_id"], set_=values)
    )


APPLICATIONS = Projection(
    "applications",
    OWN_EVENTS,
    (t.applications, t.application_member_needs),
    _apply_applications,
)
