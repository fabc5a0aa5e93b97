"""Use cases of part 7 that need more than the one-stream command shape.

- :func:`change_adviser` reads the current adviser (sealed) to refuse a no-op;
- :func:`move_caseload` changes many streams in one request: one command per
  participant, each in its own savepoint, so a refusal rolls back only that
  participant's append and the answer lists every participant's result (the whole
  answer is stored under the request's Idempotency-Key);
- :func:`record_transfer`, :func:`accept_transfer`, :func:`decline_transfer`: the
  transfer between municipalities. Acceptance writes two streams in one transaction:
  the new participant of the receiving municipality and ``transfer.accepted`` on the
  sending record (whose events keep the sending municipality as theirs).
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.participants import application, domain, personal_data
from services.participants import events as ev
from services.participants.domain import moving
from services.participants.domain import transfer as t
from services.participants.tables import municipal_transfers, participant_summary
from shared.commands import CommandResult
from shared.events import Metadata
from shared.eventstore import ConcurrencyConflict
from shared.problems import NotFound
from shared.rules import RuleViolation
from shared.sealing import new_key
from shared.service import Runtime
from shared.settings import Settings

IDENTITY_FIELDS = ("given_name", "family_name", "birth_date", "national_id")
"""Personal details that pass with an accepted transfer (see docs/integration-act/
transfers.md): what identifies the person, not how to reach them."""


def served_municipalities(settings: Settings) -> frozenset[str]:
    """The kommunenummer this deployment runs Veiviser for (``VEIVISER_SERVED_MUNICIPALITIES``)."""
    return frozenset(
        part.strip() for part in settings.served_municipalities.split(",") if part.strip()
    )


async def _current_adviser(
    conn: AsyncConnection, participant_id: uuid.UUID, state: domain.Participant
) -> tuple[bytes, str | None]:
    key = await application.key_for(conn, participant_id)
    programme = state.programme
    sealed = state.transfer.sealed_adviser(programme.programme_id) if programme else None
    return key, personal_data.unseal_text(key, participant_id, sealed)


async def change_adviser(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    participant_id: uuid.UUID,
    adviser: str,
    expected_version: int | None,
    today: date,
) -> CommandResult:
    state, _ = await application.load(runtime, conn, participant_id, metadata.municipality)
    key, current = await _current_adviser(conn, participant_id, state)
    sealed = personal_data.seal_optional(key, participant_id, adviser) or ""
    _, result = await application.change(
        runtime,
        conn,
        metadata,
        participant_id,
        lambda s: moving.change_adviser(s, current, adviser, sealed, today),
        expected_version,
        status_code=200,
    )
    return CommandResult(200, {**result.body, "adviser": adviser})


async def _caseload_ids(conn: AsyncConnection, municipality: str, adviser: str) -> list[uuid.UUID]:
    rows = await conn.execute(
        sa.select(participant_summary.c.participant_id)
        .where(
            participant_summary.c.municipality == municipality,
            participant_summary.c.adviser == adviser,
            participant_summary.c.programme_id.is_not(None),
            participant_summary.c.programme_ended_on.is_(None),
            participant_summary.c.erased.is_(False),
        )
        .order_by(participant_summary.c.participant_id)
    )
    return [row.participant_id for row in rows]


async def move_caseload(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    from_adviser: str,
    to_adviser: str,
    participant_ids: list[uuid.UUID] | None,
    today: date,
) -> CommandResult:
    """Every (or each chosen) participant of ``from_adviser`` to ``to_adviser``."""
    if from_adviser == to_adviser:
        raise t.CASELOAD_TO_SELF.violation(
            "to_adviser is the adviser the caseload is moved from.", "to_adviser"
        )
    chosen = (
        list(dict.fromkeys(participant_ids))
        if participant_ids is not None
        else await _caseload_ids(conn, metadata.municipality, from_adviser)
    )
    results: list[dict[str, Any]] = []
    for participant_id in chosen:
        try:
            async with conn.begin_nested():
                results.append(
                    await _move_one(
                        runtime, conn, metadata, participant_id, from_adviser, to_adviser, today
                    )
                )
        except RuleViolation as exc:
            results.append(
                {
                    "participant_id": str(participant_id),
                    "result": "refused",
                    "code": exc.code,
                    "detail": exc.message,
                }
            )
        except NotFound:
            results.append(
                {
                    "participant_id": str(participant_id),
                    "result": "refused",
                    "code": "not-found",
                    "detail": f"No participant {participant_id} in municipality "
                    f"{metadata.municipality}.",
                }
            )
        except ConcurrencyConflict as exc:
            results.append(
                {
                    "participant_id": str(participant_id),
                    "result": "refused",
                    "code": "version-conflict",
                    "detail": "The participant changed while the caseload moved; retry.",
                    "current_version": exc.current_version,
                }
            )
    moved = sum(1 for r in results if r["result"] == "moved")
    return CommandResult(
        200,
        {
            "from_adviser": from_adviser,
            "to_adviser": to_adviser,
            "requested": len(chosen),
            "moved": moved,
            "refused": len(chosen) - moved,
            "results": results,
        },
    )


async def _move_one(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    participant_id: uuid.UUID,
    from_adviser: str,
    to_adviser: str,
    today: date,
) -> dict[str, Any]:
    state, version = await application.load(runtime, conn, participant_id, metadata.municipality)
    key, current = await _current_adviser(conn, participant_id, state)
    sealed = personal_data.seal_optional(key, participant_id, to_adviser) or ""
    events = moving.move_from_caseload(state, from_adviser, current, to_adviser, sealed, today)
    envelopes = await runtime.append(
        conn,
        str(participant_id),
        domain.STREAM_TYPE,
        events,
        expected_version=version,
        metadata=metadata,
    )
    return {
        "participant_id": str(participant_id),
        "result": "moved",
        "version": envelopes[-1].stream_version,
    }


async def record_transfer(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    participant_id: uuid.UUID,
    to_municipality: str,
    moved_on: date,
    expected_version: int | None,
    today: date,
) -> CommandResult:
    transfer_id = uuid.uuid4()
    delivered = to_municipality in served_municipalities(runtime.settings)
    _, result = await application.change(
        runtime,
        conn,
        metadata,
        participant_id,
        lambda s: moving.record_transfer(
            s, transfer_id, to_municipality, moved_on, metadata.municipality, delivered, today
        ),
        expected_version,
    )
    return CommandResult(
        201,
        {
            **result.body,
            "transfer_id": str(transfer_id),
            "to_municipality": to_municipality,
            "moved_on": moved_on.isoformat(),
            "delivered": delivered,
            "transfer_status": "pending" if delivered else "outbound",
        },
    )


async def _addressed(conn: AsyncConnection, transfer_id: uuid.UUID, municipality: str) -> Any:
    """The transfer's row, locked, if it is addressed to ``municipality`` and delivered;
    the same 404 for an unknown id, an outbound-only one and another municipality's."""
    row = (
        await conn.execute(
            sa.select(municipal_transfers)
            .where(municipal_transfers.c.transfer_id == transfer_id)
            .with_for_update()
        )
    ).first()
    if row is None or row.to_municipality != municipality or not row.delivered:
        raise NotFound(f"No transfer {transfer_id} to municipality {municipality}.")
    return row


def _as_sender(metadata: Metadata, municipality: str) -> Metadata:
    # The sending record's events stay the sending municipality's (its NIR, its feeds);
    # the actor says who decided.
    return replace(metadata, municipality=municipality)


async def accept_transfer(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    transfer_id: uuid.UUID,
    moved_in_on: date | None,
    today: date,
) -> CommandResult:
    row = await _addressed(conn, transfer_id, metadata.municipality)
    sent_id: uuid.UUID = row.participant_id
    sender, version = await application.load(runtime, conn, sent_id, row.from_municipality)
    moved_in = moved_in_on or row.moved_on
    received_as = uuid.uuid4()
    # Decided before any write: a refused acceptance leaves no key or record behind.
    accepted = moving.accept_transfer(sender, transfer_id, received_as, moved_in, today)
    sender_key = await application.key_for(conn, sent_id)
    details = await application.current_details(runtime, conn, sent_id, sender_key)
    identity: dict[str, Any] = {name: details[name] for name in IDENTITY_FIELDS if name in details}
    identity["previous_national_ids"] = list(details.get("previous_national_ids", []))
    national_id = str(identity["national_id"])
    registered = domain.register(
        received_as,
        date.fromisoformat(str(identity["birth_date"])),
        national_id,
        sender.gender,
        "",
        today,
    )[0]
    key = new_key()
    existing = await personal_data.claim_national_id(
        conn, runtime.settings.lookup_key, metadata.municipality, national_id, received_as, key=key
    )
    if existing is not None:
        raise t.ALREADY_REGISTERED_HERE.violation(
            "A participant with this national id is already registered in the municipality.",
            existing_id=str(existing),
        )
    sealed = personal_data.seal(key, received_as, identity)
    new_record = await runtime.append(
        conn,
        str(received_as),
        domain.STREAM_TYPE,
        [
            registered,
            ev.PersonalDetailsRecorded(participant_id=received_as, sealed=sealed),
            moving.transferred_in(
                received_as,
                transfer_id,
                row.from_municipality,
                moved_in,
                sender.settled_on,
                sender.arrival_category,
            ),
        ],
        expected_version=0,
        metadata=metadata,
    )
    await runtime.append(
        conn,
        str(sent_id),
        domain.STREAM_TYPE,
        accepted,
        expected_version=version,
        metadata=_as_sender(metadata, row.from_municipality),
    )
    return CommandResult(
        201,
        {
            "transfer_id": str(transfer_id),
            "status": "accepted",
            "participant_id": str(received_as),
            "version": new_record[-1].stream_version,
            "moved_in_on": moved_in.isoformat(),
            "from_municipality": row.from_municipality,
        },
    )


async def decline_transfer(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    transfer_id: uuid.UUID,
    reason: ev.DeclineReason,
    today: date,
) -> CommandResult:
    row = await _addressed(conn, transfer_id, metadata.municipality)
    sender, version = await application.load(
        runtime, conn, row.participant_id, row.from_municipality
    )
    declined = moving.decline_transfer(sender, transfer_id, reason, today)
    await runtime.append(
        conn,
        str(row.participant_id),
        domain.STREAM_TYPE,
        declined,
        expected_version=version,
        metadata=_as_sender(metadata, row.from_municipality),
    )
    return CommandResult(
        200,
        {
            "transfer_id": str(transfer_id),
            "status": "declined",
            "reason": reason.value,
            "declined_on": today.isoformat(),
        },
    )
