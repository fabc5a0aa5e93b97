"""Response models of the indicators API (what the OpenAPI document shows)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class SettlementCount(BaseModel):
    municipality: str
    year: int
    settled: int


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
    research_reservation: bool = Field(
        default=False,
        description="The participant reserved against research use of directly identifying "
        "data (reservasjon mot bruk til forskning); honour it in any further use",
    )
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


class ChangeOut(BaseModel):
    """A value against the same period last year."""

    previous_period: str = Field(description="The same period one year earlier")
    previous: float | None = Field(description="Its value; null when there is none")
    change: float | None = Field(description="value − previous, of the published values")
    change_percent: float | None = Field(description="The change in per cent of previous")
    trend: str | None = Field(description="up, down or flat; null without both values")
    arrow: str | None = Field(description="↑, ↓ or →")
    up_is_good: bool = Field(description="From the indicator's direction")
    assessment: str | None = Field(description="better, worse or unchanged")
    trend_label: str | None = Field(default=None, description="The trend in `lang`")
    assessment_label: str | None = Field(default=None, description="The assessment in `lang`")


class ComparisonOut(BaseModel):
    """An imported comparison figure for the same key and period (docs/mrs/comparisons.md)."""

    region_kind: str = Field(description="national, county or kostra_group")
    region_code: str = Field(description="0 (Norway), county number or KOSTRA group (12)")
    period: str
    value: float | None
    source: str
    label_nb: str = Field(description="Hele landet, Fylke 33, KOSTRA-gruppe 12")
    label_en: str


class ValueOut(BaseModel):
    """One indicator's value for one period, classified."""

    comparisons: list[ComparisonOut] = Field(
        default_factory=list,
        description="Sammenligningstall for samme nøkkel og periode, når importert. / National, "
        "county and KOSTRA-group figures for the same key and period, when imported.",
    )

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
    breakdown: dict[str, float | None] = Field(
        description="Counts behind the value; a suppressed cell is null"
    )
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
    against_last_year: ChangeOut | None = Field(
        default=None,
        description="Mot samme periode i fjor, med trendpil (målekortet, egen kommune). / "
        "Against the same period last year, with a trend arrow (scorecard, own municipality "
        "only: outside it a change could reveal a hidden value).",
    )
    n: int | None = Field(
        default=None,
        description="Antall personer verdien bygger på (nevneren; for et antall: antallet). / "
        "How many people the value rests on (the denominator; for a count, the count); null "
        "for manual and imported values.",
    )
    lower: float | None = Field(
        default=None,
        description="Nedre grense i Wilson-intervallet (andeler). / Lower end of the Wilson "
        "score interval of a share, in the indicator's unit (percent).",
    )
    upper: float | None = Field(
        default=None, description="Øvre grense. / Upper end of the Wilson interval."
    )
    confidence: float | None = Field(
        default=None, description="Konfidensnivå, f.eks. 0.95. / Confidence level, e.g. 0.95."
    )
    uncertain: bool = Field(
        default=False,
        description="Usikker: færre enn 20 personer eller intervall bredere enn 20 "
        "prosentpoeng. / Uncertain: fewer than 20 people or an interval wider than 20 "
        "percentage points (docs/mrs/uncertainty-and-suppression.md).",
    )
    suppressed: bool = Field(
        default=False,
        description="Prikket: færre enn terskelen (minst 5) personer; tallene er skjult. / "
        "Suppressed: fewer people than the threshold (at least 5); the figures are hidden "
        "(null) in outputs that leave the municipality.",
    )


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
