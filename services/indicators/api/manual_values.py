"""Values of manual and imported indicators, registered per period."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from services.indicators import application
from services.indicators.api.common import Editor, KeyPath, plan_change, resource_router
from services.indicators.commands import ManualValueIn

router = resource_router()

plan_change(
    router,
    "PUT",
    "/definitions/{key}/values/{period}",
    name="register_value",
    body=ManualValueIn,
    principal=Editor,
    path_params={
        "key": KeyPath,
        "period": Annotated[str, Path(description="2025, 2025-Q2 or 2025-03")],
    },
    summary="Registrer verdien av en manuell eller importert indikator for en periode / Register "
    "the value of a manual or imported indicator for a period",
    description="Only for `manual` and `imported` indicators, and only for periods of the "
    "indicator's granularity. A later registration for the same period replaces it from "
    "then on; as-of questions before it still see the earlier value.",
    problems=(401, 403, 422),
    change=lambda runtime, conn, metadata, given: application.record_manual_value(
        runtime, conn, metadata, given.path["key"], given.path["period"], given.body
    ),
)
