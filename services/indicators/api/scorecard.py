"""The MRS scorecard: goals with traffic lights and their indicators."""

from __future__ import annotations

from typing import Any

from services.indicators import application, queries
from services.indicators.api.common import (
    AsOfDep,
    FormatQuery,
    LangQuery,
    MunicipalityQuery,
    PeriodQuery,
    Reader,
    StateDep,
    resource_router,
    scope,
    value_out,
)
from services.indicators.api.schemas import (
    ScorecardOut,
)
from services.indicators.domain.asof import AsOf
from services.indicators.domain.scoring import Scorecard
from services.indicators.exports import (
    csv_response,
    scorecard_rows,
)
from shared.deps import RuntimeDep
from shared.http import problem_responses

router = resource_router()


def scorecard_body(card: Scorecard, as_of: AsOf) -> dict[str, Any]:
    return {
        "municipality": card.municipality,
        "period": str(card.period),
        "as_of": as_of.label,
        "known_on": card.known_on.isoformat(),
        "complete": card.complete,
        "goals": [
            {
                **{
                    k: v
                    for k, v in goal_card.goal.describe().items()
                    if k not in ("indicator_keys", "version", "configured_after_as_of")
                },
                "depth": goal_card.depth,
                "level": goal_card.level.value if goal_card.level else None,
                "indicators": [value_out(v, card.municipality, as_of) for v in goal_card.values],
            }
            for goal_card in card.goals
        ],
        "ungrouped": [value_out(v, card.municipality, as_of) for v in card.ungrouped],
        "unknown_indicator_keys": card.unknown_keys,
    }


@router.get(
    "/scorecard",
    response_model=ScorecardOut,
    summary="The MRS scorecard: goals with traffic lights and their indicators",
    description="Only goals whose years overlap the period, in the plan as it stood at the "
    "as-of moment. Each indicator counts only facts of the scorecard's period: an indicator "
    "as coarse as the period or coarser is computed for the period itself (a yearly "
    "indicator on a quarter scorecard counts that quarter, without thresholds); a finer one "
    "for its own period containing the reference day — the period's last day, or the as-of "
    "date if earlier. Levels use that year's thresholds. A goal's light is the worst "
    "classified indicator of the goal and of the goals under it. `complete` is false while "
    "the period reaches into today. `format=csv` exports the table.",
    responses=problem_responses(401, 403, 422),
)
async def get_scorecard(
    period: PeriodQuery,
    runtime: RuntimeDep,
    state: StateDep,
    principal: Reader,
    as_of: AsOfDep,
    municipality: MunicipalityQuery = None,
    format: FormatQuery = "json",
    lang: LangQuery = "nb",
) -> Any:
    where = scope(principal, municipality)
    wanted = application.parse_period(period)
    _, card = await queries.scorecard_for(runtime, state, where, wanted, as_of)
    if format == "csv":
        header, rows = scorecard_rows(card, lang)
        return csv_response(f"scorecard-{where}-{wanted}.csv", header, rows)
    return scorecard_body(card, as_of)
