"""The person under the Integration Act (integreringsloven): category, rights and
duties, the decision on participation and its complaints, mapping, plan and contract."""

from __future__ import annotations

from dataclasses import dataclass

from shared.events import Event


@dataclass(frozen=True)
class ActRecord:
    """Folded from the participant's stream (see :func:`apply`)."""


def apply(record: ActRecord, event: Event) -> ActRecord:
    """Fold one event into the record; the same record when the event does not touch it."""
    return record
