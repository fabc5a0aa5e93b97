"""Wiring of the participants service (uvicorn: ``services.participants.app:create_app``)."""

from __future__ import annotations

from fastapi import FastAPI

from services.participants.api import ROUTERS
from services.participants.api.examples import EXAMPLES
from services.participants.api.tags import TAGS
from services.participants.events import registry
from services.participants.projections import FEEDS, projections
from shared.service import ServiceDefinition, build_app, resource
from shared.settings import Settings

RESOURCES = {
    "participant": resource("/participants/{id}"),
    "municipal_deadline_rules": resource("/deadlines/rules", ".+"),
}
"""Where a command's ``Location`` points, by the type of the stream it changed."""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    return build_app(
        ServiceDefinition(
            name="participants",
            title="Veiviser — deltakere / participants",
            description="Deltakere i introduksjonsprogrammet etter integreringsloven: "
            "registrering, bosetting og forløpet. Hver endring er en hendelse; publiserte "
            "hendelser har bare pseudonyme id-er. Svar og feilmeldinger er på bokmål; send "
            "`Accept-Language: nn` for nynorsk eller `en` for engelsk.\n\n"
            "Participants of the introduction programme under the Integration Act: "
            "registration, settlement (bosetting) and the journey. Every change is an event; "
            "published events carry pseudonymous ids only. Texts and problem details are in "
            "Norwegian bokmål by default; send `Accept-Language: nn` for nynorsk or `en` for "
            "English.",
            locale_packages=("services.participants",),
            openapi_tags=TAGS,
            examples=EXAMPLES,
            registry=registry,
            resources=RESOURCES,
            routers=ROUTERS,
            projections=projections(settings),
            feeds=FEEDS,
        ),
        settings,
    )
