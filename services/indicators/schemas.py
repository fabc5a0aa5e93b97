"""Request and response bodies of the indicators API."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

KEY_PATTERN = r"^[a-z][a-z0-9_]{1,62}$"
GOAL_KEY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class MethodIn(_In):
    kind: Literal["computed", "manual", "imported"] = Field(
        description="computed: from events by a built-in rule; manual: registered by hand "
        "(manuell registrering); imported: from a named source such as IMDi, SSB or NAV."
    )
    source: str | None = Field(
        default=None,
        max_length=200,
        description="Where values come from, e.g. 'IMDi måltall' or 'SSB tabell 11318'. "
        "Required for imported indicators.",
    )


class IndicatorChange(_In):
    """Fields of an indicator definition; on a redefinition, left-out fields keep their value."""

    from_catalogue: str | None = Field(
        default=None,
        description="Start from a built-in indicator (GET /indicators/catalogue) and "
        "override any field given here.",
    )
    title_nb: str | None = Field(default=None, min_length=1, max_length=300)
    title_en: str | None = Field(default=None, min_length=1, max_length=300)
    unit: Literal["percent", "count", "days", "nok"] | None = None
    direction: Literal["higher_is_better", "lower_is_better"] | None = None
    granularity: Literal["year", "quarter", "month"] | None = Field(
        default=None, description="The period its thresholds and series are set for."
    )
    method: MethodIn | None = None
    rule: str | None = Field(default=None, description="A built-in rule (GET /indicators/rules).")
    parameters: dict[str, Any] | None = Field(
        default=None, description="The rule's parameters; left-out ones take their defaults."
    )
    decimals: int | None = Field(
        default=None, ge=0, le=4, description="Published precision; values are classified as shown."
    )


class IndicatorIn(IndicatorChange):
    key: str = Field(pattern=KEY_PATTERN, description="Lower-case key, e.g. exit_work")


class BandIn(_In):
    level: Literal["desired", "acceptable", "not_approved"]
    lower: float | None = Field(allow_inf_nan=False, description="Lower end; null for −∞.")
    lower_inclusive: bool | None = Field(
        default=None,
        description="Whether the lower end itself belongs to the band (required "
        "when lower is a number).",
    )
    upper: float | None = Field(allow_inf_nan=False, description="Upper end; null for +∞.")
    upper_inclusive: bool | None = Field(
        default=None,
        description="Whether the upper end itself belongs to the band (required "
        "when upper is a number).",
    )


class ThresholdsIn(_In):
    from_year: int = Field(ge=1990, le=2100)
    to_year: int | None = Field(
        default=None, ge=1990, le=2100, description="Last year (inclusive); default from_year."
    )
    gap_policy: Literal["unclassified", "worse_neighbour"] = Field(
        default="unclassified",
        description="What a value in a gap between bands gets: `unclassified` (grey; the "
        "plan left it open) or `worse_neighbour` (the worse adjacent level).",
    )
    bands: list[BandIn] = Field(min_length=1, max_length=3)


class GoalChange(_In):
    plan_level: Literal["kommuneplan", "okonomiplan", "virksomhetsplan"]
    parent_key: str | None = Field(
        default=None, description="The goal one plan level up (none for a kommuneplan goal)."
    )
    title_nb: str = Field(min_length=1, max_length=300)
    title_en: str = Field(min_length=1, max_length=300)
    owner_unit: str = Field(min_length=1, max_length=200, description="e.g. Introduksjonssenteret")
    from_year: int = Field(ge=1990, le=2100)
    to_year: int = Field(ge=1990, le=2100)
    indicator_keys: list[str] = Field(default_factory=list, max_length=100)


class GoalIn(GoalChange):
    key: str = Field(pattern=GOAL_KEY_PATTERN)


class CommentIn(_In):
    period: str = Field(description="2025, 2025-Q2 or 2025-03")
    text: str = Field(min_length=1, max_length=4000)


class ManualValueIn(_In):
    value: float = Field(
        allow_inf_nan=False,
        description="The value in the indicator's unit (percent as 0–100); a finite number.",
    )
    source: str | None = Field(default=None, max_length=200)


class Created(BaseModel):
    key: str
    version: int


class MemberOut(BaseModel):
    subject: str = Field(description="participant, household, programme or practice_placement")
    id: str
    participant_id: str | None
    household_id: str | None
    in_denominator: bool
    in_numerator: bool
    reason_code: str
    reason: str
    reason_nb: str
    on: str | None
    amount: float | None
    participant_url: str | None = Field(
        default=None,
        description="Where a caller allowed to see personal data finds the person "
        "(participants service); only for caseworker and manager roles.",
    )


class BandOut(BaseModel):
    level: str
    lower: float | None
    lower_inclusive: bool
    upper: float | None
    upper_inclusive: bool
    interval: str = Field(description="Mathematical notation, e.g. [50, 54] or (55, ∞)")
    as_written: str = Field(description="As a plan writes it, e.g. 50–54 or > 55")


class ThresholdsOut(BaseModel):
    year: int
    version: int
    recorded_at: str
    gap_policy: str
    direction: str
    bands: list[BandOut]
    configured_after_as_of: bool


class MethodOut(BaseModel):
    kind: str
    source: str | None


class ValueOut(BaseModel):
    """One indicator's value for one period, classified."""

    indicator_key: str
    title_nb: str
    title_en: str
    unit: str
    direction: str
    period: str
    value: float | None = Field(description="Full precision; null when there is no value")
    value_shown: float | None = Field(
        description="Rounded half-up to `decimals`: what is published. The level is "
        "classified from the unrounded `value`."
    )
    decimals: int
    level: str = Field(
        description="desired, acceptable, not_approved, unclassified (in a gap the plan left "
        "open), no_thresholds or no_data"
    )
    level_explanation: str
    numerator: float | None
    denominator: float | None
    preliminary: bool = Field(description="Built on preliminary figures (SSB follow-up)")
    breakdown: dict[str, float]
    note: str | None
    method: MethodOut
    manual_source: str | None
    period_complete: bool = Field(
        description="Every day of the period had passed by the as-of moment (today never has)"
    )
    complete: bool = Field(
        description="Same as period_complete: false while the period reaches into today "
        "or beyond the as-of date, so the value may still change"
    )
    data_quality: dict[str, int] = Field(
        default_factory=dict,
        description="Units left out because their facts contradict each other (a duration "
        "would be negative), by reason code",
    )
    known_on: str
    definition_version: int
    definition_configured_after_as_of: bool
    thresholds: ThresholdsOut | None
    municipality: str
    as_of: str


class GoalCardOut(BaseModel):
    key: str
    depth: int
    plan_level: str
    parent_key: str | None
    title_nb: str
    title_en: str
    owner_unit: str
    from_year: int
    to_year: int
    level: str | None = Field(
        description="The goal's light: the worst classified indicator of the goal and the goals under it"
    )
    indicators: list[ValueOut]


class ScorecardOut(BaseModel):
    municipality: str
    period: str
    as_of: str
    known_on: str
    complete: bool = Field(description="Every day of the period had passed (today never has)")
    goals: list[GoalCardOut]
    ungrouped: list[ValueOut] = Field(description="Defined indicators under no goal")
    unknown_indicator_keys: dict[str, list[str]]


class DrilldownOut(BaseModel):
    municipality: str
    indicator_key: str
    period: str
    as_of: str
    value: float | None
    numerator: float | None
    denominator: float | None
    in_numerator: int
    in_denominator_only: int
    left_out: int
    complete: bool = Field(description="Every day of the period had passed (today never has)")
    data_quality: dict[str, int] = Field(
        default_factory=dict,
        description="Units left out because their facts contradict each other, by reason code",
    )
    personal_data: str
    members: list[MemberOut]
