"""CSV exports: never a formula, Norwegian Excel dialect."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.csvio import (
    FORMULA_TRIGGERS,
    csv_download,
    csv_text,
    excel_csv_text,
    safe_cell,
)


@pytest.mark.parametrize(
    "value",
    ["=1+1", "+47 999", "-2+3", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("http://x","y")', "  =1"],
)
def test_formula_triggers_get_a_leading_quote(value: str) -> None:
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["Oslo", "70", "a=b", "", "'quoted", "e-post"])
def test_plain_text_is_left_alone(value: str) -> None:
    assert safe_cell(value) == value


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_no_exported_text_cell_starts_a_formula(value: str) -> None:
    for text, delimiter in (
        (csv_text(["h"], [[value]]), ","),
        (excel_csv_text(["h"], [[value]]), ";"),
    ):
        reader = csv.reader(
            io.StringIO(text.removeprefix("\ufeff"), newline=""), delimiter=delimiter
        )
        rows = list(reader)
        cell = rows[1][0] if len(rows) > 1 and rows[1] else ""
        assert not cell.lstrip(" ").startswith(FORMULA_TRIGGERS)
        if value and not value.lstrip(" ").startswith(FORMULA_TRIGGERS):
            assert cell == value


def test_norwegian_excel_uses_semicolon_decimal_comma_bom_and_crlf() -> None:
    text = excel_csv_text(
        ["key", "value", "amount", "day", "flag", "count", "name"],
        [["homeless", 70.5, Decimal("-1234.50"), date(2024, 1, 1), True, -3, "-Ola"]],
    )
    assert text.startswith("\ufeffkey;value;amount;day;flag;count;name\r\n")
    assert text.endswith("homeless;70,5;-1234,50;2024-01-01;True;-3;'-Ola\r\n")


def test_rfc_dialect_keeps_comma_and_decimal_point() -> None:
    text = csv_text(["a", "b"], [[1.5, None], ["x,y", "=2"]])
    assert text == '\ufeffa,b\r\n1.5,\r\n"x,y",\'=2\r\n'


def test_download_is_an_attachment() -> None:
    response = csv_download("x.csv", ["a"], [[1.25]], norwegian_excel=True)
    assert response.media_type == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="x.csv"'
    assert bytes(response.body).decode("utf-8") == "\ufeffa\r\n1,25\r\n"
