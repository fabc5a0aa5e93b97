"""Facts from the matching service: jobs obtained, practice placements started and ended."""

from __future__ import annotations

from services.indicators import tables as t
from services.indicators.projections.facts import (
    MATCHING_FEED,
    FactRow,
    day,
    fact_handler,
    ident,
    keep,
    number,
    optional,
)
from shared.inbox import Keep
from shared.projection import Projection

PRACTICE = {
    "placement_id": ("placement_id", ident),
    "participant_id": ("participant_id", ident),
}

FACT_ROWS: dict[str, FactRow] = {
    "matching.job.obtained.v1": FactRow(
        t.jobs,
        {
            "participant_id": ("participant_id", ident),
            "employer_id": ("employer_id", ident),
            "match_id": ("match_id", ident),
            "starts_on": ("starts_on", day),
            "hours_per_week": ("hours_per_week", number),
            "permanent": ("permanent", optional),
        },
    ),
    "matching.practice_placement.started.v1": FactRow(
        t.practice_placements,
        {
            **PRACTICE,
            "kind": ("kind", optional),
            "on_date": ("starts_on", day),
            "hours_per_week": ("hours_per_week", number),
        },
        {"change": "started"},
    ),
    "matching.practice_placement.ended.v1": FactRow(
        t.practice_placements,
        {**PRACTICE, "on_date": ("ends_on", day), "outcome": ("outcome", optional)},
        {"change": "ended"},
    ),
}

MATCHING_KEEP: Keep = keep(FACT_ROWS)
"""The matching events the indicators follow, and the fields kept of each."""

MATCHING_FACTS = Projection(
    "matching_facts", MATCHING_FEED, t.MATCHING_FACTS, apply_batch=fact_handler(FACT_ROWS)
)
