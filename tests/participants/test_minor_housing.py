"""Where a minor's phases and housing's shared-home stays must agree (pure): each of the
three contradictions on its own, and a property that stays lived exactly as the phases
say contradict nothing while a stay moved outside them always does."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.participants import events as ev
from services.participants.domain import minor_housing as mh
from services.participants.domain.minor_record import MinorRecord

P = ev.MinorPhase
TODAY = date(2026, 1, 1)
HOME = uuid.UUID(int=1)


def record(*phases: tuple[ev.MinorPhase, date], ended: date | None = None) -> MinorRecord:
    return MinorRecord(
        phases=phases,
        ended=(ev.ServicesEndReason.cooperation_ended, ended, None) if ended else None,
    )


def stay(starts_on: date, ends_on: date | None = None) -> mh.HousingStay:
    return mh.HousingStay(uuid.uuid4(), HOME, starts_on, ends_on)


D = date(2024, 3, 1)


def day(n: int) -> date:
    return D + timedelta(days=n)


LIVED = record((P.intake, day(0)), (P.moving_in, day(5)), (P.shared_home, day(10)))


def codes(found: list[mh.Contradiction]) -> list[str]:
    return [c.code for c in found]


def test_stays_within_the_phases_contradict_nothing() -> None:
    assert mh.contradictions(LIVED, [stay(day(5))], TODAY) == []
    # Moving between shared homes on the same day leaves no gap.
    assert mh.contradictions(LIVED, [stay(day(5), day(100)), stay(day(100))], TODAY) == []
    # Before the shared-home phase a youth may have no place yet; nothing is flagged.
    assert mh.contradictions(record((P.intake, day(0))), [], TODAY) == []


def test_a_stay_before_moving_in_or_without_it() -> None:
    early = stay(day(3))
    found = mh.contradictions(LIVED, [early], TODAY)
    assert codes(found) == [mh.STAY_BEFORE_MOVING_IN]
    first = found[0]
    assert first.placement_id == early.placement_id
    assert first.facts == {"starts_on": day(3), "moving_in_on": day(5)}
    assert "innflytting" in first.detail and "moving-in" in first.detail
    only_intake = mh.contradictions(record((P.intake, day(0))), [early], TODAY)
    assert [(c.code, c.facts["moving_in_on"]) for c in only_intake] == [
        (mh.STAY_BEFORE_MOVING_IN, None)
    ]
    # Taken back by housing (ended the day it began): no day, no contradiction.
    assert mh.contradictions(LIVED, [stay(day(3), day(3)), stay(day(5))], TODAY) == []


def test_a_stay_after_the_bedsit_or_the_services_end() -> None:
    moved = record(*LIVED.phases, (P.bedsit, day(380)))
    open_stay = stay(day(5))
    found = mh.contradictions(moved, [open_stay], TODAY)
    assert codes(found) == [mh.STAY_AFTER_SHARED_HOME]
    assert found[0].facts == {"starts_on": day(5), "ends_on": None, "bedsit_on": day(380)}
    assert mh.contradictions(moved, [stay(day(5), day(380))], TODAY) == []
    late = mh.contradictions(moved, [stay(day(5), day(381))], TODAY)
    assert codes(late) == [mh.STAY_AFTER_SHARED_HOME]
    ended = record(*LIVED.phases, ended=day(200))
    assert codes(mh.contradictions(ended, [stay(day(5))], TODAY)) == [mh.STAY_AFTER_SHARED_HOME]
    assert "services_ended_on" in mh.contradictions(ended, [stay(day(5))], TODAY)[0].facts
    # A bedsit entered ahead of today does not make today's stay wrong yet.
    ahead = record(*LIVED.phases, (P.bedsit, TODAY + timedelta(days=3)))
    assert mh.contradictions(ahead, [stay(day(5))], TODAY) == []


def test_a_shared_home_phase_without_a_place() -> None:
    found = mh.contradictions(LIVED, [], TODAY)
    assert codes(found) == [mh.PHASE_WITHOUT_STAY]
    assert found[0].placement_id is None
    assert found[0].facts == {"shared_home_on": day(10), "uncovered_from": day(10)}
    gap = mh.contradictions(LIVED, [stay(day(5), day(40)), stay(day(60))], TODAY)
    assert [(c.code, c.facts.get("uncovered_from")) for c in gap] == [
        (mh.PHASE_WITHOUT_STAY, day(40))
    ]
    # The phase ends with the bedsit: days after it need no place.
    moved = record(*LIVED.phases, (P.bedsit, day(40)))
    assert mh.contradictions(moved, [stay(day(5), day(40))], TODAY) == []


@given(
    st.integers(0, 30),
    st.integers(0, 30),
    st.integers(1, 400),
    st.lists(st.integers(1, 60), max_size=4),
    st.booleans(),
)
def test_stays_lived_as_the_phases_say_agree_and_a_shifted_one_never_does(
    moving_in: int, to_shared: int, length: int, moves: list[int], bedsit: bool
) -> None:
    moving_in_on = day(moving_in)
    shared_on = moving_in_on + timedelta(days=to_shared)
    out = shared_on + timedelta(days=length)
    phases: list[tuple[ev.MinorPhase, date]] = [
        (P.intake, day(0)),
        (P.moving_in, moving_in_on),
        (P.shared_home, shared_on),
    ]
    if bedsit:
        phases.append((P.bedsit, out))
    lived = record(*phases)
    # Consecutive stays from the moving-in day, moving home on the days drawn.
    cuts = sorted({moving_in_on + timedelta(days=sum(moves[: i + 1])) for i in range(len(moves))})
    cuts = [c for c in cuts if c < out]
    starts = [moving_in_on, *cuts]
    ends: list[date | None] = [*cuts, out if bedsit else None]
    stays = [stay(s, e) for s, e in zip(starts, ends, strict=True)]
    assert mh.contradictions(lived, stays, TODAY) == []

    before = [stay(moving_in_on - timedelta(days=1), e) for e in ends[:1]] + stays[1:]
    assert mh.STAY_BEFORE_MOVING_IN in codes(mh.contradictions(lived, before, TODAY))
    if bedsit:
        beyond = [*stays[:-1], stay(starts[-1], out + timedelta(days=1))]
        assert mh.STAY_AFTER_SHARED_HOME in codes(mh.contradictions(lived, beyond, TODAY))
    if shared_on < (out if bedsit else TODAY):
        missing = [s for s in stays if not s.covers(shared_on)]
        assert mh.PHASE_WITHOUT_STAY in codes(mh.contradictions(lived, missing, TODAY))
