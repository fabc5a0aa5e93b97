"""Dated rule data (shared.dated): the value in force on a day, and documents refused whole."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.dated import DatedDataError, load, parse

G = {
    "grunnbelop": {
        "description": "G",
        "entries": [
            {"valid_from": "2023-05-01", "value": 118620, "source": "a"},
            {"valid_from": "2024-05-01", "value": 124028, "source": "b"},
        ],
    }
}


def test_the_entry_in_force_is_the_latest_that_has_begun() -> None:
    table = parse(G)["grunnbelop"]
    assert table.on(date(2024, 4, 30)) == 118620
    assert table.on(date(2024, 5, 1)) == 124028
    assert table.entry_on(date(2030, 1, 1)).source == "b"
    with pytest.raises(LookupError, match="no value before 2023-05-01"):
        table.on(date(2023, 4, 30))
    assert table.as_json()["entries"][1] == {
        "valid_from": "2024-05-01",
        "value": 124028,
        "source": "b",
    }


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([], "has no entries"),
        ([{"valid_from": "2024-13-01", "value": 1, "source": "x"}], "valid_from is not a date"),
        ([{"valid_from": "2024-01-01", "value": 1}], "source must name"),
        ([{"valid_from": "2024-01-01", "value": 1, "source": " "}], "source must name"),
        ([{"valid_from": "2024-01-01", "source": "x"}], "needs valid_from, value"),
        (
            [
                {"valid_from": "2024-01-01", "value": 1, "source": "x"},
                {"valid_from": "2024-01-01", "value": 2, "source": "x"},
            ],
            "must come after",
        ),
    ],
)
def test_a_bad_table_is_refused_naming_where(entries: list[object], message: str) -> None:
    with pytest.raises(DatedDataError, match=message):
        parse({"t": {"entries": entries}}, "rules.json")


def test_a_local_copy_overrides_the_shipped_document(tmp_path: Path) -> None:
    copy = tmp_path / "rules.json"
    copy.write_text(json.dumps(G), "utf-8")
    assert load("nowhere", "ignored.json", copy)["grunnbelop"].on(date(2025, 1, 1)) == 124028
    copy.write_text("[1, 2]", "utf-8")
    with pytest.raises(DatedDataError, match="object of tables"):
        load("nowhere", "ignored.json", copy)
    copy.write_text("{", "utf-8")
    with pytest.raises(DatedDataError, match="not JSON"):
        load("nowhere", "ignored.json", copy)


@given(
    st.lists(st.integers(0, 3000), min_size=1, max_size=12, unique=True),
    st.integers(-10, 3100),
)
def test_on_gives_the_greatest_start_not_after_the_day(offsets: list[int], probe: int) -> None:
    start = date(2020, 1, 1)
    ordered = sorted(offsets)
    entries = [
        {"valid_from": (start + timedelta(days=o)).isoformat(), "value": o, "source": "s"}
        for o in ordered
    ]
    table = parse({"t": {"entries": entries}})["t"]
    day = start + timedelta(days=probe)
    begun = [o for o in ordered if o <= probe]
    if not begun:
        with pytest.raises(LookupError):
            table.on(day)
    else:
        assert table.on(day) == max(begun)


def test_a_municipality_folder_replaces_only_the_documents_it_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "integration_act.json").write_text(json.dumps(G), "utf-8")
    monkeypatch.setenv("VEIVISER_RULE_DATA_DIR", str(tmp_path))
    local = load("services.participants.data", "integration_act.json")
    assert set(local) == {"grunnbelop"}
    shipped = load("services.participants.data", "nir.json")
    assert "grunnbelop" not in shipped and shipped
