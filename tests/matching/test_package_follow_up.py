"""The follow-up plan's dates as properties: whatever the start, the kind and the
participant's programme, the meetings are in order and inside the placement."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from services.matching.package import financing, follow_up
from shared.i18n import catalog

_texts = catalog("shared", "services.matching")


def _say(key: str, **params: Any) -> str:
    return _texts.text(key, "nb", **params)


@given(
    st.sampled_from(["job", "language_practice", "work_training", "apprenticeship"]),
    st.dates(date(2024, 1, 1), date(2027, 12, 31)),
    st.one_of(st.none(), st.integers(1, 400)),
    st.one_of(st.none(), st.integers(-30, 300)),
    st.booleans(),
)
def test_meetings_are_dated_in_order_from_the_start_to_the_end(
    kind: str, starts_on: date, offset: int | None, programme_end: int | None, started: bool
) -> None:
    match: dict[str, Any] = {"proposed_by": "coach-1", "offer": None}
    if offset is not None:
        match["offer"] = {"starts_on": (starts_on + timedelta(days=offset)).isoformat()}
    if started:
        match["started_on"] = starts_on.isoformat()
    opening = {"kind": kind, "starts_on": starts_on.isoformat(), "hours_per_week": 15}
    plan = None
    if programme_end is not None:
        plan = {
            "programme": {
                "kind": "introduction",
                "starts_on": "2023-01-01",
                "planned_end": (starts_on + timedelta(days=programme_end)).isoformat(),
                "ended_on": None,
            },
            "activities": [
                {"kind": "norwegian_training", "hours_per_week": 20, "starts_on": "2023-01-01"}
            ],
        }
    shown = follow_up.plan(
        match=match,
        opening=opening,
        employer={"contact": None, "mentor_capacity": 2},
        participant_plan=plan,
        mentor_capacity_left=1,
        say=_say,
    )
    start = date.fromisoformat(shown["starts_on"])
    end = date.fromisoformat(shown["ends_on"])
    expected_start = starts_on if started or offset is None else starts_on + timedelta(days=offset)
    assert start == expected_start
    assert start < end
    days = [date.fromisoformat(m["on"]) for m in shown["meetings"]]
    assert days == sorted(days)
    codes = [m["code"] for m in shown["meetings"]]
    assert codes[0] == "start_up" and days[0] < start and days[0].weekday() < 5
    assert codes[-1] == "final" and days[-1] == end
    assert all(
        start < day < end
        for day, code in zip(days, codes, strict=True)
        if code != "start_up" and code != "final"
    )
    assert codes.count("halfway") == (1 if (end - start).days >= 2 else 0)
    assert all(m["what"] for m in shown["meetings"])
    practice = kind in ("language_practice", "work_training")
    assert shown["mentor"]["needed"] is practice
    if (
        practice
        and plan is not None
        and start
        < date.fromisoformat(plan["programme"]["planned_end"])
        < start + timedelta(weeks=follow_up.PRACTICE_WEEKS)
    ):
        assert shown["end_from"] == "programme_end"
    assert shown["participant_plan"]["known"] is (plan is not None)


@given(st.dates(date(2021, 1, 1), date(2030, 12, 31)))
def test_every_scheme_in_force_names_its_source_and_its_conditions(on: date) -> None:
    for kind in ("job", "language_practice", "work_training", "apprenticeship"):
        schemes = financing.options(kind, on, "nb", _say)
        assert any(s["applies"] for s in schemes)
        for scheme in schemes:
            assert scheme["source"].strip() and scheme["conditions"]
            assert date.fromisoformat(scheme["valid_from"]) <= on
            assert scheme["verified"] is (
                "to be verified" not in scheme["source"].lower()
                and all(a["value"] is not None for a in scheme["amounts"])
            )
