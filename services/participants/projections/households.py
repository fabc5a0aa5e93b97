"""``households``: how many settled members each household still counts."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncConnection

from services.participants import events as ev
from services.participants.tables import households, participant_summary
from shared.events import Envelope
from shared.projection import OWN_EVENTS, Projection

LEAVING_HOUSEHOLD = {
    ev.ParticipantLeftHousehold.type_name,
    ev.ParticipantDied.type_name,
    ev.ParticipantEmigrated.type_name,
}
"""Facts (all dated today or earlier) after which a person no longer counts in a household."""


async def _apply_households(conn: AsyncConnection, envelope: Envelope) -> None:
    if envelope.type_name in LEAVING_HOUSEHOLD:
        household_id = await conn.scalar(
            sa.select(participant_summary.c.household_id).where(
                participant_summary.c.participant_id == uuid.UUID(str(envelope.stream_id)),
                participant_summary.c.left_household_on.is_(None)
                | (envelope.type_name == ev.ParticipantLeftHousehold.type_name),
            )
        )
        if household_id is not None:
            await conn.execute(
                sa.update(households)
                .where(households.c.household_id == household_id, households.c.members > 0)
                .values(members=households.c.members - 1)
            )
        return
    if envelope.type_name != ev.ParticipantSettled.type_name:
        return
    household_id = envelope.data.get("household_id")
    if household_id is None:
        return
    await conn.execute(
        pg.insert(households)
        .values(household_id=household_id, municipality=envelope.municipality, members=1)
        .on_conflict_do_update(
            index_elements=["household_id"], set_={"members": households.c.members + 1}
        )
    )


HOUSEHOLDS = Projection("households", OWN_EVENTS, (households,), _apply_households)
