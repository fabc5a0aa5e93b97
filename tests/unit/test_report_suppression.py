"""The council report is public: no row carries a figure, level or change resting on
fewer than the plan's threshold of people, and the footnote says so."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.indicators.domain.periods import Period
from services.indicators.domain.plan import Goal
from services.indicators.domain.report import build_report
from services.indicators.domain.scoring import GoalCard, Scorecard
from services.indicators.domain.suppression import SUPPRESSED_LEVEL
from services.indicators.domain.trends import Assessment, Change, Trend
from shared.rules import RuleViolation
from tests.unit.test_suppression import _value

TEXTS = {"report.footnote.suppression": "færre enn {min_n} personer er prikket ({symbol})"}
GOAL = Goal(
    "g", 1, datetime(2025, 1, 1, tzinfo=UTC), "kommuneplan", None, "Mål", "Goal", "NAV",
    2024, 2026, ("exit_work",),
)  # fmt: skip


def _card(numerator: int, denominator: int, goals: bool = True) -> Scorecard:
    value = _value(numerator, denominator)
    cards = [GoalCard(0, GOAL, value.level, [value])] if goals else []
    return Scorecard("3301", Period.parse("2025"), date(2026, 3, 1), True, cards, [], {})


def _change(previous: float) -> Change:
    period = Period.parse("2025")
    return Change(
        period, 50.0, period.same_period_last_year(), previous, 50.0 - previous, None,
        Trend.up, True, Assessment.better,
    )  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(
    denominator=st.integers(min_value=1, max_value=40),
    share=st.floats(min_value=0, max_value=1),
    min_n=st.integers(min_value=5, max_value=20),
    previous_n=st.integers(min_value=0, max_value=40),
)
def test_no_report_row_rests_on_too_few_people(
    denominator: int, share: float, min_n: int, previous_n: int
) -> None:
    numerator = round(share * denominator)
    report = build_report(
        _card(numerator, denominator),
        municipality_name="Drammen",
        known_as_of=datetime(2026, 3, 1, tzinfo=UTC),
        lang="nb",
        texts=TEXTS,
        changes={"exit_work": _change(40.0)},
        previous_people={"exit_work": previous_n},
        min_n=min_n,
    )
    (row,) = report.rows
    n = row.n if not row.suppressed else None
    if row.suppressed:
        assert row.value is None and row.n is None and row.numerator is None
        assert row.level.code == SUPPRESSED_LEVEL and row.change is None and row.arrow is None
    else:
        assert n is not None and n >= min_n and row.value is not None
    # A change against a previous value resting on too few people is never shown.
    if previous_n < min_n:
        assert row.change is None and row.previous is None
    assert report.footnotes[0] == f"færre enn {min_n} personer er prikket (:)"


def test_a_period_without_goals_is_refused() -> None:
    with pytest.raises(RuleViolation) as refused:
        build_report(
            _card(3, 10, goals=False),
            municipality_name="Drammen",
            known_as_of=datetime(2026, 3, 1, tzinfo=UTC),
            lang="nb",
            texts=TEXTS,
        )
    assert refused.value.rule.code == "report-without-plan"
