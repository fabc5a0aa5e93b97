"""Matching reads free-text skills from the shared profile: confirmed ones a subset of the
skills, unconfirmed ones apart from them, and neither unless skills are shared."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from services.matching.domain.candidates import candidate_from_profile

URIS = [f"http://data.europa.eu/esco/skill/{n}" for n in range(8)]


def test_older_events_without_the_fields_give_empty_ones() -> None:
    candidate = candidate_from_profile(
        {"participant_id": str(uuid.uuid4()), "skills": URIS[:2]}, "3301"
    )
    assert candidate.skills == frozenset(URIS[:2])
    assert candidate.free_text_skills == frozenset()
    assert dict(candidate.suggested_skills) == {}


def test_the_stored_document_reads_back_the_same() -> None:
    data = {
        "participant_id": str(uuid.uuid4()),
        "skills": URIS[:3],
        "skills_from_free_text": [URIS[1]],
        "suggested_skills": [{"uri": URIS[5], "similarity": 0.75}],
        "consent": {"skills": True},
    }
    candidate = candidate_from_profile(data, "3301")
    assert candidate.free_text_skills == {URIS[1]}
    assert dict(candidate.suggested_skills) == {URIS[5]: 0.75}
    again = candidate_from_profile(
        {"participant_id": data["participant_id"], **candidate.profile_document()}, "3301"
    )
    assert again == candidate


@given(
    skills=st.sets(st.sampled_from(URIS)),
    confirmed=st.sets(st.sampled_from(URIS)),
    suggested=st.dictionaries(st.sampled_from(URIS), st.floats(min_value=0, max_value=1)),
    shared=st.booleans(),
)
def test_free_text_skills_are_skills_and_suggestions_are_not(
    skills: set[str], confirmed: set[str], suggested: dict[str, float], shared: bool
) -> None:
    candidate = candidate_from_profile(
        {
            "participant_id": str(uuid.uuid4()),
            "skills": sorted(skills),
            "skills_from_free_text": sorted(confirmed),
            "suggested_skills": [{"uri": u, "similarity": s} for u, s in suggested.items()],
            "consent": {"skills": shared},
        },
        "3301",
    )
    assert candidate.free_text_skills <= candidate.skills
    assert not set(candidate.suggested_skills) & candidate.skills
    if not shared:
        assert not candidate.skills and not candidate.free_text_skills
        assert not candidate.suggested_skills
    else:
        assert candidate.free_text_skills == skills & confirmed
        assert dict(candidate.suggested_skills) == {
            u: s for u, s in suggested.items() if u not in skills
        }
