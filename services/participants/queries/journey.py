"""Reading participants back: current state, timeline, plans, search, caseload, deadlines.

Personal data is decrypted here and only here, for callers allowed to see it; the
API layer writes an audit row for every participant whose personal data it returns.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.participants import domain, personal_data
from services.participants import events as ev
from services.participants.tables import (
    matching_timeline,
    participant_keys,
    participant_summary,
    person_lookup,
)
from shared import dates
from shared.events import Envelope
from shared.eventstore import EventStore
from shared.problems import NotFound
from shared.settings import Settings

ARRIVAL_LABELS = {
    "resettlement_refugee": "resettlement refugee (overføringsflyktning)",
    "asylum_reception": "from a reception centre (mottak)",
    "family_reunification": "family reunification (familiegjenforent)",
    "other": "other",
}
PROGRAMME_LABELS = {
    "introduction": "Introduction programme (introduksjonsprogram)",
    "qualification": "Qualification programme (kvalifiseringsprogram, «Ny sjanse»)",
}


@dataclass(frozen=True)
class Filters:
    name: str | None = None
    national_id: str | None = None
    status: str | None = None
    adviser: str | None = None
    ending_within_days: int | None = None


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


def _state_of(row: Any) -> domain.Participant:
    """The summary row as the domain's state, so status and deadlines use the domain's rules."""
    programmes: tuple[domain.Programme, ...] = ()
    if row.programme_id is not None:
        programmes = (
            domain.Programme(
                programme_id=row.programme_id,
                kind=ev.ProgrammeKind(row.programme_kind),
                starts_on=row.programme_starts_on,
                base_planned_end=row.base_planned_end or row.planned_end,
                leaves=tuple(
                    domain.Leave(
                        ev.PauseKind(kind),
                        date.fromisoformat(starts),
                        date.fromisoformat(ends) if ends else None,
                    )
                    for kind, starts, ends in (row.leaves or [])
                ),
                ended_on=row.programme_ended_on,
            ),
        )
    return domain.Participant(
        participant_id=row.participant_id,
        settled_on=row.settled_on,
        programmes=programmes,
        moved_out_on=row.moved_out_on,
        emigrated_on=row.emigrated_on,
        died_on=row.died_on,
        erased=row.erased,
    )


@dataclass(frozen=True)
class AsOf:
    """What a summary row says on one day: facts dated after it do not count yet."""

    status: str
    planned_end: date | None
    paused_since: date | None


def as_of(row: Any, day: date) -> AsOf:
    state = _state_of(row)
    programme = state.programme
    if programme is None:
        return AsOf(state.status_on(day), None, None)
    paused = [leave.starts_on for leave in programme.leaves if leave.covers(day)]
    return AsOf(
        state.status_on(day),
        programme.planned_end_on(day),
        paused[0] if paused else None,
    )


def summary_view(
    row: Any, details: dict[str, Any] | None, with_personal: bool, on: date | None = None
) -> dict[str, Any]:
    now = as_of(row, on or dates.today())
    view: dict[str, Any] = {
        "id": str(row.participant_id),
        "municipality": row.municipality,
        "status": now.status,
        "birth_year": row.birth_year,
        "gender": row.gender,
        "settled_on": _iso(row.settled_on),
        "arrival_category": row.arrival_category,
        "household_id": str(row.household_id) if row.household_id else None,
        "unaccompanied_minor": row.unaccompanied_minor,
        "programme": None
        if row.programme_id is None
        else {
            "id": str(row.programme_id),
            "kind": row.programme_kind,
            "adviser": row.adviser,
            "starts_on": _iso(row.programme_starts_on),
            "planned_end": _iso(now.planned_end),
            "planned_end_after_scheduled_leaves": _iso(row.planned_end),
            "paused_since": _iso(now.paused_since),
            "ended_on": _iso(row.programme_ended_on),
            "completion_reason": row.completion_reason,
            "outcome": row.outcome,
            "follow_up_status": row.follow_up_status,
            "follow_up_preliminary": row.follow_up_preliminary,
        },
        "plan": None
        if not row.plan_revision
        else {
            "revision": row.plan_revision,
            "hours_per_week": row.plan_hours_per_week,
            "full_time": row.plan_full_time,
            "below_full_time": not row.plan_full_time,
        },
        "last_follow_up_on": _iso(row.last_follow_up_on),
        "norwegian": row.norwegian,
        "moved_out_on": _iso(row.moved_out_on),
        "moved_to": row.moved_to,
        "emigrated_on": _iso(row.emigrated_on),
        "died_on": _iso(row.died_on),
        "left_household_on": _iso(row.left_household_on),
        "erased": row.erased,
        "version": row.version,
    }
    if with_personal:
        view["personal_data"] = _public_details(details)
    return view


def _public_details(details: dict[str, Any] | None) -> dict[str, Any] | None:
    if details is None:
        return None
    return {
        "given_name": details.get("given_name"),
        "family_name": details.get("family_name"),
        "birth_date": details.get("birth_date"),
        "national_id": details.get("national_id"),
        "previous_national_ids": details.get("previous_national_ids", []),
        "phone": details.get("phone"),
        "email": details.get("email"),
    }


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


async def _rows_with_keys(conn: AsyncConnection, where: list[Any]) -> list[Any]:
    query = (
        sa.select(participant_summary, participant_keys.c.key)
        .select_from(
            participant_summary.outerjoin(
                participant_keys,
                participant_keys.c.participant_id == participant_summary.c.participant_id,
            )
        )
        .where(*where)
        .order_by(
            participant_summary.c.planned_end.nulls_last(), participant_summary.c.participant_id
        )
    )
    return list((await conn.execute(query)).all())


def _details(row: Any) -> dict[str, Any] | None:
    if row.key is None or row.sealed_details is None:
        return None
    return personal_data.unseal(bytes(row.key), row.participant_id, row.sealed_details)


async def participant(
    conn: AsyncConnection, participant_id: uuid.UUID, municipality: str, with_personal: bool
) -> dict[str, Any]:
    rows = await _rows_with_keys(
        conn,
        [
            participant_summary.c.participant_id == participant_id,
            participant_summary.c.municipality == municipality,
        ],
    )
    if not rows:
        raise NotFound(f"No participant {participant_id} in municipality {municipality}.")
    row = rows[0]
    return summary_view(row, _details(row) if with_personal else None, with_personal)


async def search(
    conn: AsyncConnection,
    settings: Settings,
    municipality: str,
    filters: Filters,
    today: date,
    with_personal: bool,
    limit: int,
    offset: int,
) -> list[dict[str, Any]]:
    where: list[Any] = [participant_summary.c.municipality == municipality]
    if filters.national_id:
        found = await find_by_national_id(conn, settings, municipality, filters.national_id)
        if found is None:
            return []
        where.append(participant_summary.c.participant_id == found)
    if filters.adviser:
        where.append(participant_summary.c.adviser == filters.adviser)
    rows = await _rows_with_keys(conn, where)
    results = []
    needle = filters.name.casefold() if filters.name else None
    for row in rows:
        now = as_of(row, today)
        if filters.status and now.status != filters.status:
            continue
        if filters.ending_within_days is not None and not _ending(
            now, today, filters.ending_within_days
        ):
            continue
        details = _details(row) if (with_personal or needle) else None
        if needle:
            full = (
                f"{(details or {}).get('given_name', '')} {(details or {}).get('family_name', '')}"
            )
            if needle not in full.casefold():
                continue
        results.append(summary_view(row, details, with_personal, today))
    return results[offset : offset + limit]


RUNNING = frozenset({"in_programme", "paused"})


def _ending(now: AsOf, today: date, within_days: int) -> bool:
    return (
        now.status in RUNNING
        and now.planned_end is not None
        and today <= now.planned_end <= today + timedelta(days=within_days)
    )


async def _history(
    conn: AsyncConnection,
    store: EventStore,
    participant_id: uuid.UUID,
    municipality: str,
    with_personal: bool,
) -> tuple[bytes | None, list[tuple[Envelope, Any]]]:
    """The participant's events, oldest first, and their key when personal data is shown;
    another municipality's participant is 404."""
    if await store.stream_municipality(conn, str(participant_id)) != municipality:
        raise NotFound(f"No participant {participant_id} in municipality {municipality}.")
    key = await personal_data.load_key(conn, participant_id) if with_personal else None
    envelopes = await store.load(conn, str(participant_id))
    return key, [(envelope, store.decode(envelope)) for envelope in envelopes]


async def timeline(
    conn: AsyncConnection,
    store: EventStore,
    participant_id: uuid.UUID,
    municipality: str,
    with_personal: bool,
) -> list[dict[str, Any]]:
    """Everything that happened to the participant, oldest first, in plain words."""
    key, history = await _history(conn, store, participant_id, municipality, with_personal)
    entries = []
    seen_details = False
    for envelope, event in history:
        entry = _entry(envelope, event, key, participant_id, seen_details)
        if isinstance(event, ev.PersonalDetailsRecorded):
            seen_details = True
        entries.append(entry)
    rows = await conn.execute(
        sa.select(matching_timeline)
        .where(matching_timeline.c.participant_id == participant_id)
        .order_by(matching_timeline.c.occurred_on)
    )
    for row in rows:
        entries.append(_matching_entry(row))
    entries.sort(key=lambda e: (e["on"], e.get("version") or 0))
    return entries


def _entry(
    envelope: Envelope, event: Any, key: bytes | None, participant_id: uuid.UUID, seen_details: bool
) -> dict[str, Any]:
    on = envelope.occurred_at.date()
    text: str
    details: dict[str, Any] = {}
    match event:
        case ev.ParticipantRegistered():
            text = "Registered as a participant"
        case ev.PersonalDetailsRecorded():
            text = "Personal details changed" if seen_details else "Personal details recorded"
        case ev.ParticipantSettled():
            on = event.settled_on
            size = f" in a household of {event.household_size}" if event.household_size else ""
            minor = ", unaccompanied minor (enslig mindreårig)" if event.unaccompanied_minor else ""
            text = (
                f"Settled (bosatt) as {ARRIVAL_LABELS[event.arrival_category.value]}{size}{minor}"
            )
            details = {"household_id": str(event.household_id) if event.household_id else None}
        case ev.ProgrammeStarted():
            on = event.starts_on
            text = (
                f"{PROGRAMME_LABELS[event.kind.value]} starts; planned end "
                f"{event.planned_end.isoformat()}"
            )
        case ev.ProgrammeAdviserAssigned():
            text = "Programme adviser assigned"
            if key is not None:
                details = {
                    "adviser": personal_data.unseal_text(key, participant_id, event.sealed_adviser)
                }
        case ev.ProgrammeInterrupted():
            on = event.from_date
            text = "Programme paused: " + (
                "leave (permisjon)"
                if event.kind == ev.PauseKind.leave
                else "interruption (avbrudd)"
            )
        case ev.ProgrammeResumed():
            on = event.resumed_on
            text = f"Programme resumed; planned end moved to {event.planned_end.isoformat()}"
        case ev.PlanRevised():
            on = event.valid_from
            flag = (
                "full time"
                if event.full_time
                else f"below full time ({domain.FULL_TIME_HOURS:g} h)"
            )
            text = f"Plan revision {event.revision}: {event.hours_per_week:g} h/week, {flag}; end goal {event.end_goal.value}"
            details = {"activities": [a.model_dump(mode="json") for a in event.activities]}
        case ev.PlanGoalDescribed():
            text = f"Goal described for plan revision {event.revision}"
            if key is not None:
                details = {"goal": personal_data.unseal_text(key, participant_id, event.sealed)}
        case ev.FollowUpConversationHeld():
            on = event.held_on
            text = "Follow-up conversation (oppfølgingssamtale)"
            if key is not None:
                details = {
                    "adviser": personal_data.unseal_text(key, participant_id, event.sealed_adviser),
                    "note": personal_data.unseal_text(key, participant_id, event.sealed_note),
                }
        case ev.FollowUpConversationHeldV1():
            on = event.held_on
            text = "Follow-up conversation (oppfølgingssamtale)"
            if key is not None:
                details = {
                    "adviser": event.adviser,
                    "note": personal_data.unseal_text(key, participant_id, event.sealed_note),
                }
        case ev.AbsenceRecorded():
            on = event.on
            text = (
                f"Absent {event.hours:g} h ({'valid' if event.valid_reason else 'no valid'} reason)"
            )
            if key is not None:
                details = {
                    "note": personal_data.unseal_text(key, participant_id, event.sealed_note)
                }
        case ev.NorwegianTestRecorded():
            on = event.taken_on
            text = f"Norwegian test (norskprøve), {event.sub_test.value}: {event.level.value}"
        case ev.CompetenceProfileRecorded():
            text = "Competence profile (kartlegging) updated"
        case ev.CompetenceProfileUpdated():
            text = "Consented parts of the competence profile shared with matching"
        case ev.ProgrammeCompleted():
            on = event.ended_on
            verb = "completed" if event.reason == ev.CompletionReason.completed else "ended early"
            outcome = (
                f"; outcome {event.outcome.value}"
                if event.outcome
                else "; outcome not yet registered"
            )
            text = f"Programme {verb}{outcome}"
        case ev.ProgrammeOutcomeRecorded():
            text = f"Outcome after the programme registered: {event.outcome.value}"
        case ev.FollowUpStatusRecorded():
            kind = "preliminary" if event.preliminary else "final"
            text = f"Status in November {event.reference_year}: {event.status.value} ({kind})"
        case ev.ParticipantMovedOut():
            on = event.moved_on
            text = f"Moves to municipality {event.to_municipality}"
        case ev.ParticipantEmigrated():
            on = event.emigrated_on
            text = "Emigrated (left Norway)"
        case ev.ParticipantDied():
            on = event.died_on
            text = "Died"
        case ev.ParticipantLeftHousehold():
            on = event.left_on
            text = "Left the household (stays in the municipality)"
        case ev.ParticipantBirthYearCorrected():
            text = f"Birth year corrected to {event.birth_year}"
        case ev.PlanProvidersRecorded():
            text = f"Activity providers recorded for plan revision {event.revision}"
        case ev.ParticipantErased():
            text = "Personal data erased"
        case _:
            text = envelope.type_name
    entry: dict[str, Any] = {
        "on": on.isoformat(),
        "recorded_at": envelope.recorded_at.isoformat(),
        "version": envelope.stream_version,
        "type": envelope.type_name,
        "text": text,
        "actor": envelope.actor,
    }
    if details:
        entry["details"] = details
    return entry


def _matching_entry(row: Any) -> dict[str, Any]:
    data = row.data
    hours = f", {data['hours_per_week']:g} h/week" if data.get("hours_per_week") is not None else ""
    if row.type == "matching.job.obtained.v1":
        kind = "permanent" if data.get("permanent") else "temporary"
        text = f"Job obtained ({kind}) at employer {data['employer_id']}{hours}"
    elif row.type == "matching.practice_placement.started.v1":
        text = f"{str(data.get('kind', 'practice')).replace('_', ' ').capitalize()} placement started at employer {data['employer_id']}{hours}"
    else:
        text = f"Practice placement ended: {str(data.get('outcome', '')).replace('_', ' ')}"
    return {
        "on": row.occurred_on.isoformat(),
        "recorded_at": None,
        "version": None,
        "type": row.type,
        "text": text,
        "actor": "matching",
        "details": data,
    }


async def plans(
    conn: AsyncConnection,
    store: EventStore,
    participant_id: uuid.UUID,
    municipality: str,
    with_personal: bool,
) -> list[dict[str, Any]]:
    """Every plan revision, oldest first; the last is the current plan."""
    key, history = await _history(conn, store, participant_id, municipality, with_personal)
    revisions: list[dict[str, Any]] = []
    goals: dict[int, str | None] = {}
    providers: dict[int, list[str | None]] = {}
    for envelope, event in history:
        if isinstance(event, ev.PlanRevised):
            revisions.append(
                {
                    "programme_id": str(event.programme_id),
                    "revision": event.revision,
                    "valid_from": event.valid_from.isoformat(),
                    "end_goal": event.end_goal.value,
                    "norwegian_goal": event.norwegian_goal.value if event.norwegian_goal else None,
                    "activities": [a.model_dump(mode="json") for a in event.activities],
                    "hours_per_week": event.hours_per_week,
                    "weeks_per_year": domain.WEEKS_PER_YEAR,
                    "full_time": event.full_time,
                    "below_full_time": not event.full_time,
                    "missing_hours": max(0.0, domain.FULL_TIME_HOURS - event.hours_per_week),
                    "recorded_at": envelope.recorded_at.isoformat(),
                }
            )
        elif isinstance(event, ev.PlanGoalDescribed) and key is not None:
            goals[event.revision] = personal_data.unseal_text(key, participant_id, event.sealed)
        elif isinstance(event, ev.PlanProvidersRecorded) and key is not None:
            sealed = personal_data.unseal_text(key, participant_id, event.sealed)
            providers[event.revision] = json.loads(sealed) if sealed else []
    for revision in revisions:
        if with_personal:
            revision["goal_description"] = goals.get(revision["revision"])
            named = providers.get(revision["revision"], [])
            for index, activity in enumerate(revision["activities"]):
                activity["provider"] = named[index] if index < len(named) else None
    return revisions
