"""``municipal_transfers``: one row per transfer between municipalities, updated inline.

Follows ``transfer.recorded`` and ``transfer.package_prepared`` (the sending record),
``transfer.accepted`` and ``transfer.declined`` (the receiving municipality's decision,
appended to the sending record). The receiving municipality finds its pending
transfers here by ``to_municipality``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.participants import events as ev
from services.participants.tables import municipal_transfers
from shared.events import Envelope
from shared.projection import OWN_EVENTS, Batch, Projection

FOLLOWS = frozenset(
    {
        ev.TransferRecorded.type_name,
        ev.TransferPackagePrepared.type_name,
        ev.TransferAccepted.type_name,
        ev.TransferDeclined.type_name,
    }
)


async def apply_transfer(conn: AsyncConnection, envelope: Envelope) -> None:
    if envelope.type_name not in FOLLOWS:
        return
    event = ev.registry.decode(envelope.type_name, envelope.data)
    row = municipal_transfers.c
    match event:
        case ev.TransferRecorded():
            await conn.execute(
                insert(municipal_transfers)
                .values(
                    transfer_id=event.transfer_id,
                    participant_id=event.participant_id,
                    from_municipality=envelope.municipality,
                    to_municipality=event.to_municipality,
                    moved_on=event.moved_on,
                    delivered=event.delivered,
                    status="pending" if event.delivered else "outbound",
                    recorded_at=envelope.recorded_at,
                )
                .on_conflict_do_nothing()
            )
        case ev.TransferPackagePrepared():
            await conn.execute(
                sa.update(municipal_transfers)
                .where(row.transfer_id == event.transfer_id)
                .values(
                    package=event.model_dump(mode="json", exclude={"participant_id", "transfer_id"})
                )
            )
        case ev.TransferAccepted():
            await conn.execute(
                sa.update(municipal_transfers)
                .where(row.transfer_id == event.transfer_id)
                .values(
                    status="accepted", received_as=event.received_as, decided_on=event.accepted_on
                )
            )
        case ev.TransferDeclined():
            await conn.execute(
                sa.update(municipal_transfers)
                .where(row.transfer_id == event.transfer_id)
                .values(
                    status="declined",
                    decided_on=event.declined_on,
                    decline_reason=event.reason.value,
                )
            )


async def fold_transfers(batch: Batch, envelopes: Sequence[Envelope]) -> None:
    """The transfer events of the batch, statement by statement, in order.

    Written as a batch projection only so that a batch without transfers (nearly every
    one, and every chunk of a rebuild) leaves the rows the others hold in memory to be
    written once at the end, instead of flushing them for a per-event projection.
    """
    followed = [e for e in envelopes if e.type_name in FOLLOWS]
    if not followed:
        return
    await batch.flush()
    for envelope in followed:
        await apply_transfer(batch.conn, envelope)


MUNICIPAL_TRANSFERS = Projection(
    "municipal_transfers", OWN_EVENTS, (municipal_transfers,), apply_batch=fold_transfers
)
