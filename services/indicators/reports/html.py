"""The report as print-ready HTML (jinja2): A4 pages, a cover with the municipality's
name and a coat-of-arms slot, a table of contents, page numbers by CSS counters and the
known-as-of moment in every page's footer."""

from __future__ import annotations

from functools import cache, partial
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from services.indicators.dashboard.labels import number
from services.indicators.domain.report import Report, ReportRow, text
from services.indicators.domain.suppression import SYMBOL
from services.indicators.reports import known_as_of_text, row_figure, texts_for

TEMPLATES = Path(__file__).parent / "templates"


@cache
def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(report: Report, lang: str, coat_of_arms_url: str | None = None) -> str:
    texts = texts_for(lang)

    def value(row: ReportRow) -> str:
        if row.suppressed:
            return SYMBOL
        shown = number(row.value, lang, row.decimals)
        return f"{shown} %" if row.unit == "percent" and row.value is not None else shown

    shown = partial(row_figure, lang=lang)

    def reported(row: ReportRow) -> str:
        if row.reported is None:
            return "–"
        return SYMBOL if row.reported.suppressed else shown(row, row.reported.value)

    def figure(amount: float | None, decimals: int) -> str:
        if amount is None:
            return "–"
        shown = number(amount, lang, decimals)
        return f"+{shown}" if amount > 0 else shown

    def t(key: str, **params: object) -> str:
        return text(texts, key, **params)

    return (
        environment()
        .get_template("report.html")
        .render(
            report=report,
            lang=lang,
            t=t,
            value=value,
            figure=figure,
            number=lambda amount, decimals=0: number(amount, lang, decimals),
            symbol=SYMBOL,
            known=known_as_of_text(report.known_as_of),
            coat_of_arms_url=coat_of_arms_url,
            shown=shown,
            reported=reported,
            known_text=known_as_of_text,
        )
    )
