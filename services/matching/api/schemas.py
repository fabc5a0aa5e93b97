"""Response documents of the matching API (what OpenAPI shows and responses are checked against)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field

from services.matching.domain import MatchStatus, OpeningStatus
from services.matching.events import (
    NorwegianRequirement,
    OpeningKind,
    Qualification,
)

Band = Literal["strong", "partial", "weak", "excluded"]


class ScorePart(BaseModel):
    part: str = Field(description="occupation, essential_skills, optional_skills, norwegian, …")
    weight: float = Field(
        description="How much of the score the part can take away (a setting), 0–1"
    )
    value: float = Field(description="How well the part is met, 0–1")
    factor: float = Field(
        description="1 − weight × (1 − value), rounded to 4 decimals; the score is 100 × the "
        "product of the factors, rounded to 2 decimals"
    )
    points: float = Field(description="The factor in percent (100 × factor)")
    max_points: float = Field(description="100: a part met in full takes nothing away")
    detail: dict[str, Any] = Field(description="Why: the facts behind the value")


class SkillRef(BaseModel):
    uri: str
    label: str | None = Field(default=None, description="Bokmål where the kit has it, else English")


class MatchedSkill(SkillRef):
    source: Literal["profile", "free_text"] = Field(
        default="profile", description="`free_text`: confirmed from the profile's free text"
    )


class RelatedSkill(SkillRef):
    """A skill the opening asks for, credited in part through a related skill held."""

    held: SkillRef
    relation: Literal["same_group", "broader", "narrower"] = Field(
        description="How the held skill stands to the asked one: same ESCO skill group, or "
        "the broader or narrower skill"
    )
    via: SkillRef = Field(description="The shared skill group, or the broader skill")
    credit: float
    text: str = Field(description='"related: <held> for <asked>"')


class UnconfirmedSkill(SkillRef):
    """A skill suggested from free text, not yet confirmed: counts at a discount."""

    similarity: float
    credit: float = Field(description="suggested_skill_discount × similarity")
    text: str


class Exclusion(BaseModel):
    requirement: Literal["driving_licence", "qualification"]
    needs: str
    reason: Literal["not_shared", "has_none", "not_met"] = Field(
        description="`not_shared`: the participant has not consented to share that part; "
        "`has_none`: shared, and there is none; `not_met`: shared, but not enough"
    )
    message: str


Engagement = Literal["in_placement", "employed", "placement_scheduled", "job_scheduled"]


class Explanation(BaseModel):
    """One candidate for one opening: the score is 100 × the product of the parts' factors."""

    participant_id: uuid.UUID
    opening_id: uuid.UUID
    score: float = Field(ge=0, le=100)
    band: Band
    excluded: bool = Field(description="A hard requirement is not met")
    exclusion_reasons: list[str]
    exclusions: list[Exclusion] = Field(
        default_factory=list, description="Each failed hard requirement, with why"
    )
    not_shared: list[str] = Field(
        default_factory=list,
        description="Profile parts the participant has not consented to share (unknown here, "
        "not empty)",
    )
    parts: list[ScorePart]
    matched_skills: list[MatchedSkill]
    related_skills: list[RelatedSkill] = Field(default_factory=list)
    unconfirmed_skills: list[UnconfirmedSkill] = Field(default_factory=list)
    missing_skills: list[SkillRef] = Field(
        description="Essential skills the candidate does not hold (some may be credited in "
        "part as related or unconfirmed)"
    )
    missing_optional_skills: list[SkillRef]
    engagement: Engagement | None = None
    waited_days: int | None = Field(default=None, description="Days since settlement")


class RankedOpening(Explanation):
    kind: OpeningKind
    title: str
    employer_id: uuid.UUID


class CandidatesForOpening(BaseModel):
    opening_id: uuid.UUID
    status: OpeningStatus
    candidates: list[Explanation]


class OpeningsForCandidate(BaseModel):
    participant_id: uuid.UUID
    openings: list[RankedOpening]


class Assignment(BaseModel):
    participant_id: uuid.UUID
    opening_id: uuid.UUID
    score: float
    band: Band
    waited_days: int | None
    waiting_bonus: float
    match_id: uuid.UUID | None = Field(default=None, description="With `propose`")


class UnplacedReason(BaseModel):
    opening_id: uuid.UUID | None
    reason: Literal[
        "hard_requirement",
        "below_min_score",
        "places_went_to_others",
        "mentor_capacity",
        "leaves_before_start",
        "no_candidate",
        "engaged",
    ]
    detail: str


class Unplaced(BaseModel):
    participant_id: uuid.UUID
    waited_days: int | None
    reasons: list[UnplacedReason]


class OpeningFill(BaseModel):
    opening_id: uuid.UUID
    places_offered: int
    places_filled: int


class AllocationResult(BaseModel):
    assignments: list[Assignment]
    unplaced: list[Unplaced]
    openings: list[OpeningFill]
    total_fit: float
    favour_waiting: bool
    solver: str


class Employer(BaseModel):
    id: uuid.UUID
    organisation_number: str
    name: str
    industry: str
    municipality_code: str
    mentor_capacity: int
    contact: dict[str, Any] | None
    agreements: list[dict[str, Any]]
    version: int


class Opening(BaseModel):
    id: uuid.UUID
    employer_id: uuid.UUID
    kind: OpeningKind
    title: str
    description: str
    other_skills: list[str]
    isco_code: str
    esco_occupation: str | None
    essential_skills: list[str]
    optional_skills: list[str]
    norwegian: NorwegianRequirement
    driving_licences: list[str]
    qualifications: list[Qualification]
    places: int
    hours_per_week: float
    starts_on: date
    municipality_code: str
    commute_possible: bool
    places_taken: int
    places_left: int
    status: OpeningStatus
    closed_on: date | None
    close_reason: str | None
    version: int


class MatchView(BaseModel):
    id: uuid.UUID
    participant_id: uuid.UUID
    opening_id: uuid.UUID
    employer_id: uuid.UUID
    kind: OpeningKind
    status: MatchStatus
    score: float
    band: str
    proposed_at: str
    proposed_by: str
    interview_on: date | None
    offer: dict[str, Any] | None
    declined_by: str | None
    placement_id: uuid.UUID | None
    started_on: date | None
    ended_on: date | None
    outcome: str | None
    job: dict[str, Any] | None
    history: list[dict[str, Any]]
    participant_erased: bool
    scheduled: bool = Field(
        default=False,
        description="A placement or job started with a date ahead: it holds its place and "
        "mentor, and counts as started only from `started_on`",
    )
    version: int


class CandidateView(BaseModel):
    participant_id: uuid.UUID
    municipality: str
    engagement: Engagement | None
    settled_on: date | None
    waited_days: int | None
    profile: dict[str, Any] = Field(description="The consented competence profile")
    leaves_on: date | None = Field(
        default=None,
        description="A move to another municipality announced ahead: a candidate here until "
        "the day before",
    )


class LiftedOpening(BaseModel):
    opening_id: uuid.UUID
    title: str
    kind: OpeningKind
    employer_id: uuid.UUID
    score_before: float
    score_after: float
    band_before: Literal["strong", "partial", "weak"]
    band_after: Literal["strong", "partial", "weak"]


class SkillAdvice(BaseModel):
    skill: SkillRef
    required_by: int = Field(description="Open openings listing it as essential")
    openings_to_strong: int = Field(description="Openings it would lift to strong")
    openings_lifted: int = Field(description="Openings it would lift to a better band")
    openings: list[LiftedOpening]


class AdviceForCandidate(BaseModel):
    participant_id: uuid.UUID
    openings_considered: int
    skills: list[SkillAdvice]


class OccupationFactor(BaseModel):
    value: float
    factor: float


class OccupationSuggestion(BaseModel):
    uri: str = Field(description="ESCO occupation")
    label: str = Field(description="ESCO preferred label (English)")
    isco_code: str
    title: str | None = Field(description="STYRK-08 title (bokmål) of its unit group")
    closeness: float = Field(description="100 × the occupation and skill factors, 0–100")
    factors: dict[str, OccupationFactor]
    matched_skills: list[SkillRef]
    related_skills: list[SkillRef]
    unconfirmed_skills: list[SkillRef]
    missing_skills: list[SkillRef]


class OccupationsForCandidate(BaseModel):
    participant_id: uuid.UUID
    occupations: list[OccupationSuggestion]
