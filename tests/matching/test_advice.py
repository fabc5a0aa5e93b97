"""Skill-gap advice and occupation suggestions in memory (hypothesis)."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.matching.domain.advice import BANDS
from services.matching.domain.scoring import held_skills
from services.matching.index import MatchingEngine
from services.matching.settings import MatchingSettings
from shared import taxonomy
from shared.taxonomy import hierarchy
from tests.matching.test_scoring import _world

SETTINGS = MatchingSettings()
RELATED = hierarchy.load()
CANDIDATES, SPECS = _world(21, 60, 40)
ENGINE = MatchingEngine(SETTINGS, taxonomy.load())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, len(CANDIDATES) - 1))
def test_each_advised_skill_lifts_the_openings_it_lists_as_scoring_says(person: int) -> None:
    candidate = CANDIDATES[person]
    advice = ENGINE.skill_advice(candidate, SPECS, limit=5)
    by_id = {str(s.opening_id): s for s in SPECS}
    ranks = [(a["openings_to_strong"], a["openings_lifted"]) for a in advice]
    assert ranks == sorted(ranks, reverse=True)
    for item in advice:
        uri = item["skill"]["uri"]
        assert uri not in held_skills(candidate)
        assert item["openings_lifted"] == len(item["openings"]) > 0
        assert item["openings_to_strong"] == sum(
            o["band_after"] == "strong" for o in item["openings"]
        )
        gained = replace(candidate, skills=candidate.skills | {uri})
        for opening in item["openings"]:
            spec = by_id[opening["opening_id"]]
            # Listed, or related to a listed skill: it counts there too.
            listed = {*spec.terms.essential_skills, *spec.terms.optional_skills}
            assert uri in listed | RELATED.related_to_any(listed)
            before = ENGINE.explain_pair(candidate, spec)
            after = ENGINE.explain_pair(gained, spec)
            assert not before["excluded"]
            # The vectorised explained scores round once per block: within a cent.
            assert abs(before["score"] - opening["score_before"]) < 0.011
            assert abs(after["score"] - opening["score_after"]) < 0.011
            assert BANDS.index(after["band"]) > BANDS.index(before["band"])


def test_occupation_suggestions_are_ordered_and_multiply_out() -> None:
    for candidate in CANDIDATES[:5]:
        found = ENGINE.occupation_suggestions(candidate, limit=10)
        closeness = [o["closeness"] for o in found]
        assert closeness == sorted(closeness, reverse=True)
        for occupation in found:
            product = 100.0
            for part in occupation["factors"].values():
                product *= part["factor"]
            assert round(product, 2) == occupation["closeness"]
