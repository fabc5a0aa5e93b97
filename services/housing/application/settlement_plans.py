"""Settlement planning: record the year's request, decision, monthly plan and measures;
forecast the capacity against them; the integration grant they bring."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from services.housing.application.aggregates import domain_rules, lock_streams
from services.housing.domain import forecast as f
from services.housing.domain import integration_grant as grant
from services.housing.domain import settlement_plan as plan
from services.housing.queries import settlement_plans as q
from services.housing.queries.rows import jsonable
from shared import dates
from shared.commands import CommandResult
from shared.events import Event, Metadata
from shared.problems import NotFound
from shared.service import Runtime

Decide = Callable[[plan.SettlementPlan], list[Event]]
PlanDecision = Callable[..., list[Event]]
"""A decision of :mod:`~services.housing.domain.settlement_plan`: ``(state, **facts, today)``."""
PlanCommand = Callable[..., Awaitable[CommandResult]]
"""``(runtime, conn, metadata, *, year, **facts)``: the year's plan after the command."""


async def _record(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    year: int,
    decide: Decide,
    status: int = 200,
    extra: dict[str, Any] | None = None,
) -> CommandResult:
    stream_id = plan.settlement_plan_stream(metadata.municipality, year)
    await lock_streams(conn, stream_id)
    envelopes = await runtime.store.load(conn, stream_id)
    state = plan.fold(year, (runtime.store.decode(e) for e in envelopes))
    version = await runtime.store.current_version(conn, stream_id)
    with domain_rules(version):
        events = decide(state)
    await runtime.append(
        conn,
        stream_id,
        plan.SETTLEMENT_PLAN,
        events,
        expected_version=version,
        metadata=metadata,
    )
    view = await plan_view(conn, metadata.municipality, year)
    return CommandResult(status, {**view, **(extra or {})})


def _plan_command(decision: PlanDecision, *, creates: str | None = None) -> PlanCommand:
    """The use case that records ``decision`` on the year's plan.

    ``creates`` names the id of a new record the decision takes (``measure_id``): it is
    drawn here, and the answer is a 201 that carries it beside the plan.
    """

    async def record(
        runtime: Runtime, conn: AsyncConnection, metadata: Metadata, *, year: int, **facts: Any
    ) -> CommandResult:
        today = dates.today()
        created = {creates: uuid.uuid4()} if creates is not None else {}
        return await _record(
            runtime,
            conn,
            metadata,
            year,
            lambda state: decision(state, **created, **facts, today=today),
            status=201 if created else 200,
            extra={name: str(value) for name, value in created.items()},
        )

    return record


request_settlement = _plan_command(plan.request_settlement)
decide_settlement = _plan_command(plan.decide_settlement)
plan_settlement = _plan_command(plan.plan_settlement)
add_measure = _plan_command(plan.add_measure, creates="measure_id")
withdraw_measure = _plan_command(plan.withdraw_measure)


async def measure_visible(
    conn: AsyncConnection, municipality: str, year: int, measure_id: uuid.UUID
) -> None:
    """404 unless the measure is one of this municipality's plan for the year."""
    if not await q.measure_year(conn, municipality, year, measure_id):
        raise NotFound(f"No measure {measure_id} in the settlement plan {year} of {municipality}.")


# -- the read side ---------------------------------------------------------------------------


def _persons(households: dict[str, int], minors: int) -> int:
    return sum(int(size) * count for size, count in households.items()) + minors


async def plan_view(conn: AsyncConnection, municipality: str, year: int) -> dict[str, Any]:
    """The year's plan: request, decision, monthly plan with the actual settlements."""
    row = await q.plan_row(conn, municipality, year)
    measures = await q.measures(conn, municipality, year)
    if row is None and not measures:
        raise NotFound(f"No settlement plan {year} in municipality {municipality}.")
    row = row or {}
    actual = {m["month"]: m for m in await q.settlements(conn, municipality, year)}
    planned = {m["month"]: m for m in row.get("plan") or []}
    months = []
    for month in range(1, 13):
        p = planned.get(month, {"households": {}, "unaccompanied_minors": 0})
        a = actual.get(month, {"households": {}, "unaccompanied_minors": 0})
        months.append(
            {
                "month": month,
                "planned_households": p["households"],
                "planned_unaccompanied_minors": p["unaccompanied_minors"],
                "planned_persons": _persons(p["households"], p["unaccompanied_minors"]),
                "settled_households": a["households"],
                "settled_unaccompanied_minors": a["unaccompanied_minors"],
                "settled_persons": _persons(a["households"], a["unaccompanied_minors"]),
            }
        )
    request = None
    if row.get("requested_on") is not None:
        request = {
            "requested_on": row["requested_on"].isoformat(),
            **row["request"],
            "persons": row["requested_persons"],
        }
    decision = None
    if row.get("decided_on") is not None:
        decision = {
            "decided_on": row["decided_on"].isoformat(),
            "persons": row["decided_persons"],
            "unaccompanied_minors": row["decided_unaccompanied_minors"],
        }
    planned_persons = sum(m["planned_persons"] for m in months)
    return {
        "year": year,
        "request": request,
        "decision": decision,
        "planned_on": jsonable(row.get("planned_on")),
        "months": months,
        "planned_persons": planned_persons if row.get("plan") is not None else None,
        "settled_persons": sum(m["settled_persons"] for m in months),
        # A decision corrected after the plan leaves a plan that no longer adds up.
        "plan_matches_decision": (
            decision is not None
            and row.get("plan") is not None
            and planned_persons == decision["persons"]
        ),
        "measures": [q.measure_view(m) for m in measures],
        "version": row.get("version"),
    }


def _planned_by_month(row: dict[str, Any] | None, year: int) -> dict[date, dict[int, int]]:
    if row is None or not row.get("plan"):
        return {}
    return {
        date(year, m["month"], 1): {int(size): n for size, n in m["households"].items()}
        for m in row["plan"]
    }


async def capacity_forecast(
    conn: AsyncConnection,
    municipality: str,
    year: int,
    *,
    starts: date | None,
    months: int,
    window: int,
    scale: Decimal,
    with_measures: bool,
) -> tuple[f.Forecast, dict[str, Any]]:
    """The forecast from ``starts`` (default the plan year's January) and its JSON view."""
    await plan_view(conn, municipality, year)
    first = f.first_of_month(starts or date(year, 1, 1))
    planned: dict[date, dict[int, int]] = {}
    last = f.add_months(first, months - 1)
    for plan_year in range(first.year, last.year + 1):
        planned |= _planned_by_month(await q.plan_row(conn, municipality, plan_year), plan_year)
    measures = []
    if with_measures:
        for plan_year in range(first.year, last.year + 1):
            for m in await q.measures(conn, municipality, plan_year, with_withdrawn=False):
                ready = f.add_months(f.first_of_month(m["decided_on"]), m["lead_time_months"])
                measures.append(f.Measure(m["rooms"], m["quantity"], ready))
    rooms = grant.rooms_by_size(first)
    result = f.forecast(
        starts=first,
        months=months,
        stock=await q.stock(conn, municipality),
        tenancies=await q.tenancies(conn, municipality, first),
        window=window,
        planned=planned,
        rooms_by_size=rooms,
        measures=measures,
        scale=scale,
    )
    return result, forecast_view(result, with_measures)


def forecast_view(result: f.Forecast, with_measures: bool) -> dict[str, Any]:
    data = grant.tables()["rooms_by_household_size"].entry_on(result.starts)
    return {
        "starts": result.starts.isoformat(),
        "months_ahead": len(result.months),
        "window_months": result.window,
        "scale": float(result.scale),
        "with_measures": with_measures,
        "band": {"low_percentile": f.BAND[0], "high_percentile": f.BAND[1]},
        "rooms_by_household_size": {
            "value": {str(k): v for k, v in result.rooms_by_size.items()},
            "source": data.source,
        },
        "hazards": [
            {
                "rooms": h.rooms,
                "at_risk_months": h.at_risk_months,
                "endings": h.endings,
                "endings_by_reason": dict(h.endings_by_reason),
                "monthly_rate": round(h.rate, 6),
            }
            for h in result.hazards.values()
        ],
        "months": [
            {
                "month": m.month.isoformat()[:7],
                "needed": m.needed,
                "free_expected": round(m.free_expected, 4),
                "gap_expected": round(m.gap_expected, 4),
                "shortfall_expected": round(m.shortfall_expected, 4),
                "by_rooms": [
                    {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(r).items()}
                    for r in m.by_rooms
                ],
            }
            for m in result.months
        ],
    }


async def integration_grant(
    conn: AsyncConnection, municipality: str, year: int, scale: Decimal
) -> dict[str, Any]:
    """Expected grant for five years from the plan (scaled) and from the settlements so far."""
    view = await plan_view(conn, municipality, year)
    data = grant.tables()
    rule = data["adults_in_family"].on(date(year, 1, 1))
    planned_households: dict[int, int] = {}
    planned_minors = 0
    settled_households: dict[int, int] = {}
    settled_minors = 0
    for m in view["months"]:
        for size, n in m["planned_households"].items():
            planned_households[int(size)] = planned_households.get(int(size), 0) + f.scaled(
                n, scale
            )
        planned_minors += f.scaled(m["planned_unaccompanied_minors"], scale)
        for size, n in m["settled_households"].items():
            settled_households[int(size)] = settled_households.get(int(size), 0) + n
        settled_minors += m["settled_unaccompanied_minors"]
    result: dict[str, Any] = {"year": year, "scale": float(scale)}
    for name, households, minors in (
        ("planned", planned_households, planned_minors),
        ("settled", settled_households, settled_minors),
    ):
        people = grant.cohort(households.items(), minors, rule)
        years = grant.expected_grant(year, people, data["integration_grant"])
        result[name] = {
            "persons": asdict(people) | {"total": people.persons},
            "years": [asdict(y) for y in years],
            # Years without recorded rates are left out of the total (and say so).
            "total": sum(y.amount for y in years if y.amount is not None),
            "complete": all(y.amount is not None for y in years),
        }
    result["assumption"] = data["adults_in_family"].entry_on(date(year, 1, 1)).source
    return result
