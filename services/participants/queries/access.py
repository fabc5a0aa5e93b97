"""The person's own rights: the access export's own part, personal-details history, households.

The participants service holds the participant's key, so its part of an access export
(innsyn, GDPR art. 15) shows every sealed value opened; the other services' parts are
gathered over HTTP by ``api/access.py``. Every function here that returns personal data
is called by a route that writes an audit row for it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.participants import events as ev
from services.participants import personal_data
from services.participants.queries.journey import as_of
from services.participants.tables import (
    households,
    metadata,
    participant_keys,
    participant_summary,
)
from shared import dates, sealing
from shared.access import AccessPart, Opener, gather
from shared.eventstore import EventStore
from shared.problems import NotFound

SERVICE = "participants"
PURPOSE = "participants.integration_casework"
LEGAL_BASIS = (
    "personvernforordningen art. 6 nr. 1 bokstav c og e, art. 9 nr. 2 bokstav g",
    "integreringsloven § 41 (behandling av personopplysninger)",
    "integreringsloven § 43 (personregistre, Nasjonalt introduksjonsregister)",
)

DETAIL_FIELDS = (
    "given_name",
    "family_name",
    "birth_date",
    "national_id",
    "previous_national_ids",
    "phone",
    "email",
)
"""The personal details a history entry shows (what the participant record holds)."""

NAME_FIELDS = ("given_name", "family_name")


async def require_participant(
    conn: AsyncConnection, store: EventStore, participant_id: uuid.UUID, municipality: str
) -> None:
    """404 unless the participant is one of ``municipality``'s."""
    if await store.stream_municipality(conn, str(participant_id)) != municipality:
        raise NotFound(f"No participant {participant_id} in municipality {municipality}.")


def _opener(participant_id: uuid.UUID, key: bytes | None) -> Opener:
    """Opens what is sealed with the participant's key (text notes show as their text)."""

    async def open_sealed(
        conn: AsyncConnection, source: str, sealed: str, record: Mapping[str, Any]
    ) -> Any | None:
        if key is None:
            return None
        try:
            content = sealing.unseal(key, participant_id, sealed)
        except (sealing.Unreadable, ValueError):
            return None
        if set(content) == {"text"}:
            return content["text"]
        return content

    return open_sealed


async def own_part(
    conn: AsyncConnection, participant_id: uuid.UUID, municipality: str
) -> AccessPart:
    """What the participants service stores about the participant, sealed values opened.

    The key table is never shown; the audit log is (who read the person's data is part
    of what they may know, GDPR art. 15 nr. 1 bokstav c).
    """
    key = await personal_data.load_key(conn, participant_id)
    return await gather(
        conn,
        service=SERVICE,
        metadata=metadata,
        participant_id=participant_id,
        municipality=municipality,
        purpose=PURPOSE,
        legal_basis=LEGAL_BASIS,
        pseudonymous=False,
        opener=_opener(participant_id, key),
        exclude=(participant_keys,),
        household_events=False,
    )


def _shown(details: Mapping[str, Any]) -> dict[str, Any]:
    return {name: details.get(name) for name in DETAIL_FIELDS}


async def personal_details_history(
    conn: AsyncConnection, store: EventStore, participant_id: uuid.UUID, municipality: str
) -> dict[str, Any]:
    """Every recording of the personal details, oldest first, each with what it changed.

    Once the participant is erased their key is gone: the entries stay (when, by whom)
    but their content cannot be read by anyone.
    """
    await require_participant(conn, store, participant_id, municipality)
    key = await personal_data.load_key(conn, participant_id)
    envelopes = await store.load(conn, str(participant_id))
    entries: list[dict[str, Any]] = []
    previous: dict[str, Any] | None = None
    for envelope in envelopes:
        if envelope.type_name != ev.PersonalDetailsRecorded.type_name:
            continue
        details: dict[str, Any] | None = None
        if key is not None:
            try:
                details = _shown(personal_data.unseal(key, participant_id, envelope.data["sealed"]))
            except sealing.Unreadable:
                details = None
        changed = (
            sorted(
                name
                for name in DETAIL_FIELDS
                if details is not None and details.get(name) != previous.get(name)
            )
            if previous is not None
            else []
        )
        entries.append(
            {
                "version": envelope.stream_version,
                "recorded_at": envelope.recorded_at.isoformat(),
                "actor": envelope.actor,
                "first": previous is None and not entries,
                "changed": changed,
                "details": details,
            }
        )
        if details is not None:
            previous = details
    return {
        "participant_id": str(participant_id),
        "erased": key is None,
        "count": len(entries),
        "entries": entries,
    }


async def household_of(
    conn: AsyncConnection, store: EventStore, participant_id: uuid.UUID, municipality: str
) -> uuid.UUID:
    """The household the participant was settled in; 404 when unknown or not settled."""
    await require_participant(conn, store, participant_id, municipality)
    household_id = await conn.scalar(
        sa.select(participant_summary.c.household_id).where(
            participant_summary.c.participant_id == participant_id,
            participant_summary.c.municipality == municipality,
        )
    )
    if not isinstance(household_id, uuid.UUID):
        raise NotFound(f"Participant {participant_id} has not been settled in a household.")
    return household_id


async def household_members(
    conn: AsyncConnection, household_id: uuid.UUID, municipality: str, with_names: bool
) -> dict[str, Any]:
    """The household's members (everyone settled in it, also those who left), with names
    only when ``with_names``; 404 when the municipality has no such household."""
    counted = await conn.scalar(
        sa.select(households.c.members).where(
            households.c.household_id == household_id,
            households.c.municipality == municipality,
        )
    )
    rows = (
        await conn.execute(
            sa.select(participant_summary, participant_keys.c.key)
            .select_from(
                participant_summary.outerjoin(
                    participant_keys,
                    participant_keys.c.participant_id == participant_summary.c.participant_id,
                )
            )
            .where(
                participant_summary.c.household_id == household_id,
                participant_summary.c.municipality == municipality,
            )
            .order_by(participant_summary.c.settled_on, participant_summary.c.birth_year)
        )
    ).all()
    if counted is None and not rows:
        raise NotFound(f"No household {household_id} in municipality {municipality}.")
    today = dates.today()
    members = []
    for row in rows:
        member: dict[str, Any] = {
            "participant_id": str(row.participant_id),
            "status": as_of(row, today).status,
            "birth_year": row.birth_year,
            "gender": row.gender,
            "settled_on": _iso(row.settled_on),
            "unaccompanied_minor": row.unaccompanied_minor,
            "left_household_on": _iso(row.left_household_on),
            "moved_out_on": _iso(row.moved_out_on),
            "emigrated_on": _iso(row.emigrated_on),
            "died_on": _iso(row.died_on),
            "erased": row.erased,
            "in_household": _in_household(row, today),
        }
        if with_names:
            member["personal_data"] = _names(row)
        members.append(member)
    return {
        "household_id": str(household_id),
        "municipality": municipality,
        "members_counted": counted or 0,
        "count": len(members),
        "members": members,
    }


def _names(row: Any) -> dict[str, Any] | None:
    if row.key is None or row.sealed_details is None:
        return None
    try:
        details = personal_data.unseal(bytes(row.key), row.participant_id, row.sealed_details)
    except sealing.Unreadable:
        return None
    return {name: details.get(name) for name in NAME_FIELDS}


def _in_household(row: Any, today: Any) -> bool:
    gone = [
        day
        for day in (row.left_household_on, row.died_on, row.emigrated_on)
        if day is not None and day <= today
    ]
    return not gone and not row.erased


def _iso(day: Any) -> str | None:
    return day.isoformat() if day is not None else None
