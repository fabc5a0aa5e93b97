"""Names the indicators service reads from other services' events.

The categories other services publish come from the kit (``shared.vocabulary`` for
participants', ``shared.placement_vocabulary`` for housing's and matching's); practice
kinds are the part of matching's opening kinds a practice indicator filters by. The
service reads plain JSON and never imports another service's code.
"""

from __future__ import annotations

from enum import StrEnum

from shared.placement_vocabulary import OwnershipRoute, PlacementOutcome, Urgency
from shared.vocabulary import (
    ArrivalCategory,
    FollowUpStatus,
    NorwegianLevel,
    Outcome,
    ProgrammeKind,
)
from shared.vocabulary import NorwegianSubTest as SubTest

__all__ = [
    "ArrivalCategory",
    "FollowUpStatus",
    "NorwegianLevel",
    "Outcome",
    "OwnershipRoute",
    "PlacementOutcome",
    "ProgrammeKind",
    "SubTest",
    "Urgency",
]


WORK_OR_EDUCATION = (
    Outcome.work_full_time,
    Outcome.education_upper_secondary,
    Outcome.education_higher,
    Outcome.work_and_education,
)
WORK = (Outcome.work_full_time, Outcome.work_and_education)
EXCLUDED_FROM_BASE = (Outcome.moved_municipality, Outcome.emigrated, Outcome.deceased)
ANY_WORK_OR_EDUCATION = (
    Outcome.work_full_time,
    Outcome.work_part_time,
    Outcome.education_upper_secondary,
    Outcome.education_higher,
    Outcome.education_primary,
    Outcome.work_and_education,
)
"""Outcomes that end the wait for work or education in the survival analysis."""


EMPLOYED_OR_EDUCATION = (
    FollowUpStatus.employed,
    FollowUpStatus.education,
    FollowUpStatus.employed_and_education,
)


class PracticeKind(StrEnum):
    """The opening kinds that start a practice placement (matching's ``PRACTICE_KINDS``)."""

    language_practice = "language_practice"
    work_training = "work_training"
