"""Rows of the read models as JSON-ready views."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

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


def view_of(row: sa.Row[Any]) -> dict[str, Any]:
    """The row as a JSON-ready dict, without its municipality (the caller's own)."""
    result: dict[str, Any] = jsonable(dict(row._mapping))
    result.pop("municipality", None)
    return result


async def row_at(
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


async def view_at(
    conn: AsyncConnection, table: sa.Table, key: str, value: uuid.UUID, municipality: str, what: str
) -> dict[str, Any]:
    """:func:`row_at` as a JSON-ready view (:func:`view_of`)."""
    return view_of(await row_at(conn, table, key, value, municipality, what))
