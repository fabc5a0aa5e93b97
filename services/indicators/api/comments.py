"""Comments on an indicator for a period: what happened, what we do."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request

from services.indicators import application, queries
from services.indicators.api.common import (
    AsOfDep,
    KeyPath,
    Manager,
    MunicipalityQuery,
    Reader,
    plan_as_of,
    plan_change,
    resource_router,
    scope,
)
from services.indicators.commands import CommentIn
from shared.deps import RuntimeDep
from shared.http import problem_responses
from shared.paging import DEFAULT_LIMIT, Limit, Offset, Page, page_of

router = resource_router()


@router.get(
    "/definitions/{key}/comments",
    response_model=Page[dict[str, Any]],
    summary="Kommentarer til en indikator (per en dato) / Comments on an indicator (as of a date)",
    description="Rekkefølge: registrert, så id. / Order: recorded, then id.",
    responses=problem_responses(401, 403, 422),
)
async def list_comments(
    key: KeyPath,
    request: Request,
    runtime: RuntimeDep,
    principal: Reader,
    as_of: AsOfDep,
    period: Annotated[str | None, Query(description="Only this period")] = None,
    municipality: MunicipalityQuery = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> dict[str, Any]:
    where = scope(principal, municipality)
    application.require_definition(await plan_as_of(runtime, principal, municipality, as_of), key)
    wanted = str(application.parse_period(period)) if period else None
    found = await queries.comments_for(runtime, where, as_of, key, wanted)
    return page_of(request, found, limit, offset)


plan_change(
    router,
    "POST",
    "/definitions/{key}/comments",
    name="add_comment",
    body=CommentIn,
    principal=Manager,
    path_params={"key": KeyPath},
    status_code=201,
    summary="Kommenter en indikator for en periode: hva skjedde, hva vi gjør / Comment on an "
    "indicator for a period: what happened, what we do",
    description="Lederens forklaring av et avvik, knyttet til indikator, periode og nivå "
    "(leder). / The manager's explanation of a deviation, tied to indicator, period and "
    "level (manager only). Comments are not plan changes: they show at once, with author "
    "and time, without approval.",
    problems=(401, 403, 422),
    change=lambda runtime, conn, metadata, given: application.record_comment(
        runtime, conn, metadata, given.path["key"], given.body
    ),
)
