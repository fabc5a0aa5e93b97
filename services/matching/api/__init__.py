"""HTTP routes of the matching service, one router per resource."""

from __future__ import annotations

from fastapi import APIRouter

from services.matching.api import (
    access,
    allocations,
    candidates,
    employers,
    matches,
    needs,
    openings,
    volunteers,
)
from services.matching.api import taxonomy as taxonomy_search

ROUTERS: tuple[APIRouter, ...] = (
    employers.router,
    openings.router,
    candidates.router,
    matches.router,
    allocations.router,
    access.router,
    taxonomy_search.router,
    volunteers.router,
    volunteers.gatherings,
    needs.router,
)
