"""The caseworker's decisions on free-text suggestions, and what of them is published:
confirmed skills stay a subset of the skills, rejected ones are never suggested again,
published suggestions are URIs apart from the skills, and nothing without consent."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.participants.domain import competence
from shared.rules import RuleViolation
from shared.taxonomy import free_text, load

SKILL = {label: uri for uri, label in load().skills.items()}
TEXTS = [
    "Lastet og losset gods fra lastebiler på et lager",
    "Vasket og strøk tøy på et hotell",
    "Har førstehjelpskurs og kan yte førstehjelp",
    "Betjente kassaapparat i butikk og kommuniserte med kunder",
    "Sorterte avfall på gjenvinningsstasjonen",
]


def _profile(texts: list[str], skills: list[str], share: bool) -> competence.CompetenceProfile:
    return competence.CompetenceProfile(
        free_text_skills=texts, skills=skills, consent=competence.Consent(skills=share)
    )


def test_a_uri_not_suggested_or_decided_twice_is_refused() -> None:
    profile = _profile([TEXTS[0]], [], True)
    current = competence.suggestions(profile)
    suggested = current.skills[0].uri
    assert suggested is not None
    with pytest.raises(RuleViolation) as refused:
        competence.decide_suggestions(profile, current, [SKILL["sort waste"]], [])
    assert refused.value.code == "not-a-suggestion"
    with pytest.raises(RuleViolation) as twice:
        competence.decide_suggestions(profile, current, [suggested], [suggested])
    assert twice.value.code == "suggestion-decided-twice"


@settings(max_examples=40, deadline=None)
@given(
    texts=st.lists(st.sampled_from(TEXTS), min_size=1, max_size=3, unique=True),
    held=st.lists(st.sampled_from(sorted(SKILL.values())[:50]), max_size=3, unique=True),
    picks=st.lists(st.tuples(st.booleans(), st.booleans()), min_size=20, max_size=20),
    share=st.booleans(),
)
def test_decisions_keep_the_invariants_and_publish_only_uris(
    texts: list[str], held: list[str], picks: list[tuple[bool, bool]], share: bool
) -> None:
    profile = _profile(texts, held, share)
    current = competence.suggestions(profile)
    uris = [s.uri for s in current.skills if s.uri is not None]
    assert not set(uris) & set(held), "held skills are not suggested"
    confirm = [u for u, (take, reject) in zip(uris, picks, strict=False) if take]
    reject = [u for u, (take, no) in zip(uris, picks, strict=False) if no and not take]
    decided = competence.decide_suggestions(profile, current, confirm, reject)
    assert set(decided.skills) == set(held) | set(confirm)
    assert set(decided.skills_from_free_text) == set(confirm)
    assert set(decided.skills_from_free_text) <= set(decided.skills)
    assert set(decided.rejected_suggestions) == set(reject)
    competence.validate_codes(decided)

    after = competence.suggestions(decided)
    again = {s.uri for s in after.skills}
    assert not again & (set(confirm) | set(reject))

    event = competence.shared_parts(uuid.uuid4(), decided, {}, after)
    published = {s.uri for s in event.suggested_skills}
    if not share:
        assert not event.skills and not event.skills_from_free_text and not published
        return
    assert set(event.skills_from_free_text) == set(confirm)
    assert not published & set(event.skills)
    assert len(event.suggested_skills) <= competence.MAX_PUBLISHED_SUGGESTIONS
    assert all(0 <= s.similarity <= 1 for s in event.suggested_skills)
    wire = event.model_dump_json()
    for text in texts:
        for word in text.split():
            if len(word) > 4:
                assert word not in wire


def test_suggestions_name_where_in_the_profile_they_came_from() -> None:
    profile = competence.CompetenceProfile(
        work_experience=[
            competence.WorkExperience(
                isco_code="5120", years=3, description="Kokk på restaurant i fem år"
            )
        ],
        free_text_skills=[TEXTS[0]],
    )
    found = competence.suggestions(profile)
    assert {"free_text_skills.0"} <= {src for s in found.skills for src in s.sources}
    assert found.occupations[0].sources == ("work_experience.0.description",)
    assert isinstance(found, free_text.Suggestions)
