"""Households as the participants service told housing about them, on any day."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.housing import tables as t
from services.housing.queries.rows import jsonable
from shared import dates
from shared.problems import NotFound


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
