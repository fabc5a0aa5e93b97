"""Settlement planning against the housing stock: the year's plan, the capacity forecast,
the preparedness plan's measures, the integration grant and the report for a meeting."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncConnection

from services.housing.api.common import Body, Day, Reader, command_route, fields
from services.housing.application import settlement_plans as use
from services.housing.domain.settlement_plan import MonthInput
from services.housing.events import MeasureKind, MeasureOwner
from services.housing.reports import settlement as report
from shared.auth import Principal, require_roles
from shared.deps import RuntimeDep
from shared.http import problem_responses
from shared.i18n import Locale

router = APIRouter(prefix="/housing/settlement-plans", tags=["settlement planning"])

Planner = Annotated[Principal, Depends(require_roles("housing_officer", "manager"))]
"""Housing officers and managers record the settlement process and the measures."""

Year = Annotated[int, Path(ge=2000, le=2199, description="The settlement year")]

# Wide bounds let a negative or absurd count reach the domain's rule (settlement-count,
# with its code) while a number no JSON client means is refused by validation.
Count = Annotated[int, Field(ge=-1_000_000, le=1_000_000)]

READ_PROBLEMS = problem_responses(401, 403, 404, 422)


class HouseholdsOfSize(Body):
    size: Count = Field(description="Persons in the household")
    households: Count


class SettlementRequestBody(Body):
    requested_on: Day = Field(description="The day IMDi's request (anmodning) came")
    singles: Count = Field(description="Single adults asked for")
    families: list[HouseholdsOfSize] = Field(
        default_factory=list, max_length=25, description="Families (two persons or more) by size"
    )
    unaccompanied_minors: Count = Field(default=0, description="Enslige mindreårige")


class SettlementDecisionBody(Body):
    decided_on: Day = Field(description="The day of the council's decision (vedtak)")
    persons: Count = Field(description="Persons the municipality will settle in the year")
    unaccompanied_minors: Count = Field(default=0, description="Of the persons")


class PlannedMonthBody(Body):
    month: Count = Field(description="1–12")
    households: list[HouseholdsOfSize] = Field(default_factory=list, max_length=25)
    unaccompanied_minors: Count = 0


class MonthlyPlanBody(Body):
    planned_on: Day
    months: list[PlannedMonthBody] = Field(max_length=24)


class MeasureBody(Body):
    kind: MeasureKind = Field(
        description="referral_agreement (private rental with tilvisningsavtale), host_family "
        "(vertsfamilie), purchase, rent_to_own_turnover"
    )
    rooms: Count = Field(description="Rooms of the dwellings it adds")
    quantity: Count = Field(description="Dwellings (or host families) it adds")
    decided_on: Day
    lead_time_months: Count = Field(description="Months from the decision until they are ready")
    owner: MeasureOwner = Field(description="The unit answerable for it")


class WithdrawalBody(Body):
    withdrawn_on: Day


def _pairs(counts: list[HouseholdsOfSize]) -> tuple[tuple[int, int], ...]:
    return tuple((c.size, c.households) for c in counts)


def _request(body: SettlementRequestBody) -> dict[str, Any]:
    return {**fields(body), "families": _pairs(body.families)}


def _monthly_plan(body: MonthlyPlanBody) -> dict[str, Any]:
    months = [
        MonthInput(m.month, _pairs(m.households), m.unaccompanied_minors) for m in body.months
    ]
    return {"planned_on": body.planned_on, "months": months}


YEAR = {"year": Year}

command_route(
    router,
    "POST",
    "/{year}/request",
    SettlementRequestBody,
    use.request_settlement,
    name="record_settlement_request",
    response_model=None,
    summary="Registrer IMDis anmodning for året, med husstandssammensetningen / Record IMDi's "
    "request (anmodning) for the year, with its household mix",
    description="Recording it again corrects it. Counts are checked (`settlement-count`); a "
    "request dated after the council's decision is refused (`decision-before-request`).",
    principal=Planner,
    arguments=_request,
    path_types=YEAR,
)

command_route(
    router,
    "POST",
    "/{year}/decision",
    SettlementDecisionBody,
    use.decide_settlement,
    name="record_settlement_decision",
    response_model=None,
    summary="Registrer kommunestyrets vedtak om hvor mange som skal bosettes / Record the "
    "council's decision (vedtak) on how many persons to settle",
    description="Needs the year's request and is dated on or after it "
    "(`decision-before-request`, 422); counts as for the request.",
    principal=Planner,
    path_types=YEAR,
)

command_route(
    router,
    "PUT",
    "/{year}/monthly-plan",
    MonthlyPlanBody,
    use.plan_settlement,
    name="set_monthly_plan",
    response_model=None,
    summary="Sett månedsplanen: husstander etter størrelse per måned / Set the monthly plan: "
    "households by size per month",
    description="Needs the decision (`plan-before-decision`). Over all months, size × "
    "households plus unaccompanied minors must equal the decided persons, and the minors the "
    "decided minors (`plan-sum`); each month once, 1–12.",
    principal=Planner,
    arguments=_monthly_plan,
    path_types=YEAR,
)

command_route(
    router,
    "POST",
    "/{year}/measures",
    MeasureBody,
    use.add_measure,
    name="add_settlement_measure",
    status_code=201,
    response_model=None,
    summary="Legg et tiltak til beredskapsplanen / Add a measure to the preparedness plan "
    "(beredskapsplan)",
    description="Dwellings of `rooms` rooms, `quantity` of them, ready `lead_time_months` "
    "after `decided_on`; the forecast counts them in that month.",
    principal=Planner,
    path_types=YEAR,
)

command_route(
    router,
    "POST",
    "/{year}/measures/{measure_id}/withdrawal",
    WithdrawalBody,
    use.withdraw_measure,
    name="withdraw_settlement_measure",
    response_model=None,
    summary="Trekk et tiltak fra beredskapsplanen / Withdraw a measure from the preparedness plan",
    principal=Planner,
    path_types=YEAR,
    exists=use.measure_visible,
)


@router.get(
    "/{year}",
    summary="Årets bosettingsplan: anmodning, vedtak, planlagte og bosatte måneder / The year's "
    "settlement plan: request, decision, months planned and settled",
    description="`settled_*` come from the participants service's `participant.settled` "
    "events (households by size; unaccompanied minors apart).",
    responses=READ_PROBLEMS,
)
async def get_settlement_plan(year: Year, runtime: RuntimeDep, principal: Reader) -> dict[str, Any]:
    async with runtime.db.snapshot() as conn:
        return await use.plan_view(conn, principal.municipality, year)


Starts = Annotated[
    str | None,
    Query(
        alias="from",
        pattern=r"^(19|20|21)\d{2}-(0[1-9]|1[0-2])$",
        description="First month, YYYY-MM (default: January of the year)",
    ),
]


def _first_month(value: str | None) -> date | None:
    if value is None:
        return None
    year, month = value.split("-")
    return date(int(year), int(month), 1)


Months = Annotated[int, Query(ge=1, le=24, description="Months ahead (12–24 for planning)")]
Window = Annotated[
    int, Query(ge=1, le=120, description="Months of history the move-out hazard is measured on")
]
Scale = Annotated[
    Decimal,
    Query(ge=Decimal("0.1"), le=Decimal(5), description="What-if: settle this many times the plan"),
]
WithMeasures = Annotated[bool, Query(description="Count the preparedness plan's measures")]


async def _forecast(
    conn: AsyncConnection,
    municipality: str,
    year: int,
    starts: str | None,
    months: int,
    window: int,
    scale: Decimal,
    measures: bool,
) -> dict[str, Any]:
    """The forecast's view from the query parameters the forecast and the report share."""
    _, view = await use.capacity_forecast(
        conn,
        municipality,
        year,
        starts=_first_month(starts),
        months=months,
        window=window,
        scale=scale,
        with_measures=measures,
    )
    return view


@router.get(
    "/{year}/forecast",
    summary="Kapasitetsprognose: ledige og nødvendige boliger og gapet etter størrelse, med "
    "usikkerhet / Capacity forecast: dwellings free, needed and the gap by size, with a band",
    description="See docs/housing/settlement-planning.md for the method. `scale=1.3` asks "
    "what happens if the municipality is asked to settle 30 % more.",
    responses=READ_PROBLEMS,
)
async def get_settlement_forecast(
    year: Year,
    runtime: RuntimeDep,
    principal: Reader,
    starts: Starts = None,
    months: Months = 12,
    window: Window = 24,
    scale: Scale = Decimal(1),
    measures: WithMeasures = True,
) -> dict[str, Any]:
    async with runtime.db.snapshot() as conn:
        return await _forecast(
            conn, principal.municipality, year, starts, months, window, scale, measures
        )


@router.get(
    "/{year}/integration-grant",
    summary="Forventet integreringstilskudd for fem år / Expected integration grant "
    "(integreringstilskudd) for five years",
    description="From the monthly plan (times `scale`) and from the households settled so "
    "far; the rates are dated data with their source.",
    responses=READ_PROBLEMS,
)
async def get_integration_grant(
    year: Year, runtime: RuntimeDep, principal: Reader, scale: Scale = Decimal(1)
) -> dict[str, Any]:
    async with runtime.db.snapshot() as conn:
        return await use.integration_grant(conn, principal.municipality, year, scale)


@router.get(
    "/{year}/report",
    summary="Bosettingsplanen som rapport til et møte (HTML til utskrift, eller xlsx) / The "
    "settlement plan as a report for a meeting (HTML to print, or xlsx)",
    description="Chart and tables: plan and settlements, forecast and gap by size with the "
    "band, the preparedness plan, the integration grant. Bokmål unless `Accept-Language` asks "
    "for nynorsk or English.",
    response_class=Response,
    responses={
        200: {
            "content": {
                "text/html": {"schema": {"type": "string"}},
                report.XLSX: {"schema": {"type": "string", "format": "binary"}},
            }
        },
        **READ_PROBLEMS,
    },
)
async def get_settlement_report(
    year: Year,
    runtime: RuntimeDep,
    principal: Reader,
    locale: Locale,
    format: Annotated[Literal["html", "xlsx"], Query()] = "html",
    starts: Starts = None,
    months: Months = 12,
    window: Window = 24,
    scale: Scale = Decimal(1),
    measures: WithMeasures = True,
) -> Response:
    async with runtime.db.snapshot() as conn:
        plan = await use.plan_view(conn, principal.municipality, year)
        forecast = await _forecast(
            conn, principal.municipality, year, starts, months, window, scale, measures
        )
        grant = await use.integration_grant(conn, principal.municipality, year, scale)
    content = report.Content(principal.municipality, year, plan, forecast, grant)
    if format == "xlsx":
        return Response(
            report.xlsx(content, locale),
            media_type=report.XLSX,
            headers={"Content-Disposition": f'attachment; filename="bosettingsplan-{year}.xlsx"'},
        )
    return Response(report.html(content, locale), media_type="text/html; charset=utf-8")
