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

from pydantic import Field

from shared.events import Event, EventRegistry, MunicipalityCode, Part
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


class NorwegianRequirement(Part):
    """Minimum CEFR level per sub-skill; a sub-skill left out is not required."""

    oral: NorwegianLevel | None = None
    written: NorwegianLevel | None = None
    reading: NorwegianLevel | None = None
    listening: NorwegianLevel | None = None


class Qualification(Part):
    """A required education or certificate, e.g. a trade certificate in health care."""

    min_level: EducationLevel
    field_code: str | None = Field(
        default=None, pattern=r"^\d{2,4}$", description="ISCED-F field (2–4 digits), e.g. '0913'"
    )
    recognised: bool = Field(default=False, description="Must be recognised in Norway (NOKUT)")


class OpeningTerms(Part):
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
    municipality_code: MunicipalityCode = Field(description="Where the work is")
    commute_possible: bool = True


class Contact(Part):
    name: str
    phone: str | None = None
    email: str | None = None


class Agreement(Part):
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
    municipality_code: MunicipalityCode
    mentor_capacity: int = Field(ge=0)


@registry.register
class EmployerRegistered(Event):
    """An employer was registered as a source of openings: ids, codes and its capacity.

    The industry in the employer's words stays in the unpublished details.
    """

    type_name: ClassVar[str] = "matching.employer.registered.v2"
    employer_id: uuid.UUID
    organisation_number: str = Field(pattern=r"^\d{9}$")
    municipality_code: MunicipalityCode
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
    municipality_code: MunicipalityCode = Field(description="Where the work is")
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
    municipality_code: MunicipalityCode
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


class _OfPracticePlacement(Event):
    """An event of the practice placement a match started: who, with whom, in what opening."""

    placement_id: uuid.UUID
    match_id: uuid.UUID
    participant_id: uuid.UUID
    employer_id: uuid.UUID
    opening_id: uuid.UUID


@registry.register
class PracticePlacementStarted(_OfPracticePlacement):
    """A language-practice or work-training placement started."""

    type_name: ClassVar[str] = "matching.practice_placement.started.v1"
    kind: OpeningKind
    starts_on: date
    hours_per_week: float = Field(gt=0)


@registry.register
class PracticePlacementEnded(_OfPracticePlacement):
    """A practice placement ended: completed, broken off, or turned into a job."""

    type_name: ClassVar[str] = "matching.practice_placement.ended.v1"
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


# --- the resource bank of volunteers (issue 15) ----------------------------------------
# Published volunteer events carry ids, codes and dates only; the volunteer's name,
# contact, gender and own words are sealed under the volunteer's key in an unpublished
# event, so deleting the key (an erasure) leaves noise in the event store.


class VolunteerRole(StrEnum):
    guide = "guide"
    work_mentor = "work_mentor"
    education_mentor = "education_mentor"
    escort = "escort"
    host_family = "host_family"
    housing_school_follow_up = "housing_school_follow_up"


ROLES_WITH_MINORS = frozenset({VolunteerRole.escort, VolunteerRole.host_family})
"""Roles that bring the volunteer close to children: a valid politiattest is required."""


class DayPart(StrEnum):
    morning = "morning"
    afternoon = "afternoon"
    evening = "evening"


class TimeSlot(Part):
    """A part of a weekday (0 Monday … 6 Sunday) a volunteer is free or a need falls on."""

    weekday: int = Field(ge=0, le=6)
    part: DayPart


class Gender(StrEnum):
    female = "female"
    male = "male"
    other = "other"


@registry.register
class VolunteerRegistered(Event):
    """A volunteer joined the resource bank, with consent: roles, languages, capacity."""

    type_name: ClassVar[str] = "matching.volunteer.registered.v1"
    volunteer_id: uuid.UUID
    roles: tuple[VolunteerRole, ...] = Field(min_length=1)
    languages: tuple[str, ...] = Field(description="ISO 639 codes")
    municipality_code: MunicipalityCode
    capacity: int = Field(ge=1, le=20, description="Assignments the volunteer takes at once")
    consented_on: date


@registry.register
class VolunteerProfileRecorded(Event):
    """Skills, areas, times and the sealed personal record of a volunteer. Never published."""

    type_name: ClassVar[str] = "matching.volunteer.profile_recorded.v1"
    published: ClassVar[bool] = False
    volunteer_id: uuid.UUID
    skills: tuple[str, ...] = Field(default=(), description="ESCO skill URIs")
    areas: tuple[str, ...] = ()
    slots: tuple[TimeSlot, ...] = ()
    available_from: date
    available_until: date | None = None
    sealed: str = Field(description="Name, contact, gender, contribution, informal competence")


@registry.register
class VolunteerCertificateChecked(Event):
    """The volunteer's politiattest was checked: when, by whom (a reference), until when.

    Never published (the checker's reference stays inside the service)."""

    type_name: ClassVar[str] = "matching.volunteer.certificate_checked.v1"
    published: ClassVar[bool] = False
    volunteer_id: uuid.UUID
    checked_on: date
    checked_by: str = Field(max_length=100)
    expires_on: date


@registry.register
class VolunteerApproved(Event):
    """A volunteer coordinator approved the volunteer for assignments."""

    type_name: ClassVar[str] = "matching.volunteer.approved.v1"
    volunteer_id: uuid.UUID
    approved_on: date


class ContactKind(StrEnum):
    call = "call"
    meeting = "meeting"
    message = "message"


@registry.register
class VolunteerContacted(Event):
    """The coordinator was in touch with the volunteer (keeping them warm). Never published."""

    type_name: ClassVar[str] = "matching.volunteer.contacted.v1"
    published: ClassVar[bool] = False
    volunteer_id: uuid.UUID
    contacted_on: date
    kind: ContactKind


class _OfAssignment(Event):
    """An event of one of the volunteer's assignments."""

    volunteer_id: uuid.UUID
    assignment_id: uuid.UUID


@registry.register
class VolunteerAssigned(_OfAssignment):
    """The volunteer took on a need: from ``starts_on`` to ``ends_on`` (open without)."""

    type_name: ClassVar[str] = "matching.volunteer.assigned.v1"
    need_id: uuid.UUID
    role: VolunteerRole
    starts_on: date
    ends_on: date | None = None


class FollowUpStatus(StrEnum):
    going_well = "going_well"
    needs_attention = "needs_attention"


@registry.register
class VolunteerAssignmentFollowedUp(_OfAssignment):
    """The coordinator followed an assignment up. Never published."""

    type_name: ClassVar[str] = "matching.volunteer.assignment_followed_up.v1"
    published: ClassVar[bool] = False
    followed_up_on: date
    status: FollowUpStatus


@registry.register
class VolunteerAssignmentEnded(_OfAssignment):
    """An assignment ended (before or on its planned end)."""

    type_name: ClassVar[str] = "matching.volunteer.assignment_ended.v1"
    ended_on: date


@registry.register
class VolunteerErased(Event):
    """The volunteer's personal record was erased: their key is destroyed."""

    type_name: ClassVar[str] = "matching.volunteer.erased.v1"
    volunteer_id: uuid.UUID


@registry.register
class VolunteerNeedRegistered(Event):
    """A participant or a household needs a volunteer: role, language, where and when."""

    type_name: ClassVar[str] = "matching.volunteer_need.registered.v1"
    need_id: uuid.UUID
    participant_id: uuid.UUID | None = None
    household_id: uuid.UUID | None = None
    role: VolunteerRole
    language: str = Field(description="ISO 639 code the volunteer must speak")
    municipality_code: MunicipalityCode
    area: str | None = Field(default=None, max_length=60)
    slots: tuple[TimeSlot, ...] = ()
    starts_on: date
    ends_on: date | None = None
    involves_minors: bool = False
    preferred_gender: Gender | None = None
    skills: tuple[str, ...] = Field(default=(), description="ESCO skill URIs wished for")


class GatheringKind(StrEnum):
    gathering = "gathering"
    course = "course"
    social = "social"


@registry.register
class VolunteerGatheringHeld(Event):
    """A gathering or course for volunteers was held, with the volunteers who came."""

    type_name: ClassVar[str] = "matching.volunteer_gathering.held.v1"
    gathering_id: uuid.UUID
    kind: GatheringKind
    held_on: date
    attended: tuple[uuid.UUID, ...] = Field(max_length=1000)
