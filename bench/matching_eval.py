"""Held-out evaluation of the match score: the gated model against the old additive one.

``python -m bench.matching_eval`` writes ``bench/matching_eval_results.md``.

Synthetic, seeded, reproducible. One opening per sampled ESCO occupation (its essential
and optional skills, its ISCO unit group). For each opening, candidates built from that
occupation's essential skills with noise — each essential skill dropped with p = 0.25
(at least one kept), a dropped one replaced by a related skill (same ESCO skill group,
broader or narrower) with p = 0.5, up to three unrelated skills added — in three slices:

- ``skills_only`` (informal competence, realkompetanse): the skills, no job title;
- ``near_title``: the skills and a title in the same ISCO minor group, not the unit group;
- ``exact_title``: the skills and a title in the occupation's own unit group;

plus one *decoy* per opening: a near title (same minor group) with none of the skills
(only unrelated ones). Norwegian, place, hours and education are drawn at random, the
same for both models.

Metrics, both ways, per slice:

- candidate → openings: rank every opening for the candidate; the relevant one is the
  candidate's own. Precision@1 and mean reciprocal rank.
- opening → candidates: rank, for each opening, the slice's candidates of every opening
  plus every decoy; the relevant one is the slice's candidate built for this opening.

Equal scores count at their expected rank (ties broken at random), so a model cannot win
by the order of its input. The old model is the additive scoring as it stood before the
gated model replaced it, read from git history (``LEGACY_COMMIT``: its
``services/matching/domain/scoring.py`` and ``settings.py``), so no copy of it stays in
the tree; the new one is ``services.matching.domain.scoring``.
"""

from __future__ import annotations

import random
import subprocess
import sys
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import numpy.typing as npt

from services.matching.domain import scoring
from services.matching.domain.candidates import Candidate, candidate_from_profile
from services.matching.domain.scoring import OpeningSpec
from services.matching.events import OpeningKind, OpeningTerms
from services.matching.settings import MatchingSettings
from shared import taxonomy
from shared.taxonomy import hierarchy

SEED = 20261201
OPENINGS = 300
SLICES = ("skills_only", "near_title", "exact_title")
PLACES = ("3301", "3303", "0301")
LEVELS = ("A1", "A2", "B1", "B2")
RESULTS = Path(__file__).with_name("matching_eval_results.md")

Scores = npt.NDArray[np.float64]

LEGACY_COMMIT = "a23deea16db9613f612693a70f53514e99ab8e8c"
"""The last commit with the additive model (the gated one came in the next)."""
_SETTINGS_IMPORT = "from services.matching.settings import"


def _module_at(commit: str, path: str, name: str, source_edit: Callable[[str], str]) -> ModuleType:
    shown = subprocess.run(
        ["git", "show", f"{commit}:{path}"],
        cwd=Path(__file__).resolve().parent,
        capture_output=True,
        text=True,
    )
    if shown.returncode != 0:
        raise RuntimeError(
            f"The old model is read from git history ({commit}:{path}); this needs a "
            f"checkout with that commit (not a shallow clone or a copy without .git): "
            f"{shown.stderr.strip()}"
        )
    source = shown.stdout
    module = ModuleType(name)
    module.__file__ = f"{commit}:{path}"
    # dataclasses and pydantic resolve the module's annotations through sys.modules.
    sys.modules[name] = module
    exec(compile(source_edit(source), module.__file__, "exec"), module.__dict__)
    return module


@cache
def legacy_model() -> tuple[ModuleType, ModuleType]:
    """The old additive model's scoring and settings modules, as they were at LEGACY_COMMIT.

    The old scoring reads its weights from the old settings, not from today's.
    """
    settings = _module_at(
        LEGACY_COMMIT, "services/matching/settings.py", "bench._legacy_settings", lambda s: s
    )

    def on_old_settings(source: str) -> str:
        assert source.count(_SETTINGS_IMPORT) == 1, "the old scoring imports its settings once"
        return source.replace(_SETTINGS_IMPORT, f"from {settings.__name__} import")

    scoring = _module_at(
        LEGACY_COMMIT,
        "services/matching/domain/scoring.py",
        "bench._legacy_scoring",
        on_old_settings,
    )
    return scoring, settings


def old_settings() -> Any:
    """The old model's weights and bands (its ``MatchingSettings``, from the environment)."""
    return legacy_model()[1].MatchingSettings()


@dataclass(frozen=True)
class Person:
    candidate: Candidate
    target: int
    """The opening the person was built for."""
    slice: str


def _profile_extras(rng: random.Random) -> dict[str, Any]:
    return {
        "norwegian": {"oral": rng.choice(LEVELS), "written": rng.choice(LEVELS)},
        "wishes": {"hours_per_week": rng.choice([None, 20, 37.5])},
        "education": [{"level": rng.choice(["primary", "upper_secondary", "vocational"])}]
        if rng.random() < 0.6
        else [],
    }


def _noisy_skills(
    rng: random.Random, essential: Sequence[str], all_skills: Sequence[str]
) -> list[str]:
    related = hierarchy.load()
    kept = [s for s in essential if rng.random() >= 0.25] or [rng.choice(list(essential))]
    held = set(kept)
    for dropped in sorted(set(essential) - held):
        near = sorted(related.related(dropped))
        if near and rng.random() < 0.5:
            held.add(rng.choice(near))
    held.update(rng.sample(list(all_skills), rng.randint(0, 3)))
    return sorted(held)


def _sibling(rng: random.Random, code: str, units: Sequence[str], digits: int) -> str | None:
    """A unit group sharing the first ``digits`` digits of ``code`` but not the unit."""
    near = [
        u for u in units if u[:digits] == code[:digits] and u[: digits + 1] != code[: digits + 1]
    ]
    return rng.choice(near) if near else None


def build(
    seed: int = SEED, openings: int = OPENINGS
) -> tuple[list[OpeningSpec], list[Person], list[Candidate]]:
    """The openings, the candidates of every slice, and the decoys."""
    rng = random.Random(seed)
    tax = taxonomy.load()
    all_skills = sorted(tax.skills)
    units = sorted({o.isco_code for o in tax.occupations.values()})
    pool = sorted(
        (
            o
            for o in tax.occupations.values()
            if len(o.essential_skills) >= 3 and _sibling(rng, o.isco_code, units, 3)
        ),
        key=lambda o: o.uri,
    )
    chosen = rng.sample(pool, min(openings, len(pool)))
    specs: list[OpeningSpec] = []
    people: list[Person] = []
    decoys: list[Candidate] = []

    def person(skills: list[str], title: str | None) -> Candidate:
        return candidate_from_profile(
            {
                "participant_id": str(uuid.UUID(int=rng.getrandbits(128))),
                "skills": skills,
                "occupations": [{"isco_code": title, "years": rng.choice([1, 3, 6])}]
                if title
                else [],
                **_profile_extras(rng),
            },
            rng.choice(PLACES),
            settled_on=date(2023, 1, 1),
        )

    for j, occupation in enumerate(chosen):
        specs.append(
            OpeningSpec(
                opening_id=uuid.UUID(int=j + 1),
                employer_id=uuid.UUID(int=1),
                kind=OpeningKind.job,
                terms=OpeningTerms(
                    isco_code=occupation.isco_code,
                    esco_occupation=occupation.uri,
                    essential_skills=occupation.essential_skills,
                    optional_skills=occupation.optional_skills,
                    norwegian={"oral": rng.choice([None, "A2", "B1"])},
                    places=1,
                    hours_per_week=rng.choice([20, 37.5]),
                    starts_on=date(2026, 1, 5),
                    municipality_code=rng.choice(PLACES),
                    commute_possible=True,
                ),
                mentor_capacity_left=1,
                title=occupation.label,
            )
        )
        code = occupation.isco_code
        near = _sibling(rng, code, units, 3)
        essential = occupation.essential_skills
        people.append(
            Person(person(_noisy_skills(rng, essential, all_skills), None), j, "skills_only")
        )
        people.append(
            Person(person(_noisy_skills(rng, essential, all_skills), near), j, "near_title")
        )
        people.append(
            Person(person(_noisy_skills(rng, essential, all_skills), code), j, "exact_title")
        )
        unrelated = [s for s in rng.sample(all_skills, 3) if s not in essential]
        decoys.append(person(unrelated, near))
    return specs, people, decoys


def _scores(
    model: Any, settings: Any, candidates: Sequence[Candidate], specs: Sequence[Any]
) -> Scores:
    """Every candidate's score for every opening under ``model`` (a scoring module)."""
    skills, tokens = model.Vocabulary(), model.Vocabulary()
    block = model.score_block(
        model.Segment(candidates, skills, tokens),
        None,
        model.OpeningBatch(specs, skills, tokens),
        np.arange(len(specs), dtype=np.int64),
        settings,
    )
    return model.explained_scores(block, settings)  # type: ignore[no-any-return]


def new_scores(candidates: Sequence[Candidate], specs: Sequence[OpeningSpec]) -> Scores:
    return _scores(scoring, MatchingSettings(), candidates, specs)


def old_scores(candidates: Sequence[Candidate], specs: Sequence[OpeningSpec]) -> Scores:
    legacy = legacy_model()[0]
    old_specs = [
        legacy.OpeningSpec(s.opening_id, s.employer_id, s.kind, s.terms, s.mentor_capacity_left)
        for s in specs
    ]
    return _scores(legacy, old_settings(), candidates, old_specs)


def expected_rank(scores: Scores, relevant: int) -> float:
    """Rank of ``relevant`` among ``scores`` (1 = best), ties at their mean rank."""
    mine = scores[relevant]
    above = int((scores > mine).sum())
    tied = int((scores == mine).sum()) - 1
    return 1.0 + above + tied / 2.0


def hit_at_1(scores: Scores, relevant: int) -> float:
    """1 if ``relevant`` is alone on top, 1/n when it shares the top with n − 1 others."""
    mine = scores[relevant]
    if (scores > mine).any():
        return 0.0
    return 1.0 / int((scores == mine).sum())


@dataclass
class Row:
    direction: str
    slice: str
    model: str
    precision_at_1: float
    mrr: float
    n: int

    @classmethod
    def over(
        cls, direction: str, slice: str, model: str, hits: list[float], ranks: list[float]
    ) -> Row:
        """Precision@1 and MRR over one hit and one rank per query."""
        return cls(
            direction,
            slice,
            model,
            float(np.mean(hits)),
            float(np.mean([1 / r for r in ranks])),
            len(ranks),
        )


def evaluate(
    specs: Sequence[OpeningSpec],
    people: Sequence[Person],
    decoys: Sequence[Candidate],
    models: dict[str, Callable[[Sequence[Candidate], Sequence[OpeningSpec]], Scores]],
) -> tuple[list[Row], dict[str, dict[str, float]]]:
    rows: list[Row] = []
    bands: dict[str, dict[str, float]] = {}
    everyone = [p.candidate for p in people] + list(decoys)
    for model, score in models.items():
        table = score(everyone, specs)
        people_scores = table[: len(people)]
        decoy_scores = table[len(people) :]
        for name in SLICES:
            mine = [i for i, p in enumerate(people) if p.slice == name]
            ranks = [expected_rank(people_scores[i], people[i].target) for i in mine]
            hits = [hit_at_1(people_scores[i], people[i].target) for i in mine]
            rows.append(Row.over("candidate → openings", name, model, hits, ranks))
            by_target = {people[i].target: i for i in mine}
            ranks, hits = [], []
            for j in range(len(specs)):
                if j not in by_target:
                    continue
                column = np.concatenate([people_scores[mine, j], decoy_scores[:, j]])
                relevant = mine.index(by_target[j])
                ranks.append(expected_rank(column, relevant))
                hits.append(hit_at_1(column, relevant))
            rows.append(Row.over("opening → candidates", name, model, hits, ranks))
        limits = MatchingSettings() if model == "new" else old_settings()
        strong, partial = limits.band_strong, limits.band_partial
        own = np.array(
            [people_scores[i, p.target] for i, p in enumerate(people) if p.slice == "skills_only"]
        )
        majors = np.array([s.terms.isco_code[0] for s in specs])
        unrelated = [
            people_scores[i, j]
            for i, p in enumerate(people)
            for j in range(0, len(specs), 7)
            if majors[j] != specs[p.target].terms.isco_code[0]
            and not set(specs[j].terms.essential_skills) & p.candidate.skills
        ]
        bands[model] = {
            "skills_only_own_strong": float((own >= strong).mean()),
            "full_skills_own_strong": float(
                np.mean(
                    [
                        people_scores[i, p.target] >= strong
                        for i, p in enumerate(people)
                        if p.slice == "skills_only"
                        and set(specs[p.target].terms.essential_skills) <= p.candidate.skills
                    ]
                )
            ),
            "skills_only_own_partial_or_better": float((own >= partial).mean()),
            "unrelated_weak": float((np.array(unrelated) < partial).mean()),
            "unrelated_max": float(np.max(unrelated)),
            "decoy_own_mean": float(np.mean([decoy_scores[j, j] for j in range(len(specs))])),
            "skills_only_own_mean": float(own.mean()),
        }
    return rows, bands


def render(rows: Sequence[Row], bands: dict[str, dict[str, float]], specs: int, people: int) -> str:
    lines = [
        "# Matching: held-out evaluation, gated model vs the old additive model",
        "",
        f"`python -m bench.matching_eval` (seed {SEED}; {specs} openings from ESCO occupations "
        f"with ≥ 3 essential skills, {people} candidates in three slices + {specs} decoys; "
        "see the module docstring for how they are built). Precision@1 and MRR, ties at their "
        "expected rank.",
        "",
        "| direction | slice | P@1 old | P@1 new | MRR old | MRR new | n |",
        "|---|---|---|---|---|---|---|",
    ]
    keyed = {(r.direction, r.slice, r.model): r for r in rows}
    old_bands, new_bands = old_settings(), MatchingSettings()
    for direction in ("candidate → openings", "opening → candidates"):
        for name in SLICES:
            old, new = keyed[(direction, name, "old")], keyed[(direction, name, "new")]
            lines.append(
                f"| {direction} | {name} | {old.precision_at_1:.3f} | {new.precision_at_1:.3f} "
                f"| {old.mrr:.3f} | {new.mrr:.3f} | {new.n} |"
            )
    lines += [
        "",
        f"Bands (old: strong ≥ {old_bands.band_strong:g}, partial ≥ {old_bands.band_partial:g}; "
        f"new: strong ≥ {new_bands.band_strong:g}, partial ≥ {new_bands.band_partial:g}):",
        "",
        "| measure | old | new |",
        "|---|---|---|",
    ]
    labels = {
        "skills_only_own_strong": "skills-only candidate, own opening: share strong",
        "skills_only_own_partial_or_better": "skills-only candidate, own opening: share partial or strong",
        "full_skills_own_strong": "skills-only candidate holding every essential skill, own opening: share strong",
        "skills_only_own_mean": "skills-only candidate, own opening: mean score",
        "decoy_own_mean": "decoy (near title, none of the skills), its opening: mean score",
        "unrelated_weak": "unrelated pairs (other major group, no shared skill): share weak",
        "unrelated_max": "unrelated pairs: highest score",
    }
    for key, label in labels.items():
        lines.append(f"| {label} | {bands['old'][key]:.3f} | {bands['new'][key]:.3f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    specs, people, decoys = build()
    rows, bands = evaluate(specs, people, decoys, {"old": old_scores, "new": new_scores})
    text = render(rows, bands, len(specs), len(people))
    RESULTS.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
