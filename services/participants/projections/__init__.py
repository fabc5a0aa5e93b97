"""Read models of the participants service.

``participant_summary``, ``person_lookup`` and ``households`` follow the service's own
events inline (same transaction as the append); ``matching_timeline`` follows the
matching service's published events and ``minor_shared_home_stays`` the housing
service's, each through its durable consumer.
"""

from __future__ import annotations

from services.participants.projections.households import HOUSEHOLDS
from services.participants.projections.matching_timeline import (
    MATCHING_FEED,
    MATCHING_KEEP,
    MATCHING_TIMELINE,
)
from services.participants.projections.municipal_deadlines import MUNICIPAL_DEADLINES
from services.participants.projections.participant_summary import PARTICIPANT_SUMMARY
from services.participants.projections.person_lookup import person_lookup_projection
from services.participants.projections.shared_home_stays import (
    HOUSING_FEED,
    HOUSING_KEEP,
    SHARED_HOME_STAYS,
)
from services.participants.projections.transfers import MUNICIPAL_TRANSFERS
from shared.projection import Projection
from shared.service import Feed
from shared.settings import Settings

FEEDS = (
    Feed(MATCHING_FEED, "matching", keep=MATCHING_KEEP),
    Feed(HOUSING_FEED, "housing", keep=HOUSING_KEEP),
)


def projections(settings: Settings) -> list[Projection]:
    """Every read model, in the order a rebuild runs them."""
    return [
        PARTICIPANT_SUMMARY,
        person_lookup_projection(settings),
        HOUSEHOLDS,
        MATCHING_TIMELINE,
        MUNICIPAL_TRANSFERS,
        MUNICIPAL_DEADLINES,
        SHARED_HOME_STAYS,
    ]


__all__ = ["FEEDS", "HOUSING_FEED", "HOUSING_KEEP", "MATCHING_FEED", "MATCHING_KEEP", "projections"]
