"""Read models of the indicators service, one module per read model or feed.

Facts come from the participants, housing and matching feeds (``participant_facts``,
``housing_facts``, ``matching_facts``, and ``settlements``, the first slice): one row per
event with the source's ``recorded_at``, never updated, except by ``erasure``. The plan
(``plan``) and the published levels (``levels``) follow the service's own events.
"""

from __future__ import annotations

from services.indicators.projections.comparisons import COMPARISONS
from services.indicators.projections.erasure import erasure_alias
from services.indicators.projections.facts import HOUSING_FEED, MATCHING_FEED, PARTICIPANTS_FEED
from services.indicators.projections.frozen_reports import FROZEN_REPORTS
from services.indicators.projections.housing_facts import HOUSING_FACTS, HOUSING_KEEP
from services.indicators.projections.levels import LEVELS
from services.indicators.projections.matching_facts import MATCHING_FACTS, MATCHING_KEEP
from services.indicators.projections.participant_facts import PARTICIPANT_FACTS, PARTICIPANTS_KEEP
from services.indicators.projections.plan import PLAN
from services.indicators.projections.settlements import SETTLEMENTS
from shared.service import Feed

PROJECTIONS = [
    SETTLEMENTS,
    PARTICIPANT_FACTS,
    HOUSING_FACTS,
    MATCHING_FACTS,
    PLAN,
    LEVELS,
    COMPARISONS,
    FROZEN_REPORTS,
]
"""Every read model, in the order a rebuild runs them."""

FEEDS = (
    Feed(PARTICIPANTS_FEED, "participants", keep=PARTICIPANTS_KEEP),
    Feed(HOUSING_FEED, "housing", keep=HOUSING_KEEP),
    Feed(MATCHING_FEED, "matching", keep=MATCHING_KEEP),
)
"""The other services' events the indicators consume, and what the inbox keeps of each."""

__all__ = [
    "FEEDS",
    "HOUSING_KEEP",
    "MATCHING_KEEP",
    "PARTICIPANTS_KEEP",
    "PROJECTIONS",
    "erasure_alias",
]
