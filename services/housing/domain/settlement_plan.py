"""The settlement plan of a year (stream ``settlement-plan-<municipality>-<year>``).

IMDi asks (anmodning) the municipality to settle refugees in a year, with a household mix;
the council decides (vedtak) how many persons; the municipality plans households by size
per month; the preparedness plan (beredskapsplan) lists measures that add dwellings. Each
is a dated fact; recording one again corrects it (the later event wins).

What is checked, in one place each:

* counts are whole, not negative and not absurd (``settlement-count``): at most
  :data:`MAX_PERSONS` persons a year, household sizes 1–20, months 1–12 once each;
* a decision needs its request and is dated on or after it; a request recorded after
  its decision may not be dated after it (``decision-before-request``);
* a monthly plan needs a decision (``plan-before-decision``), and its persons
  (Σ size × households + unaccompanied minors over all months) and its unaccompanied
  minors add up exactly to the decision's (``plan-sum``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from functools import reduce

from services.housing.domain.calendar import happened, not_before
from services.housing.domain.rules import _housing
from services.housing.events import (
    HouseholdCount,
    MeasureKind,
    MeasureOwner,
    PlannedMonth,
    PreparednessMeasureAdded,
    PreparednessMeasureWithdrawn,
    SettlementDecided,
    SettlementPlanned,
    SettlementRequested,
)
from shared.events import Event

SETTLEMENT_COUNT = _housing(
    "settlement-count",
    422,
    "Settlement count out of range",
    "Counts in a settlement request, decision, plan or measure are whole numbers, not "
    "negative and not absurd: at most 5,000 persons a year, household sizes 1–20 (a family "
    "2–20), months 1–12 once each, rooms 1–10, a measure 1–1,000 dwellings with a lead time "
    "of 0–36 months, a year at most five years before the fact and one after.",
)
DECISION_BEFORE_REQUEST = _housing(
    "decision-before-request",
    422,
    "Decision before its request",
    "The council's decision (vedtak) answers IMDi's request (anmodning) for the year: it "
    "needs the request and is dated on or after it.",
)
PLAN_BEFORE_DECISION = _housing(
    "plan-before-decision",
    422,
    "Monthly plan before the decision",
    "The monthly settlement plan distributes the council's decision; record the decision first.",
)
PLAN_SUM = _housing(
    "plan-sum",
    422,
    "Monthly plan does not add up to the decision",
    "Over all months, household size × households plus unaccompanied minors equals the "
    "decided persons, and the unaccompanied minors equal the decided ones.",
)
MEASURE_WITHDRAWN = _housing(
    "measure-withdrawn",
    409,
    "Measure already withdrawn",
    "A preparedness-plan measure is withdrawn once.",
)

SETTLEMENT_PLAN = "settlement_plan"

MAX_PERSONS = 5_000
"""More persons than any Norwegian municipality has settled in a year (Oslo's peak was
below 3,000): a count above it is a typing error, not a plan."""

MAX_HOUSEHOLD_SIZE = 20
MAX_MEASURE_QUANTITY = 1_000
MAX_LEAD_TIME_MONTHS = 36
MAX_ROOMS = 10


def settlement_plan_stream(municipality: str, year: int) -> str:
    return f"settlement-plan-{municipality}-{year}"


@dataclass(frozen=True)
class SettlementPlan:
    """The year's plan as its events leave it."""

    year: int
    request: SettlementRequested | None = None
    decision: SettlementDecided | None = None
    plan: SettlementPlanned | None = None
    measures: Mapping[uuid.UUID, PreparednessMeasureAdded] = field(default_factory=dict)
    withdrawn: Mapping[uuid.UUID, date] = field(default_factory=dict)

    def active_measures(self) -> list[PreparednessMeasureAdded]:
        return [m for key, m in self.measures.items() if key not in self.withdrawn]


def evolve(state: SettlementPlan, event: Event) -> SettlementPlan:
    if isinstance(event, SettlementRequested):
        return replace(state, request=event)
    if isinstance(event, SettlementDecided):
        return replace(state, decision=event)
    if isinstance(event, SettlementPlanned):
        return replace(state, plan=event)
    if isinstance(event, PreparednessMeasureAdded):
        return replace(state, measures={**state.measures, event.measure_id: event})
    if isinstance(event, PreparednessMeasureWithdrawn):
        return replace(state, withdrawn={**state.withdrawn, event.measure_id: event.withdrawn_on})
    return state


def fold(year: int, events: Iterable[Event]) -> SettlementPlan:
    return reduce(evolve, events, SettlementPlan(year))


def _count(name: str, value: int, *, high: int, low: int = 0) -> int:
    if not low <= value <= high:
        raise SETTLEMENT_COUNT.violation(
            f"{name} is {value}; it must be a whole number from {low} to {high}.",
            name,
            **{name: value, "lowest": low, "highest": high},
        )
    return value


def _year(year: int, on: date, field_name: str) -> None:
    # IMDi asks in the autumn for the next year; a request or decision may also come
    # during the year, or be recorded afterwards for the record.
    if not on.year - 5 <= year <= on.year + 1:
        raise SETTLEMENT_COUNT.violation(
            f"year {year} is not a settlement year a fact dated {on.isoformat()} can be "
            f"about ({on.year - 5} … {on.year + 1}).",
            "year",
            year=year,
            **{field_name: on},
        )


def _households(
    name: str, counts: Iterable[tuple[int, int]], lowest_size: int
) -> list[HouseholdCount]:
    seen: set[int] = set()
    result = []
    for position, (size, households) in enumerate(counts):
        where = f"{name}[{position}]"
        _count(f"{where}.size", size, low=lowest_size, high=MAX_HOUSEHOLD_SIZE)
        _count(f"{where}.households", households, high=MAX_PERSONS)
        if size in seen:
            raise SETTLEMENT_COUNT.violation(
                f"{where}: households of size {size} are given twice.", f"{where}.size", size=size
            )
        seen.add(size)
        result.append(HouseholdCount(size=size, households=households))
    return sorted(result, key=lambda c: c.size)


def persons_in(counts: Iterable[HouseholdCount]) -> int:
    return sum(c.size * c.households for c in counts)


def request_settlement(
    state: SettlementPlan,
    *,
    requested_on: date,
    singles: int,
    families: Iterable[tuple[int, int]],
    unaccompanied_minors: int,
    today: date,
) -> list[Event]:
    happened("requested_on", requested_on, today, "The request")
    _year(state.year, requested_on, "requested_on")
    _count("singles", singles, high=MAX_PERSONS)
    _count("unaccompanied_minors", unaccompanied_minors, high=MAX_PERSONS)
    mix = _households("families", families, lowest_size=2)
    persons = singles + persons_in(mix) + unaccompanied_minors
    _count("persons", persons, high=MAX_PERSONS)
    if state.decision is not None and state.decision.decided_on < requested_on:
        raise DECISION_BEFORE_REQUEST.violation(
            f"The council decided on {state.decision.decided_on.isoformat()}, before this "
            f"request of {requested_on.isoformat()}.",
            "requested_on",
            requested_on=requested_on,
            decided_on=state.decision.decided_on,
        )
    return [
        SettlementRequested(
            year=state.year,
            requested_on=requested_on,
            singles=singles,
            families=mix,
            unaccompanied_minors=unaccompanied_minors,
            persons=persons,
        )
    ]


def decide_settlement(
    state: SettlementPlan,
    *,
    decided_on: date,
    persons: int,
    unaccompanied_minors: int,
    today: date,
) -> list[Event]:
    happened("decided_on", decided_on, today, "The decision")
    if state.request is None:
        raise DECISION_BEFORE_REQUEST.violation(
            f"No request from IMDi for {state.year} is recorded; a decision answers one.",
            "decided_on",
            decided_on=decided_on,
        )
    if decided_on < state.request.requested_on:
        raise DECISION_BEFORE_REQUEST.violation(
            f"decided_on {decided_on.isoformat()} is before the request of "
            f"{state.request.requested_on.isoformat()}.",
            "decided_on",
            decided_on=decided_on,
            requested_on=state.request.requested_on,
        )
    _count("persons", persons, high=MAX_PERSONS)
    _count("unaccompanied_minors", unaccompanied_minors, high=persons)
    return [
        SettlementDecided(
            year=state.year,
            decided_on=decided_on,
            persons=persons,
            unaccompanied_minors=unaccompanied_minors,
        )
    ]


@dataclass(frozen=True)
class MonthInput:
    month: int
    households: tuple[tuple[int, int], ...]
    unaccompanied_minors: int


def plan_settlement(
    state: SettlementPlan, *, planned_on: date, months: Iterable[MonthInput], today: date
) -> list[Event]:
    happened("planned_on", planned_on, today, "The plan")
    decision = state.decision
    if decision is None:
        raise PLAN_BEFORE_DECISION.violation(
            f"No decision for {state.year} is recorded; the monthly plan distributes it.",
            "planned_on",
            planned_on=planned_on,
        )
    planned: list[PlannedMonth] = []
    seen: set[int] = set()
    for position, given in enumerate(months):
        where = f"months[{position}]"
        _count(f"{where}.month", given.month, low=1, high=12)
        if given.month in seen:
            raise SETTLEMENT_COUNT.violation(
                f"{where}: month {given.month} is planned twice.",
                f"{where}.month",
                month=given.month,
            )
        seen.add(given.month)
        minors = _count(
            f"{where}.unaccompanied_minors", given.unaccompanied_minors, high=MAX_PERSONS
        )
        counts = _households(f"{where}.households", given.households, lowest_size=1)
        planned.append(
            PlannedMonth(month=given.month, households=counts, unaccompanied_minors=minors)
        )
    planned.sort(key=lambda m: m.month)
    persons = sum(persons_in(m.households) + m.unaccompanied_minors for m in planned)
    minors_total = sum(m.unaccompanied_minors for m in planned)
    if persons != decision.persons or minors_total != decision.unaccompanied_minors:
        raise PLAN_SUM.violation(
            f"The months plan {persons} persons, {minors_total} of them unaccompanied minors; "
            f"the decision of {decision.decided_on.isoformat()} is {decision.persons} persons, "
            f"{decision.unaccompanied_minors} of them unaccompanied minors.",
            "months",
            planned_persons=persons,
            decided_persons=decision.persons,
            planned_unaccompanied_minors=minors_total,
            decided_unaccompanied_minors=decision.unaccompanied_minors,
        )
    return [SettlementPlanned(year=state.year, planned_on=planned_on, months=planned)]


def add_measure(
    state: SettlementPlan,
    *,
    measure_id: uuid.UUID,
    kind: MeasureKind,
    rooms: int,
    quantity: int,
    decided_on: date,
    lead_time_months: int,
    owner: MeasureOwner,
    today: date,
) -> list[Event]:
    happened("decided_on", decided_on, today, "The measure's decision")
    _count("rooms", rooms, low=1, high=MAX_ROOMS)
    _count("quantity", quantity, low=1, high=MAX_MEASURE_QUANTITY)
    _count("lead_time_months", lead_time_months, high=MAX_LEAD_TIME_MONTHS)
    return [
        PreparednessMeasureAdded(
            year=state.year,
            measure_id=measure_id,
            kind=kind,
            rooms=rooms,
            quantity=quantity,
            decided_on=decided_on,
            lead_time_months=lead_time_months,
            owner=owner,
        )
    ]


def withdraw_measure(
    state: SettlementPlan, *, measure_id: uuid.UUID, withdrawn_on: date, today: date
) -> list[Event]:
    """Drop a measure of this plan (the caller checked that it is one: else a 404)."""
    happened("withdrawn_on", withdrawn_on, today, "The withdrawal")
    measure = state.measures[measure_id]
    if measure_id in state.withdrawn:
        raise MEASURE_WITHDRAWN.violation(
            f"Measure {measure_id} was withdrawn on {state.withdrawn[measure_id].isoformat()}.",
            "measure_id",
            withdrawn_on=state.withdrawn[measure_id],
        )
    not_before("withdrawn_on", withdrawn_on, "decided_on", measure.decided_on, "the measure")
    return [
        PreparednessMeasureWithdrawn(
            year=state.year, measure_id=measure_id, withdrawn_on=withdrawn_on
        )
    ]
