"""HTTP routes of the indicators service."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from services.indicators.tables import settlements
from shared.auth import Principal, require_roles
from shared.deps import RuntimeDep
from shared.http import problem_responses

router = APIRouter(prefix="/indicators", tags=["indicators"])

Reader = Annotated[Principal, Depends(require_roles("manager", "analyst", "caseworker", "agency"))]


class SettlementCount(BaseModel):
    municipality: str
    year: int
    settled: int


@router.get(
    "/settlements",
    response_model=SettlementCount,
    summary="Persons settled in a year",
    description="Counts `participant.settled` events of the token's municipality whose "
    "`settled_on` falls in the calendar year.",
    responses=problem_responses(401, 403, 422),
)
async def settled_in_year(
    runtime: RuntimeDep,
    principal: Reader,
    year: Annotated[int, Query(ge=1990, le=2100, description="Calendar year, e.g. 2025")],
) -> SettlementCount:
    async with runtime.db.connect() as conn:
        count = await conn.scalar(
            sa.select(sa.func.count()).where(
                settlements.c.municipality == principal.municipality,
                settlements.c.settled_on >= date(year, 1, 1),
                settlements.c.settled_on < date(year + 1, 1, 1),
            )
        )
    return SettlementCount(municipality=principal.municipality, year=year, settled=int(count or 0))
