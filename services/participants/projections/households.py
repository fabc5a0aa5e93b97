"""``households``: how many settled members each household still counts."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa

from services.participants import events as ev
from services.participants.projections.participant_summary import participant_key
from services.participants.tables import households, participant_summary
from shared.events import Envelope
from shared.projection import OWN_EVENTS, Batch, Key, Projection

LEAVING_HOUSEHOLD = {
    ev.ParticipantLeftHousehold.type_name,
    ev.ParticipantDied.type_name,
    ev.ParticipantEmigrated.type_name,
}
"""Facts (all dated today or earlier) after which a person no longer counts in a household."""


def household_rows(envelopes: Sequence[Envelope]) -> dict[sa.Table, set[Key]]:
    """The rows :func:`fold_households` reads before it knows the leavers' households:
    the leavers' summaries and the households settled into."""
    return {
        participant_summary: {
            participant_key(e) for e in envelopes if e.type_name in LEAVING_HOUSEHOLD
        },
        households: {
            (uuid.UUID(str(e.data["household_id"])),)
            for e in envelopes
            if e.type_name == ev.ParticipantSettled.type_name and e.data.get("household_id")
        },
    }


async def fold_households(batch: Batch, envelopes: Sequence[Envelope]) -> None:
    """Members counted per household; a leaver is found through their summary row.

    The summary is read as this batch leaves it (the summary projection runs first),
    as a rebuild of households alone reads the rebuilt summary.
    """
    wanted = household_rows(envelopes)
    await batch.load(participant_summary, wanted[participant_summary])
    leaving = [e for e in envelopes if e.type_name in LEAVING_HOUSEHOLD]
    household_keys = wanted[households]
    for envelope in leaving:
        summary = batch.row(participant_summary, participant_key(envelope))
        if summary is not None and summary["household_id"] is not None:
            household_keys.add((summary["household_id"],))
    await batch.load(households, household_keys)
    for envelope in envelopes:
        if envelope.type_name in LEAVING_HOUSEHOLD:
            summary = batch.row(participant_summary, participant_key(envelope))
            if summary is None or summary["household_id"] is None:
                continue
            if (
                summary["left_household_on"] is not None
                and envelope.type_name != ev.ParticipantLeftHousehold.type_name
            ):
                continue
            household = batch.row(households, (summary["household_id"],))
            if household is not None and household["members"] > 0:
                batch.put(households, household | {"members": household["members"] - 1})
        elif envelope.type_name == ev.ParticipantSettled.type_name:
            raw = envelope.data.get("household_id")
            if raw is None:
                continue
            household_id = uuid.UUID(str(raw))
            household = batch.row(households, (household_id,))
            batch.put(
                households,
                household | {"members": household["members"] + 1}
                if household is not None
                else {
                    "household_id": household_id,
                    "municipality": envelope.municipality,
                    "members": 1,
                },
            )


HOUSEHOLDS = Projection(
    "households", OWN_EVENTS, (households,), apply_batch=fold_households, keys=household_rows
)
