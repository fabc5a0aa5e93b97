"""Scoring, ranking and allocation in memory (no servers): the rules behind the numbers."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import date
from typing import Any

import numpy as np
import pytest

from services.matching.application import validate_terms
from services.matching.domain.allocation import AllocationRequest, allocate
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
    top_candidates_per_opening,
)
from services.matching.events import OpeningKind, OpeningTerms
from services.matching.index import MatchingEngine, Partition
from services.matching.settings import PARTS, MatchingSettings
from shared import taxonomy
from shared.problems import InvalidInput
from tests.matching.support import esco_occupation, opening_spec

SETTINGS = MatchingSettings()
TAXONOMY = taxonomy.load()
LEVELS = ["below_A1", "A1", "A2", "B1", "B2", "C1"]


def _occupations() -> list[Any]:
    return sorted(
        (o for o in TAXONOMY.occupations.values() if len(o.essential_skills) >= 2),
        key=lambda o: o.uri,
    )


def _random_candidate(rng: random.Random, occupations: list[Any]) -> Candidate:
    held = rng.sample(occupations, rng.randint(0, 2))
    skills = {s for o in held for s in o.essential_skills if rng.random() < 0.7}
    skills |= set(rng.sample(sorted(TAXONOMY.skills), rng.randint(0, 5)))
    return candidate_from_profile(
        {
            "participant_id": str(uuid.UUID(int=rng.getrandbits(128))),
            "occupations": [
                {"isco_code": o.isco_code, "years": rng.choice([0, 1, 3, 8])} for o in held
            ],
            "education": [
                {
                    "level": rng.choice(["primary", "upper_secondary", "vocational", "bachelor"]),
                    "field_code": rng.choice([None, "0913", "1013"]),
                    "recognised": rng.random() < 0.5,
                }
            ]
            if rng.random() < 0.7
            else [],
            "skills": sorted(skills),
            "norwegian": {
                "oral": rng.choice([None, *LEVELS]),
                "written": rng.choice([None, *LEVELS]),
            },
            "driving_licences": rng.choice([[], ["B"], ["CE"]]),
            "wishes": {
                "occupations": [rng.choice(occupations).isco_code] if rng.random() < 0.5 else [],
                "hours_per_week": rng.choice([None, 20, 37.5]),
                "municipalities": rng.choice([[], ["3301"], ["0301"]]),
            },
        },
        rng.choice(["3301", "3303", "0301"]),
        settled_on=date(2020 + rng.randint(0, 4), 1 + rng.randint(0, 11), 1),
    )


def _random_spec(rng: random.Random, occupations: list[Any]) -> OpeningSpec:
    occupation = rng.choice(occupations)
    return OpeningSpec(
        opening_id=uuid.UUID(int=rng.getrandbits(128)),
        employer_id=uuid.UUID(int=rng.getrandbits(128)),
        kind=rng.choice(list(OpeningKind)),
        terms=OpeningTerms(
            isco_code=occupation.isco_code,
            essential_skills=occupation.essential_skills if rng.random() < 0.9 else (),
            optional_skills=occupation.optional_skills,
            norwegian={"oral": rng.choice([None, "A2", "B1"]), "written": rng.choice([None, "A1"])},
            driving_licences=("B",) if rng.random() < 0.2 else (),
            qualifications=(
                [{"min_level": "vocational", "field_code": "0913", "recognised": True}]
                if rng.random() < 0.1
                else []
            ),
            places=rng.randint(1, 3),
            hours_per_week=rng.choice([15, 20, 37.5]),
            starts_on=date(2025, 9, 1),
            municipality_code=rng.choice(["3301", "3303", "0301"]),
            commute_possible=rng.random() < 0.7,
        ),
        mentor_capacity_left=rng.choice([0, 1, 2]),
    )


def _world(seed: int, candidates: int, openings: int) -> tuple[list[Candidate], list[OpeningSpec]]:
    rng = random.Random(seed)
    occupations = _occupations()
    return (
        [_random_candidate(rng, occupations) for _ in range(candidates)],
        [_random_spec(rng, occupations) for _ in range(openings)],
    )


def test_every_explanation_multiplies_out_to_its_score_and_to_the_vectorised_total() -> None:
    candidates, specs = _world(1, 150, 25)
    skills, tokens = Vocabulary(), Vocabulary()
    segment = Segment(candidates, skills, tokens)
    batch = OpeningBatch(specs, skills, tokens)
    block = score_block(segment, None, batch, np.arange(len(specs)), SETTINGS)
    exact = explained_scores(block, SETTINGS)
    excluded_seen = 0
    for r, candidate in enumerate(candidates):
        for c, spec in enumerate(specs):
            values = {name: float(block.parts[name][r, c]) for name in PARTS}
            item = explain(candidate, spec, values, bool(block.excluded[r, c]), SETTINGS, TAXONOMY)
            assert [p["part"] for p in item["parts"]] == list(PARTS)
            product = 100.0
            for p in item["parts"]:
                assert p["factor"] == round(1 - p["weight"] * (1 - p["value"]), 4)
                product *= p["factor"]
            assert round(product, 2) == item["score"]
            assert all(0 <= p["value"] <= 1 for p in item["parts"])
            assert abs(item["score"] - float(block.total[r, c])) < 0.05
            assert abs(item["score"] - exact[r, c]) < 0.011
            assert bool(item["exclusion_reasons"]) == item["excluded"]
            excluded_seen += item["excluded"]
            matched = {s["uri"] for s in item["matched_skills"]}
            missing = {s["uri"] for s in item["missing_skills"]}
            assert matched | missing >= set(spec.terms.essential_skills)
            assert not matched & missing
    assert 0 < excluded_seen < len(candidates) * len(specs)


def test_vectorised_top_k_equals_sorting_every_score() -> None:
    candidates, specs = _world(2, 300, 40)
    skills, tokens = Vocabulary(), Vocabulary()
    segment = Segment(candidates, skills, tokens)
    batch = OpeningBatch(specs, skills, tokens)
    rows, scores = top_candidates_per_opening(segment, batch, SETTINGS, 10, chunk=7)
    block = score_block(segment, None, batch, np.arange(len(specs)), SETTINGS)
    for c in range(len(specs)):
        total = np.where(block.excluded[:, c], -np.inf, block.total[:, c])
        expected = np.sort(total)[::-1][:10]
        assert np.allclose(scores[:, c], expected)
        found = rows[:, c][rows[:, c] >= 0]
        assert np.allclose(total[found], expected[np.isfinite(expected)])
        assert len(set(found.tolist())) == len(found)


def test_exact_essential_skills_rank_that_occupations_opening_first() -> None:
    chosen = esco_occupation(min_essential=3)[:40]
    specs = [
        opening_spec(
            o, kind=OpeningKind.job, optional_skills=o.optional_skills, hours_per_week=37.5
        )
        for o in chosen
    ]
    skills, tokens = Vocabulary(), Vocabulary()
    batch = OpeningBatch(specs, skills, tokens)
    for target, occupation in enumerate(chosen):
        candidate = candidate_from_profile(
            {"participant_id": str(uuid.uuid4()), "skills": list(occupation.essential_skills)},
            "3301",
        )
        segment = Segment([candidate], skills, tokens)
        block = score_block(segment, None, batch, np.arange(len(specs)), SETTINGS)
        ranking = np.argsort(-block.total[0], kind="stable")
        assert ranking[0] == target, occupation.label


def test_parts_follow_the_documented_rules() -> None:
    cook = _occupations()[0]
    spec = opening_spec(
        cook,
        essential_skills=cook.essential_skills[:2],
        norwegian={"oral": "B1", "written": "A2"},
        hours_per_week=20,
        municipality_code="3303",
        commute_possible=True,
        mentor_capacity_left=0,
    )
    sibling = cook.isco_code[:3] + ("1" if cook.isco_code[3] != "1" else "2")
    candidate = candidate_from_profile(
        {
            "participant_id": str(uuid.uuid4()),
            "occupations": [{"isco_code": sibling, "years": 2}],
            "skills": [cook.essential_skills[0]],
            "norwegian": {"oral": "A2", "written": "B2"},
            "wishes": {"hours_per_week": 40},
            "education": [{"level": "bachelor"}],
        },
        "3301",
    )
    skills, tokens = Vocabulary(), Vocabulary()
    block = score_block(
        Segment([candidate], skills, tokens),
        None,
        OpeningBatch([spec], skills, tokens),
        np.arange(1),
        SETTINGS,
    )
    values = {name: round(float(v[0, 0]), 4) for name, v in block.parts.items()}
    level = 4 if cook.isco_code[0] == "2" else 3 if cook.isco_code[0] in "13" else 2
    assert values == {
        # same minor group, 2 years (full experience factor: 0.6), topped up by the
        # skills shown: one of two essential skills held
        "occupation": round(0.6 + 0.4 * SETTINGS.skill_evidence * 0.5**3, 4),
        # one of two held; the sibling title covers title_credit × 0.6 of the rest
        "essential_skills": round(0.5 + 0.5 * SETTINGS.title_credit * 0.6, 4),
        "optional_skills": 0.5,  # none listed: neutral
        "norwegian": 0.75,  # oral one level short (0.5), written met (1.0)
        "location": 0.7,  # commuting within the county (33)
        "wishes": round(0.6 * 0.5 + 0.4 * (1 - 20 / 40), 4),
        "education": round(max(0.0, 1 - 0.25 * (4 - level)), 4),
        "mentoring": 0.0,
    }


def _candidate(skills: list[str], **extra: Any) -> Candidate:
    settled = extra.pop("settled_on", None)
    return candidate_from_profile(
        {"participant_id": str(uuid.uuid4()), "skills": skills, **extra}, "3301", settled_on=settled
    )


def test_allocation_maximises_total_fit_and_explains_the_unplaced() -> None:
    cook, cleaner = _occupations()[:2]

    kitchen = opening_spec(cook, driving_licences=("B",))
    cleaning = opening_spec(cleaner)
    # The greedy choice (best candidate to their best opening first) loses total fit here:
    # the all-rounder is the best cook but also the only good cleaner.
    all_rounder = _candidate(
        [*cook.essential_skills, *cleaner.essential_skills], driving_licences=["B"]
    )
    cook_only = _candidate(list(cook.essential_skills)[:-1], driving_licences=["B"])
    no_licence = _candidate(list(cook.essential_skills))
    people = [all_rounder, cook_only, no_licence]
    skills, tokens = Vocabulary(), Vocabulary()
    block = score_block(
        Segment(people, skills, tokens),
        None,
        OpeningBatch([kitchen, cleaning], skills, tokens),
        np.arange(2),
        SETTINGS,
    )
    result = allocate(
        people,
        [kitchen, cleaning],
        [1, 1],
        block,
        AllocationRequest(False, 0.0, date(2025, 6, 1)),
        SETTINGS,
    )
    placed = {a["participant_id"]: a["opening_id"] for a in result["assignments"]}
    assert placed == {
        str(all_rounder.participant_id): str(cleaning.opening_id),
        str(cook_only.participant_id): str(kitchen.opening_id),
    }
    (left,) = result["unplaced"]
    assert left["participant_id"] == str(no_licence.participant_id)
    by_opening = {r["opening_id"]: r for r in left["reasons"]}
    assert by_opening[str(kitchen.opening_id)]["reason"] == "hard_requirement"
    assert by_opening[str(cleaning.opening_id)]["reason"] == "places_went_to_others"

    strict = allocate(
        people,
        [kitchen, cleaning],
        [1, 1],
        block,
        AllocationRequest(False, 99.0, date(2025, 6, 1)),
        SETTINGS,
    )
    assert strict["assignments"] == []
    assert {r["reason"] for u in strict["unplaced"] for r in u["reasons"]} == {
        "hard_requirement",
        "below_min_score",
    }


def test_favouring_those_who_waited_longest_can_change_who_gets_the_place() -> None:
    # Both hold every essential skill; the newcomer also the optional ones, a few points
    # more (less than the waiting bonus).
    cook = next(
        o for o in _occupations() if len(o.essential_skills) >= 5 and len(o.optional_skills) >= 2
    )
    spec = opening_spec(cook, optional_skills=cook.optional_skills)
    everything = [*cook.essential_skills, *cook.optional_skills]
    newcomer = _candidate(everything, settled_on=date(2025, 5, 1))
    waited = _candidate(list(cook.essential_skills), settled_on=date(2021, 1, 1))
    skills, tokens = Vocabulary(), Vocabulary()
    block = score_block(
        Segment([newcomer, waited], skills, tokens),
        None,
        OpeningBatch([spec], skills, tokens),
        np.arange(1),
        SETTINGS,
    )
    assert block.total[0, 0] > block.total[1, 0]
    by_fit = allocate(
        [newcomer, waited],
        [spec],
        [1],
        block,
        AllocationRequest(False, 0, date(2025, 6, 1)),
        SETTINGS,
    )
    by_wait = allocate(
        [newcomer, waited],
        [spec],
        [1],
        block,
        AllocationRequest(True, 0, date(2025, 6, 1)),
        SETTINGS,
    )
    assert by_fit["assignments"][0]["participant_id"] == str(newcomer.participant_id)
    assert by_wait["assignments"][0]["participant_id"] == str(waited.participant_id)
    assert by_wait["assignments"][0]["waiting_bonus"] == SETTINGS.waiting_bonus


def test_partition_overlay_and_repack_keep_exactly_the_current_candidates() -> None:
    candidates, _ = _world(3, 400, 0)
    partition = Partition()
    skills, tokens = Vocabulary(), Vocabulary()
    for candidate in candidates[:300]:
        partition.put(candidate)
    partition.segments(skills, tokens)
    for candidate in candidates[300:]:
        partition.put(candidate)
    for candidate in candidates[:50]:
        partition.remove(candidate.participant_id)
    partition.put(candidates[60].with_engagement("in_placement"))
    segments = partition.segments(skills, tokens)
    assert len(segments) == 2
    alive = [
        (c.participant_id, c.engagement)
        for s in segments
        for c, ok in zip(s.candidates, s.alive, strict=True)
        if ok
    ]
    assert sorted(alive, key=str) == sorted(
        ((c.participant_id, c.engagement) for c in partition.records.values()), key=str
    )
    assert len(alive) == 350


def test_unknown_codes_are_all_named() -> None:
    with pytest.raises(InvalidInput) as raised:
        validate_terms(
            TAXONOMY,
            {
                "isco_code": "0000",
                "esco_occupation": "http://data.europa.eu/esco/occupation/nope",
                "essential_skills": ["x", "y"],
                "driving_licences": ["B", "Z"],
                "places": 1,
                "hours_per_week": 10,
                "starts_on": date(2025, 1, 1),
                "municipality_code": "3301",
            },
        )
    fields = [e["field"] for e in raw_errors(raised.value)]
    assert fields == [
        "esco_occupation",
        "isco_code",
        "essential_skills.0",
        "essential_skills.1",
        "driving_licences.1",
    ]


def raw_errors(problem: InvalidInput) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = problem.extensions["errors"]
    return errors


def test_settings_refuse_an_inconsistent_model() -> None:
    with pytest.raises(ValueError, match="proximity"):
        MatchingSettings(proximity_minor_group=0.2, proximity_sub_major_group=0.5)
    with pytest.raises(ValueError, match="band_partial"):
        MatchingSettings(band_partial=80)
    with pytest.raises(ValueError):
        MatchingSettings(weight_norwegian=1.5)


def test_scoring_only_related_candidates_agrees_with_scoring_everyone() -> None:
    candidates, specs = _world(4, 2000, 40)
    skills, tokens = Vocabulary(), Vocabulary()
    segment = Segment(candidates, skills, tokens)
    batch = OpeningBatch(specs, skills, tokens)
    block = score_block(segment, None, batch, np.arange(len(specs)), SETTINGS, keep_parts=False)
    dense = np.where(block.excluded, -np.inf, block.total)
    for j in range(len(specs)):
        rows, total, bound = relevant_scores(segment, batch, j, SETTINGS)
        assert np.allclose(total, dense[rows, j], atol=1e-3)
        others = np.setdiff1d(np.arange(len(candidates)), rows)
        assert (dense[others, j] <= bound + 1e-3).all()
    _, best_scores = top_candidates_per_opening(segment, batch, SETTINGS, 5, workers=2)
    for j in range(len(specs)):
        expected = np.sort(dense[:, j])[::-1][:5]
        assert np.allclose(best_scores[:, j], expected, atol=1e-3)


def test_ranking_one_opening_gives_the_same_top_list_whichever_path_it_takes() -> None:
    candidates, specs = _world(5, 1500, 25)
    engine = MatchingEngine(SETTINGS, TAXONOMY)
    partition = Partition()
    for candidate in candidates:
        partition.put(candidate)
    engine.partitions["3301"] = partition
    skills, tokens = Vocabulary(), Vocabulary()
    block = score_block(
        Segment(candidates, skills, tokens),
        None,
        OpeningBatch(specs, skills, tokens),
        np.arange(len(specs)),
        SETTINGS,
    )
    exact = np.where(block.excluded, -np.inf, explained_scores(block, SETTINGS))
    for j, spec in enumerate(specs):
        ranked = engine.rank_candidates(
            spec, "3301", limit=10, available_only=True, include_excluded=False, min_score=0.0
        )
        expected = np.sort(exact[:, j])[::-1][:10]
        expected = expected[np.isfinite(expected)]
        assert np.allclose([item["score"] for item in ranked], expected, atol=0.011)
        assert all(not item["excluded"] for item in ranked)


@pytest.mark.parametrize(("changed", "rebase"), [(300, True), (200, False)])
async def test_a_packing_in_a_worker_leaves_queries_on_the_previous_packing_until_installed(
    changed: int, rebase: bool
) -> None:
    candidates, specs = _world(6, 400, 1)
    engine = MatchingEngine(SETTINGS, TAXONOMY)
    partition = Partition()
    for candidate in candidates:
        partition.put(candidate)
    engine.partitions["3301"] = partition
    engine.pack()

    def available() -> set[str]:
        ranked = engine.rank_candidates(
            specs[0], "3301", limit=400, available_only=True, include_excluded=True, min_score=0
        )
        return {item["participant_id"] for item in ranked}

    everyone = {str(c.participant_id) for c in candidates}
    assert available() == everyone
    for candidate in candidates[:changed]:
        partition.put(candidate.with_engagement("in_placement"))

    [(due, packing)] = engine.packings_due(128)
    assert due is partition and partition.packing and packing.rebase is rebase
    assert available() == everyone
    await asyncio.to_thread(packing.run, engine.skills, engine.tokens)
    assert available() == everyone
    partition.install(packing)
    partition.packing = False
    assert available() == {str(c.participant_id) for c in candidates[changed:]}
