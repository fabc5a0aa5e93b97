"""Dependencies and small helpers shared by the matching routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Response

from services.matching.index import MatchingEngine
from shared.auth import Principal, require_roles
from shared.service import Runtime

JobCoach = Annotated[Principal, Depends(require_roles("job_coach"))]
"""Writes: job coaches and employer liaisons (role ``job_coach``)."""

Reader = Annotated[Principal, Depends(require_roles("job_coach", "manager"))]


async def current_engine(request: Request) -> MatchingEngine:
    """The process's matching index, brought up to date with the read models first."""
    engine: MatchingEngine = request.app.state.matching
    runtime: Runtime = request.app.state.runtime
    await engine.refresh(runtime.db)
    return engine


EngineDep = Annotated[MatchingEngine, Depends(current_engine)]


def respond(response: Response, status: int, replayed: bool) -> None:
    response.status_code = status
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
