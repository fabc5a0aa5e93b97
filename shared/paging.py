"""One way every list pages: bounded ``limit``/``offset``, and one envelope, :class:`Page`.

Every list endpoint answers ``{"results", "limit", "offset", "total", "next", "count"}``:

- ``results``: this page's items, in the list's documented, stable order (every ordered
  query ends in a unique tiebreaker, so no item is skipped or repeated between pages).
- ``limit``/``offset``: the page asked for (after defaults).
- ``total``: how many items the whole filtered list holds, where that is cheap (a
  ``COUNT`` over the same filtered query, or the length of a list computed in memory);
  ``null`` for a list that says why it omits it.
- ``next``: a relative link to the next page with the same filters, ``null`` on the last.
- ``count``: this page's size, kept for clients written before the envelope; deprecated.

PostgreSQL takes ``OFFSET``/``LIMIT`` as bigint: an offset beyond int64 used to fail
inside asyncpg. :data:`Offset` bounds it to 0 … :data:`MAX_OFFSET` and :data:`Limit` to
1 … :data:`MAX_LIMIT` (a list may keep a smaller maximum of its own), so anything else is a
422 from validation naming the parameter.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Generic, TypeVar

import sqlalchemy as sa
from fastapi import Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncConnection

MAX_OFFSET = 2**31 - 1
"""Deepest offset a list takes; no caseload, register or waiting list comes near it."""

MAX_LIMIT = 1000
"""Largest page any list serves."""

DEFAULT_LIMIT = 100
"""Page size when a request names none (a list may choose another default)."""

Offset = Annotated[
    int,
    Query(ge=0, le=MAX_OFFSET, description=f"Rows to skip, 0 … {MAX_OFFSET}."),
]
"""``offset`` query parameter: 0 … :data:`MAX_OFFSET`."""

Limit = Annotated[
    int,
    Query(ge=1, le=MAX_LIMIT, description=f"Rows per page, 1 … {MAX_LIMIT}."),
]
"""``limit`` query parameter: 1 … :data:`MAX_LIMIT`."""

Item = TypeVar("Item")


class Page(BaseModel, Generic[Item]):
    """One page of a list: the envelope every list endpoint answers.

    Use as ``response_model=Page[ItemModel]`` so each list's OpenAPI names its item type,
    and build the body with :func:`page` or :func:`page_of`.
    """

    model_config = ConfigDict(
        json_schema_extra={
            "description": "Én side av en liste. / One page of a list.",
        }
    )

    results: list[Item] = Field(
        description="Sidens elementer i listens faste rekkefølge. / This page's items, in "
        "the list's stable order."
    )
    limit: int = Field(description="Største antall per side. / Page size asked for.")
    offset: int = Field(description="Antall hoppet over. / Items skipped before this page.")
    total: int | None = Field(
        description="Antall i hele den filtrerte listen; null når listen ikke teller. / "
        "Items in the whole filtered list; null where the list does not count them."
    )
    next: str | None = Field(
        description="Relativ lenke til neste side med de samme filtrene; null på siste side. "
        "/ Relative link to the next page with the same filters; null on the last page."
    )
    count: int = Field(
        description="Utgått: antall på denne siden (bruk `results`). / Deprecated: the "
        "number of items on this page (use the length of `results`, or `total`).",
        json_schema_extra={"deprecated": True},
    )


def next_link(request: Request, limit: int, offset: int) -> str | None:
    """The relative link to the page at ``offset``, every other query parameter kept;
    None when that offset is beyond :data:`MAX_OFFSET` (the request would be refused)."""
    if offset > MAX_OFFSET:
        return None
    url = request.url.include_query_params(limit=limit, offset=offset)
    return f"{url.path}?{url.query}"


def page(
    request: Request,
    results: Sequence[Any],
    *,
    limit: int,
    offset: int,
    total: int | None,
    more: bool | None = None,
) -> dict[str, Any]:
    """The :class:`Page` body for ``results``, one page of a list.

    With ``total`` known, ``next`` is given while items remain after this page. A list that
    omits ``total`` says whether more follow with ``more`` (read ``limit + 1`` rows and
    pass whether the extra one came back).
    """
    if total is not None:
        more = offset + len(results) < total
    elif more is None:
        raise ValueError("a page without a total needs `more`")
    items = list(results)
    return {
        "results": items,
        "limit": limit,
        "offset": offset,
        "total": total,
        "next": next_link(request, limit, offset + len(items)) if more and items else None,
        "count": len(items),
    }


def page_of(request: Request, items: Sequence[Any], limit: int, offset: int) -> dict[str, Any]:
    """The :class:`Page` body for one page of a list computed whole in memory (so its total
    is its length)."""
    return page(
        request, items[offset : offset + limit], limit=limit, offset=offset, total=len(items)
    )


async def count_of(conn: AsyncConnection, query: sa.Select[Any]) -> int:
    """How many rows ``query`` (a list's filtered SELECT) gives, ignoring its order and
    paging: the list's ``total``."""
    counted = sa.select(sa.func.count()).select_from(
        query.order_by(None).limit(None).offset(None).subquery()
    )
    return int((await conn.execute(counted)).scalar_one())
