"""The programme's adviser, caseloads, and moves between municipalities (flytting).

:class:`TransferRecord` is folded from the participant's stream; the rules of this
part are declared here (decisions that need the whole participant live in
:mod:`services.participants.domain.moving`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date

from services.participants import events as ev
from shared.events import Event
from shared.rules import rule

S = "participants"

TRANSFER_TO_SELF = rule(
    "transfer-to-self",
    422,
    "Transfer to the same municipality",
    S,
    "A transfer (flytting) goes to another municipality than the one the participant lives "
    "in (integreringsloven § 12: the municipality the person lives in is responsible).",
)
TRANSFER_RECORDED = rule(
    "transfer-recorded",
    409,
    "A transfer is already recorded",
    S,
    "A participant is transferred once; after the move the sending municipality keeps the "
    "history read-only (integreringsloven § 12, § 41).",
)
TRANSFER_DECIDED = rule(
    "transfer-decided",
    409,
    "The transfer is already decided",
    S,
    "A pending transfer is accepted or declined once, by the receiving municipality.",
)
MOVED_IN_BEFORE_MOVE = rule(
    "moved-in-before-move",
    422,
    "Moved in before the move",
    S,
    "The receiving municipality's moved-in date is on or after the day the person moved.",
)
ALREADY_REGISTERED_HERE = rule(
    "already-registered-here",
    409,
    "Already a participant here",
    S,
    "The receiving municipality already has a participant with this national id; decline "
    "the transfer (reason already_registered) instead.",
)
SAME_ADVISER = rule(
    "same-adviser",
    409,
    "Same adviser",
    S,
    "A new adviser differs from the programme's current one (integreringsloven § 12: the "
    "municipality follows the programme up).",
)
CASELOAD_TO_SELF = rule(
    "caseload-to-self",
    422,
    "Caseload moved to the same adviser",
    S,
    "A caseload moves from one adviser to another.",
)
NOT_IN_CASELOAD = rule(
    "not-in-caseload",
    409,
    "Not in the adviser's caseload",
    S,
    "Only participants whose running programme the adviser follows move with the caseload.",
)


@dataclass(frozen=True)
class SentTransfer:
    """A transfer recorded by this (sending) record."""

    transfer_id: uuid.UUID
    to_municipality: str
    moved_on: date
    delivered: bool
    status: str
    """``pending`` (delivered, not decided), ``outbound`` (not delivered), ``accepted``,
    ``declined``."""
    received_as: uuid.UUID | None = None
    decided_on: date | None = None
    reason: ev.DeclineReason | None = None


@dataclass(frozen=True)
class ReceivedTransfer:
    """Where this record came from: the transfer that created it."""

    transfer_id: uuid.UUID
    from_municipality: str
    moved_in_on: date
    settled_on: date | None


@dataclass(frozen=True)
class TransferRecord:
    """Folded from the participant's stream (see :func:`apply`)."""

    adviser_assignments: tuple[tuple[uuid.UUID, str], ...] = ()
    """Every adviser assignment, oldest first: (programme id, sealed adviser)."""
    plan: ev.PlanRevised | None = None
    """The latest plan revision (for the package a transfer carries)."""
    sent: SentTransfer | None = None
    received: ReceivedTransfer | None = None

    def sealed_adviser(self, programme_id: uuid.UUID) -> str | None:
        """The programme's current adviser, sealed (the latest assignment)."""
        for assigned_to, sealed in reversed(self.adviser_assignments):
            if assigned_to == programme_id:
                return sealed
        return None


def apply(record: TransferRecord, event: Event) -> TransferRecord:
    """Fold one event into the record; the same record when the event does not touch it."""
    match event:
        case ev.ProgrammeAdviserAssigned():
            return replace(
                record,
                adviser_assignments=(
                    *record.adviser_assignments,
                    (event.programme_id, event.sealed_adviser),
                ),
            )
        case ev.PlanRevised():
            return replace(record, plan=event)
        case ev.TransferRecorded():
            return replace(
                record,
                sent=SentTransfer(
                    event.transfer_id,
                    event.to_municipality,
                    event.moved_on,
                    event.delivered,
                    "pending" if event.delivered else "outbound",
                ),
            )
        case ev.TransferAccepted() if record.sent is not None:
            return replace(
                record,
                sent=replace(
                    record.sent,
                    status="accepted",
                    received_as=event.received_as,
                    decided_on=event.accepted_on,
                ),
            )
        case ev.TransferDeclined() if record.sent is not None:
            return replace(
                record,
                sent=replace(
                    record.sent,
                    status="declined",
                    decided_on=event.declined_on,
                    reason=event.reason,
                ),
            )
        case ev.ParticipantTransferredIn():
            return replace(
                record,
                received=ReceivedTransfer(
                    event.transfer_id, event.from_municipality, event.moved_in_on, event.settled_on
                ),
            )
    return record
