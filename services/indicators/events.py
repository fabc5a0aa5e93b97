"""Events of the indicators service.

Configuration changes (goals, indicator definitions, thresholds, comments, manual
values) are recorded as events that stay inside the service: they are its memory of
what the plan said when. One event is published for agencies: an indicator's level
for a period changed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import Field

from shared.events import Event, EventRegistry, MunicipalityCode, Part

registry = EventRegistry()

PlanLevel = Literal["kommuneplan", "okonomiplan", "virksomhetsplan"]
LevelName = Literal[
    "desired", "acceptable", "not_approved", "unclassified", "no_thresholds", "no_data"
]


class BandData(Part):
    level: Literal["desired", "acceptable", "not_approved"]
    lower: float | None
    lower_inclusive: bool
    upper: float | None
    upper_inclusive: bool


class _GoalFields(Event):
    published: ClassVar[bool] = False
    goal_key: str
    plan_level: PlanLevel
    parent_key: str | None
    title_nb: str
    title_en: str
    owner_unit: str
    from_year: int
    to_year: int
    indicator_keys: tuple[str, ...]


@registry.register
class GoalDefined(_GoalFields):
    """A goal was added to the municipality's plan."""

    type_name: ClassVar[str] = "indicators.goal.defined.v1"


@registry.register
class GoalRevised(_GoalFields):
    """A goal's titles, owner, period, parent or indicators changed (all fields as now)."""

    type_name: ClassVar[str] = "indicators.goal.revised.v1"


class _IndicatorFields(Event):
    published: ClassVar[bool] = False
    indicator_key: str
    title_nb: str
    title_en: str
    unit: str
    direction: str
    granularity: str
    method: Literal["computed", "manual", "imported"]
    source: str | None
    rule: str | None
    parameters: dict[str, Any]
    decimals: int


@registry.register
class IndicatorDefined(_IndicatorFields):
    """An indicator was defined for the municipality."""

    type_name: ClassVar[str] = "indicators.indicator.defined.v1"


@registry.register
class IndicatorRedefined(_IndicatorFields):
    """An indicator's definition changed (all fields as now); earlier values keep theirs."""

    type_name: ClassVar[str] = "indicators.indicator.redefined.v1"


@registry.register
class ThresholdsSet(Event):
    """The bands of the three levels for some years (replacing those years' earlier ones)."""

    type_name: ClassVar[str] = "indicators.indicator.thresholds_set.v1"
    published: ClassVar[bool] = False
    indicator_key: str
    years: tuple[int, ...]
    bands: tuple[BandData, ...]
    gap_policy: Literal["unclassified", "worse_neighbour"]


@registry.register
class CommentRecorded(Event):
    """A comment on an indicator for a period: what happened, what we do. Never published."""

    type_name: ClassVar[str] = "indicators.indicator.comment_recorded.v1"
    published: ClassVar[bool] = False
    indicator_key: str
    period: str
    text: str
    level: LevelName | None = None
    """The level the value had where the leader wrote it (the deviation explained); null
    when written over the API without one (comments recorded before it was asked)."""


@registry.register
class ManualValueRecorded(Event):
    """A value registered by hand or imported (IMDi, SSB, NAV …) for a period."""

    type_name: ClassVar[str] = "indicators.indicator.value_recorded.v1"
    published: ClassVar[bool] = False
    indicator_key: str
    period: str
    value: float | None
    source: str | None


@registry.register
class PlanSettingsChanged(Event):
    """The plan's settings as a whole changed (all fields as now). Never published."""

    type_name: ClassVar[str] = "indicators.plan.settings_changed.v1"
    published: ClassVar[bool] = False
    suppression_min_n: int = Field(
        ge=5, description="Values resting on fewer people never leave the municipality."
    )


@registry.register
class PlanApproved(Event):
    """A manager approved the plan as it stood at version ``plan_version``: from now on
    scorecards, levels and reports use it. Never published."""

    type_name: ClassVar[str] = "indicators.plan.approved.v1"
    published: ClassVar[bool] = False
    plan_version: int = Field(ge=1, description="How many plan changes the approved plan has.")
    approved_through: datetime = Field(
        description="When the last of those changes was recorded: the plan approved is "
        "the plan as recorded by then."
    )


@registry.register
class LevelChanged(Event):
    """An indicator's level for a period changed (desired, acceptable, not approved, …).

    Evaluated by the service's level evaluator once a batch of facts that affect the
    municipality was applied (never for an intermediate state), and when thresholds or
    definitions change. The level is classified from the unrounded value; ``value`` is
    the value as published, rounded to the indicator's decimals. ``previous_level`` is
    null the first time a period is classified. ``unclassified`` means the value lies in
    a gap the plan left open; ``no_data`` that there is no value (e.g. an empty
    denominator). ``preliminary`` is true while the value may still change: the period
    reaches into today, or a figure in it is preliminary (SSB); absent on older events.
    When a preliminary value becomes final with the same level, the level is published
    once more with ``preliminary`` false (``previous_level`` equal to ``level``).
    """

    type_name: ClassVar[str] = "indicators.indicator.level_changed.v1"
    indicator_key: str = Field(max_length=100, description="The municipality's indicator key")
    municipality: MunicipalityCode
    period: str = Field(max_length=10, description="2025, 2025-Q2 or 2025-03")
    level: LevelName
    previous_level: LevelName | None
    value: float | None
    preliminary: bool | None = Field(
        default=None,
        description="The value may still change (period not over, or preliminary figures)",
    )


class ComparisonFigure(Part):
    indicator_key: str
    period: str
    region_kind: Literal["national", "county", "kostra_group", "municipality"]
    region_code: str
    value: float | None
    source: str


@registry.register
class ComparisonsImported(Event):
    """National, county and KOSTRA-group figures imported from an SSB or IMDi file (one
    event per file); a later import of the same key, period and region replaces it."""

    type_name: ClassVar[str] = "indicators.comparisons.imported.v1"
    published: ClassVar[bool] = False
    layout: Literal["ssb", "imdi"]
    figures: tuple[ComparisonFigure, ...]


@registry.register
class ReportLocked(Event):
    """A report as reported to the council (e.g. "Rapportert til bystyret 20.11.2026"),
    locked: its values as they stood at ``known_as_of`` and its rendered files byte for
    byte (base64), with each file's SHA-256. Never published, never recomputed.

    The report is the public one (small numbers suppressed): no person's id, only counts.
    The drill-down lists behind it are stored beside the event (``frozen_report_members``,
    written in the same transaction); the event carries their SHA-256 only.
    """

    type_name: ClassVar[str] = "indicators.report.locked.v1"
    published: ClassVar[bool] = False
    report_id: str = Field(description="The locked report's id (a UUID)")
    period: str = Field(max_length=20)
    kind: str = Field(max_length=40, description="The kind of report, e.g. goal_report")
    reported_to: str = Field(max_length=100, description="e.g. bystyret, formannskapet")
    reported_on: str = Field(description="The meeting's date (ISO)")
    title: str = Field(max_length=300)
    lang: Literal["nb", "nn", "en"]
    known_as_of: str = Field(description="The moment whose knowledge the report shows (ISO)")
    snapshot: dict[str, Any] = Field(description="The report's values, as the renderers saw them")
    files: dict[str, str] = Field(description="format → the rendered file, base64")
    sha256: dict[str, str] = Field(description="format → SHA-256 of the file's bytes (hex)")
    drilldown_sha256: str | None = Field(
        default=None,
        description="SHA-256 of the drill-down lists as locked (kept in the service's table "
        "frozen_report_members, never in the event: they hold pseudonymous ids)",
    )
    drilldown_members: int = Field(default=0, description="How many rows those lists have")
