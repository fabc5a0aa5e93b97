"""Wiring of the matching service (uvicorn: ``services.matching.app:create_app``)."""

from __future__ import annotations

from fastapi import FastAPI

from services.matching.events import registry
from services.matching.index import MatchingEngine
from services.matching.projections import KEEP, PARTICIPANTS_FEED, PROJECTIONS
from services.matching.routes import allocations, candidates, employers, matches, openings
from services.matching.settings import MatchingSettings
from shared.service import Feed, ServiceDefinition, build_app
from shared.settings import Settings


def create_app(
    settings: Settings | None = None, matching_settings: MatchingSettings | None = None
) -> FastAPI:
    app = build_app(
        ServiceDefinition(
            name="matching",
            title="Veiviser — matching",
            description="Employers and their openings (jobs, language practice, work training, "
            "apprenticeships), explainable matching of consented competence profiles both "
            "ways, allocation of scarce places, and the match workflow from proposal to "
            "placement or job. Scores are 0–100, the sum of documented parts.",
            registry=registry,
            routers=[
                employers.router,
                openings.router,
                candidates.router,
                matches.router,
                allocations.router,
            ],
            projections=PROJECTIONS,
            feeds=[Feed(PARTICIPANTS_FEED, "participants", keep=KEEP)],
            openapi_tags=[
                {"name": "employers", "description": "Employers and their mentor capacity"},
                {"name": "openings", "description": "Openings and their best candidates"},
                {"name": "candidates", "description": "Consented profiles and best openings"},
                {"name": "matches", "description": "The workflow and the employer's package"},
                {"name": "allocations", "description": "Optimal allocation of scarce places"},
            ],
        ),
        settings,
    )
    # The index is built lazily: the first request after start-up loads the read models.
    app.state.matching = MatchingEngine(matching_settings or MatchingSettings())
    return app
