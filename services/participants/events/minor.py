"""Events: an unaccompanied minor's four phases in Drammen's method, and what follows them.

Drammen follows an unaccompanied minor (enslig mindreårig) settled in the municipality
through four phases: intake (mottak), moving in (innflytting), life in the shared home
(bofellesskap), and an own bedsit (hybel) on the private market with a follow-up team.
Every fact is dated and carries ids, dates and codes only: the primary contact
(primærkontakt) is a reference to an employee, the measures plan's goals are areas, and
nothing about the youth's health, school or money is in words.

Published:

- ``participants.minor.phase_entered.v1``: the youth entered ``phase`` on ``entered_on``;
- ``participants.minor.primary_contact_assigned.v1``: ``contact_id`` is the primary
  contact from ``assigned_on``;
- ``participants.minor.measures_plan_agreed.v1``: the individual measures plan
  (tiltaksplan) ``plan_id`` with its goal areas, agreed on ``agreed_on``;
- ``participants.minor.bedsit_contract_signed.v1``: the youth signed the tenancy of an
  own bedsit found on the private market, on ``signed_on``;
- ``participants.minor.outcome_recorded.v1``: a registered outcome fact (upper
  secondary drop-out, contact with working life, supplementary social assistance after
  turning 20) on ``on``;
- ``participants.minor.services_ended.v1``: the services for the youth ended on
  ``ended_on``, at an age limit or by the formal end of cooperation.

Unpublished: ``participants.minor.follow_up_contact_recorded.v1``, a contact of the
follow-up team (doctor, school meeting, practical help, course) on ``on``.
"""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum
from typing import ClassVar

from pydantic import Field

from services.participants.events.registry import registry
from shared.events import Event, Part

__all__ = [
    "FollowUpContactKind",
    "MeasuresGoal",
    "MeasuresGoalArea",
    "MinorBedsitContractSigned",
    "MinorFollowUpContactRecorded",
    "MinorMeasuresPlanAgreed",
    "MinorOutcome",
    "MinorOutcomeRecorded",
    "MinorPhase",
    "MinorPhaseEntered",
    "MinorPrimaryContactAssigned",
    "MinorServicesEnded",
    "ServicesEndReason",
]


class MinorPhase(StrEnum):
    """The four phases, in the order they are lived."""

    intake = "intake"
    """Mottak: the youth arrives in the municipality."""
    moving_in = "moving_in"
    """Innflytting: moving into the shared home."""
    shared_home = "shared_home"
    """Bofellesskap: living in the shared home with staff."""
    bedsit = "bedsit"
    """Hybel: an own bedsit, followed up by the follow-up team."""


class MeasuresGoalArea(StrEnum):
    housing = "housing"
    school = "school"
    health = "health"
    work = "work"
    economy = "economy"
    language = "language"
    leisure = "leisure"
    social_network = "social_network"


class MeasuresGoal(Part):
    area: MeasuresGoalArea
    due_on: date | None = None


class FollowUpContactKind(StrEnum):
    doctor = "doctor"
    school_meeting = "school_meeting"
    practical_help = "practical_help"
    course = "course"


class MinorOutcome(StrEnum):
    school_dropout = "school_dropout"
    """Dropped out of upper secondary school (videregående opplæring)."""
    working_life_contact = "working_life_contact"
    """Contact with working life: a job, a summer job, work practice."""
    supplementary_social_assistance = "supplementary_social_assistance"
    """Supplementary social assistance (supplerende sosialhjelp) after turning 20."""


class ServicesEndReason(StrEnum):
    age_limit = "age_limit"
    cooperation_ended = "cooperation_ended"
    """The formal end of cooperation (avslutning av samarbeidet) before an age limit."""


@registry.register
class MinorPhaseEntered(Event):
    """The unaccompanied minor entered ``phase`` on ``entered_on``."""

    type_name: ClassVar[str] = "participants.minor.phase_entered.v1"
    participant_id: uuid.UUID
    phase: MinorPhase
    entered_on: date


@registry.register
class MinorPrimaryContactAssigned(Event):
    """``contact_id`` (an employee, by reference) is the primary contact from ``assigned_on``."""

    type_name: ClassVar[str] = "participants.minor.primary_contact_assigned.v1"
    participant_id: uuid.UUID
    contact_id: uuid.UUID
    assigned_on: date


@registry.register
class MinorMeasuresPlanAgreed(Event):
    """The individual measures plan (tiltaksplan) ``plan_id``, with its goals by area."""

    type_name: ClassVar[str] = "participants.minor.measures_plan_agreed.v1"
    participant_id: uuid.UUID
    plan_id: uuid.UUID
    agreed_on: date
    goals: tuple[MeasuresGoal, ...] = Field(min_length=1)


@registry.register
class MinorBedsitContractSigned(Event):
    """The youth signed the tenancy of an own bedsit on the private market."""

    type_name: ClassVar[str] = "participants.minor.bedsit_contract_signed.v1"
    participant_id: uuid.UUID
    contract_id: uuid.UUID
    signed_on: date
    moves_in_on: date


@registry.register
class MinorFollowUpContactRecorded(Event):
    """A contact of the follow-up team (oppfølgingsteam) with the youth in the bedsit.
    Never published: a doctor's appointment is close to health data, and no other
    service needs the team's contacts."""

    type_name: ClassVar[str] = "participants.minor.follow_up_contact_recorded.v1"
    published: ClassVar[bool] = False
    participant_id: uuid.UUID
    contact_id: uuid.UUID
    kind: FollowUpContactKind
    on: date


@registry.register
class MinorOutcomeRecorded(Event):
    """A registered outcome fact about the youth on ``on``."""

    type_name: ClassVar[str] = "participants.minor.outcome_recorded.v1"
    participant_id: uuid.UUID
    outcome: MinorOutcome
    on: date


@registry.register
class MinorServicesEnded(Event):
    """The services for the youth ended on ``ended_on``."""

    type_name: ClassVar[str] = "participants.minor.services_ended.v1"
    participant_id: uuid.UUID
    reason: ServicesEndReason
    ended_on: date
    age_limit: int | None = None
    """The age limit the end rests on (reason ``age_limit``)."""
