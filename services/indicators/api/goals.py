"""The goal hierarchy of the plan (kommuneplan → økonomiplan → virksomhetsplan)."""

from __future__ import annotations

from typing import Any

from services.indicators import application
from services.indicators.api.common import Manager, PlanDep, plan_change, resource_router
from services.indicators.api.schemas import Created
from services.indicators.commands import GoalChange, GoalIn
from shared.http import problem_responses

router = resource_router()


@router.get(
    "/goals",
    summary="The goal hierarchy (kommuneplan → økonomiplan → virksomhetsplan), as of a date",
    responses=problem_responses(401, 403, 422),
)
async def list_goals(plan: PlanDep) -> list[dict[str, Any]]:
    return [{**goal.describe(), "depth": depth} for depth, goal in plan.goal_tree()]


plan_change(
    router,
    "POST",
    "/goals",
    name="define_goal",
    body=GoalIn,
    principal=Manager,
    status_code=201,
    response_model=Created,
    summary="Add a goal to the plan",
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
    summary="Revise a goal (all fields as they are now)",
    change=lambda runtime, conn, metadata, given: application.define_goal(
        runtime, conn, metadata, given.path["key"], given.body, revise=True, expected=given.expected
    ),
)
