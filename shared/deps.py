"""FastAPI dependency aliases shared by every service's routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from shared.auth import Principal, current_principal
from shared.problems import InvalidInput, field_error
from shared.service import Runtime


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
PrincipalDep = Annotated[Principal, Depends(current_principal)]


async def expected_version(
    if_match: Annotated[
        str | None,
        Header(
            description='Optional: the version you last read (e.g. `"3"`); a stale one gives 409.',
        ),
    ] = None,
) -> int | None:
    if if_match is None:
        return None
    raw = if_match.strip().removeprefix("W/").strip('"')
    if not raw.isdigit():
        raise InvalidInput(
            "If-Match must be a version number.",
            [field_error("If-Match", 'expected a whole number such as "3"')],
        )
    return int(raw)


ExpectedVersionDep = Annotated[int | None, Depends(expected_version)]

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="Retry-safe key: a repeated request with the same key returns the first answer.",
    ),
]
