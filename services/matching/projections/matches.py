"""The matches read model, inline from this service's own events."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncConnection

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
    registry,
)
from services.matching.tables import (
    matches,
    touched,
)
from shared.events import Envelope
from shared.projection import OWN_EVENTS, Projection


async def _apply_matches(conn: AsyncConnection, envelope: Envelope) -> None:
    if not envelope.type_name.startswith(
        ("matching.match.", "matching.practice_placement.", "matching.job.")
    ):
        return
    event = registry.decode(envelope.type_name, envelope.data)
    at = envelope.occurred_at.isoformat()
    if isinstance(event, MatchProposed):
        await conn.execute(
            pg.insert(matches)
            .values(
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
                history=[{"status": MatchStatus.proposed.value, "at": at}],
                version=envelope.stream_version,
                **touched(),
            )
            .on_conflict_do_nothing(index_elements=["match_id"])
        )
        return
    values: dict[str, Any] = {}
    status: MatchStatus | None = None
    if isinstance(event, EmployerInterested):
        status = MatchStatus.interested
    elif isinstance(event, InterviewScheduled):
        status = MatchStatus.interview
        values["interview_on"] = event.on
    elif isinstance(event, OfferMade):
        status = MatchStatus.offered
        values["offer"] = event.model_dump(mode="json", exclude={"match_id"})
    elif isinstance(event, MatchDeclined):
        status = MatchStatus.declined
        values["declined_by"] = event.declined_by.value
    elif isinstance(event, PracticePlacementStarted):
        status = MatchStatus.in_placement
        values.update(placement_id=event.placement_id, started_on=event.starts_on)
    elif isinstance(event, PracticePlacementEnded):
        status = MatchStatus.placement_ended
        values.update(ended_on=event.ends_on, outcome=event.outcome.value)
    elif isinstance(event, JobObtained):
        status = MatchStatus.employed
        values["job"] = event.model_dump(
            mode="json", include={"starts_on", "hours_per_week", "permanent"}
        )
        values["started_on"] = sa.func.coalesce(matches.c.started_on, event.starts_on)
    if status is None:
        return
    entry = sa.literal([{"status": status.value, "at": at}], type_=pg.JSONB)
    await conn.execute(
        sa.update(matches)
        .where(matches.c.match_id == getattr(event, "match_id", None))
        .values(
            status=status.value,
            history=matches.c.history.op("||")(entry),
            version=envelope.stream_version,
            **values,
            **touched(),
        )
    )


MATCHES = Projection("matches", OWN_EVENTS, (matches,), _apply_matches)
