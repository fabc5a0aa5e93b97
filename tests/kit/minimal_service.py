"""A service made only of the kit (no domain), for tests of what the kit enforces.

``uvicorn tests.kit.minimal_service:create_app --factory`` runs it as a process.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI

from shared.deps import PrincipalDep
from shared.events import EventRegistry
from shared.service import ServiceDefinition, build_app
from shared.settings import Settings

router = APIRouter()


@router.get("/whoami")
async def whoami(principal: PrincipalDep) -> dict[str, Any]:
    return {
        "sub": principal.subject,
        "roles": sorted(principal.roles),
        "municipality": principal.municipality,
        "agency": principal.agency,
    }


def create_app(settings: Settings | None = None) -> FastAPI:
    return build_app(
        ServiceDefinition(
            name="housing",
            title="kit only",
            description="The kit's routes and middleware without a domain.",
            registry=EventRegistry(),
            routers=[router],
        ),
        settings,
    )
