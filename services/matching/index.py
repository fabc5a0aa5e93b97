"""The in-memory matching index: candidates and openings, kept current from the read models.

Each process holds one :class:`MatchingEngine`. Before answering, it reads the rows of
the read models changed since its cursor (``changed_tx``/``change_seq``, below the
oldest open transaction — see ``tables.py``), so the index follows every committed
event, in any replica, and never a rolled-back one. The first query loads everything.

Candidates are partitioned by municipality (a job coach only sees their own). Within a
partition the candidates are packed into a large *base* segment and a small *overlay*
of candidates changed since the base was packed; a changed candidate's base row is
retired, and the base is repacked when the overlay grows past 5 % of the partition.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.matching.domain import MatchStatus, OpeningStatus, advice, engagement_on
from services.matching.domain.candidates import Candidate, candidate_from_profile, departure
from services.matching.domain.filters import RankingFilters, candidate_rows, opening_passes
from services.matching.domain.scoring import (
    Block,
    Ints,
    OpeningBatch,
    OpeningSpec,
    Segment,
    Vocabulary,
    explain,
    explained_scores,
    relevant_scores,
    score_block,
    waited_days,
)
from services.matching.events import OpeningKind, OpeningTerms
from services.matching.settings import MatchingSettings
from services.matching.tables import FOLLOWED_TABLES
from shared.dates import today
from shared.db import Database
from shared.eventstore import LOCAL_HORIZON
from shared.logging import get_logger
from shared.problems import Problem
from shared.settings import Settings
from shared.taxonomy import Taxonomy
from shared.taxonomy import load as load_taxonomy

log = get_logger(__name__)

_PAGE = 5000
_CATCH_UP_SECONDS = 2.0
_HORIZON = LOCAL_HORIZON
_CATCH_UP_PAUSE = 0.02
ENGAGEMENTS = ("in_placement", "employed", "placement_scheduled", "job_scheduled")
"""A candidate's engagement, the first that applies: today's before a scheduled one."""
_MIN_OVERLAY_BEFORE_REPACK = 256
_CATCH_UP_ROWS = 500
"""Rows per table a query reads and applies on the loop; a longer backlog is rebuilt."""
_PACK_ON_LOOP = 128
"""Candidates a query packs on the loop (a few ms); larger packings go to a worker."""
RETRY_AFTER_SECONDS = 5


@dataclass
class _Employer:
    municipality: str
    mentor_capacity: int


@dataclass
class _Opening:
    municipality: str
    employer_id: uuid.UUID
    kind: OpeningKind
    terms: OpeningTerms
    title: str
    status: str
    places_taken: int


@dataclass
class _Match:
    participant_id: uuid.UUID
    employer_id: uuid.UUID
    status: str
    started_on: date | None


@dataclass(frozen=True)
class _Leaving:
    on: date
    because: str


_collector_lock = threading.Lock()
_collector_holds = 0


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a worker builds or packs.

    Building makes millions of long-lived objects, and each full pass of the collector
    over them holds the GIL, and so the event loop, for hundreds of milliseconds. What
    was built is then frozen out of later passes (it is freed by reference counts).
    """
    global _collector_holds
    with _collector_lock:
        _collector_holds += 1
        gc.disable()
    try:
        yield
    finally:
        with _collector_lock:
            _collector_holds -= 1
            if _collector_holds == 0:
                gc.freeze()
                gc.enable()


class _Packing:
    """One packing of a partition's candidates: planned on the loop, run anywhere.

    ``rebase``: the whole partition becomes the new base; otherwise the changed
    candidates become the new overlay. ``covers`` are the participants the packing
    answers for (their base rows are retired when it is installed).
    """

    def __init__(
        self, rebase: bool, candidates: list[Candidate], covers: frozenset[uuid.UUID]
    ) -> None:
        self.rebase = rebase
        self.candidates = candidates
        self.covers = covers
        self.segment: Segment | None = None

    def __len__(self) -> int:
        return len(self.candidates)

    def run(self, skills: Vocabulary, tokens: Vocabulary) -> None:
        """Pack, column views included: the costly part, safe in a worker thread."""
        segment = Segment(self.candidates, skills, tokens)
        if len(segment):
            segment.columns  # noqa: B018 - packed here, not by the first query after
        self.segment = segment

    def run_in_worker(self, skills: Vocabulary, tokens: Vocabulary) -> None:
        with _collector_paused():
            self.run(skills, tokens)


class Partition:
    """The candidates of one municipality, packed for scoring.

    A change goes to :attr:`records` at once; the packed segments follow when they
    are next packed. Until then the base keeps a changed candidate's previous row, so
    a query during a packing is answered from the previous packing, never half of one.
    """

    def __init__(self) -> None:
        self.records: dict[uuid.UUID, Candidate] = {}
        self.base: Segment | None = None
        self.overlay: Segment | None = None
        self.changed: set[uuid.UUID] = set()
        """Participants changed since the base was packed."""
        self.packing = False
        """A worker is packing this partition: queries use what is packed meanwhile."""
        self._overlay_stale = False

    def put(self, candidate: Candidate) -> None:
        self.records[candidate.participant_id] = candidate
        self._touch(candidate.participant_id)

    def remove(self, participant_id: uuid.UUID) -> None:
        if self.records.pop(participant_id, None) is not None:
            self._touch(participant_id)

    def _touch(self, participant_id: uuid.UUID) -> None:
        self.changed.add(participant_id)
        self._overlay_stale = True

    def plan(self) -> _Packing | None:
        """The packing that would bring the segments up to date, if any is due.

        The overlay is repacked into the base once it passes 5 % of the partition.
        """
        limit = max(_MIN_OVERLAY_BEFORE_REPACK, len(self.records) // 20)
        if self.base is None or len(self.changed) > limit:
            covers = frozenset(self.changed)
            self.changed = set()
            self._overlay_stale = False
            return _Packing(True, list(self.records.values()), covers)
        if self._overlay_stale:
            self._overlay_stale = False
            fresh = [self.records[p] for p in sorted(self.changed) if p in self.records]
            return _Packing(False, fresh, frozenset(self.changed))
        return None

    def install(self, packing: _Packing) -> None:
        assert packing.segment is not None
        if packing.rebase:
            self.base, self.overlay = packing.segment, None
            self._overlay_stale = bool(self.changed)
            return
        self.overlay = packing.segment if len(packing.segment) else None
        if self.base is not None:
            for participant_id in packing.covers:
                self.base.retire(participant_id)

    def segments(self, skills: Vocabulary, tokens: Vocabulary) -> list[Segment]:
        """The packed segments, brought up to date here unless a worker is packing."""
        if not self.packing:
            packing = self.plan()
            if packing is not None:
                packing.run(skills, tokens)
                self.install(packing)
        return [s for s in (self.base, self.overlay) if s is not None and len(s)]


class MatchingEngine:
    """Candidates, openings and matches of every municipality, ready to score."""

    def __init__(self, settings: MatchingSettings, taxonomy: Taxonomy | None = None) -> None:
        self.settings = settings
        self._taxonomy = taxonomy
        self.skills = Vocabulary()
        self.tokens = Vocabulary()
        self.partitions: dict[str, Partition] = {}
        self.employers: dict[uuid.UUID, _Employer] = {}
        self.openings: dict[uuid.UUID, _Opening] = {}
        self.matches: dict[uuid.UUID, _Match] = {}
        self.matches_of: dict[uuid.UUID, set[uuid.UUID]] = {}
        self.mentoring: Counter[uuid.UUID] = Counter()
        """Participants in a practice placement per employer: each takes a mentor."""
        self.profiles: dict[uuid.UUID, tuple[str, dict[str, Any]]] = {}
        self.settled: dict[uuid.UUID, date] = {}
        self.norwegian_tests: dict[uuid.UUID, dict[str, str]] = {}
        self.leaving: dict[uuid.UUID, _Leaving] = {}
        self.home: dict[uuid.UUID, str] = {}
        self.erased: set[uuid.UUID] = set()
        self.today = today()
        self._due: dict[uuid.UUID, date] = {}
        """Candidates whose standing changes on a later day (a departure, a start)."""
        self._cursors: dict[str, tuple[int, int]] = {t.name: (0, 0) for t in FOLLOWED_TABLES}
        self._lock = asyncio.Lock()
        self._occupations: advice.OccupationCatalogue | None = None

    @property
    def taxonomy(self) -> Taxonomy:
        if self._taxonomy is None:
            self._taxonomy = load_taxonomy()
        return self._taxonomy

    # --- keeping current -----------------------------------------------------------

    async def refresh(
        self, db: Database, on: date | None = None, *, most: int | None = None
    ) -> bool:
        """Read every committed change since the last refresh into memory.

        ``on`` (today in Norway by default) is the day the answers are for: a departure
        or a start dated ahead changes a candidate only once that day has come.
        ``most`` bounds the rows read per table; False when more were waiting (the
        index is then behind, and a rebuild off the loop is the faster way forward).
        """
        async with self._lock, db.connect() as conn:
            self.today = on or today()
            for participant_id in [p for p, d in self._due.items() if d <= self.today]:
                self._recompute(participant_id)
            # Nothing written after the cursors, committed or not: one round trip, where
            # reading the five tables and asking again would take six.
            if not await conn.scalar(self._held_back_query()):
                return True
            deadline = asyncio.get_running_loop().time() + _CATCH_UP_SECONDS
            while True:
                if not await self.read_changes(conn, most=most):
                    return False
                if asyncio.get_running_loop().time() > deadline:
                    return True
                if not await conn.scalar(self._held_back_query()):
                    return True
                await asyncio.sleep(_CATCH_UP_PAUSE)

    def _held_back_query(self) -> sa.TextClause:
        """Whether a committed change is still below the horizon (an older transaction runs).

        A change the caller committed just before must be in the answer (read your own
        writes), so the refresh waits, briefly, for the horizon to pass it.
        """
        parts = [
            f"SELECT 1 FROM {table.name} WHERE (changed_tx, change_seq) > "
            f"(CAST(:tx_{i} AS text)::xid8, :seq_{i})"
            for i, table in enumerate(FOLLOWED_TABLES)
        ]
        params: dict[str, Any] = {}
        for i, table in enumerate(FOLLOWED_TABLES):
            tx, seq = self._cursors[table.name]
            params[f"tx_{i}"], params[f"seq_{i}"] = str(tx), seq
        return sa.text(f"SELECT EXISTS ({' UNION ALL '.join(parts)})").bindparams(**params)

    async def read_changes(
        self,
        conn: AsyncConnection,
        *,
        most: int | None = None,
        stop: threading.Event | None = None,
    ) -> bool:
        """Apply the rows changed since the cursors, up to ``most`` per table.

        False when a table had more than ``most`` waiting, or ``stop`` was set.
        """
        for table in FOLLOWED_TABLES:
            read = 0
            while True:
                if stop is not None and stop.is_set():
                    return False
                page = _PAGE if most is None else min(_PAGE, most - read + 1)
                tx, seq = self._cursors[table.name]
                columns = [c for c in table.c if c.name != "changed_tx"]
                rows = (
                    await conn.execute(
                        sa.select(*columns, sa.literal_column("changed_tx::text").label("tx"))
                        .where(
                            sa.text(
                                "(changed_tx, change_seq) > (CAST(:tx AS text)::xid8, :seq) "
                                f"AND changed_tx < {_HORIZON}"
                            ).bindparams(tx=str(tx), seq=seq)
                        )
                        .order_by(sa.text("changed_tx"), table.c.change_seq)
                        .limit(page)
                    )
                ).all()
                if most is not None and read + len(rows) > most:
                    return False
                for row in rows:
                    self.apply(table.name, row)
                if rows:
                    self._cursors[table.name] = (int(rows[-1].tx), int(rows[-1].change_seq))
                read += len(rows)
                if len(rows) < page:
                    break
        return True

    def pack(self) -> None:
        """Pack every partition now (the build does this in its worker thread)."""
        for partition in self.partitions.values():
            partition.segments(self.skills, self.tokens)

    def packings_due(self, most_on_loop: int) -> list[tuple[Partition, _Packing]]:
        """Packings larger than ``most_on_loop`` candidates, for a worker thread.

        Each partition returned is marked as packing until its packing is installed;
        smaller packings are done here and now, on the caller's thread.
        """
        due = []
        for partition in self.partitions.values():
            if partition.packing:
                continue
            packing = partition.plan()
            if packing is None:
                continue
            if len(packing) <= most_on_loop:
                packing.run(self.skills, self.tokens)
                partition.install(packing)
                continue
            partition.packing = True
            due.append((partition, packing))
        return due

    def apply(self, table: str, row: Any) -> None:
        """One read-model row (the columns of ``table``) into memory."""
        if table == "employers":
            self.employers[row.employer_id] = _Employer(row.municipality, row.mentor_capacity)
        elif table == "openings":
            self.openings[row.opening_id] = _Opening(
                municipality=row.municipality,
                employer_id=row.employer_id,
                kind=OpeningKind(row.kind),
                terms=OpeningTerms.model_validate(row.terms),
                title=row.title,
                status=row.status,
                places_taken=row.places_taken,
            )
        elif table == "matches":
            previous = self.matches.get(row.match_id)
            if previous is not None and previous.status == MatchStatus.in_placement.value:
                self.mentoring[previous.employer_id] -= 1
            if row.status == MatchStatus.in_placement.value:
                self.mentoring[row.employer_id] += 1
            self.matches[row.match_id] = _Match(
                row.participant_id, row.employer_id, row.status, row.started_on
            )
            self.matches_of.setdefault(row.participant_id, set()).add(row.match_id)
            self._recompute(row.participant_id)
        elif table == "candidates":
            pid = row.participant_id
            if row.settled_on is not None:
                self.settled[pid] = row.settled_on
            if row.profile is not None:
                self.profiles[pid] = (row.municipality, dict(row.profile))
            self.norwegian_tests[pid] = dict(row.norwegian_tests or {})
            left = departure(row.left_on, row.left_because, row.programmes)
            if left is not None:
                self.leaving[pid] = _Leaving(*left)
            else:
                self.leaving.pop(pid, None)
            self._recompute(pid)
        elif table == "erased_candidates":
            pid = row.participant_id
            self.erased.add(pid)
            self.profiles.pop(pid, None)
            self.settled.pop(pid, None)
            self.norwegian_tests.pop(pid, None)
            self.leaving.pop(pid, None)
            self._recompute(pid)

    def engagement(self, participant_id: uuid.UUID) -> str | None:
        found = {
            engagement_on(MatchStatus(match.status), match.started_on, self.today)
            for m in self.matches_of.get(participant_id, ())
            if (match := self.matches.get(m)) is not None
        }
        for engagement in ENGAGEMENTS:
            if engagement in found:
                return engagement
        return None

    def _next_change(self, participant_id: uuid.UUID) -> date | None:
        ahead = [
            match.started_on
            for m in self.matches_of.get(participant_id, ())
            if (match := self.matches.get(m)) is not None
            and match.started_on is not None
            and match.started_on > self.today
        ]
        leaving = self.leaving.get(participant_id)
        if leaving is not None and leaving.on > self.today:
            ahead.append(leaving.on)
        return min(ahead, default=None)

    def _recompute(self, participant_id: uuid.UUID) -> None:
        old_home = self.home.pop(participant_id, None)
        if old_home is not None:
            self.partitions[old_home].remove(participant_id)
        self._due.pop(participant_id, None)
        stored = self.profiles.get(participant_id)
        if stored is None or participant_id in self.erased:
            return
        leaving = self.leaving.get(participant_id)
        if leaving is not None and leaving.on <= self.today:
            return
        next_change = self._next_change(participant_id)
        if next_change is not None:
            self._due[participant_id] = next_change
        municipality, profile = stored
        candidate = replace(
            candidate_from_profile(
                {**profile, "participant_id": str(participant_id)},
                municipality,
                self.settled.get(participant_id),
                self.norwegian_tests.get(participant_id),
            ),
            engagement=self.engagement(participant_id),
            leaves_on=leaving.on if leaving is not None else None,
        )
        self.partitions.setdefault(municipality, Partition()).put(candidate)
        self.home[participant_id] = municipality

    # --- lookups -------------------------------------------------------------------

    def candidate(self, municipality: str, participant_id: uuid.UUID) -> Candidate | None:
        partition = self.partitions.get(municipality)
        return partition.records.get(participant_id) if partition else None

    def mentor_capacity_left(self, employer_id: uuid.UUID) -> int:
        employer = self.employers.get(employer_id)
        if employer is None:
            return 0
        return employer.mentor_capacity - self.mentoring[employer_id]

    def spec(self, municipality: str, opening_id: uuid.UUID) -> OpeningSpec | None:
        opening = self.openings.get(opening_id)
        if opening is None or opening.municipality != municipality:
            return None
        return OpeningSpec(
            opening_id=opening_id,
            employer_id=opening.employer_id,
            kind=opening.kind,
            terms=opening.terms,
            mentor_capacity_left=self.mentor_capacity_left(opening.employer_id),
            title=opening.title,
            status=opening.status,
        )

    def places_left(self, opening_id: uuid.UUID) -> int:
        opening = self.openings[opening_id]
        if opening.status == OpeningStatus.closed.value:
            return 0
        return max(0, opening.terms.places - opening.places_taken)

    def open_specs(
        self, municipality: str, kinds: Iterable[OpeningKind] | None = None
    ) -> list[OpeningSpec]:
        wanted = set(kinds) if kinds else None
        specs = []
        for opening_id, opening in sorted(self.openings.items(), key=lambda kv: str(kv[0])):
            if opening.municipality != municipality or opening.status != OpeningStatus.open.value:
                continue
            if wanted is not None and opening.kind not in wanted:
                continue
            spec = self.spec(municipality, opening_id)
            assert spec is not None
            specs.append(spec)
        return specs

    # --- scoring -------------------------------------------------------------------

    def _item(
        self, candidate: Candidate, spec: OpeningSpec, block: Block, r: int, c: int
    ) -> dict[str, Any]:
        values = {name: float(v[r, c]) for name, v in block.parts.items()}
        item = explain(
            candidate, spec, values, bool(block.excluded[r, c]), self.settings, self.taxonomy
        )
        item["waited_days"] = waited_days(candidate, self.today)
        return item

    def rank_candidates(
        self,
        spec: OpeningSpec,
        municipality: str,
        *,
        limit: int,
        available_only: bool,
        include_excluded: bool,
        min_score: float,
        filters: RankingFilters | None = None,
    ) -> list[dict[str, Any]]:
        """The best candidates of ``municipality`` for one opening, explained.

        Filters narrow the candidates before the best are taken. Equal scores go to the
        one who has waited longest since settlement (unknown settlement last), then by id.
        """
        wanted = filters or RankingFilters()
        partition = self.partitions.get(municipality)
        if partition is None:
            return []
        segments = partition.segments(self.skills, self.tokens)
        batch = OpeningBatch([spec], self.skills, self.tokens)
        column = np.zeros(1, dtype=np.int64)
        found: list[dict[str, Any]] = []
        for segment in segments:
            hidden = ~segment.alive
            if available_only:
                hidden |= segment.engaged
            hidden |= ~candidate_rows(segment, wanted, self.today)
            chosen = None
            if not include_excluded and wanted.commute is None:
                chosen = self._related_top(segment, batch, hidden, limit, wanted.bands)
            if chosen is not None:
                block = score_block(segment, chosen, batch, column, self.settings)
                for i, r in enumerate(chosen):
                    found.append(self._item(segment.candidates[int(r)], spec, block, i, 0))
                continue
            block = score_block(segment, None, batch, column, self.settings)
            total = block.total[:, 0].copy()
            if not include_excluded:
                hidden |= block.excluded[:, 0]
            if wanted.bands:
                hidden |= ~self._in_bands(total, wanted.bands)
            if wanted.commute is not None:
                location = block.parts["location"][:, 0]
                hidden |= ~np.array([wanted.location_allowed(float(v)) for v in location])
            total[hidden] = -np.inf
            for r in best_rows(total, segment.settled, limit):
                found.append(self._item(segment.candidates[int(r)], spec, block, int(r), 0))
        found = [
            item
            for item in found
            if item["score"] >= min_score
            and (item["excluded"] or wanted.score_allowed(item["score"], self.settings))
        ]
        found.sort(key=_candidate_order)
        return found[:limit]

    def _in_bands(self, total: np.ndarray[Any, Any], bands: Sequence[str]) -> np.ndarray[Any, Any]:
        """Totals within one of ``bands`` (float slack: the explained score decides)."""
        allowed = np.zeros(len(total), dtype=bool)
        for band in bands:
            low, high = self.settings.band_range(band)
            allowed |= (total >= low - _SCORE_SLACK) & (total < high + _SCORE_SLACK)
        return allowed

    def _related_top(
        self,
        segment: Segment,
        batch: OpeningBatch,
        hidden: np.ndarray[Any, Any],
        limit: int,
        bands: Sequence[str] = (),
    ) -> np.ndarray[Any, Any] | None:
        """The best ``limit`` rows (ties included) if scoring only related candidates
        proves them, else None.

        A band filter is applied to the related rows as to everyone: whatever an unrelated
        candidate's band, it scores at most the bound, below every row picked.
        """
        rows, total, bound = relevant_scores(segment, batch, 0, self.settings, limit)
        total[hidden[rows]] = -np.inf
        if bands:
            total[~self._in_bands(total, bands)] = -np.inf
        picked = best_rows(total, segment.settled[rows], limit)
        if len(picked) < limit or total[picked].min() <= bound + 2 * _SCORE_SLACK:
            return None
        chosen: np.ndarray[Any, Any] = rows[picked]
        return chosen

    def score_pairs(self, candidates: Sequence[Candidate], specs: Sequence[OpeningSpec]) -> Block:
        """Every part for every candidate × opening (allocation, one candidate's openings)."""
        segment = Segment(candidates, self.skills, self.tokens)
        batch = OpeningBatch(specs, self.skills, self.tokens)
        return score_block(
            segment, None, batch, np.arange(len(specs), dtype=np.int64), self.settings
        )

    def rank_openings(
        self,
        candidate: Candidate,
        specs: Sequence[OpeningSpec],
        *,
        limit: int,
        include_excluded: bool,
        min_score: float,
        filters: RankingFilters | None = None,
    ) -> list[dict[str, Any]]:
        """The candidate's best openings among ``specs``, explained; equal scores: the
        opening that starts first, then by id."""
        wanted = filters or RankingFilters()
        specs = [spec for spec in specs if opening_passes(spec, wanted)]
        if not specs:
            return []
        block = self.score_pairs([candidate], specs)
        exact = explained_scores(block, self.settings)[0]
        keep = [
            c
            for c in range(len(specs))
            if exact[c] >= min_score
            and (include_excluded or not block.excluded[0, c])
            and wanted.score_allowed(float(exact[c]), self.settings)
            and wanted.location_allowed(float(block.parts["location"][0, c]))
        ]
        keep.sort(key=lambda c: (-exact[c], specs[c].terms.starts_on, str(specs[c].opening_id)))
        items = []
        for c in keep[:limit]:
            item = self._item(candidate, specs[c], block, 0, c)
            item["kind"] = specs[c].kind.value
            item["title"] = specs[c].title
            item["employer_id"] = str(specs[c].employer_id)
            items.append(item)
        return items

    def explain_pair(self, candidate: Candidate, spec: OpeningSpec) -> dict[str, Any]:
        block = self.score_pairs([candidate], [spec])
        return self._item(candidate, spec, block, 0, 0)

    # --- advice ----------------------------------------------------------------------

    def skill_advice(
        self, candidate: Candidate, specs: Sequence[OpeningSpec], *, limit: int
    ) -> list[dict[str, Any]]:
        """The missing skills that would lift the most of ``specs`` (see ``domain.advice``)."""
        return advice.skill_gaps(
            candidate,
            specs,
            lambda people: self._explained(people, specs),
            self.settings,
            self.taxonomy,
            limit=limit,
        )

    def _explained(
        self, people: Sequence[Candidate], specs: Sequence[OpeningSpec]
    ) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        block = self.score_pairs(people, specs)
        return explained_scores(block, self.settings), block.excluded

    def occupation_catalogue(self) -> advice.OccupationCatalogue:
        """Every ESCO occupation packed for scoring (a few hundred ms, once: the index
        build does it in its worker, so a request on the loop finds it ready)."""
        if self._occupations is None:
            self._occupations = advice.OccupationCatalogue(self.taxonomy, self.skills, self.tokens)
        return self._occupations

    def occupation_suggestions(self, candidate: Candidate, *, limit: int) -> list[dict[str, Any]]:
        """The ESCO occupations the candidate is closest to (see ``domain.advice``)."""
        catalogue = self.occupation_catalogue()
        return catalogue.closest(candidate, self.settings, self.taxonomy, limit=limit)


_SCORE_SLACK = 0.02
"""Float32 totals and explained scores (rounded factors) differ by less than this."""


def best_rows(total: np.ndarray[Any, Any], settled: np.ndarray[Any, Any], limit: int) -> Ints:
    """Indices of the best ``limit`` finite totals, equal scores (2 decimals) broken by
    the longest wait (earliest settlement), then by row; rows within the float slack of
    the last one are kept too (a few more), so the explained order decides."""
    finite = np.flatnonzero(np.isfinite(total))
    if len(finite) > limit:
        kth = np.partition(total[finite], len(finite) - limit)[len(finite) - limit]
        finite = finite[total[finite] >= kth - _SCORE_SLACK]
    rounded = np.round(total[finite].astype(np.float64), 2)
    order = np.lexsort((finite, settled[finite], -rounded))
    chosen: Ints = finite[order[: limit + _TIE_EXTRA]]
    return chosen


_TIE_EXTRA = 20


def _candidate_order(item: dict[str, Any]) -> tuple[float, int, str]:
    waited = item.get("waited_days")
    return (-item["score"], -(waited if waited is not None else -1), item["participant_id"])


IndexLoader = Callable[[MatchingEngine, threading.Event], None]
"""Fills a fresh engine with every read-model row; runs in a worker thread, never on the
event loop, and gives up early once the event is set (the service is stopping)."""


def read_models_loader(settings: Settings) -> IndexLoader:
    """The loader of a running service: its own connection, on its own event loop.

    The worker thread reads, decodes and indexes every row without touching the
    service's event loop; only the finished engine is handed over.
    """

    def load(engine: MatchingEngine, stop: threading.Event) -> None:
        async def read() -> None:
            db = Database.for_service(settings, "matching", pool_size=1)
            try:
                async with db.connect() as conn:
                    await engine.read_changes(conn, stop=stop)
            finally:
                await db.dispose()

        asyncio.run(read())

    return load


class IndexBuilding(Problem):
    """The first build after start-up is still running; the client retries later."""

    status, slug, title = 503, "index-building", "Matching index is being built"
    # Not a rule of the catalogue: the kit's rules answer 409 or 422 only.

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(RETRY_AFTER_SECONDS)}


class MatchingIndex:
    """The process's :class:`MatchingEngine`, built and repacked off the event loop.

    :meth:`start` (at start-up) builds the engine in a worker thread. Until the first
    build is done, :meth:`current` waits for it up to ``index_wait_seconds`` (awaiting:
    the loop serves everyone else meanwhile), then raises :class:`IndexBuilding` (503
    with ``Retry-After``); afterwards each call reads the few rows changed since the
    last (on the loop, bounded) and answers from the engine. A backlog too large for that
    (a read model rebuilt, a long outage) starts a fresh build in a worker, and a
    partition whose packing is large is packed in a worker; meanwhile queries are
    answered from the previous engine and the previous packing. Nothing large ever
    runs on the event loop, so ``/healthz`` and the other endpoints stay responsive.
    """

    def __init__(self, settings: MatchingSettings, loader: IndexLoader | None = None) -> None:
        self.settings = settings
        self.engine: MatchingEngine | None = None
        self.builds = 0
        """Finished builds: the first, and one per backlog too large to catch up with."""
        self._loader = loader
        self._taxonomy: Taxonomy | None = None
        self._building: asyncio.Task[None] | None = None
        self._packing: set[asyncio.Task[None]] = set()
        self._stop = threading.Event()

    @property
    def building(self) -> bool:
        return self._building is not None and not self._building.done()

    def start(self, settings: Settings) -> None:
        """Begin the first build (once); ``settings`` name the database to read."""
        if self._building is not None or self.engine is not None:
            return
        if self._loader is None:
            self._loader = read_models_loader(settings)
        self._building = asyncio.create_task(self._build(), name="matching-index-build")

    async def stop(self) -> None:
        self._stop.set()
        for task in [self._building, *self._packing]:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def taxonomy(self) -> Taxonomy:
        """The taxonomy, read in a worker thread the first time it is needed."""
        if self._taxonomy is None:
            self._taxonomy = await asyncio.to_thread(load_taxonomy)
        return self._taxonomy

    async def current(self, db: Database, settings: Settings) -> MatchingEngine:
        """The engine, caught up with what was committed before the call (when it can)."""
        self.start(settings)
        if self.engine is None and self._building is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    asyncio.shield(self._building), self.settings.index_wait_seconds
                )
        engine = self.engine
        if engine is None:
            raise IndexBuilding(
                "The matching index is being built after start-up; retry in a few seconds."
            )
        if self.building:
            return engine
        if not await engine.refresh(db, most=_CATCH_UP_ROWS):
            log.info("matching.index.behind", rows_at_least=_CATCH_UP_ROWS)
            self._building = asyncio.create_task(self._build(), name="matching-index-rebuild")
            return engine
        for partition, packing in engine.packings_due(_PACK_ON_LOOP):
            task = asyncio.create_task(self._pack(engine, partition, packing))
            self._packing.add(task)
            task.add_done_callback(self._packing.discard)
        return engine

    async def _build(self) -> None:
        delay = 1.0
        while not self._stop.is_set():
            try:
                self.engine = await asyncio.to_thread(self._build_in_worker)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("matching.index.build_failed", error=type(exc).__name__)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
                continue
            self.builds += 1
            log.info("matching.index.built", builds=self.builds)
            return

    def _build_in_worker(self) -> MatchingEngine:
        assert self._loader is not None
        taxonomy = self._taxonomy or load_taxonomy()
        self._taxonomy = taxonomy
        engine = MatchingEngine(self.settings, taxonomy)
        with _collector_paused():
            self._loader(engine, self._stop)
            if self._stop.is_set():
                raise asyncio.CancelledError
            engine.pack()
            engine.occupation_catalogue()
        return engine

    async def _pack(self, engine: MatchingEngine, partition: Partition, packing: _Packing) -> None:
        try:
            await asyncio.to_thread(packing.run_in_worker, engine.skills, engine.tokens)
            partition.install(packing)
        finally:
            partition.packing = False
