"""Filters on the ranked lists (pure): an opening's candidates and a candidate's openings.

A filter narrows the list before the top ``limit`` are taken, so a filtered list is
the best among those that pass, never a cut of the unfiltered top. Each filter reads
the other side of the pair: on an opening's candidates, ``norwegian_oral=B1`` keeps
candidates with at least B1 spoken; on a candidate's openings it keeps openings that
ask at most B1 spoken (or nothing). ``band`` and ``commute`` depend on the pair and are
applied to the pair's score and location.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

import numpy as np
import numpy.typing as npt

from services.matching.domain.candidates import NORWEGIAN_SUB_SKILLS, licences_held
from services.matching.domain.scoring import (
    LOCATION_COMMUTE_SAME_COUNTY,
    OpeningSpec,
    Segment,
)
from services.matching.events import NORWEGIAN_ORDER, NorwegianLevel
from services.matching.settings import MatchingSettings
from shared.rules import Rule, rule

UNKNOWN_FILTER = rule(
    "unknown-filter",
    422,
    "Unknown filter",
    service="matching",
    description="A ranked list was asked for with a query parameter it does not know; the "
    "problem names each one and lists the filters there are.",
)

Commute = Literal["local", "county", "any"]
"""``local``: work in the home or a wished municipality; ``county``: that, or commuting
within the county; ``any``: anything but an opening out of reach (no commuting)."""

Bools = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class RankingFilters:
    """What a job coach narrows a ranked list to; every field left out lets all through."""

    norwegian: Mapping[str, NorwegianLevel] = field(default_factory=dict)
    """Sub-skill → level: candidates at least at it; openings asking at most it."""
    driving_licences: tuple[str, ...] = ()
    """Candidates holding every class (a class includes the ones below it); openings
    needing no class beyond these."""
    min_hours: float | None = None
    max_hours: float | None = None
    """Candidates' wished hours (unknown: left out), openings' offered hours."""
    municipalities: tuple[str, ...] = ()
    """Candidates living in one of these; openings with work in one of these."""
    commute: Commute | None = None
    available_from: date | None = None
    """Candidates free that day (not in or scheduled for a placement or job, not leaving
    on or before it); openings starting on or after it."""
    bands: tuple[str, ...] = ()
    min_waited_days: int | None = None
    max_waited_days: int | None = None
    """Candidates by days since settlement (unknown settlement: left out)."""

    @property
    def per_pair(self) -> bool:
        """Whether a filter depends on the pair (band, commute), not on one side alone."""
        return bool(self.bands) or self.commute is not None

    def score_allowed(self, score: float, settings: MatchingSettings) -> bool:
        return not self.bands or settings.band(score, False) in self.bands

    def location_allowed(self, location: float) -> bool:
        return commute_allows(self.commute, location)


def commute_allows(commute: Commute | None, location: float) -> bool:
    """Whether a pair's location value (1 local, 0.7 county, 0.4 beyond, 0 out of reach)
    passes the ``commute`` filter."""
    if commute is None:
        return True
    if commute == "local":
        return location >= 1.0 - 1e-6
    if commute == "county":
        return location >= LOCATION_COMMUTE_SAME_COUNTY - 1e-6
    return location > 0.0


def refuse_unknown(rule: Rule, noun: str, given: Iterable[str], known: Iterable[str]) -> None:
    """Refuse the ``given`` names not among ``known`` with ``rule``: each one named (as
    a ``noun``), and the known ones listed."""
    allowed = set(known)
    unknown = sorted({name for name in given if name not in allowed})
    if unknown:
        raise rule.violation(
            f"Unknown {noun}{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}. "
            f"Known: {', '.join(sorted(allowed))}.",
            *unknown,
            unknown=unknown,
            known=sorted(allowed),
        )


def unknown_filters(given: Iterable[str], known: Iterable[str]) -> None:
    """Refuse query parameters the list does not know (``unknown-filter``, 422)."""
    refuse_unknown(UNKNOWN_FILTER, "filter", given, known)


def candidate_rows(segment: Segment, filters: RankingFilters, today: date) -> Bools:
    """Rows of ``segment`` that pass the filters on the candidate's own data."""
    keep: Bools = np.ones(len(segment), dtype=bool)
    for s, sub in enumerate(NORWEGIAN_SUB_SKILLS):
        level = filters.norwegian.get(sub)
        if level is not None:
            keep &= segment.norwegian_rank[s] >= NORWEGIAN_ORDER.index(level)
    if filters.driving_licences:
        held = segment.candidates
        wanted = {c.strip().upper() for c in filters.driving_licences}
        has = np.array([wanted <= licences_held(c.driving_licences) for c in held], dtype=bool)
        keep &= has if len(held) else keep
    hours = segment.wished_hours
    if filters.min_hours is not None:
        keep &= ~np.isnan(hours) & (hours >= filters.min_hours)
    if filters.max_hours is not None:
        keep &= ~np.isnan(hours) & (hours <= filters.max_hours)
    if filters.municipalities:
        keep &= np.isin(segment.home, [int(m) for m in filters.municipalities])
    if filters.available_from is not None:
        keep &= ~segment.engaged
        keep &= segment.leaves > filters.available_from.toordinal()
    if filters.min_waited_days is not None or filters.max_waited_days is not None:
        known = segment.settled < np.iinfo(np.int64).max
        waited = np.where(known, today.toordinal() - segment.settled, -1)
        waited = np.maximum(waited, 0)
        keep &= known
        if filters.min_waited_days is not None:
            keep &= waited >= filters.min_waited_days
        if filters.max_waited_days is not None:
            keep &= waited <= filters.max_waited_days
    return keep


def opening_passes(spec: OpeningSpec, filters: RankingFilters) -> bool:
    """Whether an opening passes the filters on the opening's own terms."""
    terms = spec.terms
    for sub, level in filters.norwegian.items():
        need = getattr(terms.norwegian, sub)
        if need is not None and NORWEGIAN_ORDER.index(need) > NORWEGIAN_ORDER.index(level):
            return False
    if filters.driving_licences:
        allowed = licences_held(c.strip().upper() for c in filters.driving_licences)
        if not set(terms.driving_licences) <= allowed:
            return False
    if filters.min_hours is not None and terms.hours_per_week < filters.min_hours:
        return False
    if filters.max_hours is not None and terms.hours_per_week > filters.max_hours:
        return False
    if filters.municipalities and terms.municipality_code not in filters.municipalities:
        return False
    return filters.available_from is None or terms.starts_on >= filters.available_from
