"""Names the indicators service reads from other services' events.

The categories participants publishes come from the kit (``shared.vocabulary``); the
rest mirror the published contracts of housing and matching (docs/events/). The
service reads plain JSON and never imports another service's code.
"""

from __future__ import annotations

from enum import StrEnum

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
    "ProgrammeKind",
    "SubTest",
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


class Urgency(StrEnum):
    acute = "acute"
    high = "high"
    normal = "normal"


class OwnershipRoute(StrEnum):
    rent_to_own = "rent_to_own"
    start_loan = "start_loan"


class PracticeOutcome(StrEnum):
    completed = "completed"
    broke_off = "broke_off"
    turned_into_job = "turned_into_job"


class PracticeKind(StrEnum):
    language_practice = "language_practice"
    work_training = "work_training"
