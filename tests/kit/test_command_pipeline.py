"""The kit's declarative command pipeline (shared.commands.command) on a service of notes.

A note stream holds at most three texts; amending it is declared once and the kit
does the rest: the existence oracle, If-Match, Idempotency-Key, rules, OpenAPI.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import httpx
import pytest
from fastapi import APIRouter
from pydantic import BaseModel

from shared.auth import require_roles
from shared.commands import Aggregate, CommandContext, Decided, command
from shared.events import Event
from shared.eventstore import NO_STREAM, EventStore, Stream
from shared.rules import Rule
from shared.service import ServiceDefinition, build_app
from shared.settings import Settings
from tests.kit.helpers import NoteTaken, database, kit_metadata, kit_registry, notes, scalar
from tests.support import auth, running

pytestmark = pytest.mark.timeout(60)

NOTE_FULL = Rule("note-full", 409, "Note full")


class Amend(BaseModel):
    text: str


async def texts(ctx: CommandContext[Any], stream: Stream) -> list[str]:
    return [str(envelope.data["text"]) for envelope in stream.envelopes]


def add_texts(state: list[str], events: Sequence[Event]) -> list[str]:
    return state + [event.text for event in events if isinstance(event, NoteTaken)]


NOTE = Aggregate(
    stream_type="note",
    noun="note",
    stream_id=lambda path: f"note-{path['note_id']}",
    state=texts,
    evolve=add_texts,
)


def amend(ctx: CommandContext[Amend], state: list[str]) -> list[Event]:
    if len(state) >= 3:
        raise NOTE_FULL.violation("A note holds three texts.")
    return [NoteTaken(text=ctx.body.text)]


def amended(ctx: CommandContext[Amend], decided: Decided[list[str]]) -> dict[str, Any]:
    return {"version": decided.version, "texts": decided.state}


def notes_app(settings: Settings) -> Any:
    router = APIRouter()
    command(
        router,
        "POST",
        "/notes/{note_id}/amendments",
        body=Amend,
        path_params={"note_id": uuid.UUID},
        principal=require_roles("caseworker"),
        aggregate=NOTE,
        decide=amend,
        respond=amended,
        name="amend_note",
        summary="Amend a note",
    )
    return build_app(
        ServiceDefinition(
            name="housing",
            title="notes",
            description="Notes amended through the kit's command pipeline.",
            registry=kit_registry,
            routers=[router],
        ),
        settings,
    )


async def a_note(settings: Settings, *texts: str, municipality: str = "3301") -> uuid.UUID:
    note_id = uuid.uuid4()
    store = EventStore("housing", kit_registry, settings.subject_prefix("housing"))
    async with database(settings, "housing") as db, db.transaction() as conn:
        await store.append(
            conn,
            f"note-{note_id}",
            "note",
            notes(*texts),
            expected_version=NO_STREAM,
            metadata=replace(kit_metadata(), municipality=municipality),
        )
    return note_id


async def post(
    client: httpx.AsyncClient,
    settings: Settings,
    note_id: uuid.UUID,
    text: str,
    headers: Mapping[str, str] | None = None,
) -> httpx.Response:
    return await client.post(
        f"/notes/{note_id}/amendments",
        json={"text": text},
        headers={**auth(settings, ["caseworker"]), **(headers or {})},
    )


async def test_a_declared_command_loads_decides_appends_and_answers(settings: Settings) -> None:
    note_id = await a_note(settings, "first")
    async with running(notes_app(settings)) as client:
        answer = await post(client, settings, note_id, "second")
        assert answer.status_code == 201, answer.text
        assert answer.json() == {"version": 2, "texts": ["first", "second"]}
        assert (await post(client, settings, note_id, "third")).json()["version"] == 3
    async with database(settings, "housing") as db:
        assert (
            await scalar(
                db,
                "SELECT count(*) FROM outbox WHERE stream_id = :sid",
                sid=f"note-{note_id}",
            )
            == 3
        )


async def test_an_unknown_note_and_another_municipalitys_get_the_same_404(
    settings: Settings,
) -> None:
    elsewhere = await a_note(settings, "theirs", municipality="0301")
    unknown = uuid.uuid4()
    async with running(notes_app(settings)) as client:
        answers = [
            await post(client, settings, note_id, "x", {"Idempotency-Key": "k-404"})
            for note_id in (elsewhere, unknown)
        ]
    assert [a.status_code for a in answers] == [404, 404]
    details = [
        a.json()["detail_en"].replace(str(n), "ID")
        for a, n in zip(answers, (elsewhere, unknown), strict=True)
    ]
    assert details[0] == details[1] == "No note note-ID in municipality 3301."


async def test_a_stale_if_match_and_a_refused_rule_carry_the_current_version(
    settings: Settings,
) -> None:
    note_id = await a_note(settings, "a", "b")
    async with running(notes_app(settings)) as client:
        stale = await post(client, settings, note_id, "c", {"If-Match": '"1"'})
        assert stale.status_code == 409
        assert stale.json()["current_version"] == 2
        assert (await post(client, settings, note_id, "c", {"If-Match": '"2"'})).status_code == 201
        full = await post(client, settings, note_id, "d")
        assert full.status_code == 409
        assert full.json()["code"] == "note-full"
        assert full.json()["current_version"] == 3


async def test_a_repeated_idempotency_key_answers_the_first_response_and_refuses_another_body(
    settings: Settings,
) -> None:
    note_id = await a_note(settings, "a")
    key = {"Idempotency-Key": f"amend-{uuid.uuid4()}"}
    async with running(notes_app(settings)) as client:
        first = await post(client, settings, note_id, "b", key)
        again = await post(client, settings, note_id, "b", key)
        other = await post(client, settings, note_id, "c", key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert other.status_code == 422
    async with database(settings, "housing") as db:
        assert (
            await scalar(
                db, "SELECT version FROM streams WHERE stream_id = :sid", sid=f"note-{note_id}"
            )
            == 2
        )


def test_the_openapi_of_a_declared_command_documents_headers_and_problems(
    settings: Settings,
) -> None:
    operation = notes_app(settings).openapi()["paths"]["/notes/{note_id}/amendments"]["post"]
    names = {p["name"] for p in operation["parameters"]}
    assert names == {"note_id", "if-match", "Idempotency-Key"}
    assert {"201", "401", "403", "404", "409", "422"} <= set(operation["responses"])
    assert operation["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Amend"
    }
