"""Realistic events and envelopes for the benchmarks (a participant's settlement)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from stdnum.no import fodselsnummer

from services.participants.events import ArrivalCategory, ParticipantSettled
from shared.events import Envelope, Metadata

SETTLED = ParticipantSettled.type_name
MUNICIPALITY = "3301"


def settled_event(participant_id: uuid.UUID | None = None) -> ParticipantSettled:
    fields: dict[str, Any] = {
        "participant_id": participant_id or uuid.uuid4(),
        "settled_on": date(2025, 3, 1),
        "arrival_category": ArrivalCategory.resettlement_refugee,
    }
    # Household fields as the current settlement command fills them, where the model has them.
    if "household_id" in ParticipantSettled.model_fields:
        fields["household_id"] = uuid.uuid4()
    if "household_size" in ParticipantSettled.model_fields:
        fields["household_size"] = 1
    return ParticipantSettled(**fields)


def national_ids(count: int) -> list[str]:
    """``count`` distinct valid fødselsnumre (check digits by python-stdnum)."""
    found: list[str] = []
    day = date(1960, 1, 1)
    while len(found) < count:
        for individual in range(500):
            base = f"{day.day:02d}{day.month:02d}{day.year % 100:02d}{individual:03d}"
            k1 = fodselsnummer.calc_check_digit1(base)
            if len(k1) != 1:
                continue
            k2 = fodselsnummer.calc_check_digit2(base + k1)
            if len(k2) != 1:
                continue
            found.append(base + k1 + k2)
            if len(found) == count:
                break
        day += timedelta(days=1)
    return found


def register_body(national_id: str, index: int) -> dict[str, str]:
    return {
        "given_name": "Bench",
        "family_name": f"Participant {index}",
        "birth_date": birth_date(national_id).isoformat(),
        "national_id": national_id,
    }


def birth_date(national_id: str) -> date:
    day, month, year = int(national_id[0:2]), int(national_id[2:4]), int(national_id[4:6])
    return date(1900 + year, month, day)


def metadata() -> Metadata:
    return Metadata(actor="bench", municipality=MUNICIPALITY, correlation_id=str(uuid.uuid4()))


def settled_envelope() -> Envelope:
    """A settled event as the participants service publishes it."""
    event = settled_event()
    return Envelope.recorded_now(
        SETTLED,
        event.model_dump(mode="json"),
        service="participants",
        stream_id=str(event.participant_id),
        municipality=MUNICIPALITY,
        stream_version=2,
        actor="bench",
    )


SETTLE_BODY = {"settled_on": "2025-03-01", "arrival_category": "resettlement_refugee"}
