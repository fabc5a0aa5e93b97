"""The first slice: one row per ``participant.settled``, counted by ``GET /indicators/settlements``."""

from __future__ import annotations

from collections.abc import Sequence

from services.indicators import tables as t
from services.indicators.projections.facts import (
    PARTICIPANTS_FEED,
    FactRow,
    flag,
    ident,
    insert,
    optional,
    required,
    required_day,
)
from shared.events import Envelope
from shared.projection import Batch, Projection

SETTLED = "participants.participant.settled.v1"

SETTLEMENT = FactRow(
    t.settlements,
    {
        "participant_id": ("participant_id", required),
        "settled_on": ("settled_on", required_day),
        "arrival_category": ("arrival_category", required),
        "household_id": ("household_id", ident),
        "household_size": ("household_size", optional),
        "unaccompanied_minor": ("unaccompanied_minor", flag),
    },
)


async def _apply(batch: Batch, envelopes: Sequence[Envelope]) -> None:
    for envelope in envelopes:
        if envelope.type_name == SETTLED:
            insert(batch, t.settlements, SETTLEMENT.values(envelope))


SETTLEMENTS = Projection("settlements", PARTICIPANTS_FEED, (t.settlements,), apply_batch=_apply)
