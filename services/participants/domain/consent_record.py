"""The participant's consents to share name and contact with employers, as folded from
the stream (pure).

Apart from the decisions (:mod:`.employer_consent`) so the participant's state can hold
them: the day a consent was given is one of the participant's dated facts, which a
death, a move or a birth-date correction is checked against.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date

from services.participants import events as ev
from shared.events import Event


@dataclass(frozen=True)
class EmployerConsent:
    consent_id: uuid.UUID
    employer_id: uuid.UUID
    given_on: date
    withdrawn_on: date | None = None

    def in_force_on(self, day: date) -> bool:
        return self.given_on <= day and (self.withdrawn_on is None or day < self.withdrawn_on)


def apply(consents: tuple[EmployerConsent, ...], event: Event) -> tuple[EmployerConsent, ...]:
    """Fold one event in; the same tuple when the event does not touch the consents."""
    match event:
        case ev.EmployerConsentGiven():
            return (*consents, EmployerConsent(event.consent_id, event.employer_id, event.given_on))
        case ev.EmployerConsentWithdrawn():
            return tuple(
                replace(c, withdrawn_on=event.withdrawn_on)
                if c.consent_id == event.consent_id
                else c
                for c in consents
            )
        case ev.ParticipantErased() if consents:
            # The erasure forgets the person: nothing about them may be shared any more.
            return tuple(
                c if c.withdrawn_on is not None else replace(c, withdrawn_on=c.given_on)
                for c in consents
            )
    return consents


def fold_consents(
    events: Iterable[Event], known: tuple[EmployerConsent, ...] = ()
) -> tuple[EmployerConsent, ...]:
    """Every consent the participant gave, oldest first, with its withdrawal (``known``:
    the consents folded before ``events``)."""
    consents = known
    for event in events:
        consents = apply(consents, event)
    return consents
