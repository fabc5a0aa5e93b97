"""Dependencies and small helpers shared by the matching routers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from services.matching.index import (
    RETRY_AFTER_SECONDS,
    IndexBuilding,
    MatchingEngine,
    MatchingIndex,
)
from shared.auth import Principal, require_roles
from shared.http import problem_responses
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
