"""CSV out: exports that cannot carry a formula, in the dialect Norwegian Excel opens.

Every text cell goes through :func:`safe_cell`: a cell a spreadsheet would
read as a formula (starting with ``= + - @``, a tab or a carriage return, also after
leading spaces) gets a single quote in front, as OWASP's "CSV injection" advice says, so
a name like ``=HYPERLINK(...)`` is shown, never run. Numbers, dates and booleans are
values, not text, and are written as such (a negative number stays a number).

Two dialects: :func:`excel_csv_text` is for Norwegian Excel, which opens a downloaded
file by double click only when it is ``;``-separated with decimal comma, UTF-8 with BOM
and CRLF line ends (what people download); :func:`csv_text` is RFC 4180 (comma, decimal
point) for scripts. :func:`csv_download` wraps either as a response.

Column names: a file people open has its header row in their language (bokmål by
default; the key ``csv.<column code>`` in the service's catalog, see
:func:`header_labels`); scripts ask for the stable column codes with ``?headers=codes``
(:data:`HeadersQuery`). The codes are the same in every language and never change
meaning, so a script reads either file the same way by position or by code.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, Literal

from fastapi import Query
from fastapi.responses import Response

from shared.i18n import Catalog

HeaderStyle = Literal["labels", "codes"]
HeadersQuery = Annotated[
    HeaderStyle,
    Query(
        alias="headers",
        description="CSV-overskrifter: `labels` (standard) på språket forespørselen ber om, "
        "`codes` gir de stabile kolonnekodene for skript. / CSV header row: `labels` (default) "
        "in the request's language, `codes` for the stable column codes scripts read.",
    ),
]
"""The ``?headers=`` query parameter of a CSV export."""

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make Excel, LibreOffice or Google Sheets evaluate a cell."""

BOM = "\ufeff"


def safe_cell(value: Any) -> str:
    """``value`` as text a spreadsheet shows as-is: formula triggers get a leading ``'``."""
    if value is None:
        return ""
    if isinstance(value, Enum):
        value = value.value
    text = value if isinstance(value, str) else str(value)
    if text.startswith(FORMULA_TRIGGERS) or text.lstrip(" ").startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def _cell(value: Any, decimal_comma: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float | Decimal):
        text = str(value)
        return text.replace(".", ",") if decimal_comma else text
    if isinstance(value, datetime | date):
        return value.isoformat()
    return safe_cell(value)


def _write(
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    delimiter: str,
    decimal_comma: bool,
    lineterminator: str,
) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=lineterminator)
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([_cell(cell, decimal_comma) for cell in row])
    return buffer.getvalue()


def header_labels(
    codes: Sequence[str],
    locale: str,
    texts: Catalog,
    style: HeaderStyle = "labels",
    prefix: str = "csv",
) -> list[str]:
    """The header row: each column code's label (``<prefix>.<code>``) in ``locale``.

    ``style="codes"`` gives the codes themselves; a column without a label keeps its code.
    """
    if style == "codes":
        return list(codes)
    return [texts.find(f"{prefix}.{code}", locale) or code for code in codes]


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """RFC 4180 CSV (comma, decimal point, CRLF), UTF-8 BOM first, formulas neutralised."""
    return BOM + _write(header, rows, delimiter=",", decimal_comma=False, lineterminator="\r\n")


def excel_csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """CSV for Norwegian Excel: ``;``, decimal comma, UTF-8 BOM, CRLF, formulas neutralised."""
    return BOM + _write(header, rows, delimiter=";", decimal_comma=True, lineterminator="\r\n")


def csv_download(
    filename: str,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    norwegian_excel: bool = False,
    language: str | None = None,
) -> Response:
    """A ``text/csv`` attachment in either dialect (``language``: its header row's)."""
    text = excel_csv_text(header, rows) if norwegian_excel else csv_text(header, rows)
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if language:
        headers["Content-Language"] = language
    return Response(text, media_type="text/csv; charset=utf-8", headers=headers)
