"""The matches read model, inline from this service's own events."""

from __future__ import annotations

from typing import Any

from services.matching.domain import MatchStatus
from services.matching.events import (
    EmployerInterested,
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
    change = _status_change(event, row)
    if change is None:
        return None
    status, values = change
    return values | {
        "status": status.value,
        "history": [*row["history"], _step(status, envelope)],
    }


def _status_change(event: Any, row: Row) -> tuple[MatchStatus, dict[str, Any]] | None:
    match event:
        case EmployerInterested():
            return MatchStatus.interested, {}
        case InterviewScheduled():
            return MatchStatus.interview, {"interview_on": event.on}
        case OfferMade():
            return MatchStatus.offered, {
                "offer": event.model_dump(mode="json", exclude={"match_id"})
            }
        case MatchDeclined():
            return MatchStatus.declined, {"declined_by": event.declined_by.value}
        case PracticePlacementStarted():
            return MatchStatus.in_placement, {
                "placement_id": event.placement_id,
                "started_on": event.starts_on,
            }
        case PracticePlacementEnded():
            return MatchStatus.placement_ended, {
                "ended_on": event.ends_on,
                "outcome": event.outcome.value,
            }
        case JobObtained():
            job = event.model_dump(
                mode="json", include={"starts_on", "hours_per_week", "permanent"}
            )
            started_on = row["started_on"] if row["started_on"] is not None else event.starts_on
            return MatchStatus.employed, {"job": job, "started_on": started_on}
    return None


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
