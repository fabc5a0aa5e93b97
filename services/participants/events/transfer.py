"""Events: transfer — moves between municipalities (flytting), see the package docstring.

A programme's adviser changes with the journey's own ``programme.adviser_assigned``
(sealed, unpublished): every assignment is kept in the stream, so the history is the
stream. A caseload move is one such event per participant.

A transfer is recorded on the sending participant's stream (``transfer.recorded``,
published: ids, kommunenummer and dates only) together with the journey's
``participant.moved_out``. When the receiving municipality is served by this
deployment, the package the law lets pass (plan, hours done, remaining right, category
and decision) follows in ``transfer.package_prepared`` (unpublished: it is for the
receiving municipality's caseworkers, not for the bus). The receiving municipality
accepts (a new participant in its municipality, ``participant.transferred_in``; the
sending stream gets ``transfer.accepted``) or declines (``transfer.declined``).
"""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum
from typing import ClassVar

from pydantic import Field

from services.participants.events.journey import PlanContent
from services.participants.events.registry import registry
from shared.events import Event, MunicipalityCode, Part
from shared.vocabulary import ArrivalCategory, Gender, ProgrammeKind

__all__ = [
    "DeclineReason",
    "ParticipantTransferredIn",
    "RemainingRight",
    "TransferAccepted",
    "TransferDeclined",
    "TransferPackagePrepared",
    "TransferRecorded",
    "TransferredAct",
    "TransferredPlan",
    "TransferredProgramme",
]


class DeclineReason(StrEnum):
    """Why a receiving municipality declines a pending transfer."""

    not_resident = "not_resident"
    """The person is not (or not yet) registered as living in the municipality."""
    already_registered = "already_registered"
    """The municipality already follows the person in another record."""
    wrong_municipality = "wrong_municipality"
    """The transfer was addressed to the wrong municipality."""
    other = "other"


class TransferredPlan(PlanContent):
    """The integration plan's latest revision as it passes: codes, hours and dates."""


class TransferredProgramme(Part):
    """The programme as it stood on the day of the move."""

    kind: ProgrammeKind
    starts_on: date
    granted_days: int = Field(ge=0, description="Planned end before any leave, minus start")
    used_days: int = Field(ge=0, description="Programme days run up to the move, leave excluded")
    leave_days: int = Field(ge=0, description="Days of leave or interruption up to the move")
    ended_on: date | None = None


class RemainingRight(Part):
    """What is left of the person's rights on the day of the move."""

    programme_days: int | None = Field(
        default=None, ge=0, description="Days left of the granted programme time (≥ 0)"
    )
    programme_ends_on: date | None = Field(
        default=None, description="The move day plus programme_days: where a new plan may end"
    )
    norwegian_training_ends_on: date | None = Field(
        default=None, description="The end of the right to Norwegian training, when recorded"
    )
    norwegian_training_days: int | None = Field(default=None, ge=0)


class TransferredAct(Part):
    """Category and decision under the Act, when recorded (codes and dates)."""

    category: str | None = Field(default=None, max_length=80)
    decision: str | None = Field(default=None, max_length=80)
    decided_on: date | None = None
    legal_basis: str | None = Field(default=None, max_length=80)


class _OfTransfer(Event):
    """An event of one transfer of the participant to another municipality."""

    participant_id: uuid.UUID
    transfer_id: uuid.UUID


@registry.register
class TransferRecorded(_OfTransfer):
    """The participant moved to another municipality (flytting), recorded by the sender.

    ``delivered``: the receiving municipality runs Veiviser on this deployment and gets a
    pending transfer; otherwise the transfer is recorded as outbound only.
    """

    type_name: ClassVar[str] = "participants.transfer.recorded.v1"
    to_municipality: MunicipalityCode
    moved_on: date
    delivered: bool


@registry.register
class TransferPackagePrepared(_OfTransfer):
    """What passes to the receiving municipality: no free text, no contact details.

    Personal details (name, birth date, national id) are not copied here: they pass at
    acceptance, sealed under the new participant's own key. Never published.
    """

    type_name: ClassVar[str] = "participants.transfer.package_prepared.v1"
    published: ClassVar[bool] = False
    to_municipality: MunicipalityCode
    moved_on: date
    birth_year: int
    gender: Gender = Gender.unknown
    settled_on: date | None = None
    arrival_category: ArrivalCategory | None = None
    programme: TransferredProgramme | None = None
    plan: TransferredPlan | None = None
    planned_hours: float = Field(ge=0)
    absence_hours: float = Field(ge=0)
    hours_done: float = Field(ge=0)
    remaining: RemainingRight = RemainingRight()
    act: TransferredAct | None = None


@registry.register
class TransferAccepted(_OfTransfer):
    """The receiving municipality accepted the transfer: the person continues there as
    ``received_as`` (a participant of that municipality)."""

    type_name: ClassVar[str] = "participants.transfer.accepted.v1"
    received_as: uuid.UUID
    accepted_on: date


@registry.register
class TransferDeclined(_OfTransfer):
    """The receiving municipality declined the transfer (a reason code, no text)."""

    type_name: ClassVar[str] = "participants.transfer.declined.v1"
    declined_on: date
    reason: DeclineReason


@registry.register
class ParticipantTransferredIn(_OfTransfer):
    """A person moved in from another municipality and continues here (first event after
    registration of the receiving municipality's new record)."""

    type_name: ClassVar[str] = "participants.participant.transferred_in.v1"
    from_municipality: MunicipalityCode
    moved_in_on: date
    settled_on: date | None = None
    arrival_category: ArrivalCategory | None = None
