"""The kit's pieces for event models: parts, municipality numbers, the envelope's
attribute list the contract requires (pure, no I/O)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import ClassVar

import pytest
from pydantic import ValidationError

from shared.contract import event_schema
from shared.events import (
    CLOUDEVENT_ATTRIBUTES,
    ENVELOPE_ATTRIBUTES,
    Envelope,
    Event,
    MunicipalityCode,
    Part,
)


class _Count(Part):
    size: int


class _Moved(Event):
    type_name: ClassVar[str] = "tests.person.moved.v1"
    to_municipality: MunicipalityCode
    counts: tuple[_Count, ...] = ()


def test_a_part_is_frozen_and_refuses_unknown_fields() -> None:
    count = _Count(size=3)

    with pytest.raises(ValidationError):
        count.size = 4  # type: ignore[misc]
    with pytest.raises(ValidationError):
        _Count.model_validate({"size": 3, "colour": "red"})


@pytest.mark.parametrize("number", ["3005", "0301"])
def test_a_municipality_number_is_four_digits(number: str) -> None:
    assert _Moved(to_municipality=number).to_municipality == number


@pytest.mark.parametrize("number", ["301", "30050", "Oslo", "30 5"])
def test_anything_else_is_no_municipality_number(number: str) -> None:
    with pytest.raises(ValidationError):
        _Moved(to_municipality=number)


def test_the_municipality_number_reads_as_a_pattern_in_the_schema() -> None:
    schema = _Moved.model_json_schema(mode="serialization")

    assert schema["properties"]["to_municipality"] == {
        "pattern": r"^\d{4}$",
        "title": "To Municipality",
        "type": "string",
    }


def test_the_contract_requires_every_attribute_an_envelope_writes_in_its_order() -> None:
    now = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
    envelope = Envelope(
        id=uuid.uuid4(),
        type_name=_Moved.type_name,
        source="/veiviser/tests",
        stream_id="s-1",
        stream_version=1,
        municipality="3005",
        occurred_at=now,
        recorded_at=now,
        actor="caseworker-17",
        correlation_id="req-1",
        causation_id=None,
        data={"to_municipality": "0301"},
    )

    assert tuple(envelope.to_cloudevent()) == CLOUDEVENT_ATTRIBUTES
    assert event_schema(_Moved)["required"] == list(CLOUDEVENT_ATTRIBUTES)
    assert ENVELOPE_ATTRIBUTES == tuple(a for a in CLOUDEVENT_ATTRIBUTES if a != "data")
