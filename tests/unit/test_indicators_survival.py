"""Survival with censoring: nobody is at risk after leaving the base, nothing counts after it.

Persons are generated with a settlement, maybe a job, maybe an exit from the base
(moved to another municipality, died, emigrated — possibly announced for a date after
the as-of date) and maybe a programme that ended with an outcome that leaves the base.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from services.indicators.domain.facts import Job, Snapshot
from services.indicators.domain.survival import DataQuality, censoring_day, kaplan_meier, subjects

KNOWN_ON = date(2020, 6, 30)
START = date(2014, 1, 1)


def _day(offset: int) -> date:
    return START + timedelta(days=offset)


offsets = st.integers(min_value=0, max_value=(KNOWN_ON - START).days + 400)


@st.composite
def people(draw: st.DrawFn) -> list[dict[str, object]]:
    found: list[dict[str, object]] = []
    for _ in range(draw(st.integers(min_value=1, max_value=25))):
        settled = draw(st.integers(min_value=0, max_value=(KNOWN_ON - START).days))
        found.append(
            {
                "settled": _day(settled),
                "job": draw(st.none() | offsets.map(_day)),
                "exit": draw(st.none() | offsets.map(_day)),
                "how": draw(st.sampled_from(["moved_out", "died", "emigrated"])),
                "programme_exit": draw(st.none() | offsets.map(_day)),
                "outcome": draw(st.sampled_from(["moved_municipality", "emigrated", "deceased"])),
            }
        )
    return found


def _snapshot(rows: list[dict[str, object]]) -> Snapshot:
    snapshot = Snapshot("3301")
    for row in rows:
        person = snapshot.person(uuid.uuid4())
        person.birth_year = 1990
        person.gender = "female"
        person.settled_on = row["settled"]  # type: ignore[assignment]
        if row["job"] is not None:
            person.jobs.append(Job(row["job"], 37.5, True))  # type: ignore[arg-type]
        if row["exit"] is not None:
            setattr(person, {"moved_out": "moved_out_on", "died": "died_on",
                             "emigrated": "emigrated_on"}[str(row["how"])], row["exit"])  # fmt: skip
        if row["programme_exit"] is not None:
            programme = person.programme(uuid.uuid4())
            programme.kind = "introduction"
            programme.starts_on = person.settled_on
            programme.ended_on = row["programme_exit"]  # type: ignore[assignment]
            programme.outcome = str(row["outcome"])
    return snapshot


@settings(max_examples=100, deadline=None)
@given(people())
def test_no_one_is_followed_past_leaving_the_base_or_the_as_of_date(
    rows: list[dict[str, object]],
) -> None:
    snapshot = _snapshot(rows)
    quality = DataQuality()
    found = {
        s.participant_id: s for s in subjects([snapshot], 2014, 2020, KNOWN_ON, 18, 55, quality)
    }
    for person in snapshot.persons.values():
        assert person.settled_on is not None
        censor = censoring_day(person, KNOWN_ON)
        subject = found.get(str(person.participant_id))
        if censor < person.settled_on:
            assert subject is None, "an exit before settlement is a data error, not a duration"
            continue
        assert subject is not None
        assert subject.days >= 0
        assert person.settled_on + timedelta(days=subject.days) <= censor
        assert censor <= KNOWN_ON, "an exit announced for later has not happened yet"
        if subject.event:
            assert any(job.starts_on <= censor for job in person.jobs)
    assert quality.exit_before_settlement == len(snapshot.persons) - len(found)


@settings(max_examples=60, deadline=None)
@given(people())
def test_kaplan_meier_never_counts_a_censored_person_at_risk_afterwards(
    rows: list[dict[str, object]],
) -> None:
    items = subjects([_snapshot(rows)], 2014, 2020, KNOWN_ON)
    for curve in kaplan_meier(items):
        group = [s for s in items if s.cohort == curve["cohort"]]
        for point in curve["points"]:
            day = point["day"]
            # At risk on a day: followed at least that long (censored ones drop out after).
            assert point["at_risk"] == sum(s.days >= day for s in group)
            assert point["events"] == sum(s.event and s.days == day for s in group)
            assert point["censored"] == sum(not s.event and s.days == day for s in group)
            low, high = point["survival_lower_95"], point["survival_upper_95"]
            if low is not None and high is not None:
                assert low - 1e-9 <= point["survival"] <= high + 1e-9
                assert 0 <= low <= high <= 1
