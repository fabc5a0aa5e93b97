"""Weights and thresholds of the match score (``VEIVISER_MATCHING_*`` environment variables).

The score is gated and multiplicative (``docs/matching/scoring.md``)::

    score = 100 × Π factor(part),   factor(part) = 1 − weight(part) × (1 − value(part))

over the parts below, each value in [0, 1]. A part's weight is how much of the score it
can take away: 0 ignores the part, 1 lets it bring the score to zero. The essential
skills are the gate (weight close to 1): their value is the coverage of the opening's
essential skills (related skills and unconfirmed suggestions count in part), topped up
by ``title_credit`` × title proximity for the part not covered (a title stands in
for skills only in part). The other way round, the essential skills shown top up the
occupation part (``skill_evidence`` × coverage ** ``skill_evidence_power``): informal
competence counts as experience of the work. A failed hard requirement (driving licence, qualification) excludes the
candidate whatever the score.
"""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PARTS = (
    "occupation",
    "essential_skills",
    "optional_skills",
    "norwegian",
    "location",
    "wishes",
    "education",
    "mentoring",
)
"""The parts of the score, in the order explanations list them."""

Share = Annotated[float, Field(ge=0, le=1)]
"""A weight, credit or proximity: a share of the score or of a part, 0 to 1."""
Points = Annotated[float, Field(ge=0, le=100)]
"""A number of points on the 0–100 score."""


class MatchingSettings(BaseSettings):
    """Documented, tunable weights; built in ``create_app``, never at import time."""

    model_config = SettingsConfigDict(env_prefix="VEIVISER_MATCHING_", extra="ignore")

    weight_occupation: Share = Field(
        0.45,
        description="How much occupation proximity (ISCO-08 hierarchy × experience) can take "
        "off the score: a factor, never the floor.",
    )
    weight_essential_skills: float = Field(
        0.98,
        ge=0.5,
        le=1,
        description="The gate: without any essential skill (or title evidence) the score "
        "keeps only 1 − this weight of itself.",
    )
    weight_optional_skills: Share = Field(
        0.10, description="Share of the opening's optional skills (a small factor)."
    )
    weight_norwegian: Share = Field(
        0.35, description="Norwegian level per required sub-skill against the need."
    )
    weight_location: Share = Field(
        0.30, description="Home municipality, wished municipalities and commuting."
    )
    weight_wishes: Share = Field(
        0.10, description="The participant's own wishes: occupations and hours."
    )
    weight_education: Share = Field(
        0.10,
        description="Education level against the occupation's ISCO skill level (used, not wasted).",
    )
    weight_mentoring: Share = Field(0.05, description="The employer has mentor capacity left.")

    related_skill_credit: Share = Field(
        0.5,
        description="Credit for a required skill the candidate lacks but holds a related one "
        "of (same ESCO skill group, or broader/narrower skill).",
    )
    suggested_skill_discount: Share = Field(
        0.5,
        description="An unconfirmed skill suggested from free text counts as "
        "discount × similarity of a held skill.",
    )
    title_credit: Share = Field(
        0.15,
        description="How much of the essential-skills gate occupation proximity alone can open "
        "(a title is evidence of skills, not proof).",
    )

    skill_evidence: Share = Field(
        0.5,
        description="How much of the occupation part a title leaves open the essential skills "
        "shown can fill: informal competence (realkompetanse) counts as experience of the work.",
    )
    skill_evidence_power: float = Field(
        3.0,
        ge=1,
        le=10,
        description="Coverage of the essential skills is raised to this power before it counts "
        "as experience: nearly all of them are needed, some of them count in the gate only.",
    )

    proximity_unit_group: Share = Field(1.0, description="Same 4-digit unit group.")
    proximity_minor_group: Share = Field(0.6, description="Same 3-digit minor group.")
    proximity_sub_major_group: Share = Field(0.35, description="Same 2-digit sub-major group.")
    proximity_major_group: Share = Field(0.15, description="Same 1-digit major group.")

    band_strong: Points = Field(50.0, description="Score from which a match is strong.")
    band_partial: Points = Field(
        25.0, description="Score from which a match is partial (below: weak)."
    )
    waiting_bonus: Points = Field(
        10.0,
        description="Allocation with favour_waiting: points added for the longest wait, "
        "pro rata for shorter waits.",
    )
    index_wait_seconds: float = Field(
        3.0,
        ge=0,
        le=30,
        description="How long a request answered from the index waits for the first build "
        "after start-up before it answers 503 with Retry-After (other requests never wait).",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if not (
            self.proximity_unit_group
            >= self.proximity_minor_group
            >= self.proximity_sub_major_group
            >= self.proximity_major_group
        ):
            raise ValueError("ISCO proximity must not grow from unit group to major group")
        if self.band_partial > self.band_strong:
            raise ValueError("band_partial must not exceed band_strong")
        return self

    def weights(self) -> dict[str, float]:
        return {part: float(getattr(self, f"weight_{part}")) for part in PARTS}

    def proximities(self) -> tuple[float, float, float, float]:
        """Proximity of the unit, minor, sub-major and major group, finest first."""
        return (
            self.proximity_unit_group,
            self.proximity_minor_group,
            self.proximity_sub_major_group,
            self.proximity_major_group,
        )

    def band(self, score: float, excluded: bool) -> str:
        if excluded:
            return "excluded"
        if score >= self.band_strong:
            return "strong"
        if score >= self.band_partial:
            return "partial"
        return "weak"

    def band_range(self, band: str) -> tuple[float, float]:
        """Scores ``[low, high)`` of a band (``excluded`` is not a score range)."""
        if band == "strong":
            return self.band_strong, float("inf")
        if band == "partial":
            return self.band_partial, self.band_strong
        return float("-inf"), self.band_partial
