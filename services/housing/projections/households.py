"""``households``, ``household_members`` and ``birth_years``: the participants feed.

Fed by the durable consumer of the participants service's published events — read
from the CloudEvent's ``data``, never from its code or database.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncConnection

from services.housing import personal_data
from services.housing import tables as t
from shared import tables as kit
from shared.events import Envelope
from shared.inbox import Keep, keep_fields, scrub_inbox
from shared.projection import Projection

PARTICIPANTS_FEED = "participants"
SETTLED = "participants.participant.settled.v1"


async def _refresh_household(conn: AsyncConnection, household_id: uuid.UUID) -> None:
    """Recompute a household from its settled members.

    The household has left once every settled member is gone; it left on the last
    departure, for that departure's reason.
    """
    members = t.household_members
    rows = (
        await conn.execute(
            sa.select(
                members.c.municipality,
                members.c.settled_on,
                members.c.reported_household_size,
                members.c.unaccompanied_minor,
                members.c.gone_on,
                members.c.gone_reason,
                members.c.to_municipality,
            ).where(members.c.household_id == household_id)
        )
    ).all()
    if not rows:
        # Every member was erased: the household is forgotten too (replay, which skips the
        # scrubbed copies, ends the same way). Its application leaves the waiting list.
        await conn.execute(
            sa.delete(t.households).where(t.households.c.household_id == household_id)
        )
        return
    last = None
    if all(row.gone_on is not None for row in rows):
        last = max(rows, key=lambda row: row.gone_on)
    values: dict[str, Any] = {
        "municipality": rows[0].municipality,
        "settled_on": min(row.settled_on for row in rows),
        "household_size": max(max((row.reported_household_size or 1) for row in rows), len(rows)),
        "members_settled": len(rows),
        "unaccompanied_minor": any(row.unaccompanied_minor for row in rows),
        "left_on": last.gone_on if last else None,
        "left_reason": last.gone_reason if last else None,
        "left_to_municipality": last.to_municipality if last else None,
    }
    await conn.execute(
        pg.insert(t.households)
        .values(household_id=household_id, **values)
        .on_conflict_do_update(index_elements=["household_id"], set_=values)
    )


async def _member_gone(
    conn: AsyncConnection,
    participant_id: uuid.UUID,
    gone_on: date,
    reason: str,
    *,
    to_municipality: str | None = None,
    household_id: uuid.UUID | None = None,
) -> None:
    """The member is no longer part of the household from ``gone_on`` (maybe ahead).

    The earliest departure counts: someone who moved away and later died left on the
    move. A later correction of the same kind of fact replaces its date.
    """
    members = t.household_members
    row = (
        await conn.execute(
            sa.select(members.c.household_id, members.c.gone_on, members.c.gone_reason).where(
                members.c.participant_id == participant_id
            )
        )
    ).one_or_none()
    if row is None or (household_id is not None and row.household_id != household_id):
        return
    if row.gone_on is not None and row.gone_reason != reason and row.gone_on <= gone_on:
        return
    await conn.execute(
        sa.update(members)
        .where(members.c.participant_id == participant_id)
        .values(
            gone_on=gone_on,
            gone_reason=reason,
            to_municipality=sa.func.coalesce(to_municipality, members.c.to_municipality),
        )
    )
    await _refresh_household(conn, row.household_id)


PROGRAMME_EXITS = {
    "moved_municipality": "moved_away",
    "emigrated": "emigrated",
    "deceased": "deceased",
}
"""Programme outcomes that take the person out of the municipality, as departure reasons."""


def _id(data: dict[str, Any], name: str = "participant_id") -> uuid.UUID:
    return uuid.UUID(str(data[name]))


def _day(data: dict[str, Any], name: str) -> date:
    return date.fromisoformat(str(data[name]))


async def _apply_households(conn: AsyncConnection, envelope: Envelope) -> None:
    data = envelope.data
    members = t.household_members
    match envelope.type_name:
        case (
            "participants.participant.registered.v1"
            | "participants.participant.birth_year_corrected.v1"
        ):
            values = {"birth_year": int(data["birth_year"])}
            await conn.execute(
                pg.insert(t.birth_years)
                .values(participant_id=_id(data), **values)
                .on_conflict_do_update(index_elements=["participant_id"], set_=values)
            )
        case "participants.participant.settled.v1":
            participant_id = _id(data)
            # Settlements published before households were recorded carry no household id:
            # the participant is then a household of their own (household id = participant id).
            household_id = uuid.UUID(str(data.get("household_id") or participant_id))
            settled = {
                "household_id": household_id,
                "municipality": envelope.municipality,
                "settled_on": _day(data, "settled_on"),
                "reported_household_size": data.get("household_size"),
                "unaccompanied_minor": bool(data.get("unaccompanied_minor", False)),
            }
            previous = await conn.scalar(
                sa.select(members.c.household_id).where(members.c.participant_id == participant_id)
            )
            # A new settlement (a correction, or settling in another household) replaces
            # the earlier one and brings the person back into a household.
            await conn.execute(
                pg.insert(members)
                .values(participant_id=participant_id, **settled)
                .on_conflict_do_update(
                    index_elements=["participant_id"],
                    set_={**settled, "gone_on": None, "gone_reason": None, "to_municipality": None},
                )
            )
            await _refresh_household(conn, household_id)
            if isinstance(previous, uuid.UUID) and previous != household_id:
                await _refresh_household(conn, previous)
        case "participants.participant.left_household.v1":
            await _member_gone(
                conn,
                _id(data),
                _day(data, "left_on"),
                "left_household",
                household_id=_id(data, "household_id"),
            )
        case "participants.participant.moved_out.v1":
            await _member_gone(
                conn,
                _id(data),
                _day(data, "moved_on"),
                "moved_away",
                to_municipality=data.get("to_municipality"),
            )
        case "participants.participant.died.v1":
            await _member_gone(conn, _id(data), _day(data, "died_on"), "deceased")
        case "participants.participant.emigrated.v1":
            await _member_gone(conn, _id(data), _day(data, "emigrated_on"), "emigrated")
        case "participants.programme.completed.v1" if data.get("outcome") in PROGRAMME_EXITS:
            # Records made before the dedicated events existed say it only here.
            await _member_gone(
                conn, _id(data), _day(data, "ended_on"), PROGRAMME_EXITS[str(data["outcome"])]
            )
        case "participants.participant.erased.v1":
            await _erase(conn, _id(data))


async def _erase(conn: AsyncConnection, participant_id: uuid.UUID) -> None:
    """Forget the person: membership, birth year, inbox copies, their own sealed needs
    (their key), and the needs recorded for the whole household (its key: ages and needs
    given per household cannot be told apart per member; the officer records them again).
    The other members' own needs stay."""
    members = t.household_members
    household_id = await conn.scalar(
        sa.delete(members)
        .where(members.c.participant_id == participant_id)
        .returning(members.c.household_id)
    )
    await conn.execute(
        sa.delete(t.birth_years).where(t.birth_years.c.participant_id == participant_id)
    )
    await scrub_inbox(conn, str(participant_id))
    await conn.execute(
        sa.delete(t.application_member_needs).where(
            t.application_member_needs.c.participant_id == participant_id
        )
    )
    known = household_id if isinstance(household_id, uuid.UUID) else None
    await personal_data.forget(conn, participant_id, known)
    # A command's stored answer (Idempotency-Key) may show the needs in clear; erasure
    # wins over a replay of it.
    for owner in (participant_id, known):
        if owner is not None:
            await conn.execute(
                sa.delete(kit.idempotency_keys).where(
                    sa.cast(kit.idempotency_keys.c.response, sa.Text).contains(str(owner))
                )
            )
    if known is not None:
        await conn.execute(
            sa.update(t.applications)
            .where(t.applications.c.household_id == known)
            .values(
                member_ages=[],
                needs_wheelchair_access=False,
                needs_step_free=False,
                needs_erased=True,
            )
        )
        await _refresh_household(conn, known)


def _keep_exit(data: dict[str, Any]) -> dict[str, Any] | None:
    """A programme completion matters here only when its outcome took the person away."""
    if data.get("outcome") not in PROGRAMME_EXITS:
        return None
    return {name: data[name] for name in ("participant_id", "ended_on", "outcome")}


def _keep_birth_year(data: dict[str, Any]) -> dict[str, Any]:
    return {"participant_id": data["participant_id"], "birth_year": data["birth_year"]}


PARTICIPANTS_KEEP: Keep = {
    "participants.participant.registered.v1": _keep_birth_year,
    "participants.participant.birth_year_corrected.v1": _keep_birth_year,
    "participants.participant.settled.v1": keep_fields(
        "participant_id", "household_id", "household_size", "settled_on", "unaccompanied_minor"
    ),
    "participants.participant.left_household.v1": keep_fields(
        "participant_id", "household_id", "left_on"
    ),
    "participants.participant.moved_out.v1": keep_fields(
        "participant_id", "moved_on", "to_municipality"
    ),
    "participants.participant.died.v1": keep_fields("participant_id", "died_on"),
    "participants.participant.emigrated.v1": keep_fields("participant_id", "emigrated_on"),
    "participants.participant.erased.v1": keep_fields("participant_id"),
    "participants.programme.completed.v1": _keep_exit,
}
"""What housing's inbox keeps of the participants events the households read model follows
(every other participants event is stored with empty data)."""


HOUSEHOLDS = Projection(
    "households",
    PARTICIPANTS_FEED,
    (t.households, t.household_members, t.birth_years),
    _apply_households,
)
