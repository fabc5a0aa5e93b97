"""Wiring of the housing service (uvicorn: ``services.housing.app:create_app``).

It serves health, readiness and metrics only until its domain lands.
"""

from __future__ import annotations

from fastapi import FastAPI

from services.housing.events import registry
from shared.service import ServiceDefinition, build_app
from shared.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    return build_app(
        ServiceDefinition(
            name="housing",
            title="Veiviser — housing",
            description="Housing service (domain not yet built).",
            registry=registry,
        ),
        settings,
    )
