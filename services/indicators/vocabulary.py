"""Names the indicators service reads from other services' events, kept as its own constants.

These mirror the published contracts of participants, housing and matching
(docs/events/); the service reads plain JSON and never imports their code.
"""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    """Outcome directly after the programme (participants.programme.completed.v1)."""

    work_full_time = "work_full_time"
    work_part_time = "work_part_time"
    education_upper_secondary = "education_upper_secondary"
    education_higher = "education_higher"
    education_primary = "education_primary"
    work_and_education = "work_and_education"
    nav_measure = "nav_measure"
    other = "other"
    moved_municipality = "moved_municipality"
    emigrated = "emigrated"
    deceased = "deceased"


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


class FollowUpStatus(StrEnum):
    """SSB's status in November of the year after leaving the programme."""

    employed = "employed"
    education = "education"
    employed_and_education = "employed_and_education"
    unemployed_or_nav_measure = "unemployed_or_nav_measure"
    other_unknown = "other_unknown"


EMPLOYED_OR_EDUCATION = (
    FollowUpStatus.employed,
    FollowUpStatus.education,
    FollowUpStatus.employed_and_education,
)


class ArrivalCategory(StrEnum):
    resettlement_refugee = "resettlement_refugee"
    asylum_reception = "asylum_reception"
    family_reunification = "family_reunification"
    other = "other"


class ProgrammeKind(StrEnum):
    introduction = "introduction"
    qualification = "qualification"


class SubTest(StrEnum):
    oral = "oral"
    written = "written"
    reading = "reading"
    listening = "listening"


class NorwegianLevel(StrEnum):
    below_A1 = "below_A1"
    A1 = "A1"
    A2 = "A2"
    B1 = "B1"
    B2 = "B2"
    C1 = "C1"


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
