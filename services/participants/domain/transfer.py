"""The programme's adviser, caseloads, and moves between municipalities (flytting)."""

from __future__ import annotations

from dataclasses import dataclass

from shared.events import Event


@dataclass(frozen=True)
class TransferRecord:
    """Folded from the participant's stream (see :func:`apply`)."""


def apply(record: TransferRecord, event: Event) -> TransferRecord:
    """Fold one event into the record; the same record when the event does not touch it."""
    return record
