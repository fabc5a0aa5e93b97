"""Wiring of the participants service (uvicorn: ``services.participants.app:create_app``)."""

from __future__ import annotations

from fastapi import FastAPI

from services.participants.api import ROUTERS
from services.participants.events import registry
from services.participants.projections import FEEDS, projections
from shared.service import ServiceDefinition, build_app
from shared.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    return build_app(
        ServiceDefinition(
            name="participants",
            title="Veiviser — participants",
            description="Participants of the introduction programme: registration, settlement "
            "(bosetting) and the journey. Every change is an event; published events carry "
            "pseudonymous ids only.",
            registry=registry,
            routers=ROUTERS,
            projections=projections(settings),
            feeds=FEEDS,
        ),
        settings,
    )
