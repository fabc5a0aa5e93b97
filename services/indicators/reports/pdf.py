"""The report as PDF (ReportLab): A4, a cover with the municipality's name and a
coat-of-arms slot, a table of contents with page numbers, "kjent per" and "side n / m" on
every page after the cover.

The font is Bitstream Vera, which ReportLab ships (æøå, en dash; no arrows): it is there
on every machine, so the same report gives the same bytes everywhere (``invariant``
output, no creation time or random id in the file). Trend arrows are drawn as shapes
beside a word ("opp", "ned", "uendret"), so they print in colour and read as text when
the PDF is searched or read aloud. A level is a coloured square *and* its name.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from functools import cache, partial
from typing import Any
from xml.sax.saxutils import escape

import reportlab
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.tableofcontents import TableOfContents

from services.indicators.dashboard.labels import number
from services.indicators.domain.report import Level, Report, ReportGoal, ReportRow, text
from services.indicators.domain.suppression import SYMBOL
from services.indicators.reports import known_as_of_text, row_figure, texts_for

FONT = "VeiviserSans"
BOLD = "VeiviserSans-Bold"
ITALIC = "VeiviserSans-Italic"
MARGIN = 16 * mm
TREND_WORDS = {"↑": "report.trend.up", "↓": "report.trend.down", "→": "report.trend.flat"}


@cache
def _fonts() -> None:
    folder = os.path.join(os.path.dirname(reportlab.__file__), "fonts")
    for name, file in ((FONT, "Vera.ttf"), (BOLD, "VeraBd.ttf"), (ITALIC, "VeraIt.ttf")):
        pdfmetrics.registerFont(TTFont(name, os.path.join(folder, file)))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=ITALIC, boldItalic=BOLD)


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=FONT, fontSize=8.5, leading=10.5)
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=9),
        "comment": ParagraphStyle("comment", parent=base, fontName=ITALIC, fontSize=7.5, leading=9),
        "head": ParagraphStyle("head", parent=base, fontName=BOLD, fontSize=7.5, leading=9),
        "h1": ParagraphStyle(
            "h1", parent=base, fontName=BOLD, fontSize=26, leading=32, alignment=TA_CENTER
        ),
        "cover": ParagraphStyle("cover", parent=base, fontSize=14, leading=18, alignment=TA_CENTER),
        "h2": ParagraphStyle(
            "h2", parent=base, fontName=BOLD, fontSize=13, leading=16, spaceBefore=6, spaceAfter=4
        ),
        "h3": ParagraphStyle(
            "h3", parent=base, fontName=BOLD, fontSize=11, leading=14, spaceBefore=4, spaceAfter=3
        ),
        "toc0": ParagraphStyle("toc0", parent=base, fontSize=10, leading=14),
        "toc1": ParagraphStyle("toc1", parent=base, fontSize=9.5, leading=13, leftIndent=6 * mm),
        "toc2": ParagraphStyle("toc2", parent=base, fontSize=9, leading=12, leftIndent=12 * mm),
    }


class CoatOfArms(Flowable):  # type: ignore[misc]  # ReportLab has no type hints
    """The coat-of-arms slot: a dashed frame with its name (no image is invented)."""

    def __init__(self, label: str) -> None:
        super().__init__()
        self.label = label
        self.width, self.height = 40 * mm, 48 * mm

    def wrap(self, aw: float, ah: float) -> tuple[float, float]:
        return aw, self.height

    def draw(self) -> None:
        c = self.canv
        left = (self._frame._width - self.width) / 2 if hasattr(self, "_frame") else 0
        c.saveState()
        c.setDash(3, 2)
        c.setStrokeColor(colors.HexColor("#999999"))
        c.rect(left, 0, self.width, self.height)
        c.setFont(FONT, 9)
        c.setFillColor(colors.HexColor("#777777"))
        c.drawCentredString(left + self.width / 2, self.height / 2, self.label)
        c.restoreState()


class Swatch(Flowable):  # type: ignore[misc]  # ReportLab has no type hints
    """A level's colour as a small square with a border (white levels stay visible)."""

    def __init__(self, colour: str, size: float = 3.2 * mm) -> None:
        super().__init__()
        self.colour = colour
        self.width = self.height = size

    def draw(self) -> None:
        self.canv.setStrokeColor(colors.HexColor("#666666"))
        self.canv.setFillColor(colors.HexColor(self.colour))
        self.canv.rect(0, 0, self.width, self.height, fill=1)


class Arrow(Flowable):  # type: ignore[misc]  # ReportLab has no type hints
    """A trend arrow drawn as a shape: up, down or flat (→)."""

    def __init__(self, arrow: str, size: float = 3.4 * mm) -> None:
        super().__init__()
        self.arrow = arrow
        self.width = self.height = size

    def draw(self) -> None:
        c, s = self.canv, self.width
        c.saveState()
        c.setFillColor(colors.HexColor("#333333"))
        c.setStrokeColor(colors.HexColor("#333333"))
        c.setLineWidth(0.9)
        if self.arrow == "↑":
            c.line(s / 2, 0, s / 2, s * 0.6)
            points = [(s * 0.15, s * 0.55), (s * 0.85, s * 0.55), (s / 2, s)]
        elif self.arrow == "↓":
            c.line(s / 2, s, s / 2, s * 0.4)
            points = [(s * 0.15, s * 0.45), (s * 0.85, s * 0.45), (s / 2, 0)]
        else:
            c.line(0, s / 2, s * 0.6, s / 2)
            points = [(s * 0.55, s * 0.15), (s * 0.55, s * 0.85), (s, s / 2)]
        path = c.beginPath()
        path.moveTo(*points[0])
        for point in points[1:]:
            path.lineTo(*point)
        path.close()
        c.drawPath(path, fill=1, stroke=0)
        c.restoreState()


class _Document(BaseDocTemplate):  # type: ignore[misc]  # ReportLab has no type hints
    """Notifies the table of contents of every goal heading (its page number)."""

    def afterFlowable(self, flowable: Flowable) -> None:
        entry = getattr(flowable, "toc_entry", None)
        if entry is not None:
            depth, title, key = entry
            self.canv.bookmarkPage(key)
            self.canv.addOutlineEntry(title, key, level=min(depth, 2))
            self.notify("TOCEntry", (min(depth, 2), title, self.page, key))


def _numbered(known_label: str, page_label: str, name: str) -> type[Canvas]:
    """A canvas that writes "kjent per" and "side n / m" once the page count is known."""

    class NumberedCanvas(Canvas):  # type: ignore[misc]  # ReportLab has no type hints
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._footer(total)
                super().showPage()
            super().save()

        def _footer(self, total: int) -> None:
            width, _ = A4
            self.saveState()
            self.setFont(FONT, 7.5)
            self.setFillColor(colors.HexColor("#555555"))
            self.drawString(MARGIN, 10 * mm, f"{name} · {known_label}")
            self.drawRightString(
                width - MARGIN, 10 * mm, f"{page_label} {self._pageNumber} / {total}"
            )
            self.restoreState()

    return NumberedCanvas


def _p(value: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(value), style)


def render_pdf(report: Report, lang: str) -> bytes:
    """The report as a PDF; the same report gives the same bytes."""
    _fonts()
    texts = texts_for(lang)
    styles = _styles()

    def t(key: str, **params: object) -> str:
        return text(texts, key, **params)

    known = f"{t('report.known_as_of')} {known_as_of_text(report.known_as_of)}"

    shown = partial(row_figure, lang=lang)

    def level_cell(level: Level) -> Table:
        cell = Table(
            [[Swatch(level.colour), _p(level.label, styles["small"])]],
            colWidths=[4.5 * mm, None],
        )
        cell.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"), *_no_padding()]))
        return cell

    def trend_cell(row: ReportRow) -> Any:
        if row.arrow is None:
            return ""
        word = t(TREND_WORDS.get(row.arrow, "report.trend.flat"))
        cell = Table([[Arrow(row.arrow), _p(word, styles["small"])]], colWidths=[4.5 * mm, None])
        cell.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"), *_no_padding()]))
        return cell

    def change_cell(row: ReportRow) -> Paragraph:
        if row.change is None:
            return _p("–", styles["small"])
        amount = number(row.change, lang, row.decimals)
        sign = "+" if row.change > 0 else ""
        words = f"{sign}{amount}"
        if row.previous_period:
            words += f" ({t('report.against')} {row.previous_period}: {shown(row, row.previous)})"
        return _p(words, styles["small"])

    def indicator_cell(row: ReportRow) -> list[Flowable]:
        marks = ""
        if row.uncertain and not row.suppressed:
            marks += f" ({t('report.uncertain_mark')})"
        if row.preliminary:
            marks += f" ({t('report.preliminary').lower()})"
        cell: list[Flowable] = [_p(row.title + marks, styles["body"])]
        if row.target:
            cell.append(_p(f"{t('report.target')}: {row.target}", styles["small"]))
        return cell

    def comments(rows: Sequence[ReportRow]) -> list[Flowable]:
        # Below the table, not in a cell: a table row cannot break across pages, and a
        # comment may run to 4000 characters.
        out: list[Flowable] = []
        for row in rows:
            if row.comments:
                out.append(_p(f"{t('report.comments')} – {row.title}", styles["head"]))
                out.extend(_p(comment, styles["comment"]) for comment in row.comments)
        if out:
            out.insert(0, Spacer(1, 2 * mm))
        return out

    def comparisons_cell(row: ReportRow) -> Paragraph:
        lines = [f"{escape(f.label)}: {escape(shown(row, f.value))}" for f in row.comparisons]
        return Paragraph("<br/>".join(lines) or "–", styles["small"])

    def table(rows: Sequence[ReportRow]) -> Table:
        header = [
            "report.indicator",
            "report.period",
            "report.value",
            "report.level",
            "report.n",
            "report.trend",
            "report.change",
            "report.comparisons",
        ]
        widths = [48, 13, 16, 24, 10, 16, 25, 26]
        if report.reported is not None:
            header.insert(2, "report.reported_value")
            widths = [40, 13, 18, 16, 22, 10, 14, 20, 25]
        # "n" alone: the long label would break inside a word in so narrow a column.
        data: list[list[Any]] = [
            [_p("n" if key == "report.n" else t(key), styles["head"]) for key in header]
        ]
        for row in rows:
            value = SYMBOL if row.suppressed else shown(row, row.value)
            n = SYMBOL if row.suppressed else number(row.n, lang, 0)
            line: list[Any] = [
                indicator_cell(row),
                _p(row.period, styles["small"]),
                _p(value, styles["body"]),
                level_cell(row.level),
                _p(n, styles["small"]),
                trend_cell(row),
                change_cell(row),
                comparisons_cell(row),
            ]
            if report.reported is not None:
                frozen = row.reported
                was = (
                    "–"
                    if frozen is None
                    else SYMBOL
                    if frozen.suppressed
                    else shown(row, frozen.value)
                )
                line.insert(2, _p(was, styles["body"]))
            data.append(line)
        grid = Table(data, colWidths=[w * mm for w in widths], repeatRows=1)
        grid.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEEEEE")),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.4, colors.HexColor("#CCCCCC")),
                    ("LEFTPADDING", (0, 0), (-1, -1), 2),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 2),
                ]
            )
        )
        return grid

    def heading(goal: ReportGoal) -> Flowable:
        style = styles["h2"] if goal.depth == 0 else styles["h3"]
        title = goal.title
        if goal.level is not None:
            title += f" – {goal.level.label}"
        para = _p(title, style)
        para.toc_entry = (goal.depth, goal.title, f"goal-{goal.key}")
        if goal.level is None:
            return para
        line = Table([[Swatch(goal.level.colour, 4 * mm), para]], colWidths=[6 * mm, None])
        line.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"), *_no_padding()]))
        line.toc_entry = para.toc_entry
        return line

    toc = TableOfContents(dotsMinLevel=0)
    toc.levelStyles = [styles["toc0"], styles["toc1"], styles["toc2"]]
    story: list[Flowable] = [
        Spacer(1, 40 * mm),
        CoatOfArms(t("report.coat_of_arms")),
        Spacer(1, 12 * mm),
        _p(report.municipality_name, styles["h1"]),
        Spacer(1, 4 * mm),
        _p(t("report.title"), styles["cover"]),
        _p(t("report.subtitle", period=report.period), styles["cover"]),
    ]
    if report.locked_as:
        story.append(_p(report.locked_as, styles["cover"]))
    if report.reported is not None:
        reported = report.reported
        story.append(
            _p(
                t(
                    "report.recomputed_beside",
                    title=reported.title,
                    reported_to=reported.reported_to,
                    reported_on=reported.reported_on.strftime("%d.%m.%Y"),
                    known=known_as_of_text(reported.known_as_of),
                ),
                styles["cover"],
            )
        )
    story += [
        Spacer(1, 10 * mm),
        _p(known, styles["cover"]),
        NextPageTemplate("page"),
        PageBreak(),
        _p(t("report.contents"), styles["h2"]),
        toc,
        PageBreak(),
    ]
    for goal in report.goals:
        parts: list[Flowable] = [heading(goal)]
        if goal.rows:
            parts.append(table(goal.rows))
        story += [KeepTogether(parts), *comments(goal.rows), Spacer(1, 5 * mm)]
    if report.ungrouped:
        fake = ReportGoal("ungrouped", t("report.ungrouped"), 0, "", None, ())
        story += [heading(fake), table(report.ungrouped), *comments(report.ungrouped)]
        story.append(Spacer(1, 5 * mm))
    notes = ReportGoal("footnotes", t("report.footnotes"), 0, "", None, ())
    story.append(heading(notes))
    story += [_p(f"{i}. {note}", styles["small"]) for i, note in enumerate(report.footnotes, 1)]

    out = io.BytesIO()
    width, height = A4
    doc = _Document(
        out,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=18 * mm,
        bottomMargin=20 * mm,
        title=f"{report.municipality_name} – {t('report.title')} {report.period}",
        author=report.municipality_name,
        lang={"nb": "nb-NO", "nn": "nn-NO"}.get(lang, "en"),
        invariant=1,
    )
    frame = Frame(MARGIN, 20 * mm, width - 2 * MARGIN, height - 38 * mm, id="body")
    doc.addPageTemplates([PageTemplate("cover", [frame]), PageTemplate("page", [frame])])
    doc.multiBuild(
        story,
        canvasmaker=_numbered(known, t("report.page"), report.municipality_name),
    )
    return out.getvalue()


def _no_padding() -> list[tuple[Any, ...]]:
    return [
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 1),
        ("TOPPADDING", (0, 0), (-1, -1), 0),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
    ]
