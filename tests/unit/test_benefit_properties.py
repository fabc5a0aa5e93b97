"""Property-based checks of the introduction benefit's arithmetic (pure domain).

Hypothesis generates a participant (any age, living with a parent or not, with a
spouse in the programme or not), a programme
starting and perhaps ending anywhere around a year, leaves paid or unpaid,
interruptions, children, and absences of every kind on random days. Whatever it
generates:

* no day loses more than it earns, so deductions never exceed the amount and no amount
  is negative — per day, per month, exact and rounded;
* a month is additive over its days: its exact amount is the sum of its days', and a
  day's amount does not depend on absences recorded on other days;
* the lines of a payment basis add up to its amount to the øre.
"""

from __future__ import annotations

import calendar
import uuid
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.participants import domain
from services.participants import events as ev
from services.participants.domain import benefit as b
from services.participants.queries import benefit as q
from shared.events import Event
from shared.i18n import catalog
from tests.unit.participant_events import programme_started, registered_and_settled


def _fold(events: list[Any], born: date | None) -> domain.Participant:
    """The state as the application folds it: the children's birth dates opened (the
    test's "sealed" text is the date itself)."""
    state = domain.fold(events, born)
    return replace(state, benefit=b.opened(state.benefit, lambda text: text))


PID = uuid.UUID("00000000-0000-4000-8000-000000000001")
PROGRAMME = uuid.UUID("00000000-0000-4000-8000-000000000002")
START = date(2025, 1, 1)
TEXTS = catalog("shared", "services.participants")


def day_in(span: int) -> st.SearchStrategy[date]:
    return st.integers(0, span).map(lambda n: START + timedelta(days=n))


absences = st.lists(
    st.builds(
        lambda on, hours, valid, kind, activity: ev.AbsenceRecorded(
            participant_id=PID,
            on=on,
            hours=hours,
            valid_reason=valid and kind is ev.AbsenceKind.absence,
            kind=kind,
            activity=activity,
        ),
        day_in(500),
        st.floats(0.25, 24).map(lambda h: round(h * 4) / 4),
        st.booleans(),
        st.sampled_from(list(ev.AbsenceKind)),
        st.none() | st.sampled_from(list(ev.ActivityKind)),
    ),
    max_size=30,
)


@st.composite
def participants(draw: st.DrawFn) -> tuple[domain.Participant, list[Event]]:
    born = draw(st.dates(date(1960, 1, 1), date(2007, 12, 31)))
    starts = draw(day_in(200))
    events: list[Event] = [
        *registered_and_settled(PID, starts - timedelta(days=30), birth_year=born.year),
        programme_started(
            PID, PROGRAMME, starts, kind=draw(st.sampled_from(list(ev.ProgrammeKind)))
        ),
        ev.PlanRevised(
            participant_id=PID,
            programme_id=PROGRAMME,
            revision=1,
            valid_from=starts,
            end_goal=ev.EndGoal.work,
            activities=(
                ev.PlannedActivity(
                    kind=ev.ActivityKind.norwegian_training, hours_per_week=20, starts_on=starts
                ),
                ev.PlannedActivity(
                    kind=ev.ActivityKind.language_practice, hours_per_week=17.5, starts_on=starts
                ),
            ),
            hours_per_week=37.5,
            full_time=True,
        ),
    ]
    cursor = starts
    for _ in range(draw(st.integers(0, 3))):
        pause_from = cursor + timedelta(days=draw(st.integers(1, 90)))
        resumes = pause_from + timedelta(days=draw(st.integers(1, 60)))
        kind = draw(st.sampled_from(list(ev.PauseKind)))
        events.append(
            ev.ProgrammeInterrupted(
                participant_id=PID, programme_id=PROGRAMME, kind=kind, from_date=pause_from
            )
        )
        events.append(
            ev.ProgrammeResumed(
                participant_id=PID,
                programme_id=PROGRAMME,
                resumed_on=resumes,
                planned_end=starts + timedelta(days=730),
            )
        )
        if kind is ev.PauseKind.leave and draw(st.booleans()):
            events.append(
                ev.LeaveBenefitDecided(
                    participant_id=PID,
                    programme_id=PROGRAMME,
                    leave_from=pause_from,
                    with_benefit=True,
                    ground=ev.LeaveBenefitGround.care_leave,
                )
            )
        cursor = resumes
    if draw(st.booleans()):
        events.append(
            ev.LivingSituationRecorded(
                participant_id=PID, from_date=draw(day_in(500)), lives_with_parent=True
            )
        )
    if draw(st.booleans()):
        events.append(
            ev.CoupleSituationRecorded(
                participant_id=PID, from_date=draw(day_in(500)), partner_in_programme=True
            )
        )
    for n in range(draw(st.integers(0, 3))):
        events.append(
            ev.BenefitChildRecorded(
                participant_id=PID,
                child_id=uuid.UUID(int=n + 10),
                sealed_born_on=draw(st.dates(date(2008, 1, 1), date(2025, 12, 31))).isoformat(),
                supported_from=draw(day_in(500)),
            )
        )
    if draw(st.booleans()):
        events.append(
            ev.ProgrammeCompleted(
                participant_id=PID,
                programme_id=PROGRAMME,
                ended_on=cursor + timedelta(days=draw(st.integers(1, 300))),
                reason=ev.CompletionReason.completed,
            )
        )
    events += draw(absences)
    return _fold(events, born), events


months = st.tuples(st.integers(2025, 2026), st.integers(1, 12))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(participants(), months)
def test_deductions_never_exceed_the_amount_and_nothing_is_negative(
    generated: tuple[domain.Participant, list[Event]], year_month: tuple[int, int]
) -> None:
    state, _ = generated
    year, month = year_month
    days = b.month(state, year, month)
    for day in days:
        assert 0 <= day.deducted <= day.gross
        assert day.amount >= 0
        assert day.supplement >= 0
    total = sum((d.amount for d in days), Fraction(0))
    assert total >= 0
    if not b.in_programme_in(state, b.month_days(year, month)):
        return
    basis = q.basis(state, year, month, "nb", TEXTS, date(2030, 1, 1))
    assert 0 <= basis["deductions"] <= basis["gross"]
    assert basis["amount"] >= 0
    assert Decimal(str(basis["amount"])) == sum(
        (Decimal(str(line["amount"])) for line in basis["lines"]), Decimal(0)
    )
    # The rounded amount is the exact month to within one øre per rounded total.
    assert abs(Decimal(str(basis["amount"])) - b.kroner(total)) <= Decimal("0.02")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(participants(), months)
def test_a_month_is_additive_over_its_days(
    generated: tuple[domain.Participant, list[Event]], year_month: tuple[int, int]
) -> None:
    state, events = generated
    year, month = year_month
    days = b.month(state, year, month)
    assert len(days) == calendar.monthrange(year, month)[1]
    # Split anywhere: the two parts add up to the month.
    for cut in (1, 10, len(days) // 2, len(days) - 1):
        first = sum((d.amount for d in days[:cut]), Fraction(0))
        rest = sum((d.amount for d in days[cut:]), Fraction(0))
        assert first + rest == sum((d.amount for d in days), Fraction(0))
    # A day's amount depends only on that day's absences.
    for day in days:
        own = [e for e in events if not isinstance(e, ev.AbsenceRecorded) or e.on == day.on]
        alone = b.benefit_day(_fold(own, state.birth_date), day.on)
        assert alone.amount == day.amount
    # A full month in the programme without absence, leave or child earns 1/12 of the
    # annual rate in force on its first day (G changes only on the 1st).
    if all(d.status == b.PAID and not d.deductions and not d.supplements for d in days):
        rates = {d.rate.annual for d in days if d.rate}
        if len(rates) == 1:
            assert sum((d.gross for d in days), Fraction(0)) == rates.pop() / 12


def test_rounding_is_half_away_from_zero_to_ore() -> None:
    assert b.kroner(Fraction(1, 200)) == Decimal("0.01")
    assert b.kroner(Fraction(-1, 200)) == Decimal("-0.01")
    assert b.kroner(Fraction(1, 300)) == Decimal("0.00")
    assert b.kroner(Fraction(260_320, 12)) == Decimal("21693.33")


def test_the_tables_have_a_source_for_every_entry_and_g_for_every_may() -> None:
    tables = b.tables()
    assert {"grunnbelop", "rate", "divisors", "child_supplement"} <= set(tables)
    for table in tables.values():
        assert all(entry.source.strip() for entry in table.entries)
    g = tables["grunnbelop"]
    assert [e.valid_from for e in g.entries if e.valid_from.year >= 2020] == [
        date(year, 5, 1) for year in range(2020, 2027)
    ]
    assert g.on(date(2024, 4, 30)) == 118_620 and g.on(date(2024, 5, 1)) == 124_028


def test_spouses_both_in_the_programme_without_children_get_five_sixths_from_july_2024() -> None:
    events: list[Event] = [
        ev.ParticipantRegistered(participant_id=PID, birth_year=1990),
        programme_started(PID, PROGRAMME, date(2024, 3, 1), planned_end=date(2026, 3, 1)),
        ev.CoupleSituationRecorded(
            participant_id=PID, from_date=date(2024, 3, 1), partner_in_programme=True
        ),
    ]
    state = _fold(events, date(1990, 2, 1))
    # Before the amendment: 2 G (G = 118 620 until 30 April 2024).
    assert b.rate_on(state, date(2024, 4, 1)).annual == 2 * 118_620
    # From 1 July 2024: 5/6 of 2 G (G = 124 028 from 1 May 2024).
    assert b.rate_on(state, date(2024, 7, 1)).annual == Fraction(5, 6) * 2 * 124_028
    with_child = _fold(
        [
            *events,
            ev.BenefitChildRecorded(
                participant_id=PID,
                child_id=uuid.UUID(int=7),
                sealed_born_on=date(2024, 8, 1).isoformat(),
                supported_from=date(2024, 8, 1),
            ),
        ],
        date(1990, 2, 1),
    )
    assert b.rate_on(with_child, date(2024, 7, 31)).couple_share == Fraction(5, 6)
    assert b.rate_on(with_child, date(2024, 8, 1)).annual == 2 * 124_028
