"""The rent rates: their history and the version in force on a day."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.housing import tables as t
from services.housing.domain import money
from services.housing.queries.rows import jsonable
from shared import dates


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
