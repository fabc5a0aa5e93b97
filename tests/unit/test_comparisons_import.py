"""Comparison files: a valid file round-trips; any duplicate row refuses the whole file."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.indicators.domain import comparisons as c
from shared.codes import municipality_known

EXAMPLE = (
    Path(__file__).parents[2] / "services/indicators/data/comparisons/ssb_introinnv_national.csv"
)

REGIONS: list[tuple[str, c.RegionKind, str]] = [
    ("0 Hele landet", "national", "0"),
    ("K-3301 Drammen", "municipality", "3301"),
    ("3301 Drammen", "municipality", "3301"),
    ("F-33 Buskerud", "county", "33"),
    ("EKA33 Buskerud", "county", "33"),
    ("EKG12 KOSTRA-gruppe 12", "kostra_group", "12"),
    ("K-0301 Oslo", "municipality", "0301"),
]

figures = st.lists(
    st.tuples(
        st.sampled_from(REGIONS),
        st.integers(2016, 2030),
        st.one_of(st.none(), st.decimals(0, 100, places=1).map(float)),
    ),
    min_size=1,
    max_size=20,
    unique_by=lambda f: (f[0][1], f[0][2], f[1]),
)


def ssb_file(rows: list[tuple[tuple[str, str, str], int, float | None]]) -> str:
    lines = ['"Tittel"', '"region";"statistikkvariabel";"år";"Andel (prosent)"']
    for (region, _, _), year, value in rows:
        shown = ".." if value is None else f"{value}".replace(".", ",")
        lines.append(f'"{region}";"Andel";"{year}";"{shown}"')
    return "\n".join(lines) + "\n"


def imdi_file(rows: list[tuple[tuple[str, str, str], int, float | None]]) -> str:
    lines = ["kommunenummer;kommune;år;verdi"]
    for (_, kind, code), year, value in rows:
        shown = "" if value is None else f"{value}"
        lines.append(f"{'0000' if kind == 'national' else code};x;{year};{shown}")
    return "\n".join(lines) + "\n"


@settings(max_examples=60, deadline=None)
@given(figures, st.sampled_from(["ssb", "imdi"]))
def test_a_valid_file_round_trips(rows: list, layout: str) -> None:  # type: ignore[type-arg]
    if layout == "imdi":
        rows = [r for r in rows if r[0][1] != "kostra_group"] or [(REGIONS[0], 2020, 1.0)]
        rows = list({(r[0][1], r[0][2], r[1]): r for r in rows}.values())
    body = ssb_file(rows) if layout == "ssb" else imdi_file(rows)
    parsed = c.parse(layout, body, "k", "S", municipality_known)
    assert [(p.region_kind, p.region_code, p.period, p.value) for p in parsed] == [
        (kind, code, str(year), value) for (_, kind, code), year, value in rows
    ]


@settings(max_examples=60, deadline=None)
@given(figures, st.data())
def test_any_duplicate_row_refuses_the_whole_file(rows: list, data: st.DataObject) -> None:  # type: ignore[type-arg]
    copied = data.draw(st.sampled_from(rows))
    at = data.draw(st.integers(0, len(rows)))
    doubled = [*rows[:at], copied, *rows[at:]]
    with pytest.raises(c.ComparisonFileError) as refused:
        c.parse("ssb", ssb_file(doubled), "k", "S", municipality_known)
    assert [p.code for p in refused.value.problems] == ["comparison-duplicate"]
    # The later of the two lines is named (header on line 2, data from line 3).
    first = rows.index(copied)
    assert refused.value.problems[0].line == 3 + max(first + (first >= at), at)


def test_unknown_municipality_and_bad_lines_are_all_named() -> None:
    body = (
        '"region";"statistikkvariabel";"år";"Andel"\n'
        '"K-9999 Ingensted";"Andel";"2023";"50"\n'
        '"Atlantis";"Andel";"2023";"50"\n'
        '"0 Hele landet";"Andel";"20x3";"50"\n'
        '"0 Hele landet";"Andel";"2023";"femti"\n'
    )
    with pytest.raises(c.ComparisonFileError) as refused:
        c.parse("ssb", body, "k", "S", municipality_known)
    assert [(p.field, p.code) for p in refused.value.problems] == [
        ("body.line.2", "unknown-code"),
        ("body.line.3", "comparison-region"),
        ("body.line.4", "comparison-year"),
        ("body.line.5", "comparison-value"),
    ]


def test_wrong_layout_is_refused() -> None:
    with pytest.raises(c.ComparisonFileError) as refused:
        c.parse("imdi", EXAMPLE.read_text("utf-8"), "k", "S", municipality_known)
    assert refused.value.problems[0].code == "comparison-layout"


def test_the_shipped_example_holds_ssbs_published_national_shares() -> None:
    parsed = c.parse("ssb", EXAMPLE.read_text("utf-8"), "k", "SSB", municipality_known)
    assert [(p.region_kind, p.period, p.value) for p in parsed] == [
        ("national", "2017", 62.0),
        ("national", "2023", 65.0),
    ]


@settings(max_examples=40, deadline=None)
@given(figures, st.sampled_from(sorted(c.PUBLISHED_BY_COMPLETION_YEAR)))
def test_a_figure_labelled_by_completion_year_is_filed_under_its_reference_year(
    rows: list,  # type: ignore[type-arg]
    key: str,
) -> None:
    parsed = c.parse("ssb", ssb_file(rows), key, "S", municipality_known)
    assert [(p.region_code, p.period) for p in parsed] == [
        (code, str(year + 1)) for (_, _, code), year, _ in rows
    ]
    assert all(p.source.endswith(f"(avsluttet {int(p.period) - 1})") for p in parsed)


def test_the_shipped_example_is_filed_under_the_november_reference_year() -> None:
    parsed = c.parse(
        "ssb", EXAMPLE.read_text("utf-8"), "follow_up_work_or_education", "SSB", municipality_known
    )
    assert [(p.period, p.value) for p in parsed] == [("2018", 62.0), ("2024", 65.0)]


def test_a_municipality_is_compared_with_country_county_and_kostra_group() -> None:
    groups = c.kostra_groups()
    assert groups["3301"].example, "the shipped membership is marked as an example"
    assert c.regions_for("3301", groups) == [
        ("national", "0"),
        ("county", "33"),
        ("kostra_group", "12"),
    ]
    assert c.regions_for("0301", groups) == [("national", "0"), ("county", "03")]


@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.sampled_from(["a", "b", "c"])), st.booleans(), st.booleans()
        )
    )
)
def test_a_breakdown_adds_up_to_the_value(members: list[tuple[str | None, bool, bool]]) -> None:
    cells = c.split(members)
    assert sum(cell.numerator for cell in cells.values()) == sum(m[1] for m in members)
    assert sum(cell.denominator for cell in cells.values()) == sum(m[2] for m in members)


def test_age_groups_are_data() -> None:
    assert [c.age_group(a) for a in (None, 17, 18, 25, 26, 56, 90)] == [
        "unknown",
        "0-17",
        "18-25",
        "18-25",
        "26-35",
        "56+",
        "56+",
    ]
