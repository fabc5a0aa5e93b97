"""Employers: registration and the erasable contact person."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace

from services.matching.domain.rules import NOT_RECORDED
from services.matching.domain.streams import fold
from services.matching.events import (
    Agreement,
    EmployerContactErased,
    EmployerContactRecorded,
    EmployerDetailsRecorded,
    EmployerRegistered,
    EmployerRegisteredV1,
)
from shared.events import Event


@dataclass(frozen=True)
class SealedContact:
    """An employer's contact person, sealed under the contact's own key (see application)."""

    contact_id: uuid.UUID
    sealed: str


@dataclass(frozen=True)
class Employer:
    employer_id: uuid.UUID | None = None
    contact_id: uuid.UUID | None = None
    contact_in_clear: bool = False
    """A contact recorded before contacts were sealed (in ``details_recorded``)."""


def evolve_employer(state: Employer, event: Event) -> Employer:
    if isinstance(event, EmployerRegistered | EmployerRegisteredV1):
        return replace(state, employer_id=event.employer_id)
    if isinstance(event, EmployerContactRecorded):
        return replace(state, contact_id=event.contact_id)
    if isinstance(event, EmployerContactErased):
        return replace(state, contact_id=None, contact_in_clear=False)
    if isinstance(event, EmployerDetailsRecorded) and event.contact is not None:
        return replace(state, contact_in_clear=True)
    return state


def fold_employer(events: Iterable[Event]) -> Employer:
    return fold(Employer(), evolve_employer, events)


def register_employer(
    employer_id: uuid.UUID,
    *,
    organisation_number: str,
    name: str,
    industry: str,
    municipality_code: str,
    mentor_capacity: int,
    contact: SealedContact | None,
    agreements: Iterable[Agreement],
) -> list[Event]:
    events: list[Event] = [
        EmployerRegistered(
            employer_id=employer_id,
            organisation_number=organisation_number,
            municipality_code=municipality_code,
            mentor_capacity=mentor_capacity,
        ),
        EmployerDetailsRecorded(
            employer_id=employer_id,
            name=name,
            industry=industry,
            agreements=tuple(agreements),
        ),
    ]
    if contact is not None:
        events.append(
            EmployerContactRecorded(
                employer_id=employer_id, contact_id=contact.contact_id, sealed=contact.sealed
            )
        )
    return events


def erase_contact(state: Employer) -> list[Event]:
    """Forget the employer's contact person (nothing to do when there is none)."""
    if state.employer_id is None:
        raise NOT_RECORDED.violation("The employer does not exist.", "employer_id")
    if state.contact_id is None and not state.contact_in_clear:
        return []
    return [EmployerContactErased(employer_id=state.employer_id, contact_id=state.contact_id)]
