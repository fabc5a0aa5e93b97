"""A municipality's indicator definitions: list, define, read, redefine."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from services.indicators import application
from services.indicators.api.common import KeyPath, Manager, PlanDep, plan_change, resource_router
from services.indicators.api.schemas import Created
from services.indicators.commands import IndicatorChange, IndicatorIn
from shared.http import problem_responses
from shared.paging import MAX_LIMIT, Limit, Offset, Page, page_of

router = resource_router()


@router.get(
    "/definitions",
    response_model=Page[dict[str, Any]],
    summary="Kommunens indikatorer (per en dato) / The municipality's indicators (as of a date)",
    description="Rekkefølge: nøkkel. / Order: key.",
    responses=problem_responses(401, 403, 422),
)
async def list_definitions(
    request: Request, plan: PlanDep, limit: Limit = MAX_LIMIT, offset: Offset = 0
) -> dict[str, Any]:
    described = [d.describe() for d in sorted(plan.definitions.values(), key=lambda d: d.key)]
    return page_of(request, described, limit, offset)


plan_change(
    router,
    "POST",
    "/definitions",
    name="define_indicator",
    body=IndicatorIn,
    principal=Manager,
    location=lambda given: f"/indicators/definitions/{given.body.key}",
    status_code=201,
    response_model=Created,
    summary="Definer en indikator / Define an indicator",
    description="Key, titles (bokmål and English), unit, direction, period granularity, "
    "measurement method — `computed` by a built-in rule with parameters, `manual` "
    "registration, or `imported` with its source named — and decimals. "
    "`from_catalogue` starts from a built-in indicator. Unknown rules, bad parameters or "
    "missing fields: 422 naming each, nothing stored. An existing key: 409.",
    change=lambda runtime, conn, metadata, given: application.define_indicator(
        runtime,
        conn,
        metadata,
        given.body.key,
        IndicatorChange.model_validate(given.body.model_dump(exclude={"key"}, exclude_unset=True)),
        redefine=False,
        expected=None,
    ),
)


@router.get(
    "/definitions/{key}",
    summary="Én indikator med tersklene per år (per en dato) / One indicator with its thresholds "
    "per year (as of a date)",
    responses=problem_responses(401, 403, 422),
)
async def get_definition(key: KeyPath, plan: PlanDep) -> dict[str, Any]:
    definition = application.require_definition(plan, key)
    thresholds = [th.describe() for (k, _year), th in sorted(plan.thresholds.items()) if k == key]
    goals = [g.key for g in plan.goals.values() if key in g.indicator_keys]
    return {**definition.describe(), "thresholds": thresholds, "goals": goals}


plan_change(
    router,
    "PUT",
    "/definitions/{key}",
    name="redefine_indicator",
    body=IndicatorChange,
    principal=Manager,
    path_params={"key": KeyPath},
    if_match=True,
    unset_fields=False,
    response_model=Created,
    summary="Endre definisjonen av en indikator / Change an indicator's definition",
    description="Fields left out keep their value; `parameters` given are merged into the "
    "current ones. A new version is recorded: values as of earlier dates keep the earlier "
    "definition. Optional `If-Match` with the version you read.",
    change=lambda runtime, conn, metadata, given: application.define_indicator(
        runtime,
        conn,
        metadata,
        given.path["key"],
        given.body,
        redefine=True,
        expected=given.expected,
    ),
)
