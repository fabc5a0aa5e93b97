"""Events: from competence mapping to the integration contract.

Published (ids, dates and codes only):

- ``participants.contract.competence_mapped.v1`` (:class:`CompetenceMapped`): the
  competence mapping after settlement (kompetansekartlegging, integreringsloven § 10)
  was done on
  ``mapped_on``, with the highest completed education it found (a code);
- ``participants.contract.career_guidance_given.v1`` (:class:`CareerGuidanceGiven`):
  career guidance (karriereveiledning, integreringsloven § 11) on ``guided_on``;
- ``participants.contract.integration_contract_agreed.v1``, ``..._signed.v1``,
  ``..._revised.v1``: the integration contract (integreringskontrakt, integreringsloven
  § 16, made with the integreringsplan of § 15), one ``contract_id`` per participant, revisions numbered from 1 (agreed) and
  each revision signed on its own day.

Unpublished (sealed): the contract's content in words
(:class:`IntegrationContractContentRecorded`), per revision.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import ClassVar

from pydantic import Field

from services.participants.events.registry import registry
from shared.events import Event
from shared.vocabulary import EducationLevel

__all__ = [
    "CareerGuidanceGiven",
    "CompetenceMapped",
    "IntegrationContractAgreed",
    "IntegrationContractContentRecorded",
    "IntegrationContractRevised",
    "IntegrationContractSigned",
]


@registry.register
class CompetenceMapped(Event):
    """The competence mapping (kartlegging) was done on ``mapped_on``.

    ``education_level``: the highest completed education the mapping found; the
    programme length the Act allows depends on it (integreringsloven §§ 13 and 14).
    ``upper_secondary_completed``: whether that counts as fullført videregående
    opplæring (or higher) in Norway's terms, as the caseworker judged it.
    """

    type_name: ClassVar[str] = "participants.contract.competence_mapped.v1"
    participant_id: uuid.UUID
    mapped_on: date
    education_level: EducationLevel | None = None
    upper_secondary_completed: bool = False


@registry.register
class CareerGuidanceGiven(Event):
    """Career guidance (karriereveiledning) was given on ``guided_on``."""

    type_name: ClassVar[str] = "participants.contract.career_guidance_given.v1"
    participant_id: uuid.UUID
    guided_on: date


class _OfContract(Event):
    """An event of the participant's integration contract (integreringskontrakt)."""

    participant_id: uuid.UUID
    contract_id: uuid.UUID


@registry.register
class IntegrationContractAgreed(_OfContract):
    """The integration contract was agreed on ``agreed_on``: revision 1.

    ``plan_revision`` is the integration plan's revision it was agreed with (the
    contract is made at the same time as the plan).
    """

    type_name: ClassVar[str] = "participants.contract.integration_contract_agreed.v1"
    programme_id: uuid.UUID
    revision: int = Field(default=1, ge=1, le=1)
    agreed_on: date
    plan_revision: int = Field(ge=1)


@registry.register
class IntegrationContractSigned(_OfContract):
    """Revision ``revision`` of the contract was signed by both parties on ``signed_on``."""

    type_name: ClassVar[str] = "participants.contract.integration_contract_signed.v1"
    revision: int = Field(ge=1)
    signed_on: date


@registry.register
class IntegrationContractRevised(_OfContract):
    """A new revision (``revision`` ≥ 2) of the contract, agreed on ``revised_on``; the
    earlier revisions are kept. It needs signing again."""

    type_name: ClassVar[str] = "participants.contract.integration_contract_revised.v1"
    revision: int = Field(ge=2)
    revised_on: date
    plan_revision: int = Field(ge=1)


@registry.register
class IntegrationContractContentRecorded(_OfContract):
    """The contract's content of revision ``revision`` (mutual obligations, long-term goal)
    in words, sealed with the participant's key. Never published."""

    type_name: ClassVar[str] = "participants.contract.integration_contract_content_recorded.v1"
    published: ClassVar[bool] = False
    revision: int = Field(ge=1)
    sealed: str
