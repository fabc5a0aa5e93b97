"""The levels published as ``indicator.level_changed``, and evaluating them now."""

from __future__ import annotations

from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import Query, Request

from services.indicators import application
from services.indicators.api.common import (
    Manager,
    MunicipalityQuery,
    Reader,
    resource_router,
    scope,
)
from services.indicators.tables import indicator_levels
from shared.deps import RuntimeDep
from shared.http import problem_responses
from shared.paging import DEFAULT_LIMIT, Limit, Offset, Page, count_of, page

router = resource_router()


@router.get(
    "/levels",
    response_model=Page[dict[str, Any]],
    summary="Nivåene sist publisert (indicator.level_changed) for kommunen / The levels last "
    "published (indicator.level_changed) for the municipality",
    description="Rekkefølge: indikator, så periode. / Order: indicator key, then period.",
    responses=problem_responses(401, 403, 422),
)
async def list_levels(
    request: Request,
    runtime: RuntimeDep,
    principal: Reader,
    period: Annotated[str | None, Query()] = None,
    municipality: MunicipalityQuery = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> dict[str, Any]:
    where = scope(principal, municipality)
    query = sa.select(indicator_levels).where(indicator_levels.c.municipality == where)
    if period is not None:
        query = query.where(indicator_levels.c.period == str(application.parse_period(period)))
    # (municipality, indicator_key, period) is the key: the order is total.
    query = query.order_by(indicator_levels.c.indicator_key, indicator_levels.c.period)
    async with runtime.db.snapshot() as conn:
        total = await count_of(conn, query)
        rows = (await conn.execute(query.limit(limit).offset(offset))).all()
    shown = [
        {
            "indicator_key": r.indicator_key,
            "period": r.period,
            "level": r.level,
            "value": r.value,
            "version": r.version,
            "recorded_at": r.recorded_at.isoformat(),
        }
        for r in rows
    ]
    return page(request, shown, limit=limit, offset=offset, total=total)


@router.post(
    "/evaluations",
    summary="Vurder kommunens nivåer på nytt nå / Re-evaluate the municipality's levels now",
    description="The service evaluates levels in the background after every applied event "
    "(see the `indicator.level_changed` event in /asyncapi.json). This runs the same "
    "evaluation at once and returns the changes it published.",
    responses=problem_responses(401, 403),
)
async def evaluate_now(request: Request, principal: Manager) -> dict[str, Any]:
    evaluator = request.app.state.evaluator
    changes = await evaluator.evaluate(principal.municipality)
    return {"municipality": principal.municipality, "changes": [c.describe() for c in changes]}
