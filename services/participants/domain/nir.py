"""What IMDi's register (NIR) needs beyond the journey: end reason, research reservation."""

from __future__ import annotations

from dataclasses import dataclass

from shared.events import Event


@dataclass(frozen=True)
class NirRecord:
    """Folded from the participant's stream (see :func:`apply`)."""


def apply(record: NirRecord, event: Event) -> NirRecord:
    """Fold one event into the record; the same record when the event does not touch it."""
    return record
