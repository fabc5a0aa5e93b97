"""What the indicators service's commands carry: the validated request bodies of plan changes."""

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
    level: (
        Literal["desired", "acceptable", "not_approved", "unclassified", "no_thresholds", "no_data"]
        | None
    ) = Field(
        default=None,
        description="Nivået kommentaren forklarer (verdiens nivå der lederen skrev den). / "
        "The level the comment explains (the value's level where the leader wrote it).",
    )


class SettingsIn(_In):
    suppression_min_n: int = Field(
        ge=1,
        le=1000,
        description="Prikking: verdier som bygger på færre personer skjules i alt som forlater "
        "kommunen; minst 5. / Values resting on fewer people are hidden in every output that "
        "leaves the municipality; at least 5 (`suppression-below-floor`).",
    )


class ApprovalIn(_In):
    version: int = Field(
        ge=1,
        description="Planversjonen du godkjenner (`current_version` fra GET /indicators/plan). "
        "/ The plan version you approve, as you read it; 409 if the plan has moved on.",
    )


class ManualValueIn(_In):
    value: float = Field(
        allow_inf_nan=False,
        description="The value in the indicator's unit (percent as 0–100); a finite number.",
    )
    source: str | None = Field(default=None, max_length=200)
