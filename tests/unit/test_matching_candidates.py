"""A candidate shows only what is shared, and leaves on the earliest departure."""

from __future__ import annotations

import uuid
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from services.matching.domain.candidates import (
    LEAVING_OUTCOMES,
    PROFILE_PARTS,
    best_level,
    candidate_from_profile,
    departure,
)
from shared.vocabulary import NorwegianLevel

LEVELS = [level.value for level in NorwegianLevel]
FULL_PROFILE = {
    "occupations": [{"isco_code": "9412", "years": 3}],
    "education": [{"level": "upper_secondary", "country": "ER"}],
    "skills": ["http://data.europa.eu/esco/skill/x"],
    "languages": [{"language": "ti", "level": "C1"}],
    "norwegian": {"oral": "B1", "written": "A2"},
    "driving_licences": ["B"],
    "wishes": {"occupations": ["9412"], "hours_per_week": 30, "municipalities": ["3301"]},
}


@settings(max_examples=150, deadline=None)
@given(
    st.fixed_dictionaries({part: st.booleans() for part in PROFILE_PARTS}),
    st.dictionaries(st.sampled_from(["oral", "written", "reading"]), st.sampled_from(LEVELS)),
)
def test_a_part_not_shared_is_empty_whatever_the_event_holds(
    consent: dict[str, bool], tests: dict[str, str]
) -> None:
    candidate = candidate_from_profile(
        {"participant_id": str(uuid.uuid4()), **FULL_PROFILE, "consent": consent},
        "3301",
        norwegian_tests=tests,
    )
    document = candidate.profile_document()
    assert document["consent"] == consent
    for part in PROFILE_PARTS:
        shown = document[part]
        if part == "norwegian":
            shown = {k: v for k, v in shown.items() if v}
        elif part == "wishes":
            shown = {k: v for k, v in shown.items() if v}
        assert bool(shown) == consent[part], (part, shown)
    if consent["norwegian"]:
        for sub, level in tests.items():
            assert dict(candidate.norwegian)[sub] == best_level(
                FULL_PROFILE["norwegian"].get(sub), level
            )


day = st.dates(date(2000, 1, 1), date(2100, 1, 1))


@settings(max_examples=150, deadline=None)
@given(
    st.one_of(st.none(), st.tuples(day, st.sampled_from(["moved_out", "died", "emigrated"]))),
    st.dictionaries(
        st.uuids().map(str),
        st.fixed_dictionaries(
            {
                "ended_on": day.map(date.isoformat),
                "outcome": st.sampled_from([*LEAVING_OUTCOMES, "other", "nav_measure", None]),
            }
        ),
        max_size=3,
    ),
)
def test_the_earliest_departure_counts_and_other_outcomes_do_not(
    direct: tuple[date, str] | None, programmes: dict[str, dict[str, object]]
) -> None:
    left = departure(direct[0] if direct else None, direct[1] if direct else None, programmes)
    dates = [direct[0]] if direct else []
    dates += [
        date.fromisoformat(str(p["ended_on"]))
        for p in programmes.values()
        if p["outcome"] in LEAVING_OUTCOMES
    ]
    if not dates:
        assert left is None
    else:
        assert left is not None and left[0] == min(dates)
