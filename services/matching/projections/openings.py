"""The openings read model, inline from this service's own events."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncConnection

from services.matching.domain import OpeningStatus
from services.matching.events import (
    OpeningChanged,
    OpeningClosed,
    OpeningDetailsRecorded,
    OpeningPlaceReleased,
    OpeningPlaceTaken,
    OpeningPublished,
    registry,
)
from services.matching.tables import (
    openings,
    touched,
)
from shared.events import Envelope
from shared.projection import OWN_EVENTS, Projection


def _opening_status(closed: bool, places: int, taken: int) -> str:
    if closed:
        return OpeningStatus.closed.value
    return (OpeningStatus.filled if taken >= places else OpeningStatus.open).value


async def _apply_openings(conn: AsyncConnection, envelope: Envelope) -> None:
    if not envelope.type_name.startswith("matching.opening."):
        return
    event = registry.decode(envelope.type_name, envelope.data)
    if isinstance(event, OpeningPublished):
        await conn.execute(
            pg.insert(openings)
            .values(
                opening_id=event.opening_id,
                municipality=envelope.municipality,
                employer_id=event.employer_id,
                kind=event.kind.value,
                terms=event.terms().model_dump(mode="json"),
                status=OpeningStatus.open.value,
                published_at=envelope.recorded_at,
                version=envelope.stream_version,
                **touched(),
            )
            .on_conflict_do_nothing(index_elements=["opening_id"])
        )
        return
    opening_id = getattr(event, "opening_id", None)
    row = (
        await conn.execute(
            sa.select(openings.c.terms, openings.c.places_taken, openings.c.status)
            .where(openings.c.opening_id == opening_id)
            .with_for_update()
        )
    ).one_or_none()
    if row is None:
        return
    terms: dict[str, Any] = dict(row.terms)
    taken = int(row.places_taken)
    closed = row.status == OpeningStatus.closed.value
    values: dict[str, Any] = {}
    if isinstance(event, OpeningChanged):
        terms = event.terms().model_dump(mode="json")
        values["terms"] = terms
    elif isinstance(event, OpeningDetailsRecorded):
        values.update(
            title=event.title, description=event.description, other_skills=list(event.other_skills)
        )
    elif isinstance(event, OpeningClosed):
        closed = True
        values.update(closed_on=event.closed_on, close_reason=event.reason.value)
    elif isinstance(event, OpeningPlaceTaken):
        taken += 1
    elif isinstance(event, OpeningPlaceReleased):
        taken -= 1
    values.update(
        places_taken=taken,
        status=_opening_status(closed, int(terms["places"]), taken),
        version=envelope.stream_version,
    )
    await conn.execute(
        sa.update(openings).where(openings.c.opening_id == opening_id).values(**values, **touched())
    )


OPENINGS = Projection("openings", OWN_EVENTS, (openings,), _apply_openings)
