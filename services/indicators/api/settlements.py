"""How many persons were settled: the first slice, straight from the settlements table."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import sqlalchemy as sa
from fastapi import Query

from services.indicators.api.common import Reader, resource_router
from services.indicators.api.schemas import SettlementCount
from services.indicators.tables import settlements
from shared.deps import RuntimeDep
from shared.http import problem_responses

router = resource_router()


@router.get(
    "/settlements",
    response_model=SettlementCount,
    summary="Personer bosatt i et år / Persons settled in a year",
    description="Counts `participant.settled` events of the token's municipality whose "
    "`settled_on` falls in the calendar year.",
    responses=problem_responses(401, 403, 422),
)
async def get_settled_in_year(
    runtime: RuntimeDep,
    principal: Reader,
    year: Annotated[int, Query(ge=1990, le=2100, description="Calendar year, e.g. 2025")],
) -> SettlementCount:
    async with runtime.db.snapshot() as conn:
        count = await conn.scalar(
            sa.select(sa.func.count()).where(
                settlements.c.municipality == principal.municipality,
                settlements.c.settled_on >= date(year, 1, 1),
                settlements.c.settled_on < date(year + 1, 1, 1),
            )
        )
    return SettlementCount(municipality=principal.municipality, year=year, settled=int(count or 0))
