"""``households``, ``household_members`` and ``birth_years``: the participants feed.

Fed by the durable consumer of the participants service's published events — read
from the CloudEvent's ``data``, never from its code or database.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa

from services.housing import personal_data
from services.housing import tables as t
from shared import tables as kit
from shared.events import Envelope
from shared.inbox import Keep, keep_fields, scrub_inbox
from shared.projection import Batch, Projection, Row

PARTICIPANTS_FEED = "participants"
SETTLED = "participants.participant.settled.v1"
ERASED = "participants.participant.erased.v1"


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


def _household_settled(data: dict[str, Any]) -> uuid.UUID:
    """The household a settlement is into.

    Settlements published before households were recorded carry no household id: the
    participant is then a household of their own (household id = participant id).
    """
    return uuid.UUID(str(data.get("household_id") or data["participant_id"]))


MEMBER_EVENTS = {
    "participants.participant.settled.v1",
    "participants.participant.left_household.v1",
    "participants.participant.moved_out.v1",
    "participants.participant.died.v1",
    "participants.participant.emigrated.v1",
    "participants.programme.completed.v1",
    "participants.participant.erased.v1",
}
"""Events that may change a person's membership of a household."""

BIRTH_YEAR_EVENTS = {
    "participants.participant.registered.v1",
    "participants.participant.birth_year_corrected.v1",
}


class _Households:
    """One batch of participants events folded into households and their members.

    Each household changed is recomputed once, at the end, from its members as the batch
    leaves them (every member of a household it touches is loaded).
    """

    def __init__(self, batch: Batch) -> None:
        self.batch = batch
        self.members_of: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
        self.changed: set[uuid.UUID] = set()

    async def load(self, envelopes: Sequence[Envelope]) -> None:
        batch, members = self.batch, t.household_members
        # A programme completion that took nobody away is kept without data.
        people = {_id(e.data) for e in envelopes if e.type_name in MEMBER_EVENTS and e.data}
        await batch.load(members, {(p,) for p in people})
        erased = {_id(e.data) for e in envelopes if e.type_name == ERASED}
        await batch.load(t.birth_years, {(p,) for p in erased})
        touched = {_household_settled(e.data) for e in envelopes if e.type_name == SETTLED}
        touched |= {row["household_id"] for p in people if (row := self._member(p))}
        if not touched:
            return
        stored = await batch.execute(
            sa.select(members.c.participant_id).where(members.c.household_id.in_(touched))
        )
        people |= set(stored.scalars())
        await batch.load(members, {(p,) for p in people})
        await batch.load(t.households, {(h,) for h in touched})
        for participant_id in people:
            if (row := self._member(participant_id)) is not None:
                self.members_of[row["household_id"]].add(participant_id)

    def _member(self, participant_id: uuid.UUID) -> Row | None:
        return self.batch.row(t.household_members, (participant_id,))

    async def apply(self, envelope: Envelope) -> None:
        data = envelope.data
        match envelope.type_name:
            case kind if kind in BIRTH_YEAR_EVENTS:
                self.batch.put(
                    t.birth_years,
                    {"participant_id": _id(data), "birth_year": int(data["birth_year"])},
                )
            case "participants.participant.settled.v1":
                self.settled(envelope)
            case "participants.participant.left_household.v1":
                self.gone(
                    _id(data),
                    _day(data, "left_on"),
                    "left_household",
                    household_id=_id(data, "household_id"),
                )
            case "participants.participant.moved_out.v1":
                self.gone(
                    _id(data),
                    _day(data, "moved_on"),
                    "moved_away",
                    to_municipality=data.get("to_municipality"),
                )
            case "participants.participant.died.v1":
                self.gone(_id(data), _day(data, "died_on"), "deceased")
            case "participants.participant.emigrated.v1":
                self.gone(_id(data), _day(data, "emigrated_on"), "emigrated")
            case "participants.programme.completed.v1" if data.get("outcome") in PROGRAMME_EXITS:
                # Records made before the dedicated events existed say it only here.
                self.gone(_id(data), _day(data, "ended_on"), PROGRAMME_EXITS[str(data["outcome"])])
            case "participants.participant.erased.v1":
                await self.erase(_id(data))

    def settled(self, envelope: Envelope) -> None:
        data = envelope.data
        participant_id = _id(data)
        household_id = _household_settled(data)
        previous = self._member(participant_id)
        # A new settlement (a correction, or settling in another household) replaces
        # the earlier one and brings the person back into a household.
        self.batch.put(
            t.household_members,
            {
                "participant_id": participant_id,
                "household_id": household_id,
                "municipality": envelope.municipality,
                "settled_on": _day(data, "settled_on"),
                "reported_household_size": data.get("household_size"),
                "unaccompanied_minor": bool(data.get("unaccompanied_minor", False)),
                "gone_on": None,
                "gone_reason": None,
                "to_municipality": None,
            },
        )
        self.members_of[household_id].add(participant_id)
        self.changed.add(household_id)
        if previous is not None and previous["household_id"] != household_id:
            self.members_of[previous["household_id"]].discard(participant_id)
            self.changed.add(previous["household_id"])

    def gone(
        self,
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
        row = self._member(participant_id)
        if row is None or (household_id is not None and row["household_id"] != household_id):
            return
        if (
            row["gone_on"] is not None
            and row["gone_reason"] != reason
            and row["gone_on"] <= gone_on
        ):
            return
        self.batch.put(
            t.household_members,
            row
            | {
                "gone_on": gone_on,
                "gone_reason": reason,
                "to_municipality": (
                    to_municipality if to_municipality is not None else row["to_municipality"]
                ),
            },
        )
        self.changed.add(row["household_id"])

    async def erase(self, participant_id: uuid.UUID) -> None:
        """Forget the person: membership, birth year, inbox copies, their own sealed needs
        (their key), and the needs recorded for the whole household (its key: ages and needs
        given per household cannot be told apart per member; the officer records them
        again). The other members' own needs stay."""
        batch, conn = self.batch, self.batch.conn
        row = self._member(participant_id)
        known: uuid.UUID | None = row["household_id"] if row is not None else None
        batch.remove(t.household_members, (participant_id,))
        batch.remove(t.birth_years, (participant_id,))
        # The rest lives outside this read model's tables, so it is written in place.
        await scrub_inbox(conn, str(participant_id))
        await conn.execute(
            sa.delete(t.application_member_needs).where(
                t.application_member_needs.c.participant_id == participant_id
            )
        )
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
            self.members_of[known].discard(participant_id)
            self.changed.add(known)

    def refresh(self) -> None:
        """Recompute each household changed from its settled members.

        The household has left once every settled member is gone; it left on the last
        departure, for that departure's reason.
        """
        for household_id in self.changed:
            rows = [
                row for p in self.members_of[household_id] if (row := self._member(p)) is not None
            ]
            if not rows:
                # Every member was erased: the household is forgotten too (replay, which
                # skips the scrubbed copies, ends the same way). Its application leaves
                # the waiting list.
                self.batch.remove(t.households, (household_id,))
                continue
            last = None
            if all(row["gone_on"] is not None for row in rows):
                last = max(rows, key=lambda row: row["gone_on"])
            reported = max((row["reported_household_size"] or 1) for row in rows)
            self.batch.put(
                t.households,
                {
                    "household_id": household_id,
                    "municipality": _first_settled(rows)["municipality"],
                    "settled_on": min(row["settled_on"] for row in rows),
                    "household_size": max(reported, len(rows)),
                    "members_settled": len(rows),
                    "unaccompanied_minor": any(row["unaccompanied_minor"] for row in rows),
                    "left_on": last["gone_on"] if last else None,
                    "left_reason": last["gone_reason"] if last else None,
                    "left_to_municipality": last["to_municipality"] if last else None,
                },
            )


def _first_settled(rows: list[Row]) -> Row:
    return min(rows, key=lambda row: (row["settled_on"], row["participant_id"]))


async def _fold_households(batch: Batch, envelopes: Sequence[Envelope]) -> None:
    households = _Households(batch)
    await households.load(envelopes)
    for envelope in envelopes:
        await households.apply(envelope)
    households.refresh()


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
    apply_batch=_fold_households,
)
