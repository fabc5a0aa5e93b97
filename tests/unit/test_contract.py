"""The committed event contract matches the code, and carries no personal data."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pytest

from shared.contract import asyncapi, event_schema, published_models
from shared.events import EventRegistry
from shared.settings import SERVICES

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {
    "name",
    "given_name",
    "family_name",
    "full_name",
    "national_id",
    "fodselsnummer",
    "d_number",
    "birth_date",
    "phone",
    "email",
    "address",
    "street",
    "note",
    "notes",
    "health",
    "diagnosis",
    "free_text",
    "comment",
    "contact",
}


def _registry(service: str) -> EventRegistry:
    module = importlib.import_module(f"services.{service}.events")
    registry: EventRegistry = module.registry
    return registry


def _property_names(node: Any) -> set[str]:
    names: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                names |= set(value)
            names |= _property_names(value)
    elif isinstance(node, list):
        for item in node:
            names |= _property_names(item)
    return names


@pytest.mark.parametrize("service", SERVICES)
def test_committed_asyncapi_and_schemas_match_the_code(service: str) -> None:
    registry = _registry(service)
    folder = ROOT / "docs" / "events" / service
    committed = json.loads((folder / "asyncapi.json").read_text())
    assert committed == json.loads(json.dumps(asyncapi(service, registry))), (
        "docs/events is stale: run `veiviser contract --write`"
    )
    for model in published_models(registry):
        path = folder / f"{model.type_name}.schema.json"
        assert json.loads(path.read_text()) == json.loads(json.dumps(event_schema(model)))


@pytest.mark.parametrize("service", SERVICES)
def test_published_events_carry_no_personal_fields(service: str) -> None:
    for model in published_models(_registry(service)):
        data_fields = _property_names(event_schema(model)["properties"]["data"])
        data_fields |= _property_names(model.model_json_schema())
        assert not (data_fields & FORBIDDEN), (
            f"{model.type_name} publishes {data_fields & FORBIDDEN}"
        )
