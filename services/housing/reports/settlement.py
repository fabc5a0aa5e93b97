"""The settlement plan as a report a housing manager takes to a meeting.

Print-ready HTML (an inline SVG chart of needed against free dwellings per month, with the
gap's band, then the tables) or an xlsx workbook with the same tables, one sheet each.
Every text a person reads comes from the housing catalog (``settlement.*``), bokmål by
default.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from html import escape
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from shared.i18n import ENGLISH, Catalog, catalog, format_date

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Content:
    municipality: str
    year: int
    plan: dict[str, Any]
    forecast: dict[str, Any]
    grant: dict[str, Any]


def _texts() -> Catalog:
    return catalog("shared", "services.housing")


def number(value: float | int | None, locale: str, decimals: int = 0) -> str:
    """A number as a reader of ``locale`` writes it (Norwegian: 1 234,5)."""
    if value is None:
        return "–"
    text = f"{value:,.{decimals}f}"
    if locale == ENGLISH:
        return text
    return text.replace(",", "\u00a0").replace(".", ",")


def _month_label(month: str, locale: str, t: Catalog) -> str:
    year, number_ = month.split("-")
    return f"{t.text(f'settlement.month_name.{int(number_)}', locale)} {year}"


# -- rows shared by HTML and xlsx -------------------------------------------------------------


def _head(t: Catalog, locale: str, *columns: str) -> list[str]:
    """A table's column headings, the catalog's ``settlement.<column>`` in ``locale``."""
    return [t.text(f"settlement.{column}", locale) for column in columns]


def forecast_rows(content: Content, locale: str) -> tuple[list[str], list[list[Any]]]:
    t = _texts()
    head = _head(t, locale, "month", "needed", "free_expected", "gap_expected", "shortfall")
    rows = [
        [
            _month_label(m["month"], locale, t),
            m["needed"],
            round(m["free_expected"], 1),
            round(m["gap_expected"], 1),
            round(m["shortfall_expected"], 1),
        ]
        for m in content.forecast["months"]
    ]
    return head, rows


def rooms_rows(content: Content, locale: str) -> tuple[list[str], list[list[Any]]]:
    t = _texts()
    head = _head(
        t,
        locale,
        "month",
        "rooms",
        "needed",
        "vacant",
        "turnover",
        "turnover_band",
        "from_measures",
        "gap_expected",
        "gap_band",
    )
    rows = []
    for m in content.forecast["months"]:
        for r in m["by_rooms"]:
            rows.append(
                [
                    _month_label(m["month"], locale, t),
                    "5+" if r["rooms"] >= 5 else r["rooms"],
                    r["needed"],
                    r["vacant"],
                    round(r["turnover_expected"], 2),
                    f"{r['turnover_low']}–{r['turnover_high']}",
                    r["from_measures"],
                    round(r["gap_expected"], 2),
                    f"{r['gap_low']} – {r['gap_high']}",
                ]
            )
    return head, rows


def plan_rows(content: Content, locale: str) -> tuple[list[str], list[list[Any]]]:
    t = _texts()
    head = _head(
        t,
        locale,
        "month",
        "planned_households",
        "planned_persons",
        "settled_households",
        "settled_persons",
    )

    def mix(households: dict[str, int]) -> str:
        return ", ".join(
            f"{n}×{size}" for size, n in sorted(households.items(), key=lambda x: int(x[0]))
        )

    rows = [
        [
            t.text(f"settlement.month_name.{m['month']}", locale),
            mix(m["planned_households"]),
            m["planned_persons"],
            mix(m["settled_households"]),
            m["settled_persons"],
        ]
        for m in content.plan["months"]
    ]
    return head, rows


def measure_rows(content: Content, locale: str) -> tuple[list[str], list[list[Any]]]:
    t = _texts()
    head = _head(
        t, locale, "kind", "rooms", "quantity", "decided_on", "lead_time", "owner", "withdrawn"
    )
    rows = [
        [
            t.text(f"measure_kind.{m['kind']}", locale),
            m["rooms"],
            m["quantity"],
            format_date(m["decided_on"], locale),
            m["lead_time_months"],
            t.text(f"measure_owner.{m['owner']}", locale),
            format_date(m["withdrawn_on"], locale) if m["withdrawn_on"] else "",
        ]
        for m in content.plan["measures"]
    ]
    return head, rows


def grant_rows(content: Content, locale: str) -> tuple[list[str], list[list[Any]]]:
    t = _texts()
    head = _head(t, locale, "calendar_year", "grant_year", "grant_planned", "grant_settled")
    planned = content.grant["planned"]["years"]
    settled = content.grant["settled"]["years"]
    rows: list[list[Any]] = [
        [p["calendar_year"], p["grant_year"], p["amount"], s["amount"]]
        for p, s in zip(planned, settled, strict=True)
    ]
    rows.append(
        [
            t.text("settlement.total", locale),
            "",
            content.grant["planned"]["total"],
            content.grant["settled"]["total"],
        ]
    )
    return head, rows


# -- HTML -----------------------------------------------------------------------------------------


def _table(head: list[str], rows: list[list[Any]], locale: str) -> str:
    def cell(value: Any) -> str:
        if isinstance(value, float):
            return f'<td class="n">{number(value, locale, 1)}</td>'
        if isinstance(value, int) and not isinstance(value, bool):
            return f'<td class="n">{number(value, locale)}</td>'
        return f"<td>{escape(str(value))}</td>"

    header = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(cell(v) for v in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>"


def chart(content: Content, locale: str) -> str:
    """Bars of needed and expected free dwellings per month, the gap's band as a whisker."""
    t = _texts()
    months = content.forecast["months"]
    width, height, left, bottom, top = 760, 280, 44, 40, 16
    plot_h = height - bottom - top
    highest = max(
        [1.0]
        + [float(m["needed"]) for m in months]
        + [float(m["free_expected"]) for m in months]
        + [float(sum(r["free_high"] for r in m["by_rooms"])) for m in months]
    )
    slot = (width - left - 8) / max(len(months), 1)
    bar = slot * 0.36

    def y(value: float) -> float:
        return top + plot_h - plot_h * max(value, 0.0) / highest

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{escape(t.text("settlement.chart_title", locale))}">',
        f'<line x1="{left}" y1="{y(0):.1f}" x2="{width - 8}" y2="{y(0):.1f}" stroke="#333"/>',
    ]
    for tick in range(0, int(highest) + 1, max(1, int(highest) // 5 or 1)):
        parts.append(
            f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" font-size="11" text-anchor="end">'
            f"{tick}</text>"
            f'<line x1="{left}" y1="{y(tick):.1f}" x2="{width - 8}" y2="{y(tick):.1f}" '
            'stroke="#ddd"/>'
        )
    for k, m in enumerate(months):
        x = left + k * slot + slot * 0.12
        needed, free = float(m["needed"]), float(m["free_expected"])
        low = sum(r["free_low"] for r in m["by_rooms"])
        high = sum(r["free_high"] for r in m["by_rooms"])
        parts.append(
            f'<rect x="{x:.1f}" y="{y(needed):.1f}" width="{bar:.1f}" '
            f'height="{y(0) - y(needed):.1f}" fill="#1f5f99"><title>'
            f"{escape(t.text('settlement.needed', locale))}: {number(needed, locale)}</title></rect>"
            f'<rect x="{x + bar:.1f}" y="{y(free):.1f}" width="{bar:.1f}" '
            f'height="{y(0) - y(free):.1f}" fill="#5aa469"><title>'
            f"{escape(t.text('settlement.free_expected', locale))}: {number(free, locale, 1)}"
            "</title></rect>"
            f'<line x1="{x + bar * 1.5:.1f}" y1="{y(low):.1f}" x2="{x + bar * 1.5:.1f}" '
            f'y2="{y(high):.1f}" stroke="#222" stroke-width="1.5"/>'
            f'<text x="{x + bar:.1f}" y="{height - bottom + 16}" font-size="10" '
            f'text-anchor="middle">{escape(m["month"][5:])}/{escape(m["month"][2:4])}</text>'
        )
    parts.append(
        f'<rect x="{left}" y="{height - 14}" width="10" height="10" fill="#1f5f99"/>'
        f'<text x="{left + 14}" y="{height - 5}" font-size="11">'
        f"{escape(t.text('settlement.needed', locale))}</text>"
        f'<rect x="{left + 160}" y="{height - 14}" width="10" height="10" fill="#5aa469"/>'
        f'<text x="{left + 174}" y="{height - 5}" font-size="11">'
        f"{escape(t.text('settlement.free_with_band', locale))}</text>"
    )
    parts.append("</svg>")
    return "".join(parts)


STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #111; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 1.6em; }
table { border-collapse: collapse; margin: .5em 0; font-size: .9em; }
th, td { border: 1px solid #bbb; padding: .2em .5em; } th { background: #eef2f6; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.summary td:first-child { font-weight: 600; }
.note { font-size: .85em; color: #444; max-width: 60em; }
@media print { body { margin: 1cm; } h2 { break-after: avoid; } table { break-inside: auto; } }
"""


def html(content: Content, locale: str) -> str:
    t = _texts()
    plan, forecast, grant = content.plan, content.forecast, content.grant
    request = plan.get("request") or {}
    decision = plan.get("decision") or {}
    summary = [
        [t.text("settlement.requested_persons", locale), request.get("persons", "–")],
        [t.text("settlement.decided_persons", locale), decision.get("persons", "–")],
        [t.text("settlement.planned_persons", locale), plan.get("planned_persons") or "–"],
        [t.text("settlement.settled_persons", locale), plan.get("settled_persons", 0)],
        [t.text("settlement.scale", locale), number(forecast["scale"], locale, 2)],
    ]
    sections = [
        ("settlement.forecast_title", *forecast_rows(content, locale)),
        ("settlement.by_rooms_title", *rooms_rows(content, locale)),
        ("settlement.plan_title", *plan_rows(content, locale)),
        ("settlement.measures_title", *measure_rows(content, locale)),
        ("settlement.grant_title", *grant_rows(content, locale)),
    ]
    title = t.text("settlement.title", locale, year=content.year, municipality=content.municipality)
    body = [
        f"<h1>{escape(title)}</h1>",
        '<table class="summary"><tbody>'
        + "".join(
            f"<tr><td>{escape(str(k))}</td><td class='n'>{escape(str(v))}</td></tr>"
            for k, v in summary
        )
        + "</tbody></table>",
        f"<h2>{escape(t.text('settlement.chart_title', locale))}</h2>",
        chart(content, locale),
    ]
    for key, head, rows in sections:
        body.append(f"<h2>{escape(t.text(key, locale))}</h2>")
        body.append(_table(head, rows, locale))
    body.append(
        f'<p class="note">{escape(t.text("settlement.method", locale, window=forecast["window_months"]))}</p>'
        f'<p class="note">{escape(t.text("settlement.rooms_source", locale))}: '
        f"{escape(forecast['rooms_by_household_size']['source'])}</p>"
        f'<p class="note">{escape(t.text("settlement.grant_source", locale))}: '
        f"{escape(grant['planned']['years'][-1]['source'])}</p>"
    )
    return (
        f'<!DOCTYPE html><html lang="{escape(locale)}"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
        + "".join(body)
        + "</body></html>"
    )


# -- xlsx -------------------------------------------------------------------------------------


def xlsx(content: Content, locale: str) -> bytes:
    t = _texts()
    book = Workbook()
    sheets = [
        ("settlement.sheet_forecast", forecast_rows(content, locale)),
        ("settlement.sheet_rooms", rooms_rows(content, locale)),
        ("settlement.sheet_plan", plan_rows(content, locale)),
        ("settlement.sheet_measures", measure_rows(content, locale)),
        ("settlement.sheet_grant", grant_rows(content, locale)),
    ]
    first = True
    for key, (head, rows) in sheets:
        sheet = book.active if first else book.create_sheet()
        first = False
        assert sheet is not None
        sheet.title = t.text(key, locale)[:31]
        sheet.append(head)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
