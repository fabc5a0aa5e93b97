"""The occupancy norm, the fit score and the aggregates' rules, without I/O."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from services.housing import domain
from services.housing.domain import allocation
from services.housing.domain.allocation import Candidate, DwellingFacts
from services.housing.events import (
    Decision,
    DwellingStatus,
    EndReason,
    Urgency,
)
from tests.housing.helpers import dwelling_attributes

TODAY = date(2025, 6, 1)


def candidate(size: int, ages: tuple[int, ...] = (), **fields: object) -> Candidate:
    values: dict[str, object] = {
        "application_id": uuid.uuid4(),
        "household_id": uuid.uuid4(),
        "household_size": size,
        "member_ages": ages,
        "needs_wheelchair_access": False,
        "needs_step_free": False,
        "district_wishes": (),
        "urgency": "normal",
        "received_on": TODAY,
    }
    values.update(fields)
    return Candidate(**values)  # type: ignore[arg-type]


def flat(rooms: int, **fields: object) -> DwellingFacts:
    values: dict[str, object] = {
        "rooms": rooms,
        "floor": 2,
        "has_lift": False,
        "accessible": False,
        "district": "Sentrum",
    }
    values.update(fields)
    return DwellingFacts(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(("rooms", "persons"), [(1, 2), (2, 2), (3, 4), (4, 6), (5, 8)])
def test_the_norm_allows_two_persons_per_bedroom(rooms: int, persons: int) -> None:
    assert allocation.capacity(rooms) == persons


def test_a_family_of_six_never_fits_a_one_room_flat() -> None:
    family = candidate(6, (41, 38, 14, 11, 7, 2))
    assert allocation.violations(flat(1), family) == ["too_small"]
    assert allocation.violations(flat(3), family) == ["too_small"]
    assert allocation.violations(flat(4), family) == []
    assert allocation.minimum_rooms(6) == 4
    result = allocation.suggest(flat(1), [family], TODAY, 10)
    assert result.ranked == [] and result.excluded["too_small"] == 1


def test_access_needs_are_must_haves() -> None:
    wheelchair = candidate(1, needs_wheelchair_access=True)
    stairs = candidate(1, needs_step_free=True)
    assert allocation.violations(flat(2), wheelchair) == ["needs_wheelchair_access"]
    assert allocation.violations(flat(2, has_lift=True), wheelchair) == ["needs_wheelchair_access"]
    assert allocation.violations(flat(2, accessible=True), wheelchair) == []
    assert allocation.violations(flat(2), stairs) == ["needs_step_free"]
    assert allocation.violations(flat(2, floor=0), stairs) == []
    assert allocation.violations(flat(2, has_lift=True), stairs) == []


def test_ideal_bedrooms_follow_the_bedroom_standard() -> None:
    assert allocation.ideal_bedrooms(6, (40, 38, 12, 9, 6, 3)) == 3  # parents + 2 × 2 children
    assert allocation.ideal_bedrooms(4, (45, 44, 19, 15)) == 3  # parents, adult son, child
    assert allocation.ideal_bedrooms(1, (30,)) == 1
    assert allocation.ideal_bedrooms(5) == 3  # no ages: ceil(5 / 2)


def test_score_parts_add_up_to_hand_computed_totals() -> None:
    four_rooms = flat(4, has_lift=True)
    family = candidate(
        6,
        (40, 38, 12, 9, 6, 3),
        district_wishes=("Sentrum",),
        urgency="high",
        received_on=TODAY - timedelta(days=365),
    )
    single = candidate(1, (30,), received_on=TODAY - timedelta(days=730))
    # family: size 40 (3 bedrooms = ideal) + access 10 + district 15 + waiting 20 × 365/730 = 10
    #         + urgency high 8 = 83
    assert allocation.score(four_rooms, family, TODAY) == pytest.approx(83.0)
    # single: size 40 − 2 × 10 = 20 + access 10 + district (no wish) 10 + waiting 20 + 0 = 60
    assert allocation.score(four_rooms, single, TODAY) == pytest.approx(60.0)
    result = allocation.suggest(four_rooms, [single, family], TODAY, 10)
    assert [r.candidate for r in result.ranked] == [family, single]
    assert [r.score for r in result.ranked] == [83.0, 60.0]
    parts = {p.factor: p.points for p in result.ranked[1].parts}
    assert parts == {
        "size": 20.0,
        "access": 10.0,
        "district": 10.0,
        "waiting": 20.0,
        "urgency": 0.0,
    }
    assert "2 more than needed" in result.ranked[1].parts[0].reason


def test_accessible_dwellings_are_kept_for_those_who_need_them() -> None:
    accessible = flat(2, accessible=True)
    needs = candidate(1, needs_wheelchair_access=True)
    does_not = candidate(1)
    assert allocation.score(accessible, needs, TODAY) - allocation.score(
        accessible, does_not, TODAY
    ) == pytest.approx(10.0)


def test_ties_follow_the_waiting_list_order() -> None:
    early = candidate(2, received_on=TODAY - timedelta(days=2000), urgency="normal")
    later = candidate(2, received_on=TODAY - timedelta(days=1000), urgency="normal")
    ranked = allocation.suggest(flat(2), [later, early], TODAY, 10).ranked
    # size 40 + access 10 + district (no wish) 10 + waiting (capped) 20 + urgency 0
    assert ranked[0].score == ranked[1].score == 80.0
    assert [r.candidate for r in ranked] == [early, later]


def _household_with_accepted_application(size: int = 2) -> tuple[domain.Household, uuid.UUID]:
    household_id, application_id = uuid.uuid4(), uuid.uuid4()
    events = domain.receive_application(
        domain.Household(),
        household_id,
        application_id,
        household_size=size,
        member_ages=(),
        needs_wheelchair_access=False,
        needs_step_free=False,
        district_wishes=(),
        urgency=Urgency.normal,
        received_on=date(2020, 1, 1),
        today=TODAY,
    )
    state = domain.fold_household(events)
    state = domain.fold_household(
        [
            *events,
            *domain.decide_application(
                state, application_id, Decision.accepted, date(2020, 1, 2), today=TODAY
            ),
        ]
    )
    return state, application_id


def _vacant_dwelling(rooms: int = 2) -> domain.Dwelling:
    return domain.fold_dwelling(
        domain.register_dwelling(
            uuid.uuid4(),
            address="x",
            **dwelling_attributes(
                rooms=rooms, size_m2=50, valuation=1_000_000, registered_on=date(2019, 1, 1)
            ),
            today=TODAY,
        )
    )


def test_a_placement_occupies_the_dwelling_and_its_end_frees_it() -> None:
    household, application_id = _household_with_accepted_application()
    dwelling = _vacant_dwelling()
    placement_id = uuid.uuid4()
    household_events, dwelling_events = domain.start_placement(
        household, dwelling, placement_id, application_id, date(2020, 3, 1), today=TODAY
    )
    occupied = domain.evolve_dwelling(dwelling, dwelling_events[0])
    assert occupied.status is DwellingStatus.occupied
    assert occupied.placement_id == placement_id
    housed = domain.evolve_household(household, household_events[0])
    with pytest.raises(domain.RuleViolation, match="already occupied") as occupied_refusal:
        domain.start_placement(
            housed, occupied, uuid.uuid4(), application_id, date(2020, 3, 2), today=TODAY
        )
    assert occupied_refusal.value.code == "dwelling-occupied"
    with pytest.raises(domain.RuleViolation) as refused:
        domain.end_placement(
            housed, placement_id, date(2020, 4, 1), EndReason.eviction, today=TODAY
        )
    assert refused.value.fields == ("reason",) and refused.value.status == 422
    _, freed = domain.end_placement(
        housed, placement_id, date(2020, 4, 1), EndReason.private_rental, today=TODAY
    )
    assert domain.evolve_dwelling(occupied, freed[0]).status is DwellingStatus.vacant


def test_officers_cannot_mark_a_dwelling_occupied_by_hand() -> None:
    with pytest.raises(domain.RuleViolation, match="only by allocating") as refused:
        domain.change_dwelling(
            _vacant_dwelling(), date(2020, 1, 1), today=TODAY, status=DwellingStatus.occupied
        )
    assert refused.value.code == "occupied-by-allocation"


def test_month_arithmetic_clamps_to_the_end_of_shorter_months() -> None:
    assert domain.add_months(date(2019, 11, 30), 27) == date(2022, 2, 28)
    assert domain.add_months(date(2019, 3, 1), 27) == date(2021, 6, 1)
    assert domain.add_years(date(2020, 2, 29), 3) == date(2023, 2, 28)
