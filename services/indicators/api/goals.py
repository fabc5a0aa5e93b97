"""The goal hierarchy of the plan (kommuneplan → økonomiplan → virksomhetsplan)."""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response

from services.indicators import application
from services.indicators.api.common import (
    AsOfDep,
    Manager,
    MunicipalityQuery,
    Reader,
    plan_as_of,
    resource_router,
    run_command,
)
from services.indicators.api.schemas import (
    Created,
)
from services.indicators.commands import (
    GoalChange,
    GoalIn,
)
from shared.deps import ExpectedVersionDep, IdempotencyKeyHeader, RuntimeDep
from shared.http import problem_responses

router = resource_router()


@router.get(
    "/goals",
    summary="The goal hierarchy (kommuneplan → økonomiplan → virksomhetsplan), as of a date",
    responses=problem_responses(401, 403, 422),
)
async def list_goals(
    runtime: RuntimeDep, principal: Reader, as_of: AsOfDep, municipality: MunicipalityQuery = None
) -> list[dict[str, Any]]:
    plan = await plan_as_of(runtime, principal, municipality, as_of)
    return [{**goal.describe(), "depth": depth} for depth, goal in plan.goal_tree()]


@router.post(
    "/goals",
    status_code=201,
    response_model=Created,
    summary="Add a goal to the plan",
    description="A kommuneplan goal has no parent; an økonomiplan goal hangs under a "
    "kommuneplan goal; a virksomhetsplan goal under an økonomiplan (or kommuneplan) goal. "
    "Each has an owner unit and a period; indicators (already defined) hang under it — "
    "one indicator may serve several goals.",
    responses=problem_responses(401, 403, 409, 422),
)
async def define_goal(
    body: GoalIn,
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    principal: Manager,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    change = GoalChange.model_validate(body.model_dump(exclude={"key"}))
    return await run_command(
        runtime,
        request,
        response,
        principal,
        lambda conn, metadata: application.define_goal(
            runtime, conn, metadata, body.key, change, revise=False, expected=None
        ),
        body.model_dump(mode="json"),
    )


@router.put(
    "/goals/{key}",
    response_model=Created,
    summary="Revise a goal (all fields as they are now)",
    responses=problem_responses(401, 403, 409, 422),
)
async def revise_goal(
    key: str,
    body: GoalChange,
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    principal: Manager,
    expected: ExpectedVersionDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    return await run_command(
        runtime,
        request,
        response,
        principal,
        lambda conn, metadata: application.define_goal(
            runtime, conn, metadata, key, body, revise=True, expected=expected
        ),
        body.model_dump(mode="json"),
    )
