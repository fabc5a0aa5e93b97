"""CSV exports of the tables the API and the dashboard show (Norwegian Excel: see shared.csvio)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from fastapi.responses import Response

from services.indicators.domain.rules import Member
from services.indicators.domain.scoring import IndicatorValue, Scorecard
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
]


def value_row(value: IndicatorValue, lang: str) -> list[Any]:
    result = value.result
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
    ]


def scorecard_rows(card: Scorecard, lang: str) -> tuple[list[str], list[list[Any]]]:
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
            rows.append(lead + value_row(value, lang))
    for value in card.ungrouped:
        rows.append(["", "", "", "", "", *value_row(value, lang)])
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
