"""``housing_applications`` and ``application_member_needs``: the waiting list."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

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
from services.housing.projections.rows import fold, insert_new, update
from shared.events import Envelope, Event
from shared.projection import OWN_EVENTS, Batch, Projection


async def _apply_applications(batch: Batch, envelope: Envelope, event: Event) -> None:
    table = t.applications
    match event:
        case HousingApplicationReceived():
            insert_new(
                batch,
                table,
                event,
                envelope,
                member_ages=[],
                needs_wheelchair_access=False,
                needs_step_free=False,
                district_wishes=[],
                needs_erased=False,
                urgency_rank=URGENCY_RANK[event.urgency.value],
                status="pending",
            )
        case HousingApplicationNeedsRecorded():
            update(
                batch,
                table,
                event.application_id,
                member_ages=list(event.member_ages),
                needs_wheelchair_access=event.needs_wheelchair_access,
                needs_step_free=event.needs_step_free,
                district_wishes=list(event.district_wishes),
            )
        case HousingApplicationNeedsSealed():
            # Needs recorded again replace the members' too (their events follow).
            members = t.application_member_needs
            await batch.execute(
                sa.delete(members).where(members.c.application_id == event.application_id),
                changes=[members],
            )
            needs = await personal_data.open_needs(batch.conn, event.household_id, event.sealed)
            update(
                batch,
                table,
                event.application_id,
                member_ages=list(needs["member_ages"]) if needs else [],
                needs_wheelchair_access=bool(needs and needs["needs_wheelchair_access"]),
                needs_step_free=bool(needs and needs["needs_step_free"]),
                district_wishes=list(needs["district_wishes"]) if needs else [],
                needs_erased=needs is None,
            )
        case MemberNeedsSealed():
            await _apply_member_needs(batch, event)
        case HousingApplicationDecided():
            values: dict[str, Any] = {
                "status": event.decision.value,
                "decided_on": event.decided_on,
            }
            if event.decision is Decision.accepted:
                values["accepted_on"] = event.decided_on
            else:
                values["waiting_until"] = event.decided_on
            update(batch, table, event.application_id, **values)
        case PlacementStarted():
            update(
                batch,
                table,
                event.application_id,
                status="housed",
                placement_id=event.placement_id,
                waiting_until=event.starts_on,
            )


async def _apply_member_needs(batch: Batch, event: MemberNeedsSealed) -> None:
    needs = await personal_data.open_member_needs(batch.conn, event.participant_id, event.sealed)
    if needs is None:
        return
    # The whole row is replaced, so nothing needs reading first.
    batch.put(
        t.application_member_needs,
        {
            "application_id": event.application_id,
            "participant_id": event.participant_id,
            "needs_wheelchair_access": bool(needs["needs_wheelchair_access"]),
            "needs_step_free": bool(needs["needs_step_free"]),
        },
    )


APPLICATIONS = Projection(
    "applications",
    OWN_EVENTS,
    (t.applications, t.application_member_needs),
    apply_batch=fold(
        _apply_applications,
        (
            t.applications,
            "application_id",
            (
                HousingApplicationReceived,
                HousingApplicationNeedsRecorded,
                HousingApplicationNeedsSealed,
                HousingApplicationDecided,
                PlacementStarted,
            ),
        ),
    ),
)
