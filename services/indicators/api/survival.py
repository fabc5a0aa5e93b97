"""Time from settlement to work or education: Kaplan–Meier and expected vs observed."""

from __future__ import annotations

from typing import Any

from services.indicators import queries
from services.indicators.api.common import (
    AsOfDep,
    FormatQuery,
    LangQuery,
    MunicipalityQuery,
    Reader,
    StateDep,
    YearQuery,
    plan_as_of,
    resource_router,
    scope,
)
from services.indicators.docs import SURVIVAL
from services.indicators.domain.suppression import DEFAULT_MIN_N, SYMBOL
from services.indicators.domain.survival import MIN_EVENTS, MIN_SUBJECTS, protect_curves
from services.indicators.exports import csv_response
from shared.csvio import HeadersQuery
from shared.deps import RuntimeDep
from shared.http import problem_responses
from shared.problems import InvalidInput, field_error

router = resource_router()


def _years(from_year: int, to_year: int) -> None:
    if from_year > to_year:
        raise InvalidInput(
            "from_year is after to_year.", [field_error("from_year", "must not exceed to_year")]
        )


@router.get(
    "/survival/kaplan-meier",
    summary="Kaplan–Meier: time from settlement to first work or education, per cohort",
    description=SURVIVAL,
    responses=problem_responses(401, 403, 422),
)
async def kaplan_meier(
    runtime: RuntimeDep,
    principal: Reader,
    as_of: AsOfDep,
    from_year: YearQuery,
    to_year: YearQuery,
    municipality: MunicipalityQuery = None,
    format: FormatQuery = "json",
    lang: LangQuery = "nb",
    headers: HeadersQuery = "labels",
) -> Any:
    _years(from_year, to_year)
    where = scope(principal, municipality)
    curves, quality = await queries.kaplan_meier_for(runtime, where, from_year, to_year, as_of)
    leaves = format == "csv" or where != principal.municipality
    min_n = DEFAULT_MIN_N
    if leaves:
        # Small-number suppression (domain.suppression) by the municipality's own plan: the
        # answer leaves the municipality.
        min_n = (await plan_as_of(runtime, principal, where, as_of)).settings.suppression_min_n
        curves = protect_curves(curves, min_n)
    if format == "csv":
        figures = 8
        return csv_response(
            f"kaplan-meier-{where}.csv",
            [
                "cohort",
                "day",
                "survival",
                "survival_lower_95",
                "survival_upper_95",
                "share_in_work_or_education",
                "at_risk",
                "events",
                "censored",
                "uncertain",
                "suppressed",
            ],
            [[c["cohort"], *[SYMBOL] * figures, True, True] for c in curves if c["suppressed"]]
            + [
                [
                    c["cohort"],
                    p["day"],
                    p["survival"],
                    p["survival_lower_95"],
                    p["survival_upper_95"],
                    p["share_in_work_or_education"],
                    p["at_risk"],
                    p["events"],
                    p["censored"],
                    p["uncertain"],
                    False,
                ]
                for c in curves
                for p in c["points"]
            ],
            lang,
            headers,
        )
    return {
        "municipality": where,
        "as_of": as_of.label,
        "cohorts": curves,
        "complete": as_of.last_complete_day >= as_of.known_on,
        "confidence_level": 0.95,
        "suppression": {"applied": leaves, "min_n": min_n, "symbol": SYMBOL},
        "data_quality": quality.describe(),
        "note": None if curves else "nobody of programme age was settled in these years",
    }


@router.get(
    "/survival/expected-vs-observed",
    summary="Expected vs observed time to work or education (Cox model on the national data)",
    description=SURVIVAL
    + f"\nInputs per person: age group (18–24, 25–34, 35–44, 45–55), gender, arrival "
    "category, education level (compulsory or less / upper secondary / higher / unknown) "
    "and Norwegian level at start (best test result by programme start, or by 92 days "
    "after settlement, or the first competence profile: below A2 / A2 / B1 or above / "
    "unknown). Reference groups: 25–34, female, resettlement refugee, unknown education, "
    f"unknown Norwegian. At least {MIN_SUBJECTS} persons and {MIN_EVENTS} transitions are "
    "needed; with less the answer is 422 with the reason. Agencies see every municipality; "
    "others see the model and their own municipality.",
    responses=problem_responses(401, 403, 422),
)
async def expected_vs_observed(
    runtime: RuntimeDep,
    state: StateDep,
    principal: Reader,
    as_of: AsOfDep,
    from_year: YearQuery,
    to_year: YearQuery,
) -> dict[str, Any]:
    _years(from_year, to_year)
    model = await queries.expected_vs_observed_for(runtime, state, from_year, to_year, as_of)
    if "agency" not in principal.roles:
        own = [m for m in model["municipalities"] if m["municipality"] == principal.municipality]
        if not own:
            raise InvalidInput(
                f"No one of programme age was settled in {principal.municipality} in "
                f"{from_year}–{to_year}; there is nothing to compare.",
                [
                    field_error(
                        "from_year", "no participants in this municipality", "insufficient_data"
                    )
                ],
            )
        model = {**model, "municipalities": own}
    return {**model, "as_of": as_of.label, "from_year": from_year, "to_year": to_year}
