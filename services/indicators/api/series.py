"""Multi-year series: an indicator's value for the same period of every year (or every
period of its granularity), each against the same period last year, with a trend."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query
from pydantic import BaseModel, Field

from services.indicators import queries
from services.indicators.api.common import (
    AsOfDep,
    KeyPath,
    LangQuery,
    MunicipalityQuery,
    Reader,
    StateDep,
    resource_router,
    scope,
    value_out,
)
from services.indicators.api.schemas import ChangeOut, ValueOut
from services.indicators.dashboard.labels import texts
from services.indicators.docs import AS_OF
from services.indicators.domain.periods import FORMS
from services.indicators.domain.trends import SELECTORS
from shared.deps import RuntimeDep
from shared.http import problem_responses

router = resource_router()


class SeriesPointOut(ValueOut, ChangeOut):
    """One period's value with its change against the same period last year."""


class SeriesOut(BaseModel):
    municipality: str
    indicator_key: str
    as_of: str
    period: str | None = Field(description="The period of every year asked for")
    points: list[SeriesPointOut]


SelectorQuery = Annotated[
    str | None,
    Query(
        alias="period",
        description=f"Hvilken periode av hvert år. / Which period of every year: {SELECTORS}.",
        examples=["T1", "YTD", "R12-06", "year"],
    ),
]
FromQuery = Annotated[
    int | None,
    Query(
        alias="from",
        ge=1990,
        le=2100,
        description="Første år (standard fem år tilbake). / "
        "First year (default four years before `to`).",
    ),
]
ToQuery = Annotated[
    int | None,
    Query(
        alias="to",
        ge=1990,
        le=2100,
        description="Siste år (standard as-of-året). / Last year (default the as-of year).",
    ),
]


@router.get(
    "/series/{key}",
    response_model=SeriesOut,
    summary="Flerårig serie med trendpiler mot samme periode i fjor. / A multi-year series "
    "with trend arrows against the same period last year.",
    description="Indikatorens verdi for samme periode hvert år fra `from` til `to` (f.eks. "
    "`period=T1` for 1. tertial), hver med endring mot samme periode året før og trend "
    "(`up`, `down`, `flat`: av de publiserte, avrundede verdiene), om opp er bra "
    "(indikatorens retning) og vurderingen (`better`, `worse`, `unchanged`). Perioder som "
    "ikke har begynt på as-of-datoen tas ikke med; hittil i år kuttes ved as-of-datoen. / "
    "The indicator's value for the same period of every year from `from` to `to` (e.g. "
    "`period=T1` for the first tertial), each with its change against the same period the "
    "year before and a trend (`up`, `down`, `flat`, from the published, rounded values), "
    "whether up is good (the indicator's direction) and the assessment (`better`, "
    f"`worse`, `unchanged`). Periods not begun by the as-of date are left out; a year to "
    f"date is cut at the as-of date. Period texts elsewhere: {FORMS}.\n\n" + AS_OF,
    responses=problem_responses(401, 403, 422),
)
async def get_trend_series(
    key: KeyPath,
    runtime: RuntimeDep,
    state: StateDep,
    principal: Reader,
    as_of: AsOfDep,
    from_year: FromQuery = None,
    to_year: ToQuery = None,
    selector: SelectorQuery = None,
    municipality: MunicipalityQuery = None,
    lang: LangQuery = "nb",
) -> dict[str, Any]:
    where = scope(principal, municipality)
    _, points = await queries.trend_series_for(
        runtime, state, where, key, from_year, to_year, selector, as_of
    )
    catalog = texts()
    return {
        "municipality": where,
        "indicator_key": key,
        "as_of": as_of.label,
        "period": selector,
        "points": [
            {
                **value_out(value, where, as_of),
                **change.describe(),
                "trend_label": catalog.text(f"periods.trend.{change.trend}", lang)
                if change.trend
                else None,
                "assessment_label": catalog.text(f"periods.assessment.{change.assessment}", lang)
                if change.assessment
                else None,
            }
            for value, change in points
        ],
    }
