"""One built-in indicator across every municipality (national roles)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path

from services.indicators import application, queries
from services.indicators.api.common import (
    Agency,
    AsOfDep,
    FormatQuery,
    LangQuery,
    MunicipalityQuery,
    PeriodQuery,
    StateDep,
    resource_router,
)
from services.indicators.docs import NATIONAL
from services.indicators.domain.catalogue import BUILT_INS
from services.indicators.exports import csv_response
from shared.csvio import HeadersQuery
from shared.deps import RuntimeDep
from shared.http import problem_responses

router = resource_router()


@router.get(
    "/national/{key}",
    summary="One built-in indicator across all municipalities, ranked, with size peers",
    description=NATIONAL
    + ". `municipality` picks one to focus on: its entry and its peers are returned too.",
    responses=problem_responses(401, 403, 422),
)
async def national(
    key: Annotated[str, Path(description="A built-in indicator key (GET /indicators/catalogue)")],
    period: PeriodQuery,
    runtime: RuntimeDep,
    state: StateDep,
    principal: Agency,
    as_of: AsOfDep,
    municipality: MunicipalityQuery = None,
    format: FormatQuery = "json",
    lang: LangQuery = "nb",
    headers: HeadersQuery = "labels",
) -> Any:
    wanted = application.parse_period(period)
    entries = await queries.national_for(runtime, state, key, wanted, as_of)
    if format == "csv":
        header = list(entries[0].describe()) if entries else ["municipality"]
        return csv_response(
            f"national-{key}-{wanted}.csv",
            header,
            [list(e.describe().values()) for e in entries],
            lang,
            headers,
        )
    focus = next((e for e in entries if e.municipality == municipality), None)
    return {
        "indicator_key": key,
        "period": str(wanted),
        "as_of": as_of.label,
        "direction": BUILT_INS[key].direction.value,
        "size": "persons settled in the five years up to the period's end",
        "entries": [e.describe() for e in entries],
        "focus": focus.describe() if focus else None,
        "peers": [
            e.describe()
            for e in entries
            if focus is not None and e.peer_group == focus.peer_group and e is not focus
        ],
    }
