"""Property-based: random placement, move-out, loan and sale sequences against the pure
housing domain never break a dwelling's, a household's or a loan's timeline, and a
refused command changes nothing."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.housing import domain
from services.housing.events import (
    Decision,
    DwellingStatus,
    EndReason,
    EvictionGrounds,
    Ownership,
    RateKind,
    Urgency,
)
from shared.events import Event
from shared.rules import RuleViolation
from tests.housing.helpers import dwelling_attributes

TODAY = date(2026, 6, 1)
FIRST = date(2015, 1, 1)
SPAN = (date(2027, 6, 1) - FIRST).days  # a year beyond today: some facts lie ahead
DWELLINGS = 3
HOUSEHOLDS = 3

days = st.integers(min_value=0, max_value=SPAN).map(lambda n: FIRST + timedelta(days=n))
early_days = st.integers(min_value=0, max_value=1500).map(lambda n: FIRST + timedelta(days=n))


@dataclass
class World:
    """Every aggregate as its event stream; state is always the fold of the events."""

    settled_on: dict[int, date]
    left_on: dict[int, date | None] = field(default_factory=dict)
    households: dict[int, list[Event]] = field(default_factory=dict)
    dwellings: dict[int, list[Event]] = field(default_factory=dict)
    household_ids: dict[int, uuid.UUID] = field(default_factory=dict)
    dwelling_ids: dict[int, uuid.UUID] = field(default_factory=dict)
    latest: dict[int, date] = field(default_factory=dict)

    def household(self, h: int) -> domain.Household:
        return domain.fold_household(self.households[h])

    def dwelling(self, d: int) -> domain.Dwelling:
        return domain.fold_dwelling(self.dwellings[d])

    def facts(self, h: int) -> domain.HouseholdFacts:
        return domain.HouseholdFacts(
            settled_on=self.settled_on[h],
            left_on=self.left_on.get(h),
            left_reason="moved_away" if self.left_on.get(h) else None,
        )

    def snapshot(self) -> tuple[Any, ...]:
        return (
            tuple((h, tuple(e)) for h, e in sorted(self.households.items())),
            tuple((d, tuple(e)) for d, e in sorted(self.dwellings.items())),
        )


def _world(settled: list[date]) -> World:
    world = World(settled_on=dict(enumerate(settled)))
    for d in range(DWELLINGS):
        world.dwelling_ids[d] = uuid.uuid4()
        world.dwellings[d] = domain.register_dwelling(
            world.dwelling_ids[d],
            address=f"Gate {d}",
            **dwelling_attributes(
                rooms=4,
                size_m2=80,
                has_lift=True,
                accessible=True,
                valuation=2_000_000,
                registered_on=FIRST,
            ),
            today=TODAY,
        )
    for h in range(len(settled)):
        household_id = uuid.uuid4()
        world.household_ids[h] = household_id
        world.households[h] = _accepted_application([], household_id)
    return world


def _accepted_application(history: list[Event], household_id: uuid.UUID) -> list[Event]:
    """A plain application of two, received and accepted on ``FIRST``, after ``history``."""
    application_id = uuid.uuid4()
    received = domain.receive_application(
        domain.fold_household(history),
        household_id,
        application_id,
        household_size=2,
        member_ages=(),
        needs_wheelchair_access=False,
        needs_step_free=False,
        district_wishes=(),
        urgency=Urgency.normal,
        received_on=FIRST,
        today=TODAY,
    )
    decided = domain.decide_application(
        domain.fold_household([*history, *received]),
        application_id,
        Decision.accepted,
        FIRST,
        today=TODAY,
    )
    return [*received, *decided]


def _accepted(household: domain.Household) -> uuid.UUID | None:
    return next((a.application_id for a in household.applications.values() if a.open), None)


def _reopen(world: World, h: int) -> None:
    """A household that moved out may apply again (so sequences keep placing)."""
    household = world.household(h)
    if household.open_application is not None or household.owner_since is not None:
        return
    assert household.household_id is not None
    world.households[h] += _accepted_application(world.households[h], household.household_id)


_NEEDS = {
    "end": lambda hh: hh.active_placement is not None,
    "evict": lambda hh: hh.active_placement is not None,
    "decide": lambda hh: any(loan.status == "applied" for loan in hh.loans.values()),
    "disburse": lambda hh: any(loan.status == "approved" for loan in hh.loans.values()),
    "purchase": lambda hh: any(loan.status == "disbursed" for loan in hh.loans.values()),
}


def _target(world: World, kind: str, h: int) -> int:
    """The drawn household, or the next one the command can apply to (so that sequences
    reach deep states; dates stay random and make their own refusals)."""
    needs = _NEEDS.get(kind)
    if needs is None:
        return h
    for offset in range(HOUSEHOLDS):
        candidate = (h + offset) % HOUSEHOLDS
        if needs(world.household(candidate)):
            return candidate
    return h


def _apply(world: World, step: tuple[Any, ...]) -> None:
    """Run one command; raise RuleViolation when the domain refuses it."""
    kind, h, d, offset = step[:4]
    h = _target(world, kind, h)
    # Dates relative to the household's latest fact: mostly after it, sometimes backdated
    # before it or past today, so both accepted and refused commands come up.
    anchor = world.latest.get(h, world.settled_on[h])
    if kind == "place" and len(step) > 4 and step[4]:
        # Around the dwelling's last tenancy instead: a backdated placement may overlap it.
        anchor = max((t.starts_on for t in world.dwelling(d).tenancies), default=anchor)
    day = offset if isinstance(offset, date) else anchor + timedelta(days=offset)
    household = world.household(h)
    _run(world, kind, h, d, day, household, step)
    world.latest[h] = max(world.latest.get(h, day), day)


def _run(
    world: World,
    kind: str,
    h: int,
    d: int,
    day: date,
    household: domain.Household,
    step: tuple[Any, ...],
) -> None:
    if kind == "place":
        application_id = _accepted(household)
        if application_id is None and household.active_placement is None:
            # A household that moved out applies again (its own accepted command).
            _reopen(world, h)
            return
        household_events, dwelling_events = domain.start_placement(
            household,
            world.dwelling(d),
            uuid.uuid4(),
            application_id or uuid.uuid4(),
            day,
            today=TODAY,
            facts=world.facts(h),
        )
        world.households[h] += household_events
        world.dwellings[d] += dwelling_events
        return
    active = household.active_placement
    placement_id = active.placement_id if active else uuid.uuid4()
    dwelling_index = next(
        (i for i, did in world.dwelling_ids.items() if active and did == active.dwelling_id), d
    )
    if kind in ("end", "evict"):
        if kind == "end":
            household_events, dwelling_events = domain.end_placement(
                household, placement_id, day, EndReason.private_rental, today=TODAY
            )
        else:
            household_events, dwelling_events = domain.record_eviction(
                household, placement_id, day, EvictionGrounds.rent_arrears, today=TODAY
            )
        world.households[h] += household_events
        world.dwellings[dwelling_index] += dwelling_events
        return
    loan = next((x for x in household.loans.values() if x.status != "rejected"), None)
    loan_id = loan.loan_id if loan else uuid.uuid4()
    if kind == "apply":
        assert household.household_id is not None
        world.households[h] += domain.apply_start_loan(
            household,
            household.household_id,
            loan_id if loan is None else uuid.uuid4(),
            applied_on=day,
            purchase_price=2_000_000,
            requested_amount=1_500_000,
            employment_income=300_000,
            introduction_benefit=200_000,
            other_income=0,
            today=TODAY,
        )
    elif kind == "decide":
        world.households[h] += domain.decide_start_loan(
            household,
            loan_id,
            decided_on=day,
            approved=True,
            loan_amount=1_200_000,
            grant_amount=300_000,
            rate_kind=RateKind.floating,
            interest_rate_percent=4.5,
            interest_only_years=0,
            term_years=25,
            today=TODAY,
        )
    elif kind == "disburse":
        world.households[h] += domain.disburse_start_loan(household, loan_id, day, today=TODAY)
    elif kind == "purchase":
        buys_rented = step[4]
        rented = active.dwelling_id if active and buys_rented else None
        household_events, dwelling_events = domain.purchase_with_start_loan(
            household,
            loan_id,
            purchased_on=day,
            price=2_000_000,
            dwelling_id=rented,
            rented_ownership=Ownership.municipal if active else None,
            today=TODAY,
        )
        world.households[h] += household_events
        world.dwellings[dwelling_index] += dwelling_events


def _check_invariants(world: World) -> None:
    stays: dict[uuid.UUID, list[tuple[date, date | None]]] = {}
    for h in world.households:
        household = world.household(h)
        for placement in household.placements.values():
            assert placement.starts_on >= world.settled_on[h], "placement before settlement"
            left_on = world.left_on.get(h)
            assert left_on is None or placement.starts_on < left_on, "placed after it left"
            assert placement.starts_on <= TODAY
            if placement.ends_on is not None:
                assert placement.starts_on <= placement.ends_on <= TODAY
            stays.setdefault(placement.dwelling_id, []).append(
                (placement.starts_on, placement.ends_on)
            )
        own = sorted((p.starts_on, p.ends_on or date.max) for p in household.placements.values())
        for (_, end), (start, _) in itertools.pairwise(own):
            assert end <= start, "a household lived in two dwellings at once"
        for loan in household.loans.values():
            if loan.decided_on is not None:
                assert loan.applied_on <= loan.decided_on
            if loan.disbursed_on is not None:
                assert loan.decided_on is not None and loan.decided_on <= loan.disbursed_on
        if household.owner_since is not None:
            used = [loan for loan in household.loans.values() if loan.status == "used"]
            for loan in used:
                assert loan.disbursed_on is not None
                assert loan.disbursed_on <= household.owner_since, "bought before disbursement"
    for d in world.dwellings:
        dwelling = world.dwelling(d)
        periods = sorted((t.starts_on, t.ends_on or date.max) for t in dwelling.tenancies)
        assert periods == sorted(
            (s, e or date.max) for s, e in stays.get(world.dwelling_ids[d], [])
        )
        for (_, end), (start, _) in itertools.pairwise(periods):
            assert end <= start, "two tenancies of one dwelling overlap"
        open_tenancies = [t for t in dwelling.tenancies if t.ends_on is None]
        assert (dwelling.status is DwellingStatus.occupied) == bool(open_tenancies)


steps = st.lists(
    st.tuples(
        st.sampled_from(
            ["place"] * 3
            + ["end"] * 2
            + ["evict", "apply", "decide"]
            + ["disburse", "purchase"] * 2
        ),
        st.integers(0, HOUSEHOLDS - 1),
        st.integers(0, DWELLINGS - 1),
        st.integers(min_value=-300, max_value=900),
        st.booleans(),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    settled=st.lists(early_days, min_size=HOUSEHOLDS, max_size=HOUSEHOLDS),
    left=st.lists(st.none() | days, min_size=HOUSEHOLDS, max_size=HOUSEHOLDS),
    sequence=steps,
)
def test_no_accepted_sequence_breaks_a_timeline_and_refusals_change_nothing(
    settled: list[date], left: list[date | None], sequence: list[tuple[Any, ...]]
) -> None:
    world = _world(settled)
    world.left_on = dict(enumerate(left))
    for step in sequence:
        before = world.snapshot()
        try:
            _apply(world, step)
        except RuleViolation as refusal:
            assert world.snapshot() == before, "a refused command changed something"
            assert refusal.code and refusal.status in (409, 422)
            assert refusal.message
        _check_invariants(world)


@settings(max_examples=100, deadline=None)
@given(
    first=st.tuples(days, days).map(sorted),
    second_start=days,
)
def test_a_backdated_placement_overlapping_a_tenancy_is_refused_naming_it(
    first: list[date], second_start: date
) -> None:
    moved_in, moved_out = first
    world = _world([FIRST, FIRST, FIRST])
    try:
        _apply(world, ("place", 0, 0, moved_in))
        _apply(world, ("end", 0, 0, moved_out))
    except RuleViolation:
        return  # the first tenancy itself lies ahead of today
    try:
        _apply(world, ("place", 1, 0, second_start))
    except RuleViolation as refusal:
        if second_start < moved_out and second_start <= TODAY:
            assert refusal.code == "tenancy-overlap"
            assert refusal.facts["other_starts_on"] == moved_in.isoformat()
            assert refusal.facts["other_ends_on"] == moved_out.isoformat()
            assert refusal.status == 409
        return
    assert second_start >= moved_out


@settings(max_examples=100, deadline=None)
@given(settled_on=days, starts_on=days)
def test_placements_never_precede_settlement(settled_on: date, starts_on: date) -> None:
    world = _world([settled_on, FIRST, FIRST])
    try:
        _apply(world, ("place", 0, 0, starts_on))
    except RuleViolation as refusal:
        if starts_on < settled_on and starts_on <= TODAY:
            assert refusal.code == "before-settlement"
            assert refusal.facts == {
                "starts_on": starts_on.isoformat(),
                "settled_on": settled_on.isoformat(),
            }
        else:
            assert refusal.code == "future-fact"
        return
    placement = next(iter(world.household(0).placements.values()))
    assert (placement.starts_on - settled_on).days >= 0


gaps = st.integers(min_value=-60, max_value=400)


@settings(max_examples=150, deadline=None)
@given(gaps=st.tuples(gaps, gaps, gaps, gaps), rented=st.booleans())
def test_a_purchase_with_a_start_loan_comes_after_its_disbursement(
    gaps: tuple[int, int, int, int], rented: bool
) -> None:
    world = _world([FIRST, FIRST, FIRST])
    if rented:
        _apply(world, ("place", 0, 0, FIRST + timedelta(days=100)))
    reached = True
    for kind, gap in zip(("apply", "decide", "disburse", "purchase"), gaps, strict=True):
        before = world.snapshot()
        try:
            _apply(world, (kind, 0, 0, gap, rented))
        except RuleViolation as refusal:
            assert world.snapshot() == before
            loan = next(iter(world.household(0).loans.values()), None)
            if kind == "purchase" and refusal.code != "future-fact":
                assert loan is not None and loan.disbursed_on is not None
                purchased = world.latest[0] + timedelta(days=gap)
                assert (purchased < loan.disbursed_on) == (
                    refusal.code == "purchase-before-disbursement"
                )
            reached = False
            break
    _check_invariants(world)
    if reached:
        household = world.household(0)
        loan = next(iter(household.loans.values()))
        assert loan.status == "used" and loan.disbursed_on is not None
        assert household.owner_since is not None and loan.disbursed_on <= household.owner_since
        dwelling = world.dwelling(0)
        assert dwelling.status is (DwellingStatus.sold if rented else DwellingStatus.vacant)


member = st.tuples(st.booleans(), st.booleans(), st.none() | days)


@settings(max_examples=150, deadline=None)
@given(members=st.lists(member, min_size=1, max_size=6), on=days, household_flag=st.booleans())
def test_a_members_needs_count_only_while_they_live_in_the_household(
    members: list[tuple[bool, bool, date | None]], on: date, household_flag: bool
) -> None:
    ids = [uuid.uuid4() for _ in members]
    facts = domain.HouseholdFacts(
        settled_on=FIRST,
        members=tuple((pid, gone) for pid, (_, _, gone) in zip(ids, members, strict=True)),
    )
    application = domain.Application(
        uuid.uuid4(),
        len(members),
        Urgency.normal,
        FIRST,
        needs_step_free=household_flag,
        member_needs=tuple(
            domain.MemberNeeds(pid, wheelchair, step_free)
            for pid, (wheelchair, step_free, _) in zip(ids, members, strict=True)
        ),
    )
    candidate = application.candidate(uuid.uuid4(), facts.present_on(on))
    present = [m for m in members if m[2] is None or m[2] > on]
    assert candidate.needs_wheelchair_access == any(w for w, _, _ in present)
    assert candidate.needs_step_free == (household_flag or any(s for _, s, _ in present))
