"""Events: the participant's consent to share name and contact with one employer.

The consent is a dated fact on the participant's stream. Published events carry ids and
dates only: who the person is, and how to reach them, stays sealed in this service and
is read by the matching service over HTTP (``GET /participants/{id}/employer-contact``)
while a consent for that employer is in force.

- ``participants.employer_consent.given.v1``: consent to share name and contact with
  ``employer_id`` from ``given_on``;
- ``participants.employer_consent.withdrawn.v1``: that consent no longer holds from
  ``withdrawn_on``.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import ClassVar

from services.participants.events.registry import registry
from shared.events import Event

__all__ = ["EmployerConsentGiven", "EmployerConsentWithdrawn"]


class _OfConsent(Event):
    """An event of one consent of the participant's to share name and contact with an employer."""

    participant_id: uuid.UUID
    consent_id: uuid.UUID
    employer_id: uuid.UUID


@registry.register
class EmployerConsentGiven(_OfConsent):
    """The participant consents to the employer seeing their name and contact."""

    type_name: ClassVar[str] = "participants.employer_consent.given.v1"
    given_on: date


@registry.register
class EmployerConsentWithdrawn(_OfConsent):
    """The participant withdrew the consent ``consent_id``; from ``withdrawn_on`` the
    employer gets the pseudonymous reference again."""

    type_name: ClassVar[str] = "participants.employer_consent.withdrawn.v1"
    withdrawn_on: date
