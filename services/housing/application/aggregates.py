"""How every housing use case locks, loads and appends its aggregates.

Why the locks: a placement changes two aggregates (the dwelling and the household).
Each command first takes row locks on the streams it will change, always in sorted
stream-id order so two commands can never wait on each other in a cycle, and only
then loads them. Under READ COMMITTED the load after the lock sees everything the
previous holder committed, so the second of two concurrent allocations of one
dwelling finds it occupied and is refused with a message an officer understands,
instead of a bare version conflict. Streams that do not exist yet cannot be locked;
for those the event store's insert-or-conflict on the stream row decides (409).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.housing import domain, personal_data, queries
from services.housing import tables as t
from services.housing.events import (
    HousingApplicationNeedsRecorded,
    HousingApplicationNeedsSealed,
    MemberNeedsRecorded,
    MemberNeedsSealed,
)
from shared import tables as kit
from shared.events import Event, Metadata
from shared.problems import NotFound
from shared.rules import RuleViolation
from shared.service import Runtime


@contextmanager
def domain_rules(version: int | None = None) -> Iterator[None]:
    """A refusal of the current state (409) tells the client the version it saw."""
    try:
        yield
    except RuleViolation as exc:
        if exc.status == 409 and version is not None:
            raise exc.at_version(version) from None
        raise


_NEEDS = {"member_ages", "needs_wheelchair_access", "needs_step_free", "district_wishes"}
_MEMBER_NEEDS = {"needs_wheelchair_access", "needs_step_free"}


async def _seal_needs(conn: AsyncConnection, events: list[Event]) -> list[Event]:
    """Replace clear needs with the sealed events housing stores: the household's under its
    key, each member's under their own."""
    sealed: list[Event] = []
    for event in events:
        if isinstance(event, HousingApplicationNeedsRecorded):
            event = HousingApplicationNeedsSealed(
                application_id=event.application_id,
                household_id=event.household_id,
                sealed=await personal_data.seal_for_household(
                    conn, event.household_id, event.model_dump(mode="json", include=_NEEDS)
                ),
            )
        elif isinstance(event, MemberNeedsRecorded):
            event = MemberNeedsSealed(
                application_id=event.application_id,
                household_id=event.household_id,
                participant_id=event.participant_id,
                sealed=await personal_data.seal_for_person(
                    conn, event.participant_id, event.model_dump(mode="json", include=_MEMBER_NEEDS)
                ),
            )
        sealed.append(event)
    return sealed


async def _open_needs(conn: AsyncConnection, events: list[Event]) -> list[Event]:
    """The household's events with sealed needs opened; shredded ones are empty or gone."""
    opened: list[Event] = []
    for event in events:
        if isinstance(event, HousingApplicationNeedsSealed):
            needs = await personal_data.open_needs(conn, event.household_id, event.sealed)
            event = HousingApplicationNeedsRecorded(
                application_id=event.application_id,
                household_id=event.household_id,
                **(needs or {}),
            )
        elif isinstance(event, MemberNeedsSealed):
            member = await personal_data.open_member_needs(conn, event.participant_id, event.sealed)
            if member is None:
                continue
            event = MemberNeedsRecorded(
                application_id=event.application_id,
                household_id=event.household_id,
                participant_id=event.participant_id,
                **member,
            )
        opened.append(event)
    return opened


async def household_facts(
    conn: AsyncConnection, household_id: uuid.UUID, on: date
) -> domain.HouseholdFacts:
    """What the participants service told housing about the household, as of ``on``."""
    known = await queries.household_on(conn, household_id, on)
    if known is None:
        # Commands reach here only for a household housing knew from its settlement (or
        # that has a stream, which needed one): without its row, every member was erased.
        return domain.HouseholdFacts(forgotten=True)
    return domain.HouseholdFacts(
        settled_on=known["settled_on"],
        left_on=known["left_on"],
        left_reason=known["left_reason"],
        departures=tuple(known["departures"]),
        members=tuple(known["members"]),
    )


async def lock_streams(conn: AsyncConnection, *stream_ids: str) -> None:
    """Row-lock the existing streams among ``stream_ids``, in sorted order (see module doc)."""
    await conn.execute(
        sa.select(kit.streams.c.stream_id)
        .where(kit.streams.c.stream_id.in_(sorted(set(stream_ids))))
        .order_by(kit.streams.c.stream_id)
        .with_for_update()
    )


async def _load(runtime: Runtime, conn: AsyncConnection, stream_id: str) -> tuple[list[Event], int]:
    envelopes = await runtime.store.load(conn, stream_id)
    events = [runtime.store.decode(e) for e in envelopes]
    return events, envelopes[-1].stream_version if envelopes else 0


async def load_owned(
    runtime: Runtime, conn: AsyncConnection, stream_id: str, municipality: str, what: str
) -> tuple[list[Event], int]:
    """The stream's events and version; 404 (``No <what> in municipality …``) unless the
    stream is one of ``municipality``'s."""
    if await runtime.store.stream_municipality(conn, stream_id) != municipality:
        raise NotFound(f"No {what} in municipality {municipality}.")
    return await _load(runtime, conn, stream_id)


async def append_new(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    stream_id: str,
    stream_type: str,
    events: list[Event],
) -> int:
    """Append the first events of a new stream; returns its version after them."""
    envelopes = await runtime.append(
        conn, stream_id, stream_type, events, expected_version=0, metadata=metadata
    )
    return envelopes[-1].stream_version


async def load_dwelling(
    runtime: Runtime, conn: AsyncConnection, dwelling_id: uuid.UUID, municipality: str
) -> tuple[domain.Dwelling, int]:
    """The dwelling and its version; another municipality's dwelling is 404."""
    events, version = await load_owned(
        runtime, conn, domain.dwelling_stream(dwelling_id), municipality, f"dwelling {dwelling_id}"
    )
    return domain.fold_dwelling(events), version


async def load_household(
    runtime: Runtime, conn: AsyncConnection, household_id: uuid.UUID, municipality: str
) -> tuple[domain.Household, int]:
    """The household's housing career and its version.

    A household is known once its settlement arrived from the participants service,
    or once housing recorded anything for it; another municipality's is 404.
    """
    stream_id = domain.household_stream(household_id)
    owner = await runtime.store.stream_municipality(conn, stream_id)
    # One answer for an unknown household and another municipality's: no existence oracle.
    unknown = NotFound(
        f"No household {household_id} in municipality {municipality}. Households come from "
        "settlement (participant.settled); one settled just now may take a moment to arrive."
    )
    if owner is None:
        if await queries.settled_household(conn, household_id, municipality) is None:
            raise unknown
        return domain.Household(household_id=household_id), 0
    if owner != municipality:
        raise unknown
    events, version = await _load(runtime, conn, stream_id)
    state = domain.fold_household(await _open_needs(conn, events))
    return domain.Household(
        household_id=household_id
    ) if state.household_id is None else state, version


async def lock_and_load(
    runtime: Runtime,
    conn: AsyncConnection,
    municipality: str,
    dwelling_id: uuid.UUID,
    household_id: uuid.UUID,
) -> tuple[domain.Dwelling, int, domain.Household, int]:
    """Lock the dwelling's and the household's streams, then load both with their versions."""
    await lock_streams(
        conn, domain.dwelling_stream(dwelling_id), domain.household_stream(household_id)
    )
    dwelling, dwelling_version = await load_dwelling(runtime, conn, dwelling_id, municipality)
    household, household_version = await load_household(runtime, conn, household_id, municipality)
    return dwelling, dwelling_version, household, household_version


_BY_ID = {
    "application": (t.applications, "application_id"),
    "placement": (t.placements, "placement_id"),
    "rent-to-own agreement": (t.rent_to_own, "agreement_id"),
    "start loan": (t.start_loans, "loan_id"),
}


async def owner_of(
    conn: AsyncConnection, what: str, value: uuid.UUID, municipality: str, *extra: str
) -> sa.Row[Any]:
    """Find the household (and other columns) a placement, agreement, ... belongs to."""
    table, key = _BY_ID[what]
    columns = [table.c.household_id, *(table.c[name] for name in extra)]
    row = (
        await conn.execute(
            sa.select(*columns).where(table.c[key] == value, table.c.municipality == municipality)
        )
    ).one_or_none()
    if row is None:
        raise NotFound(f"No {what} {value} in municipality {municipality}.")
    return row


async def visible(
    runtime: Runtime,
    conn: AsyncConnection,
    municipality: str,
    *,
    household: uuid.UUID | None = None,
    dwelling: uuid.UUID | None = None,
    **ids: uuid.UUID | None,
) -> None:
    """404 unless every id the command names exists in the caller's municipality.

    Run before the command's transaction and its Idempotency-Key lookup, so another
    municipality's id and an unknown one get the same answer, word for word; ``ids``
    are keyed ``application``, ``placement``, ``agreement`` or ``loan``.
    """
    if household is not None:
        owner = await runtime.store.stream_municipality(conn, domain.household_stream(household))
        if owner != municipality and (
            owner is not None
            or await queries.settled_household(conn, household, municipality) is None
        ):
            raise NotFound(
                f"No household {household} in municipality {municipality}. Households come "
                "from settlement (participant.settled); one settled just now may take a "
                "moment to arrive."
            )
    names = {"agreement": "rent-to-own agreement", "loan": "start loan"}
    for kind, value in ids.items():
        if value is not None:
            await owner_of(conn, names.get(kind, kind), value, municipality)
    if dwelling is not None:
        owner = await runtime.store.stream_municipality(conn, domain.dwelling_stream(dwelling))
        if owner != municipality:
            raise NotFound(f"No dwelling {dwelling} in municipality {municipality}.")


async def append_both(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    *,
    dwelling_id: uuid.UUID | None,
    dwelling_events: list[Event],
    dwelling_version: int,
    household_id: uuid.UUID,
    household_events: list[Event],
    household_version: int,
) -> int:
    """Append the dwelling's events, then the household's; returns the household version."""
    if dwelling_events:
        assert dwelling_id is not None
        await runtime.append(
            conn,
            domain.dwelling_stream(dwelling_id),
            domain.DWELLING,
            dwelling_events,
            expected_version=dwelling_version,
            metadata=metadata,
        )
    return await append_household(
        runtime, conn, metadata, household_id, household_events, household_version
    )


async def append_household(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    household_id: uuid.UUID,
    events: list[Event],
    version: int,
) -> int:
    """Append the household's events at ``version``; returns its version after them."""
    envelopes = await runtime.append(
        conn,
        domain.household_stream(household_id),
        domain.HOUSEHOLD,
        events,
        expected_version=version,
        metadata=metadata,
    )
    return envelopes[-1].stream_version if envelopes else version


HouseholdDecision = Callable[[domain.Household], Awaitable[list[Event]]]
TenancyOutcome = tuple[list[Event], list[Event]]
"""The household's events and the dwelling's."""
TenancyDecision = Callable[[domain.Household], TenancyOutcome]


async def change_household(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    household_id: uuid.UUID,
    decide: HouseholdDecision,
) -> None:
    """Lock and load the household, decide, append its events with needs sealed."""
    await lock_streams(conn, domain.household_stream(household_id))
    household, version = await load_household(runtime, conn, household_id, metadata.municipality)
    with domain_rules(version):
        events = await decide(household)
    sealed = await _seal_needs(conn, events)
    await append_household(runtime, conn, metadata, household_id, sealed, version)


async def change_tenancy(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    what: str,
    value: uuid.UUID,
    decide: TenancyDecision,
) -> uuid.UUID:
    """Lock and load the household and dwelling a placement or agreement joins, decide,
    append both; returns the household id."""
    row = await owner_of(conn, what, value, metadata.municipality, "dwelling_id")
    await lock_streams(
        conn, domain.dwelling_stream(row.dwelling_id), domain.household_stream(row.household_id)
    )
    household, version = await load_household(
        runtime, conn, row.household_id, metadata.municipality
    )
    dwelling_version = await runtime.store.current_version(
        conn, domain.dwelling_stream(row.dwelling_id)
    )
    with domain_rules(version):
        household_events, dwelling_events = decide(household)
    await append_both(
        runtime,
        conn,
        metadata,
        dwelling_id=row.dwelling_id,
        dwelling_events=dwelling_events,
        dwelling_version=dwelling_version,
        household_id=row.household_id,
        household_events=household_events,
        household_version=version,
    )
    household_id: uuid.UUID = row.household_id
    return household_id
