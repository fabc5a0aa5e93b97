"""Frozen reports, pure: a snapshot compared with the report it was taken of shows no
change; a value moved shows exactly that difference; the PDF of a report is the same bytes
every time (what lets a locked file be checked by its SHA-256)."""

from __future__ import annotations

import dataclasses
import io
import json
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

import services.indicators.app  # noqa: F401  (the renderers import the app's modules)
from services.indicators.domain.frozen import compare, frozen_rows, snapshot
from services.indicators.domain.report import (
    RegionFigure,
    Report,
    ReportGoal,
    ReportRow,
    level_of,
)
from services.indicators.reports import texts_for
from services.indicators.reports.pdf import render_pdf

TEXTS = texts_for("nb")
LEVELS = ("desired", "acceptable", "not_approved", "no_data", "suppressed")


@st.composite
def rows(draw: st.DrawFn, key: str) -> ReportRow:
    suppressed = draw(st.booleans())
    value = None if suppressed else draw(st.none() | st.floats(0, 100).map(lambda v: round(v, 1)))
    arrow = draw(st.sampled_from([None, "↑", "↓", "→"]))
    return ReportRow(
        key=key,
        title=draw(st.sampled_from(["Andel i arbeid", "Bosatte", "Færre på sosialhjelp"])),
        unit=draw(st.sampled_from(["percent", "count"])),
        decimals=1,
        period="2026",
        target=draw(st.none() | st.just("Ønsket resultat: > 55")),
        value=value,
        level=level_of("suppressed" if suppressed else draw(st.sampled_from(LEVELS[:4])), TEXTS),
        n=None if suppressed else draw(st.integers(5, 500)),
        numerator=None if suppressed else draw(st.none() | st.integers(0, 50).map(float)),
        denominator=None if suppressed else draw(st.none() | st.integers(1, 50).map(float)),
        arrow=arrow,
        change=None if arrow is None else draw(st.floats(-20, 20).map(lambda v: round(v, 1))),
        change_percent=None,
        previous_period="2025",
        previous=None,
        assessment=None,
        uncertain=draw(st.booleans()),
        suppressed=suppressed,
        preliminary=draw(st.booleans()),
        comments=tuple(
            draw(st.lists(st.sampled_from(["Tiltak: jobbspesialist.", "Økt."]), max_size=2))
        ),
        comparisons=tuple(
            draw(
                st.lists(
                    st.builds(RegionFigure, st.just("Hele landet"), st.floats(0, 100)), max_size=2
                )
            )
        ),
    )


@st.composite
def reports(draw: st.DrawFn) -> Report:
    count = draw(st.integers(1, 6))
    keys = [f"indicator_{i}" for i in range(count)]
    goal_rows = tuple(draw(rows(key)) for key in keys)
    split = draw(st.integers(0, count))
    goals = (
        ReportGoal(
            "G1",
            "Flere i arbeid",
            0,
            "kommuneplan",
            level_of("acceptable", TEXTS),
            goal_rows[:split],
        ),
        ReportGoal("G1.1", "Bolig", 1, "okonomiplan", None, goal_rows[split:]),
    )
    return Report(
        municipality="3301",
        municipality_name="Drammen",
        period="2026",
        lang="nb",
        known_as_of=datetime(2026, 11, 20, 9, 30, tzinfo=UTC),
        complete=True,
        min_n=5,
        goals=goals,
        ungrouped=(),
        suppressed_count=sum(r.suppressed for r in goal_rows),
        footnotes=("Verdier som bygger på færre enn 5 personer er prikket (:).",),
    )


@given(reports())
def test_a_snapshot_against_its_own_report_shows_no_change(report: Report) -> None:
    snap = snapshot(report)
    assert json.loads(json.dumps(snap)) == snap
    assert set(frozen_rows(snap)) == {r.key for r in report.rows}
    for item in compare(snap, report):
        assert item["changed"] is False
        assert item["difference"] in (0, None)
        assert item["frozen"] == item["now"]


@given(reports(), st.floats(0.1, 10).map(lambda v: round(v, 1)))
def test_a_moved_value_shows_its_difference(report: Report, moved: float) -> None:
    snap = snapshot(report)
    target = next((r for r in report.rows if r.value is not None), None)
    if target is None:
        return
    now = dataclasses.replace(
        report,
        goals=tuple(
            dataclasses.replace(
                g,
                rows=tuple(
                    dataclasses.replace(r, value=round(r.value + moved, 1))
                    if r.key == target.key and r.value is not None
                    else r
                    for r in g.rows
                ),
            )
            for g in report.goals
        ),
    )
    found = {i["indicator_key"]: i for i in compare(snap, now)}
    assert found[target.key]["changed"] is True
    assert abs(found[target.key]["difference"] - moved) < 0.051
    assert all(not i["changed"] for k, i in found.items() if k != target.key)


@settings(max_examples=8, deadline=None)
@given(reports())
def test_the_pdf_of_a_report_is_the_same_bytes_every_time(report: Report) -> None:
    first = render_pdf(report, "nb")
    assert render_pdf(report, "nb") == first
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(first)).pages]
    assert "Drammen" in pages[0] and "Kjent per 20.11.2026 kl. 10:30" in pages[0]
    assert all(f"Side {i} / {len(pages)}" in text for i, text in enumerate(pages, 1))
