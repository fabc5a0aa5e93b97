"""Values of manual and imported indicators, registered per period."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Request, Response

from services.indicators import application
from services.indicators.api.common import (
    Editor,
    KeyPath,
    resource_router,
    run_command,
)
from services.indicators.commands import (
    ManualValueIn,
)
from shared.deps import IdempotencyKeyHeader, RuntimeDep
from shared.http import problem_responses

router = resource_router()


@router.put(
    "/definitions/{key}/values/{period}",
    summary="Register the value of a manual or imported indicator for a period",
    description="Only for `manual` and `imported` indicators, and only for periods of the "
    "indicator's granularity. A later registration for the same period replaces it from "
    "then on; as-of questions before it still see the earlier value.",
    responses=problem_responses(401, 403, 422),
)
async def register_value(
    key: KeyPath,
    period: Annotated[str, Path(description="2025, 2025-Q2 or 2025-03")],
    body: ManualValueIn,
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    principal: Editor,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    return await run_command(
        runtime,
        request,
        response,
        principal,
        lambda conn, metadata: application.record_manual_value(
            runtime, conn, metadata, key, period, body
        ),
        body.model_dump(mode="json"),
    )
