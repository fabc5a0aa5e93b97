"""A service made only of the kit (no domain), for tests of what the kit enforces.

``uvicorn tests.kit.minimal_service:create_app --factory`` runs it as a process. Its
notes are the kit tests' ``NoteTaken`` events, kept in the housing database.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, FastAPI, Request
from pydantic import BaseModel, Field

from shared.commands import CommandResult
from shared.deps import PrincipalDep, RuntimeDep
from shared.service import ServiceDefinition, build_app
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


@router.post("/notes", status_code=201)
async def take_note(
    note: NoteIn, runtime: RuntimeDep, principal: PrincipalDep, request: Request
) -> dict[str, Any]:
    stream_id = note.stream_id or str(uuid.uuid4())

    async def work(conn: Any) -> CommandResult:
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
        work, principal=principal, request=request, body=note.model_dump()
    )
    return result.body


@router.get("/things/{thing_id}")
async def thing(thing_id: str, q: str = "") -> dict[str, str]:
    return {"thing_id": thing_id, "q": q}


@router.post("/upload")
async def upload(raw: Annotated[bytes, Body(media_type="text/csv")]) -> dict[str, int]:
    return {"bytes": len(raw)}


def create_app(settings: Settings | None = None) -> FastAPI:
    return build_app(
        ServiceDefinition(
            name="housing",
            title="kit only",
            description="The kit's routes and middleware without a domain.",
            registry=kit_registry,
            routers=[router],
        ),
        settings,
    )
