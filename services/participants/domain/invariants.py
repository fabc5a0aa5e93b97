"""The participant's invariants as one check over the folded state.

The decisions enforce each invariant where a command could break it; this function
states them all in one place, so a property-based test can fold any accepted
sequence of commands and ask whether something broke. It returns what is broken,
in words, and an empty list for a consistent timeline.
"""

from __future__ import annotations

import itertools
from datetime import date

from services.participants import events as ev
from services.participants.domain.decisions import ADULT_AGE, HOURS_PER_DAY, age_on
from services.participants.domain.state import Participant, facts_dated, leave_days
from shared.dates import EARLIEST, LATEST


def broken_invariants(state: Participant, today: date) -> list[str]:
    """Every invariant ``state`` breaks, given that its facts were recorded by ``today``."""
    broken: list[str] = []
    born = state.born_on
    facts = facts_dated(state, today)

    def dated(what: str, day: date | None) -> None:
        if day is not None and not EARLIEST <= day <= LATEST:
            broken.append(f"{what} {day} outside the date window")

    # Dates are real: every fact in the window, none after today unless it is a plan.
    for what, day in facts:
        dated(what, day)
    checked: tuple[tuple[str, date | None], ...] = (
        ("settled_on", state.settled_on),
        ("died_on", state.died_on),
        ("emigrated_on", state.emigrated_on),
        ("left_household_on", state.left_household_on),
        ("taken_on", max((t for _, _, t in state.norwegian_tests), default=None)),
        ("on", max((on for on, _ in state.absences), default=None)),
        ("held_on", max(state.follow_ups, default=None)),
    )
    for what, maybe in checked:
        dated(what, maybe)
        if maybe is not None and maybe > today:
            broken.append(f"{what} {maybe} is after today {today}")
    dated("moved_out_on", state.moved_out_on)

    # Person: born before everything; the minor flag true at settlement; birth year agrees.
    for what, day in facts:
        if day < born:
            broken.append(f"{what} {day} before birth {born}")
    for what, maybe in (("died_on", state.died_on), ("emigrated_on", state.emigrated_on)):
        if maybe is not None and maybe < born:
            broken.append(f"{what} {maybe} before birth {born}")
    if state.birth_date is not None and state.birth_year != state.birth_date.year:
        broken.append(f"birth_year {state.birth_year} is not the birth date's {state.birth_date}")
    if state.unaccompanied_minor and (
        state.settled_on is None or age_on(born, state.settled_on) >= ADULT_AGE
    ):
        broken.append("unaccompanied minor not under 18 at settlement")

    # Nothing after death; nothing from the day the person left the municipality.
    if state.died_on is not None:
        for what, day in facts:
            if day > state.died_on and not _ends_at_exit(state, what, day):
                broken.append(f"{what} {day} after death {state.died_on}")
    left = state.left_on
    if left is not None:
        for what, day in facts:
            if day >= left and not _ends_at_exit(state, what, day) and what != "settled_on":
                broken.append(f"{what} {day} on or after leaving {left}")
        if state.died_on is not None and state.died_on >= left:
            broken.append("death recorded after leaving the municipality")

    # Order of the journey.
    previous_end: date | None = None
    for index, programme in enumerate(state.programmes):
        if state.settled_on is None or programme.starts_on < state.settled_on:
            broken.append(f"programme {index} starts {programme.starts_on} before settlement")
        if programme.base_planned_end <= programme.starts_on:
            broken.append(f"programme {index} planned end not after its start")
        if previous_end is not None and programme.starts_on < previous_end:
            broken.append(f"programme {index} starts before the previous one ended")
        if programme.ended_on is None and index != len(state.programmes) - 1:
            broken.append(f"programme {index} never ended but another started")
        if programme.ended_on is not None:
            if programme.ended_on < programme.starts_on:
                broken.append(f"programme {index} ends before it starts")
            previous_end = programme.ended_on
        # Leave: never overlapping, within the programme, the planned end moved once.
        spans = sorted(programme.leaves, key=lambda leave: leave.starts_on)
        open_leaves = [leave for leave in spans if leave.ends_on is None]
        if len(open_leaves) > 1:
            broken.append(f"programme {index} has {len(open_leaves)} open pauses")
        # A pause resumed on the day it began holds no day, so it cannot overlap.
        holding_days = [leave for leave in spans if leave.ends_on != leave.starts_on]
        for first, second in itertools.pairwise(holding_days):
            if first.ends_on is None or second.starts_on < first.ends_on:
                broken.append(
                    f"programme {index}: pause from {first.starts_on} overlaps the one from "
                    f"{second.starts_on}"
                )
        for leave in spans:
            if leave.starts_on < programme.starts_on:
                broken.append(f"programme {index}: pause before the programme starts")
            if leave.ends_on is not None and leave.ends_on < leave.starts_on:
                broken.append(f"programme {index}: pause ends before it starts")
        if programme.published_planned_end is not None:
            union = leave_days(programme.leaves)
            expected = date.fromordinal(programme.base_planned_end.toordinal() + union)
            if programme.ended_on is None and programme.published_planned_end != expected:
                broken.append(
                    f"programme {index}: published planned end {programme.published_planned_end}"
                    f" is not {expected} (base plus the union of leave days)"
                )
        # Follow-up status: only after November of the reference year began, inside the base.
        if programme.follow_up_status is not None:
            year = programme.follow_up_reference_year
            if programme.ended_on is None or year != programme.ended_on.year + 1:
                broken.append(f"programme {index}: status for the wrong reference year")
            elif today < date(year, 11, 1):
                broken.append(f"programme {index}: status before November {year} began")

    current = state.programme

    # Absences: inside a programme, at most 24 hours a day.
    for on, _ in state.absences:
        if state.programme_on(on) is None:
            broken.append(f"absence on {on} outside every programme")
        if state.absence_hours(on) > HOURS_PER_DAY + 1e-9:
            broken.append(f"more than 24 h of absence on {on}")
    for held in state.follow_ups:
        if state.programme_on(held) is None:
            broken.append(f"follow-up on {held} outside every programme")

    # Plans inside their programme.
    for programme_id, valid_from, activities in state.plans:
        owner = next((p for p in state.programmes if p.programme_id == programme_id), None)
        if owner is None or valid_from < owner.starts_on:
            broken.append(f"plan valid from {valid_from} before its programme")
        for activity in activities:
            if owner is not None and activity.starts_on < owner.starts_on:
                broken.append(f"activity from {activity.starts_on} before its programme")
            if activity.ends_on is not None and activity.ends_on < activity.starts_on:
                broken.append(f"activity ends {activity.ends_on} before it starts")

    # Death, emigration and moves end the programme with the outcome that says so.
    for outcome, maybe in (
        (ev.Outcome.deceased, state.died_on),
        (ev.Outcome.emigrated, state.emigrated_on),
        (ev.Outcome.moved_municipality, state.moved_out_on),
    ):
        if maybe is not None and current is not None and current.ended_on is None:
            broken.append(f"programme still running after {outcome.value} on {maybe}")
    return broken


def _ends_at_exit(state: Participant, what: str, day: date) -> bool:
    """A programme the exit itself ended (on the exit day, or on a planned start after it)."""
    if what != "ended_on":
        return False
    exits = [d for d in (state.died_on, state.emigrated_on, state.moved_out_on) if d]
    return any(p.ended_on == day and (day in exits or p.starts_on == day) for p in state.programmes)
