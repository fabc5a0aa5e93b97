"""Frozen reports: a report as reported to the council, locked, and what changed since. Pure.

A report sent to the council (bystyret, formannskapet) is a document of record: what the
council was told on that date. :func:`snapshot` turns the :class:`~.report.Report` into
plain JSON (every value, level, n, numerator and denominator the renderers showed), and
the rendered files are kept beside it byte for byte with their SHA-256; nothing of a
locked report is ever recomputed.

:func:`compare` puts a recomputation of the same period next to the locked values, per
indicator: frozen, now, the difference, and whether anything moved. Why it moved comes
from the database (facts recorded after the lock that fall in the period, plan changes
after the lock) and is joined in by the caller.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from services.indicators.domain.report import Report, Reported, ReportedFigure, level_of
from services.indicators.domain.scoring import IndicatorValue
from shared.rules import rule

REPORT_ALREADY_LOCKED = rule(
    "report-already-locked",
    409,
    "The report is already locked",
    service="indicators",
    description="A period's report of one kind is locked once: what the council was told "
    "stays as it was. The problem's facts give the locked report's id "
    "(`GET /indicators/reports/locked/{id}`); `/changes` shows what changed since.",
)

FORMATS = ("html", "xlsx", "pdf")
DEFAULT_KIND = "goal_report"


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def snapshot(report: Report) -> dict[str, Any]:
    """The report as JSON: goals, rows (value, level, n, numerator, denominator, change,
    comparison figures, comments) and footnotes, exactly as rendered."""
    plain: dict[str, Any] = _plain(dataclasses.asdict(report))
    return plain


def drilldown(values: Iterable[IndicatorValue]) -> list[dict[str, Any]]:
    """The drill-down lists behind ``values`` as rows (indicator key, row, unit, in/out,
    reason, date, amount), in the rules' order. A unit that is the participant is kept
    only as ``participant_id``, so an erasure's aliasing reaches it."""
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for value in values:
        key = value.definition.key
        if key in seen or value.result is None:
            continue
        seen.add(key)
        for index, member in enumerate(value.result.members):
            rows.append(
                {
                    "indicator_key": key,
                    "row": index,
                    "subject": member.subject,
                    "unit_id": None if member.subject == "participant" else member.id,
                    "participant_id": member.participant_id,
                    "household_id": member.household_id,
                    "in_numerator": bool(member.in_numerator),
                    "in_denominator": bool(member.in_denominator),
                    "reason_code": member.reason_code,
                    "on_date": member.on.isoformat() if member.on else None,
                    "amount": member.amount,
                }
            )
    return rows


def drilldown_sha256(rows: Sequence[Mapping[str, Any]]) -> str:
    """SHA-256 of the drill-down rows as canonical JSON (keys sorted, no spaces)."""
    canonical = json.dumps(list(rows), sort_keys=True, separators=(",", ":"), default=str)
    return sha256(canonical.encode("utf-8"))


def frozen_rows(snap: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Indicator key → its row in a snapshot (a key under two goals is the same value)."""
    rows: dict[str, dict[str, Any]] = {}
    for goal in snap.get("goals", ()):
        for row in goal.get("rows", ()):
            rows.setdefault(str(row["key"]), row)
    for row in snap.get("ungrouped", ()):
        rows.setdefault(str(row["key"]), row)
    return rows


def _figure(row: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        "value": row.get("value"),
        "n": row.get("n"),
        "numerator": row.get("numerator"),
        "denominator": row.get("denominator"),
        "level": (row.get("level") or {}).get("code"),
        "suppressed": bool(row.get("suppressed")),
    }


def compare(snap: Mapping[str, Any], now: Report) -> list[dict[str, Any]]:
    """Per indicator (the frozen report's and the recomputation's, frozen order first):
    ``frozen`` and ``now`` (value, n, numerator, denominator, level, suppressed),
    ``difference`` (now − frozen, both shown), and ``changed``."""
    before = frozen_rows(snap)
    after = {row.key: row for row in now.rows}
    out: list[dict[str, Any]] = []
    for key in [*before, *(k for k in after if k not in before)]:
        was = _figure(before.get(key))
        row = after.get(key)
        is_ = None if row is None else _figure(_plain(dataclasses.asdict(row)))
        difference = None
        if was and is_ and was["value"] is not None and is_["value"] is not None:
            difference = round(float(is_["value"]) - float(was["value"]), 6)
        title = row.title if row is not None else str((before.get(key) or {}).get("title", key))
        out.append(
            {
                "indicator_key": key,
                "title": title,
                "frozen": was,
                "now": is_,
                "difference": difference,
                "changed": was != is_,
            }
        )
    return out


def beside(now: Report, snap: Mapping[str, Any], meta: Mapping[str, Any]) -> Report:
    """The recomputation with the frozen values beside each row (for HTML and PDF)."""
    before = frozen_rows(snap)
    texts_levels = {r.level.code: r.level for r in now.rows}

    def reported(key: str) -> ReportedFigure | None:
        row = before.get(key)
        if row is None:
            return None
        level = row.get("level") or {}
        code = str(level.get("code", "no_data"))
        known = texts_levels.get(code) or level_of(
            code, {f"report.level.{code}": str(level.get("label", code))}
        )
        return ReportedFigure(
            value=row.get("value"),
            n=row.get("n"),
            level=known,
            suppressed=bool(row.get("suppressed")),
        )

    goals = tuple(
        dataclasses.replace(
            g, rows=tuple(dataclasses.replace(r, reported=reported(r.key)) for r in g.rows)
        )
        for g in now.goals
    )
    ungrouped = tuple(dataclasses.replace(r, reported=reported(r.key)) for r in now.ungrouped)
    return dataclasses.replace(
        now,
        goals=goals,
        ungrouped=ungrouped,
        reported=Reported(
            title=str(meta["title"]),
            reported_to=str(meta["reported_to"]),
            reported_on=meta["reported_on"],
            known_as_of=meta["known_as_of"],
        ),
    )
