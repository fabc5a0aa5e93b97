"""Filters in memory: a filtered list is the best of those that pass (hypothesis)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.matching.domain.candidates import NORWEGIAN_SUB_SKILLS, Candidate, licences_held
from services.matching.domain.filters import RankingFilters, commute_allows, unknown_filters
from services.matching.events import NORWEGIAN_ORDER, NorwegianLevel
from services.matching.index import MatchingEngine, Partition
from services.matching.settings import MatchingSettings
from shared import taxonomy
from shared.rules import RuleViolation
from tests.matching.test_scoring import _world

SETTINGS = MatchingSettings()
TODAY = date(2026, 1, 1)
CANDIDATES, SPECS = _world(11, 400, 6)
ENGINE = MatchingEngine(SETTINGS, taxonomy.load())
_partition = Partition()
for _candidate in CANDIDATES:
    _partition.put(_candidate)
ENGINE.partitions["3301"] = _partition
ENGINE.today = TODAY
BY_ID = {str(c.participant_id): c for c in CANDIDATES}


def _passes(candidate: Candidate, item: dict[str, Any], filters: RankingFilters) -> bool:
    for sub, level in filters.norwegian.items():
        rank = candidate.norwegian_rank(sub)
        if rank is None or rank < NORWEGIAN_ORDER.index(level):
            return False
    if not set(filters.driving_licences) <= licences_held(candidate.driving_licences):
        return False
    hours = candidate.wished_hours
    if filters.min_hours is not None and (hours is None or hours < filters.min_hours):
        return False
    if filters.max_hours is not None and (hours is None or hours > filters.max_hours):
        return False
    if filters.municipalities and candidate.municipality not in filters.municipalities:
        return False
    waited = item["waited_days"]
    if filters.min_waited_days is not None and (waited is None or waited < filters.min_waited_days):
        return False
    if filters.bands and item["band"] not in filters.bands:
        return False
    location = next(p["value"] for p in item["parts"] if p["part"] == "location")
    return commute_allows(filters.commute, location)


FILTERS = st.builds(
    RankingFilters,
    norwegian=st.dictionaries(
        st.sampled_from(NORWEGIAN_SUB_SKILLS[:2]), st.sampled_from(list(NorwegianLevel)), max_size=1
    ),
    driving_licences=st.sampled_from([(), ("B",), ("C",)]),
    min_hours=st.sampled_from([None, 20.0, 30.0]),
    municipalities=st.sampled_from([(), ("3301",), ("3303", "0301")]),
    commute=st.sampled_from([None, "local", "county", "any"]),
    bands=st.sampled_from([(), ("weak",), ("strong", "partial")]),
    min_waited_days=st.sampled_from([None, 500, 1500]),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(filters=FILTERS, j=st.integers(0, len(SPECS) - 1), limit=st.integers(1, 15))
def test_a_filtered_list_is_the_best_of_those_that_pass(
    filters: RankingFilters, j: int, limit: int
) -> None:
    spec = SPECS[j]
    everyone = ENGINE.rank_candidates(
        spec,
        "3301",
        limit=len(CANDIDATES),
        available_only=True,
        include_excluded=False,
        min_score=0,
    )
    expected = [
        item["participant_id"]
        for item in everyone
        if _passes(BY_ID[item["participant_id"]], item, filters)
    ][:limit]
    filtered = ENGINE.rank_candidates(
        spec,
        "3301",
        limit=limit,
        available_only=True,
        include_excluded=False,
        min_score=0,
        filters=filters,
    )
    assert [item["participant_id"] for item in filtered] == expected
    scores = [item["score"] for item in filtered]
    assert scores == sorted(scores, reverse=True)


def test_an_unknown_filter_is_refused_naming_each() -> None:
    with pytest.raises(RuleViolation) as refused:
        unknown_filters(["limit", "colour", "size"], ["limit", "band"])
    assert refused.value.code == "unknown-filter"
    assert "colour" in str(refused.value) and "size" in str(refused.value)
    unknown_filters(["limit"], ["limit", "band"])
