"""Events: the person under the Integration Act (integreringsloven).

Published (ids, dates and codes only):

- ``participants.act.category_recorded.v1`` (:class:`CategoryRecorded`): the person's
  category under the Act from ``valid_from``; a later one replaces it from its own
  ``valid_from`` (every change is kept: the category history).
- ``participants.act.participation_decided.v1`` (:class:`ParticipationDecided`): the
  decision (vedtak) on participation in a scheme (introduction programme, Norwegian
  training, social studies), granted or refused, with its legal basis as a code.
- ``participants.act.complaint_lodged.v1`` / ``participants.act.complaint_resolved.v1``:
  a complaint (klage) on a decision and its outcome.

Unpublished (sealed with the participant's key): the decision's and the complaint's
grounds in the caseworker's words (:class:`DecisionGroundsRecorded`,
:class:`ComplaintGroundsRecorded`).
"""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum
from typing import ClassVar

from pydantic import Field

from services.participants.events.registry import registry
from shared.events import Event

__all__ = [
    "LEGAL_BASIS_PATTERN",
    "ActCategory",
    "CategoryRecorded",
    "ComplaintBody",
    "ComplaintGroundsRecorded",
    "ComplaintLodged",
    "ComplaintOutcome",
    "ComplaintResolved",
    "DecisionGroundsRecorded",
    "ParticipationDecided",
    "Scheme",
]

LEGAL_BASIS_PATTERN = r"^il-(\d{1,2}[a-z]?(-\d)?|kap\d{1,2}[a-z]?)$"
"""A legal basis as a code: ``il-<section>[letter][-<paragraph>]`` of integreringsloven,
or ``il-kap<chapter>`` for a whole chapter.

``il-8-1`` is § 8 første ledd, ``il-8-3`` § 8 tredje ledd, ``il-kap6a`` kapittel 6A
(the temporary rules for people displaced from Ukraine). The codes a decision may use are listed in the dated table
``legal_bases`` (``GET /integration-act/rules``) with the section in words.
"""


class ActCategory(StrEnum):
    """The person's category under the Act (what their residence permit makes them).

    - ``refugee``: flyktning (asyl, utlendingsloven § 28; overføringsflyktning § 35;
      opphold etter § 38 etter søknad om beskyttelse), integreringsloven § 9;
    - ``refugee_family``: familiemedlem til flyktning (familiegjenforening, utlendingsloven
      kap. 6), integreringsloven § 9;
    - ``collective_protection``: kollektiv beskyttelse (utlendingsloven § 34) under the
      Act's ordinary rules;
    - ``ukraine_temporary``: kollektiv beskyttelse for fordrevne fra Ukraina granted from
      11 March 2022, under the temporary rules of integreringsloven kapittel 6A;
    - ``other``: every other permit (e.g. family member of a Norwegian citizen, work).
    """

    refugee = "refugee"
    refugee_family = "refugee_family"
    collective_protection = "collective_protection"
    ukraine_temporary = "ukraine_temporary"
    other = "other"


class Scheme(StrEnum):
    """What a decision is about, and what a right or duty is to."""

    introduction_programme = "introduction_programme"
    norwegian_training = "norwegian_training"
    social_studies = "social_studies"


class ComplaintOutcome(StrEnum):
    """The complaint's outcome, seen from the complainant.

    ``upheld``: klagen tatt til følge (the decision changed as asked); ``rejected``: ikke
    tatt til følge (the decision stands); ``partly_upheld``: delvis tatt til følge.
    """

    upheld = "upheld"
    rejected = "rejected"
    partly_upheld = "partly_upheld"


class ComplaintBody(StrEnum):
    """Who resolved the complaint: the municipality itself (forvaltningsloven § 33 andre
    ledd) or the county governor (Statsforvalteren, the complaint body, forvaltningsloven
    § 28)."""

    municipality = "municipality"
    county_governor = "county_governor"


@registry.register
class CategoryRecorded(Event):
    """The person's category under the Act from ``valid_from`` (a change of category when
    one is already recorded: the earlier one ends the day before).

    ``permit_granted_on``: the day the residence permit giving the category was granted;
    the age limits of integreringsloven § 8 are taken on that day. ``None`` when unknown
    (the age is then taken on ``valid_from``).
    """

    type_name: ClassVar[str] = "participants.act.category_recorded.v1"
    participant_id: uuid.UUID
    category: ActCategory
    valid_from: date
    permit_granted_on: date | None = None


@registry.register
class ParticipationDecided(Event):
    """The decision (vedtak) on ``scheme``: granted or refused on ``decided_on``.

    ``legal_basis`` is a code (:data:`LEGAL_BASIS_PATTERN`, e.g. ``il-8``), never words.
    ``decision_id`` is what a complaint points at.
    """

    type_name: ClassVar[str] = "participants.act.participation_decided.v1"
    participant_id: uuid.UUID
    decision_id: uuid.UUID
    scheme: Scheme
    decided_on: date
    legal_basis: str = Field(pattern=LEGAL_BASIS_PATTERN, max_length=12)
    granted: bool
    category: ActCategory = Field(description="The category the decision was made under")


@registry.register
class DecisionGroundsRecorded(Event):
    """The decision's grounds (begrunnelse) in words, sealed. Never published."""

    type_name: ClassVar[str] = "participants.act.decision_grounds_recorded.v1"
    published: ClassVar[bool] = False
    participant_id: uuid.UUID
    decision_id: uuid.UUID
    sealed: str


class _OfComplaint(Event):
    """An event of one complaint (klage) of the participant's."""

    participant_id: uuid.UUID
    complaint_id: uuid.UUID


@registry.register
class ComplaintLodged(_OfComplaint):
    """A complaint (klage) on decision ``decision_id``, lodged on ``lodged_on``."""

    type_name: ClassVar[str] = "participants.act.complaint_lodged.v1"
    decision_id: uuid.UUID
    lodged_on: date


@registry.register
class ComplaintGroundsRecorded(_OfComplaint):
    """What the complaint says, sealed. Never published."""

    type_name: ClassVar[str] = "participants.act.complaint_grounds_recorded.v1"
    published: ClassVar[bool] = False
    sealed: str


@registry.register
class ComplaintResolved(_OfComplaint):
    """The complaint's outcome on ``resolved_on`` (on or after it was lodged)."""

    type_name: ClassVar[str] = "participants.act.complaint_resolved.v1"
    decision_id: uuid.UUID
    resolved_on: date
    outcome: ComplaintOutcome
    resolved_by: ComplaintBody = ComplaintBody.municipality
