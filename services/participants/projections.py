"""Read models of the participants service.

``participant_summary``, ``person_lookup`` and ``households`` follow the service's own
events inline (same transaction as the append); ``matching_timeline`` follows the
matching service's published events through the durable consumer.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncConnection

from services.participants import events as ev
from services.participants import personal_data
from services.participants.tables import (
    households,
    matching_timeline,
    participant_summary,
    person_lookup,
)
from shared.events import Envelope
from shared.inbox import keep_fields
from shared.projection import OWN_EVENTS, Apply, Projection
from shared.settings import Settings

MATCHING_FEED = "matching"
LEGACY_PROGRAMME_STARTED = "participants.programme.started.v1"
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


def _summary_changes(event: Any, envelope: Envelope) -> dict[str, Any] | None:
    match event:
        case ev.PersonalDetailsRecorded():
            return {"sealed_details": event.sealed}
        case ev.ParticipantSettled():
            return {
                "settled_on": event.settled_on,
                "arrival_category": event.arrival_category.value,
                "household_id": event.household_id,
                "unaccompanied_minor": event.unaccompanied_minor,
                "status": "settled",
            }
        case ev.ProgrammeStarted():
            return {
                "programme_id": event.programme_id,
                "programme_kind": event.kind.value,
                "adviser": None,
                "programme_starts_on": event.starts_on,
                "planned_end": event.planned_end,
                "base_planned_end": event.planned_end,
                "leaves": [],
                "paused_since": None,
                "programme_ended_on": None,
                "completion_reason": None,
                "outcome": None,
                "plan_revision": 0,
                "plan_hours_per_week": None,
                "plan_full_time": None,
                "follow_up_status": None,
                "follow_up_preliminary": None,
                "status": "in_programme",
            }
        case ev.ProgrammeInterrupted():
            return {
                "paused_since": event.from_date,
                "leaves": participant_summary.c.leaves.op("||")(
                    sa.cast([[event.kind.value, event.from_date.isoformat(), None]], pg.JSONB)
                ),
            }
        case ev.ProgrammeResumed():
            return {"paused_since": None, "planned_end": event.planned_end}
        case ev.PlanRevised():
            return {
                "plan_revision": event.revision,
                "plan_hours_per_week": event.hours_per_week,
                "plan_full_time": event.full_time,
            }
        case ev.FollowUpConversationHeld() | ev.FollowUpConversationHeldV1():
            return {
                "last_follow_up_on": sa.func.greatest(
                    sa.func.coalesce(participant_summary.c.last_follow_up_on, event.held_on),
                    event.held_on,
                )
            }
        case ev.ProgrammeCompleted():
            return {
                "programme_ended_on": event.ended_on,
                "completion_reason": event.reason.value,
                "outcome": event.outcome.value if event.outcome else None,
                "paused_since": None,
                "status": "programme_ended",
            }
        case ev.ProgrammeOutcomeRecorded():
            return {"outcome": event.outcome.value}
        case ev.FollowUpStatusRecorded():
            return {
                "follow_up_status": event.status.value,
                "follow_up_preliminary": event.preliminary,
            }
        case ev.NorwegianTestRecorded():
            return {
                "norwegian": participant_summary.c.norwegian.op("||")(
                    sa.cast({event.sub_test.value: event.level.value}, pg.JSONB)
                )
            }
        case ev.ParticipantMovedOut():
            return {
                "moved_out_on": event.moved_on,
                "moved_to": event.to_municipality,
                "status": "moved_out",
            }
        case ev.ParticipantEmigrated():
            return {"emigrated_on": event.emigrated_on, "status": "emigrated"}
        case ev.ParticipantDied():
            return {"died_on": event.died_on, "status": "deceased"}
        case ev.ParticipantLeftHousehold():
            return {"left_household_on": event.left_on}
        case ev.ParticipantBirthYearCorrected():
            return {"birth_year": event.birth_year}
        case ev.ParticipantErased():
            return {"sealed_details": None, "adviser": None, "erased": True, "status": "erased"}
    return None


async def _apply_summary(conn: AsyncConnection, envelope: Envelope) -> None:
    event = ev.registry.decode(envelope.type_name, envelope.data)
    if isinstance(event, ev.ParticipantRegistered):
        await conn.execute(
            pg.insert(participant_summary)
            .values(
                participant_id=event.participant_id,
                municipality=envelope.municipality,
                birth_year=event.birth_year,
                gender=event.gender.value,
                status="registered",
                registered_at=envelope.recorded_at,
                version=envelope.stream_version,
            )
            .on_conflict_do_nothing()
        )
        return
    changes = _summary_changes(event, envelope)
    if changes is None:
        changes = {}
    if envelope.type_name == LEGACY_PROGRAMME_STARTED:
        # Stored before the adviser was sealed: the upcast event no longer carries it.
        changes["adviser"] = envelope.data.get("adviser")
    if isinstance(event, ev.ProgrammeAdviserAssigned):
        key = await personal_data.load_key(conn, event.participant_id)
        changes = {
            "adviser": personal_data.unseal_text(key, event.participant_id, event.sealed_adviser)
        }
    if isinstance(event, ev.ProgrammeResumed | ev.ProgrammeCompleted):
        changes["leaves"] = await _closed_leaves(
            conn,
            event.participant_id,
            event.resumed_on if isinstance(event, ev.ProgrammeResumed) else event.ended_on,
        )
    if isinstance(event, ev.NorwegianTestRecorded):
        # Keep the best level per sub-test, not the latest.
        current = await conn.scalar(
            sa.select(participant_summary.c.norwegian).where(
                participant_summary.c.participant_id == event.participant_id
            )
        )
        previous = (current or {}).get(event.sub_test.value)
        if previous is not None and _rank(previous) >= _rank(event.level.value):
            changes = {}
    await conn.execute(
        sa.update(participant_summary)
        .where(participant_summary.c.participant_id == uuid.UUID(str(envelope.stream_id)))
        .values(**changes, version=envelope.stream_version)
    )


async def _closed_leaves(conn: AsyncConnection, participant_id: uuid.UUID, on: date) -> Any:
    """The summary's leaves with the open one closed on ``on`` (the day the programme goes on)."""
    leaves = await conn.scalar(
        sa.select(participant_summary.c.leaves).where(
            participant_summary.c.participant_id == participant_id
        )
    )
    closed = [
        [kind, starts, max(on.isoformat(), starts) if ends is None else ends]
        for kind, starts, ends in (leaves or [])
    ]
    return sa.cast(closed, pg.JSONB)


def _rank(level: str) -> int:
    return [lvl.value for lvl in ev.NorwegianLevel].index(level)


def _lookup_applier(settings: Settings) -> Apply:
    async def apply(conn: AsyncConnection, envelope: Envelope) -> None:
        if envelope.type_name == ev.ParticipantErased.type_name:
            erased_id = uuid.UUID(envelope.data["participant_id"])
            await conn.execute(
                sa.delete(person_lookup).where(person_lookup.c.participant_id == erased_id)
            )
            await conn.execute(
                sa.delete(matching_timeline).where(matching_timeline.c.participant_id == erased_id)
            )
            return
        if envelope.type_name != ev.PersonalDetailsRecorded.type_name:
            return
        event = ev.registry.decode(envelope.type_name, envelope.data)
        assert isinstance(event, ev.PersonalDetailsRecorded)
        key = await personal_data.load_key(conn, event.participant_id)
        if key is None:
            return
        details = personal_data.unseal(key, event.participant_id, event.sealed)
        digest = personal_data.national_id_digest(settings.lookup_key, details["national_id"])
        # Earlier numbers stay: a person found by the old D-number keeps being found.
        await conn.execute(
            pg.insert(person_lookup)
            .values(
                municipality=envelope.municipality,
                national_id_digest=digest,
                participant_id=event.participant_id,
            )
            .on_conflict_do_nothing()
        )

    return apply


LEAVING_HOUSEHOLD = {
    ev.ParticipantLeftHousehold.type_name,
    ev.ParticipantDied.type_name,
    ev.ParticipantEmigrated.type_name,
}
"""Facts (all dated today or earlier) after which a person no longer counts in a household."""


async def _apply_households(conn: AsyncConnection, envelope: Envelope) -> None:
    if envelope.type_name in LEAVING_HOUSEHOLD:
        household_id = await conn.scalar(
            sa.select(participant_summary.c.household_id).where(
                participant_summary.c.participant_id == uuid.UUID(str(envelope.stream_id)),
                participant_summary.c.left_household_on.is_(None)
                | (envelope.type_name == ev.ParticipantLeftHousehold.type_name),
            )
        )
        if household_id is not None:
            await conn.execute(
                sa.update(households)
                .where(households.c.household_id == household_id, households.c.members > 0)
                .values(members=households.c.members - 1)
            )
        return
    if envelope.type_name != ev.ParticipantSettled.type_name:
        return
    household_id = envelope.data.get("household_id")
    if household_id is None:
        return
    await conn.execute(
        pg.insert(households)
        .values(household_id=household_id, municipality=envelope.municipality, members=1)
        .on_conflict_do_update(
            index_elements=["household_id"], set_={"members": households.c.members + 1}
        )
    )


async def _apply_matching(conn: AsyncConnection, envelope: Envelope) -> None:
    date_field = MATCHING_TIMELINE_TYPES.get(envelope.type_name)
    if date_field is None:
        return
    data = envelope.data
    erased = await conn.scalar(
        sa.select(participant_summary.c.erased).where(
            participant_summary.c.participant_id == uuid.UUID(str(data["participant_id"]))
        )
    )
    if erased:
        return
    await conn.execute(
        pg.insert(matching_timeline)
        .values(
            event_id=envelope.id,
            participant_id=data["participant_id"],
            municipality=envelope.municipality,
            type=envelope.type_name,
            occurred_on=date.fromisoformat(data[date_field]),
            data=data,
        )
        .on_conflict_do_nothing()
    )


def projections(settings: Settings) -> list[Projection]:
    return [
        Projection("participant_summary", OWN_EVENTS, (participant_summary,), _apply_summary),
        Projection("person_lookup", OWN_EVENTS, (person_lookup,), _lookup_applier(settings)),
        Projection("households", OWN_EVENTS, (households,), _apply_households),
        Projection("matching_timeline", MATCHING_FEED, (matching_timeline,), _apply_matching),
    ]


async def find_by_national_id(
    conn: AsyncConnection, settings: Settings, municipality: str, national_id: str
) -> uuid.UUID | None:
    digest = personal_data.national_id_digest(settings.lookup_key, national_id)
    found = await conn.scalar(
        sa.select(person_lookup.c.participant_id).where(
            person_lookup.c.municipality == municipality,
            person_lookup.c.national_id_digest == digest,
        )
    )
    return found if isinstance(found, uuid.UUID) else None
