"""The participant's consent to share name and contact with one employer (pure, no I/O).

Employers see only what the participant consented to share. The competence profile's
consent covers the pseudonymous profile; name and contact need their own consent, given
to one employer at a time (an employer is a different recipient, so a different
consent), dated, and withdrawable. A consent is *in force* on a day from ``given_on``
until the day of its withdrawal (that day excluded).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date

from services.participants import events as ev
from services.participants.domain import rules as r
from services.participants.domain.consent_record import EmployerConsent as EmployerConsent
from services.participants.domain.consent_record import apply as apply
from services.participants.domain.consent_record import fold_consents as fold_consents
from services.participants.domain.decisions import _after_birth, _exists, _present
from services.participants.domain.state import Participant
from shared.date_order import refuse_before
from shared.dates import not_in_future
from shared.events import Event
from shared.rules import rule

S = "participants"

EMPLOYER_CONSENT_EXISTS = rule(
    "employer-consent-exists",
    409,
    "Consent for this employer already in force",
    S,
    "A participant has at most one consent in force per employer; withdraw it first.",
)
EMPLOYER_CONSENT_UNKNOWN = rule(
    "employer-consent-unknown",
    409,
    "No such consent",
    S,
    "The consent to withdraw was never given by this participant.",
)
EMPLOYER_CONSENT_WITHDRAWN = rule(
    "employer-consent-withdrawn",
    409,
    "Consent already withdrawn",
    S,
    "A withdrawn consent stays withdrawn; give a new one instead.",
)
NO_EMPLOYER_CONSENT = rule(
    "no-employer-consent",
    409,
    "No consent to share name and contact with this employer",
    S,
    "Name and contact are shared with an employer only while the participant's consent "
    "for that employer is in force.",
)


def in_force(
    consents: Iterable[EmployerConsent], employer_id: uuid.UUID, day: date
) -> EmployerConsent | None:
    """The consent for ``employer_id`` in force on ``day``, if there is one."""
    for consent in consents:
        if consent.employer_id == employer_id and consent.in_force_on(day):
            return consent
    return None


def give(
    state: Participant,
    consents: tuple[EmployerConsent, ...],
    consent_id: uuid.UUID,
    employer_id: uuid.UUID,
    given_on: date,
    today: date,
) -> list[Event]:
    """Record the consent; refused for an erased, dead or departed participant, a date
    ahead or before the birth, or while a consent for the same employer is still open."""
    pid = _present(state, today, "given_on", given_on)
    not_in_future("given_on", given_on, today, "A consent")
    _after_birth(state, "given_on", given_on)
    open_one = next(
        (c for c in consents if c.employer_id == employer_id and c.withdrawn_on is None), None
    )
    if open_one is not None:
        raise EMPLOYER_CONSENT_EXISTS.violation(
            f"Consent {open_one.consent_id} for employer {employer_id} is in force since "
            f"{open_one.given_on.isoformat()}.",
            "employer_id",
            consent_id=str(open_one.consent_id),
            given_on=open_one.given_on,
        )
    return [
        ev.EmployerConsentGiven(
            participant_id=pid, consent_id=consent_id, employer_id=employer_id, given_on=given_on
        )
    ]


def withdraw(
    state: Participant,
    consents: tuple[EmployerConsent, ...],
    consent_id: uuid.UUID,
    withdrawn_on: date,
    today: date,
) -> list[Event]:
    """Withdraw a consent from ``withdrawn_on`` (on or after it was given, not ahead).

    Withdrawal is the person's right whatever else happened, so only a participant who
    no longer exists (erased: nothing is shared anyway) is refused."""
    pid = _exists(state)
    not_in_future("withdrawn_on", withdrawn_on, today, "A withdrawal")
    consent = next((c for c in consents if c.consent_id == consent_id), None)
    if consent is None:
        raise EMPLOYER_CONSENT_UNKNOWN.violation(
            f"The participant gave no consent {consent_id}.", "consent_id"
        )
    if consent.withdrawn_on is not None:
        raise EMPLOYER_CONSENT_WITHDRAWN.violation(
            f"Consent {consent_id} was withdrawn on {consent.withdrawn_on.isoformat()}.",
            "consent_id",
            withdrawn_on=consent.withdrawn_on,
        )
    given = "the consent was given"
    refuse_before(r.DATE_ORDER, "withdrawn_on", withdrawn_on, given, consent.given_on, "given_on")
    return [
        ev.EmployerConsentWithdrawn(
            participant_id=pid,
            consent_id=consent_id,
            employer_id=consent.employer_id,
            withdrawn_on=withdrawn_on,
        )
    ]
