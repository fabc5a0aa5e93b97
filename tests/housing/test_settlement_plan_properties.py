"""Properties of the settlement forecast and plan (pure domain, hypothesis)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from services.housing.domain import forecast as f
from services.housing.domain import settlement_plan as plan
from services.housing.domain.integration_grant import rooms_by_size
from shared.rules import RuleViolation

ROOMS = rooms_by_size(date(2026, 1, 1))
STARTS = date(2026, 1, 1)


@st.composite
def tenancies(draw: st.DrawFn) -> list[f.Tenancy]:
    result = []
    for _ in range(draw(st.integers(0, 40))):
        starts = date(2022, 1, 1) + timedelta(days=draw(st.integers(0, 1400)))
        ends = draw(st.none() | st.integers(0, 900))
        result.append(
            f.Tenancy(
                rooms=draw(st.integers(1, 7)),
                starts_on=starts,
                ends_on=None if ends is None else starts + timedelta(days=ends),
                end_reason=draw(st.sampled_from(["private_rental", "eviction", "bought_dwelling"])),
            )
        )
    return result


stocks = st.lists(
    st.builds(f.Stock, st.integers(1, 6), st.integers(0, 60), st.integers(0, 5)), max_size=6
)
households = st.dictionaries(st.integers(1, 9), st.integers(0, 8), max_size=5)
planned = st.dictionaries(
    st.sampled_from([f.add_months(STARTS, k) for k in range(14)]), households, max_size=14
)
measures = st.lists(
    st.builds(
        f.Measure,
        st.integers(1, 6),
        st.integers(1, 20),
        st.dates(date(2025, 6, 1), date(2027, 6, 1)),
    ),
    max_size=6,
)


def _run(**changes: object) -> f.Forecast:
    arguments: dict[str, object] = {
        "starts": STARTS,
        "months": 14,
        "window": 24,
        "rooms_by_size": ROOMS,
        **changes,
    }
    return f.forecast(**arguments)  # type: ignore[arg-type]


def _by_cell(result: f.Forecast) -> dict[tuple[date, int], f.RoomsForecast]:
    return {(m.month, r.rooms): r for m in result.months for r in m.by_rooms}


@settings(max_examples=150, deadline=None)
@given(tenancies(), stocks, planned, measures, measures)
def test_more_measures_never_increase_the_gap(
    history: list[f.Tenancy],
    stock: list[f.Stock],
    plan_: dict[date, dict[int, int]],
    some: list[f.Measure],
    more: list[f.Measure],
) -> None:
    common = {"tenancies": history, "stock": stock, "planned": plan_}
    fewer = _by_cell(_run(measures=some, **common))
    extra = _by_cell(_run(measures=some + more, **common))
    for cell, row in extra.items():
        before = fewer.get(cell)
        if before is None:
            # A size only the extra measures bring: nothing needed there, so no gap.
            assert row.gap_expected <= 0 and row.gap_high <= 0
            continue
        assert row.gap_expected <= before.gap_expected
        assert row.gap_low <= before.gap_low and row.gap_high <= before.gap_high
        # The band is of whole dwellings: for a small mean it may lie beside it.
        assert row.gap_low <= row.gap_high


@settings(max_examples=150, deadline=None)
@given(
    tenancies(),
    stocks,
    planned,
    st.decimals(Decimal(1), Decimal(3), places=2),
    st.decimals(Decimal(0), Decimal(2), places=2),
)
def test_scale_of_one_or_more_never_decreases_the_need(
    history: list[f.Tenancy],
    stock: list[f.Stock],
    plan_: dict[date, dict[int, int]],
    scale: Decimal,
    more: Decimal,
) -> None:
    common = {"tenancies": history, "stock": stock, "planned": plan_}
    base = _by_cell(_run(**common))
    scaled = _by_cell(_run(scale=scale, **common))
    larger = _by_cell(_run(scale=scale + more, **common))
    for cell, row in base.items():
        assert scaled[cell].needed >= row.needed
        assert larger[cell].needed >= scaled[cell].needed
        # The supply does not depend on the what-if.
        assert scaled[cell].free_expected == row.free_expected


@settings(max_examples=200, deadline=None)
@given(tenancies())
def test_hazard_counts_freeing_ends_among_months_at_risk(history: list[f.Tenancy]) -> None:
    for hazard in f.hazards(history, starts=STARTS, window=24).values():
        assert 0 <= hazard.endings <= hazard.at_risk_months
        assert 0.0 <= hazard.rate <= 1.0
        assert hazard.endings <= sum(hazard.endings_by_reason.values())


month_inputs = st.lists(
    st.builds(
        plan.MonthInput,
        st.integers(1, 12),
        st.lists(
            st.tuples(st.integers(1, 8), st.integers(0, 6)), max_size=4, unique_by=lambda x: x[0]
        ).map(tuple),
        st.integers(0, 3),
    ),
    max_size=12,
    unique_by=lambda m: m.month,
)


@settings(max_examples=200, deadline=None)
@given(month_inputs, st.integers(0, 400), st.integers(0, 40))
def test_a_monthly_plan_is_accepted_exactly_when_it_adds_up_to_the_decision(
    months: list[plan.MonthInput], persons: int, minors: int
) -> None:
    today = date(2026, 12, 1)
    state = plan.SettlementPlan(2026)
    for event in plan.request_settlement(
        state,
        requested_on=date(2025, 10, 1),
        singles=10,
        families=(),
        unaccompanied_minors=0,
        today=today,
    ):
        state = plan.evolve(state, event)
    minors = min(minors, persons)
    for event in plan.decide_settlement(
        state,
        decided_on=date(2025, 11, 1),
        persons=persons,
        unaccompanied_minors=minors,
        today=today,
    ):
        state = plan.evolve(state, event)
    total = sum(sum(s * n for s, n in m.households) + m.unaccompanied_minors for m in months)
    total_minors = sum(m.unaccompanied_minors for m in months)
    try:
        events = plan.plan_settlement(
            state, planned_on=date(2025, 12, 1), months=months, today=today
        )
    except RuleViolation as refusal:
        assert refusal.code == "plan-sum"
        assert (total, total_minors) != (persons, minors)
    else:
        assert (total, total_minors) == (persons, minors)
        assert len(events) == 1
