"""Caseloads and deadline lists: what an adviser must act on next."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from services.participants import audit, queries
from services.participants.api.common import Reader, sees_personal_data, today
from shared.deps import RuntimeDep
from shared.http import problem_responses

router = APIRouter(tags=["casework"])


@router.get(
    "/advisers/{adviser}/caseload",
    summary="An adviser's caseload: participants with a running programme",
    responses=problem_responses(401, 403, 422),
)
async def caseload(
    adviser: str, request: Request, runtime: RuntimeDep, principal: Reader
) -> dict[str, Any]:
    personal = sees_personal_data(principal)
    async with runtime.db.transaction() as conn:
        rows = await queries.search(
            conn,
            runtime.settings,
            principal.municipality,
            queries.Filters(adviser=adviser),
            today(),
            personal,
            limit=10_000,
            offset=0,
        )
        active = [r for r in rows if r["status"] in {"in_programme", "paused"}]
        if personal:
            await audit.record_reads(
                conn, principal, request, [uuid.UUID(r["id"]) for r in active], "caseload"
            )
    return {"adviser": adviser, "count": len(active), "participants": active}


@router.get(
    "/deadlines",
    summary="Deadline lists",
    description="Four lists for the token's municipality: `programmes_ending` (planned end "
    "within `within_days`, default 90), `plans_below_full_time` (current plan under 37.5 h/week "
    "or no plan yet), `no_recent_follow_up` (no follow-up conversation in the last "
    "`follow_up_days`, default 14) and `ended_without_outcome` (ended programmes with no "
    "outcome registered — IMDi's most common data fault).",
    responses=problem_responses(401, 403, 422),
)
async def deadlines(
    request: Request,
    runtime: RuntimeDep,
    principal: Reader,
    within_days: Annotated[int, Query(ge=1, le=730)] = 90,
    follow_up_days: Annotated[int, Query(ge=1, le=365)] = 14,
) -> dict[str, Any]:
    personal = sees_personal_data(principal)
    async with runtime.db.transaction() as conn:
        lists = await queries.deadlines(
            conn, principal.municipality, today(), within_days, follow_up_days, personal
        )
        if personal:
            shown = {uuid.UUID(r["id"]) for rows in lists.values() for r in rows}
            await audit.record_reads(conn, principal, request, sorted(shown), "deadlines")
    return {name: {"count": len(rows), "participants": rows} for name, rows in lists.items()}
