"""The first facts of a participant's history as the unit tests build it: registered and
settled, and a programme started (two years long unless told otherwise)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from services.participants import events as ev
from shared.events import Event


def registered_and_settled(
    pid: uuid.UUID,
    settled_on: date,
    *,
    birth_year: int = 1990,
    arrival: ev.ArrivalCategory = ev.ArrivalCategory.resettlement_refugee,
) -> list[Event]:
    return [
        ev.ParticipantRegistered(participant_id=pid, birth_year=birth_year),
        ev.ParticipantSettled(participant_id=pid, settled_on=settled_on, arrival_category=arrival),
    ]


def programme_started(
    pid: uuid.UUID,
    programme_id: uuid.UUID,
    starts_on: date,
    *,
    kind: ev.ProgrammeKind = ev.ProgrammeKind.introduction,
    planned_end: date | None = None,
) -> ev.ProgrammeStarted:
    return ev.ProgrammeStarted(
        participant_id=pid,
        programme_id=programme_id,
        kind=kind,
        starts_on=starts_on,
        planned_end=planned_end or starts_on + timedelta(days=730),
    )
