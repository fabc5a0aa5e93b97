"""Rules on hand-made snapshots (pure): the corners the cohort does not reach."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from services.indicators.domain.catalogue import BUILT_INS
from services.indicators.domain.facts import build_snapshots
from services.indicators.domain.periods import Period
from services.indicators.domain.rules import RULES, Context, Result

M = "3301"


def snapshot(**tables: list[dict[str, Any]]) -> Any:
    rows = {name: [{"municipality": M, **row} for row in items] for name, items in tables.items()}
    return build_snapshots(rows).get(M)


def run(key: str, snap: Any, period: str, known_on: date = date(2020, 1, 1)) -> Result:
    built_in = BUILT_INS[key]
    return RULES[built_in.rule].compute(
        snap, Context(Period.parse(period), known_on), built_in.parameters
    )


def test_a_resumed_programme_is_active_again_and_a_plan_applies_from_its_valid_from() -> None:
    pid, programme = uuid.uuid4(), uuid.uuid4()
    snap = snapshot(
        programme_starts=[{"participant_id": pid, "programme_id": programme, "kind": "introduction",
                           "starts_on": date(2018, 1, 1), "planned_end": date(2020, 1, 1)}],
        programme_pauses=[
            {"participant_id": pid, "programme_id": programme, "change": "interrupted",
             "pause_kind": "leave", "on_date": date(2018, 5, 1), "planned_end": None},
            {"participant_id": pid, "programme_id": programme, "change": "resumed",
             "pause_kind": None, "on_date": date(2018, 8, 1), "planned_end": date(2020, 4, 1)},
        ],
        plan_revisions=[
            {"participant_id": pid, "programme_id": programme, "revision": 1,
             "valid_from": date(2018, 1, 1), "hours_per_week": 37.5, "full_time": True},
            {"participant_id": pid, "programme_id": programme, "revision": 2,
             "valid_from": date(2018, 12, 1), "hours_per_week": 30.0, "full_time": False},
        ],
    )  # fmt: skip
    paused = run("full_time_plans", snap, "2018-Q2")
    assert (paused.value, paused.members[0].reason_code) == (None, "paused")
    active = run("full_time_plans", snap, "2018-Q3")
    assert (active.value, active.numerator, active.denominator) == (100.0, 1, 1)
    later = run("full_time_plans", snap, "2018-Q4")
    assert (later.value, later.members[0].reason("nb")) == (0.0, "planrevisjon 2: 30 t/uke < 37.5")


def test_waiting_ends_when_the_household_is_placed_even_without_the_application() -> None:
    household, application = uuid.uuid4(), uuid.uuid4()
    snap = snapshot(
        housing_applications=[{"application_id": application, "household_id": household,
                               "household_size": 2, "received_on": date(2019, 1, 15),
                               "urgency": "normal"}],
        placements=[{"placement_id": uuid.uuid4(), "household_id": household, "change": "started",
                     "dwelling_id": uuid.uuid4(), "application_id": uuid.uuid4(),
                     "on_date": date(2019, 3, 10), "reason": None}],
    )  # fmt: skip
    result = run("households_waiting", snap, "2019-Q1")
    assert (result.numerator, result.denominator) == (2.0, 3.0)
    assert result.breakdown == {"2019-01-31": 1.0, "2019-02-28": 1.0, "2019-03-31": 0.0}
    # Month ends after the as-of date are not counted yet.
    early = run("households_waiting", snap, "2019-Q1", known_on=date(2019, 2, 10))
    assert (early.value, early.denominator) == (1.0, 1.0)


def test_leaving_and_coming_back_after_the_deadline_still_counts_as_left() -> None:
    household, person = uuid.uuid4(), uuid.uuid4()
    first, second = uuid.uuid4(), uuid.uuid4()
    snap = snapshot(
        settlements=[{"participant_id": person, "settled_on": date(2015, 1, 1),
                      "arrival_category": "other", "household_id": household, "household_size": 1,
                      "unaccompanied_minor": False}],
        placements=[
            {"placement_id": first, "household_id": household, "change": "started",
             "dwelling_id": None, "application_id": None, "on_date": date(2015, 1, 5), "reason": None},
            {"placement_id": first, "household_id": household, "change": "ended",
             "dwelling_id": None, "application_id": None, "on_date": date(2016, 6, 1),
             "reason": "private_rental"},
            {"placement_id": second, "household_id": household, "change": "started",
             "dwelling_id": None, "application_id": None, "on_date": date(2017, 9, 1), "reason": None},
        ],
    )  # fmt: skip
    result = run("left_municipal_housing_27_months", snap, "2017")
    assert (result.value, result.members[0].reason_code) == (100.0, "left")
    assert result.members[0].reason() == "left on 2016-06-01 (private_rental) after 17 months"
    # As known on 2017-01-01 the window (to 2017-04-01) was still open: not counted yet,
    # although they had left (counting only early leavers would flatter the figure).
    early = run("left_municipal_housing_27_months", snap, "2017", known_on=date(2017, 1, 1))
    assert (early.value, early.members[0].reason_code) == (None, "window_open")


def test_recorded_order_decides_which_follow_up_status_counts() -> None:
    pid, programme = uuid.uuid4(), uuid.uuid4()
    statuses = [
        {"participant_id": pid, "programme_id": programme, "reference_year": 2019,
         "status": "employed", "preliminary": True},
        {"participant_id": pid, "programme_id": programme, "reference_year": 2019,
         "status": "other_unknown", "preliminary": False},
    ]  # fmt: skip
    final = run("follow_up_work_or_education", snapshot(follow_up_statuses=statuses), "2019")
    assert (final.value, final.preliminary) == (0.0, False)
    preliminary = run(
        "follow_up_work_or_education", snapshot(follow_up_statuses=statuses[:1]), "2019"
    )
    assert (preliminary.value, preliminary.preliminary) == (100.0, True)
    assert (
        run("follow_up_work_or_education", snapshot(follow_up_statuses=statuses), "2019-Q4").value
        == 0.0
    )
    assert (
        run("follow_up_work_or_education", snapshot(follow_up_statuses=statuses), "2019-Q3").value
        is None
    )


def test_an_empty_municipality_has_no_values_but_zero_counts() -> None:
    empty = snapshot(settlements=[])
    assert empty is None
    from services.indicators.domain.facts import Snapshot

    for key in BUILT_INS:
        result = run(key, Snapshot(M), "2019")
        assert result.value in (None, 0.0), key
        assert result.members == ()


def test_parameters_change_what_counts() -> None:
    programme, pid = uuid.uuid4(), uuid.uuid4()
    snap = snapshot(
        programme_starts=[{"participant_id": pid, "programme_id": programme, "kind": "introduction",
                           "starts_on": date(2017, 1, 1), "planned_end": date(2019, 1, 1)}],
        programme_completions=[{"participant_id": pid, "programme_id": programme,
                                "ended_on": date(2019, 1, 1), "reason": "completed",
                                "outcome": "work_part_time", "hours_per_week": 20.0}],
    )  # fmt: skip
    rule = RULES["exit_outcome_share"]
    context = Context(Period.parse("2019"), date(2020, 1, 1))
    assert rule.compute(snap, context, {}).value == 0.0
    with_part_time = {"numerator_outcomes": ["work_full_time", "work_part_time"]}
    assert rule.compute(snap, context, with_part_time).value == 100.0
