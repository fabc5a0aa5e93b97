"""Categories that housing and matching publish and indicators reads from their events.

Like :mod:`shared.vocabulary` for participants' categories: the publisher's event
models and every reader take the values from here, so a new category is added once
(the JSON Schemas under docs/events show the values).
"""

from __future__ import annotations

from enum import StrEnum


class Urgency(StrEnum):
    """How urgently a household needs a dwelling (housing applications)."""

    acute = "acute"
    high = "high"
    normal = "normal"


class OwnershipRoute(StrEnum):
    """How a tenant comes to own the dwelling (housing's ownership events)."""

    rent_to_own = "rent_to_own"
    start_loan = "start_loan"


class PlacementOutcome(StrEnum):
    """How a practice placement ended (matching's practice_placement.ended)."""

    completed = "completed"
    broke_off = "broke_off"
    turned_into_job = "turned_into_job"
