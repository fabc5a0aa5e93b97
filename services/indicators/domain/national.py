"""One built-in indicator across every municipality: ranked, with peers of similar size. Pure.

Every municipality is measured with the catalogue's default definition (not its own
parameters), so the numbers are comparable. Size is the number of persons settled in
the five years up to the period's end (as known): it is what drives caseloads and is
known for every municipality that uses Veiviser. Peer groups are fixed size bands, so a
municipality's peers do not shift when others grow.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from services.indicators.domain.catalogue import BuiltIn
from services.indicators.domain.facts import Snapshot
from services.indicators.domain.periods import Period, add_months
from services.indicators.domain.rules import RULES, Context
from services.indicators.domain.rules.rule import Unit
from services.indicators.domain.suppression import DEFAULT_MIN_N
from services.indicators.domain.thresholds import Direction, round_half_up
from services.indicators.domain.uncertainty import (
    DEFAULT_UNCERTAINTY,
    Interval,
    is_uncertain,
    people_behind,
    share_interval,
)

SUPPRESSION_FLOOR = DEFAULT_MIN_N
"""The comparison leaves every municipality, so it always suppresses (never below this)."""

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
    size: int | None
    peer_group: str
    rank: int | None = None
    peer_rank: int | None = None
    n: int | None = None
    interval: Interval | None = None
    uncertain: bool = False
    suppressed: bool = False
    """Fewer than the threshold behind it: value, interval, numerator, denominator and n
    are hidden (null), and the entry is not ranked."""

    def describe(self) -> dict[str, Any]:
        interval = self.interval
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
            "n": self.n,
            "lower": None if interval is None else round(interval.lower, 6),
            "upper": None if interval is None else round(interval.upper, 6),
            "uncertain": self.uncertain,
            "suppressed": self.suppressed,
        }


def compare(
    built_in: BuiltIn,
    snapshots: Mapping[str, Snapshot],
    period: Period,
    known_on: date,
    min_n: int = SUPPRESSION_FLOOR,
) -> list[Entry]:
    """Every municipality's value, best first (by the indicator's direction); no value or
    a suppressed value (fewer than ``min_n`` people) last and unranked."""
    rule = RULES[built_in.rule]
    params = built_in.full_parameters()
    is_percent = built_in.unit is Unit.percent
    min_n = max(min_n, SUPPRESSION_FLOOR)
    entries = []
    for municipality, snapshot in snapshots.items():
        result = rule.compute(snapshot, Context(period, known_on, ordered=False), params)
        size = size_of(snapshot, period)
        group = peer_group(size)
        shown_size = size if size >= min_n else None
        n = people_behind(result) if result.value is not None else None
        if n is not None and n < min_n:
            entries.append(
                Entry(
                    municipality,
                    None,
                    None,
                    None,
                    None,
                    shown_size,
                    group,
                    None,
                    None,
                    None,
                    None,
                    True,
                    True,
                )
            )
            continue
        interval = share_interval(result, is_percent) if result.value is not None else None
        entries.append(
            Entry(
                municipality,
                result.value,
                None if result.value is None else round_half_up(result.value, built_in.decimals),
                result.numerator,
                result.denominator,
                shown_size,
                group,
                n=n,
                interval=interval,
                uncertain=result.value is not None
                and is_uncertain(n, interval, is_percent, DEFAULT_UNCERTAINTY),
            )
        )
    return ranked(entries, built_in.direction)


def hide(entry: Entry, min_n: int) -> Entry:
    """The entry with its figures hidden when fewer than ``min_n`` people are behind it."""
    size = entry.size if entry.size is not None and entry.size >= min_n else None
    if entry.n is None or entry.n >= min_n:
        return dataclasses.replace(entry, size=size)
    return Entry(
        entry.municipality,
        None,
        None,
        None,
        None,
        size,
        entry.peer_group,
        uncertain=True,
        suppressed=True,
    )


def suppress(entries: list[Entry], min_n: int, direction: Direction) -> list[Entry]:
    """Entries with a (higher) threshold applied, ranked anew."""
    return ranked([hide(e, max(min_n, SUPPRESSION_FLOOR)) for e in entries], direction)


def ranked(entries: list[Entry], direction: Direction) -> list[Entry]:
    """Best first; entries without a shown value (none, or suppressed) last and unranked."""
    higher = direction is Direction.higher_is_better

    def order(entry: Entry) -> tuple[int, float, str]:
        if entry.value_shown is None:
            return (1, 0.0, entry.municipality)
        return (0, -entry.value_shown if higher else entry.value_shown, entry.municipality)

    in_order = sorted(entries, key=order)
    result_entries = []
    peer_counters: dict[str, int] = {}
    rank = 0
    previous: float | None = None
    for position, entry in enumerate(in_order, start=1):
        if entry.value_shown is None:
            result_entries.append(dataclasses.replace(entry, rank=None, peer_rank=None))
            continue
        if entry.value_shown != previous:
            rank = position
            previous = entry.value_shown
        peer_counters[entry.peer_group] = peer_counters.get(entry.peer_group, 0) + 1
        result_entries.append(
            Entry(**{**entry.__dict__, "rank": rank, "peer_rank": peer_counters[entry.peer_group]})
        )
    return result_entries
