"""The openings read model, inline from this service's own events."""

from __future__ import annotations

from typing import Any

from services.matching.domain import OpeningStatus
from services.matching.events import (
    OpeningChanged,
    OpeningClosed,
    OpeningDetailsRecorded,
    OpeningPlaceReleased,
    OpeningPlaceTaken,
    OpeningPublished,
)
from services.matching.projections.stream_rows import StreamRows
from services.matching.tables import new_row, openings
from shared.events import Envelope
from shared.projection import OWN_EVENTS, Batch, Projection, Row


def _opening_status(closed: bool, places: int, taken: int) -> str:
    if closed:
        return OpeningStatus.closed.value
    return (OpeningStatus.filled if taken >= places else OpeningStatus.open).value


def _published(event: OpeningPublished, envelope: Envelope) -> Row:
    return new_row(
        openings,
        opening_id=event.opening_id,
        municipality=envelope.municipality,
        employer_id=event.employer_id,
        kind=event.kind.value,
        terms=event.terms().model_dump(mode="json"),
        title="",
        description="",
        other_skills=[],
        places_taken=0,
        status=OpeningStatus.open.value,
        published_at=envelope.recorded_at,
        version=envelope.stream_version,
    )


def _changes(batch: Batch, event: Any, envelope: Envelope, row: Row) -> dict[str, Any]:
    terms: dict[str, Any] = dict(row["terms"])
    taken = int(row["places_taken"])
    closed = row["status"] == OpeningStatus.closed.value
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
    return values | {
        "places_taken": taken,
        "status": _opening_status(closed, int(terms["places"]), taken),
    }


OPENINGS = Projection(
    "openings",
    OWN_EVENTS,
    (openings,),
    apply_batch=StreamRows(
        openings,
        ("matching.opening.",),
        key=lambda event: event.opening_id,
        starts=OpeningPublished,
        new=_published,
        changes=_changes,
    ),
)
