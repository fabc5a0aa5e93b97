"""Time from settlement to work or education: Kaplan–Meier and expected vs observed."""

from __future__ import annotations

from collections.abc import Mapping
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
from services.indicators.domain.asof import AsOf
from services.indicators.domain.suppression import DEFAULT_MIN_N, SYMBOL
from services.indicators.domain.survival import MIN_EVENTS, MIN_SUBJECTS, protect_curves
from services.indicators.exports import csv_response
from services.indicators.loader import suppression_thresholds
from shared.auth import Principal
from shared.csvio import HeadersQuery
from shared.deps import RuntimeDep
from shared.http import problem_responses
from shared.problems import InvalidInput, field_error
from shared.service import Runtime

router = resource_router()


def _years(from_year: int, to_year: int) -> None:
    if from_year > to_year:
        raise InvalidInput(
            "from_year is after to_year.", [field_error("from_year", "must not exceed to_year")]
        )


@router.get(
    "/survival/kaplan-meier",
    summary="Kaplan–Meier: tid fra bosetting til første arbeid eller utdanning, per kull / "
    "Kaplan–Meier: time from settlement to first work or education, per cohort",
    description=SURVIVAL,
    responses=problem_responses(401, 403, 422),
)
async def get_kaplan_meier(
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


ROW_FIGURES = (
    "persons",
    "observed_transitions",
    "expected_transitions",
    "observed_to_expected",
    "observed_median_days",
    "expected_median_days",
    "small_sample",
)


def protect_model(
    model: Mapping[str, Any], thresholds: Mapping[str, int], own: str | None, agency: bool
) -> dict[str, Any]:
    """The expected-vs-observed model as it may leave each municipality.

    ``own``'s row is the caller's and shown whole. An agency sees every other row, but a
    row whose persons or transitions are below that municipality's threshold
    (``thresholds``, absent: the floor) has every figure hidden (``suppressed``); a
    non-agency sees no other row. The national ``persons`` and ``transitions`` are
    hidden when the rows not shown add up to fewer persons or transitions than the
    highest threshold among them (complementary suppression by hiding the total: the
    total minus the shown rows would give one hidden row, or a handful of people, back).
    The expected figures of a hidden row are hidden too: the model's expected sum equals
    the observed sum, so they would give its transitions back.
    """
    rows: list[dict[str, Any]] = []
    withheld: list[tuple[Mapping[str, Any], int]] = []
    for row in model["municipalities"]:
        municipality = row["municipality"]
        min_n = max(thresholds.get(municipality, DEFAULT_MIN_N), DEFAULT_MIN_N)
        if municipality == own:
            rows.append({**row, "suppressed": False})
        elif not agency:
            withheld.append((row, min_n))
        elif row["persons"] < min_n or row["observed_transitions"] < min_n:
            withheld.append((row, min_n))
            rows.append(
                {
                    "municipality": municipality,
                    **dict.fromkeys(ROW_FIGURES),
                    "suppressed": True,
                }
            )
        else:
            rows.append({**row, "suppressed": False})
    needed = max((n for _, n in withheld), default=0)
    totals_hidden = bool(withheld) and (
        sum(r["persons"] for r, _ in withheld) < needed
        or sum(r["observed_transitions"] for r, _ in withheld) < needed
    )
    out = {**model, "municipalities": rows}
    if totals_hidden:
        out["persons"] = out["transitions"] = None
    out["suppression"] = {
        "rows_hidden": sum(r["suppressed"] for r in rows),
        "totals_hidden": totals_hidden,
        "symbol": SYMBOL,
    }
    return out


async def model_for(
    runtime: Runtime, model: Mapping[str, Any], principal: Principal, as_of: AsOf
) -> dict[str, Any]:
    """:func:`protect_model` with each municipality's threshold in force at the as-of
    moment (one read for all of them)."""
    async with runtime.db.snapshot() as conn:
        thresholds = await suppression_thresholds(conn, as_of.moment)
    return protect_model(model, thresholds, principal.municipality, "agency" in principal.roles)


async def fitted_model(
    runtime: Runtime, state: queries.IndicatorsState, from_year: int, to_year: int, as_of: AsOf
) -> dict[str, Any]:
    """:func:`queries.expected_vs_observed_for`, but a 422 for too little data names only
    the minimum: its counts are the country's, and for a narrow range of cohorts they may
    be one municipality's few persons."""
    try:
        return await queries.expected_vs_observed_for(runtime, state, from_year, to_year, as_of)
    except InvalidInput as exc:
        # The domain's reason for too little data carries the counts (domain/survival.py).
        if "too little data" not in exc.detail:
            raise
        raise InvalidInput(
            "The expected-vs-observed model cannot be fitted: too little data; it needs at "
            f"least {MIN_SUBJECTS} persons and {MIN_EVENTS} transitions to work or "
            "education.",
            [field_error("from_year", "too little data to fit the model", "insufficient_data")],
        ) from None


@router.get(
    "/survival/expected-vs-observed",
    summary="Forventet og observert tid til arbeid eller utdanning (Cox-modell på nasjonale data) "
    "/ Expected vs observed time to work or education (Cox model on the national data)",
    description=SURVIVAL
    + f"\nInputs per person: age group (18–24, 25–34, 35–44, 45–55), gender, arrival "
    "category, education level (compulsory or less / upper secondary / higher / unknown) "
    "and Norwegian level at start (best test result by programme start, or by 92 days "
    "after settlement, or the first competence profile: below A2 / A2 / B1 or above / "
    "unknown). Reference groups: 25–34, female, resettlement refugee, unknown education, "
    f"unknown Norwegian. At least {MIN_SUBJECTS} persons and {MIN_EVENTS} transitions are "
    "needed; with less the answer is 422 with the reason. Agencies see every municipality; "
    "others see the model and their own municipality. Another municipality's row with "
    "fewer persons or transitions than its plan's suppression threshold has its figures "
    "hidden (`suppressed`), and the national `persons` and `transitions` are hidden when "
    "the rows not shown add up to fewer than that threshold.",
    responses=problem_responses(401, 403, 422),
)
async def get_expected_vs_observed(
    runtime: RuntimeDep,
    state: StateDep,
    principal: Reader,
    as_of: AsOfDep,
    from_year: YearQuery,
    to_year: YearQuery,
) -> dict[str, Any]:
    _years(from_year, to_year)
    model = await fitted_model(runtime, state, from_year, to_year, as_of)
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
    model = await model_for(runtime, model, principal, as_of)
    return {**model, "as_of": as_of.label, "from_year": from_year, "to_year": to_year}
