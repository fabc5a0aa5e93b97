"""Thresholds per year, and how a value would be classified by them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query

from services.indicators import application
from services.indicators.api.common import (
    AsOfDep,
    KeyPath,
    Manager,
    MunicipalityQuery,
    Reader,
    YearQuery,
    plan_as_of,
    plan_change,
    resource_router,
)
from services.indicators.commands import ThresholdsIn
from services.indicators.docs import THRESHOLDS
from services.indicators.domain.periods import Period
from shared.deps import RuntimeDep
from shared.http import problem_responses

router = resource_router()

plan_change(
    router,
    "PUT",
    "/definitions/{key}/thresholds",
    name="set_thresholds",
    body=ThresholdsIn,
    principal=Manager,
    path_params={"key": KeyPath},
    if_match=True,
    summary="Sett tersklene for de tre nivåene for ett eller flere år / Set the thresholds of the "
    "three levels for one or more years",
    description=THRESHOLDS
    + "\nA threshold set replaces the given years' earlier sets (kept as history for "
    "as-of questions). Overlapping, empty, duplicated or direction-contradicting bands, "
    "or an end without its inclusive flag: 422 naming the problem, nothing stored.",
    change=lambda runtime, conn, metadata, given: application.set_thresholds(
        runtime, conn, metadata, given.path["key"], given.body, given.expected
    ),
)


@router.get(
    "/definitions/{key}/classify",
    summary="Hvilket nivå en verdi ville fått et år / Which level a value would get in a year",
    description="Applies the year's thresholds to `value` exactly as a computed value is "
    "classified (the unrounded value; rounding to the indicator's decimals is only for "
    "display), with the explanation.",
    responses=problem_responses(401, 403, 422),
)
async def classify_value(
    key: KeyPath,
    runtime: RuntimeDep,
    principal: Reader,
    as_of: AsOfDep,
    value: Annotated[float, Query(description="The value to classify")],
    year: YearQuery,
    municipality: MunicipalityQuery = None,
) -> dict[str, Any]:
    plan = await plan_as_of(runtime, principal, municipality, as_of)
    definition = application.require_definition(plan, key)
    thresholds = plan.thresholds_for(key, Period.year_of(year))
    if thresholds is None:
        return {
            "indicator_key": key,
            "year": year,
            "value": value,
            "level": "no_thresholds",
            "explanation": f"no thresholds set for {year}",
        }
    classified = thresholds.set.classify(value, definition.decimals)
    return {
        "indicator_key": key,
        "year": year,
        "value": value,
        "value_shown": classified.shown,
        "level": classified.level.value,
        "explanation": classified.explanation,
        "thresholds": thresholds.describe(),
    }
