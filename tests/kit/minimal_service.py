"""A service made only of the kit (no domain), for tests of what the kit enforces.

``uvicorn tests.kit.minimal_service:create_app --factory`` runs it as a process. Its
notes are the kit tests' ``NoteTaken`` events, kept in the housing database.
"""

from __future__ import annotations

import json
import uuid
from datetime import date
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Body, FastAPI, Request
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.commands import CommandResult
from shared.deprecation import deprecated
from shared.deps import PrincipalDep, RuntimeDep
from shared.events import Envelope
from shared.projection import Projection
from shared.query_params import reads_query
from shared.service import Feed, ServiceDefinition, build_app, resource
from shared.settings import Settings
from tests.kit.helpers import NoteTaken, kit_registry

router = APIRouter()


@router.get("/whoami")
async def whoami(principal: PrincipalDep) -> dict[str, Any]:
    return {
        "sub": principal.subject,
        "roles": sorted(principal.roles),
        "municipality": principal.municipality,
        "agency": principal.agency,
    }


class NoteIn(BaseModel):
    text: str = Field(max_length=5_000_000)
    tags: list[str] = []
    stream_id: str | None = None
    expected_version: int | None = None


@router.post("/notes", status_code=201)
async def take_note(
    note: NoteIn, runtime: RuntimeDep, principal: PrincipalDep, request: Request
) -> dict[str, Any]:
    stream_id = note.stream_id or str(uuid.uuid4())

    async def work(conn: Any) -> CommandResult:
        version = note.expected_version
        if version is None:
            version = await runtime.store.current_version(conn, stream_id)
        await runtime.append(
            conn,
            stream_id,
            "note",
            [NoteTaken(text=note.text)],
            expected_version=version,
            metadata=runtime.metadata(principal, request),
        )
        return CommandResult(201, {"id": stream_id, "version": version + 1})

    result = await runtime.command(
        work,
        principal=principal,
        request=request,
        body=note.model_dump(),
        target=note.stream_id,
        target_noun="note",
    )
    return result.body


@router.get("/things/{thing_id}")
async def thing(thing_id: str, q: str = "") -> dict[str, str]:
    return {"thing_id": thing_id, "q": q}


@router.get("/by-hand", dependencies=[reads_query("colour")])
async def by_hand(request: Request) -> dict[str, str | None]:
    """Reads its parameter from the request itself, declared with ``reads_query``."""
    return {"colour": request.query_params.get("colour")}


OLD_THINGS_SINCE = date(2026, 12, 1)
OLD_THINGS_SUNSET = date(2027, 6, 30)


@router.get(
    "/old-things",
    **deprecated(OLD_THINGS_SINCE, OLD_THINGS_SUNSET, "https://veiviser.no/changelog#old-things"),
)
async def old_things() -> dict[str, bool]:
    """A deprecated operation: Deprecation and Sunset on every answer."""
    return {"old": True}


@router.post("/upload")
async def upload(raw: Annotated[bytes, Body(media_type="text/csv")]) -> dict[str, int]:
    return {"bytes": len(raw)}


class Value(BaseModel):
    value: str


class Strict(BaseModel):
    number: int


@router.post("/boom/{kind}")
async def boom(kind: str, body: Value, runtime: RuntimeDep) -> dict[str, Any]:
    """Fails the way real code fails, with the caller's value in the error's message."""
    if kind == "db":
        async with runtime.db.transaction() as conn:
            await conn.execute(sa.text("SELECT CAST(:v AS integer)"), {"v": body.value})
    elif kind == "validation":
        Strict.model_validate({"number": body.value})
    raise RuntimeError(f"could not handle {body.value}")


async def _fail_in_the_database(conn: AsyncConnection, envelope: Envelope) -> None:
    # A projection whose SQL fails on the event's own values.
    await conn.execute(sa.text("SELECT CAST(:v AS date)"), {"v": json.dumps(envelope.data)})


FAILING = Projection("failing", "participants", (), _fail_in_the_database)


def create_app(settings: Settings | None = None, *, with_feed: bool = False) -> FastAPI:
    return build_app(
        ServiceDefinition(
            name="housing",
            title="kit only",
            description="The kit's routes and middleware without a domain.",
            registry=kit_registry,
            routers=[router],
            projections=[FAILING] if with_feed else [],
            feeds=[Feed("participants", "participants")] if with_feed else [],
            resources={"note": resource("/notes/{id}")},
        ),
        settings,
    )


def create_app_with_feed() -> FastAPI:
    """The kit service consuming participants' events into a projection that fails."""
    return create_app(with_feed=True)
