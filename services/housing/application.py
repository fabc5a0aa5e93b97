"""Use cases of the housing service: lock, load, decide, append — in one transaction.

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
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.housing import domain, personal_data, queries
from services.housing import tables as t
from services.housing.domain import money
from services.housing.events import (
    Decision,
    DwellingStatus,
    EndReason,
    EvictionGrounds,
    HousingApplicationNeedsRecorded,
    HousingApplicationNeedsSealed,
    MemberNeedsRecorded,
    MemberNeedsSealed,
    Ownership,
    RateKind,
    RentRatesSet,
    Standard,
    Urgency,
)
from shared import tables as kit
from shared.commands import CommandResult
from shared.dates import today
from shared.events import Event, Metadata
from shared.problems import Conflict, NotFound
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


async def load_dwelling(
    runtime: Runtime, conn: AsyncConnection, dwelling_id: uuid.UUID, municipality: str
) -> tuple[domain.Dwelling, int]:
    """The dwelling and its version; another municipality's dwelling is 404."""
    stream_id = domain.dwelling_stream(dwelling_id)
    if await runtime.store.stream_municipality(conn, stream_id) != municipality:
        raise NotFound(f"No dwelling {dwelling_id} in municipality {municipality}.")
    events, version = await _load(runtime, conn, stream_id)
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


async def _owner_of(
    conn: AsyncConnection,
    table: sa.Table,
    key: str,
    value: uuid.UUID,
    municipality: str,
    what: str,
    *extra: str,
) -> sa.Row[Any]:
    """Find the household (and other columns) a placement, agreement, ... belongs to."""
    columns = [table.c.household_id, *(table.c[name] for name in extra)]
    row = (
        await conn.execute(
            sa.select(*columns).where(table.c[key] == value, table.c.municipality == municipality)
        )
    ).one_or_none()
    if row is None:
        raise NotFound(f"No {what} {value} in municipality {municipality}.")
    return row


_BY_ID = {
    "application": (t.applications, "application_id"),
    "placement": (t.placements, "placement_id"),
    "rent-to-own agreement": (t.rent_to_own, "agreement_id"),
    "start loan": (t.start_loans, "loan_id"),
}


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
            table, key = _BY_ID[names.get(kind, kind)]
            await _owner_of(conn, table, key, value, municipality, names.get(kind, kind))
    if dwelling is not None:
        owner = await runtime.store.stream_municipality(conn, domain.dwelling_stream(dwelling))
        if owner != municipality:
            raise NotFound(f"No dwelling {dwelling} in municipality {municipality}.")


async def _append_both(
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
    envelopes = await runtime.append(
        conn,
        domain.household_stream(household_id),
        domain.HOUSEHOLD,
        household_events,
        expected_version=household_version,
        metadata=metadata,
    )
    return envelopes[-1].stream_version if envelopes else household_version


# -- dwellings ---------------------------------------------------------------------------


async def register_dwelling(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    *,
    address: str,
    district: str,
    rooms: int,
    size_m2: float,
    floor: int,
    has_lift: bool,
    accessible: bool,
    ownership: Ownership,
    standard: Standard,
    status: DwellingStatus,
    valuation: int | None,
    registered_on: date,
) -> CommandResult:
    dwelling_id = uuid.uuid4()
    with domain_rules():
        events = domain.register_dwelling(
            dwelling_id,
            address=address,
            district=district,
            rooms=rooms,
            size_m2=size_m2,
            floor=floor,
            has_lift=has_lift,
            accessible=accessible,
            ownership=ownership,
            standard=standard,
            status=status,
            valuation=valuation,
            registered_on=registered_on,
            today=today(),
        )
    await runtime.append(
        conn,
        domain.dwelling_stream(dwelling_id),
        domain.DWELLING,
        events,
        expected_version=0,
        metadata=metadata,
    )
    return CommandResult(201, await queries.dwelling_view(conn, dwelling_id, metadata.municipality))


async def change_dwelling(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    dwelling_id: uuid.UUID,
    *,
    changed_on: date,
    changes: dict[str, Any],
    address: str | None,
    expected_version: int | None,
) -> CommandResult:
    await lock_streams(conn, domain.dwelling_stream(dwelling_id))
    state, version = await load_dwelling(runtime, conn, dwelling_id, metadata.municipality)
    with domain_rules(version):
        events = domain.change_dwelling(
            state, changed_on, today=today(), address=address, **changes
        )
    await runtime.append(
        conn,
        domain.dwelling_stream(dwelling_id),
        domain.DWELLING,
        events,
        expected_version=version if expected_version is None else expected_version,
        metadata=metadata,
    )
    return CommandResult(200, await queries.dwelling_view(conn, dwelling_id, metadata.municipality))


# -- settings ----------------------------------------------------------------------------


async def set_rent_rates(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    *,
    valid_from: date,
    fdv_low: float,
    fdv_normal: float,
    fdv_high: float,
    government_bond_rate_percent: float,
    capital_markup_points: float,
) -> CommandResult:
    stream_id = domain.rent_rates_stream(metadata.municipality)
    await lock_streams(conn, stream_id)
    version = await runtime.store.current_version(conn, stream_id)
    await runtime.append(
        conn,
        stream_id,
        domain.RENT_RATES,
        domain.set_rent_rates(
            valid_from=valid_from,
            fdv_low=fdv_low,
            fdv_normal=fdv_normal,
            fdv_high=fdv_high,
            government_bond_rate_percent=government_bond_rate_percent,
            capital_markup_points=capital_markup_points,
        ),
        expected_version=version,
        metadata=metadata,
    )
    return CommandResult(201, await queries.rent_rates_view(conn, metadata.municipality))


# -- waiting list ------------------------------------------------------------------------


async def receive_application(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    *,
    household_id: uuid.UUID,
    household_size: int | None,
    member_ages: tuple[int, ...],
    needs_wheelchair_access: bool,
    needs_step_free: bool,
    district_wishes: tuple[str, ...],
    urgency: Urgency,
    received_on: date,
    members: tuple[domain.MemberNeeds, ...] = (),
) -> CommandResult:
    stream_id = domain.household_stream(household_id)
    await lock_streams(conn, stream_id)
    state, version = await load_household(runtime, conn, household_id, metadata.municipality)
    if household_size is None:
        settled = await queries.household_on(conn, household_id, received_on)
        household_size = (
            len(member_ages)
            if member_ages
            else max(int(settled["household_size"]), 1)
            if settled
            else 1
        )
    application_id = uuid.uuid4()
    with domain_rules(version):
        events = domain.receive_application(
            state,
            household_id,
            application_id,
            household_size=household_size,
            member_ages=member_ages,
            needs_wheelchair_access=needs_wheelchair_access,
            needs_step_free=needs_step_free,
            district_wishes=district_wishes,
            urgency=urgency,
            received_on=received_on,
            today=today(),
            facts=await household_facts(conn, household_id, received_on),
            members=members,
        )
    await runtime.append(
        conn,
        stream_id,
        domain.HOUSEHOLD,
        await _seal_needs(conn, events),
        expected_version=version,
        metadata=metadata,
    )
    return CommandResult(
        201, await queries.application_view(conn, application_id, metadata.municipality)
    )


async def record_needs(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    application_id: uuid.UUID,
    *,
    member_ages: tuple[int, ...],
    needs_wheelchair_access: bool,
    needs_step_free: bool,
    district_wishes: tuple[str, ...],
    members: tuple[domain.MemberNeeds, ...] = (),
) -> CommandResult:
    row = await _owner_of(
        conn, t.applications, "application_id", application_id, metadata.municipality, "application"
    )
    stream_id = domain.household_stream(row.household_id)
    await lock_streams(conn, stream_id)
    state, version = await load_household(runtime, conn, row.household_id, metadata.municipality)
    day = today()
    with domain_rules(version):
        events = domain.record_needs(
            state,
            application_id,
            member_ages=member_ages,
            needs_wheelchair_access=needs_wheelchair_access,
            needs_step_free=needs_step_free,
            district_wishes=district_wishes,
            today=day,
            facts=await household_facts(conn, row.household_id, day),
            members=members,
        )
    await runtime.append(
        conn,
        stream_id,
        domain.HOUSEHOLD,
        await _seal_needs(conn, events),
        expected_version=version,
        metadata=metadata,
    )
    return CommandResult(
        200, await queries.application_view(conn, application_id, metadata.municipality)
    )


async def decide_application(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    application_id: uuid.UUID,
    *,
    decision: Decision,
    decided_on: date,
) -> CommandResult:
    row = await _owner_of(
        conn, t.applications, "application_id", application_id, metadata.municipality, "application"
    )
    stream_id = domain.household_stream(row.household_id)
    await lock_streams(conn, stream_id)
    state, version = await load_household(runtime, conn, row.household_id, metadata.municipality)
    with domain_rules(version):
        events = domain.decide_application(
            state,
            application_id,
            decision,
            decided_on,
            today=today(),
            facts=await household_facts(conn, row.household_id, decided_on),
        )
    await runtime.append(
        conn, stream_id, domain.HOUSEHOLD, events, expected_version=version, metadata=metadata
    )
    return CommandResult(
        200, await queries.application_view(conn, application_id, metadata.municipality)
    )


# -- placements --------------------------------------------------------------------------


async def allocate(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    *,
    application_id: uuid.UUID,
    dwelling_id: uuid.UUID,
    starts_on: date,
) -> CommandResult:
    """Allocation from the waiting list: ``placement.started`` + the dwelling occupied."""
    row = await _owner_of(
        conn, t.applications, "application_id", application_id, metadata.municipality, "application"
    )
    household_id: uuid.UUID = row.household_id
    await lock_streams(
        conn, domain.dwelling_stream(dwelling_id), domain.household_stream(household_id)
    )
    dwelling, dwelling_version = await load_dwelling(
        runtime, conn, dwelling_id, metadata.municipality
    )
    household, household_version = await load_household(
        runtime, conn, household_id, metadata.municipality
    )
    placement_id = uuid.uuid4()
    with domain_rules(household_version):
        household_events, dwelling_events = domain.start_placement(
            household,
            dwelling,
            placement_id,
            application_id,
            starts_on,
            today=today(),
            facts=await household_facts(conn, household_id, starts_on),
        )
    await _append_both(
        runtime,
        conn,
        metadata,
        dwelling_id=dwelling_id,
        dwelling_events=dwelling_events,
        dwelling_version=dwelling_version,
        household_id=household_id,
        household_events=household_events,
        household_version=household_version,
    )
    return CommandResult(
        201, await queries.placement_view(conn, placement_id, metadata.municipality)
    )


async def _placement_command(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    placement_id: uuid.UUID,
) -> tuple[domain.Household, int, uuid.UUID, uuid.UUID, int]:
    row = await _owner_of(
        conn,
        t.placements,
        "placement_id",
        placement_id,
        metadata.municipality,
        "placement",
        "dwelling_id",
    )
    await lock_streams(
        conn, domain.dwelling_stream(row.dwelling_id), domain.household_stream(row.household_id)
    )
    household, version = await load_household(
        runtime, conn, row.household_id, metadata.municipality
    )
    dwelling_version = await runtime.store.current_version(
        conn, domain.dwelling_stream(row.dwelling_id)
    )
    return household, version, row.household_id, row.dwelling_id, dwelling_version


async def end_placement(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    placement_id: uuid.UUID,
    *,
    ends_on: date,
    reason: EndReason,
) -> CommandResult:
    household, version, household_id, dwelling_id, dwelling_version = await _placement_command(
        runtime, conn, metadata, placement_id
    )
    with domain_rules(version):
        household_events, dwelling_events = domain.end_placement(
            household, placement_id, ends_on, reason, today=today()
        )
    await _append_both(
        runtime,
        conn,
        metadata,
        dwelling_id=dwelling_id,
        dwelling_events=dwelling_events,
        dwelling_version=dwelling_version,
        household_id=household_id,
        household_events=household_events,
        household_version=version,
    )
    return CommandResult(
        200, await queries.placement_view(conn, placement_id, metadata.municipality)
    )


async def record_eviction(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    placement_id: uuid.UUID,
    *,
    evicted_on: date,
    grounds: EvictionGrounds,
) -> CommandResult:
    household, version, household_id, dwelling_id, dwelling_version = await _placement_command(
        runtime, conn, metadata, placement_id
    )
    with domain_rules(version):
        household_events, dwelling_events = domain.record_eviction(
            household, placement_id, evicted_on, grounds, today=today()
        )
    await _append_both(
        runtime,
        conn,
        metadata,
        dwelling_id=dwelling_id,
        dwelling_events=dwelling_events,
        dwelling_version=dwelling_version,
        household_id=household_id,
        household_events=household_events,
        household_version=version,
    )
    return CommandResult(
        201, await queries.placement_view(conn, placement_id, metadata.municipality)
    )


# -- from rent to own --------------------------------------------------------------------


async def agree_rent_to_own(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    *,
    household_id: uuid.UUID,
    dwelling_id: uuid.UUID,
    agreed_on: date,
    rent_period_years: int,
    price: int | None,
) -> CommandResult:
    await lock_streams(
        conn, domain.dwelling_stream(dwelling_id), domain.household_stream(household_id)
    )
    dwelling, _ = await load_dwelling(runtime, conn, dwelling_id, metadata.municipality)
    household, version = await load_household(runtime, conn, household_id, metadata.municipality)
    agreement_id = uuid.uuid4()
    with domain_rules(version):
        events = domain.agree_rent_to_own(
            household,
            dwelling,
            agreement_id,
            agreed_on=agreed_on,
            rent_period_years=rent_period_years,
            price=price,
            today=today(),
        )
    await runtime.append(
        conn,
        domain.household_stream(household_id),
        domain.HOUSEHOLD,
        events,
        expected_version=version,
        metadata=metadata,
    )
    return CommandResult(
        201, await queries.agreement_view(conn, agreement_id, metadata.municipality)
    )


async def complete_rent_to_own(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    agreement_id: uuid.UUID,
    *,
    purchased_on: date,
    loan_id: uuid.UUID | None,
) -> CommandResult:
    row = await _owner_of(
        conn,
        t.rent_to_own,
        "agreement_id",
        agreement_id,
        metadata.municipality,
        "rent-to-own agreement",
        "dwelling_id",
    )
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
        household_events, dwelling_events = domain.complete_rent_to_own(
            household, agreement_id, purchased_on, loan_id, today=today()
        )
    await _append_both(
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
    return CommandResult(
        201, await queries.ownership_view(conn, row.household_id, metadata.municipality)
    )


async def apply_start_loan(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    *,
    household_id: uuid.UUID,
    applied_on: date,
    purchase_price: int,
    requested_amount: int,
    employment_income: int,
    introduction_benefit: int,
    other_income: int,
) -> CommandResult:
    stream_id = domain.household_stream(household_id)
    await lock_streams(conn, stream_id)
    household, version = await load_household(runtime, conn, household_id, metadata.municipality)
    loan_id = uuid.uuid4()
    with domain_rules(version):
        events = domain.apply_start_loan(
            household,
            household_id,
            loan_id,
            applied_on=applied_on,
            purchase_price=purchase_price,
            requested_amount=requested_amount,
            employment_income=employment_income,
            introduction_benefit=introduction_benefit,
            other_income=other_income,
            today=today(),
            facts=await household_facts(conn, household_id, applied_on),
        )
    await runtime.append(
        conn, stream_id, domain.HOUSEHOLD, events, expected_version=version, metadata=metadata
    )
    return CommandResult(201, await queries.loan_view(conn, loan_id, metadata.municipality))


async def _loan_household(
    runtime: Runtime, conn: AsyncConnection, metadata: Metadata, loan_id: uuid.UUID
) -> tuple[domain.Household, int, uuid.UUID]:
    row = await _owner_of(
        conn, t.start_loans, "loan_id", loan_id, metadata.municipality, "start loan"
    )
    await lock_streams(conn, domain.household_stream(row.household_id))
    household, version = await load_household(
        runtime, conn, row.household_id, metadata.municipality
    )
    return household, version, row.household_id


async def decide_start_loan(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    loan_id: uuid.UUID,
    *,
    decided_on: date,
    approved: bool,
    loan_amount: int,
    grant_amount: int,
    rate_kind: RateKind | None,
    interest_rate_percent: float | None,
    interest_only_years: int,
    term_years: int | None,
) -> CommandResult:
    household, version, household_id = await _loan_household(runtime, conn, metadata, loan_id)
    with domain_rules(version):
        events = domain.decide_start_loan(
            household,
            loan_id,
            decided_on=decided_on,
            approved=approved,
            loan_amount=loan_amount,
            grant_amount=grant_amount,
            rate_kind=rate_kind,
            interest_rate_percent=interest_rate_percent,
            interest_only_years=interest_only_years,
            term_years=term_years,
            today=today(),
        )
    await runtime.append(
        conn,
        domain.household_stream(household_id),
        domain.HOUSEHOLD,
        events,
        expected_version=version,
        metadata=metadata,
    )
    return CommandResult(200, await queries.loan_view(conn, loan_id, metadata.municipality))


async def disburse_start_loan(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    loan_id: uuid.UUID,
    *,
    disbursed_on: date,
) -> CommandResult:
    household, version, household_id = await _loan_household(runtime, conn, metadata, loan_id)
    with domain_rules(version):
        events = domain.disburse_start_loan(household, loan_id, disbursed_on, today=today())
    await runtime.append(
        conn,
        domain.household_stream(household_id),
        domain.HOUSEHOLD,
        events,
        expected_version=version,
        metadata=metadata,
    )
    return CommandResult(200, await queries.loan_view(conn, loan_id, metadata.municipality))


async def purchase_with_start_loan(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    loan_id: uuid.UUID,
    *,
    purchased_on: date,
    price: int,
    dwelling_id: uuid.UUID | None,
) -> CommandResult:
    row = await _owner_of(
        conn, t.start_loans, "loan_id", loan_id, metadata.municipality, "start loan"
    )
    household_id: uuid.UUID = row.household_id
    rented = await queries.active_placement_dwelling(conn, household_id)
    streams = [domain.household_stream(household_id)]
    if rented is not None:
        streams.append(domain.dwelling_stream(rented))
    await lock_streams(conn, *streams)
    household, version = await load_household(runtime, conn, household_id, metadata.municipality)
    placement = household.active_placement
    if (placement.dwelling_id if placement else None) != rented:
        raise Conflict("The household's placement changed at this very moment; please retry.")
    rented_ownership = None
    dwelling_version = 0
    if rented is not None:
        dwelling, dwelling_version = await load_dwelling(
            runtime, conn, rented, metadata.municipality
        )
        rented_ownership = dwelling.ownership
    with domain_rules(version):
        household_events, dwelling_events = domain.purchase_with_start_loan(
            household,
            loan_id,
            purchased_on=purchased_on,
            price=price,
            dwelling_id=dwelling_id,
            rented_ownership=rented_ownership,
            today=today(),
        )
    await _append_both(
        runtime,
        conn,
        metadata,
        dwelling_id=rented,
        dwelling_events=dwelling_events,
        dwelling_version=dwelling_version,
        household_id=household_id,
        household_events=household_events,
        household_version=version,
    )
    return CommandResult(
        201, await queries.ownership_view(conn, household_id, metadata.municipality)
    )


# -- reads that need the event store -------------------------------------------------------


async def rent_basis(
    runtime: Runtime,
    conn: AsyncConnection,
    dwelling_id: uuid.UUID,
    municipality: str,
    on: date,
    known_at: datetime | None = None,
) -> domain.RentBasis | None:
    """The dwelling's size, standard and valuation in force on ``on`` (by effective date),
    as recorded by ``known_at`` (default: everything recorded so far)."""
    stream_id = domain.dwelling_stream(dwelling_id)
    if await runtime.store.stream_municipality(conn, stream_id) != municipality:
        raise NotFound(f"No dwelling {dwelling_id} in municipality {municipality}.")
    envelopes = await runtime.store.load(conn, stream_id, recorded_until=known_at)
    return domain.basis_on([runtime.store.decode(e) for e in envelopes], on)


async def rates_known(
    runtime: Runtime, conn: AsyncConnection, municipality: str, on: date, known_at: datetime
) -> tuple[money.RentRates, dict[str, Any]] | None:
    """The rent rates in force on ``on`` as they were recorded by ``known_at``: a later
    correction of a version, or a version added later, is not seen."""
    envelopes = await runtime.store.load(
        conn, domain.rent_rates_stream(municipality), recorded_until=known_at
    )
    recorded = {}
    events = []
    for envelope in envelopes:
        event = runtime.store.decode(envelope)
        events.append(event)
        if isinstance(event, RentRatesSet):
            recorded[event.valid_from] = envelope.recorded_at
    version = domain.rates_on(events, on)
    if version is None:
        return None
    fdv = {
        "low": version.fdv_per_m2_year_low,
        "normal": version.fdv_per_m2_year_normal,
        "high": version.fdv_per_m2_year_high,
    }
    rates = money.RentRates(
        valid_from=version.valid_from,
        fdv_per_m2_year={k: money.dec(v) for k, v in fdv.items()},
        government_bond_rate_percent=money.dec(version.government_bond_rate_percent),
        capital_markup_points=money.dec(version.capital_markup_points),
    )
    shown = {
        "valid_from": version.valid_from.isoformat(),
        "fdv_per_m2_year": fdv,
        "government_bond_rate_percent": version.government_bond_rate_percent,
        "capital_markup_points": version.capital_markup_points,
        "recorded_at": recorded[version.valid_from].isoformat(),
    }
    return rates, shown


_DATE_FIELDS = (
    "received_on",
    "decided_on",
    "starts_on",
    "ends_on",
    "evicted_on",
    "agreed_on",
    "applied_on",
    "disbursed_on",
    "became_owner_on",
)


async def household_timeline(
    runtime: Runtime, conn: AsyncConnection, household_id: uuid.UUID, municipality: str
) -> list[dict[str, Any]]:
    """Every fact recorded for the household, oldest first (empty if none yet)."""
    stream_id = domain.household_stream(household_id)
    owner = await runtime.store.stream_municipality(conn, stream_id)
    if owner is None:
        return []
    if owner != municipality:
        raise NotFound(f"No household {household_id} in municipality {municipality}.")
    entries = []
    for envelope in await runtime.store.load(conn, stream_id):
        details = {k: v for k, v in envelope.data.items() if k not in ("household_id", "sealed")}
        on = next((details[name] for name in _DATE_FIELDS if details.get(name)), None)
        entries.append(
            {
                "version": envelope.stream_version,
                "on": on,
                "event": envelope.type_name,
                "recorded_at": envelope.recorded_at.isoformat(),
                "details": details,
            }
        )
    return entries
