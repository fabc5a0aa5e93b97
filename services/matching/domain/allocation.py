"""Allocating scarce places: maximum total fit under hard constraints and capacities.

Every free place of an opening is one column, every participant one row, and the
value of a cell is the match score (plus, with ``favour_waiting``, up to
``waiting_bonus`` points for the longest wait since settlement, pro rata for shorter
waits). Cells a participant may not take — a failed hard requirement, or a score
under ``min_score`` — are worth 0, feasible ones a little more than their score, so
SciPy's ``linear_sum_assignment`` (the Hungarian method, Jonker–Volgenant variant)
maximising the total never prefers an infeasible cell to leaving a place empty, and
each participant gets at most one place. Pairs it puts on a cell worth 0 are dropped.

An employer's mentor capacity is a hard limit too: every participant placed in one of
its practice openings takes a mentor. When that limit binds (an employer's practice
places exceed its mentors left), :func:`assign` solves the same problem with the extra
constraint as a 0/1 programme (``scipy.optimize.milp``, HiGHS).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, linear_sum_assignment, milp

from services.matching.domain import takes_mentor
from services.matching.domain.candidates import Candidate
from services.matching.domain.scoring import (
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


def assign(
    value: npt.NDArray[np.float64],
    places: Sequence[int],
    mentor_group: Sequence[uuid.UUID | None],
    mentors_left: Mapping[uuid.UUID, int],
) -> dict[int, int]:
    """Rows (candidates) to columns (openings) for the largest total ``value``.

    Each row gets at most one opening and opening ``o`` at most ``places[o]`` rows; the
    openings of one ``mentor_group`` (an employer's practice openings; ``None`` for
    openings that take no mentor) together get at most ``mentors_left[group]`` rows.
    Cells worth 0 or less are never used. Without a binding mentor limit this is the
    assignment problem (Hungarian method); with one, a 0/1 linear programme whose
    constraint matrix is totally unimodular (rows, and nested column groups), solved
    exactly with HiGHS.
    """
    n, m = value.shape
    left = {g: max(0, int(c)) for g, c in mentors_left.items()}
    capped = [
        min(int(p), left.get(g, 0)) if g is not None else int(p)
        for p, g in zip(places, mentor_group, strict=True)
    ]
    demand: dict[uuid.UUID, int] = {}
    for p, g in zip(capped, mentor_group, strict=True):
        if g is not None:
            demand[g] = demand.get(g, 0) + p
    if n == 0 or m == 0 or sum(capped) == 0:
        return {}
    if all(demand[g] <= left.get(g, 0) for g in demand):
        return _hungarian(value, capped)
    return _programme(value, capped, mentor_group, left)


def _hungarian(value: npt.NDArray[np.float64], places: Sequence[int]) -> dict[int, int]:
    columns = np.repeat(np.arange(len(places)), places)
    expanded = value[:, columns]
    rows, cols = linear_sum_assignment(expanded, maximize=True)
    return {int(r): int(columns[c]) for r, c in zip(rows, cols, strict=True) if expanded[r, c] > 0}


def _programme(
    value: npt.NDArray[np.float64],
    places: Sequence[int],
    mentor_group: Sequence[uuid.UUID | None],
    left: Mapping[uuid.UUID, int],
) -> dict[int, int]:
    rows, cols = np.nonzero(value > 0)
    k = len(rows)
    if k == 0:
        return {}
    cells = np.arange(k)
    groups = sorted({g for g in mentor_group if g is not None}, key=str)
    group_index = {g: i for i, g in enumerate(groups)}
    in_group = [
        (c, group_index[g])
        for c, o in enumerate(cols.tolist())
        if (g := mentor_group[o]) is not None
    ]
    n, m = value.shape
    constraints = [
        LinearConstraint(sp.csr_matrix((np.ones(k), (rows, cells)), shape=(n, k)), 0, 1),
        LinearConstraint(
            sp.csr_matrix((np.ones(k), (cols, cells)), shape=(m, k)), 0, np.asarray(places)
        ),
    ]
    if in_group:
        cell_ids, group_ids = zip(*in_group, strict=True)
        constraints.append(
            LinearConstraint(
                sp.csr_matrix(
                    (np.ones(len(cell_ids)), (group_ids, cell_ids)), shape=(len(groups), k)
                ),
                0,
                np.array([left.get(g, 0) for g in groups]),
            )
        )
    result = milp(
        -value[rows, cols],
        constraints=constraints,
        integrality=np.ones(k),
        bounds=Bounds(0, 1),
    )
    if result.x is None:
        raise RuntimeError(f"allocation programme not solved: {result.message}")
    chosen = np.nonzero(result.x > 0.5)[0]
    return {int(rows[c]): int(cols[c]) for c in chosen}


def leaves_before_start(
    candidates: Sequence[Candidate], specs: Sequence[OpeningSpec]
) -> npt.NDArray[np.bool_]:
    """Pairs where the candidate leaves (a move announced ahead) before the opening starts.

    Nothing can start on or after the day a participant leaves, so such a place would
    never be taken.
    """
    far = np.datetime64("2200-01-01")
    leaves = np.array(
        [np.datetime64(c.leaves_on) if c.leaves_on else far for c in candidates],
        dtype="datetime64[D]",
    )
    starts = np.array([np.datetime64(s.terms.starts_on) for s in specs], dtype="datetime64[D]")
    result: npt.NDArray[np.bool_] = leaves[:, None] <= starts[None, :]
    return result.reshape(len(candidates), len(specs))


def allocate(
    candidates: Sequence[Candidate],
    specs: Sequence[OpeningSpec],
    places: Sequence[int],
    block: Block,
    request: AllocationRequest,
    settings: MatchingSettings,
) -> dict[str, Any]:
    """Assign candidates to places; say for every candidate left out why.

    An employer's mentor capacity left is a hard limit across its practice openings:
    every participant placed in one takes a mentor.
    """
    scores = explained_scores(block, settings)
    leaves_first = leaves_before_start(candidates, specs)
    feasible = ~block.excluded & ~leaves_first & (scores >= request.min_score)
    waits = np.array([waited_days(c, request.today) or 0 for c in candidates], dtype=np.float64)
    bonus = np.zeros(len(candidates))
    if request.favour_waiting and waits.size and waits.max() > 0:
        bonus = settings.waiting_bonus * waits / waits.max()
    value = np.where(feasible, scores + bonus[:, None] + _FEASIBLE, 0.0).astype(np.float64)
    groups = [spec.employer_id if takes_mentor(spec.kind) else None for spec in specs]
    mentors_left = {spec.employer_id: spec.mentor_capacity_left for spec in specs}
    assigned = assign(value.reshape(len(candidates), len(specs)), places, groups, mentors_left)

    used: dict[uuid.UUID, int] = {}
    for o in assigned.values():
        if (group := groups[o]) is not None:
            used[group] = used.get(group, 0) + 1
    no_mentor = {
        o
        for o, group in enumerate(groups)
        if group is not None and used.get(group, 0) >= max(0, mentors_left[group])
    }
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
                    r,
                    candidate,
                    specs,
                    places,
                    scores,
                    feasible,
                    placed_scores,
                    no_mentor,
                    block,
                    request,
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
    places: Sequence[int],
    scores: np.ndarray[Any, Any],
    feasible: np.ndarray[Any, Any],
    placed_scores: dict[int, list[float]],
    no_mentor: set[int],
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
        elif candidate.leaves_on is not None and candidate.leaves_on <= spec.terms.starts_on:
            reasons.append(
                {
                    "opening_id": opening,
                    "reason": "leaves_before_start",
                    "detail": f"leaves the municipality on {candidate.leaves_on.isoformat()}, "
                    f"before the opening starts on {spec.terms.starts_on.isoformat()}",
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
        elif o in no_mentor and len(placed_scores.get(o, [])) < places[o]:
            reasons.append(
                {
                    "opening_id": opening,
                    "reason": "mentor_capacity",
                    "detail": f"score {score}; the employer has {max(0, spec.mentor_capacity_left)} "
                    "mentor(s) left and every one went to participants placed in its practice "
                    "openings",
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
