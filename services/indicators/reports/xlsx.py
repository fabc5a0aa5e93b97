"""The report as an Excel workbook (openpyxl): one sheet, the goals as grouped rows.

Real number formats: a percent value is stored as a fraction with ``0.0%``, counts and
n as integers (``0``), other values with the indicator's decimals, the known-as-of
moment as a date-time. Header row, frozen panes, column widths, and the known-as-of
moment in every sheet's print header and footer.
"""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from services.indicators.domain.report import Report, ReportRow, text
from services.indicators.domain.suppression import SYMBOL
from services.indicators.reports import known_as_of_text, local_time, texts_for

COLUMNS = (
    ("report.goal", 34),
    ("report.indicator", 46),
    ("report.key", 26),
    ("report.period", 10),
    ("report.target", 40),
    ("report.value", 11),
    ("report.unit", 10),
    ("report.level", 18),
    ("report.n", 10),
    ("report.trend", 7),
    ("report.change", 14),
    ("report.previous", 12),
    ("report.uncertain", 10),
    ("report.comments", 60),
    ("report.comparisons", 36),
)
HEADER_ROW = 4
PERCENT_FORMAT = "0.0%"
INTEGER_FORMAT = "0"
DATETIME_FORMAT = "dd.mm.yyyy hh:mm"
BOLD = Font(bold=True)


def number_format(unit: str, decimals: int) -> str:
    if unit == "percent":
        return "0." + "0" * decimals + "%" if decimals else "0%"
    return "0." + "0" * decimals if decimals else INTEGER_FORMAT


def _figure(unit: str, value: float | None) -> float | None:
    if value is None:
        return None
    return value / 100 if unit == "percent" else value


def _put(ws: Worksheet, row: int, col: int, value: Any, fmt: str | None = None) -> None:
    cell = ws.cell(row=row, column=col, value=value)
    if fmt is not None:
        cell.number_format = fmt


def _indicator(ws: Worksheet, r: int, goal: str, row: ReportRow, texts: dict[str, str]) -> None:
    fmt = number_format(row.unit, row.decimals)
    _put(ws, r, 1, goal)
    _put(ws, r, 2, row.title)
    _put(ws, r, 3, row.key)
    _put(ws, r, 4, row.period)
    _put(ws, r, 5, row.target)
    if row.suppressed:
        _put(ws, r, 6, SYMBOL)
        _put(ws, r, 9, SYMBOL)
    else:
        _put(ws, r, 6, _figure(row.unit, row.value), fmt)
        _put(ws, r, 9, row.n, INTEGER_FORMAT)
    _put(ws, r, 7, text(texts, f"report.unit.{row.unit}"))
    level = ws.cell(row=r, column=8, value=row.level.label)
    level.fill = PatternFill("solid", fgColor="FF" + row.level.colour.lstrip("#").upper())
    if row.level.code in ("desired", "not_approved"):
        level.font = Font(color="FFFFFF", bold=True)
    _put(ws, r, 10, row.arrow)
    # A change in percentage points is a number, not a share: the unit's plain format.
    change_fmt = "0." + "0" * row.decimals if row.decimals else INTEGER_FORMAT
    _put(ws, r, 11, row.change, change_fmt)
    _put(ws, r, 12, None if row.previous is None else _figure(row.unit, row.previous), fmt)
    _put(ws, r, 13, text(texts, "report.yes") if row.uncertain else None)
    comments = ws.cell(row=r, column=14, value="\n".join(row.comments) or None)
    comments.alignment = Alignment(wrap_text=True, vertical="top")
    # Several regions per row: one line each, in the municipality's own unit and decimals.
    figures = "\n".join(
        f"{f.label}: {'–' if f.value is None else round(f.value, row.decimals)}"
        for f in row.comparisons
    )
    _put(ws, r, 15, figures or None)


def render_xlsx(report: Report, lang: str) -> bytes:
    texts = texts_for(lang)
    known = known_as_of_text(report.known_as_of)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = text(texts, "report.sheet")
    ws.cell(row=1, column=1, value=f"{report.municipality_name} – {text(texts, 'report.title')}")
    ws.cell(row=1, column=1).font = Font(bold=True, size=14)
    _put(ws, 2, 1, text(texts, "report.period"))
    _put(ws, 2, 2, report.period)
    _put(ws, 3, 1, text(texts, "report.known_as_of"))
    _put(ws, 3, 2, local_time(report.known_as_of), DATETIME_FORMAT)
    for col, (key, width) in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=HEADER_ROW, column=col, value=text(texts, key))
        cell.font = BOLD
        cell.fill = PatternFill("solid", fgColor="DDDDDD")
        ws.column_dimensions[cell.column_letter].width = width
    r = HEADER_ROW + 1
    for goal in report.goals:
        title = ("  " * goal.depth) + goal.title
        _put(ws, r, 1, title)
        ws.cell(row=r, column=1).font = BOLD
        if goal.level is not None:
            cell = ws.cell(row=r, column=8, value=goal.level.label)
            cell.fill = PatternFill("solid", fgColor="FF" + goal.level.colour.lstrip("#").upper())
            cell.font = BOLD
        r += 1
        for row in goal.rows:
            _indicator(ws, r, goal.title, row, texts)
            ws.row_dimensions[r].outline_level = 1
            r += 1
    if report.ungrouped:
        _put(ws, r, 1, text(texts, "report.ungrouped"))
        ws.cell(row=r, column=1).font = BOLD
        r += 1
        for row in report.ungrouped:
            _indicator(ws, r, text(texts, "report.ungrouped"), row, texts)
            ws.row_dimensions[r].outline_level = 1
            r += 1
    r += 1
    _put(ws, r, 1, text(texts, "report.footnotes"))
    ws.cell(row=r, column=1).font = BOLD
    for note in report.footnotes:
        r += 1
        _put(ws, r, 1, note)
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=3)
    ws.auto_filter.ref = f"A{HEADER_ROW}:{ws.cell(row=HEADER_ROW, column=len(COLUMNS)).coordinate}"
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.oddHeader.left.text = report.municipality_name
    ws.oddHeader.right.text = f"{text(texts, 'report.known_as_of')} {known}"
    ws.oddFooter.left.text = f"{text(texts, 'report.known_as_of')} {known}"
    ws.oddFooter.right.text = f"{text(texts, 'report.page')} &P / &N"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
