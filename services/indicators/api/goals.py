"""The goal hierarchy of the plan (kommuneplan → økonomiplan → virksomhetsplan)."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from services.indicators import application
from services.indicators.api.common import Manager, PlanDep, plan_change, resource_router
from services.indicators.api.schemas import Created
from services.indicators.commands import GoalChange, GoalIn
from shared.http import problem_responses
from shared.paging import MAX_LIMIT, Limit, Offset, Page, page_of

router = resource_router()


@router.get(
    "/goals",
    response_model=Page[dict[str, Any]],
    summary="Målhierarkiet (kommuneplan → økonomiplan → virksomhetsplan), per en dato / The goal "
    "hierarchy (kommuneplan → økonomiplan → virksomhetsplan), as of a date",
    description="Rekkefølge: treet, hvert mål før sine undermål. / Order: the tree, depth "
    "first, each goal before its sub-goals.",
    responses=problem_responses(401, 403, 422),
)
async def list_goals(
    request: Request, plan: PlanDep, limit: Limit = MAX_LIMIT, offset: Offset = 0
) -> dict[str, Any]:
    tree = [{**goal.describe(), "depth": depth} for depth, goal in plan.goal_tree()]
    return page_of(request, tree, limit, offset)


plan_change(
    router,
    "POST",
    "/goals",
    name="define_goal",
    body=GoalIn,
    principal=Manager,
    status_code=201,
    response_model=Created,
    summary="Legg et mål til planen / Add a goal to the plan",
    description="A kommuneplan goal has no parent; an økonomiplan goal hangs under a "
    "kommuneplan goal; a virksomhetsplan goal under an økonomiplan (or kommuneplan) goal. "
    "Each has an owner unit and a period; indicators (already defined) hang under it — "
    "one indicator may serve several goals.",
    change=lambda runtime, conn, metadata, given: application.define_goal(
        runtime,
        conn,
        metadata,
        given.body.key,
        GoalChange.model_validate(given.body.model_dump(exclude={"key"})),
        revise=False,
        expected=None,
    ),
)

plan_change(
    router,
    "PUT",
    "/goals/{key}",
    name="revise_goal",
    body=GoalChange,
    principal=Manager,
    path_params={"key": str},
    if_match=True,
    response_model=Created,
    summary="Revider et mål (alle feltene slik de er nå) / Revise a goal (all fields as they are "
    "now)",
    change=lambda runtime, conn, metadata, given: application.define_goal(
        runtime, conn, metadata, given.path["key"], given.body, revise=True, expected=given.expected
    ),
)
