"""Read models of the indicators service, fed by other services' published events."""

from __future__ import annotations

from datetime import date

from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncConnection

from services.indicators.tables import settlements
from shared.events import Envelope
from shared.projection import Projection

PARTICIPANTS_FEED = "participants"
SETTLED = "participants.participant.settled.v1"


async def _apply_settlement(conn: AsyncConnection, envelope: Envelope) -> None:
    if envelope.type_name != SETTLED:
        return
    data = envelope.data
    await conn.execute(
        pg.insert(settlements)
        .values(
            participant_id=data["participant_id"],
            municipality=envelope.municipality,
            settled_on=date.fromisoformat(data["settled_on"]),
            arrival_category=data["arrival_category"],
        )
        .on_conflict_do_nothing()
    )


PROJECTIONS = [Projection("settlements", PARTICIPANTS_FEED, (settlements,), _apply_settlement)]
