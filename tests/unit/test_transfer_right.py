"""What passes with a transfer: the remaining right and the hours done, tried to break."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from services.participants import events as ev
from services.participants.domain import Leave, Participant, Programme, apply, fold, moving
from services.participants.domain import transfer as t
from tests.unit.participant_events import programme_started, registered_and_settled

START = date(2024, 1, 1)


@st.composite
def programmes(draw: st.DrawFn) -> Programme:
    """A programme with up to four leaves that never overlap (the domain's own rule)."""
    starts_on = START + timedelta(days=draw(st.integers(0, 400)))
    granted = draw(st.integers(1, 1100))
    leaves: list[Leave] = []
    cursor = starts_on
    for _ in range(draw(st.integers(0, 4))):
        begin = cursor + timedelta(days=draw(st.integers(0, 200)))
        if draw(st.booleans()):
            leaves.append(Leave(ev.PauseKind.leave, begin))
            break
        end = begin + timedelta(days=draw(st.integers(1, 120)))
        leaves.append(Leave(draw(st.sampled_from(ev.PauseKind)), begin, end))
        cursor = end
    ended = draw(st.one_of(st.none(), st.integers(0, 1500)))
    reason = draw(st.sampled_from(ev.CompletionReason))
    return Programme(
        programme_id=uuid.uuid4(),
        kind=ev.ProgrammeKind.introduction,
        starts_on=starts_on,
        base_planned_end=starts_on + timedelta(days=granted),
        leaves=tuple(leaves),
        ended_on=None if ended is None else starts_on + timedelta(days=ended),
        reason=None if ended is None else reason,
    )


@settings(max_examples=400, deadline=None)
@given(programmes(), st.integers(-100, 2000))
def test_remaining_right_is_never_negative_nor_more_than_granted(
    programme: Programme, offset: int
) -> None:
    on = programme.starts_on + timedelta(days=offset)
    right = moving.programme_right(programme, on)
    assert right.granted == (programme.base_planned_end - programme.starts_on).days
    assert 0 <= right.remaining <= right.granted
    assert right.used >= 0 and right.leave >= 0
    if on <= programme.starts_on:
        assert right.remaining == right.granted


@settings(max_examples=200, deadline=None)
@given(programmes(), st.integers(0, 400), st.integers(0, 400))
def test_time_on_leave_does_not_use_the_right(programme: Programme, first: int, later: int) -> None:
    """The right left never grows as time passes."""
    a = programme.starts_on + timedelta(days=min(first, later))
    b = programme.starts_on + timedelta(days=max(first, later))
    assert (
        moving.programme_right(programme, b).remaining
        <= moving.programme_right(programme, a).remaining
    )


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.floats(0, 60), min_size=1, max_size=3),
    st.lists(st.tuples(st.integers(0, 80), st.floats(0.5, 24)), max_size=12),
    st.integers(0, 90),
)
def test_hours_done_are_planned_hours_less_absence_and_never_negative(
    hours: list[float], absences: list[tuple[int, float]], days: int
) -> None:
    pid, programme_id = uuid.uuid4(), uuid.uuid4()
    activities = tuple(
        ev.PlannedActivity(kind=ev.ActivityKind.other, hours_per_week=h, starts_on=START)
        for h in hours
    )
    state = fold(
        [
            *registered_and_settled(pid, START),
            programme_started(pid, programme_id, START),
            ev.PlanRevised(
                participant_id=pid,
                programme_id=programme_id,
                revision=1,
                valid_from=START,
                end_goal=ev.EndGoal.work,
                activities=activities,
                hours_per_week=sum(hours),
                full_time=sum(hours) >= 37.5,
            ),
        ]
    )
    state = replace(state, absences=tuple((START + timedelta(days=d), h) for d, h in absences))
    moved_on = START + timedelta(days=days)
    package = moving.package(state, pid, uuid.uuid4(), "0301", moved_on)
    weekdays = sum(1 for d in range(days) if (START + timedelta(days=d)).weekday() < 5)
    assert abs(package.planned_hours - round(weekdays * sum(hours) / 5, 2)) < 0.02
    assert package.hours_done >= 0
    assert package.hours_done <= package.planned_hours
    expected_absence = sum(h for d, h in absences if d < days)
    assert abs(package.absence_hours - expected_absence) < 0.02
    assert package.remaining.programme_days is not None
    assert 0 <= package.remaining.programme_days <= 730


def test_the_record_folds_advisers_plan_and_the_transfer_decision() -> None:
    pid, programme_id, transfer_id, new_id = (uuid.uuid4() for _ in range(4))
    state = Participant()
    for event in (
        ev.ProgrammeAdviserAssigned(
            participant_id=pid, programme_id=programme_id, sealed_adviser="a"
        ),
        ev.ProgrammeAdviserAssigned(
            participant_id=pid, programme_id=programme_id, sealed_adviser="b"
        ),
        ev.TransferRecorded(
            participant_id=pid,
            transfer_id=transfer_id,
            to_municipality="0301",
            moved_on=START,
            delivered=True,
        ),
        ev.TransferAccepted(
            participant_id=pid, transfer_id=transfer_id, received_as=new_id, accepted_on=START
        ),
    ):
        state = apply(state, event)
    record: t.TransferRecord = state.transfer
    assert record.sealed_adviser(programme_id) == "b"
    assert record.sealed_adviser(uuid.uuid4()) is None
    assert record.sent is not None and record.sent.status == "accepted"
    assert record.sent.received_as == new_id
    untouched = ev.ParticipantEmigrated(participant_id=pid, emigrated_on=START)
    assert t.apply(record, untouched) is record


def test_category_decision_and_norwegian_right_pass_as_codes_and_dates() -> None:
    pid, programme_id = uuid.uuid4(), uuid.uuid4()
    settled = date(2024, 3, 1)
    state = fold(
        [
            *registered_and_settled(pid, settled),
            ev.CategoryRecorded(
                participant_id=pid, category=ev.ActCategory.refugee, valid_from=settled
            ),
            ev.ParticipationDecided(
                participant_id=pid,
                decision_id=uuid.uuid4(),
                scheme=ev.Scheme.introduction_programme,
                decided_on=date(2024, 4, 2),
                legal_basis="il-8",
                granted=True,
                category=ev.ActCategory.refugee,
            ),
            programme_started(pid, programme_id, date(2024, 5, 6), planned_end=date(2026, 5, 6)),
        ]
    )
    moved_on = date(2025, 1, 6)
    package = moving.package(state, pid, uuid.uuid4(), "0301", moved_on)
    assert package.act == ev.TransferredAct(
        category="refugee", decision="granted", decided_on=date(2024, 4, 2), legal_basis="il-8"
    )
    ends = package.remaining.norwegian_training_ends_on
    assert ends is not None and ends > moved_on
    assert package.remaining.norwegian_training_days == (ends - moved_on).days
    assert package.plan is None and package.hours_done == 0
    assert moving.act_summary(Participant(), moved_on) is None
