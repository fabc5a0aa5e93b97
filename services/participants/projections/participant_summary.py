"""``participant_summary``: one row per participant, updated inline with the append."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa

from services.participants import events as ev
from services.participants import personal_data
from services.participants.tables import participant_keys, participant_summary
from shared.events import Envelope, Event
from shared.projection import OWN_EVENTS, Batch, Key, Projection, Row, decoder

LEGACY_PROGRAMME_STARTED = "participants.programme.started.v1"


Changes = Callable[[Any, Row], dict[str, Any]]
"""The summary columns one event sets, given the row as it stands before it."""

_CHANGES: dict[type[Event], Changes] = {}


def _of(*models: type[Event]) -> Callable[[Changes], Changes]:
    def register(changes: Changes) -> Changes:
        for model in models:
            _CHANGES[model] = changes
        return changes

    return register


@functools.cache
def _changes_of(model: type[Event]) -> Changes | None:
    """The handler of ``model`` (or of the nearest class it derives from): a dict
    lookup per event instead of a chain of class patterns tried in turn."""
    return next((_CHANGES[base] for base in model.__mro__ if base in _CHANGES), None)


@_of(ev.PersonalDetailsRecorded)
def _details(event: ev.PersonalDetailsRecorded, row: Row) -> dict[str, Any]:
    return {"sealed_details": event.sealed}


@_of(ev.ParticipantSettled)
def _settled(event: ev.ParticipantSettled, row: Row) -> dict[str, Any]:
    return {
        "settled_on": event.settled_on,
        "arrival_category": event.arrival_category.value,
        "household_id": event.household_id,
        "unaccompanied_minor": event.unaccompanied_minor,
        "status": "settled",
    }


@_of(ev.ParticipantTransferredIn)
def _transferred_in(event: ev.ParticipantTransferredIn, row: Row) -> dict[str, Any]:
    return {
        "settled_on": event.settled_on,
        "arrival_category": event.arrival_category.value if event.arrival_category else None,
        "status": "settled" if event.settled_on else row["status"],
    }


@_of(ev.ProgrammeStarted)
def _programme_started(event: ev.ProgrammeStarted, row: Row) -> dict[str, Any]:
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


@_of(ev.ProgrammeInterrupted)
def _interrupted(event: ev.ProgrammeInterrupted, row: Row) -> dict[str, Any]:
    return {
        "paused_since": event.from_date,
        "leaves": [*row["leaves"], [event.kind.value, event.from_date.isoformat(), None]],
    }


@_of(ev.ProgrammeResumed)
def _resumed(event: ev.ProgrammeResumed, row: Row) -> dict[str, Any]:
    return {
        "paused_since": None,
        "planned_end": event.planned_end,
        "leaves": _closed_leaves(row["leaves"], event.resumed_on),
    }


@_of(ev.PlanRevised)
def _plan_revised(event: ev.PlanRevised, row: Row) -> dict[str, Any]:
    return {
        "plan_revision": event.revision,
        "plan_hours_per_week": event.hours_per_week,
        "plan_full_time": event.full_time,
    }


@_of(ev.FollowUpConversationHeld, ev.FollowUpConversationHeldV1)
def _follow_up_held(
    event: ev.FollowUpConversationHeld | ev.FollowUpConversationHeldV1, row: Row
) -> dict[str, Any]:
    return {"last_follow_up_on": max(row["last_follow_up_on"] or event.held_on, event.held_on)}


@_of(ev.ProgrammeCompleted)
def _completed(event: ev.ProgrammeCompleted, row: Row) -> dict[str, Any]:
    return {
        "programme_ended_on": event.ended_on,
        "completion_reason": event.reason.value,
        "outcome": event.outcome.value if event.outcome else None,
        "paused_since": None,
        "status": "programme_ended",
        "leaves": _closed_leaves(row["leaves"], event.ended_on),
    }


@_of(ev.ProgrammeOutcomeRecorded)
def _outcome(event: ev.ProgrammeOutcomeRecorded, row: Row) -> dict[str, Any]:
    return {"outcome": event.outcome.value}


@_of(ev.FollowUpStatusRecorded)
def _follow_up_status(event: ev.FollowUpStatusRecorded, row: Row) -> dict[str, Any]:
    return {"follow_up_status": event.status.value, "follow_up_preliminary": event.preliminary}


@_of(ev.NorwegianTestRecorded)
def _norwegian_test(event: ev.NorwegianTestRecorded, row: Row) -> dict[str, Any]:
    # Keep the best level per sub-test, not the latest.
    previous = row["norwegian"].get(event.sub_test.value)
    if previous is not None and _rank(previous) >= _rank(event.level.value):
        return {}
    return {"norwegian": {**row["norwegian"], event.sub_test.value: event.level.value}}


@_of(ev.ParticipantMovedOut)
def _moved_out(event: ev.ParticipantMovedOut, row: Row) -> dict[str, Any]:
    return {
        "moved_out_on": event.moved_on,
        "moved_to": event.to_municipality,
        "status": "moved_out",
    }


@_of(ev.ParticipantEmigrated)
def _emigrated(event: ev.ParticipantEmigrated, row: Row) -> dict[str, Any]:
    return {"emigrated_on": event.emigrated_on, "status": "emigrated"}


@_of(ev.ParticipantDied)
def _died(event: ev.ParticipantDied, row: Row) -> dict[str, Any]:
    return {"died_on": event.died_on, "status": "deceased"}


@_of(ev.ParticipantLeftHousehold)
def _left_household(event: ev.ParticipantLeftHousehold, row: Row) -> dict[str, Any]:
    return {"left_household_on": event.left_on}


@_of(ev.ParticipantBirthYearCorrected)
def _birth_year(event: ev.ParticipantBirthYearCorrected, row: Row) -> dict[str, Any]:
    return {"birth_year": event.birth_year}


@_of(ev.ParticipantErased)
def _erased(event: ev.ParticipantErased, row: Row) -> dict[str, Any]:
    return {"sealed_details": None, "adviser": None, "erased": True, "status": "erased"}


_BLANK: Row = dict.fromkeys(participant_summary.columns.keys())
"""Every column, empty: walking the table's columns per registration costs more than
the rest of the new row."""


def new_summary(event: ev.ParticipantRegistered, envelope: Envelope) -> Row:
    """The row a registration starts: every column, defaults as the table has them."""
    return _BLANK | {
        "participant_id": event.participant_id,
        "municipality": envelope.municipality,
        "birth_year": event.birth_year,
        "gender": event.gender.value,
        "status": "registered",
        "unaccompanied_minor": False,
        "leaves": [],
        "plan_revision": 0,
        "norwegian": {},
        "erased": False,
        "registered_at": envelope.recorded_at,
        "version": envelope.stream_version,
    }


decode = decoder(ev.registry)


def participant_key(envelope: Envelope) -> Key:
    return _key_of(envelope.stream_id)


@functools.lru_cache(maxsize=1 << 16)
def _key_of(stream_id: str) -> Key:
    # A participant's events come in runs (a rebuild reads ten or so each): parsing
    # the id once per run instead of once per event and projection is measurable.
    return (uuid.UUID(stream_id),)


def summary_rows(envelopes: Sequence[Envelope]) -> dict[sa.Table, set[Key]]:
    """The rows :func:`fold_summary` reads: the summaries, and the keys that open an
    assigned adviser's name."""
    advisers = [e for e in envelopes if e.type_name == ev.ProgrammeAdviserAssigned.type_name]
    return {
        participant_summary: {participant_key(e) for e in envelopes},
        participant_keys: {participant_key(e) for e in advisers},
    }


async def fold_summary(batch: Batch, envelopes: Sequence[Envelope]) -> None:
    """Every summary row the events touch, read once, changed in memory, written once."""
    for table, wanted in summary_rows(envelopes).items():
        await batch.load(table, wanted)
    keys = [participant_key(e) for e in envelopes]
    for envelope, key in zip(envelopes, keys, strict=True):
        event = decode(envelope)
        row = batch.row(participant_summary, key)
        if isinstance(event, ev.ParticipantRegistered):
            if row is None:
                batch.put(participant_summary, new_summary(event, envelope))
            continue
        if row is None:
            continue
        batch.put(participant_summary, _changed(batch, event, envelope, row))


def _changed(batch: Batch, event: Event, envelope: Envelope, row: Row) -> Row:
    if isinstance(event, ev.ProgrammeAdviserAssigned):
        sealing = batch.row(participant_keys, (event.participant_id,))
        key = bytes(sealing["key"]) if sealing is not None else None
        changes = {
            "adviser": personal_data.unseal_text(key, event.participant_id, event.sealed_adviser)
        }
    else:
        handler = _changes_of(type(event))
        changes = handler(event, row) if handler is not None else {}
    if envelope.type_name == LEGACY_PROGRAMME_STARTED:
        # Stored before the adviser was sealed: the upcast event no longer carries it.
        changes["adviser"] = envelope.data.get("adviser")
    return {"participant_id": row["participant_id"], **changes, "version": envelope.stream_version}


def _closed_leaves(leaves: list[list[Any]], on: date) -> list[list[Any]]:
    """The leaves with the open one closed on ``on`` (the day the programme goes on)."""
    return [
        [kind, starts, max(on.isoformat(), starts) if ends is None else ends]
        for kind, starts, ends in leaves
    ]


def _rank(level: str) -> int:
    return [lvl.value for lvl in ev.NorwegianLevel].index(level)


PARTICIPANT_SUMMARY = Projection(
    "participant_summary",
    OWN_EVENTS,
    (participant_summary,),
    apply_batch=fold_summary,
    keys=summary_rows,
)
