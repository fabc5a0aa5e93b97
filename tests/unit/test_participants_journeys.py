"""Property-based journeys against the participants' pure domain.

Hypothesis generates a person and a sequence of commands with random dates — around
the journey, far away, and at the edges of the calendar window — and feeds them to the
decisions. Whatever it generates:

* an accepted command never leaves a state that breaks an invariant
  (:func:`broken_invariants`, the one checking function);
* a refused command raises a coded rule (409/422), never anything a client would see
  as a 500, and changes nothing;
* a fact dated after today (a planned start, a scheduled leave, a move announced
  ahead) changes neither today's status nor today's planned end.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.participants import domain
from services.participants import events as ev
from services.participants.domain.invariants import broken_invariants
from shared.dates import EARLIEST, LATEST
from shared.events import Event
from shared.rules import RuleViolation
from tests.support import Journey, attempt, clamp_day, id_for_birth, near_days

EDGES = [EARLIEST, LATEST, date(1900, 1, 2), date(2199, 12, 30), date(2000, 2, 29)]


def anchors(state: domain.Participant, today: date) -> list[date]:
    """The days a plausible next fact lies near: today and the journey's own dates."""
    points = [today, state.born_on]
    programme = state.programme
    if state.settled_on is not None:
        points.append(state.settled_on)
    if programme is not None:
        points += [programme.starts_on, programme.planned_end]
        points += [p for p in (programme.paused_since, programme.ended_on) if p is not None]
        points += [leave.ends_on for leave in programme.leaves if leave.ends_on is not None]
    return points


def days(around: list[date], today: date) -> st.SearchStrategy[date]:
    """A day near one of ``around`` (mostly not after today), sometimes far off or at an edge."""
    near = near_days(
        around,
        today,
        st.one_of(st.integers(-20, 150), st.integers(-20, 150), st.integers(-3000, 3000)),
    )
    recent = st.builds(lambda back: clamp_day(today.toordinal() - back), st.integers(0, 1500))
    return st.one_of(near, near, near, recent, recent, st.sampled_from(EDGES))


OUTCOMES = [None, *ev.Outcome]
COMMANDS = st.sampled_from(
    [
        *("start", "start", "interrupt", "interrupt", "interrupt", "resume", "resume"),
        *("complete", "outcome", "status", "test", "follow_up", "absence", "absence"),
        *("plan", "correct_birth", "settle"),
    ]
)
ENDINGS = st.sampled_from(["leave_household", "move_out", "emigrate", "die", "erase"])
"""Facts that end (part of) a journey: drawn rarely, so journeys get long."""
HOURS = [None, 20.0, 37.5]


@st.composite
def command(draw: st.DrawFn, state: domain.Participant, today: date) -> tuple[str, dict[str, Any]]:
    d = days(anchors(state, today), today)
    if state.settled_on is None and draw(st.booleans()):
        name = "settle"
    elif draw(st.integers(0, 24)) == 0:
        name = draw(ENDINGS)
    else:
        name = draw(COMMANDS)
    args: dict[str, Any] = {}
    if name == "settle":
        args = {"on": draw(d), "minor": draw(st.booleans())}
    elif name == "start":
        args = {
            "on": draw(d),
            "kind": draw(st.sampled_from(list(ev.ProgrammeKind))),
            "planned_end": draw(st.one_of(st.none(), d)),
        }
    elif name == "interrupt":
        args = {
            "on": draw(d),
            "kind": draw(st.sampled_from(list(ev.PauseKind))),
            "to": draw(st.one_of(st.none(), d)),
        }
    elif name in ("resume", "test", "follow_up", "move_out", "emigrate", "die", "leave_household"):
        args = {"on": draw(d)}
    elif name == "complete":
        args = {
            "on": draw(d),
            "reason": draw(st.sampled_from(list(ev.CompletionReason))),
            "outcome": draw(st.sampled_from(OUTCOMES)),
            "hours": draw(st.sampled_from(HOURS)),
        }
    elif name == "outcome":
        args = {
            "outcome": draw(st.sampled_from(list(ev.Outcome))),
            "hours": draw(st.sampled_from(HOURS)),
            "correction": draw(st.booleans()),
        }
    elif name == "status":
        args = {
            "status": draw(st.sampled_from(list(ev.FollowUpStatus))),
            "preliminary": draw(st.booleans()),
        }
    elif name == "absence":
        args = {"on": draw(d), "hours": draw(st.sampled_from([0.5, 4.0, 8.0, 12.5, 24.0]))}
    elif name == "plan":
        args = {
            "on": draw(d),
            "activities": draw(
                st.lists(st.tuples(d, st.one_of(st.none(), d), st.floats(0, 40)), max_size=3)
            ),
        }
    elif name == "correct_birth":
        args = {"on": draw(st.one_of(d, st.dates(EARLIEST, today), st.just(state.born_on)))}
    return name, args


def decide(journey: Journey, name: str, args: dict[str, Any]) -> list[Event]:
    """Run one command against the journey's current state."""
    state, today = journey.state(), journey.today
    on = args.get("on")
    match name:
        case "settle":
            return domain.settle(
                state,
                on,
                ev.ArrivalCategory.resettlement_refugee,
                today,
                household_id=uuid.uuid4(),
                household_size=1,
                unaccompanied_minor=args["minor"],
            )
        case "start":
            return domain.start_programme(
                state, uuid.uuid4(), args["kind"], on, args["planned_end"], "sealed", today
            )
        case "interrupt":
            return domain.interrupt_programme(state, args["kind"], on, today, args["to"])
        case "resume":
            return domain.resume_programme(state, on, today)
        case "complete":
            return domain.complete_programme(
                state, on, args["reason"], args["outcome"], args["hours"], today
            )
        case "outcome":
            return domain.record_outcome(
                state, args["outcome"], args["hours"], today, args["correction"]
            )
        case "status":
            return domain.record_follow_up_status(state, args["status"], args["preliminary"], today)
        case "test":
            return domain.record_norwegian_test(
                state, ev.NorwegianSubTest.oral, ev.NorwegianLevel("B1"), on, today
            )
        case "follow_up":
            return domain.record_follow_up(state, on, "sealed", None, today)
        case "absence":
            return domain.record_absence(state, on, args["hours"], True, None, today)
        case "plan":
            activities = tuple(
                ev.PlannedActivity(
                    kind=ev.ActivityKind.norwegian_training,
                    hours_per_week=hours,
                    starts_on=starts,
                    ends_on=ends,
                )
                for starts, ends, hours in args["activities"]
            )
            return domain.revise_plan(state, on, ev.EndGoal.work, None, activities, None, today)
        case "move_out":
            return domain.move_out(state, on, "0301", "3301", today)
        case "emigrate":
            return domain.emigrate(state, on, today)
        case "die":
            return domain.die(state, on, today)
        case "leave_household":
            return domain.leave_household(state, on, today)
        case "correct_birth":
            events = domain.change_personal_details(state, "sealed", on, id_for_birth(on), today)
            journey.birth = on
            return events
        case "erase":
            return domain.erase(state)
    raise AssertionError(name)


def _future_dated(name: str, args: dict[str, Any], today: date) -> bool:
    return name in ("start", "interrupt", "move_out") and args["on"] > today


TODAYS = st.one_of(
    st.dates(date(1990, 1, 1), date(2060, 12, 31)),
    st.sampled_from([date(2199, 12, 31), date(2199, 6, 1), date(1901, 6, 1)]),
)


def _run(journey: Journey, data: st.DataObject) -> None:
    """Draw commands one by one against the journey's state and check each outcome."""
    assert broken_invariants(journey.state(), journey.today) == []
    for _ in range(data.draw(st.integers(10, 40), label="length")):
        before = journey.state()
        name, args = data.draw(command(before, journey.today))
        status_before = before.status_on(journey.today)
        current_before = before.programme
        after = attempt(journey, before, decide, name, args)
        if after is None:
            continue
        problems = broken_invariants(after, journey.today)
        assert problems == [], (name, args, problems)
        if _future_dated(name, args, journey.today):
            assert after.status_on(journey.today) == status_before, (name, args)
            if current_before is not None and name != "start":
                current = after.programme
                assert current is not None
                assert current.planned_end_on(journey.today) == current_before.planned_end_on(
                    journey.today
                ), (name, args)


def _registered(journey: Journey) -> Journey:
    journey.events = domain.register(
        journey.pid,
        journey.birth,
        id_for_birth(journey.birth),
        ev.Gender.unknown,
        "sealed",
        journey.today,
    )
    return journey


SETTINGS = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@SETTINGS
@given(TODAYS, st.data())
def test_no_accepted_command_breaks_an_invariant_and_refusals_change_nothing(
    today: date, data: st.DataObject
) -> None:
    birth = data.draw(st.dates(EARLIEST, today), label="birth")
    _run(_registered(Journey(today, birth)), data)


@SETTINGS
@given(st.dates(date(2020, 3, 1), date(2199, 12, 31)), st.data())
def test_running_programmes_keep_their_invariants(today: date, data: st.DataObject) -> None:
    """The same, from a programme that has started: deeper into leaves, ends and statuses."""
    journey = _registered(Journey(today, date(1990, 4, 4)))
    journey.events += domain.settle(
        journey.state(),
        date(2020, 1, 10),
        ev.ArrivalCategory.other,
        today,
        household_id=uuid.uuid4(),
    )
    journey.events += domain.start_programme(
        journey.state(),
        uuid.uuid4(),
        ev.ProgrammeKind.introduction,
        date(2020, 2, 1),
        None,
        "sealed",
        today,
    )
    _run(journey, data)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 400), st.one_of(st.none(), st.integers(0, 60))),
        max_size=6,
    )
)
def test_the_planned_end_moves_by_the_union_of_leave_days_once(
    spans: list[tuple[int, int | None]],
) -> None:
    start = date(2024, 1, 1)
    base = date(2026, 1, 1)
    journey = Journey(date(2027, 1, 1), date(1990, 1, 1))
    journey.events = domain.register(
        journey.pid,
        journey.birth,
        id_for_birth(journey.birth),
        ev.Gender.unknown,
        "s",
        journey.today,
    )
    journey.events += domain.settle(
        journey.state(), start, ev.ArrivalCategory.other, journey.today, household_id=uuid.uuid4()
    )
    journey.events += domain.start_programme(
        journey.state(),
        uuid.uuid4(),
        ev.ProgrammeKind.introduction,
        start,
        base,
        None,
        journey.today,
    )
    accepted: list[tuple[int, int]] = []
    for offset, length in spans:
        begins = date.fromordinal(start.toordinal() + offset)
        ends = None if length is None else date.fromordinal(begins.toordinal() + length + 1)
        try:
            journey.events += domain.interrupt_programme(
                journey.state(), ev.PauseKind.leave, begins, journey.today, ends
            )
            if ends is None:
                ends = date.fromordinal(begins.toordinal() + 10)
                journey.events += domain.resume_programme(journey.state(), ends, journey.today)
        except RuleViolation as refused:
            assert refused.code in ("overlapping-leave", "already-paused")
            continue
        accepted.append((begins.toordinal(), ends.toordinal()))
    covered = {day for begins, ends in accepted for day in range(begins, ends)}
    assert sum(ends - begins for begins, ends in accepted) == len(covered), "leaves overlap"
    programme = journey.state().programme
    assert programme is not None
    assert programme.planned_end == date.fromordinal(base.toordinal() + len(covered))
    resumed = [e for e in journey.events if isinstance(e, ev.ProgrammeResumed)]
    if resumed:
        assert resumed[-1].planned_end == programme.planned_end
