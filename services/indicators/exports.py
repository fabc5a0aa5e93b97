"""CSV exports of the tables the API and the dashboard show (Norwegian Excel: see shared.csvio)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from fastapi.responses import Response

from services.indicators.domain.rules import Member
from services.indicators.domain.scoring import IndicatorValue, Scorecard
from services.indicators.domain.suppression import (
    SUPPRESSED_LEVEL,
    SYMBOL,
    protect,
)
from shared.csvio import HeaderStyle, csv_download, header_labels
from shared.i18n import catalog

TEXTS = ("shared", "services.indicators")


def csv_response(
    filename: str,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    lang: str = "nb",
    headers: HeaderStyle = "labels",
) -> Response:
    """A CSV download; ``header`` holds column codes, shown as labels in ``lang`` unless
    ``headers="codes"``."""
    # People open these in Norwegian Excel; the kit neutralises formulas in every cell.
    shown = header_labels(header, lang, catalog(*TEXTS), headers)
    return csv_download(
        filename,
        shown,
        rows,
        norwegian_excel=True,
        language=None if headers == "codes" else lang,
    )


VALUE_HEADER = [
    "indicator_key",
    "title",
    "period",
    "value",
    "value_shown",
    "unit",
    "level",
    "numerator",
    "denominator",
    "preliminary",
    "period_complete",
    "n",
    "lower",
    "upper",
    "uncertain",
    "suppressed",
]
"""A CSV leaves the municipality: a value resting on fewer than ``min_n`` people shows
:data:`~services.indicators.domain.suppression.SYMBOL` (":") in every figure, its level
``suppressed`` (see ``domain.suppression``)."""


def value_row(value: IndicatorValue, lang: str, min_n: int) -> list[Any]:
    """One value's row; ``min_n`` is the plan's threshold (``plan.settings``), never less
    than the floor."""
    value = protect(value, min_n)
    result = value.result
    interval = value.interval
    if value.suppressed:
        return [
            value.definition.key,
            value.definition.title(lang),
            str(value.period),
            SYMBOL,
            SYMBOL,
            value.definition.unit.value,
            SUPPRESSED_LEVEL,
            SYMBOL,
            SYMBOL,
            bool(result and result.preliminary),
            value.period_complete,
            SYMBOL,
            SYMBOL,
            SYMBOL,
            True,
            True,
        ]
    return [
        value.definition.key,
        value.definition.title(lang),
        str(value.period),
        value.value,
        value.shown,
        value.definition.unit.value,
        value.level.value,
        result.numerator if result else None,
        result.denominator if result else None,
        bool(result and result.preliminary),
        value.period_complete,
        value.people,
        None if interval is None else round(interval.lower, 6),
        None if interval is None else round(interval.upper, 6),
        value.uncertain,
        False,
    ]


def scorecard_rows(card: Scorecard, lang: str, min_n: int) -> tuple[list[str], list[list[Any]]]:
    header = ["goal_key", "goal", "plan_level", "owner_unit", "goal_level", *VALUE_HEADER]
    rows = []
    for goal_card in card.goals:
        goal = goal_card.goal
        lead = [
            goal.key,
            goal.title(lang),
            goal.plan_level,
            goal.owner_unit,
            goal_card.level.value if goal_card.level else "",
        ]
        if not goal_card.values:
            rows.append(lead + [""] * len(VALUE_HEADER))
        for value in goal_card.values:
            rows.append(lead + value_row(value, lang, min_n))
    for value in card.ungrouped:
        rows.append(["", "", "", "", "", *value_row(value, lang, min_n)])
    return header, rows


MEMBER_HEADER = [
    "subject",
    "id",
    "participant_id",
    "household_id",
    "in_denominator",
    "in_numerator",
    "reason_code",
    "reason",
    "date",
    "amount",
    "research_reservation",
]


def member_rows(
    members: Iterable[Member], lang: str, reserved: frozenset[str] = frozenset()
) -> list[list[Any]]:
    """The drill-down's rows; ``research_reservation`` is true for a participant who
    reserved against research use (the participants service's flag)."""
    return [
        [
            m.subject,
            m.id,
            m.participant_id,
            m.household_id,
            m.in_denominator,
            m.in_numerator,
            m.reason_code,
            m.reason(lang),
            m.on.isoformat() if m.on else None,
            m.amount,
            m.participant_id is not None and str(m.participant_id) in reserved,
        ]
        for m in members
    ]
