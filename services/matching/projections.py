"""Read models of the matching service.

Employers, openings and matches are fed inline from this service's own events.
Candidates are fed by the durable consumer of the participants service's published
events (:data:`FOLLOWED`): the consented competence profile, Norwegian tests recorded
after it (only while Norwegian is shared), the settlement date, leaving the
municipality (moved out, emigrated, died; from that date on) and erasure.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncConnection

from services.matching.candidates import (
    PROFILE_PARTS,
    best_level,
    candidate_from_profile,
    norwegian_shared,
)
from services.matching.domain import MatchStatus, OpeningStatus
from services.matching.events import (
    EmployerContactErased,
    EmployerContactRecorded,
    EmployerDetailsRecorded,
    EmployerInterested,
    EmployerRegistered,
    EmployerRegisteredV1,
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
    contact_keys,
    employers,
    erased_candidates,
    matches,
    openings,
    touched,
)
from shared import sealing
from shared import tables as kit_tables
from shared.events import Envelope
from shared.inbox import SCRUBBED, Keep, keep_fields, scrub_inbox
from shared.projection import OWN_EVENTS, Projection

PARTICIPANTS_FEED = "participants"
SETTLED = "participants.participant.settled.v1"
PROFILE_UPDATED = "participants.competence_profile.updated.v1"
NORWEGIAN_TEST = "participants.norwegian_test.recorded.v1"
MOVED_OUT = "participants.participant.moved_out.v1"
EMIGRATED = "participants.participant.emigrated.v1"
DIED = "participants.participant.died.v1"
ERASED = "participants.participant.erased.v1"
PROGRAMME_COMPLETED = "participants.programme.completed.v1"
OUTCOME_RECORDED = "participants.programme.outcome_recorded.v1"


async def _apply_employers(conn: AsyncConnection, envelope: Envelope) -> None:
    if not envelope.type_name.startswith("matching.employer."):
        return
    event = registry.decode(envelope.type_name, envelope.data)
    if isinstance(event, EmployerRegistered | EmployerRegisteredV1):
        await conn.execute(
            pg.insert(employers)
            .values(
                employer_id=event.employer_id,
                municipality=envelope.municipality,
                organisation_number=event.organisation_number,
                industry=event.industry if isinstance(event, EmployerRegisteredV1) else "",
                municipality_code=event.municipality_code,
                mentor_capacity=event.mentor_capacity,
                registered_at=envelope.recorded_at,
                version=envelope.stream_version,
                **touched(),
            )
            .on_conflict_do_nothing(index_elements=["employer_id"])
        )
    elif isinstance(event, EmployerContactRecorded):
        await conn.execute(
            sa.update(employers)
            .where(employers.c.employer_id == event.employer_id)
            .values(
                contact=await _open_contact(conn, event.contact_id, event.sealed) or sa.null(),
                contact_id=event.contact_id,
                version=envelope.stream_version,
                **touched(),
            )
        )
    elif isinstance(event, EmployerContactErased):
        await conn.execute(
            sa.update(employers)
            .where(employers.c.employer_id == event.employer_id)
            .values(
                contact=sa.null(), contact_id=None, version=envelope.stream_version, **touched()
            )
        )
    elif isinstance(event, EmployerDetailsRecorded):
        await conn.execute(
            sa.update(employers)
            .where(employers.c.employer_id == event.employer_id)
            .values(
                name=event.name,
                **({"industry": event.industry} if event.industry is not None else {}),
                **(
                    {"contact": event.contact.model_dump(mode="json")}
                    if event.contact is not None
                    else {}
                ),
                agreements=[a.model_dump(mode="json") for a in event.agreements],
                version=envelope.stream_version,
                **touched(),
            )
        )


async def _open_contact(
    conn: AsyncConnection, contact_id: uuid.UUID, sealed: str
) -> dict[str, Any] | None:
    """The sealed contact person, or None once their key was destroyed (an erasure)."""
    key = await conn.scalar(
        sa.select(contact_keys.c.key).where(contact_keys.c.contact_id == contact_id)
    )
    if key is None:
        return None
    try:
        return sealing.unseal(bytes(key), contact_id, sealed)
    except sealing.Unreadable:
        return None


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


def _profile_kept(data: dict[str, Any]) -> dict[str, Any]:
    kept = {name: data[name] for name in _PROFILE_FIELDS if name in data}
    if not norwegian_shared(kept):
        kept.pop("norwegian", None)
    return kept


_PROFILE_FIELDS = ("participant_id", *PROFILE_PARTS, "consent")

KEEP: Keep = {
    SETTLED: keep_fields("participant_id", "settled_on"),
    PROFILE_UPDATED: _profile_kept,
    NORWEGIAN_TEST: keep_fields("participant_id", "sub_test", "level"),
    MOVED_OUT: keep_fields("participant_id", "moved_on", "to_municipality"),
    EMIGRATED: keep_fields("participant_id", "emigrated_on"),
    DIED: keep_fields("participant_id", "died_on"),
    PROGRAMME_COMPLETED: keep_fields("participant_id", "programme_id", "ended_on", "outcome"),
    OUTCOME_RECORDED: keep_fields("participant_id", "programme_id", "outcome"),
    ERASED: keep_fields("participant_id"),
}
"""What the inbox keeps of each participants event the candidates read model follows.

Norwegian results are kept only while the participant shares Norwegian: the profile
copy drops them here, and a test copy is scrubbed by the projection, which knows the
consent (this function sees one event at a time).
"""

FOLLOWED = frozenset(KEEP)
"""Every participants event that changes a candidate (listed in the README, matching service)."""

_LEAVING = {MOVED_OUT: "moved_out", EMIGRATED: "emigrated", DIED: "died"}
_LEFT_ON = {MOVED_OUT: "moved_on", EMIGRATED: "emigrated_on", DIED: "died_on"}


async def _apply_candidates(conn: AsyncConnection, envelope: Envelope) -> None:
    if envelope.type_name not in FOLLOWED:
        return
    data = envelope.data
    participant_id = uuid.UUID(str(data["participant_id"]))
    if envelope.type_name == ERASED:
        await _erase(conn, participant_id, envelope)
        return
    erased = await conn.scalar(
        sa.select(sa.literal(True)).where(erased_candidates.c.participant_id == participant_id)
    )
    if erased:
        await _tombstone_received(conn, envelope.id)
        return
    values: dict[str, Any] = {"municipality": envelope.municipality}
    if envelope.type_name == SETTLED:
        values["settled_on"] = date.fromisoformat(str(data["settled_on"]))
    elif envelope.type_name == PROFILE_UPDATED:
        candidate = candidate_from_profile(data, envelope.municipality)
        values["profile"] = candidate.profile_document()
        values["profile_updated_at"] = envelope.occurred_at
        values["consent"] = values["profile"]["consent"]
        if "norwegian" not in candidate.shared:
            values["norwegian_tests"] = None
            await _forget_norwegian(conn, participant_id)
    elif envelope.type_name == NORWEGIAN_TEST:
        await _record_test(conn, participant_id, envelope)
        return
    elif envelope.type_name in (PROGRAMME_COMPLETED, OUTCOME_RECORDED):
        await _record_programme(conn, participant_id, envelope)
        return
    elif envelope.type_name in _LEAVING:
        if not await _record_leaving(conn, participant_id, envelope):
            return
        values = {}
    if not values:
        return
    await conn.execute(
        pg.insert(candidates)
        .values(participant_id=participant_id, **values, **touched())
        .on_conflict_do_update(index_elements=["participant_id"], set_={**values, **touched()})
    )


async def _record_test(
    conn: AsyncConnection, participant_id: uuid.UUID, envelope: Envelope
) -> None:
    """A test after the profile raises that sub-skill's level, if Norwegian is shared."""
    data = envelope.data
    row = (
        await conn.execute(
            sa.select(candidates.c.consent, candidates.c.norwegian_tests)
            .where(candidates.c.participant_id == participant_id)
            .with_for_update()
        )
    ).one_or_none()
    shares = row is not None and bool((row.consent or {}).get("norwegian"))
    if not shares or "sub_test" not in data or "level" not in data:
        # Without consent the result is not kept, not even in the inbox; the next
        # profile shared with consent carries the levels again.
        await _minimise_received(conn, envelope.id, participant_id)
        return
    assert row is not None
    tests = dict(row.norwegian_tests or {})
    sub_test = str(data["sub_test"])
    best = best_level(tests.get(sub_test), str(data["level"]))
    if best is None or best == tests.get(sub_test):
        return
    tests[sub_test] = best
    await conn.execute(
        sa.update(candidates)
        .where(candidates.c.participant_id == participant_id)
        .values(norwegian_tests=tests, **touched())
    )


async def _record_programme(
    conn: AsyncConnection, participant_id: uuid.UUID, envelope: Envelope
) -> None:
    """A programme's end and outcome: moved, emigrated or deceased take the person out
    from the end date; a later outcome for the same programme replaces the earlier."""
    data = envelope.data
    row = (
        await conn.execute(
            sa.select(candidates.c.programmes)
            .where(candidates.c.participant_id == participant_id)
            .with_for_update()
        )
    ).one_or_none()
    programmes = dict(row.programmes or {}) if row is not None else {}
    programme = dict(programmes.get(str(data["programme_id"]), {}))
    if "ended_on" in data:
        programme["ended_on"] = data["ended_on"]
    programme["outcome"] = data.get("outcome")
    programmes[str(data["programme_id"])] = programme
    values = {"municipality": envelope.municipality, "programmes": programmes}
    await conn.execute(
        pg.insert(candidates)
        .values(participant_id=participant_id, **values, **touched())
        .on_conflict_do_update(index_elements=["participant_id"], set_={**values, **touched()})
    )


async def _record_leaving(
    conn: AsyncConnection, participant_id: uuid.UUID, envelope: Envelope
) -> bool:
    """The person leaves the municipality's candidates on a date (maybe ahead).

    The earliest departure wins; a move within the same municipality is no departure.
    """
    data = envelope.data
    if envelope.type_name == MOVED_OUT and data.get("to_municipality") == envelope.municipality:
        return False
    left_on = date.fromisoformat(str(data[_LEFT_ON[envelope.type_name]]))
    row = (
        await conn.execute(
            sa.select(candidates.c.left_on)
            .where(candidates.c.participant_id == participant_id)
            .with_for_update()
        )
    ).one_or_none()
    if row is not None and row.left_on is not None and row.left_on <= left_on:
        return False
    values: dict[str, Any] = {
        "municipality": envelope.municipality,
        "left_on": left_on,
        "left_because": _LEAVING[envelope.type_name],
        "moved_to": data.get("to_municipality") if envelope.type_name == MOVED_OUT else None,
    }
    await conn.execute(
        pg.insert(candidates)
        .values(participant_id=participant_id, **values, **touched())
        .on_conflict_do_update(index_elements=["participant_id"], set_={**values, **touched()})
    )
    return True


async def _forget_norwegian(conn: AsyncConnection, participant_id: uuid.UUID) -> None:
    """Norwegian is no longer shared: drop every received Norwegian result of the person."""
    received = kit_tables.received_events
    of_person = sa.and_(
        received.c.consumer == PARTICIPANTS_FEED,
        received.c.payload["data"]["participant_id"].astext == str(participant_id),
    )
    await conn.execute(
        sa.update(received)
        .where(of_person, received.c.type == NORWEGIAN_TEST)
        .values(
            payload=sa.func.jsonb_set(
                received.c.payload,
                _DATA_PATH,
                sa.func.jsonb_build_object("participant_id", str(participant_id)),
            )
        )
    )
    await conn.execute(
        sa.update(received)
        .where(of_person, received.c.type == PROFILE_UPDATED)
        .values(
            payload=sa.func.jsonb_set(
                received.c.payload,
                _DATA_PATH,
                received.c.payload["data"].op("-")("norwegian"),
            )
        )
    )


_DATA_PATH = sa.cast(sa.literal("{data}"), pg.ARRAY(sa.Text))


async def _minimise_received(
    conn: AsyncConnection, event_id: uuid.UUID, participant_id: uuid.UUID
) -> None:
    received = kit_tables.received_events
    await conn.execute(
        sa.update(received)
        .where(received.c.consumer == PARTICIPANTS_FEED, received.c.event_id == event_id)
        .values(
            payload=sa.func.jsonb_set(
                received.c.payload,
                _DATA_PATH,
                sa.func.jsonb_build_object("participant_id", str(participant_id)),
            )
        )
    )


async def _tombstone_received(conn: AsyncConnection, event_id: uuid.UUID) -> None:
    """A late copy naming an erased person: keep only the id that deduplicates it."""
    received = kit_tables.received_events
    await conn.execute(
        sa.update(received)
        .where(received.c.consumer == PARTICIPANTS_FEED, received.c.event_id == event_id)
        .values(payload={SCRUBBED: True})
    )


async def _erase(conn: AsyncConnection, participant_id: uuid.UUID, envelope: Envelope) -> None:
    """Forget the candidate: profile, timeline, and every received copy naming them.

    What stays is the pseudonymous id in ``erased_candidates`` (so that a late or
    replayed profile event cannot bring the candidate back, and the in-memory index
    learns of the erasure), in the erasure event's own inbox copy (so a rebuild from
    the inbox knows it too) and in this service's own match events, which record what
    happened between the municipality, the employer and that id, never the profile.
    """
    await conn.execute(sa.delete(candidates).where(candidates.c.participant_id == participant_id))
    await conn.execute(
        pg.insert(erased_candidates)
        .values(participant_id=participant_id, erased_at=envelope.recorded_at, **touched())
        .on_conflict_do_nothing(index_elements=["participant_id"])
    )
    await scrub_inbox(conn, str(participant_id))
    received = kit_tables.received_events
    await conn.execute(
        sa.update(received)
        .where(received.c.consumer == PARTICIPANTS_FEED, received.c.event_id == envelope.id)
        .values(payload=envelope.to_cloudevent())
    )


PROJECTIONS = [
    Projection("employers", OWN_EVENTS, (employers,), _apply_employers),
    Projection("openings", OWN_EVENTS, (openings,), _apply_openings),
    Projection("matches", OWN_EVENTS, (matches,), _apply_matches),
    Projection("candidates", PARTICIPANTS_FEED, (candidates, erased_candidates), _apply_candidates),
]
