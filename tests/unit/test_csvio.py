"""CSV: exports never carry a formula, Norwegian Excel dialect, imports fail as 422."""

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
    read_csv,
    safe_cell,
)
from shared.problems import InvalidInput


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


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_imports_accept_every_line_end(newline: str) -> None:
    raw = newline.join(["a,b", "1,2", '3,"x' + newline + 'y"', ""]).encode()
    header, rows = read_csv(("\ufeff" if newline == "\r" else "").encode() + raw)
    assert header == ("a", "b")
    assert list(rows) == [{"a": "1", "b": "2"}, {"a": "3", "b": "x" + newline + "y"}]


def test_a_bare_cr_inside_an_unquoted_cell_ends_the_row_not_the_service() -> None:
    _, rows = read_csv(b"a,b\n1,x\ry\n")
    assert list(rows) == [{"a": "1", "b": "x"}, {"a": "y"}]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"a,b\n\xff\xfe,1\n", "not UTF-8"),
        (b"a,b\n1,\x00\n", "NUL"),
        (b'a,b\n1,"open\n', "not valid CSV"),
        (b'a,b\n1,"x"y\n', "not valid CSV"),
        (b"a,b\n1,2,3\n", "cells"),
    ],
)
def test_malformed_files_are_422_naming_the_body(raw: bytes, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        read_csv(raw)
    assert caught.value.status == 422
    assert message in caught.value.detail
    assert caught.value.extensions["errors"][0]["field"] == "body"


def test_imports_cap_their_rows() -> None:
    raw = ("a\n" + "x\n" * 6).encode()
    assert len(list(read_csv(raw, max_rows=6)[1])) == 6
    with pytest.raises(InvalidInput) as caught:
        read_csv(raw, max_rows=5)
    assert "more than 5 rows" in caught.value.detail
