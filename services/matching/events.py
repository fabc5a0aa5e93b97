"""Events of the matching service.

Published events are the public contract (CloudEvents type ``no.veiviser.<type_name>``):
pseudonymous participant ids, employer and opening ids, codes, dates and numbers only.
Employer names, industries in their own words, contact persons and free text stay in
unpublished events.
"""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from shared.events import Event, EventRegistry
from shared.placement_vocabulary import PlacementOutcome
from shared.vocabulary import EducationLevel, NorwegianLevel

__all__ = ["EducationLevel", "NorwegianLevel", "PlacementOutcome"]

registry = EventRegistry()


class OpeningKind(StrEnum):
    job = "job"
    language_practice = "language_practice"
    work_training = "work_training"
    apprenticeship = "apprenticeship"


PRACTICE_KINDS = frozenset({OpeningKind.language_practice, OpeningKind.work_training})
"""Openings that start a practice placement; the others start a job (an apprentice is employed)."""


NORWEGIAN_ORDER = tuple(NorwegianLevel)
"""CEFR levels, lowest first; a level's rank is its index."""


EDUCATION_ORDER = tuple(EducationLevel)


class Band(StrEnum):
    """How well a candidate fits an opening, from the score (thresholds are settings)."""

    strong = "strong"
    partial = "partial"
    weak = "weak"
    excluded = "excluded"


class CloseReason(StrEnum):
    filled = "filled"
    withdrawn = "withdrawn"
    expired = "expired"
    other = "other"


class DeclinedBy(StrEnum):
    employer = "employer"
    participant = "participant"


class DeclineReason(StrEnum):
    competence = "competence"
    norwegian = "norwegian"
    hours = "hours"
    location = "location"
    timing = "timing"
    other_offer = "other_offer"
    other = "other"


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class NorwegianRequirement(_Part):
    """Minimum CEFR level per sub-skill; a sub-skill left out is not required."""

    oral: NorwegianLevel | None = None
    written: NorwegianLevel | None = None
    reading: NorwegianLevel | None = None
    listening: NorwegianLevel | None = None


class Qualification(_Part):
    """A required education or certificate, e.g. a trade certificate in health care."""

    min_level: EducationLevel
    field_code: str | None = Field(
        default=None, pattern=r"^\d{2,4}$", description="ISCED-F field (2–4 digits), e.g. '0913'"
    )
    recognised: bool = Field(default=False, description="Must be recognised in Norway (NOKUT)")


class OpeningTerms(_Part):
    """What an opening asks for and offers; carried whole by published and changed."""

    isco_code: str = Field(pattern=r"^\d{4}$", description="ISCO-08 / STYRK-08 unit group")
    esco_occupation: str | None = Field(
        default=None, max_length=200, description="ESCO occupation URI"
    )
    essential_skills: tuple[str, ...] = Field(
        default=(), max_length=500, description="ESCO skill URIs"
    )
    optional_skills: tuple[str, ...] = Field(
        default=(), max_length=500, description="ESCO skill URIs"
    )
    norwegian: NorwegianRequirement = NorwegianRequirement()
    driving_licences: tuple[Annotated[str, Field(max_length=3)], ...] = Field(
        default=(), max_length=10, description="Required classes"
    )
    qualifications: tuple[Qualification, ...] = ()
    places: int = Field(ge=1, le=1000)
    hours_per_week: float = Field(gt=0, le=60)
    starts_on: date
    municipality_code: str = Field(pattern=r"^\d{4}$", description="Where the work is")
    commute_possible: bool = True


class Contact(_Part):
    name: str
    phone: str | None = None
    email: str | None = None


class Agreement(_Part):
    """A commitment such as '70 % of practice participants go on to paid work'."""

    description: str
    target_share: float | None = Field(default=None, ge=0, le=1)
    valid_until: date | None = None


@registry.register
class EmployerRegisteredV1(Event):
    """An employer was registered (until issue 9: with the industry as free text).

    Superseded by ``matching.employer.registered.v2``; still read from old streams.
    """

    type_name: ClassVar[str] = "matching.employer.registered.v1"
    employer_id: uuid.UUID
    organisation_number: str = Field(pattern=r"^\d{9}$")
    industry: str
    municipality_code: str = Field(pattern=r"^\d{4}$")
    mentor_capacity: int = Field(ge=0)


@registry.register
class EmployerRegistered(Event):
    """An employer was registered as a source of openings: ids, codes and its capacity.

    The industry in the employer's words stays in the unpublished details.
    """

    type_name: ClassVar[str] = "matching.employer.registered.v2"
    employer_id: uuid.UUID
    organisation_number: str = Field(pattern=r"^\d{9}$")
    municipality_code: str = Field(pattern=r"^\d{4}$")
    mentor_capacity: int = Field(ge=0)


@registry.register
class EmployerDetailsRecorded(Event):
    """Name, industry, contact person and agreements of an employer. Never published."""

    type_name: ClassVar[str] = "matching.employer.details_recorded.v1"
    published: ClassVar[bool] = False
    employer_id: uuid.UUID
    name: str
    industry: str | None = None
    contact: Contact | None = None
    agreements: tuple[Agreement, ...] = ()


class AgreementMeasure(StrEnum):
    """What an employer's agreement counts (the status follows from matching's outcomes)."""

    placement_to_job = "placement_to_job"
    """The share of ended practice placements that turned into a job (``target_share``)."""
    jobs = "jobs"
    """Jobs and apprenticeships started with the employer (``target_count``)."""


@registry.register
class EmployerAgreementRecorded(Event):
    """An agreement with the employer (an IA-avtale, a cooperation agreement) with its
    target and period. Never published. Its type lies outside ``matching.employer.`` so
    the employers read model, which folds that prefix, does not read it."""

    type_name: ClassVar[str] = "matching.employer_agreement.recorded.v1"
    published: ClassVar[bool] = False
    employer_id: uuid.UUID
    agreement_id: uuid.UUID
    measure: AgreementMeasure
    description: str = Field(max_length=500)
    target_share: float | None = Field(default=None, ge=0, le=1)
    target_count: int | None = Field(default=None, ge=1)
    valid_from: date
    valid_until: date | None = None


@registry.register
class EmployerContactRecorded(Event):
    """The employer's contact person, sealed with a key of its own. Never published.

    Destroying the key (an erasure) leaves only noise in the event store.
    """

    type_name: ClassVar[str] = "matching.employer.contact_recorded.v1"
    published: ClassVar[bool] = False
    employer_id: uuid.UUID
    contact_id: uuid.UUID
    sealed: str


@registry.register
class EmployerContactErased(Event):
    """The contact person was erased: their key is destroyed. Never published."""

    type_name: ClassVar[str] = "matching.employer.contact_erased.v1"
    published: ClassVar[bool] = False
    employer_id: uuid.UUID
    contact_id: uuid.UUID | None = Field(
        default=None, description="None: a contact recorded in clear before contacts were sealed"
    )


@registry.register
class OpeningPublished(Event):
    """An employer's opening (job, language practice, work training, apprenticeship)."""

    type_name: ClassVar[str] = "matching.opening.published.v1"
    opening_id: uuid.UUID
    employer_id: uuid.UUID
    kind: OpeningKind
    isco_code: str = Field(pattern=r"^\d{4}$", description="ISCO-08 / STYRK-08 unit group")
    esco_occupation: str | None = Field(
        default=None, max_length=200, description="ESCO occupation URI"
    )
    essential_skills: tuple[str, ...] = Field(
        default=(), max_length=500, description="ESCO skill URIs"
    )
    optional_skills: tuple[str, ...] = Field(
        default=(), max_length=500, description="ESCO skill URIs"
    )
    norwegian: NorwegianRequirement = NorwegianRequirement()
    driving_licences: tuple[str, ...] = ()
    qualifications: tuple[Qualification, ...] = ()
    places: int = Field(ge=1)
    hours_per_week: float = Field(gt=0)
    starts_on: date
    municipality_code: str = Field(pattern=r"^\d{4}$", description="Where the work is")
    commute_possible: bool = True

    def terms(self) -> OpeningTerms:
        return OpeningTerms.model_validate(
            self.model_dump(exclude={"opening_id", "employer_id", "kind"})
        )


@registry.register
class OpeningChanged(Event):
    """The opening's terms changed; carries all terms as they are now."""

    type_name: ClassVar[str] = "matching.opening.changed.v1"
    opening_id: uuid.UUID
    isco_code: str = Field(pattern=r"^\d{4}$")
    esco_occupation: str | None = None
    essential_skills: tuple[str, ...] = ()
    optional_skills: tuple[str, ...] = ()
    norwegian: NorwegianRequirement = NorwegianRequirement()
    driving_licences: tuple[str, ...] = ()
    qualifications: tuple[Qualification, ...] = ()
    places: int = Field(ge=1)
    hours_per_week: float = Field(gt=0)
    starts_on: date
    municipality_code: str = Field(pattern=r"^\d{4}$")
    commute_possible: bool = True

    def terms(self) -> OpeningTerms:
        return OpeningTerms.model_validate(self.model_dump(exclude={"opening_id"}))


@registry.register
class OpeningDetailsRecorded(Event):
    """Title, description and free-text skills of an opening. Never published."""

    type_name: ClassVar[str] = "matching.opening.details_recorded.v1"
    published: ClassVar[bool] = False
    opening_id: uuid.UUID
    title: str
    description: str = ""
    other_skills: tuple[str, ...] = ()


@registry.register
class OpeningClosed(Event):
    """The opening takes no more candidates."""

    type_name: ClassVar[str] = "matching.opening.closed.v1"
    opening_id: uuid.UUID
    closed_on: date
    reason: CloseReason


class _PlaceChange(Event):
    """One of the opening's places, taken or freed by a match. Never published."""

    published: ClassVar[bool] = False
    opening_id: uuid.UUID
    match_id: uuid.UUID


@registry.register
class OpeningPlaceTaken(_PlaceChange):
    """A place of the opening went to a started placement or job. Never published."""

    type_name: ClassVar[str] = "matching.opening.place_taken.v1"


@registry.register
class OpeningPlaceReleased(_PlaceChange):
    """A practice placement ended and its place is free again. Never published."""

    type_name: ClassVar[str] = "matching.opening.place_released.v1"


@registry.register
class MatchProposed(Event):
    """A job coach proposed a participant for an opening, with the score at the time."""

    type_name: ClassVar[str] = "matching.match.proposed.v1"
    match_id: uuid.UUID
    participant_id: uuid.UUID
    opening_id: uuid.UUID
    employer_id: uuid.UUID
    kind: OpeningKind
    score: float = Field(ge=0, le=100)
    band: Band


class _MatchStep(Event):
    """A step of the workflow on a match, on a day. Never published."""

    published: ClassVar[bool] = False
    match_id: uuid.UUID
    on: date


@registry.register
class EmployerInterested(_MatchStep):
    """The employer wants to go on with the proposed participant. Never published."""

    type_name: ClassVar[str] = "matching.match.employer_interested.v1"


@registry.register
class InterviewScheduled(_MatchStep):
    """An interview (or a first meeting) was agreed. Never published."""

    type_name: ClassVar[str] = "matching.match.interview_scheduled.v1"


@registry.register
class OfferMade(_MatchStep):
    """The employer offered the placement or job. Never published."""

    type_name: ClassVar[str] = "matching.match.offer_made.v1"
    starts_on: date
    hours_per_week: float = Field(gt=0, le=60)
    permanent: bool | None = None


@registry.register
class MatchDeclined(Event):
    """The employer or the participant said no."""

    type_name: ClassVar[str] = "matching.match.declined.v1"
    match_id: uuid.UUID
    participant_id: uuid.UUID
    opening_id: uuid.UUID
    declined_by: DeclinedBy
    on: date
    reason: DeclineReason | None = None


@registry.register
class PracticePlacementStarted(Event):
    """A language-practice or work-training placement started."""

    type_name: ClassVar[str] = "matching.practice_placement.started.v1"
    placement_id: uuid.UUID
    match_id: uuid.UUID
    participant_id: uuid.UUID
    employer_id: uuid.UUID
    opening_id: uuid.UUID
    kind: OpeningKind
    starts_on: date
    hours_per_week: float = Field(gt=0)


@registry.register
class PracticePlacementEnded(Event):
    """A practice placement ended: completed, broken off, or turned into a job."""

    type_name: ClassVar[str] = "matching.practice_placement.ended.v1"
    placement_id: uuid.UUID
    match_id: uuid.UUID
    participant_id: uuid.UUID
    employer_id: uuid.UUID
    opening_id: uuid.UUID
    ends_on: date
    outcome: PlacementOutcome


@registry.register
class JobObtained(Event):
    """The participant got a job (or an apprenticeship contract) with the employer."""

    type_name: ClassVar[str] = "matching.job.obtained.v1"
    participant_id: uuid.UUID
    employer_id: uuid.UUID
    opening_id: uuid.UUID
    match_id: uuid.UUID
    starts_on: date
    hours_per_week: float = Field(gt=0)
    permanent: bool
