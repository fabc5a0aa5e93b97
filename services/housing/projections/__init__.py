"""Read models of the housing service.

Inline projections (``OWN_EVENTS``) are updated in the transaction that appends the
events: ``dwellings``, ``applications``, ``placements``, ``ownership``,
``rent_rates`` and ``settlement_plans``. ``households`` is fed by the durable consumer
of the participants service's published events.
"""

from __future__ import annotations

from services.housing.projections.applications import APPLICATIONS
from services.housing.projections.dwellings import DWELLINGS
from services.housing.projections.households import (
    HOUSEHOLDS,
    PARTICIPANTS_FEED,
    PARTICIPANTS_KEEP,
    SETTLED,
)
from services.housing.projections.housing_school import HOUSING_SCHOOL
from services.housing.projections.ownership import OWNERSHIP
from services.housing.projections.placements import PLACEMENTS
from services.housing.projections.rent_rates import RENT_RATES
from services.housing.projections.settlement_plans import SETTLEMENT_PLANS
from shared.service import Feed

PROJECTIONS = [
    DWELLINGS,
    APPLICATIONS,
    PLACEMENTS,
    OWNERSHIP,
    RENT_RATES,
    SETTLEMENT_PLANS,
    HOUSING_SCHOOL,
    HOUSEHOLDS,
]
"""Every read model, in the order a rebuild runs them."""

FEEDS = (Feed(PARTICIPANTS_FEED, "participants", keep=PARTICIPANTS_KEEP),)

__all__ = ["FEEDS", "PARTICIPANTS_FEED", "PARTICIPANTS_KEEP", "PROJECTIONS", "SETTLED"]
