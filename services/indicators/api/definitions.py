"""A municipality's indicator definitions: list, define, read, redefine."""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response

from services.indicators import application
from services.indicators.api.common import (
    AsOfDep,
    KeyPath,
    Manager,
    MunicipalityQuery,
    Reader,
    plan_as_of,
    resource_router,
    run_command,
)
from services.indicators.api.schemas import Created
from services.indicators.commands import IndicatorChange, IndicatorIn
from shared.deps import ExpectedVersionDep, IdempotencyKeyHeader, RuntimeDep
from shared.http import problem_responses

router = resource_router()


@router.get(
    "/definitions",
    summary="The municipality's indicators (as of a date)",
    responses=problem_responses(401, 403, 422),
)
async def list_definitions(
    runtime: RuntimeDep, principal: Reader, as_of: AsOfDep, municipality: MunicipalityQuery = None
) -> list[dict[str, Any]]:
    plan = await plan_as_of(runtime, principal, municipality, as_of)
    return [d.describe() for d in sorted(plan.definitions.values(), key=lambda d: d.key)]


@router.post(
    "/definitions",
    status_code=201,
    response_model=Created,
    summary="Define an indicator",
    description="Key, titles (bokmål and English), unit, direction, period granularity, "
    "measurement method — `computed` by a built-in rule with parameters, `manual` "
    "registration, or `imported` with its source named — and decimals. "
    "`from_catalogue` starts from a built-in indicator. Unknown rules, bad parameters or "
    "missing fields: 422 naming each, nothing stored. An existing key: 409.",
    responses=problem_responses(401, 403, 409, 422),
)
async def define_indicator(
    body: IndicatorIn,
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    principal: Manager,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    change = IndicatorChange.model_validate(body.model_dump(exclude={"key"}, exclude_unset=True))
    answer = await run_command(
        runtime,
        request,
        response,
        principal,
        lambda conn, metadata: application.define_indicator(
            runtime, conn, metadata, body.key, change, redefine=False, expected=None
        ),
        body.model_dump(mode="json"),
    )
    response.headers["Location"] = f"/indicators/definitions/{body.key}"
    return answer


@router.get(
    "/definitions/{key}",
    summary="One indicator with its thresholds per year (as of a date)",
    responses=problem_responses(401, 403, 422),
)
async def get_definition(
    key: KeyPath,
    runtime: RuntimeDep,
    principal: Reader,
    as_of: AsOfDep,
    municipality: MunicipalityQuery = None,
) -> dict[str, Any]:
    plan = await plan_as_of(runtime, principal, municipality, as_of)
    definition = application.require_definition(plan, key)
    thresholds = [th.describe() for (k, _year), th in sorted(plan.thresholds.items()) if k == key]
    goals = [g.key for g in plan.goals.values() if key in g.indicator_keys]
    return {**definition.describe(), "thresholds": thresholds, "goals": goals}


@router.put(
    "/definitions/{key}",
    response_model=Created,
    summary="Change an indicator's definition",
    description="Fields left out keep their value; `parameters` given are merged into the "
    "current ones. A new version is recorded: values as of earlier dates keep the earlier "
    "definition. Optional `If-Match` with the version you read.",
    responses=problem_responses(401, 403, 409, 422),
)
async def redefine_indicator(
    key: KeyPath,
    body: IndicatorChange,
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
        lambda conn, metadata: application.define_indicator(
            runtime, conn, metadata, key, body, redefine=True, expected=expected
        ),
        body.model_dump(mode="json", exclude_unset=True),
    )
