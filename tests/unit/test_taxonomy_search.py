"""The taxonomy kit: bokmål labels and their sources, search, and the free-text mapper."""

from __future__ import annotations

import csv
import io
from importlib import resources

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.taxonomy import free_text, load, search
from shared.taxonomy.labels import labels

TAX = load()
SKILL = {label: uri for uri, label in TAX.skills.items()}


def _used_skills() -> set[str]:
    text = (resources.files("shared.taxonomy") / "occupation_skills.csv").read_text()
    return {row["skill_uri"] for row in csv.DictReader(io.StringIO(text))}


def test_every_skill_a_shipped_occupation_uses_has_a_bokmal_label() -> None:
    catalogue = labels()
    used = _used_skills()
    assert used <= set(catalogue.skills_nb)
    assert set(catalogue.skills_nb) <= set(TAX.skills)
    assert len(catalogue.skills_nb) == 944
    uri = SKILL["communicate with customers"]
    assert catalogue.skill_label(uri) == "kommunisere med kunder"
    assert catalogue.skill_label(uri, "en") == "communicate with customers"
    assert catalogue.skill_label_source(uri) == "veiviser"
    assert catalogue.skill_label_source(uri, "en") == "esco"
    unused = next(uri for uri in TAX.skills if uri not in catalogue.skills_nb)
    assert catalogue.skill_label(unused) == TAX.skills[unused]
    assert catalogue.skill_label_source(unused) == "esco"


def test_occupations_take_their_unit_groups_bokmal_title() -> None:
    catalogue = labels()
    welder = next(o for o in TAX.occupations.values() if o.label == "welder")
    assert catalogue.occupation_label(welder) == TAX.styrk_titles["7212"] == "Sveisere"
    assert catalogue.occupation_label(welder, "en") == "welder"
    assert catalogue.unit_group_label_source("7212") == "styrk08"
    # Police officers (5412) are an ISCO-08 group STYRK-08 does not have: our title.
    assert "5412" not in TAX.styrk_titles
    assert catalogue.unit_group_label("5412") == "Politibetjenter"
    assert catalogue.unit_group_label_source("5412") == "veiviser"
    assert all(catalogue.unit_group_label(o.isco_code) for o in TAX.occupations.values()), (
        "every ESCO occupation has a bokmål label"
    )


def test_alternative_labels_are_searched_and_reported() -> None:
    hits = search.skill_index().search("talk with customers", limit=3)
    assert hits[0].key == SKILL["communicate with customers"]
    assert (hits[0].matched_label, hits[0].matched_preferred) == ("talk with customers", False)


def test_norwegian_letters_folded_and_compounds_found() -> None:
    first_aid = SKILL["apply first response"]
    assert search.skill_index().search("forstehjelp")[0].key == first_aid
    compound = search.skill_index().search("sveis", lang="nb")
    assert any("sveise" in hit.matched_label for hit in compound)
    assert search.occupation_index().search("sveiser")[0].code == "7212"


def test_free_text_suggests_skills_and_occupations_with_sources() -> None:
    found = free_text.suggest(
        [
            ("free_text_skills.0", "Lastet og losset gods fra lastebiler"),
            ("work_experience.0.description", "Kokk på restaurant i fem år"),
        ]
    )
    skills = {s.uri: s for s in found.skills}
    assert SKILL["load cargo"] in skills and SKILL["unload cargo"] in skills
    assert skills[SKILL["load cargo"]].sources == ("free_text_skills.0",)
    assert all(0 < s.similarity <= 1 for s in found.skills)
    assert found.occupations[0].code == "5120"
    assert found.occupations[0].sources == ("work_experience.0.description",)
    held = free_text.suggest([("x", "Lastet og losset gods")], exclude_skills=[SKILL["load cargo"]])
    assert SKILL["load cargo"] not in {s.uri for s in held.skills}


def test_free_text_without_content_suggests_nothing() -> None:
    assert free_text.suggest([("x", ""), ("y", "   "), ("z", "og i på")]) == free_text.Suggestions(
        (), ()
    )


TEXT = st.text(
    alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyzæøå ABCÆØÅ-,.0123456789"),
    max_size=120,
)


@settings(max_examples=60, deadline=None)
@given(query=TEXT, limit=st.integers(min_value=1, max_value=50))
def test_search_is_bounded_ordered_and_scored_in_range(query: str, limit: int) -> None:
    for index in (search.skill_index(), search.occupation_index()):
        hits = index.search(query, limit=limit)
        assert len(hits) <= limit
        assert len({(h.kind, h.key) for h in hits}) == len(hits), "one hit per concept"
        scores = [h.score for h in hits]
        assert scores == sorted(scores, reverse=True)
        assert all(0 < s <= 1 for s in scores)


@settings(max_examples=40, deadline=None)
@given(texts=st.lists(TEXT, max_size=4), threshold=st.floats(min_value=0.3, max_value=1.0))
def test_free_text_similarity_never_below_the_threshold(texts: list[str], threshold: float) -> None:
    named = [(f"t{i}", text) for i, text in enumerate(texts)]
    found = free_text.suggest(named, min_similarity=threshold)
    for suggestion in (*found.skills, *found.occupations):
        assert threshold <= suggestion.similarity <= 1
        assert set(suggestion.sources) <= {name for name, _ in named}


@settings(max_examples=40, deadline=None)
@given(uri=st.sampled_from(sorted(labels().skills_nb)))
def test_every_preferred_label_finds_its_own_skill_in_both_languages(uri: str) -> None:
    catalogue = labels()
    for lang in ("nb", "en"):
        label = catalogue.skill_label(uri, lang)
        assert label is not None
        hits = search.skill_index().search(label[:100], lang=lang, limit=50)
        # Two skills may share a label (ours: *biomedisin* twice): a tie at the top is fine.
        assert any(h.key == uri and h.score == hits[0].score for h in hits), (lang, label)


def test_everyday_bokmal_job_titles_find_their_unit_group() -> None:
    hit = search.occupation_index().search("hjelpepleier", lang="nb")[0]
    assert (hit.code, hit.matched_label, hit.matched_preferred) == ("5321", "hjelpepleier", False)
    assert hit.label_nb == "Helsefagarbeidere"
    assert set(labels().unit_group_alternatives_nb) <= TAX.unit_groups
