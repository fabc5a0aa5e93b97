"""The housing measures: time to first placement, moving out, owners, evictions."""

from __future__ import annotations

import statistics
import uuid
from collections import defaultdict
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.housing import domain
from services.housing import tables as t


async def time_to_first_placement(
    conn: AsyncConnection, municipality: str, settled_from: date, settled_to: date
) -> dict[str, Any]:
    """Days from settlement to the first placement, for households settled in the period."""
    h, p = t.households, t.placements
    first = (
        sa.select(p.c.household_id, sa.func.min(p.c.starts_on).label("first_on"))
        .where(p.c.municipality == municipality)
        .group_by(p.c.household_id)
        .subquery()
    )
    rows = (
        await conn.execute(
            sa.select(h.c.household_id, h.c.settled_on, first.c.first_on)
            .select_from(h.outerjoin(first, first.c.household_id == h.c.household_id))
            .where(
                h.c.municipality == municipality, h.c.settled_on.between(settled_from, settled_to)
            )
            .order_by(h.c.settled_on, h.c.household_id)
        )
    ).all()

    # The domain refuses a placement before settlement (before-settlement); a settlement
    # corrected to a later date afterwards would still make a placement look earlier, so
    # such a household is counted apart, never as a negative number of days.
    def days_of(row: Any) -> int | None:
        if row.first_on is None or row.first_on < row.settled_on:
            return None
        return int((row.first_on - row.settled_on).days)

    inconsistent = sum(
        1 for row in rows if row.first_on is not None and row.first_on < row.settled_on
    )
    days = [d for d in (days_of(row) for row in rows) if d is not None]
    return {
        "settled_from": settled_from.isoformat(),
        "settled_to": settled_to.isoformat(),
        "households_settled": len(rows),
        "households_placed": len(days),
        "households_not_placed": len(rows) - len(days) - inconsistent,
        "households_placed_before_settlement": inconsistent,
        "mean_days": round(statistics.fmean(days), 1) if days else None,
        "median_days": statistics.median(days) if days else None,
        "households": [
            {
                "household_id": str(row.household_id),
                "settled_on": row.settled_on.isoformat(),
                "first_placement_on": row.first_on.isoformat() if row.first_on else None,
                "days": days_of(row),
            }
            for row in rows
        ],
    }


CAREER_REASONS = frozenset({"private_rental", "bought_home"})


async def moved_out_within(
    conn: AsyncConnection,
    municipality: str,
    settled_from: date,
    settled_to: date,
    today: date,
    months: int = 27,
) -> dict[str, Any]:
    """Households settled in the period that lived in municipal housing, and whether they
    moved out of it within ``months`` of settlement (the MRS measure uses 27).

    A household moved out on the end date of a placement after which it had no
    municipal dwelling (a move between two municipal dwellings is not moving out).
    Households whose window has not closed yet and who have not moved out are counted
    apart (``window_open``), not as failures.
    """
    h, p = t.households, t.placements
    rows = (
        await conn.execute(
            sa.select(
                h.c.household_id,
                h.c.settled_on,
                p.c.starts_on,
                p.c.ends_on,
                p.c.end_reason,
            )
            .select_from(h.join(p, p.c.household_id == h.c.household_id))
            .where(
                h.c.municipality == municipality, h.c.settled_on.between(settled_from, settled_to)
            )
            .order_by(h.c.household_id, p.c.starts_on)
        )
    ).all()
    by_household: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for row in rows:
        by_household[row.household_id].append(row)
    households = []
    by_reason: dict[str, int] = defaultdict(int)
    within = career = window_open = 0
    for household_id, stays in by_household.items():
        settled_on = stays[0].settled_on
        deadline = domain.add_months(settled_on, months)
        moved_on, reason = None, None
        for stay in stays:
            if stay.ends_on is None:
                continue
            covered = any(
                other.starts_on <= stay.ends_on
                and (other.ends_on is None or other.ends_on > stay.ends_on)
                for other in stays
                if other is not stay
            )
            if not covered:
                moved_on, reason = stay.ends_on, stay.end_reason
                break
        in_window = moved_on is not None and moved_on <= deadline
        if in_window:
            within += 1
            by_reason[str(reason)] += 1
            career += reason in CAREER_REASONS
        elif deadline > today:
            window_open += 1
        households.append(
            {
                "household_id": str(household_id),
                "settled_on": settled_on.isoformat(),
                "deadline": deadline.isoformat(),
                "moved_out_on": moved_on.isoformat() if moved_on else None,
                "reason": reason,
                "within": in_window,
            }
        )
    measured = len(by_household) - window_open
    return {
        "months": months,
        "settled_from": settled_from.isoformat(),
        "settled_to": settled_to.isoformat(),
        "households_in_municipal_housing": len(by_household),
        "window_open": window_open,
        "measured": measured,
        "moved_out_within": within,
        "share": round(within / measured, 4) if measured else None,
        "moved_to_private_rental_or_own_home": career,
        "share_private_rental_or_own_home": round(career / measured, 4) if measured else None,
        "by_reason": dict(sorted(by_reason.items())),
        "households": households,
    }


async def _per_year(
    conn: AsyncConnection,
    day: sa.Column[Any],
    kind: sa.Column[Any],
    municipality: str,
    from_year: int,
    to_year: int,
) -> dict[int, dict[str, int]]:
    """Rows counted per calendar year of ``day`` and value of ``kind``; every year is there."""
    table = day.table
    year = sa.extract("year", day)
    rows = await conn.execute(
        sa.select(year.label("year"), kind.label("kind"), sa.func.count().label("n"))
        .where(
            table.c.municipality == municipality,
            day.is_not(None),
            year >= from_year,
            year <= to_year,
        )
        .group_by(year, kind)
    )
    counts: dict[int, dict[str, int]] = {y: {} for y in range(from_year, to_year + 1)}
    for row in rows:
        counts[int(row.year)][row.kind] = int(row.n)
    return counts


async def owners_per_year(
    conn: AsyncConnection, municipality: str, from_year: int, to_year: int
) -> list[dict[str, Any]]:
    o = t.ownerships
    counts = await _per_year(conn, o.c.became_owner_on, o.c.route, municipality, from_year, to_year)
    return [
        {"year": y, "rent_to_own": 0, "start_loan": 0, **by_route, "total": sum(by_route.values())}
        for y, by_route in counts.items()
    ]


async def evictions_per_year(
    conn: AsyncConnection, municipality: str, from_year: int, to_year: int
) -> list[dict[str, Any]]:
    p = t.placements
    counts = await _per_year(
        conn, p.c.evicted_on, p.c.eviction_grounds, municipality, from_year, to_year
    )
    return [
        {"year": y, "evictions": sum(g.values()), "by_grounds": dict(sorted(g.items()))}
        for y, g in counts.items()
    ]
