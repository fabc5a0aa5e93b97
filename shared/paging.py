"""Paging query parameters with bounds, so no page request reaches the database as a 500.

PostgreSQL takes ``OFFSET``/``LIMIT`` as bigint: an offset beyond int64 used to fail
inside asyncpg. :data:`Offset` bounds it to 0 … :data:`MAX_OFFSET` and :data:`Limit` to
1 … :data:`MAX_LIMIT` (a list may keep a smaller maximum of its own), so anything else is a
422 from validation naming the parameter.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

MAX_OFFSET = 2**31 - 1
"""Deepest offset a list takes; no caseload, register or waiting list comes near it."""

MAX_LIMIT = 1000
"""Largest page any list serves."""

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
