"""Property-based: cost rent on a date reads the basis in force on that date, and the
housing domain's date arithmetic never leaves the calendar with an exception other than
a rule violation."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from services.housing import domain
from services.housing.events import (
    ChangeCause,
    DwellingChanged,
    DwellingRegistered,
    RentRatesSet,
    Standard,
)
from shared.events import Event
from shared.rules import RuleViolation
from tests.housing.helpers import dwelling_attributes

REGISTERED = date(2015, 1, 1)
day_offsets = st.integers(min_value=-400, max_value=4000)
changes = st.lists(
    st.tuples(
        day_offsets,
        st.none() | st.integers(min_value=100_000, max_value=9_000_000),
        st.none() | st.sampled_from(list(Standard)),
    ),
    max_size=12,
)


def _events(recorded: list[tuple[int, int | None, Standard | None]]) -> list[Event]:
    dwelling_id = uuid.uuid4()
    events: list[Event] = [
        DwellingRegistered(
            dwelling_id=dwelling_id,
            **dwelling_attributes(
                rooms=3, size_m2=69, valuation=2_000_000, registered_on=REGISTERED
            ),
        )
    ]
    for offset, valuation, standard in recorded:
        events.append(
            DwellingChanged(
                dwelling_id=dwelling_id,
                changed_on=REGISTERED + timedelta(days=offset),
                cause=ChangeCause.edited,
                valuation=valuation,
                standard=standard,
            )
        )
    return events


@settings(max_examples=200, deadline=None)
@given(recorded=changes, asked=day_offsets)
def test_the_basis_on_a_date_is_the_latest_change_in_force_then(
    recorded: list[tuple[int, int | None, Standard | None]], asked: int
) -> None:
    on = REGISTERED + timedelta(days=asked)
    basis = domain.basis_on(_events(recorded), on)
    if on < REGISTERED:
        assert basis is None
        return
    assert basis is not None
    # Brute force: of the changes in force on `on` (effective date ≤ on), the one with the
    # latest effective date wins; for the same date the one recorded later.
    in_force = [
        (offset, position, valuation, standard)
        for position, (offset, valuation, standard) in enumerate(recorded)
        if REGISTERED + timedelta(days=offset) <= on
    ]
    valuations = sorted((o, p, v) for o, p, v, _ in in_force if v is not None)
    standards = sorted((o, p, s) for o, p, _, s in in_force if s is not None)
    assert basis.valuation == (valuations[-1][2] if valuations else 2_000_000)
    assert basis.standard == (standards[-1][2] if standards else Standard.normal)
    # A change that takes effect later never alters an earlier date's rent.
    later = [*recorded, (asked + 1, 1, Standard.high)]
    assert domain.basis_on(_events(later), on) == basis


@settings(max_examples=200, deadline=None)
@given(
    day=st.dates(min_value=date(1900, 1, 1), max_value=date(2199, 12, 31)),
    years=st.integers(min_value=-400, max_value=400),
    months=st.integers(min_value=-5000, max_value=5000),
)
def test_date_arithmetic_stays_in_the_window_or_refuses(day: date, years: int, months: int) -> None:
    for compute in (lambda: domain.add_years(day, years), lambda: domain.add_months(day, months)):
        try:
            result = compute()
        except RuleViolation as refusal:
            assert refusal.code == "date-out-of-range" and refusal.status == 422
            continue
        assert date(1900, 1, 1) <= result <= date(2199, 12, 31)


@settings(max_examples=200, deadline=None)
@given(
    versions=st.lists(st.tuples(day_offsets, st.integers(0, 900)), max_size=10),
    asked=day_offsets,
)
def test_the_rates_on_a_date_are_the_last_set_version_in_force(
    versions: list[tuple[int, int]], asked: int
) -> None:
    events: list[Event] = [
        RentRatesSet(
            valid_from=REGISTERED + timedelta(days=offset),
            fdv_per_m2_year_low=300,
            fdv_per_m2_year_normal=400,
            fdv_per_m2_year_high=500,
            government_bond_rate_percent=bond / 100,
        )
        for offset, bond in versions
    ]
    on = REGISTERED + timedelta(days=asked)
    found = domain.rates_on(events, on)
    starts = [offset for offset, _ in versions if offset <= asked]
    if not starts:
        assert found is None
        return
    latest = max(starts)
    # Setting a valid_from again corrects that version: the last one set counts.
    bond = [b for offset, b in versions if offset == latest][-1]
    assert found is not None
    assert found.valid_from == REGISTERED + timedelta(days=latest)
    assert found.government_bond_rate_percent == bond / 100
