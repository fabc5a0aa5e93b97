"""Informal competence (realkompetanse) as properties over every ESCO occupation: all of an
occupation's essential skills without the title is a strong match, none of its skills and
no related title a weak one, whatever the rest of the opening and the profile."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.matching.domain.candidates import Candidate, candidate_from_profile
from services.matching.domain.scoring import (
    OpeningBatch,
    OpeningSpec,
    Segment,
    Vocabulary,
    explain,
    score_block,
)
from services.matching.events import OpeningKind
from services.matching.settings import PARTS, MatchingSettings
from shared import taxonomy
from shared.taxonomy import hierarchy
from tests.matching.support import opening_spec

SETTINGS = MatchingSettings()
TAXONOMY = taxonomy.load()
RELATED = hierarchy.load()
OCCUPATIONS = sorted(
    (o for o in TAXONOMY.occupations.values() if o.essential_skills), key=lambda o: o.uri
)
"""Every shipped occupation that lists essential skills (797 of 3,007 list none: there is
nothing to hold, and the gate stays neutral)."""
SKILLS = sorted(TAXONOMY.skills)
UNITS = sorted(TAXONOMY.unit_groups)
LEVELS = ["below_A1", "A1", "A2", "B1", "B2", "C1"]
EDUCATION = ["primary", "upper_secondary", "vocational", "bachelor", "master"]

_common = {
    "hours": st.sampled_from([10.0, 20.0, 37.5]),
    "wished_hours": st.sampled_from([None, 10.0, 20.0, 37.5]),
    "wished_occupation": st.sampled_from([None, *UNITS]),
    "education": st.sampled_from([None, *EDUCATION]),
    "mentors": st.integers(0, 2),
    "with_optional": st.booleans(),
}


def _spec(occupation: Any, draw: dict[str, Any], **terms: Any) -> OpeningSpec:
    return opening_spec(
        occupation,
        OpeningKind.job,
        draw["mentors"],
        **{
            "optional_skills": occupation.optional_skills if draw["with_optional"] else (),
            "hours_per_week": draw["hours"],
            "starts_on": date(2026, 1, 5),
            **terms,
        },
    )


def _person(
    skills: list[str], draw: dict[str, Any], home: str = "3301", **profile: Any
) -> Candidate:
    return candidate_from_profile(
        {
            "participant_id": str(uuid.uuid4()),
            "skills": skills,
            "education": [{"level": draw["education"]}] if draw["education"] else [],
            "wishes": {
                "hours_per_week": draw["wished_hours"],
                "occupations": [draw["wished_occupation"]] if draw["wished_occupation"] else [],
            },
            **profile,
        },
        home,
    )


def _explained(person: Candidate, spec: OpeningSpec) -> dict[str, Any]:
    skills, tokens = Vocabulary(), Vocabulary()
    block = score_block(
        Segment([person], skills, tokens),
        None,
        OpeningBatch([spec], skills, tokens),
        np.arange(1),
        SETTINGS,
    )
    values = {name: float(block.parts[name][0, 0]) for name in PARTS}
    return explain(person, spec, values, False, SETTINGS, TAXONOMY)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    occupation=st.sampled_from(OCCUPATIONS),
    oral=st.sampled_from([None, *LEVELS[:-1]]),
    written=st.sampled_from([None, *LEVELS[:-1]]),
    years_elsewhere=st.sampled_from([None, 1, 5]),
    **_common,
)
def test_every_essential_skill_without_the_title_is_a_strong_match(
    occupation: Any,
    oral: str | None,
    written: str | None,
    years_elsewhere: int | None,
    **draw: Any,
) -> None:
    """Living where the work is and with the Norwegian it needs; education, wishes,
    hours, mentoring, the optional skills and any unrelated past job left to chance."""
    spec = _spec(occupation, draw, norwegian={"oral": oral, "written": written})
    elsewhere = next(u for u in UNITS if u[0] != occupation.isco_code[0])
    person = _person(
        list(occupation.essential_skills),
        draw,
        norwegian={"oral": "C1", "written": "C1"},
        occupations=[{"isco_code": elsewhere, "years": years_elsewhere}] if years_elsewhere else [],
    )
    item = _explained(person, spec)
    assert item["band"] == "strong", (
        item["score"],
        [(p["part"], p["factor"]) for p in item["parts"]],
    )
    occupation_part = next(p for p in item["parts"] if p["part"] == "occupation")
    assert occupation_part["detail"]["skill_evidence"] == SETTINGS.skill_evidence


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    occupation=st.sampled_from(OCCUPATIONS),
    picks=st.lists(st.integers(0, len(SKILLS) - 1), max_size=12),
    title=st.sampled_from([None, *UNITS]),
    home=st.sampled_from(["3301", "3303", "0301"]),
    oral=st.sampled_from([None, *LEVELS]),
    need=st.sampled_from([None, "A2", "B1"]),
    commute=st.booleans(),
    **_common,
)
def test_none_of_the_skills_and_no_related_title_is_a_weak_match(
    occupation: Any,
    picks: list[int],
    title: str | None,
    home: str,
    oral: str | None,
    need: str | None,
    commute: bool,
    **draw: Any,
) -> None:
    """However well the rest fits: place, Norwegian, hours, wishes, education, mentoring."""
    own = {*occupation.essential_skills, *occupation.optional_skills}
    near = RELATED.related_to_any(sorted(own))
    skills = sorted({SKILLS[i] for i in picks} - own - near)
    # A title in another sub-major group is not related: at most the major group's proximity.
    held = title if title and title[:2] != occupation.isco_code[:2] else None
    spec = _spec(occupation, draw, norwegian={"oral": need}, commute_possible=commute)
    person = _person(
        skills,
        draw,
        home,
        norwegian={"oral": oral} if oral else {},
        occupations=[{"isco_code": held, "years": 10}] if held else [],
    )
    item = _explained(person, spec)
    assert item["band"] == "weak", item["score"]
