"""``participant_summary``: one row per participant, updated inline with the append."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncConnection

from services.participants import events as ev
from services.participants import personal_data
from services.participants.tables import participant_summary
from shared.events import Envelope
from shared.projection import OWN_EVENTS, Projection

LEGACY_PROGRAMME_STARTED = "participants.programme.started.v1"


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


PARTICIPANT_SUMMARY = Projection(
    "participant_summary", OWN_EVENTS, (participant_summary,), _apply_summary
)
