"""Dependencies and small helpers shared by the matching routers."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request, Response
from pydantic import BaseModel

from services.matching.domain import stream_id
from services.matching.domain.candidates import Candidate
from services.matching.domain.scoring import OpeningSpec
from services.matching.index import (
    RETRY_AFTER_SECONDS,
    IndexBuilding,
    MatchingEngine,
    MatchingIndex,
)
from shared.auth import Principal, require_roles
from shared.commands import CommandResult, answer
from shared.deps import RuntimeDep
from shared.http import problem_responses
from shared.paging import page
from shared.problems import NotFound
from shared.service import Runtime
from shared.taxonomy import Taxonomy

JobCoach = Annotated[Principal, Depends(require_roles("job_coach"))]
"""Writes: job coaches and employer liaisons (role ``job_coach``)."""

Reader = Annotated[Principal, Depends(require_roles("job_coach", "manager"))]


async def current_engine(request: Request) -> MatchingEngine:
    """The process's matching index, brought up to date with the read models first."""
    index: MatchingIndex = request.app.state.matching
    runtime: Runtime = request.app.state.runtime
    return await index.current(runtime.db, runtime.settings)


async def current_taxonomy(request: Request) -> Taxonomy:
    index: MatchingIndex = request.app.state.matching
    return await index.taxonomy()


def candidate_in(
    engine: MatchingEngine, principal: Principal, participant_id: uuid.UUID
) -> Candidate:
    """The candidate of the caller's municipality (404 when the index has none)."""
    candidate = engine.candidate(principal.municipality, participant_id)
    if candidate is None:
        raise NotFound(f"No candidate {participant_id} in municipality {principal.municipality}.")
    return candidate


def opening_in(engine: MatchingEngine, principal: Principal, opening_id: uuid.UUID) -> OpeningSpec:
    """The opening of the caller's municipality (404 when the index has none)."""
    spec = engine.spec(principal.municipality, opening_id)
    if spec is None:
        raise NotFound(f"No opening {opening_id} in municipality {principal.municipality}.")
    return spec


EngineDep = Annotated[MatchingEngine, Depends(current_engine)]
TaxonomyDep = Annotated[Taxonomy, Depends(current_taxonomy)]


def index_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """Problem responses of an endpoint answered from the index, its 503 included."""
    responses = problem_responses(*statuses, 503)
    responses[503] = {
        **responses[503],
        "description": f"`{IndexBuilding.slug}`: the index is being built after start-up; "
        "retry after the seconds in `Retry-After`",
        "headers": {
            "Retry-After": {
                "description": "Seconds to wait before retrying",
                "schema": {"type": "integer", "example": RETRY_AFTER_SECONDS},
            }
        },
    }
    return responses


@dataclass(frozen=True)
class CommandRequest:
    """A job coach's command request: who sends it and the response it is answered in."""

    request: Request
    response: Response
    principal: Principal

    async def run(
        self,
        use_case: Callable[..., Awaitable[CommandResult]],
        *args: Any,
        body: BaseModel | None = None,
        on: tuple[str, uuid.UUID] | None = None,
        created: str | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """Answer with ``use_case(runtime, conn, metadata, *args, **fields)``, run as the
        request's command (the kit's :func:`~shared.commands.answer`).

        ``on``: the stream (type, id) it acts on, which must exist in the caller's
        municipality; ``created``: the collection it adds to, so ``Location`` names the
        new resource.
        """
        runtime: Runtime = self.request.app.state.runtime
        metadata = runtime.metadata(self.principal, self.request)
        answered = await answer(
            self.request,
            self.response,
            self.principal,
            lambda conn: use_case(runtime, conn, metadata, *args, **fields),
            body=body,
            target=stream_id(*on) if on is not None else None,
            target_noun=on[0] if on is not None else "record",
        )
        if created is not None:
            self.response.headers["Location"] = f"{created}/{answered['id']}"
        return answered


async def command_request(
    request: Request, response: Response, principal: JobCoach
) -> CommandRequest:
    return CommandRequest(request, response, principal)


CommandDep = Annotated[CommandRequest, Depends(command_request)]


Read = TypeVar("Read")


async def read(
    runtime: Runtime, query: Callable[..., Awaitable[Read]], *args: Any, **kw: Any
) -> Read:
    """``query(conn, *args, **kw)`` on a connection of its own (the read side)."""
    async with runtime.db.snapshot() as conn:
        return await query(conn, *args, **kw)


@dataclass(frozen=True)
class ListRequest:
    """A list request: the runtime its rows are read from and the request its page's
    ``next`` link follows."""

    request: Request
    runtime: Runtime

    async def page(
        self,
        query: Callable[..., Awaitable[tuple[list[Any], int]]],
        municipality: str,
        *,
        limit: int,
        offset: int,
        **filters: Any,
    ) -> dict[str, Any]:
        """One page of a municipality's list: ``query`` answers the page's rows and the
        total."""
        found, total = await read(
            self.runtime, query, municipality, limit=limit, offset=offset, **filters
        )
        return page(self.request, found, limit=limit, offset=offset, total=total)


async def list_request(request: Request, runtime: RuntimeDep) -> ListRequest:
    return ListRequest(request, runtime)


ListDep = Annotated[ListRequest, Depends(list_request)]


# The answer to a command that adds a resource (``Location`` names it); no docstring, it
# would become the schema's description.
class Created(BaseModel):
    id: uuid.UUID
    version: int
