"""One built-in indicator across every municipality (national roles)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query

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
from services.indicators.domain.national import Entry, hide, ranked
from services.indicators.domain.suppression import DEFAULT_MIN_N, SYMBOL, check_min_n
from services.indicators.exports import csv_response
from services.indicators.loader import suppression_thresholds
from shared.csvio import HeadersQuery
from shared.deps import RuntimeDep
from shared.http import problem_responses

router = resource_router()

HIDDEN = ("value", "value_shown", "numerator", "denominator", "n", "lower", "upper")


def csv_cells(entry: Entry) -> list[Any]:
    """A row of the CSV: every hidden figure shows the suppression symbol (":")."""
    described = entry.describe()
    if entry.suppressed:
        described.update({key: SYMBOL for key in HIDDEN})
    if described["size"] is None:
        described["size"] = SYMBOL
    return list(described.values())


@router.get(
    "/national/{key}",
    summary="Én innebygd indikator for alle kommuner, rangert, med like store kommuner / One "
    "built-in indicator across all municipalities, ranked, with size peers",
    description=NATIONAL
    + ". `municipality` picks one to focus on: its entry and its peers are returned too.\n\n"
    "Småtallsprikking: en verdi som bygger på færre enn `min_n` personer (minst 5), eller "
    "færre enn kommunens egen planterskel om den er høyere, skjules (`suppressed: true`, tall "
    "null, «:» i CSV) og rangeres ikke. / Small-number suppression: a value resting on fewer "
    "than `min_n` people (at least 5) — or than the municipality's own plan threshold, when "
    "that is higher (listed in `suppression.plan_thresholds`) — is hidden (`suppressed: "
    "true`, figures null, ':' in CSV) and not ranked; `lower`/`upper` are the 95 % Wilson "
    "interval of a share.",
    responses=problem_responses(401, 403, 422),
)
async def get_national_comparison(
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
    min_n: Annotated[
        int,
        Query(
            description="Skjul verdier med færre personer enn dette (aldri under 5). / Hide "
            "values resting on fewer people than this (never below the floor of 5)."
        ),
    ] = DEFAULT_MIN_N,
) -> Any:
    check_min_n(min_n, field="min_n")
    wanted = application.parse_period(period)
    entries = await queries.national_for(runtime, state, key, wanted, as_of)
    # Each municipality's own plan decides how small a value of its may be shown; the
    # caller may only ask for more.
    async with runtime.db.snapshot() as conn:
        thresholds = await suppression_thresholds(conn, as_of.moment)
    entries = ranked(
        [hide(e, max(min_n, thresholds.get(e.municipality, DEFAULT_MIN_N))) for e in entries],
        BUILT_INS[key].direction,
    )
    if format == "csv":
        header = list(entries[0].describe()) if entries else ["municipality"]
        return csv_response(
            f"national-{key}-{wanted}.csv",
            header,
            [csv_cells(e) for e in entries],
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
        "suppression": {
            "min_n": min_n,
            "symbol": SYMBOL,
            "floor": DEFAULT_MIN_N,
            "plan_thresholds": {m: n for m, n in sorted(thresholds.items()) if n > min_n},
        },
        "entries": [e.describe() for e in entries],
        "focus": focus.describe() if focus else None,
        "peers": [
            e.describe()
            for e in entries
            if focus is not None and e.peer_group == focus.peer_group and e is not focus
        ],
    }
