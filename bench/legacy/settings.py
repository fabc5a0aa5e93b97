"""Frozen copy of the additive model (commit b774bbe), kept only for bench.matching_eval.

Weights and thresholds of the match score (``VEIVISER_MATCHING_*`` environment variables).

The score of a candidate for an opening is ``100 × Σ weight × value`` over the parts
below, each value in [0, 1]; the weights must add up to 1, so a score is 0–100 and
each part's points are ``100 × weight × value``. A failed hard requirement (driving
licence, qualification) excludes the candidate whatever the score.
"""

from __future__ import annotations

from typing import Self

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


class MatchingSettings(BaseSettings):
    """Documented, tunable weights; built in ``create_app``, never at import time."""

    model_config = SettingsConfigDict(env_prefix="VEIVISER_MATCHING_", extra="ignore")

    weight_occupation: float = Field(
        0.25,
        ge=0,
        le=1,
        description="Occupation proximity through the ISCO-08 hierarchy, times experience.",
    )
    weight_essential_skills: float = Field(
        0.25, ge=0, le=1, description="Share of the opening's essential skills the candidate has."
    )
    weight_optional_skills: float = Field(
        0.10,
        ge=0,
        le=1,
        description="Share of the opening's optional skills the candidate has; counts once "
        "every essential skill is there.",
    )
    weight_norwegian: float = Field(
        0.15, ge=0, le=1, description="Norwegian level per required sub-skill against the need."
    )
    weight_location: float = Field(
        0.10, ge=0, le=1, description="Home municipality, wished municipalities and commuting."
    )
    weight_wishes: float = Field(
        0.05, ge=0, le=1, description="The participant's own wishes: occupations and hours."
    )
    weight_education: float = Field(
        0.05,
        ge=0,
        le=1,
        description="Education level against the occupation's ISCO skill level (used, not wasted).",
    )
    weight_mentoring: float = Field(
        0.05, ge=0, le=1, description="The employer has mentor capacity left."
    )

    proximity_unit_group: float = Field(1.0, ge=0, le=1, description="Same 4-digit unit group.")
    proximity_minor_group: float = Field(0.6, ge=0, le=1, description="Same 3-digit minor group.")
    proximity_sub_major_group: float = Field(
        0.35, ge=0, le=1, description="Same 2-digit sub-major group."
    )
    proximity_major_group: float = Field(0.15, ge=0, le=1, description="Same 1-digit major group.")

    band_strong: float = Field(
        70.0, ge=0, le=100, description="Score from which a match is strong."
    )
    band_partial: float = Field(
        45.0, ge=0, le=100, description="Score from which a match is partial (below: weak)."
    )
    waiting_bonus: float = Field(
        10.0,
        ge=0,
        le=100,
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
    def _weights_add_up(self) -> Self:
        total = sum(self.weights().values())
        if abs(total - 1.0) > 1e-9:
            raise ValueError(f"the matching weights must add up to 1, not {total}")
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
