"""``matching_timeline``: jobs and practice placements from the matching service's events.

Fed by the durable consumer of matching's published events; the inbox keeps only
what the timeline shows.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from services.participants.tables import matching_timeline, participant_summary
from shared.events import Envelope
from shared.inbox import keep_fields
from shared.projection import Batch, Key, Projection

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


def _participant(envelope: Envelope) -> Key:
    # A matching event's stream is the job or placement: the person is in the data.
    return (uuid.UUID(str(envelope.data["participant_id"])),)


async def fold_matching(batch: Batch, envelopes: Sequence[Envelope]) -> None:
    """One timeline row per shown event, unless the person has been erased."""
    shown = [e for e in envelopes if e.type_name in MATCHING_TIMELINE_TYPES]
    await batch.load(participant_summary, {_participant(e) for e in shown})
    for envelope in shown:
        summary = batch.row(participant_summary, _participant(envelope))
        if summary is not None and summary["erased"]:
            continue
        data = envelope.data
        batch.insert(
            matching_timeline,
            event_id=envelope.id,
            participant_id=_participant(envelope)[0],
            municipality=envelope.municipality,
            type=envelope.type_name,
            occurred_on=date.fromisoformat(data[MATCHING_TIMELINE_TYPES[envelope.type_name]]),
            data=data,
        )


MATCHING_TIMELINE = Projection(
    "matching_timeline", MATCHING_FEED, (matching_timeline,), apply_batch=fold_matching
)
