"""HTTP routes of the housing service, one router per resource."""

from __future__ import annotations

from fastapi import APIRouter

from services.housing.api import (
    access,
    applications,
    dwellings,
    households,
    ownership,
    placements,
    settlement_plans,
    shared_homes,
)
from services.housing.api import settings as rent_settings

ROUTERS: tuple[APIRouter, ...] = (
    dwellings.router,
    rent_settings.router,
    applications.router,
    placements.router,
    ownership.rent_to_own,
    ownership.start_loans,
    households.households,
    households.economy,
    households.reports,
    settlement_plans.router,
    shared_homes.router,
    access.router,
)
