"""What IMDi's register (NIR) needs beyond the journey: end reason, research reservation.

:class:`NirRecord` is folded from the participant's stream (``participant.nir``):

- ``end_reasons``: the end reason (avslutningsårsak) of each ended programme, by
  programme id, as the caseworker registered it (a code of NIR's list, ``data/nir.json``);
- ``research_reserved``: the reservation against research use of directly identifying
  data (reservasjon mot bruk til forskning, integreringsloven kapittel 9; Prop. 89 L
  (2019–2020) punkt 11.4.4);
- ``reported``: the last NIR record submitted per reporting year (what
  ``nir.year_reported`` carried), so a submission publishes only what changed.

Decisions (pure, ``today`` passed in) refuse with the rules below.
"""

from __future__ import annotations

import calendar
import uuid
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

from services.participants.events import journey as ev_journey
from services.participants.events import nir as ev_nir
from shared.dated import DatedTable, load
from shared.events import Event
from shared.rules import rule

if TYPE_CHECKING:
    from services.participants.domain.state import Participant, Programme

S = "participants"

UNKNOWN_END_REASON = rule(
    "unknown-end-reason",
    422,
    "Not an end reason in NIR's code list",
    S,
    "The end reason (avslutningsårsak) must be a code of NIR's list in force on the day the "
    "programme ended (GET /nir/end-reasons); integreringsloven kapittel 9 (Nasjonalt introduksjonsregister).",
)
END_REASON_MISFITS = rule(
    "end-reason-misfits",
    422,
    "End reason does not fit how the programme ended",
    S,
    "Some end reasons fit only a completed programme (end goal reached, time used), others "
    "only an interrupted one (illness, own wish); NIR rejects the others. "
    "Integreringsloven kapittel 9 (NIR).",
)
END_REASON_RECORDED = rule(
    "end-reason-recorded",
    409,
    "End reason already recorded",
    S,
    "An end reason is recorded once per programme; send `correction: true` to correct it "
    "(integreringsloven kapittel 9, NIR).",
)
NO_ENDED_PROGRAMME = rule(
    "no-ended-programme",
    409,
    "No ended programme",
    S,
    "An end reason belongs to an ended programme: complete the programme first "
    "(integreringsloven kapittel 9, NIR).",
)
RESERVATION_UNCHANGED = rule(
    "reservation-unchanged",
    409,
    "Research reservation unchanged",
    S,
    "The participant's reservation against research use (integreringsloven kapittel 9; Prop. 89 L (2019–2020) punkt 11.4.4) already "
    "has this value.",
)
PARTICIPANT_GONE = rule(
    "participant-gone",
    409,
    "The participant's data is erased",
    S,
    "Nothing can be registered for NIR about an erased participant.",
)


@dataclass(frozen=True)
class EndReason:
    """One code of NIR's end-reason list (``data/nir.json``, table ``end_reasons``)."""

    code: str
    group: str
    fits: frozenset[str]
    """The completion reasons (``completed``, ``interrupted``) it fits."""
    outcomes: frozenset[str] | None
    """The outcomes it agrees with; ``None``: any outcome."""


@cache
def tables() -> dict[str, DatedTable]:
    """NIR's dated tables (end reasons, registration deadline, late registration)."""
    return load("services.participants.data", "nir.json")


def end_reasons_on(day: date) -> dict[str, EndReason]:
    """NIR's end-reason list in force on ``day``, by code (the oldest list we know for a
    day before it)."""
    raw: list[dict[str, Any]] = _in_force("end_reasons", day)
    return {
        item["code"]: EndReason(
            item["code"],
            item["group"],
            frozenset(item["fits"]),
            frozenset(item["outcomes"]) if item.get("outcomes") is not None else None,
        )
        for item in raw
    }


DERIVED_END_REASONS = {
    "moved_municipality": "moved_municipality",
    "emigrated": "emigrated",
    "deceased": "deceased",
}
"""Outcomes that name the end reason by themselves (the journey records them on a move,
an emigration or a death, which end the programme)."""


@dataclass(frozen=True)
class NirRecord:
    """Folded from the participant's stream (see :func:`apply`)."""

    end_reasons: dict[uuid.UUID, str] = field(default_factory=dict)
    research_reserved: bool = False
    reported: dict[int, dict[str, Any]] = field(default_factory=dict)
    absences: tuple[tuple[date, float, bool], ...] = ()
    """Every absence as NIR counts it: day, hours, with a valid reason or not."""
    goals: dict[tuple[uuid.UUID, date], tuple[str, str | None]] = field(default_factory=dict)
    """Each plan revision's end goal and Norwegian goal, by programme and ``valid_from``."""

    def end_reason(self, programme_id: uuid.UUID) -> str | None:
        return self.end_reasons.get(programme_id)


def apply(record: NirRecord, event: Event) -> NirRecord:
    """Fold one event into the record; the same record when the event does not touch it."""
    match event:
        case ev_nir.EndReasonRecorded():
            return replace(
                record, end_reasons={**record.end_reasons, event.programme_id: event.end_reason}
            )
        case ev_nir.ResearchReservationChanged():
            return replace(record, research_reserved=event.reserved)
        case ev_journey.AbsenceRecorded():
            absence = (event.on, event.hours, event.valid_reason)
            return replace(record, absences=(*record.absences, absence))
        case ev_journey.PlanRevised():
            goal = (
                event.end_goal.value,
                event.norwegian_goal.value if event.norwegian_goal else None,
            )
            key = (event.programme_id, event.valid_from)
            return replace(record, goals={**record.goals, key: goal})
        case ev_nir.NirYearReported():
            snapshot = event.model_dump(mode="json", exclude={"participant_id"})
            return replace(record, reported={**record.reported, event.year: snapshot})
    return record


def check_end_reason(
    code: str,
    ended_on: date,
    reason: ev_journey.CompletionReason,
    field_name: str = "end_reason",
) -> EndReason:
    """The code as NIR's list has it on ``ended_on``, or the rule it breaks."""
    known = end_reasons_on(ended_on)
    found = known.get(code)
    if found is None:
        raise UNKNOWN_END_REASON.violation(
            f"{field_name} {code!r} is not in NIR's end-reason list in force on "
            f"{ended_on.isoformat()} (GET /nir/end-reasons).",
            field_name,
            ended_on=ended_on,
        )
    if reason.value not in found.fits:
        raise END_REASON_MISFITS.violation(
            f"{field_name} {code!r} does not fit a programme that was {reason.value}.",
            field_name,
            reason=reason.value,
        )
    return found


def end_reason_at_completion(
    state: Participant,
    end_reason: str | None,
    ended_on: date,
    reason: ev_journey.CompletionReason,
) -> list[Event]:
    """The end-reason event that goes with a completion (none without an end reason).

    Checked before the completion's own events are appended, so a bad code refuses the
    whole command.
    """
    if end_reason is None:
        return []
    current = state.programme
    if current is None or state.participant_id is None:
        return []
    check_end_reason(end_reason, ended_on, reason)
    return [
        ev_nir.EndReasonRecorded(
            participant_id=state.participant_id,
            programme_id=current.programme_id,
            end_reason=end_reason,
        )
    ]


def record_end_reason(state: Participant, end_reason: str, correction: bool) -> list[Event]:
    """Register (or correct) the end reason of the latest, ended programme."""
    if state.erased or state.participant_id is None:
        raise PARTICIPANT_GONE.violation("The participant's data is erased.")
    current = state.programme
    if current is None or current.ended_on is None or current.reason is None:
        raise NO_ENDED_PROGRAMME.violation(
            "The participant has no ended programme; complete it first.", "end_reason"
        )
    previous = state.nir.end_reason(current.programme_id)
    if previous is not None and not correction:
        raise END_REASON_RECORDED.violation(
            f"The end reason {previous!r} is already recorded; send correction: true.",
            "end_reason",
            end_reason=previous,
        )
    check_end_reason(end_reason, current.ended_on, current.reason)
    if previous == end_reason:
        return []
    return [
        ev_nir.EndReasonRecorded(
            participant_id=state.participant_id,
            programme_id=current.programme_id,
            end_reason=end_reason,
            correction=previous is not None,
        )
    ]


def set_research_reservation(state: Participant, reserved: bool) -> list[Event]:
    """Set or withdraw the reservation against research use (integreringsloven kapittel 9; Prop. 89 L (2019–2020) punkt 11.4.4)."""
    if state.erased or state.participant_id is None:
        raise PARTICIPANT_GONE.violation("The participant's data is erased.")
    if state.nir.research_reserved == reserved:
        raise RESERVATION_UNCHANGED.violation(
            f"The research reservation is already {'set' if reserved else 'withdrawn'}.",
            "reserved",
        )
    return [
        ev_nir.ResearchReservationChanged(participant_id=state.participant_id, reserved=reserved)
    ]


# -- the NIR record of a year, and what NIR would reject ---------------------------------


def _in_force(name: str, day: date) -> Any:
    """The table's value on ``day``; for a day before its first entry, the first entry's
    (facts older than the rule we know are judged by the oldest rule we know)."""
    table = tables()[name]
    try:
        return table.on(day)
    except LookupError:
        return table.entries[0].value


def registration_due(day: date) -> date:
    """The last day to register in NIR a fact of ``day`` (fortløpende, senest innen to
    måneder; ``registration_months``)."""
    from services.participants.domain.deadlines import add_months

    return add_months(day, int(_in_force("registration_months", day)))


def late_registration_until(year: int) -> date:
    """The last day a registration for reporting ``year`` still counts in the final
    figures (etterregistrering; ``late_registration``: end of February the year after)."""
    value = _in_force("late_registration", date(year, 12, 31))
    month = int(value["month"])
    last = calendar.monthrange(year + 1, month)[1]
    day = last if value["day"] == "last" else min(int(value["day"]), last)
    return date(year + 1, month, day)


def _overlap_days(start: date, end: date, low: date, high: date) -> int:
    """Days in [start, end] ∩ [low, high], both inclusive."""
    first, last = max(start, low), min(end, high)
    return (last - first).days + 1 if last >= first else 0


def programme_in_year(state: Participant, year: int, today: date) -> Programme | None:
    """The latest programme that ran some day of ``year`` (as known on ``today``)."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    for programme in reversed(state.programmes):
        end = programme.ended_on or programme.planned_end_on(today)
        if programme.starts_on <= min(last, today) and end >= first:
            return programme
    return None


def activity_hours(
    state: Participant, programme: Programme, year: int, today: date
) -> dict[str, float]:
    """Planned hours per kind of activity in ``year``: each plan revision from its
    ``valid_from`` until the next, inside the programme, the activity's own dates and
    the year (and not after ``today``); hours a week × days / 7."""
    revisions = sorted(
        (valid_from, activities)
        for pid, valid_from, activities in state.plans
        if pid == programme.programme_id
    )
    year_end = min(date(year, 12, 31), today)
    programme_end = programme.ended_on or programme.planned_end_on(today)
    hours: dict[str, float] = {}
    for index, (valid_from, activities) in enumerate(revisions):
        until = (
            revisions[index + 1][0] - timedelta(days=1)
            if index + 1 < len(revisions)
            else programme_end
        )
        low = max(valid_from, programme.starts_on, date(year, 1, 1))
        high = min(until, programme_end, year_end)
        for activity in activities:
            days = _overlap_days(activity.starts_on, activity.ends_on or high, low, high)
            if days:
                hours[activity.kind.value] = hours.get(activity.kind.value, 0.0) + (
                    activity.hours_per_week * days / 7
                )
    return {kind: round(value, 1) for kind, value in sorted(hours.items())}


def effective_end_reason(state: Participant, programme: Programme) -> tuple[str | None, bool]:
    """The end reason NIR gets: the one registered, else the one the outcome names by
    itself (a move, an emigration, a death); and whether it was derived."""
    registered = state.nir.end_reason(programme.programme_id)
    if registered is not None:
        return registered, False
    if programme.outcome is not None and programme.outcome.value in DERIVED_END_REASONS:
        return DERIVED_END_REASONS[programme.outcome.value], True
    return None, False


def record_for_year(state: Participant, year: int, today: date) -> dict[str, Any] | None:
    """The participant's NIR record for ``year`` as known on ``today``: pseudonymous
    codes, dates and hours, never free text. A participant is in the year's dataset when
    a programme ran some day of it, or when a decision on the introduction programme
    (granted or refused: vedtak om avslag too) was made in it; ``None`` otherwise."""
    from services.participants.events import act as ev_act

    if state.participant_id is None:
        return None
    act = state.act
    year_end = date(year, 12, 31)
    programme = programme_in_year(state, year, today)
    decision = act.decision_for(ev_act.Scheme.introduction_programme, on=min(year_end, today))
    if programme is None and (decision is None or decision.decided_on.year != year):
        return None
    period = act.category_on(min(year_end, today)) or act.category
    contract = act.contract
    signed = [r.signed_on for r in contract if r.signed_on is not None]
    record: dict[str, Any] = {
        "participant_id": str(state.participant_id),
        "year": year,
        "birth_year": state.birth_year,
        "gender": state.gender.value,
        "settled_on": _iso(state.settled_on),
        "arrival_category": state.arrival_category.value if state.arrival_category else None,
        "category": period.category.value if period is not None else None,
        "decision_on": _iso(decision.decided_on) if decision else None,
        "decision_granted": decision.granted if decision else None,
        "legal_basis": decision.legal_basis if decision else None,
        "competence_mapped_on": _iso(act.mapped_on),
        "career_guidance_on": _iso(act.guided_on),
        "programme_id": None,
        "programme_kind": None,
        "starts_on": None,
        "ended_on": None,
        "completion_reason": None,
        "outcome": None,
        "end_reason": None,
        "end_reason_derived": False,
        "end_goal": None,
        "norwegian_goal": None,
        "plan_revisions": 0,
        "contract_agreed_on": _iso(contract[0].agreed_on) if contract else None,
        "contract_signed_on": _iso(min(signed)) if signed else None,
        "contract_revisions": len(contract),
        "activities": {},
        "absence_valid_hours": 0.0,
        "absence_invalid_hours": 0.0,
        "research_reservation": state.nir.research_reserved,
    }
    if programme is None:
        return record
    plans = [
        valid_from
        for pid, valid_from, _ in state.plans
        if pid == programme.programme_id and valid_from <= year_end
    ]
    goal = _plan_goal(state, programme, year)
    first, last = date(year, 1, 1), min(year_end, today)
    in_year = [(hours, valid) for on, hours, valid in state.nir.absences if first <= on <= last]
    ended = (
        programme.ended_on
        if programme.ended_on is not None and programme.ended_on <= today
        else None
    )
    end_reason, derived = effective_end_reason(state, programme) if ended else (None, False)
    record.update(
        {
            "programme_id": str(programme.programme_id),
            "programme_kind": programme.kind.value,
            "starts_on": programme.starts_on.isoformat(),
            "ended_on": _iso(ended),
            "completion_reason": programme.reason.value if ended and programme.reason else None,
            "outcome": programme.outcome.value if ended and programme.outcome else None,
            "end_reason": end_reason,
            "end_reason_derived": derived,
            "end_goal": goal[0],
            "norwegian_goal": goal[1],
            "plan_revisions": len(plans),
            "activities": activity_hours(state, programme, year, today),
            "absence_valid_hours": round(sum(h for h, valid in in_year if valid), 1),
            "absence_invalid_hours": round(sum(h for h, valid in in_year if not valid), 1),
        }
    )
    return record


def _plan_goal(
    state: Participant, programme: Programme, year: int
) -> tuple[str | None, str | None]:
    goal: tuple[str | None, str | None] = (None, None)
    for pid, valid_from, _ in sorted(
        ((p, v, a) for p, v, a in state.plans), key=lambda item: item[1]
    ):
        if pid == programme.programme_id and valid_from <= date(year, 12, 31):
            goal = state.nir.goals.get((pid, valid_from), goal)
    return goal


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


@dataclass(frozen=True)
class Problem:
    """One thing NIR would reject, or count as «ikke registrert», with its deadline."""

    participant_id: uuid.UUID
    field: str
    problem: str
    """``missing``, ``invalid`` or ``contradicts_outcome``."""
    fact_on: date
    due_on: date
    late_registration_until: date

    def view(self, today: date) -> dict[str, Any]:
        from services.participants.domain.deadlines import days_left

        left = days_left(self.due_on, today)
        return {
            "participant_id": str(self.participant_id),
            "field": self.field,
            "problem": self.problem,
            "fact_on": self.fact_on.isoformat(),
            "due_on": self.due_on.isoformat(),
            "days_left": left,
            "overdue": left < 0,
            "late_registration_until": self.late_registration_until.isoformat(),
            "counts_as_not_registered": today > self.late_registration_until,
        }


TARGET_GROUP = frozenset(
    {"refugee", "refugee_family", "collective_protection", "ukraine_temporary"}
)
"""Categories with a right (and for most a duty) to the programme: NIR wants a decision
for each of them, granted or refused (integreringsloven §§ 8–9, 12; kapittel 6A)."""


def _undecided_since(state: Participant, year: int, today: date) -> date | None:
    """The day a settled participant of the target group, with neither a programme nor a
    decision on one, should have had a decision by (three months after settlement,
    integreringsloven § 12), when that day lies in ``year`` or before and has passed."""
    from services.participants.domain.deadlines import add_months
    from services.participants.events import act as ev_act

    settled = state.settled_on
    if settled is None or state.programmes or state.status_on(today) != "settled":
        return None
    if state.act.decision_for(ev_act.Scheme.introduction_programme) is not None:
        return None
    period = state.act.category_on(settled) or state.act.category
    if period is None or period.category.value not in TARGET_GROUP:
        return None
    due = add_months(settled, 3)
    return due if due <= min(date(year, 12, 31), today) else None


INTEGRATION_ACT_FROM = date(2021, 1, 1)
"""Participants whose programme started before this ran under the Introduction Act:
NIR wants no end goal or integration contract for them (IMDi, «Frist for å oppdatere
opplysninger i NIR for 2022»)."""


def problems(state: Participant, year: int, today: date) -> list[Problem]:
    """What NIR would reject in the participant's record for ``year``, or count as not
    registered, each with the field, the registration deadline and the late-registration
    window's end. An empty list: the record is clean."""
    if state.participant_id is None or state.erased:
        return []
    pid = state.participant_id
    late = late_registration_until(year)
    record = record_for_year(state, year, today)
    programme = programme_in_year(state, year, today)
    if record is None or programme is None:
        undecided = _undecided_since(state, year, today)
        if undecided is None:
            return []
        return [Problem(pid, "decision", "missing", undecided, registration_due(undecided), late)]
    found: list[Problem] = []

    def add(field_name: str, problem: str, on: date) -> None:
        found.append(Problem(pid, field_name, problem, on, registration_due(on), late))

    started = programme.starts_on
    if started <= today:
        if record["decision_on"] is None:
            add("decision", "missing", started)
        if record["plan_revisions"] == 0:
            add("activities", "missing", started)
        if started >= INTEGRATION_ACT_FROM:
            if record["end_goal"] is None:
                add("end_goal", "missing", started)
            if record["contract_agreed_on"] is None:
                add("integration_contract", "missing", started)
    ended = programme.ended_on
    if ended is not None and ended <= today:
        code = record["end_reason"]
        if code is None:
            add("end_reason", "missing", ended)
        else:
            known = end_reasons_on(ended).get(code)
            reason = programme.reason
            if known is None or (reason is not None and reason.value not in known.fits):
                add("end_reason", "invalid", ended)
            elif (
                programme.outcome is not None
                and known.outcomes is not None
                and programme.outcome.value not in known.outcomes
            ):
                add("end_reason", "contradicts_outcome", ended)
    return found


def year_reported(record: dict[str, Any]) -> ev_nir.NirYearReported:
    """The published form of a year's record (:func:`record_for_year`)."""
    return ev_nir.NirYearReported(
        participant_id=uuid.UUID(record["participant_id"]),
        year=record["year"],
        programme_id=uuid.UUID(record["programme_id"]) if record["programme_id"] else None,
        category=record["category"],
        decision_on=record["decision_on"],
        decision_granted=record["decision_granted"],
        legal_basis=record["legal_basis"],
        starts_on=record["starts_on"],
        ended_on=record["ended_on"],
        end_goal=record["end_goal"],
        norwegian_goal=record["norwegian_goal"],
        contract_agreed_on=record["contract_agreed_on"],
        contract_signed_on=record["contract_signed_on"],
        activities=tuple(
            ev_nir.ActivityHours(kind=kind, hours=hours)
            for kind, hours in record["activities"].items()
        ),
        absence_valid_hours=record["absence_valid_hours"],
        absence_invalid_hours=record["absence_invalid_hours"],
        end_reason=record["end_reason"],
        research_reservation=record["research_reservation"],
    )


def certificate_facts(state: Participant, today: date) -> dict[str, Any] | None:
    """What the participation certificate (deltakerbevis, integreringsloven § 18 a) says
    of the latest programme: period, status and end reason, the share completed when it
    was interrupted, end goal and Norwegian goal, each element with its period and hours,
    absence hours, and the best Norwegian result per sub-test. Codes and numbers only:
    no note, goal description, provider or adviser (free text stays sealed)."""
    programme = state.programme
    if programme is None or programme.starts_on > today:
        return None
    ended = programme.ended_on if programme.ended_on and programme.ended_on <= today else None
    until = ended or today
    hours: dict[str, float] = {}
    for year in range(programme.starts_on.year, until.year + 1):
        for kind, value in activity_hours(state, programme, year, until).items():
            hours[kind] = round(hours.get(kind, 0.0) + value, 1)
    order = [kind.value for kind in ev_journey.ActivityKind]
    elements = []
    for kind, total in sorted(hours.items(), key=lambda item: order.index(item[0])):
        spans = [
            (a.starts_on, a.ends_on or until, a.hours_per_week)
            for pid, _, activities in state.plans
            if pid == programme.programme_id
            for a in activities
            if a.kind.value == kind
        ]
        elements.append(
            {
                "kind": kind,
                "from": max(min(s for s, _, _ in spans), programme.starts_on),
                "to": min(max(e for _, e, _ in spans), until),
                "hours_per_week": spans[-1][2],
                "hours": total,
            }
        )
    goal: tuple[str | None, str | None] = (None, None)
    for (pid, _), planned in sorted(state.nir.goals.items(), key=lambda item: item[0][1]):
        if pid == programme.programme_id:
            goal = planned
    during = [
        (hours_, valid)
        for on, hours_, valid in state.nir.absences
        if programme.starts_on <= on <= until
    ]
    planned_days = (programme.planned_end_on(until) - programme.starts_on).days + 1
    run_days = (until - programme.starts_on).days + 1
    end_reason, _ = effective_end_reason(state, programme) if ended else (None, False)
    return {
        "kind": programme.kind.value,
        "starts_on": programme.starts_on,
        "ended_on": ended,
        "planned_end": programme.planned_end_on(until),
        "status": programme.reason.value if ended and programme.reason else "running",
        "end_reason": end_reason,
        "share_completed": min(100, round(100 * run_days / planned_days)) if planned_days else None,
        "end_goal": goal[0],
        "norwegian_goal": goal[1],
        "elements": elements,
        "total_hours": round(sum(hours.values()), 1),
        "absence_valid_hours": round(sum(h for h, valid in during if valid), 1),
        "absence_invalid_hours": round(sum(h for h, valid in during if not valid), 1),
        "norwegian": {sub.value: level.value for sub, level in sorted(state.norwegian.items())},
    }
