"""CSV in and out: exports that cannot carry a formula, Norwegian Excel, bounded imports.

Exports. Every text cell goes through :func:`safe_cell`: a cell a spreadsheet would
read as a formula (starting with ``= + - @``, a tab or a carriage return, also after
leading spaces) gets a single quote in front, as OWASP's "CSV injection" advice says, so
a name like ``=HYPERLINK(...)`` is shown, never run. Numbers, dates and booleans are
values, not text, and are written as such (a negative number stays a number).

Two dialects: :func:`csv_text` is RFC 4180 (comma, decimal point) for scripts and
the API's ``format=csv``; :func:`excel_csv_text` is for Norwegian Excel, which opens a
downloaded file by double click only when it is ``;``-separated with decimal comma,
UTF-8 with BOM and CRLF line ends. :func:`csv_download` wraps either as a response.

Imports. :func:`read_csv` decodes UTF-8 (BOM allowed), accepts CRLF, LF and a bare CR
as line ends, caps the rows (:data:`MAX_IMPORT_ROWS`) and turns every malformed file
into a 422 naming the problem, never a 500.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from fastapi.responses import Response

from shared.problems import InvalidInput, field_error

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make Excel, LibreOffice or Google Sheets evaluate a cell."""

MAX_IMPORT_ROWS = 10_000
"""Rows one import takes at most (a 1 MiB body holds about that many caseload rows)."""

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
) -> Response:
    """A ``text/csv`` attachment in either dialect."""
    text = excel_csv_text(header, rows) if norwegian_excel else csv_text(header, rows)
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def read_csv(
    raw: bytes, *, max_rows: int = MAX_IMPORT_ROWS, field: str = "body"
) -> tuple[tuple[str, ...], Iterator[dict[str, str]]]:
    """The header and the data rows of an uploaded CSV, or a 422 saying what is wrong.

    The whole file is checked (encoding, quoting, NUL characters, row cap) before any
    row is handed out, so an import never stops half-way on a malformed file. Rows come
    back as dicts of the non-empty cells; a row longer than the header is refused.
    """
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            "The file is not UTF-8.", [field_error(field, "not UTF-8 text")]
        ) from exc
    if "\x00" in text:
        raise InvalidInput(
            "The file contains NUL characters.", [field_error(field, "NUL character in the file")]
        )
    # newline="" lets the csv module see CR, LF and CRLF itself: a bare CR ends a row
    # outside quotes and stays part of the value inside them.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = tuple(next(reader, ()))
        rows: list[list[str]] = []
        for row in reader:
            if not any(row):
                continue
            if len(rows) >= max_rows:
                raise InvalidInput(
                    f"The file has more than {max_rows} rows; split it.",
                    [field_error(field, f"more than {max_rows} rows")],
                )
            rows.append(row)
    except csv.Error as exc:
        raise InvalidInput(
            f"The file is not valid CSV (line {reader.line_num}): {exc}.",
            [field_error(field, f"line {reader.line_num}: {exc}")],
        ) from exc
    width = len(header)
    for number, row in enumerate(rows, start=2):
        if len(row) > width:
            raise InvalidInput(
                f"Row {number} has {len(row)} cells, the header {width}.",
                [field_error(field, f"row {number}: more cells than the header")],
            )

    def dicts() -> Iterator[dict[str, str]]:
        for row in rows:
            yield {name: value for name, value in zip(header, row, strict=False) if value != ""}

    return header, dicts()
