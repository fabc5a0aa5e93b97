"""Wiring of the matching service (uvicorn: ``services.matching.app:create_app``).

It serves health, readiness and metrics only until its domain lands.
"""

from __future__ import annotations

from fastapi import FastAPI

from services.matching.events import registry
from shared.service import ServiceDefinition, build_app
from shared.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    return build_app(
        ServiceDefinition(
            name="matching",
            title="Veiviser — matching",
            description="Matching service (domain not yet built).",
            registry=registry,
        ),
        settings,
    )
