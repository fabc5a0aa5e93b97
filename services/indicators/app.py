"""Wiring of the indicators service (uvicorn: ``services.indicators.app:create_app``)."""

from __future__ import annotations

from fastapi import FastAPI

from services.indicators.api import router
from services.indicators.projections import PARTICIPANTS_FEED, PROJECTIONS
from services.indicators.events import registry
from shared.service import Feed, ServiceDefinition, build_app
from shared.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    return build_app(
        ServiceDefinition(
            name="indicators",
            title="Veiviser — indicators (MRS)",
            description="Goal and result management: indicators computed from the events "
            "the other services publish.",
            registry=registry,
            routers=[router],
            projections=PROJECTIONS,
            feeds=[Feed(PARTICIPANTS_FEED, "participants")],
        ),
        settings,
    )
