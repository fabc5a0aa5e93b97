"""The journey's events: registration, settlement, programme, plan, absence, leaving."""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, ClassVar

from pydantic import Field

from services.participants.events.registry import registry
from shared.events import Event, MunicipalityCode, Part
from shared.vocabulary import (
    ArrivalCategory,
    EducationLevel,
    FollowUpStatus,
    Gender,
    NorwegianLevel,
    NorwegianSubTest,
    Outcome,
    ProgrammeKind,
)

__all__ = [
    "BASE_EXCLUDING_OUTCOMES",
    "AbsenceKind",
    "AbsenceRecorded",
    "ActivityKind",
    "ArrivalCategory",
    "CompetenceProfileRecorded",
    "CompetenceProfileUpdated",
    "CompletionReason",
    "EducationLevel",
    "EndGoal",
    "FollowUpConversationHeld",
    "FollowUpConversationHeldV1",
    "FollowUpStatus",
    "FollowUpStatusRecorded",
    "Gender",
    "NorwegianLevel",
    "NorwegianLevels",
    "NorwegianSubTest",
    "NorwegianTestRecorded",
    "Outcome",
    "ParticipantBirthYearCorrected",
    "ParticipantDied",
    "ParticipantEmigrated",
    "ParticipantErased",
    "ParticipantLeftHousehold",
    "ParticipantMovedOut",
    "ParticipantRegistered",
    "ParticipantSettled",
    "PauseKind",
    "PersonalDetailsRecorded",
    "PlanGoalDescribed",
    "PlanProvidersRecorded",
    "PlanRevised",
    "PlannedActivity",
    "PlannedActivityV1",
    "ProgrammeAdviserAssigned",
    "ProgrammeCompleted",
    "ProgrammeInterrupted",
    "ProgrammeKind",
    "ProgrammeOutcomeRecorded",
    "ProgrammeResumed",
    "ProgrammeStarted",
    "SharedConsent",
    "SharedEducation",
    "SharedLanguage",
    "SharedOccupation",
    "SharedWishes",
    "SuggestedSkill",
]


class PauseKind(StrEnum):
    leave = "leave"
    interruption = "interruption"


class ActivityKind(StrEnum):
    norwegian_training = "norwegian_training"
    social_studies = "social_studies"
    language_practice = "language_practice"
    work_training = "work_training"
    job_seeking_course = "job_seeking_course"
    primary_school_for_adults = "primary_school_for_adults"
    education = "education"
    other = "other"


class AbsenceKind(StrEnum):
    """What an absence is: hours away (fravær) or whole days away without permission
    (permisjon uten tillatelse); both reduce the introduction benefit (integreringsloven § 21)."""

    absence = "absence"
    unauthorised_leave = "unauthorised_leave"


class CompletionReason(StrEnum):
    completed = "completed"
    interrupted = "interrupted"


BASE_EXCLUDING_OUTCOMES = frozenset(
    {Outcome.moved_municipality, Outcome.emigrated, Outcome.deceased}
)


class EndGoal(StrEnum):
    work = "work"
    higher_education = "higher_education"
    upper_secondary = "upper_secondary"
    recognition_of_education = "recognition_of_education"
    supplementary_education = "supplementary_education"
    fitted_goal = "fitted_goal"


class PlannedActivity(Part):
    """One activity of a plan as published: kind, hours and dates; the provider stays sealed."""

    kind: ActivityKind
    hours_per_week: float = Field(ge=0, le=60)
    starts_on: date
    ends_on: date | None = None


class PlannedActivityV1(Part):
    """An activity of ``plan.revised.v1``, which still carried the provider in clear."""

    kind: ActivityKind
    hours_per_week: float = Field(ge=0, le=60)
    provider: str | None = Field(default=None, max_length=200)
    starts_on: date
    ends_on: date | None = None


class SharedOccupation(Part):
    isco_code: str = Field(pattern=r"^\d{4}$", description="ISCO-08 / STYRK-08 unit group")
    years: float = Field(ge=0, le=60)


class SuggestedSkill(Part):
    """An ESCO skill the person's free text suggests, not (yet) confirmed by a caseworker."""

    uri: str = Field(max_length=200, pattern=r"^https?://", description="ESCO skill URI")
    similarity: float = Field(
        ge=0, le=1, description="How much of the skill's label the text holds"
    )


class SharedEducation(Part):
    level: EducationLevel
    field_code: str | None = Field(
        default=None, pattern=r"^\d{2,4}$", description="ISCED-F field code, e.g. '0913'"
    )
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    years: float | None = Field(default=None, ge=0, le=30)
    recognised: bool = False


class SharedLanguage(Part):
    language: str = Field(pattern=r"^[a-z]{2,3}$", description="ISO 639 code")
    level: NorwegianLevel


class SharedWishes(Part):
    occupations: tuple[Annotated[str, Field(pattern=r"^\d{4}$")], ...] = Field(
        default=(), max_length=100, description="ISCO-08 / STYRK-08 codes"
    )
    hours_per_week: float | None = None
    municipalities: tuple[MunicipalityCode, ...] = Field(
        default=(), max_length=100, description="Kommunenummer"
    )


class SharedConsent(Part):
    """Which parts of the profile the person shares; a part that is false is empty."""

    occupations: bool = False
    education: bool = False
    skills: bool = False
    languages: bool = False
    norwegian: bool = False
    driving_licences: bool = False
    wishes: bool = False


class NorwegianLevels(Part):
    oral: NorwegianLevel | None = None
    written: NorwegianLevel | None = None
    reading: NorwegianLevel | None = None
    listening: NorwegianLevel | None = None


@registry.register
class ParticipantRegistered(Event):
    """A person became a participant of the municipality (no personal details)."""

    type_name: ClassVar[str] = "participants.participant.registered.v1"
    participant_id: uuid.UUID
    birth_year: int
    gender: Gender = Gender.unknown


@registry.register
class PersonalDetailsRecorded(Event):
    """Names, birth date, national id, contact: sealed with the participant's key. Never published."""

    type_name: ClassVar[str] = "participants.participant.personal_details_recorded.v1"
    published: ClassVar[bool] = False
    participant_id: uuid.UUID
    sealed: str


@registry.register
class ParticipantSettled(Event):
    """The person was settled (bosatt) in the municipality, in a household."""

    type_name: ClassVar[str] = "participants.participant.settled.v1"
    participant_id: uuid.UUID
    settled_on: date
    arrival_category: ArrivalCategory
    household_id: uuid.UUID | None = None
    household_size: int | None = Field(default=None, ge=1)
    unaccompanied_minor: bool = False


class OfProgramme(Event):
    """An event of the participant's introduction or qualification programme."""

    participant_id: uuid.UUID
    programme_id: uuid.UUID


@registry.register
class ProgrammeStarted(OfProgramme):
    """An introduction or qualification programme starts on ``starts_on`` (may be planned ahead).

    v2 no longer carries the adviser: who advises the participant stays sealed in the
    service (``programme.adviser_assigned``).
    """

    type_name: ClassVar[str] = "participants.programme.started.v2"
    kind: ProgrammeKind
    starts_on: date
    planned_end: date


@registry.upcaster("participants.programme.started.v1", ProgrammeStarted.type_name)
def _programme_started_v1(data: dict[str, Any]) -> dict[str, Any]:
    data.pop("adviser", None)
    return data


@registry.register
class ProgrammeAdviserAssigned(OfProgramme):
    """The programme's adviser, sealed with the participant's key. Never published."""

    type_name: ClassVar[str] = "participants.programme.adviser_assigned.v1"
    published: ClassVar[bool] = False
    sealed_adviser: str


@registry.register
class ProgrammeInterrupted(OfProgramme):
    """The programme paused: leave (permisjon) or interruption (avbrudd)."""

    type_name: ClassVar[str] = "participants.programme.interrupted.v1"
    kind: PauseKind
    from_date: date = Field(description="First day of the pause; may lie ahead (scheduled)")


@registry.register
class ProgrammeResumed(OfProgramme):
    """The programme resumed after a pause; the planned end moved by the pause."""

    type_name: ClassVar[str] = "participants.programme.resumed.v1"
    resumed_on: date
    planned_end: date


class PlanContent(Part):
    """What a revision of the integration plan holds: codes, hours and dates. The revision
    event and the plan a transfer carries share it (a base, so each keeps its own name)."""

    revision: int = Field(ge=1)
    valid_from: date
    end_goal: EndGoal
    norwegian_goal: NorwegianLevel | None = None
    activities: tuple[PlannedActivity, ...] = Field(max_length=100)
    hours_per_week: float
    full_time: bool


# PlanContent first: the fields then follow OfProgramme's (participant_id, programme_id),
# as they did when PlanRevised declared them itself, so the schema is unchanged.
@registry.register
class PlanRevised(PlanContent, OfProgramme):
    """A new revision of the individual plan (integration plan): activities and hours.

    v2 publishes activities without their provider (kept sealed in
    ``plan.providers_recorded``).
    """

    type_name: ClassVar[str] = "participants.plan.revised.v2"


@registry.upcaster("participants.plan.revised.v1", PlanRevised.type_name)
def _plan_revised_v1(data: dict[str, Any]) -> dict[str, Any]:
    data["activities"] = [
        {k: v for k, v in activity.items() if k != "provider"}
        for activity in data.get("activities", [])
    ]
    return data


class _SealedOfPlanRevision(Event):
    """Words that belong to a plan revision, sealed with the participant's key. Never published."""

    published: ClassVar[bool] = False
    participant_id: uuid.UUID
    revision: int
    sealed: str


@registry.register
class PlanProvidersRecorded(_SealedOfPlanRevision):
    """Who provides each activity of a plan revision, sealed (a JSON list). Never published."""

    type_name: ClassVar[str] = "participants.plan.providers_recorded.v1"


@registry.register
class PlanGoalDescribed(_SealedOfPlanRevision):
    """The plan's goal in the caseworker's words, sealed. Never published."""

    type_name: ClassVar[str] = "participants.plan.goal_described.v1"


@registry.register
class FollowUpConversationHeldV1(Event):
    """A follow-up conversation as first stored, adviser in clear; read, no longer written."""

    type_name: ClassVar[str] = "participants.follow_up.conversation_held.v1"
    published: ClassVar[bool] = False
    participant_id: uuid.UUID
    held_on: date
    adviser: str
    sealed_note: str | None = None


@registry.register
class FollowUpConversationHeld(Event):
    """A follow-up conversation (oppfølgingssamtale); adviser and note sealed. Never published."""

    type_name: ClassVar[str] = "participants.follow_up.conversation_held.v2"
    published: ClassVar[bool] = False
    participant_id: uuid.UUID
    held_on: date
    sealed_adviser: str
    sealed_note: str | None = None


@registry.register
class AbsenceRecorded(Event):
    """Absence on one day, with or without a valid reason. Never published.

    ``kind`` and ``activity`` came later: older events have neither and read as an
    absence (hours) from no named activity.
    """

    type_name: ClassVar[str] = "participants.absence.recorded.v1"
    published: ClassVar[bool] = False
    participant_id: uuid.UUID
    on: date
    hours: float
    valid_reason: bool
    sealed_note: str | None = None
    kind: AbsenceKind = AbsenceKind.absence
    activity: ActivityKind | None = None


@registry.register
class CompetenceProfileRecorded(Event):
    """The whole competence profile and the consent, sealed. Never published."""

    type_name: ClassVar[str] = "participants.competence_profile.recorded.v1"
    published: ClassVar[bool] = False
    participant_id: uuid.UUID
    sealed: str


@registry.register
class NorwegianTestRecorded(Event):
    """A Norwegian test result for one sub-test."""

    type_name: ClassVar[str] = "participants.norwegian_test.recorded.v1"
    participant_id: uuid.UUID
    sub_test: NorwegianSubTest
    level: NorwegianLevel
    taken_on: date


@registry.register
class CompetenceProfileUpdated(Event):
    """The parts of the competence profile the participant consented to share with employers."""

    type_name: ClassVar[str] = "participants.competence_profile.updated.v1"
    participant_id: uuid.UUID
    occupations: tuple[SharedOccupation, ...] = ()
    education: tuple[SharedEducation, ...] = ()
    skills: tuple[Annotated[str, Field(max_length=200, pattern=r"^https?://")], ...] = Field(
        default=(), description="ESCO skill URIs"
    )
    languages: tuple[SharedLanguage, ...] = ()
    norwegian: NorwegianLevels = NorwegianLevels()
    driving_licences: tuple[Annotated[str, Field(pattern=r"^[A-Z0-9]{1,3}E?$")], ...] = Field(
        default=(), max_length=20, description="Licence classes (førerkortklasser), e.g. B, C1E"
    )
    wishes: SharedWishes = SharedWishes()
    consent: SharedConsent | None = Field(
        default=None,
        description="What the person shares; absent on older events (the parts present were "
        "shared). The event replaces the previous profile entirely.",
    )
    skills_from_free_text: tuple[
        Annotated[str, Field(max_length=200, pattern=r"^https?://")], ...
    ] = Field(
        default=(),
        description="Of `skills`, those a caseworker confirmed from the person's free text "
        "(shared with `skills`; absent on older events)",
    )
    suggested_skills: tuple[SuggestedSkill, ...] = Field(
        default=(),
        max_length=20,
        description="Unconfirmed suggestions from the person's free text, as URIs with their "
        "similarity, never the text (shared with `skills`; absent on older events)",
    )


@registry.register
class ProgrammeCompleted(OfProgramme):
    """The programme ended (completed or interrupted) with the outcome directly after."""

    type_name: ClassVar[str] = "participants.programme.completed.v1"
    ended_on: date
    reason: CompletionReason
    outcome: Outcome | None = None
    hours_per_week: float | None = None


@registry.register
class ProgrammeOutcomeRecorded(OfProgramme):
    """The outcome directly after the programme, registered after its end."""

    type_name: ClassVar[str] = "participants.programme.outcome_recorded.v1"
    outcome: Outcome
    hours_per_week: float | None = None


@registry.register
class FollowUpStatusRecorded(OfProgramme):
    """Status in November of the year after leaving the programme (SSB's measure)."""

    type_name: ClassVar[str] = "participants.follow_up_status.recorded.v1"
    reference_year: int
    status: FollowUpStatus
    preliminary: bool


@registry.register
class ParticipantMovedOut(Event):
    """The participant moves to another municipality (transfer) on ``moved_on``.

    ``moved_on`` may lie ahead (a move announced in advance): the person is gone only
    from that date on.
    """

    type_name: ClassVar[str] = "participants.participant.moved_out.v1"
    participant_id: uuid.UUID
    moved_on: date
    to_municipality: MunicipalityCode


@registry.register
class ParticipantBirthYearCorrected(Event):
    """The birth date was corrected (it agrees with the national id); the birth year follows."""

    type_name: ClassVar[str] = "participants.participant.birth_year_corrected.v1"
    participant_id: uuid.UUID
    birth_year: int = Field(ge=1900, le=2199)


@registry.register
class ParticipantLeftHousehold(Event):
    """The person left the household but stays in the municipality; one member fewer from
    ``left_on``."""

    type_name: ClassVar[str] = "participants.participant.left_household.v1"
    participant_id: uuid.UUID
    household_id: uuid.UUID
    left_on: date


@registry.register
class ParticipantDied(Event):
    """The participant died; nothing can be recorded after this but corrections or erasure."""

    type_name: ClassVar[str] = "participants.participant.died.v1"
    participant_id: uuid.UUID
    died_on: date


@registry.register
class ParticipantEmigrated(Event):
    """The participant left Norway: out of the base from ``emigrated_on``."""

    type_name: ClassVar[str] = "participants.participant.emigrated.v1"
    participant_id: uuid.UUID
    emigrated_on: date


@registry.register
class ParticipantErased(Event):
    """The participant's personal data was erased; forget everything you hold about them."""

    type_name: ClassVar[str] = "participants.participant.erased.v1"
    participant_id: uuid.UUID
