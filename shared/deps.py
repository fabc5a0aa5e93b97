"""FastAPI dependency aliases shared by every service's routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from shared.auth import Principal, current_principal
from shared.commands import ExpectedVersionDep, IdempotencyKeyHeader, expected_version
from shared.service import Runtime


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
PrincipalDep = Annotated[Principal, Depends(current_principal)]


__all__ = [
    "ExpectedVersionDep",
    "IdempotencyKeyHeader",
    "PrincipalDep",
    "RuntimeDep",
    "expected_version",
    "get_runtime",
]
