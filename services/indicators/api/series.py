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
from services.indicators.domain.scoring import IndicatorValue
from services.indicators.domain.suppression import protect
from services.indicators.domain.trends import SELECTORS, Change
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
    known, points = await queries.trend_series_for(
        runtime, state, where, key, from_year, to_year, selector, as_of
    )
    min_n = known.plan.settings.suppression_min_n
    outside = principal.municipality != where
    catalog = texts()

    def against_last_year(
        value: IndicatorValue, previous: IndicatorValue | None, change: Change
    ) -> dict[str, Any]:
        described = change.describe()
        hidden = [v for v in (value, previous) if v is not None and protect(v, min_n).suppressed]
        if not (outside and hidden):
            return described
        # Either side hidden: the change (or last year's figure) would give it back.
        for field in ("previous", "change", "change_percent", "trend", "arrow", "assessment"):
            described[field] = None
        return described

    return {
        "municipality": where,
        "indicator_key": key,
        "as_of": as_of.label,
        "period": selector,
        "points": [
            {
                **value_out(value, where, as_of, principal, min_n),
                **(shown := against_last_year(value, previous, change)),
                "trend_label": catalog.text(f"periods.trend.{shown['trend']}", lang)
                if shown["trend"]
                else None,
                "assessment_label": catalog.text(f"periods.assessment.{shown['assessment']}", lang)
                if shown["assessment"]
                else None,
            }
            for value, previous, change in points
        ],
    }
