"""Categories of the published event contract that more than one service reads or writes.

The participants service publishes them; matching and indicators read the same values
from events. Keeping one definition in the kit means a new category is added in one
place and every reader learns it (JSON Schemas under docs/events show the values).
"""

from __future__ import annotations

from enum import StrEnum


class ArrivalCategory(StrEnum):
    """How the person came to be settled (bosatt)."""

    resettlement_refugee = "resettlement_refugee"
    asylum_reception = "asylum_reception"
    family_reunification = "family_reunification"
    other = "other"


class Gender(StrEnum):
    female = "female"
    male = "male"
    other = "other"
    unknown = "unknown"


class ProgrammeKind(StrEnum):
    introduction = "introduction"
    qualification = "qualification"


class NorwegianSubTest(StrEnum):
    oral = "oral"
    written = "written"
    reading = "reading"
    listening = "listening"


class NorwegianLevel(StrEnum):
    """CEFR levels of the Norwegian tests, lowest first (the order is meaningful)."""

    below_a1 = "below_A1"
    a1 = "A1"
    a2 = "A2"
    b1 = "B1"
    b2 = "B2"
    c1 = "C1"


class EducationLevel(StrEnum):
    """Highest completed education, lowest first."""

    none = "none"
    primary = "primary"
    lower_secondary = "lower_secondary"
    upper_secondary = "upper_secondary"
    vocational = "vocational"
    bachelor = "bachelor"
    master = "master"
    doctorate = "doctorate"


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


class FollowUpStatus(StrEnum):
    """SSB's status in November of the year after leaving the programme."""

    employed = "employed"
    education = "education"
    employed_and_education = "employed_and_education"
    unemployed_or_nav_measure = "unemployed_or_nav_measure"
    other_unknown = "other_unknown"
