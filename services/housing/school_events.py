"""Events of the housing school (boligskole) and the follow-up of households after it.

Kept apart from ``events.py`` while the settlement and minors work changes that file;
registered in the same registry (``services/housing/__init__.py`` imports this module,
so whoever reads the registry sees them). Published: ids, codes, counts and dates only.
"""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum
from typing import ClassVar

from pydantic import Field

from services.housing.events import registry
from shared.events import Event


@registry.register
class HousingSchoolCoursePlanned(Event):
    """A compact housing school course: how many sessions, how many make it completed."""

    type_name: ClassVar[str] = "housing.housing_school.course_planned.v1"
    course_id: uuid.UUID
    starts_on: date
    sessions: int = Field(ge=1, le=20)
    required_sessions: int = Field(ge=1, le=20)


@registry.register
class HousingSchoolSessionHeld(Event):
    """One session of a course was held, with the households that came."""

    type_name: ClassVar[str] = "housing.housing_school.session_held.v1"
    course_id: uuid.UUID
    session: int = Field(ge=1, le=20)
    held_on: date
    attended: tuple[uuid.UUID, ...] = Field(max_length=500)


@registry.register
class HostFamilyVisitRecorded(Event):
    """A host family (a volunteer of the matching service, by id) visited a household."""

    type_name: ClassVar[str] = "housing.housing_school.visit_recorded.v1"
    household_id: uuid.UUID
    volunteer_id: uuid.UUID = Field(description="The volunteer's id in the matching service")
    visited_on: date


class IncidentKind(StrEnum):
    damage = "damage"
    complaint = "complaint"


@registry.register
class TenancyIncidentRecorded(Event):
    """Damage to a municipal dwelling or a neighbour's complaint about a household."""

    type_name: ClassVar[str] = "housing.tenancy.incident_recorded.v1"
    household_id: uuid.UUID
    incident_id: uuid.UUID
    kind: IncidentKind
    occurred_on: date
