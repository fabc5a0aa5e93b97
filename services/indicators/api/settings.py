"""The plan's settings: the small-number suppression threshold."""

from __future__ import annotations

from typing import Any

from services.indicators import application
from services.indicators.api.common import Manager, PlanDep, plan_change, resource_router
from services.indicators.commands import SettingsIn
from shared.http import problem_responses

router = resource_router()

SUPPRESSION = (
    "`suppression_min_n`: verdier som bygger på færre personer skjules i alt som forlater "
    "kommunen (CSV, rapporter, nasjonal sammenligning, andre kommuners innsyn); aldri under "
    "`suppression_floor` (5). / Values resting on fewer people are hidden in every output "
    "that leaves the municipality (CSV, reports, national comparison, another "
    "municipality's view); never below `suppression_floor` (5): a lower setting is refused "
    "with `suppression-below-floor`. Like the rest of the plan a change is a draft until "
    "approved, except that outputs always use the stricter of the approved and the "
    "recorded threshold: raising it protects at once, lowering it waits for approval."
)


@router.get(
    "/settings",
    summary="Planens innstillinger (terskel for prikking), per dato. / The plan's settings "
    "(small-number suppression threshold), as of a date",
    description=SUPPRESSION,
    responses=problem_responses(401, 403, 422),
)
async def get_plan_settings(plan: PlanDep) -> dict[str, Any]:
    return {"municipality": plan.municipality, **plan.settings.describe()}


plan_change(
    router,
    "PUT",
    "/settings",
    name="change_settings",
    body=SettingsIn,
    principal=Manager,
    summary="Endre planens innstillinger (leder). / Change the plan's settings (manager)",
    description=SUPPRESSION,
    problems=(401, 403, 422),
    change=lambda runtime, conn, metadata, given: application.change_settings(
        runtime, conn, metadata, given.body
    ),
)
