"""The candidates read model, fed by the durable consumer of the participants service's
published events (:data:`FOLLOWED`): the consented competence profile, Norwegian tests
recorded after it (only while Norwegian is shared), the settlement date, leaving the
municipality (moved out, emigrated, died; from that date on) and erasure.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncConnection

from services.matching.domain.candidates import (
    PROFILE_PARTS,
    best_level,
    candidate_from_profile,
    norwegian_shared,
)
from services.matching.tables import (
    candidates,
    erased_candidates,
    touched,
)
from shared import tables as kit_tables
from shared.events import Envelope
from shared.inbox import SCRUBBED, Keep, keep_fields, scrub_inbox
from shared.projection import Projection

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


CANDIDATES = Projection(
    "candidates", PARTICIPANTS_FEED, (candidates, erased_candidates), _apply_candidates
)
