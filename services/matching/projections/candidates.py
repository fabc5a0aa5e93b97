"""The candidates read model, fed by the durable consumer of the participants service's
published events (:data:`FOLLOWED`): the consented competence profile, Norwegian tests
recorded after it (only while Norwegian is shared), the settlement date, leaving the
municipality (moved out, emigrated, died; from that date on) and erasure.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncConnection

from services.matching.domain.candidates import (
    FREE_TEXT_FIELDS,
    PROFILE_PARTS,
    best_level,
    candidate_from_profile,
    norwegian_shared,
)
from services.matching.tables import UNSTAMPED, candidates, erased_candidates, new_row
from shared import tables as kit_tables
from shared.events import Envelope
from shared.inbox import SCRUBBED, Keep, keep_fields, scrub_inbox
from shared.projection import Batch, Key, Projection, Row

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


def _profile_kept(data: dict[str, Any]) -> dict[str, Any]:
    kept = {name: data[name] for name in _PROFILE_FIELDS if name in data}
    if not norwegian_shared(kept):
        kept.pop("norwegian", None)
    return kept


_PROFILE_FIELDS = ("participant_id", *PROFILE_PARTS, "consent", *FREE_TEXT_FIELDS)

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


async def fold_candidates(batch: Batch, envelopes: Sequence[Envelope]) -> None:
    """Every candidate the events touch, read once, changed in memory, written once.

    The inbox copies an event minimises or scrubs are updated in order as the events
    are folded: they are no rows of this batch, and a later event's change to the same
    copies (a tombstone after a minimised test) must land last.
    """
    followed = [e for e in envelopes if e.type_name in FOLLOWED]
    keys = {_key(e) for e in followed}
    await batch.load(candidates, keys)
    await batch.load(erased_candidates, keys)
    for envelope in followed:
        await _apply(batch, envelope, _key(envelope))


def _key(envelope: Envelope) -> Key:
    return (uuid.UUID(str(envelope.data["participant_id"])),)


async def _apply(batch: Batch, envelope: Envelope, key: Key) -> None:
    data = envelope.data
    if envelope.type_name == ERASED:
        await _erase(batch, key, envelope)
        return
    if batch.row(erased_candidates, key) is not None:
        await _tombstone_received(batch.conn, envelope.id)
        return
    row = batch.row(candidates, key)
    values: dict[str, Any] | None = None
    if envelope.type_name == SETTLED:
        values = {"settled_on": date.fromisoformat(str(data["settled_on"]))}
    elif envelope.type_name == PROFILE_UPDATED:
        candidate = candidate_from_profile(data, envelope.municipality)
        profile = candidate.profile_document()
        values = {
            "profile": profile,
            "profile_updated_at": envelope.occurred_at,
            "consent": profile["consent"],
        }
        if "norwegian" not in candidate.shared:
            values["norwegian_tests"] = None
            await _forget_norwegian(batch.conn, key[0])
    elif envelope.type_name == NORWEGIAN_TEST:
        tests = await _record_test(batch.conn, key[0], envelope, row)
        if tests is not None:
            batch.put(candidates, {"participant_id": key[0], "norwegian_tests": tests} | UNSTAMPED)
        return
    elif envelope.type_name in (PROGRAMME_COMPLETED, OUTCOME_RECORDED):
        values = {"programmes": _record_programme(envelope, row)}
    elif envelope.type_name in _LEAVING:
        values = _record_leaving(envelope, row)
    if values is None:
        return
    changes = {"participant_id": key[0], "municipality": envelope.municipality, **values}
    if row is None:
        batch.put(candidates, new_row(candidates, **changes))
    else:
        batch.put(candidates, changes | UNSTAMPED)


async def _record_test(
    conn: AsyncConnection, participant_id: uuid.UUID, envelope: Envelope, row: Row | None
) -> dict[str, str] | None:
    """A test after the profile raises that sub-skill's level, if Norwegian is shared:
    the levels then, or None when they stay as they are."""
    data = envelope.data
    shares = row is not None and bool((row["consent"] or {}).get("norwegian"))
    if not shares or "sub_test" not in data or "level" not in data:
        # Without consent the result is not kept, not even in the inbox; the next
        # profile shared with consent carries the levels again.
        await _minimise_received(conn, envelope.id, participant_id)
        return None
    assert row is not None
    tests = dict(row["norwegian_tests"] or {})
    sub_test = str(data["sub_test"])
    best = best_level(tests.get(sub_test), str(data["level"]))
    if best is None or best == tests.get(sub_test):
        return None
    tests[sub_test] = best
    return tests


def _record_programme(envelope: Envelope, row: Row | None) -> dict[str, Any]:
    """A programme's end and outcome: moved, emigrated or deceased take the person out
    from the end date; a later outcome for the same programme replaces the earlier."""
    data = envelope.data
    programmes = dict(row["programmes"] or {}) if row is not None else {}
    programme = dict(programmes.get(str(data["programme_id"]), {}))
    if "ended_on" in data:
        programme["ended_on"] = data["ended_on"]
    programme["outcome"] = data.get("outcome")
    programmes[str(data["programme_id"])] = programme
    return programmes


def _record_leaving(envelope: Envelope, row: Row | None) -> dict[str, Any] | None:
    """The person leaves the municipality's candidates on a date (maybe ahead).

    The earliest departure wins; a move within the same municipality is no departure.
    """
    data = envelope.data
    if envelope.type_name == MOVED_OUT and data.get("to_municipality") == envelope.municipality:
        return None
    left_on = date.fromisoformat(str(data[_LEFT_ON[envelope.type_name]]))
    if row is not None and row["left_on"] is not None and row["left_on"] <= left_on:
        return None
    return {
        "left_on": left_on,
        "left_because": _LEAVING[envelope.type_name],
        "moved_to": data.get("to_municipality") if envelope.type_name == MOVED_OUT else None,
    }


async def _forget_norwegian(conn: AsyncConnection, participant_id: uuid.UUID) -> None:
    """Norwegian is no longer shared: drop every received Norwegian result of the person."""
    received = kit_tables.received_events
    of_person = sa.and_(
        received.c.consumer == PARTICIPANTS_FEED,
        received.c.payload["data"]["participant_id"].astext == str(participant_id),
    )
    await _set_received_data(
        conn, _only_the_id(participant_id), of_person, received.c.type == NORWEGIAN_TEST
    )
    await _set_received_data(
        conn,
        received.c.payload["data"].op("-")("norwegian"),
        of_person,
        received.c.type == PROFILE_UPDATED,
    )


async def _minimise_received(
    conn: AsyncConnection, event_id: uuid.UUID, participant_id: uuid.UUID
) -> None:
    received = kit_tables.received_events
    await _set_received_data(
        conn,
        _only_the_id(participant_id),
        received.c.consumer == PARTICIPANTS_FEED,
        received.c.event_id == event_id,
    )


def _only_the_id(participant_id: uuid.UUID) -> Any:
    return sa.func.jsonb_build_object("participant_id", str(participant_id))


async def _set_received_data(conn: AsyncConnection, data: Any, *where: Any) -> None:
    """Replace the ``data`` of the inbox copies ``where`` selects."""
    received = kit_tables.received_events
    await conn.execute(
        sa.update(received)
        .where(*where)
        .values(payload=sa.func.jsonb_set(received.c.payload, _DATA_PATH, data))
    )


_DATA_PATH = sa.cast(sa.literal("{data}"), pg.ARRAY(sa.Text))


async def _tombstone_received(conn: AsyncConnection, event_id: uuid.UUID) -> None:
    """A late copy naming an erased person: keep only the id that deduplicates it."""
    received = kit_tables.received_events
    await conn.execute(
        sa.update(received)
        .where(received.c.consumer == PARTICIPANTS_FEED, received.c.event_id == event_id)
        .values(payload={SCRUBBED: True})
    )


async def _erase(batch: Batch, key: Key, envelope: Envelope) -> None:
    """Forget the candidate: profile, timeline, and every received copy naming them.

    What stays is the pseudonymous id in ``erased_candidates`` (so that a late or
    replayed profile event cannot bring the candidate back, and the in-memory index
    learns of the erasure), in the erasure event's own inbox copy (so a rebuild from
    the inbox knows it too) and in this service's own match events, which record what
    happened between the municipality, the employer and that id, never the profile.
    """
    batch.remove(candidates, key)
    if batch.row(erased_candidates, key) is None:
        batch.put(
            erased_candidates,
            new_row(erased_candidates, participant_id=key[0], erased_at=envelope.recorded_at),
        )
    await scrub_inbox(batch.conn, str(key[0]))
    received = kit_tables.received_events
    await batch.conn.execute(
        sa.update(received)
        .where(received.c.consumer == PARTICIPANTS_FEED, received.c.event_id == envelope.id)
        .values(payload=envelope.to_cloudevent())
    )


CANDIDATES = Projection(
    "candidates", PARTICIPANTS_FEED, (candidates, erased_candidates), apply_batch=fold_candidates
)
