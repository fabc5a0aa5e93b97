"""``minor_shared_home_stays``: unaccompanied minors' places in shared homes, from the
housing service's events.

Fed by the durable consumer of housing's published events; the inbox keeps only the ids
and dates of the two events that open and close a stay. The minor's record holds these
against the phases (:mod:`services.participants.domain.minor_housing`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from services.participants.tables import minor_shared_home_stays, participant_summary
from shared.events import Envelope
from shared.inbox import keep_fields
from shared.projection import Batch, Projection

HOUSING_FEED = "housing"
PLACED = "housing.shared_home.minor_placed.v1"
LEFT = "housing.shared_home.minor_left.v1"
HOUSING_KEEP = {
    PLACED: keep_fields("shared_home_id", "placement_id", "participant_id", "starts_on"),
    LEFT: keep_fields("shared_home_id", "placement_id", "participant_id", "ends_on"),
}
"""What the inbox keeps of housing's events (nothing of the rest)."""


async def fold_stays(batch: Batch, envelopes: Sequence[Envelope]) -> None:
    """A row per stay, opened by ``minor_placed`` and closed by ``minor_left``; none for a
    participant erased here."""
    shown = [e for e in envelopes if e.type_name in HOUSING_KEEP]
    people = {(uuid.UUID(str(e.data["participant_id"])),) for e in shown}
    await batch.load(participant_summary, people)
    await batch.load(
        minor_shared_home_stays, {(uuid.UUID(str(e.data["placement_id"])),) for e in shown}
    )
    for envelope in shown:
        data = envelope.data
        person = uuid.UUID(str(data["participant_id"]))
        placement = uuid.UUID(str(data["placement_id"]))
        summary = batch.row(participant_summary, (person,))
        if summary is not None and summary["erased"]:
            continue
        known = batch.row(minor_shared_home_stays, (placement,))
        if envelope.type_name == PLACED:
            if known is not None:
                continue
            batch.put(
                minor_shared_home_stays,
                {
                    "placement_id": placement,
                    "participant_id": person,
                    "municipality": envelope.municipality,
                    "shared_home_id": uuid.UUID(str(data["shared_home_id"])),
                    "starts_on": date.fromisoformat(str(data["starts_on"])),
                    "ends_on": None,
                },
            )
        elif known is not None:
            batch.put(
                minor_shared_home_stays,
                {"placement_id": placement, "ends_on": date.fromisoformat(str(data["ends_on"]))},
            )


SHARED_HOME_STAYS = Projection(
    "minor_shared_home_stays",
    HOUSING_FEED,
    (minor_shared_home_stays,),
    apply_batch=fold_stays,
)
