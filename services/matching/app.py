"""Wiring of the matching service (uvicorn: ``services.matching.app:create_app``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.matching.api import ROUTERS
from services.matching.api.examples import EXAMPLES
from services.matching.api.tags import TAGS
from services.matching.events import registry
from services.matching.index import MatchingIndex
from services.matching.projections import FEEDS, PROJECTIONS
from services.matching.settings import MatchingSettings
from shared.service import ServiceDefinition, build_app, resource
from shared.settings import Settings

RESOURCES = {
    kind: resource(f"/{path}/{{id}}", rf"{kind}-(?P<id>.+)")
    for kind, path in (
        ("employer", "employers"),
        ("opening", "openings"),
        ("match", "matches"),
        ("volunteer", "volunteers"),
        ("volunteer_need", "volunteer-needs"),
    )
}
"""Where a command's ``Location`` points, by the type of the stream it changed."""


def create_app(
    settings: Settings | None = None,
    matching_settings: MatchingSettings | None = None,
    index: MatchingIndex | None = None,
) -> FastAPI:
    app = build_app(
        ServiceDefinition(
            name="matching",
            title="Veiviser — matching (arbeid og praksis / jobs and placements)",
            description="Arbeidsgivere og deres muligheter (jobber, språkpraksis, "
            "arbeidstrening, læreplasser), forklarbar matching begge veier av kompetanseprofiler "
            "deltakeren har samtykket til å dele, fordeling av knappe plasser, og "
            "matchingsløpet fra forslag til praksis eller jobb. Poeng er 0–100, summen av "
            "dokumenterte deler. Bokmål som standard; `Accept-Language: nn` eller `en`.\n\n"
            "Employers and their openings (jobs, language practice, work training, "
            "apprenticeships), explainable matching of consented competence profiles both "
            "ways, allocation of scarce places, and the match workflow from proposal to "
            "placement or job. Scores are 0–100, the sum of documented parts. Bokmål by "
            "default; `Accept-Language: nn` or `en`.",
            registry=registry,
            resources=RESOURCES,
            locale_packages=("services.matching",),
            examples=EXAMPLES,
            routers=ROUTERS,
            projections=PROJECTIONS,
            feeds=FEEDS,
            openapi_tags=TAGS,
        ),
        settings,
    )
    matching = index or MatchingIndex(matching_settings or MatchingSettings())
    app.state.matching = matching
    kit_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with kit_lifespan(app):
            # Built off the event loop from start-up on, so no request waits for it.
            matching.start(app.state.runtime.settings)
            try:
                yield
            finally:
                await matching.stop()

    app.router.lifespan_context = lifespan
    return app
