"""Events: the introduction benefit's facts beyond the journey (integreringsloven kapittel 5).

None is published: they concern the person's family and money. Children are named by
a pseudonymous id the caller chooses (never a name or national id); the child's birth
date, which the supplement's age bands need, is sealed with the participant's key, so
an erasure leaves it unreadable like every other personal detail.
"""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum
from typing import ClassVar

from services.participants.events.journey import OfProgramme
from services.participants.events.registry import registry
from shared.events import Event

__all__ = [
    "BenefitChildEnded",
    "BenefitChildRecorded",
    "CoupleSituationRecorded",
    "LeaveBenefitDecided",
    "LeaveBenefitGround",
    "LivingSituationRecorded",
]


class LeaveBenefitGround(StrEnum):
    """Why a leave (permisjon) keeps or loses the benefit (integreringsforskriften)."""

    care_leave = "care_leave"
    """Omsorgspermisjon ved fødsel eller adopsjon."""
    welfare_leave = "welfare_leave"
    """Velferdspermisjon."""
    long_term_illness = "long_term_illness"
    """Permisjon ved langvarig egen eller barns sykdom (uten stønad)."""
    other = "other"


@registry.register
class BenefitChildRecorded(Event):
    """The participant provides for a child from ``supported_from`` (barnetillegg). Never published."""

    type_name: ClassVar[str] = "participants.benefit.child_recorded.v1"
    published: ClassVar[bool] = False
    participant_id: uuid.UUID
    child_id: uuid.UUID
    sealed_born_on: str
    """The child's birth date (ISO), sealed with the participant's key."""
    supported_from: date


@registry.register
class BenefitChildEnded(Event):
    """The participant no longer provides for the child after ``supported_until``. Never published."""

    type_name: ClassVar[str] = "participants.benefit.child_ended.v1"
    published: ClassVar[bool] = False
    participant_id: uuid.UUID
    child_id: uuid.UUID
    supported_until: date


@registry.register
class LivingSituationRecorded(Event):
    """From ``from_date`` the participant lives (or no longer lives) with at least one parent;
    it sets the young participants' rate (integreringsloven § 20). Never published."""

    type_name: ClassVar[str] = "participants.benefit.living_situation_recorded.v1"
    published: ClassVar[bool] = False
    participant_id: uuid.UUID
    from_date: date
    lives_with_parent: bool


@registry.register
class CoupleSituationRecorded(Event):
    """From ``from_date`` the participant's spouse or cohabitant (ektefelle eller samboer)
    also takes part, or no longer takes part, in the introduction programme; without
    children, each then gets 5/6 of the rate (integreringsloven § 20 fjerde ledd). Never
    published."""

    type_name: ClassVar[str] = "participants.benefit.couple_situation_recorded.v1"
    published: ClassVar[bool] = False
    participant_id: uuid.UUID
    from_date: date
    partner_in_programme: bool


@registry.register
class LeaveBenefitDecided(OfProgramme):
    """Whether the leave starting ``leave_from`` is paid (permisjon med eller uten stønad).
    A leave without such a decision is unpaid. Never published."""

    type_name: ClassVar[str] = "participants.benefit.leave_decided.v1"
    published: ClassVar[bool] = False
    leave_from: date
    with_benefit: bool
    ground: LeaveBenefitGround
