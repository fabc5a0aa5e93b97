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
from shared.i18n import DEFAULT, ENGLISH, Catalog, catalog, format_date
from shared.problems import NotFound
from shared.settings import Settings

TEXTS = ("shared", "services.participants")
"""The catalogs of what a participant's screens say (labels of codes, timeline texts)."""

SUMMARY_LABELS = {
    "status": "participant_status",
    "gender": "gender",
    "arrival_category": "arrival_category",
}
PROGRAMME_SUMMARY_LABELS = {
    "kind": "programme_kind",
    "completion_reason": "completion_reason",
    "outcome": "outcome",
    "follow_up_status": "follow_up_status",
}
"""Fields of a participant's summary whose codes get a ``<field>_label`` beside them."""


def texts() -> Catalog:
    return catalog(*TEXTS)


def with_labels(
    view: dict[str, Any], fields: dict[str, str], locale: str, texts: Catalog
) -> dict[str, Any]:
    """``view`` with ``<field>_label`` beside each coded field (``None`` stays ``None``)."""
    for field, vocabulary in fields.items():
        if field in view:
            code = view[field]
            view[f"{field}_label"] = texts.label(
                vocabulary, None if code is None else str(code), locale
            )
    return view


def _hours(value: float, locale: str) -> str:
    shown = f"{value:g}"
    return shown if locale == ENGLISH else shown.replace(".", ",")


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
    row: Any,
    details: dict[str, Any] | None,
    with_personal: bool,
    on: date | None = None,
    locale: str = DEFAULT,
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
    catalog_ = texts()
    with_labels(view, SUMMARY_LABELS, locale, catalog_)
    if view["programme"] is not None:
        with_labels(view["programme"], PROGRAMME_SUMMARY_LABELS, locale, catalog_)
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
    conn: AsyncConnection,
    participant_id: uuid.UUID,
    municipality: str,
    with_personal: bool,
    locale: str = DEFAULT,
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
    return summary_view(row, _details(row) if with_personal else None, with_personal, locale=locale)


async def search(
    conn: AsyncConnection,
    settings: Settings,
    municipality: str,
    filters: Filters,
    today: date,
    with_personal: bool,
    locale: str = DEFAULT,
) -> list[dict[str, Any]]:
    """Every participant that matches ``filters``, in the search's order: planned end
    (none last), then participant id (unique, so pages neither skip nor repeat anyone).
    Status and name are filtered here, not in SQL (status as of today, names sealed), so
    the caller pages the whole list and its length is the total."""
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
        results.append(summary_view(row, details, with_personal, today, locale))
    return results


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
    locale: str = DEFAULT,
) -> list[dict[str, Any]]:
    """Everything that happened to the participant, oldest first, in plain words.

    ``text`` is in ``locale`` (``timeline.*`` keys of the participants' catalog); the
    codes an entry mentions are in ``codes`` (vocabulary → code) with their labels in
    ``labels``, so a screen can show or filter them without parsing the text.
    """
    key, history = await _history(conn, store, participant_id, municipality, with_personal)
    say = _Say(locale, texts())
    entries = []
    seen_details = False
    for envelope, event in history:
        entry = _entry(envelope, event, key, participant_id, seen_details, say)
        if isinstance(event, ev.PersonalDetailsRecorded):
            seen_details = True
        entries.append(entry)
    rows = await conn.execute(
        sa.select(matching_timeline)
        .where(matching_timeline.c.participant_id == participant_id)
        .order_by(matching_timeline.c.occurred_on)
    )
    for row in rows:
        entries.append(_matching_entry(row, say))
    entries.sort(key=lambda e: (e["on"], e.get("version") or 0))
    return entries


class _Say:
    """Timeline texts in one locale, collecting the codes (and labels) an entry names."""

    def __init__(self, locale: str, texts: Catalog) -> None:
        self.locale = locale
        self.texts = texts
        self.codes: dict[str, str] = {}

    def start(self) -> None:
        self.codes = {}

    def __call__(self, key: str, **params: Any) -> str:
        return self.texts.text(f"timeline.{key}", self.locale, **params)

    def code(self, vocabulary: str, code: str) -> str:
        """The label of ``code``, remembered for the entry's ``codes`` and ``labels``."""
        self.codes[vocabulary] = code
        return self.texts.text(f"{vocabulary}.{code}", self.locale)

    def label(self, vocabulary: str, code: str) -> str:
        """A label only (a word inside the text, not a code of the entry)."""
        return self.texts.text(f"{vocabulary}.{code}", self.locale)

    def day(self, value: date) -> str:
        return format_date(value, self.locale)

    def hours(self, value: float) -> str:
        return _hours(value, self.locale)

    def coded(self, entry: dict[str, Any]) -> dict[str, Any]:
        if self.codes:
            entry["codes"] = dict(self.codes)
            entry["labels"] = {
                vocabulary: self.texts.text(f"{vocabulary}.{code}", self.locale)
                for vocabulary, code in self.codes.items()
            }
        return entry


def _entry(
    envelope: Envelope,
    event: Any,
    key: bytes | None,
    participant_id: uuid.UUID,
    seen_details: bool,
    say: _Say,
) -> dict[str, Any]:
    on = envelope.occurred_at.date()
    text: str
    details: dict[str, Any] = {}
    say.start()
    match event:
        case ev.ParticipantRegistered():
            text = say("registered")
        case ev.PersonalDetailsRecorded():
            text = say("details_changed") if seen_details else say("details_recorded")
        case ev.ParticipantSettled():
            on = event.settled_on
            text = say(
                "settled",
                arrival_category=say.code("arrival_category", event.arrival_category.value),
            )
            if event.household_size:
                text += say("settled.household", household_size=event.household_size)
            if event.unaccompanied_minor:
                text += say("settled.minor")
            details = {"household_id": str(event.household_id) if event.household_id else None}
        case ev.ProgrammeStarted():
            on = event.starts_on
            text = say(
                "programme_started",
                programme_kind=say.code("programme_kind", event.kind.value),
                planned_end=say.day(event.planned_end),
            )
        case ev.ProgrammeAdviserAssigned():
            text = say("adviser_assigned")
            if key is not None:
                details = {
                    "adviser": personal_data.unseal_text(key, participant_id, event.sealed_adviser)
                }
        case ev.ProgrammeInterrupted():
            on = event.from_date
            text = say("paused", pause_kind=say.code("pause_kind", event.kind.value))
        case ev.ProgrammeResumed():
            on = event.resumed_on
            text = say("resumed", planned_end=say.day(event.planned_end))
        case ev.PlanRevised():
            on = event.valid_from
            flag = (
                say("full_time")
                if event.full_time
                else say("below_full_time", hours=say.hours(domain.FULL_TIME_HOURS))
            )
            text = say(
                "plan_revised",
                revision=event.revision,
                hours=say.hours(event.hours_per_week),
                full_time=flag,
                end_goal=say.code("end_goal", event.end_goal.value),
            )
            details = {"activities": [a.model_dump(mode="json") for a in event.activities]}
        case ev.PlanGoalDescribed():
            text = say("goal_described", revision=event.revision)
            if key is not None:
                details = {"goal": personal_data.unseal_text(key, participant_id, event.sealed)}
        case ev.FollowUpConversationHeld():
            on = event.held_on
            text = say("follow_up")
            if key is not None:
                details = {
                    "adviser": personal_data.unseal_text(key, participant_id, event.sealed_adviser),
                    "note": personal_data.unseal_text(key, participant_id, event.sealed_note),
                }
        case ev.FollowUpConversationHeldV1():
            on = event.held_on
            text = say("follow_up")
            if key is not None:
                details = {
                    "adviser": event.adviser,
                    "note": personal_data.unseal_text(key, participant_id, event.sealed_note),
                }
        case ev.AbsenceRecorded():
            on = event.on
            text = say(
                "absent",
                hours=say.hours(event.hours),
                reason=say("absent.valid") if event.valid_reason else say("absent.invalid"),
            )
            if key is not None:
                details = {
                    "note": personal_data.unseal_text(key, participant_id, event.sealed_note)
                }
        case ev.NorwegianTestRecorded():
            on = event.taken_on
            text = say(
                "norwegian_test",
                sub_test=say.code("norwegian_sub_test", event.sub_test.value),
                level=say.code("norwegian_level", event.level.value),
            )
        case ev.CompetenceProfileRecorded():
            text = say("competence_recorded")
        case ev.CompetenceProfileUpdated():
            text = say("competence_shared")
        case ev.ProgrammeCompleted():
            on = event.ended_on
            completion = say(f"completion.{event.reason.value}")
            say.code("completion_reason", event.reason.value)
            if event.outcome:
                text = say(
                    "programme_completed",
                    completion=completion,
                    outcome=say.code("outcome", event.outcome.value),
                )
            else:
                text = say("programme_completed.no_outcome", completion=completion)
        case ev.ProgrammeOutcomeRecorded():
            text = say("outcome_recorded", outcome=say.code("outcome", event.outcome.value))
        case ev.FollowUpStatusRecorded():
            text = say(
                "follow_up_status",
                year=event.reference_year,
                status=say.code("follow_up_status", event.status.value),
                kind=say.label("follow_up_kind", "preliminary" if event.preliminary else "final"),
            )
        case ev.ParticipantMovedOut():
            on = event.moved_on
            text = say("moved_out", municipality=event.to_municipality)
        case ev.ParticipantEmigrated():
            on = event.emigrated_on
            text = say("emigrated")
        case ev.ParticipantDied():
            on = event.died_on
            text = say("died")
        case ev.ParticipantLeftHousehold():
            on = event.left_on
            text = say("left_household")
        case ev.ParticipantBirthYearCorrected():
            text = say("birth_year_corrected", birth_year=event.birth_year)
        case ev.PlanProvidersRecorded():
            text = say("providers_recorded", revision=event.revision)
        case ev.ParticipantErased():
            text = say("erased")
        case _:
            text = say.texts.find(f"event.{envelope.type_name}", say.locale) or say(
                "other_event", type=envelope.type_name
            )
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
    return say.coded(entry)


def _matching_entry(row: Any, say: _Say) -> dict[str, Any]:
    data = row.data
    say.start()
    hours = (
        say("hours_per_week", hours=say.hours(data["hours_per_week"]))
        if data.get("hours_per_week") is not None
        else ""
    )
    employer = data.get("employer_id", "")
    if row.type == "matching.job.obtained.v1":
        employment = say.label("employment", "permanent" if data.get("permanent") else "temporary")
        text = say("job_obtained", employment=employment, employer=employer, hours=hours)
    elif row.type == "matching.practice_placement.started.v1":
        placement = say.code("placement_kind", str(data.get("kind") or "practice"))
        text = say("placement_started", placement=placement, employer=employer, hours=hours)
    else:
        outcome = say.code("placement_outcome", str(data.get("outcome", "")))
        text = say("placement_ended", placement_outcome=outcome)
    return say.coded(
        {
            "on": row.occurred_on.isoformat(),
            "recorded_at": None,
            "version": None,
            "type": row.type,
            "text": text,
            "actor": "matching",
            "details": data,
        }
    )


async def plans(
    conn: AsyncConnection,
    store: EventStore,
    participant_id: uuid.UUID,
    municipality: str,
    with_personal: bool,
    locale: str = DEFAULT,
) -> list[dict[str, Any]]:
    """Every plan revision, oldest first; the last is the current plan (codes labelled)."""
    labels = texts()
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
                    "end_goal_label": labels.label("end_goal", event.end_goal.value, locale),
                    "norwegian_goal": event.norwegian_goal.value if event.norwegian_goal else None,
                    "norwegian_goal_label": labels.label(
                        "norwegian_level",
                        event.norwegian_goal.value if event.norwegian_goal else None,
                        locale,
                    ),
                    "activities": [
                        {
                            **a.model_dump(mode="json"),
                            "kind_label": labels.label("activity_kind", a.kind.value, locale),
                        }
                        for a in event.activities
                    ],
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
