"""Reports for the council: the report model (``domain.report``) as XLSX and print-ready HTML."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from services.indicators.dashboard.labels import number
from services.indicators.domain.report import ReportRow
from shared.i18n import catalog

TEXTS = ("shared", "services.indicators")
OSLO = ZoneInfo("Europe/Oslo")


def texts_for(lang: str) -> dict[str, str]:
    """Every ``report.*`` label in ``lang`` (bokmål where ``lang`` has none)."""
    texts = catalog(*TEXTS)
    return {
        key: texts.find(key, lang) or texts.find(key, "nb") or key
        for key in texts.keys()
        if key.startswith("report.")
    }


def local_time(moment: datetime) -> datetime:
    """``moment`` in Norwegian time, without its zone (Excel knows no zones)."""
    return moment.astimezone(OSLO).replace(tzinfo=None)


def row_figure(row: ReportRow, amount: float | None, lang: str) -> str:
    """``amount`` of ``row``'s indicator as printed: its decimals, a percent sign."""
    if amount is None:
        return "–"
    shown = number(amount, lang, row.decimals)
    return f"{shown} %" if row.unit == "percent" else shown


def known_as_of_text(moment: datetime) -> str:
    """``01.12.2026 kl. 21:34`` in Norwegian time."""
    return local_time(moment).strftime("%d.%m.%Y kl. %H:%M")
