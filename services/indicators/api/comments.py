"""Comments on an indicator for a period: what happened, what we do."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request, Response

from services.indicators import application, queries
from services.indicators.api.common import (
    AsOfDep,
    Editor,
    KeyPath,
    MunicipalityQuery,
    Reader,
    plan_as_of,
    resource_router,
    run_command,
    scope,
)
from services.indicators.commands import (
    CommentIn,
)
from shared.deps import IdempotencyKeyHeader, RuntimeDep
from shared.http import problem_responses

router = resource_router()


@router.get(
    "/definitions/{key}/comments",
    summary="Comments on an indicator (as of a date)",
    responses=problem_responses(401, 403, 422),
)
async def list_comments(
    key: KeyPath,
    runtime: RuntimeDep,
    principal: Reader,
    as_of: AsOfDep,
    period: Annotated[str | None, Query(description="Only this period")] = None,
    municipality: MunicipalityQuery = None,
) -> list[dict[str, Any]]:
    where = scope(principal, municipality)
    application.require_definition(await plan_as_of(runtime, principal, municipality, as_of), key)
    wanted = str(application.parse_period(period)) if period else None
    return await queries.comments_for(runtime, where, as_of, key, wanted)


@router.post(
    "/definitions/{key}/comments",
    status_code=201,
    summary="Comment on an indicator for a period: what happened, what we do",
    responses=problem_responses(401, 403, 422),
)
async def add_comment(
    key: KeyPath,
    body: CommentIn,
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    principal: Editor,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    return await run_command(
        runtime,
        request,
        response,
        principal,
        lambda conn, metadata: application.record_comment(runtime, conn, metadata, key, body),
        body.model_dump(mode="json"),
    )
