"""The CloudEvents envelope, type names, the registry and upcasters (pure, no I/O)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from typing import ClassVar

import pytest
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent

from services.participants.events import ParticipantSettled, registry
from shared.events import Envelope, Event, EventRegistry, UnknownEventType, parse_type_name


def _envelope(data: dict[str, object]) -> Envelope:
    return Envelope(
        id=uuid.uuid4(),
        type_name=ParticipantSettled.type_name,
        source="/veiviser/participants",
        stream_id=str(uuid.uuid4()),
        stream_version=2,
        municipality="3301",
        occurred_at=datetime(2025, 3, 1, 9, 30, tzinfo=UTC),
        recorded_at=datetime(2025, 3, 1, 9, 30, 1, tzinfo=UTC),
        actor="caseworker-17",
        correlation_id="req-42",
        causation_id=None,
        data=data,
    )


def test_official_cloudevents_sdk_parses_our_structured_json() -> None:
    settled = ParticipantSettled(
        participant_id=uuid.uuid4(),
        settled_on=date(2025, 3, 1),
        arrival_category="asylum_reception",
    )
    envelope = _envelope(settled.model_dump(mode="json"))

    parsed = JSONFormat().read(CloudEvent, envelope.to_json())

    assert parsed.get_specversion() == "1.0"
    assert parsed.get_id() == str(envelope.id)
    assert parsed.get_type() == "no.veiviser.participants.participant.settled.v1"
    assert parsed.get_source() == "/veiviser/participants"
    assert parsed.get_subject() == envelope.stream_id
    assert parsed.get_time() == envelope.occurred_at
    assert parsed.get_extension("streamversion") == 2
    assert parsed.get_extension("streamid") == envelope.stream_id
    assert parsed.get_extension("municipality") == "3301"
    assert parsed.get_extension("correlationid") == "req-42"
    assert parsed.get_extension("actor") == "caseworker-17"
    assert parsed.get_data() == settled.model_dump(mode="json")


def test_envelope_survives_a_round_trip_through_json() -> None:
    envelope = _envelope(
        {
            "participant_id": str(uuid.uuid4()),
            "settled_on": "2025-03-01",
            "arrival_category": "other",
        }
    )
    again = Envelope.from_json(envelope.to_json())
    assert again.id == envelope.id
    assert again.stream_version == 2
    assert again.occurred_at == envelope.occurred_at
    assert again.causation_id == str(envelope.id)
    assert again.data == envelope.data


def test_registry_decodes_published_settlement_to_its_model() -> None:
    pid = uuid.uuid4()
    event = registry.decode(
        ParticipantSettled.type_name,
        {"participant_id": str(pid), "settled_on": "2025-03-01", "arrival_category": "other"},
    )
    assert isinstance(event, ParticipantSettled)
    assert event.participant_id == pid


def test_an_old_event_version_is_read_as_the_current_one_through_an_upcaster() -> None:
    reg = EventRegistry()

    @reg.register
    class HouseholdSized(Event):
        type_name: ClassVar[str] = "housing.household.sized.v2"
        household_id: str
        members: int

    @reg.upcaster("housing.household.sized.v1", "housing.household.sized.v2")
    def _v1_to_v2(data: dict[str, object]) -> dict[str, object]:
        return {"household_id": data["household"], "members": data["size"]}

    event = reg.decode("housing.household.sized.v1", {"household": "h1", "size": 4})
    assert isinstance(event, HouseholdSized)
    assert event.members == 4
    with pytest.raises(UnknownEventType):
        reg.decode("housing.household.sized.v0", {})


def test_type_names_are_explicit_and_versioned() -> None:
    assert parse_type_name("participants.participant.settled.v1") == (
        "participants",
        "participant",
        "settled",
        1,
    )
    with pytest.raises(ValueError):
        parse_type_name("services.participants.events.ParticipantSettled")
    assert ParticipantSettled.subject_suffix() == "participant.settled"


def test_published_settlement_carries_no_personal_data() -> None:
    fields = set(ParticipantSettled.model_fields)
    assert fields == {
        "participant_id",
        "settled_on",
        "arrival_category",
        "household_id",
        "household_size",
        "unaccompanied_minor",
    }
    dumped = json.dumps(ParticipantSettled.model_json_schema())
    for personal in ("name", "national_id", "birth_date"):
        assert personal not in dumped
