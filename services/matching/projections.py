"""Read models of the matching service.

Employers, openings and matches are fed inline from this service's own events.
Candidates are fed by the durable consumer of the participants service's published
events: only the consented competence profile, the settlement date and erasure.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncConnection

from services.matching.candidates import candidate_from_profile
from services.matching.domain import MatchStatus, OpeningStatus
from services.matching.events import (
    EmployerDetailsRecorded,
    EmployerInterested,
    EmployerRegistered,
    InterviewScheduled,
    JobObtained,
    MatchDeclined,
    MatchProposed,
    OfferMade,
    OpeningChanged,
    OpeningClosed,
    OpeningDetailsRecorded,
    OpeningPlaceReleased,
    OpeningPlaceTaken,
    OpeningPublished,
    PracticePlacementEnded,
    PracticePlacementStarted,
    registry,
)
from services.matching.tables import (
    candidates,
    employers,
    erased_candidates,
    matches,
    openings,
    touched,
)
from shared import tables as kit_tables
from shared.events import Envelope
from shared.projection import OWN_EVENTS, Projection

PARTICIPANTS_FEED = "participants"
REGISTERED = "participants.participant.registered.v1"
SETTLED = "participants.participant.settled.v1"
PROFILE_UPDATED = "participants.competence_profile.updated.v1"
ERASED = "participants.participant.erased.v1"
_SCRUBBED = "_erased"


async def _apply_employers(conn: AsyncConnection, envelope: Envelope) -> None:
    if not envelope.type_name.startswith("matching.employer."):
        return
    event = registry.decode(envelope.type_name, envelope.data)
    if isinstance(event, EmployerRegistered):
        await conn.execute(
            pg.insert(employers)
            .values(
                employer_id=event.employer_id,
                municipality=envelope.municipality,
                organisation_number=event.organisation_number,
                industry=event.industry,
                municipality_code=event.municipality_code,
                mentor_capacity=event.mentor_capacity,
                registered_at=envelope.recorded_at,
                version=envelope.stream_version,
                **touched(),
            )
            .on_conflict_do_nothing(index_elements=["employer_id"])
        )
    elif isinstance(event, EmployerDetailsRecorded):
        await conn.execute(
            sa.update(employers)
            .where(employers.c.employer_id == event.employer_id)
            .values(
                name=event.name,
                contact=event.contact.model_dump(mode="json") if event.contact else None,
                agreements=[a.model_dump(mode="json") for a in event.agreements],
                version=envelope.stream_version,
                **touched(),
            )
        )


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


async def _apply_candidates(conn: AsyncConnection, envelope: Envelope) -> None:
    data = envelope.data
    if envelope.type_name not in (REGISTERED, SETTLED, PROFILE_UPDATED, ERASED):
        return
    participant_id = uuid.UUID(str(data["participant_id"]))
    if envelope.type_name == ERASED:
        await _erase(conn, participant_id, envelope)
        return
    if data.get(_SCRUBBED):
        return
    erased = await conn.scalar(
        sa.select(sa.literal(True)).where(erased_candidates.c.participant_id == participant_id)
    )
    if erased:
        await _scrub_received(conn, participant_id)
        return
    values: dict[str, Any] = {"municipality": envelope.municipality}
    if envelope.type_name == SETTLED:
        values["settled_on"] = date.fromisoformat(str(data["settled_on"]))
    elif envelope.type_name == PROFILE_UPDATED:
        candidate = candidate_from_profile(data, envelope.municipality)
        values["profile"] = candidate.profile_document()
        values["profile_updated_at"] = envelope.occurred_at
    await conn.execute(
        pg.insert(candidates)
        .values(participant_id=participant_id, **values, **touched())
        .on_conflict_do_update(index_elements=["participant_id"], set_={**values, **touched()})
    )


async def _erase(conn: AsyncConnection, participant_id: uuid.UUID, envelope: Envelope) -> None:
    """Forget the candidate: profile, settlement date, and the received copies of both.

    What stays is the pseudonymous id in ``erased_candidates`` (so that a late or
    replayed profile event cannot bring the candidate back, and the in-memory index
    learns of the erasure) and in this service's own match events, which record what
    happened between the municipality, the employer and that id, never the profile.
    """
    await conn.execute(sa.delete(candidates).where(candidates.c.participant_id == participant_id))
    await conn.execute(
        pg.insert(erased_candidates)
        .values(participant_id=participant_id, erased_at=envelope.recorded_at, **touched())
        .on_conflict_do_nothing(index_elements=["participant_id"])
    )
    await _scrub_received(conn, participant_id)
    await conn.execute(
        sa.delete(kit_tables.dead_letters).where(
            kit_tables.dead_letters.c.consumer == PARTICIPANTS_FEED,
            sa.func.encode(kit_tables.dead_letters.c.payload, "escape").contains(
                str(participant_id)
            ),
        )
    )


async def _scrub_received(conn: AsyncConnection, participant_id: uuid.UUID) -> None:
    """Keep the inbox rows (they make redeliveries no-ops) but drop their data."""
    received = kit_tables.received_events
    scrubbed = {"participant_id": str(participant_id), _SCRUBBED: True}
    await conn.execute(
        sa.update(received)
        .where(
            received.c.consumer == PARTICIPANTS_FEED,
            received.c.type != ERASED,
            received.c.payload["data"]["participant_id"].astext == str(participant_id),
        )
        .values(
            payload=sa.func.jsonb_set(
                received.c.payload,
                sa.cast(sa.literal("{data}"), pg.ARRAY(sa.Text)),
                sa.literal(scrubbed, type_=pg.JSONB),
            )
        )
    )


PROJECTIONS = [
    Projection("employers", OWN_EVENTS, (employers,), _apply_employers),
    Projection("openings", OWN_EVENTS, (openings,), _apply_openings),
    Projection("matches", OWN_EVENTS, (matches,), _apply_matches),
    Projection("candidates", PARTICIPANTS_FEED, (candidates, erased_candidates), _apply_candidates),
]
