"""Use cases of the participants service: load, decide, append in one transaction."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.participants import domain, personal_data
from services.participants import events as ev
from services.participants.domain import rules as domain_rules
from services.participants.domain.benefit import opened
from services.participants.tables import households, matching_timeline, minor_shared_home_stays
from shared.commands import CommandResult
from shared.dates import today as norway_today
from shared.events import Envelope, Event, Metadata
from shared.inbox import scrub_inbox
from shared.problems import Conflict, InvalidInput, NotFound, field_error
from shared.rules import RuleViolation
from shared.sealing import new_key
from shared.service import Runtime

Decision = Callable[[domain.Participant], list[Event]]

PARTICIPANT_KEY = "SELECT key FROM participant_keys WHERE participant_id = $1::text::uuid"
"""The participant's key, read with its stream (``Runtime.command``'s ``companion``):
the command that opens sealed data then needs no round trip of its own for it."""


async def load(
    runtime: Runtime, conn: AsyncConnection, participant_id: uuid.UUID, municipality: str
) -> tuple[domain.Participant, int]:
    """The participant's state and version; another municipality's participant is 404."""
    envelopes = await _events(runtime, conn, participant_id)
    if not envelopes or envelopes[0].municipality != municipality:
        raise NotFound(f"No participant {participant_id} in municipality {municipality}.")
    state = await fold(runtime, conn, participant_id, envelopes)
    return state, envelopes[-1].stream_version if envelopes else 0


async def _events(
    runtime: Runtime, conn: AsyncConnection, participant_id: uuid.UUID
) -> list[Envelope]:
    """The participant's events; as the command read them already, when it did."""
    read = runtime.store.read_in(conn, str(participant_id))
    if read is not None:
        return read.envelopes
    return await runtime.store.load(conn, str(participant_id))


async def fold(
    runtime: Runtime, conn: AsyncConnection, participant_id: uuid.UUID, envelopes: list[Envelope]
) -> domain.Participant:
    """The participant's state from its stream (the birth date from its sealed details)."""
    sealed = [e for e in envelopes if e.type_name == ev.PersonalDetailsRecorded.type_name]
    if not sealed:
        return domain.fold(runtime.store.decode(e) for e in envelopes)
    key = await _key(runtime, conn, participant_id)
    return _fold_opened(runtime, participant_id, envelopes, key)


async def _key(runtime: Runtime, conn: AsyncConnection, participant_id: uuid.UUID) -> bytes | None:
    """The participant's key: as the command read it with the stream, when it did."""
    read = runtime.store.read_in(conn, str(participant_id))
    if read is not None and read.companion_read:
        return bytes(read.companion) if read.companion is not None else None
    return await personal_data.load_key(conn, participant_id)


async def fold_for_sealing(
    runtime: Runtime, conn: AsyncConnection, participant_id: uuid.UUID, envelopes: list[Envelope]
) -> tuple[domain.Participant, bytes]:
    """The state and the participant's key, read once; an erased participant's missing
    key is the ``erased`` rule, as :func:`key_for` answers."""
    key = await _key(runtime, conn, participant_id)
    return _fold_opened(runtime, participant_id, envelopes, key), _present(key)


def _fold_opened(
    runtime: Runtime, participant_id: uuid.UUID, envelopes: list[Envelope], key: bytes | None
) -> domain.Participant:
    """The state with what only the key opens: the birth date, the children's birth dates
    (unknown once the key is destroyed)."""
    if key is None:
        return domain.fold(runtime.store.decode(e) for e in envelopes)
    state = domain.fold(
        (runtime.store.decode(e) for e in envelopes), _birth_date(key, participant_id, envelopes)
    )
    benefit = opened(
        state.benefit, lambda text: personal_data.unseal_text(key, participant_id, text)
    )
    return state if benefit is state.benefit else replace(state, benefit=benefit)


def evolve(state: domain.Participant, new_events: Sequence[Event]) -> domain.Participant:
    for event in new_events:
        state = domain.apply(state, event)
    return state


def accepted(participant_id: uuid.UUID, version: int, state: domain.Participant) -> dict[str, Any]:
    """The answer to a change: the participant, its new version and status today."""
    return {
        "participant_id": str(participant_id),
        "version": version,
        "status": state.status_on(norway_today()),
    }


def _birth_date(key: bytes, participant_id: uuid.UUID, envelopes: list[Envelope]) -> date | None:
    sealed = [e for e in envelopes if e.type_name == ev.PersonalDetailsRecorded.type_name]
    if not sealed:
        return None
    raw = personal_data.unseal(key, participant_id, sealed[-1].data["sealed"]).get("birth_date")
    return date.fromisoformat(str(raw)) if raw else None


async def change(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    participant_id: uuid.UUID,
    decide: Decision,
    expected_version: int | None = None,
    status_code: int = 201,
) -> tuple[domain.Participant, CommandResult]:
    """Load the participant, decide, append; a refused command carries the current version."""
    state, version = await load(runtime, conn, participant_id, metadata.municipality)
    try:
        new_events = decide(state)
    except RuleViolation as exc:
        if exc.status == 409:
            exc.at_version(version)
        raise
    envelopes = await runtime.append(
        conn,
        str(participant_id),
        domain.STREAM_TYPE,
        new_events,
        expected_version=version if expected_version is None else expected_version,
        metadata=metadata,
    )
    state = evolve(state, new_events)
    return state, CommandResult(
        status_code, accepted(participant_id, envelopes[-1].stream_version, state)
    )


async def key_for(conn: AsyncConnection, participant_id: uuid.UUID) -> bytes:
    return _present(await personal_data.load_key(conn, participant_id))


def _present(key: bytes | None) -> bytes:
    if key is None:
        raise domain_rules.ERASED.violation(
            "The participant's personal data was erased; nothing more can be recorded."
        )
    return key


async def register_participant(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    details: dict[str, Any],
    birth_date: date,
    gender: ev.Gender,
    today: date,
) -> CommandResult:
    national_id = str(details["national_id"])
    participant_id = uuid.uuid4()
    # Decided before any write, so a refused registration leaves no key behind.
    decided = domain.register(participant_id, birth_date, national_id, gender, "", today)
    key = new_key()
    existing = await personal_data.claim_national_id(
        conn,
        runtime.settings.lookup_key,
        metadata.municipality,
        national_id,
        participant_id,
        key=key,
    )
    if existing is not None:
        raise Conflict(
            "A participant with this national id is already registered.", existing_id=str(existing)
        )
    sealed = personal_data.seal(key, participant_id, details)
    envelopes = await runtime.append(
        conn,
        str(participant_id),
        domain.STREAM_TYPE,
        [decided[0], ev.PersonalDetailsRecorded(participant_id=participant_id, sealed=sealed)],
        expected_version=0,
        metadata=metadata,
    )
    return CommandResult(201, {"id": str(participant_id), "version": envelopes[-1].stream_version})


async def change_personal_details(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    participant_id: uuid.UUID,
    changes: dict[str, Any],
    expected_version: int | None,
    today: date,
) -> CommandResult:
    await load(runtime, conn, participant_id, metadata.municipality)
    key = await key_for(conn, participant_id)
    current = await current_details(runtime, conn, participant_id, key)
    merged = {**current, **changes}
    new_id = changes.get("national_id")
    if new_id and new_id != current.get("national_id"):
        holder = await personal_data.claim_national_id(
            conn, runtime.settings.lookup_key, metadata.municipality, new_id, participant_id
        )
        if holder is not None:
            raise Conflict(
                "Another participant is registered with this national id.", existing_id=str(holder)
            )
        history = list(current.get("previous_national_ids", []))
        history.append(current["national_id"])
        merged["previous_national_ids"] = history
    sealed = personal_data.seal(key, participant_id, merged)
    _, result = await change(
        runtime,
        conn,
        metadata,
        participant_id,
        lambda state: domain.change_personal_details(
            state,
            sealed,
            date.fromisoformat(str(merged["birth_date"])),
            str(merged["national_id"]),
            today,
        ),
        expected_version,
        status_code=200,
    )
    return result


async def current_details(
    runtime: Runtime, conn: AsyncConnection, participant_id: uuid.UUID, key: bytes
) -> dict[str, Any]:
    envelopes = await _events(runtime, conn, participant_id)
    latest = [e for e in envelopes if e.type_name == ev.PersonalDetailsRecorded.type_name][-1]
    return personal_data.unseal(key, participant_id, latest.data["sealed"])


async def settle_participant(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    participant_id: uuid.UUID,
    *,
    settled_on: date,
    arrival_category: ev.ArrivalCategory,
    household_id: uuid.UUID | None,
    unaccompanied_minor: bool,
    today: date,
    expected_version: int | None,
) -> CommandResult:
    if household_id is None:
        household_id = uuid.uuid4()
        size = 1
    else:
        # Locks the household row so two members settling at once count each other.
        members = await conn.scalar(
            sa.select(households.c.members)
            .where(
                households.c.household_id == household_id,
                households.c.municipality == metadata.municipality,
            )
            .with_for_update()
        )
        if members is None:
            raise InvalidInput(
                "Unknown household.",
                [field_error("household_id", "no household with this id in the municipality")],
            )
        size = int(members) + 1
    _, result = await change(
        runtime,
        conn,
        metadata,
        participant_id,
        lambda state: domain.settle(
            state,
            settled_on,
            arrival_category,
            today,
            household_id=household_id,
            household_size=size,
            unaccompanied_minor=unaccompanied_minor,
        ),
        expected_version,
    )
    body = {
        **result.body,
        "settled_on": settled_on.isoformat(),
        "arrival_category": arrival_category.value,
        "household_id": str(household_id),
        "household_size": size,
    }
    return CommandResult(201, body)


async def erase(
    runtime: Runtime, conn: AsyncConnection, metadata: Metadata, participant_id: uuid.UUID
) -> CommandResult:
    _, result = await change(runtime, conn, metadata, participant_id, domain.erase, status_code=200)
    await personal_data.destroy_key(conn, participant_id)
    # The key read with the stream is gone now: nothing later in this transaction may
    # find it there (reads fall back to the database).
    runtime.store.close(conn)
    for table in (matching_timeline, minor_shared_home_stays):
        await conn.execute(sa.delete(table).where(table.c.participant_id == participant_id))
    await scrub_inbox(conn, str(participant_id))
    return CommandResult(200, {**result.body, "erased": True})
