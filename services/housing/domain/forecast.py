"""Capacity forecast for settlement: dwellings free by size, dwellings needed, the gap.

The method (docs/housing/settlement-planning.md tells it in words):

1. **Hazard of a tenancy ending, by dwelling size.** Over the ``window`` whole months
   before the forecast starts, a tenancy is *at risk* in a month when it is running on
   the month's first day (``starts_on ≤ first < ends_on``); it *ends* in that month when,
   at risk, its ``ends_on`` falls before the next month's first day. An end frees the
   dwelling (moving to a private rental, buying another home with a start loan, moving
   away, eviction, death), except a tenant buying the dwelling itself (rent-to-own or a
   start loan, :data:`NOT_FREEING`): that dwelling leaves the stock, so it is listed by
   reason but not counted. The monthly hazard of size ``r`` is
   ``h_r = freeing endings_r / at-risk months_r``.
2. **Dwellings free in a forecast month** of size ``r``: the expected turnover
   ``λ_r = O_r × h_r`` (``O_r`` the occupied dwellings of that size when the forecast
   starts; a freed dwelling is let again, so ``O_r`` stays about the same), plus the
   vacant dwellings when it starts (first month only), plus the measures ready that month.
   The band is the 10th and 90th percentile of a Poisson distribution with mean ``λ_r``
   (ends are rare, independent events in a large stock).
3. **Dwellings needed**: the planned households of the month (times ``scale`` for a
   what-if, rounded half up per household size), each needing the rooms
   :func:`rooms_for` gives for its size.
4. **Gap** = needed − free (positive: dwellings lacking; negative: to spare). Its band
   uses the turnover band: ``gap_low = needed − free_high``, ``gap_high = needed − free_low``.

Sizes are whole rooms; dwellings of :data:`LARGEST_CLASS` rooms or more are one class
("5+"). Pure: no I/O, dates come in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from scipy.stats import poisson

LARGEST_CLASS = 5
"""Dwellings with this many rooms or more form one class (5+)."""

NOT_FREEING = frozenset({"bought_dwelling"})
"""End reasons after which the dwelling is not let again (the tenant bought it)."""

BAND = (0.10, 0.90)
"""The uncertainty band's percentiles of the monthly turnover."""


def room_class(rooms: int) -> int:
    return min(max(rooms, 1), LARGEST_CLASS)


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def add_months(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Tenancy:
    """One placement in the municipal stock: the dwelling's rooms and its period."""

    rooms: int
    starts_on: date
    ends_on: date | None
    end_reason: str | None = None


@dataclass(frozen=True)
class Hazard:
    rooms: int
    at_risk_months: int
    endings: int
    endings_by_reason: Mapping[str, int]

    @property
    def rate(self) -> float:
        return self.endings / self.at_risk_months if self.at_risk_months else 0.0


def hazards(tenancies: Iterable[Tenancy], *, starts: date, window: int) -> dict[int, Hazard]:
    """Monthly hazard of a tenancy ending, by room class, over the ``window`` months before
    ``starts`` (a month's first day)."""
    months = [add_months(first_of_month(starts), -window + k) for k in range(window)]
    at_risk: dict[int, int] = {}
    endings: dict[int, int] = {}
    reasons: dict[int, dict[str, int]] = {}
    for tenancy in tenancies:
        size = room_class(tenancy.rooms)
        for first in months:
            if not tenancy.starts_on <= first or (
                tenancy.ends_on is not None and tenancy.ends_on <= first
            ):
                continue
            at_risk[size] = at_risk.get(size, 0) + 1
            if tenancy.ends_on is not None and tenancy.ends_on < add_months(first, 1):
                reason = tenancy.end_reason or "other"
                if reason not in NOT_FREEING:
                    endings[size] = endings.get(size, 0) + 1
                by_reason = reasons.setdefault(size, {})
                by_reason[reason] = by_reason.get(reason, 0) + 1
    return {
        size: Hazard(size, at_risk.get(size, 0), endings.get(size, 0), reasons.get(size, {}))
        for size in sorted(set(at_risk) | set(endings))
    }


@dataclass(frozen=True)
class Stock:
    """Dwellings of one room class when the forecast starts (sold ones left out)."""

    rooms: int
    occupied: int
    vacant: int


@dataclass(frozen=True)
class Measure:
    """Dwellings a measure adds, ready in the month of ``ready_on``."""

    rooms: int
    quantity: int
    ready_on: date


@dataclass(frozen=True)
class RoomsForecast:
    rooms: int
    vacant: int
    turnover_expected: float
    turnover_low: int
    turnover_high: int
    from_measures: int
    free_expected: float
    free_low: int
    free_high: int
    needed: int
    gap_expected: float
    gap_low: int
    gap_high: int


@dataclass(frozen=True)
class MonthForecast:
    month: date
    by_rooms: tuple[RoomsForecast, ...]
    needed: int
    free_expected: float
    gap_expected: float
    shortfall_expected: float
    """The gap's positive part summed over sizes: a spare 1-room flat does not house a family."""


@dataclass(frozen=True)
class Forecast:
    starts: date
    months: tuple[MonthForecast, ...]
    hazards: Mapping[int, Hazard]
    window: int
    scale: Decimal
    rooms_by_size: Mapping[int, int] = field(default_factory=dict)


def band(mean: float) -> tuple[int, int]:
    """The turnover's 10th and 90th percentile for a Poisson mean."""
    if mean <= 0:
        return 0, 0
    low, high = (int(poisson.ppf(q, mean)) for q in BAND)
    return low, high


def scaled(households: int, scale: Decimal) -> int:
    """``households × scale`` rounded half up (never below ``households`` when scale ≥ 1)."""
    return int((Decimal(households) * scale).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def rooms_for(size: int, rooms_by_size: Mapping[int, int]) -> int:
    """The rooms a household of ``size`` needs (the largest size in the table for larger
    households), as a room class."""
    known = [s for s in rooms_by_size if s <= size]
    return room_class(rooms_by_size[max(known)] if known else 1)


def needed_by_rooms(
    households: Mapping[int, int], rooms_by_size: Mapping[int, int], scale: Decimal
) -> dict[int, int]:
    needed: dict[int, int] = {}
    for size, count in households.items():
        rooms = rooms_for(size, rooms_by_size)
        needed[rooms] = needed.get(rooms, 0) + scaled(count, scale)
    return needed


def forecast(
    *,
    starts: date,
    months: int,
    stock: Iterable[Stock],
    tenancies: Iterable[Tenancy],
    window: int,
    planned: Mapping[date, Mapping[int, int]],
    rooms_by_size: Mapping[int, int],
    measures: Iterable[Measure] = (),
    scale: Decimal = Decimal(1),
) -> Forecast:
    """The forecast for ``months`` months from ``starts`` (a month's first day).

    ``planned`` gives, per month (its first day), the households planned by size;
    ``measures`` ready before ``starts`` count in the first month.
    """
    first = first_of_month(starts)
    rates = hazards(tenancies, starts=first, window=window)
    by_class: dict[int, Stock] = {}
    for part in stock:
        size = room_class(part.rooms)
        known = by_class.get(size, Stock(size, 0, 0))
        by_class[size] = Stock(size, known.occupied + part.occupied, known.vacant + part.vacant)
    ready: dict[tuple[date, int], int] = {}
    for measure in measures:
        month = max(first_of_month(measure.ready_on), first)
        key = (month, room_class(measure.rooms))
        ready[key] = ready.get(key, 0) + measure.quantity
    result = []
    for k in range(months):
        month = add_months(first, k)
        needed = needed_by_rooms(planned.get(month, {}), rooms_by_size, scale)
        sizes = sorted(set(by_class) | set(needed) | {r for (m, r) in ready if m == month})
        rows = []
        for size in sizes:
            part = by_class.get(size, Stock(size, 0, 0))
            vacant = part.vacant if k == 0 else 0
            hazard = rates.get(size)
            mean = part.occupied * hazard.rate if hazard else 0.0
            low, high = band(mean)
            extra = ready.get((month, size), 0)
            need = needed.get(size, 0)
            free = vacant + mean + extra
            rows.append(
                RoomsForecast(
                    rooms=size,
                    vacant=vacant,
                    turnover_expected=mean,
                    turnover_low=low,
                    turnover_high=high,
                    from_measures=extra,
                    free_expected=free,
                    free_low=vacant + low + extra,
                    free_high=vacant + high + extra,
                    needed=need,
                    gap_expected=need - free,
                    gap_low=need - (vacant + high + extra),
                    gap_high=need - (vacant + low + extra),
                )
            )
        result.append(
            MonthForecast(
                month=month,
                by_rooms=tuple(rows),
                needed=sum(r.needed for r in rows),
                free_expected=sum(r.free_expected for r in rows),
                gap_expected=sum(r.gap_expected for r in rows),
                shortfall_expected=sum(max(r.gap_expected, 0.0) for r in rows),
            )
        )
    return Forecast(first, tuple(result), rates, window, scale, dict(rooms_by_size))
