"""Advice for one participant (pure): which skills to gain, which occupations are near.

Skill gaps: every essential skill of an open opening that the person lacks is tried
as if they held it, and the openings scored again with the same model. A skill is worth
the openings it lifts to a better band (weak → partial, partial → strong), counted
first by those it lifts to strong. Excluded pairs (a licence or qualification missing)
stay excluded: a skill does not unlock them.

Occupations: the ESCO occupations the person is closest to, by the gate and occupation
factors of the score alone (essential and optional skills with related credit and
unconfirmed suggestions, occupation proximity) — where the person stands, whatever
the openings of the day.
"""

from __future__ import annotations

import math
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt

from services.matching.domain.candidates import Candidate
from services.matching.domain.scoring import (
    OpeningBatch,
    OpeningSpec,
    Segment,
    Vocabulary,
    factor,
    held_skills,
    iter_parts,
    skill_credits,
    skill_label,
)
from services.matching.events import OpeningKind, OpeningTerms
from services.matching.settings import MatchingSettings
from shared.taxonomy import Taxonomy
from shared.taxonomy import hierarchy as skill_hierarchy

BANDS = ("weak", "partial", "strong")
TRIED_SKILLS = 60
"""Missing skills tried per request, the most often required first (bounds the work)."""

Scorer = Callable[[Sequence[Candidate]], tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]]
"""Explained scores and exclusions of candidates × the openings advised on."""


def _rank(settings: MatchingSettings, scores: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
    return np.where(
        scores >= settings.band_strong, 2, np.where(scores >= settings.band_partial, 1, 0)
    ).astype(np.int64)


def skill_gaps(
    candidate: Candidate,
    specs: Sequence[OpeningSpec],
    score: Scorer,
    settings: MatchingSettings,
    taxonomy: Taxonomy,
    *,
    limit: int,
) -> list[dict[str, Any]]:
    """The missing skills that would lift the most openings, each with those openings."""
    held = held_skills(candidate)
    wanted: Counter[str] = Counter(
        uri for spec in specs for uri in set(spec.terms.essential_skills) if uri not in held
    )
    if not wanted:
        return []
    tried = sorted(wanted, key=lambda uri: (-wanted[uri], uri))[:TRIED_SKILLS]
    people = [candidate] + [replace(candidate, skills=candidate.skills | {uri}) for uri in tried]
    scores, excluded = score(people)
    bands = _rank(settings, scores)
    found: list[tuple[tuple[int, int, float, str], dict[str, Any]]] = []
    for i, uri in enumerate(tried, start=1):
        lifted = np.flatnonzero((bands[i] > bands[0]) & ~excluded[0])
        if not len(lifted):
            continue
        to_strong = int((bands[i][lifted] == 2).sum())
        gain = float((scores[i] - scores[0])[lifted].sum())
        openings = [
            {
                "opening_id": str(specs[c].opening_id),
                "title": specs[c].title,
                "kind": specs[c].kind.value,
                "employer_id": str(specs[c].employer_id),
                "score_before": float(scores[0][c]),
                "score_after": float(scores[i][c]),
                "band_before": BANDS[int(bands[0][c])],
                "band_after": BANDS[int(bands[i][c])],
            }
            for c in sorted(
                (int(c) for c in lifted), key=lambda c: (-scores[i][c], str(specs[c].opening_id))
            )
        ]
        found.append(
            (
                (-to_strong, -len(lifted), -gain, uri),
                {
                    "skill": {"uri": uri, "label": skill_label(taxonomy, uri)},
                    "required_by": wanted[uri],
                    "openings_to_strong": to_strong,
                    "openings_lifted": len(lifted),
                    "openings": openings,
                },
            )
        )
    found.sort(key=lambda pair: pair[0])
    return [advice for _, advice in found[:limit]]


_OCCUPATION_PARTS = ("occupation", "essential_skills", "optional_skills")


class OccupationCatalogue:
    """Every ESCO occupation packed once as an opening of its own skills, to score one
    person against all of them in one block."""

    def __init__(self, taxonomy: Taxonomy, skills: Vocabulary, tokens: Vocabulary) -> None:
        self.occupations = sorted(taxonomy.occupations.values(), key=lambda o: o.uri)
        self.skills, self.tokens = skills, tokens
        self.specs = [
            OpeningSpec(
                opening_id=uuid.UUID(int=i),
                employer_id=uuid.UUID(int=0),
                kind=OpeningKind.job,
                terms=OpeningTerms(
                    isco_code=o.isco_code,
                    esco_occupation=o.uri,
                    essential_skills=o.essential_skills,
                    optional_skills=o.optional_skills,
                    places=1,
                    hours_per_week=37.5,
                    starts_on=date(2000, 1, 1),
                    municipality_code="0301",
                ),
                mentor_capacity_left=1,
                title=o.label,
            )
            for i, o in enumerate(self.occupations)
        ]
        self.batch = OpeningBatch(self.specs, skills, tokens)

    def closest(
        self, candidate: Candidate, settings: MatchingSettings, taxonomy: Taxonomy, *, limit: int
    ) -> list[dict[str, Any]]:
        """The ``limit`` occupations with the highest closeness, best first.

        ``closeness = 100 × Π factor`` over the occupation, essential-skill and
        optional-skill parts, with the score's own weights and values.
        """
        segment = Segment([candidate], self.skills, self.tokens)
        cols = np.arange(len(self.specs), dtype=np.int64)
        weights = settings.weights()
        values: dict[str, npt.NDArray[np.float32]] = {}
        for name, part in iter_parts(segment, None, self.batch, cols, settings):
            values[name] = part[0]
            if len(values) == len(_OCCUPATION_PARTS):
                break
        rounded = {name: np.round(v.astype(np.float64), 4) for name, v in values.items()}
        closeness = np.full(len(cols), 100.0)
        for name in _OCCUPATION_PARTS:
            closeness *= np.round(1.0 - weights[name] * (1.0 - rounded[name]), 4)
        closeness = np.round(closeness, 2)
        # A few more than asked, re-ranked below by the closeness as each one shows it.
        order = np.lexsort((cols, -closeness))[: limit + 10]
        related = skill_hierarchy.load()
        out: list[dict[str, Any]] = []
        for c in order:
            occupation = self.occupations[int(c)]
            credits = skill_credits(
                candidate, occupation.essential_skills, settings, taxonomy, related
            )
            shown = {
                name: round(factor(weights[name], float(rounded[name][c])), 4)
                for name in _OCCUPATION_PARTS
            }
            out.append(
                {
                    "uri": occupation.uri,
                    "label": occupation.label,
                    "isco_code": occupation.isco_code,
                    "title": taxonomy.occupation_title(occupation.isco_code),
                    "closeness": round(100.0 * math.prod(shown.values()), 2),
                    "factors": {
                        name: {"value": float(rounded[name][c]), "factor": shown[name]}
                        for name in _OCCUPATION_PARTS
                    },
                    "matched_skills": [
                        {"uri": e["uri"], "label": e["label"]}
                        for e in credits
                        if e["how"] == "held"
                    ],
                    "related_skills": [
                        {"uri": e["uri"], "label": e["label"], "text": e["text"]}
                        for e in credits
                        if e["how"] == "related"
                    ],
                    "unconfirmed_skills": [
                        {"uri": e["uri"], "label": e["label"], "text": e["text"]}
                        for e in credits
                        if e["how"] == "unconfirmed"
                    ],
                    "missing_skills": [
                        {"uri": e["uri"], "label": e["label"]}
                        for e in credits
                        if e["how"] != "held"
                    ],
                }
            )
        out.sort(key=lambda o: -float(o["closeness"]))
        return out[:limit]
