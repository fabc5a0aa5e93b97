"""The introduction benefit (introduksjonsstønad): the facts its monthly basis needs
beyond the journey's, the rules for them, and the monthly basis itself.

Pure: no I/O. Every number comes from the dated tables in
``services/participants/data/introduction_benefit.json`` (:func:`tables`); the
arithmetic is exact (:class:`fractions.Fraction`) and rounded once per line, to øre.

How a month is computed (integreringsloven §§ 19–21; see
docs/integration-act/introduction-benefit.md):

- only days in an introduction programme count (a qualification programme pays
  kvalifiseringsstønad, not this); a day on leave (permisjon) counts only when a
  decision says the leave is paid; a day of interruption (avbrudd) never counts;
- a counted day earns the annual rate in force that day / 12 / the month's calendar
  days, so a whole month is 1/12 of the annual rate and a month is the sum of its days;
- the annual rate is G (the entry in force that day) × 2, or the young share of it for a
  participant under 25 (a smaller one when living with at least one parent); from the
  2024 amendment 5/6 of that when the spouse or cohabitant also takes part and there
  are no children;
- an hour of invalid absence (fravær uten gyldig grunn) costs annual rate / 1 850, hour
  for hour; a day of unauthorised leave costs the whole day; a day never loses more than
  it earned, so the amount is never negative;
- a child supplement (barnetillegg) is paid per counted day for each child the
  participant provides for, by the child's age that day.
"""

from __future__ import annotations

import calendar
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import cache
from typing import TYPE_CHECKING, Any

from services.participants import events as ev
from shared import dated
from shared.date_order import refuse_before
from shared.dates import age_on, not_in_future
from shared.events import Event
from shared.rules import DATE_ORDER, rule

if TYPE_CHECKING:
    from services.participants.domain.state import Participant, Programme

S = "participants"
DATA_PACKAGE = "services.participants.data"
DATA_RESOURCE = "introduction_benefit.json"

# -- rules ------------------------------------------------------------------------------

OUTSIDE_PROGRAMME = rule(
    "benefit-outside-programme",
    422,
    "Benefit fact outside the introduction programme",
    S,
    "The introduction benefit follows participation in an introduction programme "
    "(integreringsloven § 19): its facts are dated on a day of one.",
)
MONTH_OUTSIDE_PROGRAMME = rule(
    "benefit-month-outside-programme",
    409,
    "No programme day in the month",
    S,
    "A payment basis exists only for a month with at least one day in an introduction "
    "programme (integreringsloven § 19).",
)
CHILD_OVER_AGE = rule(
    "child-over-age",
    422,
    "Child too old for the child supplement",
    S,
    "A child supplement (barnetillegg) is paid for a child under the age the regulation "
    "sets (integreringsloven § 20, integreringsforskriften).",
)
CHILD_ALREADY_RECORDED = rule(
    "child-already-recorded",
    409,
    "Child already recorded",
    S,
    "Each child the participant provides for is recorded once (integreringsloven § 20).",
)
CHILD_NOT_RECORDED = rule(
    "child-not-recorded",
    409,
    "Child not recorded",
    S,
    "Only a child recorded for the supplement can end (integreringsloven § 20).",
)
YOUNG_RATE_AGE = rule(
    "young-rate-age",
    422,
    "Living with a parent matters only under 25",
    S,
    "The reduced rate for a participant living with at least one parent applies under 25 "
    "(integreringsloven § 20 første ledd); from 25 the full rate is paid.",
)
NO_SUCH_LEAVE = rule(
    "no-such-leave",
    409,
    "No leave starts that day",
    S,
    "A decision on pay during leave (permisjon med eller uten stønad) names a leave of the "
    "programme by its first day; an interruption (avbrudd) is never paid "
    "(integreringsloven § 17, integreringsforskriften).",
)
UNPAID_LEAVE_GROUND = rule(
    "unpaid-leave-ground",
    422,
    "This leave is without benefit",
    S,
    "Leave for long-term illness of the participant or a child is given without benefit "
    "(integreringsloven § 17, integreringsforskriften).",
)
UNAUTHORISED_LEAVE_VALID = rule(
    "unauthorised-leave-with-valid-reason",
    422,
    "Unauthorised leave cannot have a valid reason",
    S,
    "Unauthorised leave is absence without permission and without a valid reason; it "
    "reduces the benefit (integreringsloven § 21). Record absence with a valid reason "
    "as kind `absence`.",
)
ABSENCE_ACTIVITY_NOT_PLANNED = rule(
    "absence-activity-not-planned",
    422,
    "Activity not in the plan that day",
    S,
    "An absence from an activity names one the integration plan holds on that day "
    "(integreringsloven § 15).",
)

# -- the dated numbers ------------------------------------------------------------------


@cache
def tables() -> dict[str, dated.DatedTable]:
    """The shipped tables (grunnbelop, rate, divisors, child_supplement, …), read once."""
    return dated.load(DATA_PACKAGE, DATA_RESOURCE)


def _fraction(value: Any) -> Fraction:
    return Fraction(str(value))


# -- the record -------------------------------------------------------------------------


@dataclass(frozen=True)
class BenefitAbsence:
    """One recorded absence as the benefit reads it."""

    on: date
    hours: float
    valid_reason: bool
    kind: ev.AbsenceKind = ev.AbsenceKind.absence
    activity: ev.ActivityKind | None = None

    @property
    def deducted(self) -> bool:
        """Whether it reduces the benefit (integreringsloven § 21)."""
        return self.kind is ev.AbsenceKind.unauthorised_leave or not self.valid_reason


@dataclass(frozen=True)
class Child:
    child_id: uuid.UUID
    born_on: date | None
    """Opened from ``sealed_born_on`` by :func:`opened`; ``None`` while sealed or once
    the participant's key is destroyed (an erased child gives no supplement)."""
    supported_from: date
    supported_until: date | None = None
    sealed_born_on: str | None = None

    def supported_on(self, day: date) -> bool:
        return self.supported_from <= day and (
            self.supported_until is None or day <= self.supported_until
        )


@dataclass(frozen=True)
class LeaveDecision:
    programme_id: uuid.UUID
    leave_from: date
    with_benefit: bool
    ground: ev.LeaveBenefitGround


@dataclass(frozen=True)
class BenefitRecord:
    """Folded from the participant's stream (see :func:`apply`)."""

    absences: tuple[BenefitAbsence, ...] = ()
    children: tuple[Child, ...] = ()
    living: tuple[tuple[date, bool], ...] = ()
    """(from, lives with at least one parent), in the order recorded."""
    leave_decisions: tuple[LeaveDecision, ...] = ()
    couple: tuple[tuple[date, bool], ...] = ()
    """(from, the spouse or cohabitant also takes part), in the order recorded."""

    def lives_with_parent_on(self, day: date) -> bool:
        return _latest(self.living, day)

    def partner_in_programme_on(self, day: date) -> bool:
        return _latest(self.couple, day)

    def has_children_on(self, day: date) -> bool:
        return any(child.supported_on(day) for child in self.children)

    def leave_paid(self, programme_id: uuid.UUID, leave_from: date) -> bool:
        """A leave is paid only when the last decision on it says so."""
        paid = False
        for decision in self.leave_decisions:
            if decision.programme_id == programme_id and decision.leave_from == leave_from:
                paid = decision.with_benefit
        return paid

    def child(self, child_id: uuid.UUID) -> Child | None:
        for child in self.children:
            if child.child_id == child_id:
                return child
        return None


def _latest(facts: tuple[tuple[date, bool], ...], day: date) -> bool:
    """The fact in force on ``day``: the latest dated on or before it (the last recorded
    of those dated alike)."""
    found: tuple[date, bool] | None = None
    for start, value in facts:
        if start <= day and (found is None or start >= found[0]):
            found = (start, value)
    return found[1] if found is not None else False


def apply(record: BenefitRecord, event: Event) -> BenefitRecord:
    """Fold one event into the record; the same record when the event does not touch it."""
    match event:
        case ev.AbsenceRecorded():
            absence = BenefitAbsence(
                event.on, event.hours, event.valid_reason, event.kind, event.activity
            )
            return replace(record, absences=(*record.absences, absence))
        case ev.BenefitChildRecorded():
            child = Child(
                event.child_id, None, event.supported_from, sealed_born_on=event.sealed_born_on
            )
            return replace(record, children=(*record.children, child))
        case ev.BenefitChildEnded():
            return replace(
                record,
                children=tuple(
                    replace(c, supported_until=event.supported_until)
                    if c.child_id == event.child_id
                    else c
                    for c in record.children
                ),
            )
        case ev.LivingSituationRecorded():
            return replace(
                record, living=(*record.living, (event.from_date, event.lives_with_parent))
            )
        case ev.CoupleSituationRecorded():
            return replace(
                record, couple=(*record.couple, (event.from_date, event.partner_in_programme))
            )
        case ev.LeaveBenefitDecided():
            decision = LeaveDecision(
                event.programme_id, event.leave_from, event.with_benefit, event.ground
            )
            return replace(record, leave_decisions=(*record.leave_decisions, decision))
    return record


# -- decisions --------------------------------------------------------------------------


def _present(state: Participant, today: date, field: str, on: date) -> uuid.UUID:
    from services.participants.domain import decisions

    return decisions._present(state, today, field, on)


def introduction_programme_on(state: Participant, day: date) -> Programme | None:
    programme = state.programme_on(day)
    if programme is None or programme.kind is not ev.ProgrammeKind.introduction:
        return None
    return programme


def _in_programme(state: Participant, field: str, day: date) -> Programme:
    programme = introduction_programme_on(state, day)
    if programme is None:
        raise OUTSIDE_PROGRAMME.violation(
            f"{field} {day.isoformat()} is not a day of an introduction programme; the "
            "benefit follows participation (integreringsloven § 19).",
            field,
            **{field: day},
        )
    return programme


def child_age_limit(day: date) -> int:
    """The age from which no supplement is paid: the highest band's limit in force on
    ``day`` (or in the first entry that has bands, before any is in force)."""
    table = tables()["child_supplement"]
    try:
        bands = table.on(day)
    except LookupError:
        bands = []
    if not bands:
        bands = next((e.value for e in table.entries if e.value), [])
    return max((int(b["below_age"]) for b in bands), default=18)


def opened(record: BenefitRecord, unseal: Callable[[str], str | None]) -> BenefitRecord:
    """The record with the children's birth dates opened (``unseal`` gives the ISO date,
    or ``None`` when the key is gone)."""
    if not record.children:
        return record
    children = []
    for child in record.children:
        text = unseal(child.sealed_born_on) if child.sealed_born_on else None
        children.append(replace(child, born_on=date.fromisoformat(text) if text else None))
    return replace(record, children=tuple(children))


def record_child(
    state: Participant,
    child_id: uuid.UUID,
    born_on: date,
    supported_from: date,
    today: date,
    seal: Callable[[str], str],
) -> list[Event]:
    """Record a child the participant provides for; ``seal`` seals the birth date."""
    pid = _present(state, today, "supported_from", supported_from)
    not_in_future("born_on", born_on, today, "A child's birth")
    refuse_before(
        DATE_ORDER, "supported_from", supported_from, "the child's birth", born_on, "born_on"
    )
    _in_programme(state, "supported_from", supported_from)
    if state.benefit.child(child_id) is not None:
        raise CHILD_ALREADY_RECORDED.violation(
            f"Child {child_id} is already recorded.", "child_id", child_id=str(child_id)
        )
    limit = child_age_limit(supported_from)
    age = age_on(born_on, supported_from)
    if age >= limit:
        raise CHILD_OVER_AGE.violation(
            f"The child is {age} on {supported_from.isoformat()}; the child supplement is paid "
            f"for children under {limit} (integreringsloven § 20).",
            "born_on",
            born_on=born_on,
            age=age,
            age_limit=limit,
        )
    return [
        ev.BenefitChildRecorded(
            participant_id=pid,
            child_id=child_id,
            sealed_born_on=seal(born_on.isoformat()),
            supported_from=supported_from,
        )
    ]


def end_child(
    state: Participant, child_id: uuid.UUID, supported_until: date, today: date
) -> list[Event]:
    pid = _present(state, today, "supported_until", supported_until)
    child = state.benefit.child(child_id)
    if child is None:
        raise CHILD_NOT_RECORDED.violation(
            f"No child {child_id} is recorded for the supplement.", "child_id"
        )
    refuse_before(
        DATE_ORDER,
        "supported_until",
        supported_until,
        "the support began",
        child.supported_from,
        "supported_from",
    )
    return [
        ev.BenefitChildEnded(participant_id=pid, child_id=child_id, supported_until=supported_until)
    ]


def record_living_situation(
    state: Participant, from_date: date, lives_with_parent: bool, today: date
) -> list[Event]:
    pid = _present(state, today, "from_date", from_date)
    _in_programme(state, "from_date", from_date)
    limit = int(tables()["rate"].on(from_date)["young_age_limit"])
    age = age_on(state.born_on, from_date)
    if lives_with_parent and age >= limit:
        raise YOUNG_RATE_AGE.violation(
            f"The participant is {age} on {from_date.isoformat()}; living with a parent "
            f"reduces the rate only under {limit} (integreringsloven § 20).",
            "lives_with_parent",
            age=age,
            age_limit=limit,
        )
    return [
        ev.LivingSituationRecorded(
            participant_id=pid, from_date=from_date, lives_with_parent=lives_with_parent
        )
    ]


def record_couple_situation(
    state: Participant, from_date: date, partner_in_programme: bool, today: date
) -> list[Event]:
    pid = _present(state, today, "from_date", from_date)
    _in_programme(state, "from_date", from_date)
    return [
        ev.CoupleSituationRecorded(
            participant_id=pid, from_date=from_date, partner_in_programme=partner_in_programme
        )
    ]


def decide_leave_benefit(
    state: Participant,
    leave_from: date,
    with_benefit: bool,
    ground: ev.LeaveBenefitGround,
    today: date,
) -> list[Event]:
    pid = _present(state, today, "leave_from", leave_from)
    for programme in state.programmes:
        for leave in programme.leaves:
            if leave.starts_on != leave_from:
                continue
            if leave.kind is not ev.PauseKind.leave:
                raise NO_SUCH_LEAVE.violation(
                    f"The pause from {leave_from.isoformat()} is an interruption (avbrudd), "
                    "which is never paid.",
                    "leave_from",
                    leave_from=leave_from,
                )
            if with_benefit and ground is ev.LeaveBenefitGround.long_term_illness:
                raise UNPAID_LEAVE_GROUND.violation(
                    "Leave for long-term illness is given without benefit "
                    "(integreringsloven § 17, integreringsforskriften).",
                    "with_benefit",
                    "ground",
                )
            return [
                ev.LeaveBenefitDecided(
                    participant_id=pid,
                    programme_id=programme.programme_id,
                    leave_from=leave_from,
                    with_benefit=with_benefit,
                    ground=ground,
                )
            ]
    raise NO_SUCH_LEAVE.violation(
        f"No leave of the participant's programmes starts on {leave_from.isoformat()}.",
        "leave_from",
        leave_from=leave_from,
    )


def planned_activities(state: Participant, day: date) -> tuple[ev.PlannedActivity, ...]:
    """The activities of the plan in force on ``day`` that run that day."""
    programme = state.programme_on(day)
    if programme is None:
        return ()
    current: tuple[ev.PlannedActivity, ...] = ()
    latest: date | None = None
    for programme_id, valid_from, activities in state.plans:
        if programme_id == programme.programme_id and valid_from <= day:
            if latest is None or valid_from >= latest:
                latest, current = valid_from, activities
    return tuple(
        a for a in current if a.starts_on <= day and (a.ends_on is None or day <= a.ends_on)
    )


def check_absence(
    state: Participant,
    on: date,
    valid_reason: bool,
    kind: ev.AbsenceKind,
    activity: ev.ActivityKind | None,
) -> None:
    """What the benefit asks of a new absence (called by ``record_absence``)."""
    if kind is ev.AbsenceKind.unauthorised_leave and valid_reason:
        raise UNAUTHORISED_LEAVE_VALID.violation(
            "Unauthorised leave has no valid reason; record absence with a valid reason as "
            "kind `absence` (integreringsloven § 21).",
            "valid_reason",
            "kind",
        )
    if activity is not None and activity not in {a.kind for a in planned_activities(state, on)}:
        raise ABSENCE_ACTIVITY_NOT_PLANNED.violation(
            f"The plan in force on {on.isoformat()} has no {activity.value} that day.",
            "activity",
            on=on,
            activity=activity.value,
        )


# -- the monthly basis ------------------------------------------------------------------

PAID = "in_programme"
PAID_LEAVE = "paid_leave"
UNPAID_LEAVE = "unpaid_leave"
INTERRUPTED = "interrupted"
OUTSIDE = "outside_programme"


@dataclass(frozen=True)
class Rate:
    """The annual rate on one day and where each of its numbers comes from."""

    rate_class: str
    g: int
    g_valid_from: date
    g_source: str
    full_g: Fraction
    share: Fraction
    rate_source: str
    couple_share: Fraction = Fraction(1)
    """5/6 for a participant whose spouse or cohabitant also takes part, without children."""

    @property
    def annual(self) -> Fraction:
        return self.g * self.full_g * self.share * self.couple_share


@dataclass(frozen=True)
class Deduction:
    absence: BenefitAbsence
    amount: Fraction
    capped: bool


@dataclass(frozen=True)
class Supplement:
    child: Child
    age: int
    kroner_per_year: Fraction
    amount: Fraction
    source: str


@dataclass(frozen=True)
class BenefitDay:
    """One day of a month: whether it counts and what it earns and loses (exact)."""

    on: date
    status: str
    programme_id: uuid.UUID | None
    rate: Rate | None
    gross: Fraction
    deductions: tuple[Deduction, ...]
    supplements: tuple[Supplement, ...]
    planned_hours: dict[ev.ActivityKind, Fraction] = field(default_factory=dict)

    @property
    def deducted(self) -> Fraction:
        return sum((d.amount for d in self.deductions), Fraction(0))

    @property
    def supplement(self) -> Fraction:
        return sum((s.amount for s in self.supplements), Fraction(0))

    @property
    def amount(self) -> Fraction:
        return self.gross - self.deducted + self.supplement


def month_days(year: int, month: int) -> list[date]:
    last = calendar.monthrange(year, month)[1]
    return [date(year, month, d) for d in range(1, last + 1)]


def _status(state: Participant, day: date) -> tuple[str, Programme | None]:
    if state.died_on is not None and day > state.died_on:
        return OUTSIDE, None
    if state.left_on is not None and day >= state.left_on:
        return OUTSIDE, None
    programme = introduction_programme_on(state, day)
    if programme is None:
        return OUTSIDE, None
    for leave in programme.leaves:
        if leave.covers(day):
            if leave.kind is ev.PauseKind.interruption:
                return INTERRUPTED, programme
            if state.benefit.leave_paid(programme.programme_id, leave.starts_on):
                return PAID_LEAVE, programme
            return UNPAID_LEAVE, programme
    return PAID, programme


def rate_on(state: Participant, day: date) -> Rate:
    g_entry = tables()["grunnbelop"].entry_on(day)
    rate_entry = tables()["rate"].entry_on(day)
    values = rate_entry.value
    age = age_on(state.born_on, day)
    if age >= int(values["young_age_limit"]):
        rate_class, share = "full", Fraction(1)
    elif state.benefit.lives_with_parent_on(day):
        rate_class = "young_with_parent"
        share = _fraction(values["young_with_parent_share_of_full"])
    else:
        rate_class, share = "young", _fraction(values["young_share_of_full"])
    couple = Fraction(1)
    if (
        "couple_without_children_share" in values
        and state.benefit.partner_in_programme_on(day)
        and not state.benefit.has_children_on(day)
    ):
        couple = _fraction(values["couple_without_children_share"])
    return Rate(
        rate_class,
        int(g_entry.value),
        g_entry.valid_from,
        g_entry.source,
        _fraction(values["full_g"]),
        share,
        rate_entry.source,
        couple,
    )


def _planned(state: Participant, day: date) -> dict[ev.ActivityKind, Fraction]:
    """Hours planned that day: each running activity's weekly hours over five weekdays."""
    if day.weekday() >= 5:
        return {}
    hours: dict[ev.ActivityKind, Fraction] = {}
    for activity in planned_activities(state, day):
        hours[activity.kind] = hours.get(activity.kind, Fraction(0)) + (
            _fraction(activity.hours_per_week) / 5
        )
    return hours


def benefit_day(state: Participant, day: date) -> BenefitDay:
    """What ``day`` earns and loses; the month is the sum of its days."""
    status, programme = _status(state, day)
    programme_id = programme.programme_id if programme is not None else None
    if status not in (PAID, PAID_LEAVE):
        return BenefitDay(day, status, programme_id, None, Fraction(0), (), ())
    rate = rate_on(state, day)
    divisors = tables()["divisors"].on(day)
    days_in_month = calendar.monthrange(day.year, day.month)[1]
    gross = rate.annual / int(divisors["months"]) / days_in_month
    hour_rate = rate.annual / int(divisors["hour"])
    left = gross
    deductions: list[Deduction] = []
    for absence in state.benefit.absences:
        if absence.on != day or not absence.deducted:
            continue
        wanted = (
            gross
            if absence.kind is ev.AbsenceKind.unauthorised_leave
            else _fraction(absence.hours) * hour_rate
        )
        taken = min(wanted, left)
        left -= taken
        deductions.append(Deduction(absence, taken, taken < wanted))
    supplements = []
    bands_entry = tables()["child_supplement"].entry_on(day)
    for child in state.benefit.children:
        if not child.supported_on(day) or child.born_on is None:
            continue
        age = age_on(child.born_on, day)
        for band in bands_entry.value:
            if int(band["from_age"]) <= age < int(band["below_age"]):
                per_year = _fraction(band["kroner_per_year"])
                supplements.append(
                    Supplement(
                        child,
                        age,
                        per_year,
                        per_year / int(divisors["months"]) / days_in_month,
                        bands_entry.source,
                    )
                )
    planned = _planned(state, day) if status == PAID else {}
    return BenefitDay(
        day, status, programme_id, rate, gross, tuple(deductions), tuple(supplements), planned
    )


def month(state: Participant, year: int, month_number: int) -> list[BenefitDay]:
    return [benefit_day(state, day) for day in month_days(year, month_number)]


def in_programme_in(state: Participant, days: Iterable[date]) -> bool:
    return any(introduction_programme_on(state, day) is not None for day in days)


# -- rounding and lines -----------------------------------------------------------------

ORE = Decimal("0.01")


def kroner(value: Fraction) -> Decimal:
    """An exact amount in kroner, rounded to whole øre, half away from zero."""
    sign = -1 if value < 0 else 1
    cents = abs(value) * 100
    whole = cents.numerator // cents.denominator
    if cents - whole >= Fraction(1, 2):
        whole += 1
    return (Decimal(sign * whole) / 100).quantize(ORE, rounding=ROUND_HALF_UP)


def _runs(days: list[BenefitDay], key: Any) -> Iterator[list[BenefitDay]]:
    """Consecutive days with the same key (``None`` keys are skipped)."""
    run: list[BenefitDay] = []
    current: Any = None
    for day in days:
        k = key(day)
        if run and (k != current or day.on != run[-1].on + timedelta(days=1)):
            yield run
            run = []
        if k is None:
            continue
        current = k
        run.append(day)
    if run:
        yield run
