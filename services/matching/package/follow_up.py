"""The follow-up plan of an employer package, from the facts.

Who follows up: the job coach who proposed the match (the municipality's contact), the
employer's contact person, and a mentor for practice placements (one of the employer's
mentor places; how many are left). When: the start is the placement's own start once it
started, else the offer's, else the opening's. The meetings are dated from it:

- start-up meeting the working day before the start;
- a follow-up conversation with the participant every week of the first four weeks
  (those before the end);
- check-ins between job coach and mentor every other week;
- halfway and final evaluation: for a practice placement at the middle and the end of
  the placement, which ends when it ended, else after :data:`PRACTICE_WEEKS` weeks or at
  the programme's planned end when that comes first; for a job at three months and at
  the end of the usual six-month probation period (prøvetid, arbeidsmiljøloven § 15-6).

The participant's plan (what else they do each week: Norwegian training, social
studies) comes from the participants service; without it the package says the plan was
not available rather than guessing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from services.matching.events import OpeningKind
from shared.dates import add_months, today

PRACTICE_WEEKS = 12
"""The length a practice placement is planned with when nothing ends it sooner."""
WEEKLY_CONVERSATIONS = 4
PROBATION_MONTHS = 6

Say = Callable[..., str]


def _working_day_before(day: date) -> date:
    before = day - timedelta(days=1)
    while before.weekday() >= 5:
        before -= timedelta(days=1)
    return before


def _day(value: Any) -> date | None:
    if value is None:
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def start_of(match: dict[str, Any], opening: dict[str, Any]) -> tuple[date, str]:
    """The start and where it comes from (``placement``, ``offer`` or ``opening``)."""
    started = _day(match.get("started_on"))
    if started is not None:
        return started, "placement"
    offered = _day((match.get("offer") or {}).get("starts_on"))
    if offered is not None:
        return offered, "offer"
    return _day(opening["starts_on"]) or today(), "opening"


def plan(
    *,
    match: dict[str, Any],
    opening: dict[str, Any],
    employer: dict[str, Any],
    participant_plan: dict[str, Any] | None,
    mentor_capacity_left: int,
    say: Say,
) -> dict[str, Any]:
    kind = OpeningKind(opening["kind"])
    practice = kind in (OpeningKind.language_practice, OpeningKind.work_training)
    starts_on, start_source = start_of(match, opening)
    programme = (participant_plan or {}).get("programme") or None
    programme_end = _day(programme.get("planned_end")) if programme else None
    ended = _day(match.get("ended_on"))
    if practice:
        ends_on = ended or starts_on + timedelta(weeks=PRACTICE_WEEKS)
        end_source = "placement" if ended else "planned_length"
        if ended is None and programme_end is not None and starts_on < programme_end < ends_on:
            ends_on, end_source = programme_end, "programme_end"
        halfway = starts_on + (ends_on - starts_on) / 2
    else:
        halfway = add_months(starts_on, 3)
        ends_on = add_months(starts_on, PROBATION_MONTHS)
        end_source = "probation"
    meetings = [
        {"code": "start_up", "on": _working_day_before(starts_on).isoformat()},
        *(
            {"code": "weekly", "on": day.isoformat()}
            for day in (starts_on + timedelta(weeks=w) for w in range(1, WEEKLY_CONVERSATIONS + 1))
            if day < ends_on
        ),
        *(
            {"code": "check_in", "on": day.isoformat()}
            for day in _every_other_week(starts_on, ends_on)
        ),
        # A placement of a day or two has no middle to evaluate at.
        *(
            [{"code": "halfway", "on": halfway.isoformat()}]
            if starts_on < halfway < ends_on
            else []
        ),
        {"code": "final", "on": ends_on.isoformat()},
    ]
    meetings.sort(key=lambda m: (m["on"], m["code"]))
    for meeting in meetings:
        meeting["what"] = say(f"package.meeting.{meeting['code']}")
    activities = []
    for activity in (participant_plan or {}).get("activities", []):
        activity_ends = _day(activity.get("ends_on"))
        if activity["kind"] == opening["kind"] or (
            activity_ends is not None and activity_ends < starts_on
        ):
            continue
        activities.append({**activity, "label": say(f"package.activity.{activity['kind']}")})
    return {
        "job_coach": match.get("proposed_by"),
        "employer_contact": employer.get("contact"),
        "mentor": {
            "needed": practice,
            "employer_mentor_capacity": employer.get("mentor_capacity"),
            "employer_mentor_capacity_left": mentor_capacity_left,
        },
        "starts_on": starts_on.isoformat(),
        "start_from": start_source,
        "ends_on": ends_on.isoformat(),
        "end_from": end_source,
        "hours_per_week": (match.get("offer") or {}).get("hours_per_week")
        or opening["hours_per_week"],
        "interview_on": match.get("interview_on"),
        "meetings": meetings,
        "participant_plan": {
            "known": participant_plan is not None,
            "programme": programme,
            "other_activities": activities,
        },
    }


def _every_other_week(start: date, end: date) -> list[date]:
    days = []
    day = start + timedelta(weeks=2)
    while day < end:
        days.append(day)
        day += timedelta(weeks=2)
    return days
