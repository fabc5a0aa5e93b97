"""Read side of the housing service: views and reports over the projections.

Every query is scoped to the caller's municipality; ids of another municipality
answer 404 like ids that do not exist.
"""

from __future__ import annotations

import statistics
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.housing import domain
from services.housing import tables as t
from services.housing.domain import allocation, money
from shared import dates
from shared.problems import NotFound


def jsonable(value: Any) -> Any:
    """Dates as ISO strings, ids as strings, decimals as numbers — ready for JSON(B)."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def _row(row: sa.Row[Any]) -> dict[str, Any]:
    result: dict[str, Any] = jsonable(dict(row._mapping))
    result.pop("municipality", None)
    return result


async def _one(
    conn: AsyncConnection, table: sa.Table, key: str, value: uuid.UUID, municipality: str, what: str
) -> sa.Row[Any]:
    """The row whose ``key`` is ``value`` in the caller's municipality; 404 otherwise."""
    row = (
        await conn.execute(
            sa.select(table).where(table.c[key] == value, table.c.municipality == municipality)
        )
    ).one_or_none()
    if row is None:
        raise NotFound(f"No {what} {value} in municipality {municipality}.")
    return row


async def settled_household(
    conn: AsyncConnection, household_id: uuid.UUID, municipality: str
) -> dict[str, Any] | None:
    row = (
        await conn.execute(
            sa.select(t.households).where(
                t.households.c.household_id == household_id,
                t.households.c.municipality == municipality,
            )
        )
    ).one_or_none()
    return dict(row._mapping) if row is not None else None


def gone_by(on: date | sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """Members of ``households`` gone (moved, died, emigrated, left) by the end of ``on``."""
    m = t.household_members
    return (
        sa.select(sa.func.count())
        .where(
            m.c.household_id == t.households.c.household_id,
            m.c.gone_on.is_not(None),
            m.c.gone_on <= on,
        )
        .scalar_subquery()
    )


def size_on(on: date | sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """The household's size on ``on``: as settled, less the members gone by then."""
    h = t.households
    return sa.case(
        (sa.and_(h.c.left_on.is_not(None), h.c.left_on <= on), 0),
        else_=sa.func.greatest(h.c.household_size - gone_by(on), 0),
    )


def left_by(on: date | sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
    """The application's household had left by ``on``: every settled member gone, or every
    member erased (then housing no longer knows the household at all)."""
    h, a = t.households, t.applications
    known = sa.select(h.c.household_id).where(h.c.household_id == a.c.household_id)
    return sa.or_(
        known.where(h.c.left_on <= on).exists(),
        sa.not_(known.exists()),
    )


async def household_on(
    conn: AsyncConnection, household_id: uuid.UUID, on: date
) -> dict[str, Any] | None:
    """The household as the participants service described it, on ``on``.

    Members count until (not including) the day they left; a departure announced ahead
    changes nothing before its date. Ages are ``on.year − birth year`` (only the birth
    year is published), for the members present whose birth year is known.
    """
    h, m, b = t.households, t.household_members, t.birth_years
    row = (
        await conn.execute(
            sa.select(h, size_on(on).label("size_on")).where(h.c.household_id == household_id)
        )
    ).one_or_none()
    if row is None:
        return None
    members = (
        await conn.execute(
            sa.select(m.c.participant_id, m.c.gone_on, m.c.gone_reason, b.c.birth_year)
            .select_from(m.outerjoin(b, b.c.participant_id == m.c.participant_id))
            .where(m.c.household_id == household_id)
        )
    ).all()
    present = [r for r in members if r.gone_on is None or r.gone_on > on]
    left = row.left_on is not None and row.left_on <= on
    return {
        "household_id": household_id,
        "municipality": row.municipality,
        "settled_on": row.settled_on,
        "on": on,
        "household_size": int(row.size_on),
        "members_settled": row.members_settled,
        "members_present": len(present),
        "member_ages": sorted(
            (on.year - r.birth_year for r in present if r.birth_year is not None), reverse=True
        ),
        "unaccompanied_minor": row.unaccompanied_minor,
        "left": left,
        "left_on": row.left_on,
        "left_reason": row.left_reason,
        "left_to_municipality": row.left_to_municipality,
        "departures": sorted(r.gone_on for r in members if r.gone_on is not None),
        "members": [(r.participant_id, r.gone_on) for r in members],
    }


# -- dwellings ---------------------------------------------------------------------------


async def dwelling_view(
    conn: AsyncConnection, dwelling_id: uuid.UUID, municipality: str
) -> dict[str, Any]:
    return _row(await _one(conn, t.dwellings, "dwelling_id", dwelling_id, municipality, "dwelling"))


async def list_dwellings(
    conn: AsyncConnection,
    municipality: str,
    *,
    status: str | None,
    district: str | None,
    min_rooms: int | None,
    limit: int,
    offset: int,
) -> list[dict[str, Any]]:
    d = t.dwellings
    query = sa.select(d).where(d.c.municipality == municipality)
    if status:
        query = query.where(d.c.status == status)
    if district:
        query = query.where(d.c.district == district)
    if min_rooms:
        query = query.where(d.c.rooms >= min_rooms)
    rows = await conn.execute(
        query.order_by(d.c.district, d.c.rooms, d.c.dwelling_id).limit(limit).offset(offset)
    )
    return [_row(row) for row in rows]


STATUSES = ("vacant", "occupied", "under_renovation", "sold")


async def stock(conn: AsyncConnection, municipality: str) -> dict[str, Any]:
    """Counts by district, by rooms and by status; occupancy = occupied / dwellings in stock."""
    d = t.dwellings
    rows = (
        await conn.execute(
            sa.select(d.c.district, d.c.rooms, d.c.status, sa.func.count().label("n"))
            .where(d.c.municipality == municipality)
            .group_by(d.c.district, d.c.rooms, d.c.status)
        )
    ).all()

    def group(key: str) -> list[dict[str, Any]]:
        buckets: dict[Any, dict[str, int]] = defaultdict(lambda: dict.fromkeys(STATUSES, 0))
        for row in rows:
            buckets[getattr(row, key)][row.status] += int(row.n)
        return [_bucket({key: k}, counts) for k, counts in sorted(buckets.items())]

    totals = dict.fromkeys(STATUSES, 0)
    for row in rows:
        totals[row.status] += int(row.n)
    return {
        "total": _bucket({}, totals),
        "by_district": group("district"),
        "by_rooms": group("rooms"),
        "by_status": [{"status": s, "dwellings": totals[s]} for s in STATUSES],
    }


def _bucket(key: dict[str, Any], counts: dict[str, int]) -> dict[str, Any]:
    in_stock = sum(counts.values()) - counts["sold"]
    return {
        **key,
        "dwellings": sum(counts.values()),
        "in_stock": in_stock,
        **counts,
        "occupancy_rate": round(counts["occupied"] / in_stock, 4) if in_stock else None,
    }


# -- rent --------------------------------------------------------------------------------


def _rates(row: sa.Row[Any]) -> money.RentRates:
    return money.RentRates(
        valid_from=row.valid_from,
        fdv_per_m2_year={
            "low": row.fdv_per_m2_year_low,
            "normal": row.fdv_per_m2_year_normal,
            "high": row.fdv_per_m2_year_high,
        },
        government_bond_rate_percent=row.government_bond_rate_percent,
        capital_markup_points=row.capital_markup_points,
    )


def _rates_dict(row: sa.Row[Any]) -> dict[str, Any]:
    return {
        "valid_from": row.valid_from.isoformat(),
        "fdv_per_m2_year": {
            "low": jsonable(row.fdv_per_m2_year_low),
            "normal": jsonable(row.fdv_per_m2_year_normal),
            "high": jsonable(row.fdv_per_m2_year_high),
        },
        "government_bond_rate_percent": jsonable(row.government_bond_rate_percent),
        "capital_markup_points": jsonable(row.capital_markup_points),
        "recorded_at": row.recorded_at.isoformat(),
    }


async def rent_rates_view(
    conn: AsyncConnection, municipality: str, today: date | None = None
) -> dict[str, Any]:
    r = t.rent_rates
    rows = (
        await conn.execute(
            sa.select(r).where(r.c.municipality == municipality).order_by(r.c.valid_from)
        )
    ).all()
    today = today or dates.today()
    current = [row for row in rows if row.valid_from <= today]
    return {
        "current": _rates_dict(current[-1]) if current else None,
        "history": [_rates_dict(row) for row in rows],
    }


async def rates_on(conn: AsyncConnection, municipality: str, on: date) -> money.RentRates | None:
    r = t.rent_rates
    row = (
        await conn.execute(
            sa.select(r)
            .where(r.c.municipality == municipality, r.c.valid_from <= on)
            .order_by(r.c.valid_from.desc())
            .limit(1)
        )
    ).one_or_none()
    return _rates(row) if row is not None else None


# -- waiting list ------------------------------------------------------------------------


async def application_view(
    conn: AsyncConnection, application_id: uuid.UUID, municipality: str
) -> dict[str, Any]:
    row = await _one(
        conn, t.applications, "application_id", application_id, municipality, "application"
    )
    view = _row(row)
    view.pop("urgency_rank", None)
    view.update(await _waiting_end(conn, row))
    n = t.application_member_needs
    view["members"] = [
        jsonable(dict(r._mapping))
        for r in await conn.execute(
            sa.select(n.c.participant_id, n.c.needs_wheelchair_access, n.c.needs_step_free)
            .where(n.c.application_id == application_id)
            .order_by(n.c.participant_id)
        )
    ]
    return view


async def _waiting_end(conn: AsyncConnection, row: sa.Row[Any]) -> dict[str, Any]:
    """Until when the household waits and why it stops (maybe ahead: a move announced)."""
    h, m = t.households, t.household_members
    left = (
        await conn.execute(
            sa.select(h.c.left_on, h.c.left_reason, h.c.left_to_municipality).where(
                h.c.household_id == row.household_id
            )
        )
    ).one_or_none()
    on = dates.today()
    gone = int(
        await conn.scalar(
            sa.select(sa.func.count()).where(
                m.c.household_id == row.household_id,
                m.c.gone_on > row.received_on,
                m.c.gone_on <= on,
            )
        )
        or 0
    )
    size = {
        "applied_household_size": row.household_size,
        "household_size": max(row.household_size - gone, 0),
    }
    reason = {"rejected": "rejected", "withdrawn": "withdrawn", "housed": "housed"}.get(row.status)
    until = row.waiting_until
    to_municipality = None
    if left is None and until is None:
        return {
            **size,
            "waiting_until": None,
            "waiting_end_reason": "erased",
            "left_to_municipality": None,
        }
    if left is not None and left.left_on is not None and (until is None or left.left_on < until):
        until, reason, to_municipality = left.left_on, left.left_reason, left.left_to_municipality
    return {
        **size,
        "waiting_until": until.isoformat() if until else None,
        "waiting_end_reason": reason if until else None,
        "left_to_municipality": to_municipality,
    }


def _waiting_on(on: date) -> sa.ColumnElement[bool]:
    a = t.applications
    return sa.and_(
        a.c.received_on <= on,
        sa.or_(a.c.waiting_until.is_(None), a.c.waiting_until > on),
        sa.not_(left_by(on)),
    )


async def waiting_list(
    conn: AsyncConnection, municipality: str, on: date, *, limit: int, offset: int
) -> dict[str, Any]:
    """Households waiting at the end of ``on``, in priority order (urgency, then waiting time).

    A household waits from the day its application is received until it is rejected,
    withdraws, or moves in. ``status`` is the application's status on that day.
    """
    a = t.applications
    where = sa.and_(a.c.municipality == municipality, _waiting_on(on))
    total = int(await conn.scalar(sa.select(sa.func.count()).where(where)) or 0)
    m = t.household_members
    # One member fewer for each who left after the application was received.
    gone_since = (
        sa.select(sa.func.count())
        .where(
            m.c.household_id == a.c.household_id,
            m.c.gone_on > a.c.received_on,
            m.c.gone_on <= on,
        )
        .scalar_subquery()
    )
    rows = await conn.execute(
        sa.select(
            a.c.application_id,
            a.c.household_id,
            sa.func.greatest(a.c.household_size - gone_since, 1).label("household_size"),
            a.c.urgency,
            a.c.received_on,
            a.c.accepted_on,
            a.c.district_wishes,
        )
        .where(where)
        .order_by(a.c.urgency_rank, a.c.received_on, a.c.application_id)
        .limit(limit)
        .offset(offset)
    )
    entries = []
    for position, row in enumerate(rows, start=offset + 1):
        accepted = row.accepted_on is not None and row.accepted_on <= on
        entries.append(
            {
                "position": position,
                "application_id": str(row.application_id),
                "household_id": str(row.household_id),
                "household_size": row.household_size,
                "urgency": row.urgency,
                "received_on": row.received_on.isoformat(),
                "days_waiting": (on - row.received_on).days,
                "status": "accepted" if accepted else "pending",
                "district_wishes": list(row.district_wishes),
            }
        )
    return {"on": on.isoformat(), "households_waiting": total, "entries": entries}


def month_end(year: int, month: int) -> date:
    first_of_next = date(year + month // 12, month % 12 + 1, 1)
    return first_of_next - timedelta(days=1)


async def month_end_counts(
    conn: AsyncConnection, municipality: str, months: Sequence[tuple[int, int]]
) -> list[tuple[int, int, date, int]]:
    """(year, month, month end, households waiting at the end of that day) for each month."""
    a = t.applications
    ends = [month_end(y, m) for y, m in months]
    series = (
        sa.func.unnest(sa.cast(ends, sa.ARRAY(sa.Date)))
        .table_valued("month_end")
        .render_derived(name="month_ends")
    )
    rows = await conn.execute(
        sa.select(
            series.c.month_end,
            sa.func.count(sa.distinct(a.c.household_id)).label("waiting"),
        )
        .select_from(
            series.outerjoin(
                a,
                sa.and_(
                    a.c.municipality == municipality,
                    a.c.received_on <= series.c.month_end,
                    sa.or_(a.c.waiting_until.is_(None), a.c.waiting_until > series.c.month_end),
                    sa.not_(left_by(series.c.month_end)),
                ),
            )
        )
        .group_by(series.c.month_end)
    )
    counts = {row.month_end: int(row.waiting) for row in rows}
    return [(y, m, end, counts.get(end, 0)) for (y, m), end in zip(months, ends, strict=True)]


# -- placements and ownership --------------------------------------------------------------


async def placement_view(
    conn: AsyncConnection, placement_id: uuid.UUID, municipality: str
) -> dict[str, Any]:
    row = await _one(conn, t.placements, "placement_id", placement_id, municipality, "placement")
    view = _row(row)
    view["active"] = view["ends_on"] is None
    return view


async def active_placement_dwelling(
    conn: AsyncConnection, household_id: uuid.UUID
) -> uuid.UUID | None:
    p = t.placements
    found = await conn.scalar(
        sa.select(p.c.dwelling_id).where(p.c.household_id == household_id, p.c.ends_on.is_(None))
    )
    return found if isinstance(found, uuid.UUID) else None


async def agreement_view(
    conn: AsyncConnection, agreement_id: uuid.UUID, municipality: str
) -> dict[str, Any]:
    return _row(
        await _one(
            conn, t.rent_to_own, "agreement_id", agreement_id, municipality, "rent-to-own agreement"
        )
    )


async def loan_view(conn: AsyncConnection, loan_id: uuid.UUID, municipality: str) -> dict[str, Any]:
    view = _row(await _one(conn, t.start_loans, "loan_id", loan_id, municipality, "start loan"))
    view["assessment"] = {
        "assessed_income_per_year": view.pop("assessed_income"),
        "of_which_introduction_benefit": view.pop("introduction_benefit"),
        "note": "Introduction benefit (introduksjonsstønad) counts as income in the "
        "assessment: assessed income = employment income + introduction benefit + other income.",
    }
    return view


async def ownership_view(
    conn: AsyncConnection, household_id: uuid.UUID, municipality: str
) -> dict[str, Any]:
    return _row(
        await _one(
            conn, t.ownerships, "household_id", household_id, municipality, "owner household"
        )
    )


# -- a household's housing history ---------------------------------------------------------


async def household_history(
    conn: AsyncConnection,
    household_id: uuid.UUID,
    municipality: str,
    timeline: list[dict[str, Any]],
) -> dict[str, Any]:
    settled = await settled_household(conn, household_id, municipality)
    if settled is None and not timeline:
        raise NotFound(f"No household {household_id} in municipality {municipality}.")

    async def rows(table: sa.Table, order: sa.ColumnElement[Any]) -> list[dict[str, Any]]:
        result = await conn.execute(
            sa.select(table)
            .where(table.c.household_id == household_id, table.c.municipality == municipality)
            .order_by(order)
        )
        out = []
        for row in result:
            item: dict[str, Any] = jsonable(dict(row._mapping))
            item.pop("municipality", None)
            item.pop("household_id", None)
            out.append(item)
        return out

    applications = await rows(t.applications, t.applications.c.received_on)
    for item in applications:
        item.pop("urgency_rank", None)
    placements = await rows(t.placements, t.placements.c.starts_on)
    ownership = await rows(t.ownerships, t.ownerships.c.became_owner_on)
    first_placement = placements[0]["starts_on"] if placements else None
    days_to_first = (
        (date.fromisoformat(first_placement) - settled["settled_on"]).days
        if settled and first_placement
        else None
    )
    if days_to_first is not None and days_to_first < 0:
        days_to_first = None
    today = dates.today()
    present = await household_on(conn, household_id, today) if settled else None
    active = next((p for p in placements if p["ends_on"] is None), None)
    waiting = next((a for a in applications if a["waiting_until"] is None), None)
    if present is not None and present["left"]:
        situation = "left"
    elif ownership:
        situation = "owner"
    elif active:
        situation = "in_municipal_dwelling"
    elif waiting:
        situation = "waiting"
    else:
        situation = "no_municipal_housing"
    return {
        "household_id": str(household_id),
        "situation": situation,
        "settlement": jsonable(
            {
                k: v
                for k, v in present.items()
                if k not in ("municipality", "household_id", "departures")
            }
        )
        if present
        else None,
        "days_from_settlement_to_first_placement": days_to_first,
        "applications": applications,
        "placements": placements,
        "rent_to_own_agreements": await rows(t.rent_to_own, t.rent_to_own.c.agreed_on),
        "start_loans": await rows(t.start_loans, t.start_loans.c.applied_on),
        "ownership": ownership[0] if ownership else None,
        "timeline": timeline,
    }


# -- allocation suggestions ----------------------------------------------------------------


async def candidates(
    conn: AsyncConnection, municipality: str, on: date | None = None
) -> tuple[list[allocation.Candidate], set[uuid.UUID]]:
    """Accepted applications on the waiting list on ``on``, and the households among them
    that still live in a municipal dwelling (a transfer: they must move out of it first).

    A household that has left by ``on`` is not a candidate; one whose members left since
    it applied counts one member fewer for each (its recorded ages then no longer say who
    is left, so the norm uses the size alone)."""
    on = on or dates.today()
    a, p, m, n = t.applications, t.placements, t.household_members, t.application_member_needs

    def member_needs(flag: sa.Column[Any]) -> sa.ColumnElement[bool]:
        """A member's need counts while they live in the household."""
        return (
            sa.select(n.c.participant_id)
            .select_from(n.join(m, m.c.participant_id == n.c.participant_id))
            .where(
                n.c.application_id == a.c.application_id,
                flag.is_(True),
                sa.or_(m.c.gone_on.is_(None), m.c.gone_on > on),
            )
            .exists()
        )

    gone_since = (
        sa.select(sa.func.count())
        .where(
            m.c.household_id == a.c.household_id,
            m.c.gone_on > a.c.received_on,
            m.c.gone_on <= on,
        )
        .scalar_subquery()
    )
    placed = (
        sa.select(p.c.placement_id)
        .where(p.c.household_id == a.c.household_id, p.c.ends_on.is_(None))
        .exists()
    )
    # The arrays come back from asyncpg as lists already; SQLAlchemy's ARRAY type would
    # re-process every element (≈ 40 ms for 5,000 rows), so they are read untyped.
    rows = await conn.execute(
        sa.select(
            a.c.application_id,
            a.c.household_id,
            a.c.household_size,
            sa.type_coerce(a.c.member_ages, sa.types.NullType()),
            sa.or_(a.c.needs_wheelchair_access, member_needs(n.c.needs_wheelchair_access)),
            sa.or_(a.c.needs_step_free, member_needs(n.c.needs_step_free)),
            sa.type_coerce(a.c.district_wishes, sa.types.NullType()),
            a.c.urgency,
            a.c.received_on,
            placed.label("placed"),
            gone_since.label("gone"),
        ).where(
            a.c.municipality == municipality,
            a.c.status == "accepted",
            sa.not_(left_by(on)),
        )
    )
    found, placed_households = [], set()
    make = allocation.Candidate
    for (
        app_id,
        household,
        size,
        ages,
        wheelchair,
        step_free,
        wishes,
        urgency,
        received,
        is_placed,
        gone,
    ) in rows:
        if is_placed:
            placed_households.add(household)
            continue
        found.append(
            make(
                app_id,
                household,
                max(size - gone, 1),
                tuple(ages) if not gone or len(ages) == size - gone else (),
                wheelchair,
                step_free,
                tuple(wishes),
                urgency,
                received,
            )
        )
    return found, placed_households


# -- reports -------------------------------------------------------------------------------


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
                h.c.municipality == municipality,
                h.c.settled_on >= settled_from,
                h.c.settled_on <= settled_to,
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
                h.c.municipality == municipality,
                h.c.settled_on >= settled_from,
                h.c.settled_on <= settled_to,
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


async def owners_per_year(
    conn: AsyncConnection, municipality: str, from_year: int, to_year: int
) -> list[dict[str, Any]]:
    o = t.ownerships
    year = sa.extract("year", o.c.became_owner_on)
    rows = await conn.execute(
        sa.select(year.label("year"), o.c.route, sa.func.count().label("n"))
        .where(o.c.municipality == municipality, year >= from_year, year <= to_year)
        .group_by(year, o.c.route)
    )
    counts: dict[int, dict[str, int]] = {
        y: {"rent_to_own": 0, "start_loan": 0} for y in range(from_year, to_year + 1)
    }
    for row in rows:
        counts[int(row.year)][row.route] = int(row.n)
    return [
        {"year": y, **by_route, "total": sum(by_route.values())} for y, by_route in counts.items()
    ]


async def evictions_per_year(
    conn: AsyncConnection, municipality: str, from_year: int, to_year: int
) -> list[dict[str, Any]]:
    p = t.placements
    year = sa.extract("year", p.c.evicted_on)
    rows = await conn.execute(
        sa.select(year.label("year"), p.c.eviction_grounds, sa.func.count().label("n"))
        .where(
            p.c.municipality == municipality,
            p.c.evicted_on.is_not(None),
            year >= from_year,
            year <= to_year,
        )
        .group_by(year, p.c.eviction_grounds)
    )
    counts: dict[int, dict[str, int]] = {y: {} for y in range(from_year, to_year + 1)}
    for row in rows:
        counts[int(row.year)][row.eviction_grounds] = int(row.n)
    return [
        {"year": y, "evictions": sum(g.values()), "by_grounds": dict(sorted(g.items()))}
        for y, g in counts.items()
    ]
