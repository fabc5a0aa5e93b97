"""HTTP routes of the indicators service."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel

from services.indicators import application, queries
from services.indicators.asof import AsOf, AsOfError, parse_as_of
from services.indicators.catalogue import BUILT_INS
from services.indicators.docs import AS_OF, NATIONAL, SURVIVAL, THRESHOLDS
from services.indicators.exports import (
    MEMBER_HEADER,
    VALUE_HEADER,
    csv_response,
    member_rows,
    scorecard_rows,
    value_row,
)
from services.indicators.periods import Period
from services.indicators.plan import load_plan
from services.indicators.rules import RULES
from services.indicators.schemas import (
    CommentIn,
    Created,
    DrilldownOut,
    GoalChange,
    GoalIn,
    IndicatorChange,
    IndicatorIn,
    ManualValueIn,
    ScorecardOut,
    ThresholdsIn,
    ValueOut,
)
from services.indicators.scoring import IndicatorValue, Scorecard
from services.indicators.survival import MIN_EVENTS, MIN_SUBJECTS
from services.indicators.tables import indicator_levels, settlements
from shared.auth import Principal, require_roles
from shared.codes import AnyMunicipalityCode
from shared.deps import ExpectedVersionDep, IdempotencyKeyHeader, RuntimeDep
from shared.events import utcnow
from shared.http import problem_responses
from shared.problems import Forbidden, InvalidInput, field_error

router = APIRouter(prefix="/indicators", tags=["indicators"])

READERS = ("manager", "analyst", "caseworker", "agency")
PERSONAL_DATA_ROLES = frozenset({"caseworker", "manager"})
Reader = Annotated[Principal, Depends(require_roles(*READERS))]
Manager = Annotated[Principal, Depends(require_roles("manager"))]
Editor = Annotated[Principal, Depends(require_roles("manager", "analyst"))]
DrillDowner = Annotated[Principal, Depends(require_roles("manager", "analyst", "caseworker"))]
Agency = Annotated[Principal, Depends(require_roles("agency"))]


def get_state(request: Request) -> queries.IndicatorsState:
    state: queries.IndicatorsState = request.app.state.indicators
    return state


StateDep = Annotated[queries.IndicatorsState, Depends(get_state)]


def get_as_of(
    as_of: Annotated[
        str | None,
        Query(
            description="What was known then: a date (end of that day, Norwegian time) or a "
            "date-time with zone. Default now; the future is refused.",
            examples=["2025-03-01"],
        ),
    ] = None,
) -> AsOf:
    try:
        return parse_as_of(as_of, utcnow())
    except AsOfError as exc:
        raise InvalidInput(f"as_of: {exc}.", [field_error("as_of", str(exc))]) from exc


AsOfDep = Annotated[AsOf, Depends(get_as_of)]
MunicipalityQuery = Annotated[
    AnyMunicipalityCode | None,
    Query(
        description="Another municipality (agency role only), a kommunenummer of any division "
        "since 2020; default the token's.",
    ),
]
PeriodQuery = Annotated[str, Query(description="2025, 2025-Q2 or 2025-03", examples=["2025"])]
LangQuery = Annotated[str, Query(pattern="^(nb|en)$", description="Labels in CSV exports")]
FormatQuery = Annotated[str, Query(pattern="^(json|csv)$", description="json or csv")]
KeyPath = Annotated[str, Path(description="The municipality's indicator key")]


def scope(principal: Principal, municipality: str | None) -> str:
    """The municipality a question is about; only national roles may ask about others."""
    if municipality is None or municipality == principal.municipality:
        return principal.municipality
    if "agency" in principal.roles:
        return municipality
    raise Forbidden("Only national roles (agency) may look at another municipality.")


def _respond(response: Response, status: int, replayed: bool) -> None:
    response.status_code = status
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"


def value_out(value: IndicatorValue, municipality: str, as_of: AsOf) -> dict[str, Any]:
    return {**value.describe(), "municipality": municipality, "as_of": as_of.label}


# -- the first slice ------------------------------------------------------------------------


class SettlementCount(BaseModel):
    municipality: str
    year: int
    settled: int


@router.get(
    "/settlements",
    response_model=SettlementCount,
    summary="Persons settled in a year",
    description="Counts `participant.settled` events of the token's municipality whose "
    "`settled_on` falls in the calendar year.",
    responses=problem_responses(401, 403, 422),
)
async def settled_in_year(
    runtime: RuntimeDep,
    principal: Reader,
    year: Annotated[int, Query(ge=1990, le=2100, description="Calendar year, e.g. 2025")],
) -> SettlementCount:
    async with runtime.db.connect() as conn:
        count = await conn.scalar(
            sa.select(sa.func.count()).where(
                settlements.c.municipality == principal.municipality,
                settlements.c.settled_on >= date(year, 1, 1),
                settlements.c.settled_on < date(year + 1, 1, 1),
            )
        )
    return SettlementCount(municipality=principal.municipality, year=year, settled=int(count or 0))


# -- rules and the catalogue ----------------------------------------------------------------


@router.get(
    "/rules",
    summary="The built-in computed rules, documented",
    description="For each rule: what the value is, its numerator, denominator, exclusions, "
    "the date that places an event in a period, how as-of works, and its parameters "
    "(JSON Schema with defaults). The same text is in services/indicators/RULES.md.",
    responses=problem_responses(401, 403),
)
async def list_rules(principal: Reader) -> list[dict[str, Any]]:
    return [rule.describe() for rule in RULES.values()]


@router.get(
    "/catalogue",
    summary="The built-in indicators a municipality can adopt",
    description="Each is a rule with parameters, titles, unit, direction and granularity. "
    'Adopt one with `POST /indicators/definitions {"key": …, "from_catalogue": …}`.',
    responses=problem_responses(401, 403),
)
async def list_catalogue(principal: Reader) -> list[dict[str, Any]]:
    return [
        {
            "key": b.key,
            "title_nb": b.title_nb,
            "title_en": b.title_en,
            "rule": b.rule,
            "parameters": b.full_parameters(),
            "unit": b.unit.value,
            "direction": b.direction.value,
            "granularity": b.granularity.value,
            "decimals": b.decimals,
        }
        for b in BUILT_INS.values()
    ]


# -- indicator definitions --------------------------------------------------------------------


@router.get(
    "/definitions",
    summary="The municipality's indicators (as of a date)",
    responses=problem_responses(401, 403, 422),
)
async def list_definitions(
    runtime: RuntimeDep, principal: Reader, as_of: AsOfDep, municipality: MunicipalityQuery = None
) -> list[dict[str, Any]]:
    async with runtime.db.connect() as conn:
        plan = await load_plan(conn, scope(principal, municipality), as_of.moment)
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
    metadata = runtime.metadata(principal, request)
    change = IndicatorChange.model_validate(body.model_dump(exclude={"key"}, exclude_unset=True))
    result = await runtime.command(
        lambda conn: application.define_indicator(
            runtime, conn, metadata, body.key, change, redefine=False, expected=None
        ),
        principal=principal,
        request=request,
        body=body.model_dump(mode="json"),
    )
    _respond(response, result.status_code, result.replayed)
    response.headers["Location"] = f"/indicators/definitions/{body.key}"
    return result.body


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
    async with runtime.db.connect() as conn:
        plan = await load_plan(conn, scope(principal, municipality), as_of.moment)
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
    metadata = runtime.metadata(principal, request)
    result = await runtime.command(
        lambda conn: application.define_indicator(
            runtime, conn, metadata, key, body, redefine=True, expected=expected
        ),
        principal=principal,
        request=request,
        body=body.model_dump(mode="json", exclude_unset=True),
    )
    _respond(response, result.status_code, result.replayed)
    return result.body


# -- thresholds --------------------------------------------------------------------------------


@router.put(
    "/definitions/{key}/thresholds",
    summary="Set the thresholds of the three levels for one or more years",
    description=THRESHOLDS
    + "\nA threshold set replaces the given years' earlier sets (kept as history for "
    "as-of questions). Overlapping, empty, duplicated or direction-contradicting bands, "
    "or an end without its inclusive flag: 422 naming the problem, nothing stored.",
    responses=problem_responses(401, 403, 409, 422),
)
async def set_thresholds(
    key: KeyPath,
    body: ThresholdsIn,
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    principal: Manager,
    expected: ExpectedVersionDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    metadata = runtime.metadata(principal, request)
    result = await runtime.command(
        lambda conn: application.set_thresholds(runtime, conn, metadata, key, body, expected),
        principal=principal,
        request=request,
        body=body.model_dump(mode="json"),
    )
    _respond(response, result.status_code, result.replayed)
    return result.body


@router.get(
    "/definitions/{key}/classify",
    summary="Which level a value would get in a year",
    description="Applies the year's thresholds to `value` exactly as a computed value is "
    "classified (the unrounded value; rounding to the indicator's decimals is only for "
    "display), with the explanation.",
    responses=problem_responses(401, 403, 422),
)
async def classify(
    key: KeyPath,
    runtime: RuntimeDep,
    principal: Reader,
    as_of: AsOfDep,
    value: Annotated[float, Query(description="The value to classify")],
    year: Annotated[int, Query(ge=1990, le=2100)],
    municipality: MunicipalityQuery = None,
) -> dict[str, Any]:
    async with runtime.db.connect() as conn:
        plan = await load_plan(conn, scope(principal, municipality), as_of.moment)
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


# -- comments and manual values ----------------------------------------------------------------


@router.get(
    "/definitions/{key}/comments",
    summary="Comments on an indicator (as of a date)",
    responses=problem_responses(401, 403, 422),
)
async def list_comments(
    key: KeyPath,
    runtime: RuntimeDep,
    principal: Reader,
    as_of: AsOfDep,
    period: Annotated[str | None, Query(description="Only this period")] = None,
    municipality: MunicipalityQuery = None,
) -> list[dict[str, Any]]:
    where = scope(principal, municipality)
    async with runtime.db.connect() as conn:
        application.require_definition(await load_plan(conn, where, as_of.moment), key)
    wanted = str(application.parse_period(period)) if period else None
    return await queries.comments_for(runtime, where, as_of, key, wanted)


@router.post(
    "/definitions/{key}/comments",
    status_code=201,
    summary="Comment on an indicator for a period: what happened, what we do",
    responses=problem_responses(401, 403, 422),
)
async def add_comment(
    key: KeyPath,
    body: CommentIn,
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    principal: Editor,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    metadata = runtime.metadata(principal, request)
    result = await runtime.command(
        lambda conn: application.record_comment(runtime, conn, metadata, key, body),
        principal=principal,
        request=request,
        body=body.model_dump(mode="json"),
    )
    _respond(response, result.status_code, result.replayed)
    return result.body


@router.put(
    "/definitions/{key}/values/{period}",
    summary="Register the value of a manual or imported indicator for a period",
    description="Only for `manual` and `imported` indicators, and only for periods of the "
    "indicator's granularity. A later registration for the same period replaces it from "
    "then on; as-of questions before it still see the earlier value.",
    responses=problem_responses(401, 403, 422),
)
async def register_value(
    key: KeyPath,
    period: Annotated[str, Path(description="2025, 2025-Q2 or 2025-03")],
    body: ManualValueIn,
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    principal: Editor,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    metadata = runtime.metadata(principal, request)
    result = await runtime.command(
        lambda conn: application.record_manual_value(runtime, conn, metadata, key, period, body),
        principal=principal,
        request=request,
        body=body.model_dump(mode="json"),
    )
    _respond(response, result.status_code, result.replayed)
    return result.body


# -- goals ---------------------------------------------------------------------------------------


@router.get(
    "/goals",
    summary="The goal hierarchy (kommuneplan → økonomiplan → virksomhetsplan), as of a date",
    responses=problem_responses(401, 403, 422),
)
async def list_goals(
    runtime: RuntimeDep, principal: Reader, as_of: AsOfDep, municipality: MunicipalityQuery = None
) -> list[dict[str, Any]]:
    async with runtime.db.connect() as conn:
        plan = await load_plan(conn, scope(principal, municipality), as_of.moment)
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
    metadata = runtime.metadata(principal, request)
    change = GoalChange.model_validate(body.model_dump(exclude={"key"}))
    result = await runtime.command(
        lambda conn: application.define_goal(
            runtime, conn, metadata, body.key, change, revise=False, expected=None
        ),
        principal=principal,
        request=request,
        body=body.model_dump(mode="json"),
    )
    _respond(response, result.status_code, result.replayed)
    return result.body


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
    metadata = runtime.metadata(principal, request)
    result = await runtime.command(
        lambda conn: application.define_goal(
            runtime, conn, metadata, key, body, revise=True, expected=expected
        ),
        principal=principal,
        request=request,
        body=body.model_dump(mode="json"),
    )
    _respond(response, result.status_code, result.replayed)
    return result.body


# -- values ------------------------------------------------------------------------------------


@router.get(
    "/values/{key}",
    response_model=ValueOut,
    summary="An indicator's value for any period, as known on any date",
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
    _, value = await queries.value_for(runtime, state, where, key, wanted, as_of)
    return value_out(value, where, as_of)


@router.get(
    "/values/{key}/series",
    summary="An indicator's values per period of its granularity, with thresholds",
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
) -> Any:
    where = scope(principal, municipality)
    _, values = await queries.series_for(runtime, state, where, key, from_year, to_year, as_of)
    if format == "csv":
        return csv_response(f"{key}-series.csv", VALUE_HEADER, [value_row(v, lang) for v in values])
    return {
        "municipality": where,
        "indicator_key": key,
        "as_of": as_of.label,
        "points": [value_out(v, where, as_of) for v in values],
    }


def drilldown_body(
    value: IndicatorValue, where: str, as_of: AsOf, principal: Principal
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
    summary="The participants or households behind a value, with why each is in or out",
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
) -> Any:
    where = principal.municipality
    wanted = application.parse_period(period)
    _, value = await queries.value_for(runtime, state, where, key, wanted, as_of)
    if format == "csv":
        members = value.result.members if value.result else ()
        return csv_response(
            f"{key}-{wanted}-drilldown.csv", MEMBER_HEADER, member_rows(members, lang)
        )
    return drilldown_body(value, where, as_of, principal)


def scorecard_body(card: Scorecard, as_of: AsOf) -> dict[str, Any]:
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
                "indicators": [value_out(v, card.municipality, as_of) for v in goal_card.values],
            }
            for goal_card in card.goals
        ],
        "ungrouped": [value_out(v, card.municipality, as_of) for v in card.ungrouped],
        "unknown_indicator_keys": card.unknown_keys,
    }


@router.get(
    "/scorecard",
    response_model=ScorecardOut,
    summary="The MRS scorecard: goals with traffic lights and their indicators",
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
) -> Any:
    where = scope(principal, municipality)
    wanted = application.parse_period(period)
    _, card = await queries.scorecard_for(runtime, state, where, wanted, as_of)
    if format == "csv":
        header, rows = scorecard_rows(card, lang)
        return csv_response(f"scorecard-{where}-{wanted}.csv", header, rows)
    return scorecard_body(card, as_of)


# -- levels and their evaluation ------------------------------------------------------------------


@router.get(
    "/levels",
    summary="The levels last published (indicator.level_changed) for the municipality",
    responses=problem_responses(401, 403, 422),
)
async def list_levels(
    runtime: RuntimeDep,
    principal: Reader,
    period: Annotated[str | None, Query()] = None,
    municipality: MunicipalityQuery = None,
) -> list[dict[str, Any]]:
    where = scope(principal, municipality)
    query = sa.select(indicator_levels).where(indicator_levels.c.municipality == where)
    if period is not None:
        query = query.where(indicator_levels.c.period == str(application.parse_period(period)))
    async with runtime.db.connect() as conn:
        rows = (await conn.execute(query.order_by("indicator_key", "period"))).all()
    return [
        {
            "indicator_key": r.indicator_key,
            "period": r.period,
            "level": r.level,
            "value": r.value,
            "version": r.version,
            "recorded_at": r.recorded_at.isoformat(),
        }
        for r in rows
    ]


@router.post(
    "/evaluations",
    summary="Re-evaluate the municipality's levels now",
    description="The service evaluates levels in the background after every applied event "
    "(see the `indicator.level_changed` event in /asyncapi.json). This runs the same "
    "evaluation at once and returns the changes it published.",
    responses=problem_responses(401, 403),
)
async def evaluate_now(request: Request, principal: Manager) -> dict[str, Any]:
    evaluator = request.app.state.evaluator
    changes = await evaluator.evaluate(principal.municipality)
    return {"municipality": principal.municipality, "changes": [c.describe() for c in changes]}


# -- national comparison ---------------------------------------------------------------------------


@router.get(
    "/national/{key}",
    summary="One built-in indicator across all municipalities, ranked, with size peers",
    description=NATIONAL
    + ". `municipality` picks one to focus on: its entry and its peers are returned too.",
    responses=problem_responses(401, 403, 422),
)
async def national(
    key: Annotated[str, Path(description="A built-in indicator key (GET /indicators/catalogue)")],
    period: PeriodQuery,
    runtime: RuntimeDep,
    state: StateDep,
    principal: Agency,
    as_of: AsOfDep,
    municipality: MunicipalityQuery = None,
    format: FormatQuery = "json",
) -> Any:
    wanted = application.parse_period(period)
    entries = await queries.national_for(runtime, state, key, wanted, as_of)
    if format == "csv":
        header = list(entries[0].describe()) if entries else ["municipality"]
        return csv_response(
            f"national-{key}-{wanted}.csv", header, [list(e.describe().values()) for e in entries]
        )
    focus = next((e for e in entries if e.municipality == municipality), None)
    return {
        "indicator_key": key,
        "period": str(wanted),
        "as_of": as_of.label,
        "direction": BUILT_INS[key].direction.value,
        "size": "persons settled in the five years up to the period's end",
        "entries": [e.describe() for e in entries],
        "focus": focus.describe() if focus else None,
        "peers": [
            e.describe()
            for e in entries
            if focus is not None and e.peer_group == focus.peer_group and e is not focus
        ],
    }


# -- survival ---------------------------------------------------------------------------------------


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
    from_year: Annotated[int, Query(ge=1990, le=2100)],
    to_year: Annotated[int, Query(ge=1990, le=2100)],
    municipality: MunicipalityQuery = None,
    format: FormatQuery = "json",
) -> Any:
    _years(from_year, to_year)
    where = scope(principal, municipality)
    curves, quality = await queries.kaplan_meier_for(runtime, where, from_year, to_year, as_of)
    if format == "csv":
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
            ],
            [
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
                ]
                for c in curves
                for p in c["points"]
            ],
        )
    return {
        "municipality": where,
        "as_of": as_of.label,
        "cohorts": curves,
        "complete": as_of.last_complete_day >= as_of.known_on,
        "confidence_level": 0.95,
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
    from_year: Annotated[int, Query(ge=1990, le=2100)],
    to_year: Annotated[int, Query(ge=1990, le=2100)],
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
