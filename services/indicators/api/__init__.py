"""HTTP routes of the indicators service, one router per resource (in the OpenAPI order)."""

from __future__ import annotations

from fastapi import APIRouter

from services.indicators.api import (
    access,
    catalogue,
    comments,
    comparisons,
    definitions,
    goals,
    levels,
    manual_values,
    national,
    plan,
    reports,
    series,
    settings,
    settlements,
    survival,
    thresholds,
    values,
)

ROUTERS: tuple[APIRouter, ...] = (
    settlements.router,
    catalogue.router,
    definitions.router,
    thresholds.router,
    comments.router,
    manual_values.router,
    goals.router,
    settings.router,
    plan.router,
    values.router,
    series.router,
    levels.router,
    national.router,
    survival.router,
    access.router,
    comparisons.router,
    reports.router,
)
