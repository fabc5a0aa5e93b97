"""Allocation under places and mentor capacity: never over a limit, never worse than optimal."""

from __future__ import annotations

import itertools
import uuid
from datetime import date

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from services.matching.domain.allocation import assign, leaves_before_start
from services.matching.domain.candidates import Candidate
from services.matching.domain.scoring import OpeningSpec
from services.matching.events import OpeningKind, OpeningTerms

EMPLOYERS = [uuid.UUID(int=i + 1) for i in range(3)]


@st.composite
def problems(draw: st.DrawFn, max_rows: int = 7, max_cols: int = 4) -> tuple:
    rows = draw(st.integers(0, max_rows))
    cols = draw(st.integers(1, max_cols))
    cells = draw(
        st.lists(
            st.one_of(st.just(0.0), st.floats(0.001, 100, allow_nan=False)),
            min_size=rows * cols,
            max_size=rows * cols,
        )
    )
    value = np.array(cells, dtype=np.float64).reshape(rows, cols)
    places = draw(st.lists(st.integers(0, 3), min_size=cols, max_size=cols))
    groups = draw(
        st.lists(st.one_of(st.none(), st.sampled_from(EMPLOYERS)), min_size=cols, max_size=cols)
    )
    left = {e: draw(st.integers(-1, 3)) for e in EMPLOYERS}
    return value, places, groups, left


def _feasible(assigned: dict[int, int], value, places, groups, left) -> None:
    per_opening = np.bincount(list(assigned.values()), minlength=len(places))
    assert all(per_opening[o] <= places[o] for o in range(len(places)))
    for employer in EMPLOYERS:
        used = sum(1 for o in assigned.values() if groups[o] == employer)
        assert used <= max(0, left[employer]), (employer, used, left[employer])
    assert all(value[r, o] > 0 for r, o in assigned.items())


def _best(value, places, groups, left) -> float:
    """Brute force: every way to give each row one opening or none."""
    rows, cols = value.shape
    best = 0.0
    for choice in itertools.product([None, *range(cols)], repeat=rows):
        assigned = {r: o for r, o in enumerate(choice) if o is not None}
        try:
            _feasible(assigned, value, places, groups, left)
        except AssertionError:
            continue
        best = max(best, sum(value[r, o] for r, o in assigned.items()))
    return best


@settings(max_examples=200, deadline=None)
@given(problems())
def test_no_allocation_exceeds_places_or_an_employers_mentors(problem: tuple) -> None:
    value, places, groups, left = problem
    assigned = assign(value, places, groups, left)
    _feasible(assigned, value, places, groups, left)


@settings(max_examples=120, deadline=None)
@given(problems(max_rows=5, max_cols=3))
def test_the_allocation_is_optimal_under_the_mentor_limit(problem: tuple) -> None:
    value, places, groups, left = problem
    assigned = assign(value, places, groups, left)
    total = sum(value[r, o] for r, o in assigned.items())
    assert abs(total - _best(value, places, groups, left)) < 1e-6


def test_two_practice_openings_of_one_employer_share_its_mentors() -> None:
    employer = EMPLOYERS[0]
    value = np.array([[90.0, 10.0], [80.0, 70.0], [60.0, 50.0]])
    assigned = assign(value, [2, 2], [employer, employer], {employer: 2})
    assert len(assigned) == 2
    assert sum(value[r, o] for r, o in assigned.items()) == 170.0
    # The same openings taking no mentor fill all three candidates.
    assert len(assign(value, [2, 2], [None, None], {employer: 2})) == 3


def test_a_candidate_leaving_before_an_opening_starts_cannot_take_it() -> None:
    def spec(starts_on: date) -> OpeningSpec:
        terms = OpeningTerms(
            isco_code="9412",
            places=1,
            hours_per_week=15,
            starts_on=starts_on,
            municipality_code="3301",
        )
        return OpeningSpec(uuid.uuid4(), EMPLOYERS[0], OpeningKind.job, terms, 1)

    staying = Candidate(uuid.uuid4(), "3301")
    leaving = Candidate(uuid.uuid4(), "3301", leaves_on=date(2026, 3, 1))
    blocked = leaves_before_start(
        [staying, leaving], [spec(date(2026, 2, 28)), spec(date(2026, 3, 1))]
    )
    assert blocked.tolist() == [[False, False], [False, True]]
