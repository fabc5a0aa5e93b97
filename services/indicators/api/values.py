"""Values: one indicator's for a period, its series, the units behind a value, and the
scorecard of every indicator of the plan for a period."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import Query

from services.indicators import application, queries
from services.indicators.api.common import (
    PERSONAL_DATA_ROLES,
    AsOfDep,
    DrillDowner,
    FormatQuery,
    KeyPath,
    LangQuery,
    MunicipalityQuery,
    PeriodQuery,
    Reader,
    StateDep,
    resource_router,
    scope,
    value_out,
)
from services.indicators.api.comparisons import comparisons_for
from services.indicators.api.schemas import DrilldownOut, ScorecardOut, ValueOut
from services.indicators.dashboard.labels import content_lang
from services.indicators.docs import AS_OF
from services.indicators.domain.asof import AsOf
from services.indicators.domain.scoring import IndicatorValue, Scorecard
from services.indicators.domain.suppression import DEFAULT_MIN_N, protect
from services.indicators.domain.trends import Change
from services.indicators.exports import (
    MEMBER_HEADER,
    VALUE_HEADER,
    csv_response,
    member_rows,
    scorecard_rows,
    value_row,
)
from shared.auth import Principal
from shared.csvio import HeadersQuery
from shared.deps import RuntimeDep
from shared.http import problem_responses

router = resource_router()


@router.get(
    "/values/{key}",
    response_model=ValueOut,
    summary="En indikators verdi for en periode, slik den var kjent på en dato / An indicator's "
    "value for any period, as known on any date",
    description="Computed indicators are evaluated by their rule (GET /indicators/rules); "
    "manual and imported ones return the value registered for the period. The level uses "
    "the thresholds of the period's year, if the period has the indicator's granularity.\n\n"
    + AS_OF,
    responses=problem_responses(401, 403, 422),
)
async def get_value(
    key: KeyPath,
    period: PeriodQuery,
    runtime: RuntimeDep,
    state: StateDep,
    principal: Reader,
    as_of: AsOfDep,
    municipality: MunicipalityQuery = None,
) -> dict[str, Any]:
    where = scope(principal, municipality)
    wanted = application.parse_period(period)
    known, value = await queries.value_for(runtime, state, where, key, wanted, as_of)
    body = value_out(value, where, as_of, principal, known.plan.settings.suppression_min_n)
    found = await comparisons_for(runtime, where, [(key, str(value.period))], as_of.moment)
    body["comparisons"] = found.get((key, str(value.period)), [])
    return body


@router.get(
    "/values/{key}/series",
    summary="En indikators verdier per periode i dens oppløsning, med terskler / An indicator's "
    "values per period of its granularity, with thresholds",
    description="Every period of the indicator's granularity from `from_year` to `to_year` "
    "(default the five years up to the as-of date) that has started by the as-of date.",
    responses=problem_responses(401, 403, 422),
)
async def get_series(
    key: KeyPath,
    runtime: RuntimeDep,
    state: StateDep,
    principal: Reader,
    as_of: AsOfDep,
    from_year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
    to_year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
    municipality: MunicipalityQuery = None,
    format: FormatQuery = "json",
    lang: LangQuery = "nb",
    headers: HeadersQuery = "labels",
) -> Any:
    where = scope(principal, municipality)
    known, values = await queries.series_for(runtime, state, where, key, from_year, to_year, as_of)
    min_n = known.plan.settings.suppression_min_n
    if format == "csv":
        return csv_response(
            f"{key}-series.csv",
            VALUE_HEADER,
            [value_row(v, content_lang(lang), min_n) for v in values],
            lang,
            headers,
        )
    return {
        "municipality": where,
        "indicator_key": key,
        "as_of": as_of.label,
        "points": [value_out(v, where, as_of, principal, min_n) for v in values],
    }


def drilldown_body(
    value: IndicatorValue,
    where: str,
    as_of: AsOf,
    principal: Principal,
    reserved: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    result = value.result
    members = result.members if result else ()
    personal = principal.has_any(PERSONAL_DATA_ROLES)
    return {
        "municipality": where,
        "indicator_key": value.definition.key,
        "period": str(value.period),
        "as_of": as_of.label,
        "value": value.value,
        "numerator": result.numerator if result else None,
        "denominator": result.denominator if result else None,
        "in_numerator": sum(m.in_numerator for m in members),
        "in_denominator_only": sum(m.in_denominator and not m.in_numerator for m in members),
        "left_out": sum(not m.in_denominator and not m.in_numerator for m in members),
        "complete": value.period_complete,
        "data_quality": dict(result.data_quality) if result else {},
        "personal_data": "Only pseudonymous ids live here; names and national ids stay in the "
        "participants service"
        + (", where your role may look them up (participant_url)." if personal else "."),
        "members": [
            {
                "subject": m.subject,
                "id": m.id,
                "participant_id": m.participant_id,
                "household_id": m.household_id,
                "in_denominator": m.in_denominator,
                "in_numerator": m.in_numerator,
                "reason_code": m.reason_code,
                "reason": m.reason("en"),
                "reason_nb": m.reason("nb"),
                "on": m.on.isoformat() if m.on else None,
                "amount": m.amount,
                "research_reservation": m.participant_id is not None
                and str(m.participant_id) in reserved,
                "participant_url": f"/participants/{m.participant_id}"
                if personal and m.participant_id
                else None,
            }
            for m in members
        ],
    }


@router.get(
    "/values/{key}/drilldown",
    response_model=DrilldownOut,
    summary="Deltakerne eller husstandene bak en verdi, og hvorfor hver er med eller ikke / The "
    "participants or households behind a value, with why each is in or out",
    description="Every unit the rule looked at: in the numerator, only in the denominator, "
    "or left out, each with a reason code and text (English and bokmål) and the date that "
    "placed it in the period. Ids are pseudonymous; personal data lives in the participants "
    "service (caseworkers and managers get a `participant_url` there). Not for the agency "
    "role. `format=csv` exports the list.",
    responses=problem_responses(401, 403, 422),
)
async def get_drilldown(
    key: KeyPath,
    period: PeriodQuery,
    runtime: RuntimeDep,
    state: StateDep,
    principal: DrillDowner,
    as_of: AsOfDep,
    format: FormatQuery = "json",
    lang: LangQuery = "nb",
    headers: HeadersQuery = "labels",
) -> Any:
    where = principal.municipality
    wanted = application.parse_period(period)
    _, value = await queries.value_for(runtime, state, where, key, wanted, as_of)
    reserved = await queries.research_reserved(runtime, where)
    if format == "csv":
        members = value.result.members if value.result else ()
        return csv_response(
            f"{key}-{wanted}-drilldown.csv",
            MEMBER_HEADER,
            member_rows(members, content_lang(lang), reserved),
            lang,
            headers,
        )
    return drilldown_body(value, where, as_of, principal, reserved)


def scorecard_body(
    card: Scorecard,
    as_of: AsOf,
    principal: Principal | None = None,
    changes: Mapping[str, Change] | None = None,
    min_n: int = DEFAULT_MIN_N,
    last_year: Mapping[str, IndicatorValue] | None = None,
) -> dict[str, Any]:
    """The scorecard as JSON. For a caller of another municipality ``against_last_year`` is
    null unless both years have a value and both are shown: 8 − 5 would give a hidden 3
    back, and a change beside a hidden value gives last year's back. ``last_year``
    (indicator key → last year's value) says whether last year's is hidden; without it
    every change is null for such a caller."""
    outside = principal is None or principal.municipality != card.municipality

    def hides(key: str, value: IndicatorValue) -> bool:
        if not outside:
            return False
        before = (last_year or {}).get(key)
        # Shown only with both years' values there and shown: a change with a missing side
        # says nothing, and beside a hidden side it gives that side back.
        return (
            before is None
            or value.value is None
            or before.value is None
            or protect(value, min_n).suppressed
            or protect(before, min_n).suppressed
        )

    def out(value: IndicatorValue) -> dict[str, Any]:
        body = value_out(value, card.municipality, as_of, principal, min_n)
        key = value.definition.key
        change = (changes or {}).get(key)
        if change is not None:
            # Hidden whole, as it always was for another municipality before both years
            # were known: a half-filled change would still say that one side is small.
            body["against_last_year"] = None if hides(key, value) else change.describe()
        return body

    return {
        "municipality": card.municipality,
        "period": str(card.period),
        "as_of": as_of.label,
        "known_on": card.known_on.isoformat(),
        "complete": card.complete,
        "goals": [
            {
                **{
                    k: v
                    for k, v in goal_card.goal.describe().items()
                    if k not in ("indicator_keys", "version", "configured_after_as_of")
                },
                "depth": goal_card.depth,
                "level": goal_card.level.value if goal_card.level else None,
                "indicators": [out(v) for v in goal_card.values],
            }
            for goal_card in card.goals
        ],
        "ungrouped": [out(v) for v in card.ungrouped],
        "unknown_indicator_keys": card.unknown_keys,
    }


@router.get(
    "/scorecard",
    response_model=ScorecardOut,
    summary="MRS-målekortet: mål med trafikklys og indikatorene deres / The MRS scorecard: goals "
    "with traffic lights and their indicators",
    description="Only goals whose years overlap the period, in the plan as it stood at the "
    "as-of moment. Each indicator counts only facts of the scorecard's period: an indicator "
    "as coarse as the period or coarser is computed for the period itself (a yearly "
    "indicator on a quarter scorecard counts that quarter, without thresholds); a finer one "
    "for its own period containing the reference day — the period's last day, or the as-of "
    "date if earlier. Levels use that year's thresholds. A goal's light is the worst "
    "classified indicator of the goal and of the goals under it. `complete` is false while "
    "the period reaches into today. `format=csv` exports the table.",
    responses=problem_responses(401, 403, 422),
)
async def get_scorecard(
    period: PeriodQuery,
    runtime: RuntimeDep,
    state: StateDep,
    principal: Reader,
    as_of: AsOfDep,
    municipality: MunicipalityQuery = None,
    format: FormatQuery = "json",
    lang: LangQuery = "nb",
    headers: HeadersQuery = "labels",
) -> Any:
    where = scope(principal, municipality)
    wanted = application.parse_period(period)
    known, card = await queries.scorecard_for(runtime, state, where, wanted, as_of)
    if format == "csv":
        header, rows = scorecard_rows(
            card, content_lang(lang), known.plan.settings.suppression_min_n
        )
        return csv_response(f"scorecard-{where}-{wanted}.csv", header, rows, lang, headers)
    changes = queries.scorecard_trends(known, card, as_of)
    last_year: dict[str, IndicatorValue] | None = None
    if principal.municipality != where:
        # Last year's values say which changes would give a hidden value back.
        _, before = await queries.scorecard_for(
            runtime, state, where, card.period.same_period_last_year(), as_of
        )
        last_year = {
            v.definition.key: v
            for v in [*(v for g in before.goals for v in g.values), *before.ungrouped]
        }
    body = scorecard_body(
        card, as_of, principal, changes, known.plan.settings.suppression_min_n, last_year
    )
    shown = [v for g in body["goals"] for v in g["indicators"]] + body["ungrouped"]
    pairs = [(str(v["indicator_key"]), str(v["period"])) for v in shown]
    found = await comparisons_for(runtime, where, pairs, as_of.moment)
    for v, pair in zip(shown, pairs, strict=True):
        v["comparisons"] = found.get(pair, [])
    return body
