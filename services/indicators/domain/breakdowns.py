"""Breakdowns by the participant's category under the Integration Act. Pure.

The category is dated (participants' ``act.category_recorded``: a later one replaces it
from its own ``valid_from``), so a breakdown takes the category each person had on one
day: the period's last day, or the as-of date when that comes first. A person with no
category recorded by then is ``unknown``, as in the other breakdowns.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

ACT_CATEGORY = "act_category"
ACT_CATEGORIES = (
    "refugee",
    "refugee_family",
    "collective_protection",
    "ukraine_temporary",
    "other",
)
"""The categories under the Act, as participants names them (``ActCategory``)."""

CategoryFact = tuple[str, str, date, datetime]
"""``(participant id, category, valid_from, recorded_at)``: one recorded category."""


def categories_on(facts: Iterable[CategoryFact], day: date) -> dict[str, str]:
    """Participant id → the category valid on ``day``: the latest ``valid_from`` on or
    before it; of two with the same ``valid_from`` the one recorded last."""
    chosen: dict[str, tuple[date, datetime, str]] = {}
    for pid, category, valid_from, recorded_at in facts:
        if valid_from > day:
            continue
        key = (valid_from, recorded_at, category)
        if pid not in chosen or key[:2] > chosen[pid][:2]:
            chosen[pid] = key
    return {pid: category for pid, (_, _, category) in chosen.items()}
