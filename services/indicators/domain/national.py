"""One built-in indicator across every municipality: ranked, with peers of similar size. Pure.

Every municipality is measured with the catalogue's default definition (not its own
parameters), so the numbers are comparable. Size is the number of persons settled in
the five years up to the period's end (as known): it is what drives caseloads and is
known for every municipality that uses Veiviser. Peer groups are fixed size bands, so a
municipality's peers do not shift when others grow.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from services.indicators.domain.catalogue import BuiltIn
from services.indicators.domain.facts import Snapshot
from services.indicators.domain.periods import Period, add_months
from services.indicators.domain.rules import RULES, Context
from services.indicators.domain.thresholds import Direction, round_half_up

SIZE_YEARS = 5
SIZE_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("small", 0, 49),
    ("medium", 50, 249),
    ("large", 250, 999),
    ("very_large", 1000, None),
)
"""(peer group, least settled persons, most) over the five years up to the period end."""


def peer_group(size: int) -> str:
    for name, low, high in SIZE_BANDS:
        if size >= low and (high is None or size <= high):
            return name
    return SIZE_BANDS[-1][0]


def size_of(snapshot: Snapshot, period: Period) -> int:
    since = add_months(period.end, -12 * SIZE_YEARS)
    return sum(
        1
        for year in range(since.year, period.end.year + 1)
        for person in snapshot.settled_in_year(year)
        if person.settled_on is not None and since <= person.settled_on < period.end
    )


@dataclass(frozen=True)
class Entry:
    municipality: str
    value: float | None
    value_shown: float | None
    numerator: float | None
    denominator: float | None
    size: int
    peer_group: str
    rank: int | None = None
    peer_rank: int | None = None

    def describe(self) -> dict[str, Any]:
        return {
            "municipality": self.municipality,
            "value": self.value,
            "value_shown": self.value_shown,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "size": self.size,
            "peer_group": self.peer_group,
            "rank": self.rank,
            "peer_rank": self.peer_rank,
        }


def compare(
    built_in: BuiltIn,
    snapshots: Mapping[str, Snapshot],
    period: Period,
    known_on: date,
) -> list[Entry]:
    """Every municipality's value, best first (by the indicator's direction); no value last."""
    rule = RULES[built_in.rule]
    params = built_in.full_parameters()
    entries = []
    for municipality, snapshot in snapshots.items():
        result = rule.compute(snapshot, Context(period, known_on, ordered=False), params)
        size = size_of(snapshot, period)
        entries.append(
            Entry(
                municipality,
                result.value,
                None if result.value is None else round_half_up(result.value, built_in.decimals),
                result.numerator,
                result.denominator,
                size,
                peer_group(size),
            )
        )
    higher = built_in.direction is Direction.higher_is_better

    def order(entry: Entry) -> tuple[int, float, str]:
        if entry.value_shown is None:
            return (1, 0.0, entry.municipality)
        return (0, -entry.value_shown if higher else entry.value_shown, entry.municipality)

    ranked = sorted(entries, key=order)
    result_entries = []
    peer_counters: dict[str, int] = {}
    rank = 0
    previous: float | None = None
    for position, entry in enumerate(ranked, start=1):
        if entry.value_shown is None:
            result_entries.append(entry)
            continue
        if entry.value_shown != previous:
            rank = position
            previous = entry.value_shown
        peer_counters[entry.peer_group] = peer_counters.get(entry.peer_group, 0) + 1
        result_entries.append(
            Entry(**{**entry.__dict__, "rank": rank, "peer_rank": peer_counters[entry.peer_group]})
        )
    return result_entries
