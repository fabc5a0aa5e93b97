"""The published-event contract of a service: JSON Schemas and an AsyncAPI document.

Schemas are generated from the event models, served at ``/asyncapi.json`` and
``/events/schemas/{type}.json``, and committed under ``docs/events/<service>/`` so
agencies can read them without running anything (``veiviser contract --write``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from shared.events import (
    CLOUDEVENT_ATTRIBUTES,
    CLOUDEVENTS_TYPE_PREFIX,
    Event,
    EventRegistry,
    parse_type_name,
)
from shared.problems import NotFound

SCHEMA_BASE = "https://veiviser.no/schemas/events/"


def published_models(registry: EventRegistry) -> list[type[Event]]:
    return sorted(
        (model for model in registry.models() if model.published), key=lambda m: m.type_name
    )


def event_schema(model: type[Event]) -> dict[str, Any]:
    """JSON Schema (2020-12) of the whole CloudEvent carrying ``model`` as ``data``."""
    data_schema = model.model_json_schema(mode="serialization")
    defs = data_schema.pop("$defs", {})
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{SCHEMA_BASE}{model.type_name}.json",
        "title": CLOUDEVENTS_TYPE_PREFIX + model.type_name,
        "description": (model.__doc__ or "").strip(),
        "type": "object",
        "required": list(CLOUDEVENT_ATTRIBUTES),
        "properties": {
            "specversion": {"const": "1.0"},
            "id": {"type": "string", "format": "uuid", "description": "Event id; also Nats-Msg-Id"},
            "source": {"type": "string", "const": f"/veiviser/{model.service()}"},
            "type": {"const": CLOUDEVENTS_TYPE_PREFIX + model.type_name},
            "subject": {"type": "string", "description": "The stream (aggregate) id"},
            "time": {"type": "string", "format": "date-time", "description": "When it happened"},
            "datacontenttype": {"const": "application/json"},
            "streamid": {"type": "string"},
            "streamversion": {"type": "integer", "minimum": 1},
            "previousversion": {
                "type": "integer",
                "minimum": 0,
                "description": "streamversion of the stream's previous published event (0 for "
                "its first); a consumer that has not applied it is missing an event. Absent on "
                "events published before gap detection existed.",
            },
            "municipality": {"type": "string", "pattern": "^[0-9]{4}$"},
            "correlationid": {"type": "string"},
            "causationid": {"type": "string"},
            "actor": {"type": "string", "description": "Pseudonymous user id of the actor"},
            "recordedtime": {"type": "string", "format": "date-time"},
            "data": data_schema,
        },
    }
    if defs:
        schema["$defs"] = defs
    return schema


def _rewrite_refs(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            key: (
                value.replace("#/$defs/", "#/components/schemas/")
                if key == "$ref"
                else _rewrite_refs(value)
            )
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_rewrite_refs(item) for item in node]
    return node


def asyncapi(service: str, registry: EventRegistry, namespace: str = "veiviser") -> dict[str, Any]:
    """AsyncAPI 3.0 document of everything ``service`` publishes on JetStream."""
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    components: dict[str, Any] = {}
    for model in published_models(registry):
        _, aggregate, event, version = parse_type_name(model.type_name)
        key = f"{aggregate}_{event}_v{version}"
        schema = event_schema(model)
        for name, definition in schema.pop("$defs", {}).items():
            components[name] = _rewrite_refs(definition)
        messages[key] = {
            "name": CLOUDEVENTS_TYPE_PREFIX + model.type_name,
            "title": f"{aggregate}.{event} v{version}",
            "summary": (model.__doc__ or "").strip().splitlines()[0] if model.__doc__ else "",
            "contentType": "application/cloudevents+json",
            "headers": {
                "type": "object",
                "properties": {"Nats-Msg-Id": {"type": "string", "description": "= CloudEvent id"}},
            },
            "payload": _rewrite_refs(schema),
        }
        channels[key] = {
            "address": f"{namespace}.{service}.{aggregate}.{event}",
            "messages": {key: {"$ref": f"#/components/messages/{key}"}},
        }
        operations[f"publish_{key}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{key}"},
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": f"Veiviser {service} events",
            "version": "1.0.0",
            "description": (
                f"Integration events published by the {service} service on NATS JetStream "
                f"(stream {namespace.upper()}_{service.upper()}, file storage, subjects "
                f"`{namespace}.{service}.<aggregate>.<event>`). Structured CloudEvents 1.0 JSON; "
                "`Nats-Msg-Id` is the event id, so consumers can drop duplicates. Events carry "
                "pseudonymous ids and categories only — never names, national ids, contact "
                "details, health data or free text."
            ),
        },
        "defaultContentType": "application/cloudevents+json",
        "servers": {
            "jetstream": {
                "host": "localhost:4222",
                "protocol": "nats",
                "description": "NATS with JetStream",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": components},
    }


def install_contract_routes(
    app: FastAPI, service: str, registry: EventRegistry, namespace: str
) -> None:
    """``/asyncapi.json`` and ``/events/schemas/{type_name}.json`` (no token needed)."""

    @app.get(
        "/asyncapi.json",
        tags=["events"],
        summary="AsyncAPI-dokumentet for publiserte "
        "hendelser / AsyncAPI document of published events",
    )
    async def asyncapi_document() -> JSONResponse:
        return JSONResponse(asyncapi(service, registry, namespace))

    @app.get(
        "/events/schemas/{type_name}.json",
        tags=["events"],
        summary="JSON Schema for én publisert hendelsestype / JSON Schema of one published event "
        "type",
    )
    async def schema_of(type_name: str) -> JSONResponse:
        for model in published_models(registry):
            if type_name in (model.type_name, CLOUDEVENTS_TYPE_PREFIX + model.type_name):
                return JSONResponse(event_schema(model))
        raise NotFound(f"{service} publishes no event type {type_name!r}.")


def write_contract(directory: Path, service: str, registry: EventRegistry) -> list[Path]:
    """Write ``asyncapi.json`` and one schema per published event into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    target = directory / "asyncapi.json"
    target.write_text(json.dumps(asyncapi(service, registry), indent=2, sort_keys=True) + "\n")
    written.append(target)
    for model in published_models(registry):
        path = directory / f"{model.type_name}.schema.json"
        path.write_text(json.dumps(event_schema(model), indent=2, sort_keys=True) + "\n")
        written.append(path)
    return written
