"""Allocating scarce places: maximum total fit under hard constraints and capacities.

Every free place of an opening is one column, every participant one row, and the
value of a cell is the match score (plus, with ``favour_waiting``, up to
``waiting_bonus`` points for the longest wait since settlement, pro rata for shorter
waits). Cells a participant may not take — a failed hard requirement, or a score
under ``min_score`` — are worth 0, feasible ones a little more than their score, so
SciPy's ``linear_sum_assignment`` (the Hungarian method, Jonker–Volgenant variant)
maximising the total never prefers an infeasible cell to leaving a place empty, and
each participant gets at most one place. Pairs it puts on a cell worth 0 are dropped.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from services.matching.candidates import Candidate
from services.matching.scoring import (
    Block,
    OpeningSpec,
    exclusion_reasons,
    explained_scores,
    waited_days,
)
from services.matching.settings import MatchingSettings

_FEASIBLE = 1e-3


@dataclass(frozen=True)
class AllocationRequest:
    favour_waiting: bool
    min_score: float
    today: date


def allocate(
    candidates: Sequence[Candidate],
    specs: Sequence[OpeningSpec],
    places: Sequence[int],
    block: Block,
    request: AllocationRequest,
    settings: MatchingSettings,
) -> dict[str, Any]:
    """Assign candidates to places; say for every candidate left out why."""
    scores = explained_scores(block, settings)
    feasible = ~block.excluded & (scores >= request.min_score)
    waits = np.array([waited_days(c, request.today) or 0 for c in candidates], dtype=np.float64)
    bonus = np.zeros(len(candidates))
    if request.favour_waiting and waits.size and waits.max() > 0:
        bonus = settings.waiting_bonus * waits / waits.max()
    columns = np.repeat(np.arange(len(specs)), places)
    value = np.where(feasible, scores + bonus[:, None] + _FEASIBLE, 0.0)[:, columns]
    assigned: dict[int, int] = {}
    if value.size:
        rows, cols = linear_sum_assignment(value, maximize=True)
        for r, c in zip(rows, cols, strict=True):
            if value[r, c] > 0:
                assigned[int(r)] = int(columns[c])

    placed_scores: dict[int, list[float]] = {}
    assignments: list[dict[str, Any]] = []
    for r, o in sorted(
        assigned.items(), key=lambda kv: (str(specs[kv[1]].opening_id), -scores[kv[0], kv[1]])
    ):
        placed_scores.setdefault(o, []).append(float(scores[r, o]))
        assignments.append(
            {
                "participant_id": str(candidates[r].participant_id),
                "opening_id": str(specs[o].opening_id),
                "score": float(scores[r, o]),
                "band": settings.band(float(scores[r, o]), False),
                "waited_days": waited_days(candidates[r], request.today),
                "waiting_bonus": round(float(bonus[r]), 2),
            }
        )

    unplaced = []
    for r, candidate in enumerate(candidates):
        if r in assigned:
            continue
        unplaced.append(
            {
                "participant_id": str(candidate.participant_id),
                "waited_days": waited_days(candidate, request.today),
                "reasons": _why_not(
                    r, candidate, specs, scores, feasible, placed_scores, block, request
                ),
            }
        )
    return {
        "assignments": assignments,
        "unplaced": unplaced,
        "openings": [
            {
                "opening_id": str(spec.opening_id),
                "places_offered": int(places[o]),
                "places_filled": len(placed_scores.get(o, [])),
            }
            for o, spec in enumerate(specs)
        ],
        "total_fit": round(sum(a["score"] for a in assignments), 2),
        "favour_waiting": request.favour_waiting,
        "solver": "scipy.optimize.linear_sum_assignment",
    }


def _why_not(
    r: int,
    candidate: Candidate,
    specs: Sequence[OpeningSpec],
    scores: np.ndarray[Any, Any],
    feasible: np.ndarray[Any, Any],
    placed_scores: dict[int, list[float]],
    block: Block,
    request: AllocationRequest,
) -> list[dict[str, Any]]:
    reasons: list[dict[str, Any]] = []
    for o, spec in enumerate(specs):
        opening = str(spec.opening_id)
        score = float(scores[r, o])
        if block.excluded[r, o]:
            reasons.append(
                {
                    "opening_id": opening,
                    "reason": "hard_requirement",
                    "detail": "; ".join(exclusion_reasons(candidate, spec)),
                }
            )
        elif not feasible[r, o]:
            reasons.append(
                {
                    "opening_id": opening,
                    "reason": "below_min_score",
                    "detail": f"score {score} is below the minimum {request.min_score}",
                }
            )
        else:
            taken = placed_scores.get(o, [])
            reasons.append(
                {
                    "opening_id": opening,
                    "reason": "places_went_to_others",
                    "detail": f"score {score}; its {len(taken)} place(s) went to participants "
                    f"with scores {', '.join(f'{s:g}' for s in sorted(taken, reverse=True))}"
                    + (" (waiting time counted)" if request.favour_waiting else "")
                    + ", which gave the highest total fit",
                }
            )
    return reasons


def not_candidates(
    participant_ids: Sequence[uuid.UUID], reason: str, detail: str
) -> list[dict[str, Any]]:
    return [
        {
            "participant_id": str(pid),
            "waited_days": None,
            "reasons": [{"opening_id": None, "reason": reason, "detail": detail}],
        }
        for pid in participant_ids
    ]
