"""The gated, multiplicative score: informal competence, related skills, unconfirmed
suggestions, bands, ties and the explanation multiplying out (in memory, no servers)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench import matching_eval
from services.matching.domain.candidates import Candidate, candidate_from_profile
from services.matching.domain.scoring import (
    OpeningBatch,
    OpeningSpec,
    Segment,
    Vocabulary,
    explain,
    explained_scores,
    relevant_scores,
    score_block,
)
from services.matching.events import OpeningKind
from services.matching.index import MatchingEngine, Partition
from services.matching.settings import PARTS, MatchingSettings
from shared import taxonomy
from shared.taxonomy import hierarchy
from shared.taxonomy.labels import labels
from tests.matching.support import esco_occupation, opening_spec
from tests.matching.test_scoring import _world

SETTINGS = MatchingSettings()
TAXONOMY = taxonomy.load()
RELATED = hierarchy.load()
UNITS = sorted(TAXONOMY.unit_groups)


def _sibling(code: str) -> str | None:
    """A unit group in the same minor group, not the same unit group."""
    return next((u for u in UNITS if u[:3] == code[:3] and u != code), None)


def _target() -> Any:
    """A fixed occupation with ≥ 3 essential skills, a sibling unit group and an essential
    skill that has a related skill."""
    for occupation in esco_occupation(min_essential=3):
        if _sibling(occupation.isco_code) and any(
            RELATED.related(s) for s in occupation.essential_skills
        ):
            return occupation
    raise AssertionError("no occupation fits")


TARGET = _target()
UNRELATED = next(
    o for o in esco_occupation(min_essential=3) if o.isco_code[0] != TARGET.isco_code[0]
)


def _spec(occupation: Any = TARGET, **terms: Any) -> OpeningSpec:
    return opening_spec(
        occupation,
        OpeningKind.job,
        **{"hours_per_week": 37.5, "starts_on": date(2026, 1, 5), **terms},
    )


def _person(skills: list[str] | None = None, title: str | None = None, **extra: Any) -> Candidate:
    settled = extra.pop("settled_on", None)
    return candidate_from_profile(
        {
            "participant_id": str(uuid.uuid4()),
            "skills": skills or [],
            "occupations": [{"isco_code": title, "years": 5}] if title else [],
            "norwegian": {"oral": "B2", "written": "B2"},
            "wishes": {"hours_per_week": 37.5},
            **extra,
        },
        "3301",
        settled_on=settled,
    )


def _explained(people: list[Candidate], spec: OpeningSpec) -> list[dict[str, Any]]:
    skills, tokens = Vocabulary(), Vocabulary()
    block = score_block(
        Segment(people, skills, tokens),
        None,
        OpeningBatch([spec], skills, tokens),
        np.arange(1),
        SETTINGS,
    )
    return [
        explain(
            person,
            spec,
            {name: float(block.parts[name][r, 0]) for name in PARTS},
            bool(block.excluded[r, 0]),
            SETTINGS,
            TAXONOMY,
        )
        for r, person in enumerate(people)
    ]


def test_informal_competence_ranks_above_a_near_title_without_the_skills() -> None:
    spec = _spec()
    skills_only = _person(list(TARGET.essential_skills))
    near_title = _person(title=_sibling(TARGET.isco_code))
    exact_title = _person(list(TARGET.essential_skills), title=TARGET.isco_code)
    unrelated = _person(list(UNRELATED.essential_skills), title=UNRELATED.isco_code)
    a, b, c, d = _explained([skills_only, near_title, exact_title, unrelated], spec)
    assert c["score"] > a["score"] > b["score"] > d["score"]
    assert a["band"] == "strong" and c["band"] == "strong"
    assert b["band"] == "weak" and d["band"] == "weak"
    # The gate: with none of the skills a near title opens it only in part.
    gate = next(p for p in b["parts"] if p["part"] == "essential_skills")
    assert gate["value"] < 0.2 and gate["detail"]["coverage"] == 0


def test_a_related_skill_counts_in_part_and_is_shown_as_related() -> None:
    wanted = next(s for s in TARGET.essential_skills if RELATED.related(s))
    held = sorted(RELATED.related(wanted))[0]
    others = [s for s in TARGET.essential_skills if s != wanted]
    with_related, without = _explained([_person([*others, held]), _person(others)], _spec())
    assert with_related["score"] > without["score"]
    [shown] = [r for r in with_related["related_skills"] if r["uri"] == wanted]
    assert shown["held"]["uri"] == held and shown["credit"] == SETTINGS.related_skill_credit
    nb = labels()
    assert shown["label"] == nb.skill_label(wanted) and shown["held"]["label"] == nb.skill_label(
        held
    )
    assert shown["text"] == f"related: {nb.skill_label(held)} for {nb.skill_label(wanted)}"
    assert wanted in {s["uri"] for s in with_related["missing_skills"]}


def test_an_unconfirmed_suggestion_counts_at_a_discount_and_a_confirmed_one_in_full() -> None:
    wanted = TARGET.essential_skills[0]
    others = list(TARGET.essential_skills[1:])
    base = _person(others)
    suggested = replace(base, suggested_skills={wanted: 0.8})
    confirmed = replace(base, skills=base.skills | {wanted}, free_text_skills=frozenset({wanted}))
    none, guess, sure = _explained([base, suggested, confirmed], _spec())
    assert none["score"] < guess["score"] < sure["score"]
    [shown] = guess["unconfirmed_skills"]
    assert shown["uri"] == wanted and shown["similarity"] == 0.8
    assert shown["credit"] == round(SETTINGS.suggested_skill_discount * 0.8, 4)
    assert shown["text"].startswith("unconfirmed")
    assert {"uri": wanted, "label": labels().skill_label(wanted), "source": "free_text"} in sure[
        "matched_skills"
    ]


def test_equal_scores_go_to_the_longest_wait_not_the_id() -> None:
    spec = _spec()
    engine = MatchingEngine(SETTINGS, TAXONOMY)
    partition = Partition()
    days = [date(2024, 5, 1), date(2021, 3, 1), None, date(2023, 1, 1), date(2022, 7, 1)]
    twins = [
        _person(list(TARGET.essential_skills), settled_on=day, participant_id=str(uuid.uuid4()))
        for day in days
    ]
    for person in twins:
        partition.put(person)
    engine.partitions["3301"] = partition
    engine.today = date(2026, 1, 1)
    ranked = engine.rank_candidates(
        spec, "3301", limit=5, available_only=True, include_excluded=False, min_score=0
    )
    assert len({item["score"] for item in ranked}) == 1
    waits = sorted([(date(2026, 1, 1) - d).days for d in days if d], reverse=True)
    assert [item["waited_days"] for item in ranked] == [*waits, None]


_SKILLS = sorted(TAXONOMY.skills)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    held=st.sets(st.sampled_from([*TARGET.essential_skills, *_SKILLS[:40]]), max_size=8),
    extra=st.sampled_from(TARGET.essential_skills),
    title=st.sampled_from([None, TARGET.isco_code, _sibling(TARGET.isco_code), "9999"]),
    similarity=st.floats(0.0, 1.0),
)
def test_the_score_multiplies_out_and_never_falls_when_a_skill_is_gained(
    held: set[str], extra: str, title: str | None, similarity: float
) -> None:
    spec = _spec(optional_skills=TARGET.optional_skills)
    code = title if title in TAXONOMY.unit_groups else None
    person = replace(_person(sorted(held), title=code), suggested_skills={extra: similarity})
    gained = replace(person, skills=person.skills | {extra})
    before, after = _explained([person, gained], spec)
    for item in (before, after):
        product = 100.0
        for part in item["parts"]:
            assert 0 <= part["value"] <= 1
            assert part["factor"] == round(1 - part["weight"] * (1 - part["value"]), 4)
            product *= part["factor"]
        assert item["score"] == round(product, 2)
    assert after["score"] >= before["score"] - 0.01
    if not (person.skills & set(TARGET.essential_skills)) and not person.occupations:
        if not RELATED.related_to_any(TARGET.essential_skills) & person.skills and similarity == 0:
            # The gate closed: nothing of the essential skills and no title.
            assert before["score"] <= 100 * (1 - SETTINGS.weight_essential_skills) + 0.01


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(_SKILLS))
def test_relatedness_is_symmetric_and_never_reflexive(uri: str) -> None:
    for other, relation in RELATED.related(uri).items():
        assert other != uri
        back = RELATED.related(other)[uri]
        assert {relation.kind, back.kind} in ({"same_group"}, {"broader", "narrower"})


def test_the_explained_scores_equal_the_vectorised_ones_for_a_whole_block() -> None:
    people = [
        _person(list(o.essential_skills[:2]), title=o.isco_code)
        for o in esco_occupation(min_essential=3)[:30]
    ]
    specs = [_spec(o) for o in esco_occupation(min_essential=3)[:20]]
    skills, tokens = Vocabulary(), Vocabulary()
    block = score_block(
        Segment(people, skills, tokens),
        None,
        OpeningBatch(specs, skills, tokens),
        np.arange(len(specs)),
        SETTINGS,
    )
    assert np.abs(explained_scores(block, SETTINGS) - block.total).max() < 0.02


def test_the_held_out_evaluation_favours_informal_competence_without_losing_elsewhere() -> None:
    specs, people, decoys = matching_eval.build(seed=7, openings=80)
    rows, bands = matching_eval.evaluate(
        specs,
        people,
        decoys,
        {"old": matching_eval.old_scores, "new": matching_eval.new_scores},
    )
    mrr = {(r.direction, r.slice, r.model): r.mrr for r in rows}
    for direction in ("candidate → openings", "opening → candidates"):
        assert mrr[(direction, "skills_only", "new")] > mrr[(direction, "skills_only", "old")]
        for name in ("near_title", "exact_title"):
            assert mrr[(direction, name, "new")] >= mrr[(direction, name, "old")] - 0.02
    assert bands["new"]["unrelated_weak"] == 1.0
    assert bands["new"]["decoy_own_mean"] < bands["new"]["skills_only_own_mean"]


def test_the_first_tier_of_related_candidates_holds_its_bound_whatever_k() -> None:
    candidates, specs = _world(9, 800, 20)
    skills, tokens = Vocabulary(), Vocabulary()
    segment = Segment(candidates, skills, tokens)
    batch = OpeningBatch(specs, skills, tokens)
    block = score_block(segment, None, batch, np.arange(len(specs)), SETTINGS, keep_parts=False)
    dense = np.where(block.excluded, -np.inf, block.total)
    tiers = set()
    for j in range(len(specs)):
        for k in (1, 5, 20):
            rows, total, bound = relevant_scores(segment, batch, j, SETTINGS, k)
            tiers.add(len(rows))
            assert np.allclose(total, dense[rows, j], atol=1e-3)
            others = np.setdiff1d(np.arange(len(candidates)), rows)
            assert (dense[others, j] <= bound).all()
    assert len(tiers) > 1
