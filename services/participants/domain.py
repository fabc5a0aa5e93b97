"""The participant aggregate: pure decisions and state folding, no I/O."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date

from services.participants.events import (
    ArrivalCategory,
    ParticipantRegistered,
    ParticipantSettled,
    PersonalDetailsRecorded,
)
from shared.events import Event

STREAM_TYPE = "participant"


class DomainRuleViolation(Exception):
    """A command that the participant's current state does not allow."""


@dataclass(frozen=True)
class Participant:
    participant_id: uuid.UUID | None = None
    birth_year: int | None = None
    settled_on: date | None = None
    arrival_category: ArrivalCategory | None = None

    @property
    def exists(self) -> bool:
        return self.participant_id is not None


def apply(state: Participant, event: Event) -> Participant:
    """Fold one event into the state."""
    if isinstance(event, ParticipantRegistered):
        return replace(state, participant_id=event.participant_id, birth_year=event.birth_year)
    if isinstance(event, ParticipantSettled):
        return replace(state, settled_on=event.settled_on, arrival_category=event.arrival_category)
    if isinstance(event, PersonalDetailsRecorded):
        return state
    return state


def fold(events: Iterable[Event]) -> Participant:
    state = Participant()
    for event in events:
        state = apply(state, event)
    return state


def register(participant_id: uuid.UUID, birth_date: date, sealed_details: str) -> list[Event]:
    return [
        ParticipantRegistered(participant_id=participant_id, birth_year=birth_date.year),
        PersonalDetailsRecorded(participant_id=participant_id, sealed=sealed_details),
    ]


def settle(
    state: Participant, settled_on: date, arrival_category: ArrivalCategory, today: date
) -> list[Event]:
    if state.participant_id is None:
        raise DomainRuleViolation("The participant does not exist.")
    if state.settled_on is not None:
        raise DomainRuleViolation(
            f"The participant was already settled on {state.settled_on.isoformat()}; "
            "a person is settled once."
        )
    if settled_on > today:
        raise ValueError("settled_on is in the future")
    return [
        ParticipantSettled(
            participant_id=state.participant_id,
            settled_on=settled_on,
            arrival_category=arrival_category,
        )
    ]
