"""The plan's versions and their approval: a version is a draft until a manager approves it."""

from __future__ import annotations

from typing import Any

from services.indicators import application
from services.indicators.api.common import Editor, Manager, plan_change, resource_router
from services.indicators.commands import ApprovalIn
from shared.deps import RuntimeDep
from shared.http import problem_responses

router = resource_router()

APPROVAL = (
    "Hver endring av mål, indikatorer, terskler eller innstillinger gir en ny planversjon. "
    "En versjon er et utkast til en leder godkjenner den; målekort, nivåer og rapporter "
    "bruker siste godkjente versjon per tidspunkt. / Every change of goals, indicators, "
    "thresholds or settings makes a new plan version. A version is a draft until a manager "
    "approves it; scorecards, levels and reports use the latest version approved by the "
    "moment asked about. Comments and registered values are not plan versions."
)


@router.get(
    "/plan",
    summary="Planens versjoner: gjeldende, godkjent og utkastets endringer. / The plan's "
    "versions: current, approved and the draft's changes",
    description=APPROVAL + "\n\nEach change lists who made it and when (the events' metadata).",
    responses=problem_responses(401, 403),
)
async def plan_versions(runtime: RuntimeDep, principal: Editor) -> dict[str, Any]:
    async with runtime.db.snapshot() as conn:
        return await application.plan_status(conn, principal.municipality)


plan_change(
    router,
    "POST",
    "/plan/approve",
    name="approve_plan",
    body=ApprovalIn,
    principal=Manager,
    summary="Godkjenn planversjonen (leder). / Approve the plan version (manager)",
    description=APPROVAL
    + "\n\nGive the version you reviewed: 409 with `current_version` if the plan has moved "
    "on since (or that version is approved already); 422 when there is nothing to approve.",
    problems=(401, 403, 409, 422),
    change=lambda runtime, conn, metadata, given: application.approve_plan(
        runtime, conn, metadata, given.body
    ),
)
