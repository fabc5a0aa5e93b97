"""``matching_timeline``: jobs and practice placements from the matching service's events.

Fed by the durable consumer of matching's published events; the inbox keeps only
what the timeline shows.
"""

from __future__ import annotations

import uuid
from datetime import date

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncConnection

from services.participants.tables import matching_timeline, participant_summary
from shared.events import Envelope
from shared.inbox import keep_fields
from shared.projection import Projection

MATCHING_FEED = "matching"
MATCHING_TIMELINE_TYPES = {
    "matching.job.obtained.v1": "starts_on",
    "matching.practice_placement.started.v1": "starts_on",
    "matching.practice_placement.ended.v1": "ends_on",
}
MATCHING_KEEP = {
    "matching.job.obtained.v1": keep_fields(
        "participant_id", "employer_id", "starts_on", "permanent", "hours_per_week"
    ),
    "matching.practice_placement.started.v1": keep_fields(
        "participant_id", "employer_id", "starts_on", "kind", "hours_per_week"
    ),
    "matching.practice_placement.ended.v1": keep_fields("participant_id", "ends_on", "outcome"),
}
"""What the inbox keeps of the matching events the timeline shows (nothing of the rest)."""


async def _apply_matching(conn: AsyncConnection, envelope: Envelope) -> None:
    date_field = MATCHING_TIMELINE_TYPES.get(envelope.type_name)
    if date_field is None:
        return
    data = envelope.data
    erased = await conn.scalar(
        sa.select(participant_summary.c.erased).where(
            participant_summary.c.participant_id == uuid.UUID(str(data["participant_id"]))
        )
    )
    if erased:
        return
    await conn.execute(
        pg.insert(matching_timeline)
        .values(
            event_id=envelope.id,
            participant_id=data["participant_id"],
            municipality=envelope.municipality,
            type=envelope.type_name,
            occurred_on=date.fromisoformat(data[date_field]),
            data=data,
        )
        .on_conflict_do_nothing()
    )


MATCHING_TIMELINE = Projection(
    "matching_timeline", MATCHING_FEED, (matching_timeline,), _apply_matching
)
