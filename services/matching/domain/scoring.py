"""Vectorised, explainable scoring of candidates against openings (pure, no I/O).

Candidates are packed into a :class:`Segment`: sparse matrices (skills held, skills
suggested from free text, requirement tokens, occupation groups per ISCO level, wished
occupations and municipalities) and small dense tables. Openings are packed into an
:class:`OpeningBatch`. Every part of the score is computed for a block of candidates ×
openings at once, with SciPy sparse products and NumPy gathers, and the same arrays
give both the ranking and the explanation, so an explanation always multiplies out to
the score it explains.

The model is gated and multiplicative (``docs/matching/scoring.md``)::

    score = 100 × Π factor(part),   factor(part) = 1 − weight × (1 − value)

Part values (each in [0, 1]; weights in ``settings.py``):

- occupation: ``title + (1 − title) × skill_evidence × coverage ** skill_evidence_power``.
  ``title`` is the max over the candidate's occupations of proximity (same unit group
  1.0, minor 0.6, sub-major 0.35, major 0.15 by default) × experience factor
  ``min(1, 0.5 + years / 4)``; the essential skills shown stand in for the title in part
  (informal competence counts as experience; 0 when the opening lists none). One factor
  among several, never a floor.
- essential_skills (the gate): ``coverage + (1 − coverage) × title_credit × title``
  (a title stands in for the skills not shown, in part). Coverage is
  the mean over the opening's essential skills of the credit for each: 1 when held
  (from the profile or confirmed from free text), ``related_skill_credit`` when a
  related skill is held (same ESCO skill group, broader or narrower skill),
  ``suggested_skill_discount × similarity`` when it is only suggested from free text and
  not confirmed; the best of these counts. 0.5 (neutral) when the opening lists none.
- optional_skills: the same coverage over the optional skills; 0.5 when none listed.
- norwegian: mean over the required sub-skills of ``1 - 0.5 × levels missing``
  (floored at 0); 1 when nothing is required; an unknown level counts as below A1.
- location: 1 when the work is in the candidate's municipality or one they wish to work
  in; otherwise, if commuting is possible, 0.7 within the county and 0.4 beyond; else 0.
- wishes: 0.6 × proximity of the opening's occupation to the wished ones + 0.4 × hours
  fit ``1 - |wished - offered| / max(wished, offered)``; each 0.5 when not stated.
- education: the candidate's education against the occupation's ISCO skill level:
  1 when equal, −0.35 per level short, −0.25 per level over (education wasted);
  0.5 when no education is known.
- mentoring: 1 when the employer has mentor capacity left, else 0.

A hard requirement the candidate does not meet (driving licence class, qualification)
excludes them; excluded candidates are left out of rankings unless asked for.
"""

from __future__ import annotations

import functools
import threading
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from services.matching.domain.candidates import (
    NORWEGIAN_SUB_SKILLS,
    PROFILE_PARTS,
    Candidate,
    education_skill_level,
    licence_token,
    licences_held,
    qualification_token,
    requirement_tokens,
)
from services.matching.domain.isco import ISCO_LEVELS, isco_skill_level
from services.matching.events import EDUCATION_ORDER, NORWEGIAN_ORDER, OpeningKind, OpeningTerms
from services.matching.settings import PARTS, MatchingSettings
from shared.taxonomy import Taxonomy
from shared.taxonomy import hierarchy as skill_hierarchy
from shared.taxonomy.hierarchy import SkillHierarchy
from shared.taxonomy.labels import labels

Floats = npt.NDArray[np.float32]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
Rows = npt.NDArray[np.int64] | None

NORWEGIAN_STEP_PENALTY = 0.5
LOCATION_COMMUTE_SAME_COUNTY = 0.7
LOCATION_COMMUTE_OTHER_COUNTY = 0.4
WISHES_OCCUPATION_SHARE = 0.6
NEUTRAL = 0.5
EDUCATION_SHORT_PENALTY = 0.35
EDUCATION_OVER_PENALTY = 0.25

_NOT_REQUIRED = len(NORWEGIAN_ORDER)
_ALWAYS_MET = len(NORWEGIAN_ORDER) + 1
_MUNICIPALITY_SPACE = 10_000
_NO_DATE = np.iinfo(np.int64).max
_BOUND_MARGIN = 1e-3
"""A related candidate must beat the unrelated bound by this much (float32 sums)."""


def experience_factor(years: float) -> float:
    return min(1.0, 0.5 + years / 4.0)


def skill_evidence(coverage: Any, settings: MatchingSettings) -> Any:
    """How far the essential skills shown stand in for a title in the occupation part:
    ``skill_evidence × coverage ** skill_evidence_power`` (a float or an array).

    The power keeps it for near-complete coverage: the skills already count in the gate,
    and holding some of them is not evidence of having done the work.
    """
    power = settings.skill_evidence_power
    return settings.skill_evidence * coverage**power


def occupation_value(title: float, coverage: float, settings: MatchingSettings) -> float:
    """The occupation part: title proximity topped up by the skills shown (0 when the
    opening lists no essential skills)."""
    return title + (1.0 - title) * float(skill_evidence(coverage, settings))


def factor(weight: float, value: float) -> float:
    """A part's multiplier: ``1 − weight × (1 − value)``."""
    return 1.0 - weight * (1.0 - value)


def held_skills(candidate: Candidate) -> frozenset[str]:
    """Skills that count in full: the profile's, those confirmed from free text included."""
    return candidate.skills | candidate.free_text_skills


def suggested_skills(candidate: Candidate) -> dict[str, float]:
    """Unconfirmed suggestions from free text (uri → similarity), held ones left out."""
    held = held_skills(candidate)
    return {
        uri: min(1.0, max(0.0, float(s)))
        for uri, s in candidate.suggested_skills.items()
        if uri not in held and s > 0
    }


class Vocabulary:
    """Stable integer ids for strings (skill URIs, requirement tokens); only grows."""

    def __init__(self) -> None:
        self._ids: dict[str, int] = {}
        # The index packs in a worker thread while queries add ids on the event loop;
        # two new keys must never get the same id.
        self._adding = threading.Lock()

    def id(self, key: str) -> int:
        found = self._ids.get(key)
        if found is None:
            with self._adding:
                found = self._ids.get(key)
                if found is None:
                    found = self._ids[key] = len(self._ids)
        return found

    def __len__(self) -> int:
        return len(self._ids)


@dataclass(frozen=True)
class OpeningSpec:
    """What scoring needs to know about one opening."""

    opening_id: uuid.UUID
    employer_id: uuid.UUID
    kind: OpeningKind
    terms: OpeningTerms
    mentor_capacity_left: int
    title: str = ""
    status: str = "open"

    def required_tokens(self) -> list[str]:
        tokens = [licence_token(c) for c in self.terms.driving_licences]
        tokens += [
            qualification_token(EDUCATION_ORDER.index(q.min_level), q.field_code, q.recognised)
            for q in self.terms.qualifications
        ]
        return sorted(set(tokens))


def _binary_csr(rows: Sequence[Sequence[int]], width: int) -> sp.csr_matrix:
    lengths = np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows))
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    indices = (
        np.fromiter((i for r in rows for i in r), dtype=np.int32, count=int(indptr[-1]))
        if rows
        else np.zeros(0, dtype=np.int32)
    )
    data = np.ones(len(indices), dtype=np.float32)
    return sp.csr_matrix((data, indices, indptr), shape=(len(rows), width))


def _valued_csr(rows: Sequence[dict[int, float]], width: int) -> sp.csr_matrix:
    lengths = np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows))
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    total = int(indptr[-1])
    indices = np.fromiter((k for r in rows for k in r), dtype=np.int32, count=total)
    data = np.fromiter((v for r in rows for v in r.values()), dtype=np.float32, count=total)
    return sp.csr_matrix((data, indices, indptr), shape=(len(rows), width))


class _Hierarchy:
    """One sparse matrix per ISCO level: candidate × group code → best value in that group."""

    def __init__(self, per_candidate: Sequence[Sequence[tuple[str, float]]]) -> None:
        self.csr: list[sp.csr_matrix] = []
        self.csc: list[sp.csc_matrix] = []
        for level in range(len(ISCO_LEVELS)):
            digits = 4 - level
            rows: list[dict[int, float]] = []
            for items in per_candidate:
                best: dict[int, float] = {}
                for code, value in items:
                    key = int(code[:digits])
                    if value > best.get(key, 0.0):
                        best[key] = value
                rows.append(best)
            matrix = _valued_csr(rows, 10**digits)
            self.csr.append(matrix)
            self.csc.append(matrix.tocsc())

    def proximity(self, rows: Rows, codes: Sequence[Ints], proximities: Sequence[float]) -> Floats:
        """Best ``proximity × value`` per candidate and opening code (max over levels).

        Only stored entries are touched: each level's block is gathered sparse and
        scattered into the result, never expanded to a dense matrix of its own.
        """
        count = self.csr[0].shape[0] if rows is None else len(rows)
        if len(codes[0]) == 1:
            # One opening: each level's column straight from the index arrays, no slicing.
            full: Floats = np.zeros(self.csr[0].shape[0], dtype=np.float32)
            for level, weight in enumerate(proximities):
                held, data = _column(self.csc[level], int(codes[level][0]))
                full[held] = np.maximum(full[held], data * np.float32(weight))
            return (full if rows is None else full[rows])[:, None]
        out: Floats = np.zeros((count, len(codes[0])), dtype=np.float32)
        for level, weight in enumerate(proximities):
            block = _columns_of(self.csc[level], rows, codes[level], self.csr[level]).tocoo()
            if block.nnz:
                # Flat indices: far cheaper than indexing with (row, column) pairs.
                at = block.row.astype(np.int64) * out.shape[1] + block.col
                flat = out.reshape(-1)
                flat[at] = np.maximum(flat[at], block.data * np.float32(weight))
        return out


def _columns_of(
    csc: sp.csc_matrix, rows: Rows, cols: Ints, csr: sp.csr_matrix | None = None
) -> sp.spmatrix:
    """``matrix[rows][:, cols]`` at the lower cost: for a few rows, picked from the row
    copy; otherwise the few columns are cut first (cost ∝ their entries) and the rows
    picked from that thin matrix, without touching the rows' other columns."""
    if rows is not None and csr is not None and len(rows) * _FEW_ROWS < csc.shape[0]:
        return csr[rows][:, cols]
    block = csc[:, cols]
    return block if rows is None else block.tocsr()[rows]


_FEW_ROWS = 50


def _pick(csc: sp.csc_matrix, csr: sp.csr_matrix, rows: Rows, cols: Ints) -> Floats:
    if len(cols) == 1:
        full: Floats = np.zeros(csc.shape[0], dtype=np.float32)
        held, data = _column(csc, int(cols[0]))
        full[held] = data
        return (full if rows is None else full[rows])[:, None]
    dense: Floats = np.asarray(_columns_of(csc, rows, cols, csr).toarray(), dtype=np.float32)
    return dense


class Segment:
    """A block of candidates packed for vectorised scoring; rows can be retired later."""

    def __init__(self, candidates: Sequence[Candidate], skills: Vocabulary, tokens: Vocabulary):
        self.candidates = list(candidates)
        self.row_of = {c.participant_id: i for i, c in enumerate(self.candidates)}
        n = len(self.candidates)
        skill_rows = [[skills.id(uri) for uri in sorted(held_skills(c))] for c in self.candidates]
        suggestion_rows = [
            {skills.id(uri): s for uri, s in sorted(suggested_skills(c).items())}
            for c in self.candidates
        ]
        token_rows = [
            [tokens.id(token) for token in sorted(requirement_tokens(c))] for c in self.candidates
        ]
        self.skill_width = len(skills)
        self.token_width = len(tokens)
        self.skills = _binary_csr(skill_rows, self.skill_width)
        self.suggested = _valued_csr(suggestion_rows, self.skill_width)
        self.tokens = _binary_csr(token_rows, self.token_width)
        self.occupations = _Hierarchy(
            [
                [(code, experience_factor(years)) for code, years in c.occupations]
                for c in candidates
            ]
        )
        self.wished = _Hierarchy(
            [[(code, 1.0) for code in c.wished_occupations] for c in candidates]
        )
        self.has_wished_occupations = np.array(
            [bool(c.wished_occupations) for c in candidates], dtype=bool
        )
        self.norwegian = np.zeros((len(NORWEGIAN_SUB_SKILLS), n, _ALWAYS_MET + 1), np.float32)
        self.norwegian_rank = np.full((len(NORWEGIAN_SUB_SKILLS), n), -1, dtype=np.int64)
        required = np.arange(len(NORWEGIAN_ORDER), dtype=np.float32)
        for s, sub in enumerate(NORWEGIAN_SUB_SKILLS):
            known = [c.norwegian_rank(sub) for c in candidates]
            self.norwegian_rank[s] = [-1 if r is None else r for r in known]
            ranks = np.array([r or 0 for r in known], dtype=np.float32)
            gap = np.maximum(0.0, required[None, :] - ranks[:, None])
            self.norwegian[s, :, : len(NORWEGIAN_ORDER)] = np.clip(
                1.0 - NORWEGIAN_STEP_PENALTY * gap, 0.0, 1.0
            )
            self.norwegian[s, :, _ALWAYS_MET] = 1.0
        self.home = np.array([int(c.municipality) for c in candidates], dtype=np.int64)
        self.wished_municipalities = _binary_csr(
            [sorted({int(m) for m in c.wished_municipalities if m.isdigit()}) for c in candidates],
            _MUNICIPALITY_SPACE,
        )
        self.wished_municipalities_csc = self.wished_municipalities.tocsc()
        self.education = np.zeros((n, 5), np.float32)
        levels = np.array([education_skill_level(c) for c in candidates], dtype=np.float32)
        for need in range(1, 5):
            diff = levels - need
            value = np.where(
                diff >= 0, 1.0 - EDUCATION_OVER_PENALTY * diff, 1.0 + EDUCATION_SHORT_PENALTY * diff
            )
            self.education[:, need] = np.where(levels == 0, NEUTRAL, np.clip(value, 0.0, 1.0))
        self.wished_hours = np.array(
            [np.nan if c.wished_hours is None else c.wished_hours for c in candidates], np.float32
        )
        self.engaged = np.array([c.engagement is not None for c in candidates], dtype=bool)
        self.settled = np.array(
            [_NO_DATE if c.settled_on is None else c.settled_on.toordinal() for c in candidates],
            dtype=np.int64,
        )
        """Settlement day (ordinal; unknown: last): the earlier, the longer the wait."""
        self.leaves = np.array(
            [_NO_DATE if c.leaves_on is None else c.leaves_on.toordinal() for c in candidates],
            dtype=np.int64,
        )
        self.alive = np.ones(n, dtype=bool)

    def __len__(self) -> int:
        return len(self.candidates)

    @functools.cached_property
    def columns(self) -> _Columns:
        """Column-major views for finding the candidates related to one opening."""
        return _Columns(self)

    def retire(self, participant_id: uuid.UUID) -> None:
        row = self.row_of.get(participant_id)
        if row is not None:
            self.alive[row] = False


class _Columns:
    """Column-major copies of a segment: per-skill, per-suggestion and per-token
    candidate lists."""

    def __init__(self, segment: Segment) -> None:
        self.skills: sp.csc_matrix = segment.skills.tocsc()
        self.suggested: sp.csc_matrix = segment.suggested.tocsc()
        self.tokens: sp.csc_matrix = segment.tokens.tocsc()


class _Credits:
    """The skills of a batch's openings (essential or optional), one column per listed
    skill: which held skill gives full credit (``direct``) and which related ones give
    partial credit (``related``), vocabulary × listed skills."""

    def __init__(
        self, lists: Sequence[Sequence[str]], skills: Vocabulary, hierarchy: SkillHierarchy
    ) -> None:
        per_opening = [sorted(set(uris)) for uris in lists]
        self.uris = per_opening
        self.ids = [np.array([skills.id(u) for u in uris], dtype=np.int64) for uris in per_opening]
        lengths = np.array([len(u) for u in per_opening], dtype=np.int64)
        self.offsets = np.zeros(len(per_opening) + 1, dtype=np.int64)
        np.cumsum(lengths, out=self.offsets[1:])
        self.count = lengths
        self.empty = lengths == 0
        related_rows: list[int] = []
        related_cols: list[int] = []
        self.related_ids: list[Ints] = []
        k = 0
        for uris in per_opening:
            mine: set[int] = set()
            for uri in uris:
                for other in sorted(hierarchy.related(uri)):
                    rid = skills.id(other)
                    related_rows.append(rid)
                    related_cols.append(k)
                    mine.add(rid)
                k += 1
            self.related_ids.append(np.array(sorted(mine), dtype=np.int64))
        width = len(skills)
        flat = np.concatenate(self.ids) if per_opening else np.zeros(0, dtype=np.int64)
        self.direct = sp.csr_matrix(
            (np.ones(len(flat), np.float32), (flat, np.arange(len(flat)))),
            shape=(width, int(self.offsets[-1])),
        )
        self.related = sp.csr_matrix(
            (np.ones(len(related_rows), np.float32), (related_rows, related_cols)),
            shape=(width, int(self.offsets[-1])),
        )
        self.related.sum_duplicates()
        self.related.data[:] = 1.0
        self.flat = flat
        by_skill = self.related.tocsc()
        self.related_of = [
            by_skill.indices[by_skill.indptr[k] : by_skill.indptr[k + 1]].astype(np.int64)
            for k in range(int(self.offsets[-1]))
        ]

    def columns(self, cols: Ints) -> tuple[Ints, sp.csr_matrix]:
        """The listed-skill columns of openings ``cols``, and the matrix that averages
        them per opening (listed skills × openings, 1/n per skill of an opening)."""
        spans = [np.arange(self.offsets[j], self.offsets[j + 1]) for j in cols]
        ks = np.concatenate(spans) if spans else np.zeros(0, dtype=np.int64)
        owner = np.repeat(np.arange(len(cols)), [len(s) for s in spans])
        share = (1.0 / np.maximum(1, self.count[cols]))[owner].astype(np.float32)
        average = sp.csr_matrix((share, (np.arange(len(ks)), owner)), shape=(len(ks), len(cols)))
        return ks.astype(np.int64), average

    def coverage(
        self, segment: Segment, rows: Rows, cols: Ints, settings: MatchingSettings
    ) -> Floats:
        """Mean credit over each opening's listed skills (NEUTRAL when none are listed)."""
        count = len(segment) if rows is None else len(rows)
        if len(cols) == 1:
            return self._one(segment, rows, int(cols[0]), settings)
        ks, average = self.columns(cols)
        out: Floats
        if len(ks):
            columns = segment.columns
            direct = _fit_rows(self.direct, segment.skill_width)[:, ks]
            related_to = _fit_rows(self.related, segment.skill_width)[:, ks]
            credit = _through(columns.skills, rows, direct, segment.skills)
            related = _through(columns.skills, rows, related_to, segment.skills)
            if related.nnz:
                related.data[:] = np.float32(settings.related_skill_credit)
                credit = credit.maximum(related)
            if columns.suggested.nnz:
                guessed = _through(columns.suggested, rows, direct, segment.suggested)
                guessed.data *= np.float32(settings.suggested_skill_discount)
                credit = credit.maximum(guessed)
            out = np.asarray((credit @ average).toarray(), dtype=np.float32)
        else:
            out = np.zeros((count, len(cols)), dtype=np.float32)
        out[:, self.empty[cols]] = NEUTRAL
        return out

    def _one(self, segment: Segment, rows: Rows, j: int, settings: MatchingSettings) -> Floats:
        """:meth:`coverage` of one opening, straight from the column index arrays."""
        if self.empty[j]:
            count = len(segment) if rows is None else len(rows)
            return np.full((count, 1), NEUTRAL, dtype=np.float32)
        columns = segment.columns
        related_credit = np.float32(settings.related_skill_credit)
        discount = np.float32(settings.suggested_skill_discount)
        total: Floats = np.zeros(len(segment), dtype=np.float32)
        best: Floats = np.zeros(len(segment), dtype=np.float32)
        for k in range(int(self.offsets[j]), int(self.offsets[j + 1])):
            skill = int(self.flat[k])
            near = _rows_holding(columns.skills, self.related_of[k])
            best[near] = related_credit
            guessed, similarity = _column(columns.suggested, skill)
            best[guessed] = np.maximum(best[guessed], similarity * discount)
            held = _column(columns.skills, skill)[0]
            best[held] = 1.0
            touched = np.concatenate([near, guessed, held])
            # Fancy += adds once per distinct row even when a row repeats: what is wanted.
            total[touched] += best[touched]
            best[touched] = 0.0
        total /= np.float32(self.count[j])
        return (total if rows is None else total[rows])[:, None]

    def rows_touched(self, columns: _Columns, j: int, *, related: bool = True) -> Ints:
        """Candidates holding or suggested one of opening ``j``'s skills, or (``related``)
        holding a related one."""
        listed = self.ids[j]
        found = [_rows_holding(columns.skills, listed), _rows_holding(columns.suggested, listed)]
        if related:
            found.append(_rows_holding(columns.skills, self.related_ids[j]))
        return np.concatenate(found)


def _through(
    held: sp.csc_matrix, rows: Rows, mapping: sp.csr_matrix, by_row: sp.csr_matrix
) -> sp.csr_matrix:
    """``held[rows] @ mapping`` using only the columns ``mapping`` reads (``by_row``: the
    same matrix row-major)."""
    used = np.flatnonzero(np.diff(mapping.indptr))
    if not len(used):
        count = held.shape[0] if rows is None else len(rows)
        return sp.csr_matrix((count, mapping.shape[1]), dtype=np.float32)
    product: sp.csr_matrix = (_columns_of(held, rows, used, by_row) @ mapping[used]).tocsr()
    return product


class OpeningBatch:
    """Openings packed for vectorised scoring (built per query; openings are few)."""

    def __init__(
        self,
        specs: Sequence[OpeningSpec],
        skills: Vocabulary,
        tokens: Vocabulary,
        hierarchy: SkillHierarchy | None = None,
    ) -> None:
        self.specs = list(specs)
        related = hierarchy if hierarchy is not None else skill_hierarchy.load()
        c = len(self.specs)
        self.codes = [
            np.array([int(s.terms.isco_code[: 4 - level]) for s in self.specs], dtype=np.int64)
            for level in range(len(ISCO_LEVELS))
        ]
        self.essential = _Credits([s.terms.essential_skills for s in self.specs], skills, related)
        self.optional = _Credits([s.terms.optional_skills for s in self.specs], skills, related)
        required = [s.required_tokens() for s in self.specs]
        token_ids = [[tokens.id(t) for t in ts] for ts in required]
        self.token_ids = [np.array(ids, dtype=np.int64) for ids in token_ids]
        self.requirements = _binary_csr(token_ids, len(tokens)).T.tocsr()
        self.requirement_count = np.array([len(ts) for ts in required], dtype=np.float32)
        self.norwegian_columns = np.full((len(NORWEGIAN_SUB_SKILLS), c), _NOT_REQUIRED, np.int64)
        self.norwegian_count = np.ones(c, dtype=np.float32)
        for j, spec in enumerate(self.specs):
            needed = 0
            for s, sub in enumerate(NORWEGIAN_SUB_SKILLS):
                level = getattr(spec.terms.norwegian, sub)
                if level is not None:
                    self.norwegian_columns[s, j] = NORWEGIAN_ORDER.index(level)
                    needed += 1
            if needed == 0:
                self.norwegian_columns[0, j] = _ALWAYS_MET
            self.norwegian_count[j] = max(needed, 1)
        self.municipality = np.array([int(s.terms.municipality_code) for s in specs], np.int64)
        self.commute = np.array([s.terms.commute_possible for s in specs], dtype=bool)
        self.hours = np.array([s.terms.hours_per_week for s in specs], dtype=np.float32)
        self.skill_level = np.array(
            [isco_skill_level(s.terms.isco_code) for s in specs], dtype=np.int64
        )
        self.mentoring = np.array(
            [1.0 if s.mentor_capacity_left > 0 else 0.0 for s in specs], dtype=np.float32
        )

    def __len__(self) -> int:
        return len(self.specs)


def _fit_rows(matrix: sp.csr_matrix, height: int) -> sp.csr_matrix:
    """``matrix`` cut or padded with empty rows to ``height`` (vocabularies only grow)."""
    if matrix.shape[0] >= height:
        return matrix[:height]
    padding = sp.csr_matrix((height - matrix.shape[0], matrix.shape[1]), dtype=matrix.dtype)
    return sp.vstack([matrix, padding], format="csr")


def _rows_of(array: npt.NDArray[Any], rows: Rows) -> npt.NDArray[Any]:
    return array if rows is None else array[rows]


def _cells(table: npt.NDArray[Any], rows: Rows, columns: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """``table[rows][:, columns]`` gathering only those cells (not the rows' whole width)."""
    if rows is None:
        return np.take(table, columns, axis=1)
    if len(columns) == 1:
        one: npt.NDArray[Any] = table[rows, int(columns[0])][:, None]
        return one
    cells: npt.NDArray[Any] = table[rows[:, None], columns[None, :]]
    return cells


def _distinct(*keys: npt.NDArray[Any]) -> tuple[npt.NDArray[Any], Ints]:
    """Distinct columns of the stacked opening attributes, and each opening's column."""
    stacked = np.stack(keys).astype(np.float64)
    if stacked.shape[1] == 1:
        return stacked, np.zeros(1, dtype=np.int64)
    unique, inverse = np.unique(stacked, axis=1, return_inverse=True)
    return unique, np.asarray(inverse, dtype=np.int64).reshape(-1)


def iter_parts(
    segment: Segment,
    rows: Rows,
    batch: OpeningBatch,
    cols: Ints,
    settings: MatchingSettings,
) -> Iterator[tuple[str, Floats]]:
    """Each part's value for ``rows`` × openings ``cols``, in the order of ``PARTS``.

    Parts that depend on an opening only through a few attributes (Norwegian need,
    place, hours, skill level) are computed once per distinct attribute value and then
    gathered into one column per opening; that keeps a block of 100,000 candidates ×
    32 openings to a few passes over memory per part.
    """
    count = len(segment) if rows is None else len(rows)
    codes = [level_codes[cols] for level_codes in batch.codes]
    width = len(cols)

    title = segment.occupations.proximity(rows, codes, list(settings.proximities()))
    coverage = batch.essential.coverage(segment, rows, cols, settings)
    shown = np.where(batch.essential.empty[cols][None, :], np.float32(0.0), coverage)
    # Two kinds of evidence of the same competence: a title stands in for the essential
    # skills in part (the gate), and the essential skills shown stand in for the title
    # in part (the occupation), so informal competence is not held below a title.
    evidence = np.float32(settings.skill_evidence) * shown ** np.float32(
        settings.skill_evidence_power
    )
    occupation = title + (np.float32(1.0) - title) * evidence
    yield "occupation", occupation

    essential = coverage + (np.float32(1.0) - coverage) * title * np.float32(settings.title_credit)
    yield "essential_skills", essential
    yield "optional_skills", batch.optional.coverage(segment, rows, cols, settings)

    needs, which = _distinct(*batch.norwegian_columns[:, cols])
    needs = needs.astype(np.int64)
    table = np.zeros((count, needs.shape[1]), dtype=np.float32)
    for s in range(len(NORWEGIAN_SUB_SKILLS)):
        if (needs[s] == _NOT_REQUIRED).all():
            continue  # its column holds zeros: nothing to add
        table += _cells(segment.norwegian[s], rows, needs[s])
    needed = np.maximum(1.0, (needs < _NOT_REQUIRED).sum(axis=0)).astype(np.float32)
    table /= needed[None, :]
    yield "norwegian", table[:, which]

    places, which = _distinct(batch.municipality[cols], batch.commute[cols])
    where = places[0].astype(np.int64)
    home = _rows_of(segment.home, rows)
    local = home[:, None] == where[None, :]
    local |= (
        _pick(segment.wished_municipalities_csc, segment.wished_municipalities, rows, where) > 0
    )
    same_county = (home // 100)[:, None] == (where // 100)[None, :]
    commute = (
        np.where(
            same_county,
            np.float32(LOCATION_COMMUTE_SAME_COUNTY),
            np.float32(LOCATION_COMMUTE_OTHER_COUNTY),
        )
        * (places[1] > 0)[None, :]
    )
    table = np.where(local, np.float32(1.0), commute).astype(np.float32)
    yield "location", table[:, which]

    share = WISHES_OCCUPATION_SHARE
    wished = segment.wished.proximity(rows, codes, [p * share for p in settings.proximities()])
    wished[~_rows_of(segment.has_wished_occupations, rows), :] = np.float32(NEUTRAL * share)
    offered, which = _distinct(batch.hours[cols])
    wanted = _rows_of(segment.wished_hours, rows)[:, None]
    with np.errstate(invalid="ignore"):
        fit = 1.0 - np.minimum(1.0, np.abs(wanted - offered) / np.maximum(wanted, offered))
    fit = np.where(np.isnan(fit), NEUTRAL, fit).astype(np.float32)
    fit *= np.float32(1 - share)
    wished += fit[:, which]
    yield "wishes", wished

    yield "education", _cells(segment.education, rows, batch.skill_level[cols])

    mentoring = batch.mentoring[cols][None, :]
    yield "mentoring", np.broadcast_to(mentoring, (count, width)).astype(np.float32)


def excluded(segment: Segment, rows: Rows, batch: OpeningBatch, cols: Ints) -> Bools:
    """True where a candidate fails one of the opening's hard requirements."""
    count = len(segment) if rows is None else len(rows)
    result: Bools = np.zeros((count, len(cols)), dtype=bool)
    needed = batch.requirement_count[cols]
    strict = np.flatnonzero(needed > 0)
    if strict.size == 0:
        return result
    if len(cols) == 1:
        held = _rows_holding(segment.columns.tokens, batch.token_ids[cols[0]])
        count_met = np.bincount(held, minlength=len(segment)).astype(np.float32)
        result[:, 0] = (count_met if rows is None else count_met[rows]) < needed[0]
        return result
    block = _fit_rows(batch.requirements, segment.token_width)[:, cols[strict]]
    met = _through(segment.columns.tokens, rows, block, segment.tokens).toarray()
    met = np.asarray(met, dtype=np.float32)
    result[:, strict] = met < needed[strict][None, :]
    return result


@dataclass
class Block:
    """Scores of candidates × openings, with every part's value kept when asked for."""

    total: Floats
    excluded: Bools
    parts: dict[str, Floats]


def score_block(
    segment: Segment,
    rows: Rows,
    batch: OpeningBatch,
    cols: Ints,
    settings: MatchingSettings,
    *,
    keep_parts: bool = True,
) -> Block:
    """Total score (0–100: 100 × the product of the factors) and exclusions; the parts'
    values kept for explanations."""
    weights = settings.weights()
    total: Floats | None = None
    parts: dict[str, Floats] = {}
    for name, values in iter_parts(segment, rows, batch, cols, settings):
        if keep_parts:
            parts[name] = values
        weight = np.float32(weights[name])
        multiplier = np.float32(1.0) - weight * (np.float32(1.0) - values)
        total = multiplier * np.float32(100.0) if total is None else total * multiplier
    assert total is not None
    return Block(total.astype(np.float32), excluded(segment, rows, batch, cols), parts)


def explained_scores(block: Block, settings: MatchingSettings) -> npt.NDArray[np.float64]:
    """Scores as :func:`explain` computes them (the product of the rounded factors)."""
    weights = settings.weights()
    total = np.full(block.total.shape, 100.0, dtype=np.float64)
    for name, values in block.parts.items():
        value = np.round(values.astype(np.float64), 4)
        total *= np.round(1.0 - weights[name] * (1.0 - value), 4)
    result: npt.NDArray[np.float64] = np.round(total, 2)
    return result


def unrelated_bound(
    batch: OpeningBatch, j: int, settings: MatchingSettings, *, related: bool = False
) -> float:
    """The best score a candidate unrelated to opening ``j`` can reach: none of its skills
    or a suggestion of them, no occupation nearer than its major group, and (unless
    ``related``) no related skill either; a related skill earns at most its credit."""
    w = settings.weights()
    major = settings.proximities()[3]
    most = settings.related_skill_credit if related else 0.0
    listed = not batch.essential.empty[j]
    essential = most if listed else NEUTRAL
    optional = most if not batch.optional.empty[j] else NEUTRAL
    return (
        100.0
        * factor(w["occupation"], occupation_value(major, most if listed else 0.0, settings))
        * factor(w["essential_skills"], essential + (1 - essential) * settings.title_credit * major)
        * factor(w["optional_skills"], optional)
        * factor(w["mentoring"], float(batch.mentoring[j]))
    )


def related_rows(segment: Segment, batch: OpeningBatch, j: int, *, related: bool = True) -> Ints:
    """Candidates related to opening ``j``: holding (or suggested) one of its skills or
    (``related``) a related skill, or an occupation in its unit, minor or sub-major group."""
    columns = segment.columns
    codes = [int(level_codes[j]) for level_codes in batch.codes]
    found = [
        batch.essential.rows_touched(columns, j, related=related),
        batch.optional.rows_touched(columns, j, related=related),
        *[_column(segment.occupations.csc[level], codes[level])[0] for level in range(3)],
    ]
    near = np.zeros(len(segment), dtype=bool)
    for held in found:
        near[held] = True
    return np.flatnonzero(near)


def relevant_scores(
    segment: Segment,
    batch: OpeningBatch,
    j: int,
    settings: MatchingSettings,
    k: int | None = None,
) -> tuple[Ints, Floats, float]:
    """Scores of only the candidates related to opening ``j``, and a bound for the rest.

    Everyone else scores at most the returned bound (:func:`unrelated_bound`), so if the
    k-th best related candidate beats the bound, the top k are exact. With ``k``, the
    candidates holding one of its skills (or a close occupation) are tried first, against
    the bound of those who hold only related skills; when their k-th best does not beat
    it, the related skills' holders are scored too. The rows are scored by
    :func:`score_block` itself, so every path gives the same numbers. Excluded candidates
    score −inf.
    """
    if k is not None:
        rows, total = _scored_rows(segment, batch, j, settings, related=False)
        bound = unrelated_bound(batch, j, settings, related=True) + _BOUND_MARGIN
        if len(rows) >= k and k > 0 and np.partition(total, len(total) - k)[-k] > bound:
            return rows, total, bound
    rows, total = _scored_rows(segment, batch, j, settings, related=True)
    return rows, total, unrelated_bound(batch, j, settings) + _BOUND_MARGIN


def _scored_rows(
    segment: Segment, batch: OpeningBatch, j: int, settings: MatchingSettings, *, related: bool
) -> tuple[Ints, Floats]:
    rows = related_rows(segment, batch, j, related=related)
    if not len(rows):
        return rows, np.zeros(0, dtype=np.float32)
    block = score_block(
        segment, rows, batch, np.array([j], dtype=np.int64), settings, keep_parts=False
    )
    total = np.where(block.excluded[:, 0], np.float32(-np.inf), block.total[:, 0])
    return rows, total.astype(np.float32)


def top_candidates_per_opening(
    segment: Segment,
    batch: OpeningBatch,
    settings: MatchingSettings,
    k: int,
    *,
    chunk: int = 32,
    available_only: bool = True,
    workers: int = 1,
) -> tuple[Ints, Floats]:
    """Top-``k`` rows (−1: none) and scores for every opening of ``batch``.

    Each opening is first scored against its related candidates only
    (:func:`relevant_scores`); when that cannot prove its top ``k`` (too few related
    candidates, or the k-th does not beat what an unrelated one could reach), the
    opening is scored against everyone, in dense blocks of ``chunk`` openings. With
    ``workers`` > 1 the openings are shared among threads (NumPy and SciPy release the
    GIL in their loops).
    """
    best_rows = np.full((min(k, len(segment)), len(batch)), -1, dtype=np.int64)
    best_scores = np.full(best_rows.shape, -np.inf, dtype=np.float32)
    hidden = ~segment.alive
    if available_only:
        hidden |= segment.engaged
    hide = bool(hidden.any())
    _ = segment.columns
    k = best_rows.shape[0]

    def sparse(openings: range) -> list[int]:
        unresolved = []
        for j in openings:
            rows, total, bound = relevant_scores(segment, batch, j, settings, k)
            if hide:
                total[hidden[rows]] = -np.inf
            picked = top_k(total[:, None], k)[:, 0]
            if k and (picked >= 0).all() and total[picked[-1]] > bound:
                best_rows[:, j] = rows[picked]
                best_scores[:, j] = total[picked]
            else:
                unresolved.append(j)
        return unresolved

    def dense(cols: Ints) -> None:
        block = score_block(segment, None, batch, cols, settings, keep_parts=False)
        if block.excluded.any():
            np.putmask(block.total, block.excluded, -np.inf)
        if hide:
            block.total[hidden, :] = -np.inf
        rows = top_k(block.total, k)
        best_rows[:, cols] = rows
        found = np.take_along_axis(block.total, np.maximum(rows, 0), axis=0)
        best_scores[:, cols] = np.where(rows >= 0, found, -np.inf)

    step = max(1, -(-len(batch) // max(1, workers)))
    shares = [range(start, min(start + step, len(batch))) for start in range(0, len(batch), step)]
    if workers > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            unresolved = [j for part in pool.map(sparse, shares) for j in part]
            blocks = [
                np.array(unresolved[i : i + chunk], dtype=np.int64)
                for i in range(0, len(unresolved), chunk)
            ]
            list(pool.map(dense, blocks))
    else:
        unresolved = [j for part in shares for j in sparse(part)]
        for i in range(0, len(unresolved), chunk):
            dense(np.array(unresolved[i : i + chunk], dtype=np.int64))
    return best_rows, best_scores


def top_k(scores: Floats, k: int) -> Ints:
    """Row indices of the ``k`` best per column, best first; −1 where fewer qualify.

    −inf never qualifies. Ties are broken by row. The k-th best value of each column
    comes from ``np.partition`` on a contiguous copy (much faster than ``argpartition``
    down a column), and only the rows at or above it are sorted.
    """
    n, width = scores.shape
    k = min(k, n)
    best: Ints = np.full((k, width), -1, dtype=np.int64)
    if n == 0 or width == 0 or k == 0:
        return best
    by_opening = np.ascontiguousarray(scores.T)
    kth = np.partition(by_opening, n - k, axis=1)[:, n - k]
    opening, row = np.nonzero((by_opening >= kth[:, None]) & np.isfinite(by_opening))
    order = np.lexsort((row, -by_opening[opening, row], opening))
    opening, row = opening[order], row[order]
    starts = np.searchsorted(opening, np.arange(width))
    ends = np.searchsorted(opening, np.arange(width), side="right")
    for j in range(width):
        picked = row[starts[j] : min(ends[j], starts[j] + k)]
        best[: len(picked), j] = picked
    return best


def _column(matrix: sp.csc_matrix, column: int) -> tuple[Ints, Floats]:
    if column >= matrix.shape[1]:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    start, end = matrix.indptr[column], matrix.indptr[column + 1]
    return matrix.indices[start:end].astype(np.int64), matrix.data[start:end]


def _rows_holding(matrix: sp.csc_matrix, columns: Ints) -> Ints:
    inside = columns[columns < matrix.shape[1]]
    if inside.size == 0:
        return np.zeros(0, dtype=np.int64)
    return np.concatenate([_column(matrix, int(c))[0] for c in inside])


# --- explanations ----------------------------------------------------------------------


def _proximity_level(a: str, b: str) -> int | None:
    """0 for the same unit group … 3 for the same major group; None when unrelated."""
    for level in range(len(ISCO_LEVELS)):
        digits = 4 - level
        if a[:digits] == b[:digits]:
            return level
    return None


def _occupation_detail(
    candidate: Candidate, code: str, taxonomy: Taxonomy, settings: MatchingSettings
) -> dict[str, Any]:
    proximities = settings.proximities()
    best: tuple[float, str, int, float] | None = None
    for held, years in candidate.occupations:
        level = _proximity_level(held, code)
        if level is None:
            continue
        value = proximities[level] * experience_factor(years)
        if best is None or value > best[0]:
            best = (value, held, level, years)
    if best is None:
        return {"closest_occupation": None, "relation": "no related occupation", "title": 0.0}
    value, held, level, years = best
    return {
        "title": round(value, 4),
        "closest_occupation": {
            "isco_code": held,
            "title": taxonomy.occupation_title(held),
            "years": years,
        },
        "relation": f"same {ISCO_LEVELS[level].replace('_', ' ')}",
        "shared_group": {
            "code": code[: 4 - level],
            "label": taxonomy.group_label(code[: 4 - level]),
        },
        "experience_factor": round(experience_factor(years), 4),
    }


def _skills(uris: Sequence[str], taxonomy: Taxonomy) -> list[dict[str, Any]]:
    return [{"uri": uri, "label": skill_label(taxonomy, uri)} for uri in uris]


def exclusions(candidate: Candidate, spec: OpeningSpec) -> list[dict[str, Any]]:
    """Every hard requirement the candidate does not meet, and why.

    ``reason`` tells apart ``not_shared`` (the participant has not consented to share
    that part, so this service does not know), ``has_none`` (shared, and there is
    none) and ``not_met`` (shared, but not enough).
    """
    held = requirement_tokens(candidate)
    found: list[dict[str, Any]] = []
    licences = sorted(licences_held(candidate.driving_licences))
    for licence in spec.terms.driving_licences:
        if licence_token(licence) in held:
            continue
        found.append(
            _unmet(
                candidate,
                "driving_licences",
                licences,
                requirement="driving_licence",
                needs=licence,
                what=f"driving licence class {licence}",
                none="has no driving licence",
            )
        )
    levels = sorted({e.level.value for e in candidate.education})
    for q in spec.terms.qualifications:
        token = qualification_token(EDUCATION_ORDER.index(q.min_level), q.field_code, q.recognised)
        if token in held:
            continue
        what = f"education at least {q.min_level.value}"
        if q.field_code:
            what += f" in field {q.field_code}"
        if q.recognised:
            what += ", recognised in Norway"
        found.append(
            _unmet(
                candidate,
                "education",
                levels,
                requirement="qualification",
                needs=what,
                what=what,
                none="has no education recorded",
            )
        )
    return found


def _unmet(
    candidate: Candidate,
    part: str,
    held: list[str],
    *,
    requirement: str,
    needs: str,
    what: str,
    none: str,
) -> dict[str, Any]:
    """A hard requirement the candidate does not meet, and why: ``part`` of the profile
    not shared, nothing of it held, or only ``held``."""
    if part not in candidate.shared:
        reason, message = "not_shared", f"the participant has not shared {part.replace('_', ' ')}"
    elif not held:
        reason, message = "has_none", none
    else:
        reason, message = "not_met", f"has {', '.join(held)}"
    return {
        "requirement": requirement,
        "needs": needs,
        "reason": reason,
        "message": f"needs {what}; {message}",
    }


def exclusion_reasons(candidate: Candidate, spec: OpeningSpec) -> list[str]:
    return [e["message"] for e in exclusions(candidate, spec)]


def skill_label(taxonomy: Taxonomy, uri: str) -> str | None:
    """The skill's bokmål label where the kit has one, else its English ESCO label."""
    english = taxonomy.skill_label(uri)
    if english is None:
        return None
    return labels().skills_nb.get(uri, english)


def skill_credits(
    candidate: Candidate,
    wanted: Sequence[str],
    settings: MatchingSettings,
    taxonomy: Taxonomy,
    hierarchy: SkillHierarchy,
) -> list[dict[str, Any]]:
    """The credit for each wanted skill and where it comes from, as :func:`iter_parts`
    counts it: held (1), a related skill held, or an unconfirmed suggestion; the best."""
    held = held_skills(candidate)
    confirmed = candidate.free_text_skills
    suggested = suggested_skills(candidate)
    out: list[dict[str, Any]] = []
    for uri in sorted(set(wanted)):
        entry: dict[str, Any] = {"uri": uri, "label": skill_label(taxonomy, uri)}
        if uri in held:
            source = "free_text" if uri in confirmed else "profile"
            out.append({**entry, "credit": 1.0, "how": "held", "source": source})
            continue
        best: dict[str, Any] = {**entry, "credit": 0.0, "how": "missing"}
        relations = hierarchy.related(uri)
        for other in sorted(held & relations.keys()):
            relation = relations[other]
            credit = settings.related_skill_credit
            if credit > best["credit"]:
                label = skill_label(taxonomy, other)
                best = {
                    **entry,
                    "credit": credit,
                    "how": "related",
                    "held": {"uri": other, "label": label},
                    "relation": relation.kind,
                    "via": {"uri": relation.via, "label": relation.via_label},
                    "text": f"related: {label or other} for {entry['label'] or uri}",
                }
        similarity = suggested.get(uri)
        if similarity is not None:
            credit = settings.suggested_skill_discount * similarity
            if credit > best["credit"]:
                best = {
                    **entry,
                    "credit": credit,
                    "how": "unconfirmed",
                    "similarity": round(similarity, 4),
                    "text": f"unconfirmed (suggested from free text, similarity "
                    f"{similarity:.2f}): {entry['label'] or uri}",
                }
        out.append(best)
    return out


def explain(
    candidate: Candidate,
    spec: OpeningSpec,
    values: dict[str, float],
    is_excluded: bool,
    settings: MatchingSettings,
    taxonomy: Taxonomy,
    hierarchy: SkillHierarchy | None = None,
) -> dict[str, Any]:
    """The score of one candidate for one opening, part by part, with its reasons.

    Each part has its ``value``, ``weight`` and ``factor = 1 − weight × (1 − value)``
    (both rounded to 4 decimals); the score is ``100 × Π factor`` rounded to 2 decimals,
    so the explanation multiplies out exactly. ``points`` is the factor in percent.
    """
    related = hierarchy if hierarchy is not None else skill_hierarchy.load()
    weights = settings.weights()
    terms = spec.terms
    essential = skill_credits(candidate, terms.essential_skills, settings, taxonomy, related)
    optional = skill_credits(candidate, terms.optional_skills, settings, taxonomy, related)
    essential_matched = [e["uri"] for e in essential if e["how"] == "held"]
    essential_missing = [e["uri"] for e in essential if e["how"] != "held"]
    optional_matched = [e["uri"] for e in optional if e["how"] == "held"]
    optional_missing = [e["uri"] for e in optional if e["how"] != "held"]
    coverage = sum(e["credit"] for e in essential) / len(essential) if essential else NEUTRAL
    occupation = _occupation_detail(candidate, terms.isco_code, taxonomy, settings)
    title = (1 - coverage) * settings.title_credit * occupation["title"]
    shown = skill_evidence(coverage, settings) if essential else 0.0
    occupation["skill_evidence"] = round(shown, 4)
    occupation["skills_as_experience"] = round((1 - occupation["title"]) * shown, 4)
    occupation["rule"] = (
        "value = title + (1 − title) × skill_evidence; title = ISCO-08 proximity × experience; "
        f"skill_evidence = {settings.skill_evidence} × essential coverage^"
        f"{settings.skill_evidence_power:g} (informal competence counts as experience)"
    )
    norwegian = {}
    for sub in NORWEGIAN_SUB_SKILLS:
        need = getattr(terms.norwegian, sub)
        if need is not None:
            has = dict(candidate.norwegian).get(sub)
            norwegian[sub] = {"required": need.value, "candidate": has}
    local = candidate.municipality == terms.municipality_code
    wished_place = terms.municipality_code in candidate.wished_municipalities
    if local:
        location = "lives in the municipality of the work"
    elif wished_place:
        location = "wishes to work in the municipality of the work"
    elif not terms.commute_possible:
        location = "lives elsewhere and the opening allows no commuting"
    elif candidate.municipality[:2] == terms.municipality_code[:2]:
        location = "can commute within the county"
    else:
        location = "can commute from another county"
    details: dict[str, dict[str, Any]] = {
        "occupation": occupation,
        "essential_skills": {
            "required": len(terms.essential_skills),
            "matched": len(essential_matched),
            "related": sum(e["how"] == "related" for e in essential),
            "unconfirmed": sum(e["how"] == "unconfirmed" for e in essential),
            "coverage": round(coverage, 4),
            "title_evidence": round(title, 4),
            "listed": bool(essential),
            "credits": essential,
            "rule": "value = coverage + (1 − coverage) × title_credit × occupation; coverage = "
            "mean credit per essential skill (held 1, related "
            f"{settings.related_skill_credit}, unconfirmed "
            f"{settings.suggested_skill_discount} × similarity; 0.5 when none listed)",
        },
        "optional_skills": {
            "listed": len(terms.optional_skills),
            "matched": len(optional_matched),
            "credits": optional,
        },
        "norwegian": {"per_sub_skill": norwegian, "shared": "norwegian" in candidate.shared},
        "location": {
            "candidate_municipality": candidate.municipality,
            "work_municipality": terms.municipality_code,
            "commute_possible": terms.commute_possible,
            "reason": location,
        },
        "wishes": {
            "wished_occupations": list(candidate.wished_occupations),
            "wished_hours_per_week": candidate.wished_hours,
            "offered_hours_per_week": terms.hours_per_week,
        },
        "education": {
            "candidate_skill_level": education_skill_level(candidate) or None,
            "occupation_skill_level": isco_skill_level(terms.isco_code),
        },
        "mentoring": {"mentor_capacity_left": spec.mentor_capacity_left},
    }
    parts: list[dict[str, Any]] = []
    score = 100.0
    for name in PARTS:
        value = round(float(values[name]), 4)
        multiplier = round(factor(weights[name], value), 4)
        score *= multiplier
        parts.append(
            {
                "part": name,
                "weight": weights[name],
                "value": value,
                "factor": multiplier,
                "points": round(100.0 * multiplier, 2),
                "max_points": 100.0,
                "detail": details[name],
            }
        )
    score = round(score, 2)
    excluded_by = exclusions(candidate, spec) if is_excluded else []
    reasons = [e["message"] for e in excluded_by]
    credited = essential + optional
    return {
        "participant_id": str(candidate.participant_id),
        "opening_id": str(spec.opening_id),
        "score": score,
        "band": settings.band(score, is_excluded),
        "excluded": is_excluded,
        "exclusion_reasons": reasons,
        "exclusions": excluded_by,
        "not_shared": [p for p in PROFILE_PARTS if p not in candidate.shared],
        "parts": parts,
        "matched_skills": [
            {"uri": e["uri"], "label": e["label"], "source": e["source"]}
            for e in credited
            if e["how"] == "held"
        ],
        "related_skills": [
            {
                "uri": e["uri"],
                "label": e["label"],
                "held": e["held"],
                "relation": e["relation"],
                "via": e["via"],
                "credit": e["credit"],
                "text": e["text"],
            }
            for e in credited
            if e["how"] == "related"
        ],
        "unconfirmed_skills": [
            {
                "uri": e["uri"],
                "label": e["label"],
                "similarity": e["similarity"],
                "credit": round(e["credit"], 4),
                "text": e["text"],
            }
            for e in credited
            if e["how"] == "unconfirmed"
        ],
        "missing_skills": _skills(essential_missing, taxonomy),
        "missing_optional_skills": _skills(optional_missing, taxonomy),
        "engagement": candidate.engagement,
    }


def waited_days(candidate: Candidate, today: date) -> int | None:
    if candidate.settled_on is None:
        return None
    return max(0, (today - candidate.settled_on).days)
