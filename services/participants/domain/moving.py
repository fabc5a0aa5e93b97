"""Pure decisions of part 7: change of adviser, caseload moves, transfers (flytting).

Nothing here reads a clock or a database: the state, the command's values and
``today`` come in, events (or a :class:`~shared.rules.RuleViolation`) go out. The
package a transfer carries is computed here too (:func:`package`): hours done and
remaining right are derived from the stream, as described in
docs/integration-act/transfers.md.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from services.participants import events as ev
from services.participants.domain import deadlines, decisions
from services.participants.domain import rules as r
from services.participants.domain import transfer as t
from services.participants.domain.state import Leave, Participant, Programme, leave_days
from shared.date_order import refuse_before
from shared.dates import not_in_future
from shared.events import Event

WORKING_DAYS_PER_WEEK = 5


def _running(state: Participant) -> Programme:
    current = state.programme
    if current is None or not current.active:
        raise r.NO_PROGRAMME.violation(
            "The participant has no running (or planned) programme whose adviser could change."
        )
    return current


def refuse_after_transfer(state: Participant) -> None:
    """The sending record is read-only once a transfer is recorded (``transfer-recorded``)."""
    sent = state.transfer.sent
    if sent is not None:
        raise t.TRANSFER_RECORDED.violation(
            f"The participant moved to {sent.to_municipality} on {sent.moved_on.isoformat()} "
            f"(transfer {sent.transfer_id}); this record is read-only.",
            transfer_id=str(sent.transfer_id),
            moved_on=sent.moved_on,
            to_municipality=sent.to_municipality,
        )


def change_adviser(
    state: Participant,
    current_adviser: str | None,
    new_adviser: str,
    sealed_adviser: str,
    today: date,
) -> list[Event]:
    """A new adviser for the running programme; the earlier assignments stay in the stream."""
    refuse_after_transfer(state)
    pid = decisions.record_profile(state, today)
    programme = _running(state)
    if current_adviser is not None and current_adviser == new_adviser:
        raise t.SAME_ADVISER.violation(
            "The programme already has this adviser.", "adviser", adviser=new_adviser
        )
    return [
        ev.ProgrammeAdviserAssigned(
            participant_id=pid, programme_id=programme.programme_id, sealed_adviser=sealed_adviser
        )
    ]


def move_from_caseload(
    state: Participant,
    from_adviser: str,
    current_adviser: str | None,
    to_adviser: str,
    sealed_adviser: str,
    today: date,
) -> list[Event]:
    """One participant of a caseload move: only if ``from_adviser`` follows them now."""
    programme = state.programme
    if programme is None or not programme.active or current_adviser != from_adviser:
        raise t.NOT_IN_CASELOAD.violation(
            "The participant's running programme is not followed by this adviser.",
            "participant_ids",
        )
    return change_adviser(state, current_adviser, to_adviser, sealed_adviser, today)


# -- what passes with a transfer ---------------------------------------------------------


@dataclass(frozen=True)
class RightUsed:
    """The programme time granted, used and left on a day (all in days)."""

    granted: int
    used: int
    leave: int
    remaining: int


def programme_right(programme: Programme, on: date) -> RightUsed:
    """Programme time left on ``on``: never negative, never more than was granted.

    Granted is the planned end before any leave minus the start (the decision's length).
    Used is the time run from the start up to ``on`` (or the programme's end, if
    earlier), minus the days of leave or interruption in it: a pause does not use the
    right. A programme completed (not interrupted) before ``on`` leaves nothing.
    """
    granted = max(0, (programme.base_planned_end - programme.starts_on).days)
    stop = on if programme.ended_on is None else min(on, programme.ended_on)
    if stop <= programme.starts_on:
        return RightUsed(granted, 0, 0, granted)
    elapsed = (stop - programme.starts_on).days
    paused = min(elapsed, _leave_days_before(programme.leaves, stop))
    used = elapsed - paused
    remaining = max(0, min(granted, granted - used))
    if (
        programme.ended_on is not None
        and programme.ended_on < on
        and programme.reason == ev.CompletionReason.completed
    ):
        remaining = 0
    return RightUsed(granted, used, paused, remaining)


def _leave_days_before(leaves: Iterable[Leave], stop: date) -> int:
    """Leave days on the days before ``stop``."""
    return leave_days(leaves, through=stop - timedelta(days=1))


def _weekdays(start: date, stop: date) -> Iterable[date]:
    day = start
    while day < stop:
        if day.weekday() < WORKING_DAYS_PER_WEEK:
            yield day
        day += timedelta(days=1)


def planned_hours(state: Participant, programme: Programme, on: date) -> float:
    """Hours the plan set for the programme's working days before ``on``.

    Each weekday from the start up to (not including) ``on`` or the programme's end
    counts the hours a week of the plan revision in force that day, a fifth per day,
    for the activities running that day; days of leave or interruption count nothing.
    Public holidays and the 47-week year are not known to the stream and not deducted.
    """
    revisions = sorted(
        (valid_from, activities)
        for programme_id, valid_from, activities in state.plans
        if programme_id == programme.programme_id
    )
    if not revisions:
        return 0.0
    stop = on if programme.ended_on is None else min(on, programme.ended_on + timedelta(days=1))
    total = 0.0
    for day in _weekdays(programme.starts_on, stop):
        if any(leave.covers(day) for leave in programme.leaves):
            continue
        in_force = [acts for valid_from, acts in revisions if valid_from <= day]
        if not in_force:
            continue
        total += decisions.weekly_hours(in_force[-1], day) / WORKING_DAYS_PER_WEEK
    return round(total, 2)


def absence_hours(state: Participant, programme: Programme, on: date) -> float:
    """Absence recorded (valid or not) on the programme's days before ``on``."""
    return round(
        sum(
            hours
            for day, hours in state.absences
            if programme.starts_on <= day < on
            and (programme.ended_on is None or day <= programme.ended_on)
        ),
        2,
    )


def _plan(state: Participant) -> ev.TransferredPlan | None:
    plan = state.transfer.plan
    if plan is None:
        return None
    return ev.TransferredPlan(
        revision=plan.revision,
        valid_from=plan.valid_from,
        end_goal=plan.end_goal,
        norwegian_goal=plan.norwegian_goal,
        activities=plan.activities,
        hours_per_week=plan.hours_per_week,
        full_time=plan.full_time,
    )


def act_summary(state: Participant, on: date) -> ev.TransferredAct | None:
    """Category and the decision on the introduction programme, as of ``on``: codes and
    dates only (no grounds, no complaint texts)."""
    period = state.act.category_on(on) or state.act.category
    decision = state.act.decision_for(ev.Scheme.introduction_programme, on)
    if period is None and decision is None:
        return None
    return ev.TransferredAct(
        category=period.category.value if period is not None else None,
        decision=None if decision is None else ("granted" if decision.granted else "refused"),
        decided_on=decision.decided_on if decision is not None else None,
        legal_basis=decision.legal_basis if decision is not None else None,
    )


def norwegian_right_ends_on(state: Participant, on: date) -> date | None:
    """The end of the right to Norwegian training as the Act's deadline table has it."""
    table = deadlines.tables().get("norwegian_training_right")
    if table is None:
        return None
    try:
        entry = table.entry_on(on)
    except LookupError:
        return None
    if not deadlines._applies(entry.value, state, on):
        return None
    computed = deadlines._norwegian_right(state, entry.value, on)
    return computed[2] if computed is not None else None


def package(
    state: Participant, pid: uuid.UUID, transfer_id: uuid.UUID, to: str, moved_on: date
) -> ev.TransferPackagePrepared:
    """What the law lets pass to the receiving municipality, as of ``moved_on``."""
    programme = state.programme
    transferred: ev.TransferredProgramme | None = None
    remaining = ev.RemainingRight()
    planned = absent = 0.0
    if programme is not None:
        right = programme_right(programme, moved_on)
        transferred = ev.TransferredProgramme(
            kind=programme.kind,
            starts_on=programme.starts_on,
            granted_days=right.granted,
            used_days=right.used,
            leave_days=right.leave,
            ended_on=programme.ended_on,
        )
        remaining = ev.RemainingRight(
            programme_days=right.remaining,
            programme_ends_on=moved_on + timedelta(days=right.remaining),
        )
        planned = planned_hours(state, programme, moved_on)
        absent = absence_hours(state, programme, moved_on)
    norwegian_end = norwegian_right_ends_on(state, moved_on)
    if norwegian_end is not None:
        remaining = remaining.model_copy(
            update={
                "norwegian_training_ends_on": norwegian_end,
                "norwegian_training_days": max(0, (norwegian_end - moved_on).days),
            }
        )
    return ev.TransferPackagePrepared(
        participant_id=pid,
        transfer_id=transfer_id,
        to_municipality=to,
        moved_on=moved_on,
        birth_year=state.birth_year or state.born_on.year,
        gender=state.gender,
        settled_on=state.settled_on,
        arrival_category=state.arrival_category,
        programme=transferred,
        plan=_plan(state),
        planned_hours=planned,
        absence_hours=absent,
        hours_done=round(max(0.0, planned - absent), 2),
        remaining=remaining,
        act=act_summary(state, moved_on),
    )


def record_transfer(
    state: Participant,
    transfer_id: uuid.UUID,
    to_municipality: str,
    moved_on: date,
    from_municipality: str,
    delivered: bool,
    today: date,
) -> list[Event]:
    """The sending municipality records the move: moved out, the transfer, and (when the
    receiving municipality runs Veiviser here) the package it may see."""
    if to_municipality == from_municipality:
        raise t.TRANSFER_TO_SELF.violation(
            f"to_municipality {to_municipality} is the municipality the participant lives in.",
            "to_municipality",
            to_municipality=to_municipality,
        )
    refuse_after_transfer(state)
    not_in_future("moved_on", moved_on, today, "A transfer")
    moved: list[Event]
    if (
        state.moved_out_on is not None
        and state.moved_out_on == moved_on
        and state.moved_to == to_municipality
        and state.emigrated_on is None
        and state.died_on is None
    ):
        # The move was announced ahead with move-out; the transfer completes it.
        pid = state.participant_id
        assert pid is not None
        moved = []
    else:
        moved = decisions.move_out(state, moved_on, to_municipality, from_municipality, today)
        pid = state.participant_id
        assert pid is not None
    recorded = ev.TransferRecorded(
        participant_id=pid,
        transfer_id=transfer_id,
        to_municipality=to_municipality,
        moved_on=moved_on,
        delivered=delivered,
    )
    if not delivered:
        return [*moved, recorded]
    return [*moved, recorded, package(state, pid, transfer_id, to_municipality, moved_on)]


def decide_transfer(state: Participant, transfer_id: uuid.UUID) -> t.SentTransfer:
    """The pending transfer ``transfer_id`` of this record, or why it cannot be decided."""
    sent = state.transfer.sent
    if sent is None or sent.transfer_id != transfer_id or not sent.delivered:
        raise r.NOT_REGISTERED.violation("No pending transfer with this id.")
    if sent.status != "pending":
        raise t.TRANSFER_DECIDED.violation(
            f"The transfer was already {sent.status}"
            + (f" on {sent.decided_on.isoformat()}" if sent.decided_on else "")
            + ".",
            status=sent.status,
        )
    return sent


def accept_transfer(
    state: Participant,
    transfer_id: uuid.UUID,
    received_as: uuid.UUID,
    moved_in_on: date,
    today: date,
) -> list[Event]:
    """The sending record's side of an acceptance (``transfer.accepted``)."""
    sent = decide_transfer(state, transfer_id)
    not_in_future("moved_in_on", moved_in_on, today, "Moving in")
    refuse_before(
        t.MOVED_IN_BEFORE_MOVE, "moved_in_on", moved_in_on, "the move", sent.moved_on, "moved_on"
    )
    pid = state.participant_id
    assert pid is not None
    return [
        ev.TransferAccepted(
            participant_id=pid, transfer_id=transfer_id, received_as=received_as, accepted_on=today
        )
    ]


def decline_transfer(
    state: Participant, transfer_id: uuid.UUID, reason: ev.DeclineReason, today: date
) -> list[Event]:
    decide_transfer(state, transfer_id)
    pid = state.participant_id
    assert pid is not None
    return [
        ev.TransferDeclined(
            participant_id=pid, transfer_id=transfer_id, declined_on=today, reason=reason
        )
    ]


def transferred_in(
    participant_id: uuid.UUID,
    transfer_id: uuid.UUID,
    from_municipality: str,
    moved_in_on: date,
    settled_on: date | None,
    arrival_category: ev.ArrivalCategory | None,
) -> ev.ParticipantTransferredIn:
    return ev.ParticipantTransferredIn(
        participant_id=participant_id,
        transfer_id=transfer_id,
        from_municipality=from_municipality,
        moved_in_on=moved_in_on,
        settled_on=settled_on,
        arrival_category=arrival_category,
    )
