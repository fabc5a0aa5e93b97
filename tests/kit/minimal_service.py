"""A service made only of the kit (no domain), for tests of what the kit enforces.

``uvicorn tests.kit.minimal_service:create_app --factory`` runs it as a process.
"""

from __future__ import annotations

from fastapi import FastAPI

from shared.events import EventRegistry
from shared.service import ServiceDefinition, build_app
from shared.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    return build_app(
        ServiceDefinition(
            name="housing",
            title="kit only",
            description="The kit's routes and middleware without a domain.",
            registry=EventRegistry(),
        ),
        settings,
    )
