"""Events of the participants service.

Published events are the public contract (CloudEvents type ``no.veiviser.<type_name>``)
and carry the pseudonymous participant id, municipality, dates and categories only.
Personal details travel in an unpublished event, sealed with the participant's own key.
"""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum
from typing import ClassVar

from shared.events import Event, EventRegistry

registry = EventRegistry()


class ArrivalCategory(StrEnum):
    resettlement_refugee = "resettlement_refugee"
    asylum_reception = "asylum_reception"
    family_reunification = "family_reunification"
    other = "other"


@registry.register
class ParticipantRegistered(Event):
    """A person became a participant of the municipality (no personal details)."""

    type_name: ClassVar[str] = "participants.participant.registered.v1"
    participant_id: uuid.UUID
    birth_year: int


@registry.register
class PersonalDetailsRecorded(Event):
    """Names, birth date and national id, sealed with the participant's key. Never published."""

    type_name: ClassVar[str] = "participants.participant.personal_details_recorded.v1"
    published: ClassVar[bool] = False
    participant_id: uuid.UUID
    sealed: str


@registry.register
class ParticipantSettled(Event):
    """The person was settled (bosatt) in the municipality on ``settled_on``."""

    type_name: ClassVar[str] = "participants.participant.settled.v1"
    participant_id: uuid.UUID
    settled_on: date
    arrival_category: ArrivalCategory
