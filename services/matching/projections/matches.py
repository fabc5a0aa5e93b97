"""The matches read model, inline from this service's own events."""

from __future__ import annotations

from typing import Any

from services.matching.domain import MatchStatus
from services.matching.domain.matches import STATUS_AFTER
from services.matching.events import (
    InterviewScheduled,
    JobObtained,
    MatchDeclined,
    MatchProposed,
    OfferMade,
    PracticePlacementEnded,
    PracticePlacementStarted,
)
from services.matching.projections.stream_rows import StreamRows
from services.matching.tables import matches, new_row
from shared.events import Envelope
from shared.projection import OWN_EVENTS, Batch, Projection, Row


def _proposed(event: MatchProposed, envelope: Envelope) -> Row:
    return new_row(
        matches,
        match_id=event.match_id,
        municipality=envelope.municipality,
        participant_id=event.participant_id,
        opening_id=event.opening_id,
        employer_id=event.employer_id,
        kind=event.kind.value,
        status=MatchStatus.proposed.value,
        score=event.score,
        band=event.band,
        proposed_by=envelope.actor,
        proposed_at=envelope.occurred_at,
        history=[_step(MatchStatus.proposed, envelope)],
        version=envelope.stream_version,
    )


def _step(status: MatchStatus, envelope: Envelope) -> dict[str, Any]:
    return {"status": status.value, "at": envelope.occurred_at.isoformat()}


def _changes(batch: Batch, event: Any, envelope: Envelope, row: Row) -> dict[str, Any] | None:
    status = STATUS_AFTER.get(type(event))
    if status is None:
        return None
    return _recorded(event, row) | {
        "status": status.value,
        "history": [*row["history"], _step(status, envelope)],
    }


def _recorded(event: Any, row: Row) -> dict[str, Any]:
    """What the step records besides the status."""
    match event:
        case InterviewScheduled():
            return {"interview_on": event.on}
        case OfferMade():
            return {"offer": event.model_dump(mode="json", exclude={"match_id"})}
        case MatchDeclined():
            return {"declined_by": event.declined_by.value}
        case PracticePlacementStarted():
            return {"placement_id": event.placement_id, "started_on": event.starts_on}
        case PracticePlacementEnded():
            return {"ended_on": event.ends_on, "outcome": event.outcome.value}
        case JobObtained():
            job = event.model_dump(
                mode="json", include={"starts_on", "hours_per_week", "permanent"}
            )
            started_on = row["started_on"] if row["started_on"] is not None else event.starts_on
            return {"job": job, "started_on": started_on}
    return {}


MATCHES = Projection(
    "matches",
    OWN_EVENTS,
    (matches,),
    apply_batch=StreamRows(
        matches,
        ("matching.match.", "matching.practice_placement.", "matching.job."),
        key=lambda event: event.match_id,
        starts=MatchProposed,
        new=_proposed,
        changes=_changes,
    ),
)
