"""Events: what IMDi's register (NIR) needs beyond the journey.

- ``programme.end_reason_recorded``: the end reason (avslutningsårsak) from NIR's code
  list, given at completion or registered afterwards;
- ``participant.research_reservation_changed``: the reservation against research use
  (reservasjon mot bruk til forskning), only the participant id and the flag;
- ``nir.year_reported``: one participant's NIR record for a reporting year, as
  submitted (pseudonymous: codes, dates and hours only);
- ``deadlines.municipal_rule_created`` / ``_retired``: a municipality's own internal
  deadline (on the municipality's own stream, never published).
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import ClassVar

from pydantic import Field

from services.participants.events.journey import OfProgramme
from services.participants.events.registry import registry
from shared.events import Event, Part

__all__ = [
    "END_REASON_PATTERN",
    "FACT_CODE_PATTERN",
    "RULE_CODE_PATTERN",
    "ActivityHours",
    "EndReasonRecorded",
    "MunicipalDeadlineRuleCreated",
    "MunicipalDeadlineRuleRetired",
    "NirYearReported",
    "ResearchReservationChanged",
]

END_REASON_PATTERN = r"^[a-z][a-z_]{1,39}$"
RULE_CODE_PATTERN = r"^[a-z][a-z0-9-]{1,39}$"
FACT_CODE_PATTERN = r"^[a-z][a-z_]{1,39}$"


@registry.register
class EndReasonRecorded(OfProgramme):
    """The end reason (avslutningsårsak) of an ended programme, a code of NIR's list."""

    type_name: ClassVar[str] = "participants.programme.end_reason_recorded.v1"
    end_reason: str = Field(pattern=END_REASON_PATTERN, description="GET /nir/end-reasons")
    correction: bool = False


@registry.register
class ResearchReservationChanged(Event):
    """The participant reserved against (or withdrew the reservation against) research
    use of directly identifying data; every export honours it."""

    type_name: ClassVar[str] = "participants.participant.research_reservation_changed.v1"
    participant_id: uuid.UUID
    reserved: bool


class ActivityHours(Part):
    """Hours of one kind of activity in the reporting year (planned, as the plans say)."""

    kind: str = Field(pattern=r"^[a-z_]{1,40}$")
    hours: float = Field(ge=0)


@registry.register
class NirYearReported(Event):
    """The participant's NIR record for ``year`` as submitted (pseudonymous)."""

    type_name: ClassVar[str] = "participants.nir.year_reported.v1"
    participant_id: uuid.UUID
    year: int = Field(ge=2000, le=2199)
    programme_id: uuid.UUID | None = None
    category: str | None = None
    decision_on: date | None = None
    decision_granted: bool | None = None
    legal_basis: str | None = None
    starts_on: date | None = None
    ended_on: date | None = None
    end_goal: str | None = None
    norwegian_goal: str | None = None
    contract_agreed_on: date | None = None
    contract_signed_on: date | None = None
    activities: tuple[ActivityHours, ...] = Field(default=(), max_length=20)
    absence_valid_hours: float = 0
    absence_invalid_hours: float = 0
    end_reason: str | None = None
    research_reservation: bool = False


@registry.register
class MunicipalDeadlineRuleCreated(Event):
    """A municipality's own deadline: ``met_by`` within ``days`` after ``after``."""

    type_name: ClassVar[str] = "participants.deadlines.municipal_rule_created.v1"
    published: ClassVar[bool] = False
    code: str = Field(pattern=RULE_CODE_PATTERN)
    after: str = Field(pattern=FACT_CODE_PATTERN)
    met_by: str = Field(pattern=FACT_CODE_PATTERN)
    days: int = Field(ge=1, le=3650)
    label_nb: str = Field(max_length=200)
    label_en: str | None = Field(default=None, max_length=200)


@registry.register
class MunicipalDeadlineRuleRetired(Event):
    """A municipal deadline no longer applies."""

    type_name: ClassVar[str] = "participants.deadlines.municipal_rule_retired.v1"
    published: ClassVar[bool] = False
    code: str = Field(pattern=RULE_CODE_PATTERN)
