"""The introduction benefit (introduksjonsstønad): the facts its monthly basis needs
beyond the journey's."""

from __future__ import annotations

from dataclasses import dataclass

from shared.events import Event


@dataclass(frozen=True)
class BenefitRecord:
    """Folded from the participant's stream (see :func:`apply`)."""


def apply(record: BenefitRecord, event: Event) -> BenefitRecord:
    """Fold one event into the record; the same record when the event does not touch it."""
    return record
