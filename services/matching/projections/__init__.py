"""Read models of the matching service.

Employers, openings and matches are fed inline from this service's own events.
Candidates are fed by the durable consumer of the participants service's published
events (see :mod:`services.matching.projections.candidates`).
"""

from __future__ import annotations

from services.matching.projections.candidates import CANDIDATES, FOLLOWED, KEEP, PARTICIPANTS_FEED
from services.matching.projections.employers import EMPLOYERS
from services.matching.projections.matches import MATCHES
from services.matching.projections.openings import OPENINGS
from services.matching.projections.volunteers import (
    VOLUNTEER_GATHERINGS,
    VOLUNTEER_NEEDS,
    VOLUNTEERS,
)
from shared.service import Feed

PROJECTIONS = [
    EMPLOYERS,
    OPENINGS,
    MATCHES,
    CANDIDATES,
    VOLUNTEERS,
    VOLUNTEER_NEEDS,
    VOLUNTEER_GATHERINGS,
]
"""Every read model, in the order a rebuild runs them."""

FEEDS = (Feed(PARTICIPANTS_FEED, "participants", keep=KEEP),)

__all__ = ["FEEDS", "FOLLOWED", "KEEP", "PARTICIPANTS_FEED", "PROJECTIONS"]
