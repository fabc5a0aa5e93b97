"""The MRS report for the council: a plan's goals and indicators for a period. Pure.

:func:`build_report` turns a scorecard (``domain.scoring``), its changes against the same
period last year (``domain.trends``) and the leaders' comments into a :class:`Report`
that the XLSX and HTML renderers (``services.indicators.reports``) only lay out.

A report goes to the municipal council and is public: it leaves the municipality, so
small-number suppression applies (``domain.suppression``). A value resting on fewer than
the plan's ``suppression_min_n`` people shows the marker (":") in place of its value,
level, n and change, and the footnote says so. A change whose *previous* value rests on
too few people is hidden too (the change would give the previous value away).

A period with no goal of the plan valid in it has nothing to report:
``report-without-plan`` (422).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from services.indicators.domain.scoring import IndicatorValue, Scorecard
from services.indicators.domain.suppression import (
    DEFAULT_MIN_N,
    SUPPRESSED_LEVEL,
    SYMBOL,
    protect,
    too_few,
)
from services.indicators.domain.trends import Change
from shared.rules import rule

REPORT_WITHOUT_PLAN = rule(
    "report-without-plan",
    422,
    "No plan goals for the report's period",
    service="indicators",
    description="A report shows the plan's goals valid in its period: a period in which no "
    "goal of the municipality's plan (as known at the as-of moment) is valid has nothing to "
    "report. Choose a period inside the goals' years or define goals for it.",
)

TRAFFIC_LIGHTS: Mapping[str, str] = {
    "desired": "#1b7f3b",
    "acceptable": "#f2b705",
    "not_approved": "#c0392b",
    "unclassified": "#8e8e8e",
    "no_thresholds": "#d5d5d5",
    "no_data": "#ffffff",
}
"""Traffic-light colours per level, the same in the report and on the dashboard."""

LEVEL_COLOURS: Mapping[str, str] = {**TRAFFIC_LIGHTS, SUPPRESSED_LEVEL: "#ffffff"}
"""The report's colours: the traffic lights, and a suppressed value's."""


@dataclass(frozen=True)
class Level:
    code: str
    label: str
    colour: str


@dataclass(frozen=True)
class RegionFigure:
    """A comparison figure beside the municipality's value (national, county, KOSTRA group)."""

    label: str
    value: float | None


@dataclass(frozen=True)
class ReportedFigure:
    """The value as reported to the council (a frozen report), beside a recomputation."""

    value: float | None
    n: int | None
    level: Level
    suppressed: bool


@dataclass(frozen=True)
class Reported:
    """Which frozen report a recomputation stands beside."""

    title: str
    reported_to: str
    reported_on: date
    known_as_of: datetime


@dataclass(frozen=True)
class ReportRow:
    key: str
    title: str
    unit: str
    decimals: int
    period: str
    target: str | None
    """The thresholds as written, e.g. ``Ønsket resultat: > 55; Akseptabelt: 50–55``."""
    value: float | None
    """The value rounded as shown (None when missing or suppressed)."""
    level: Level
    n: int | None
    numerator: float | None
    denominator: float | None
    arrow: str | None
    change: float | None
    change_percent: float | None
    previous_period: str | None
    previous: float | None
    assessment: str | None
    uncertain: bool
    suppressed: bool
    preliminary: bool
    comments: tuple[str, ...]
    comparisons: tuple[RegionFigure, ...] = ()
    reported: ReportedFigure | None = None
    """Beside a recomputation of a frozen report: the value as reported then."""


@dataclass(frozen=True)
class ReportGoal:
    key: str
    title: str
    depth: int
    plan_level: str
    level: Level | None
    rows: tuple[ReportRow, ...]


@dataclass(frozen=True)
class Report:
    municipality: str
    municipality_name: str
    period: str
    lang: str
    known_as_of: datetime
    """"Kjent per": the moment whose knowledge the report shows."""
    complete: bool
    min_n: int
    goals: tuple[ReportGoal, ...]
    ungrouped: tuple[ReportRow, ...]
    suppressed_count: int
    footnotes: tuple[str, ...] = field(default=())
    reported: Reported | None = None
    """Set on a recomputation shown beside a frozen report (``/changes``)."""
    locked_as: str | None = None
    """On a locked report's files: "Rapportert til bystyret 20.11.2026"."""

    @property
    def rows(self) -> list[ReportRow]:
        return [row for goal in self.goals for row in goal.rows] + list(self.ungrouped)


Texts = Mapping[str, str]
"""Label key → text in the report's language (``report.*`` keys of reports.po)."""


def text(texts: Texts, key: str, **params: Any) -> str:
    raw = texts.get(key, key)
    return raw.format(**params) if params else raw


def level_of(code: str, texts: Texts) -> Level:
    return Level(code, text(texts, f"report.level.{code}"), LEVEL_COLOURS.get(code, "#ffffff"))


def check_has_plan(card: Scorecard) -> None:
    """Refuse a period in which no goal of the plan is valid (``report-without-plan``)."""
    if not card.goals:
        raise REPORT_WITHOUT_PLAN.violation(
            f"period: no goal of the plan of {card.municipality} is valid in {card.period}.",
            "period",
            period=str(card.period),
        )


def _target(value: IndicatorValue, texts: Texts) -> str | None:
    if value.thresholds is None:
        return None
    return "; ".join(
        f"{text(texts, f'report.level.{band.level.value}')}: {band.plain()}"
        for band in value.thresholds.set.bands
    )


def _row(
    value: IndicatorValue,
    lang: str,
    texts: Texts,
    min_n: int,
    change: Change | None,
    previous_people: Mapping[str, int | None],
    comments: Sequence[Mapping[str, Any]],
    card_period: str,
    comparisons: Sequence[RegionFigure],
) -> ReportRow:
    protected = protect(value, min_n)
    hidden = protected.suppressed
    key = value.definition.key
    own = {str(value.period), card_period}
    notes = tuple(
        str(c["text"]) for c in comments if c.get("indicator_key") == key and c.get("period") in own
    )
    # A change beside a hidden value, or against a hidden previous value, gives it away.
    show_change = change is not None and not hidden and not too_few(previous_people.get(key), min_n)
    result = value.result
    return ReportRow(
        key=key,
        title=value.definition.title(lang),
        unit=value.definition.unit.value,
        decimals=value.definition.decimals,
        period=str(value.period),
        target=_target(value, texts),
        value=None if hidden else value.shown,
        level=level_of(SUPPRESSED_LEVEL if hidden else value.level.value, texts),
        n=None if hidden else value.people,
        numerator=None if hidden or result is None else result.numerator,
        denominator=None if hidden or result is None else result.denominator,
        arrow=None if not show_change or change is None or change.trend is None else _arrow(change),
        change=change.change if show_change and change else None,
        change_percent=change.change_percent if show_change and change else None,
        previous_period=str(change.previous_period) if change else None,
        previous=change.previous if show_change and change else None,
        assessment=change.assessment.value
        if show_change and change and change.assessment
        else None,
        uncertain=protected.uncertain,
        suppressed=hidden,
        preliminary=value.preliminary,
        comments=notes,
        comparisons=tuple(comparisons),
    )


def _arrow(change: Change) -> str | None:
    arrow = change.describe().get("arrow")
    return None if arrow is None else str(arrow)


def build_report(
    card: Scorecard,
    *,
    municipality_name: str,
    known_as_of: datetime,
    lang: str,
    texts: Texts,
    changes: Mapping[str, Change] | None = None,
    previous_people: Mapping[str, int | None] | None = None,
    comments: Sequence[Mapping[str, Any]] = (),
    min_n: int = DEFAULT_MIN_N,
    comparisons: Mapping[str, Sequence[RegionFigure]] | None = None,
) -> Report:
    """The report of ``card``: every value as it may leave the municipality.

    ``lang`` is the language of plan texts (``nb`` or ``en``), ``texts`` the report's
    labels, ``previous_people`` indicator key → n of last year's value (to hide a change
    against a suppressed value), ``comments`` as ``queries.comments_for`` gives them,
    ``comparisons`` indicator key → the national, county and KOSTRA-group figures (national
    data, never suppressed: they rest on the whole country or region).
    """
    check_has_plan(card)
    min_n = max(min_n, DEFAULT_MIN_N)
    changes = changes or {}
    previous_people = previous_people or {}
    figures = comparisons or {}
    period = str(card.period)

    def row(value: IndicatorValue) -> ReportRow:
        key = value.definition.key
        return _row(
            value,
            lang,
            texts,
            min_n,
            changes.get(key),
            previous_people,
            comments,
            period,
            figures.get(key, ()),
        )

    goals = tuple(
        ReportGoal(
            key=g.goal.key,
            title=g.goal.title(lang),
            depth=g.depth,
            plan_level=g.goal.plan_level,
            level=level_of(g.level.value, texts) if g.level else None,
            rows=tuple(row(v) for v in g.values),
        )
        for g in card.goals
    )
    ungrouped = tuple(row(v) for v in card.ungrouped)
    rows = [r for g in goals for r in g.rows] + list(ungrouped)
    suppressed = len({r.key for r in rows if r.suppressed})
    footnotes = [text(texts, "report.footnote.suppression", min_n=min_n, symbol=SYMBOL)]
    if any(r.uncertain and not r.suppressed for r in rows):
        footnotes.append(text(texts, "report.footnote.uncertain"))
    if not card.complete:
        footnotes.append(text(texts, "report.footnote.incomplete"))
    return Report(
        municipality=card.municipality,
        municipality_name=municipality_name,
        period=period,
        lang=lang,
        known_as_of=known_as_of,
        complete=card.complete,
        min_n=min_n,
        goals=goals,
        ungrouped=ungrouped,
        suppressed_count=suppressed,
        footnotes=tuple(footnotes),
    )
