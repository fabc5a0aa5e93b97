"""Comparison figures: national, county and KOSTRA-group values beside a municipality's own.

Pure parsing of the two published layouts (docs/mrs/comparisons.md):

* ``ssb`` — an SSB statbank CSV export: ``;``-separated, an optional title line, then a
  header naming ``region``, the statistic (``statistikkvariabel``), the year (``år``) and
  the value column (any other name, e.g. ``13215: Tidligere deltakere …``). Regions read as
  SSB writes them: ``0 Hele landet`` / ``EAK Landet`` (national), ``K-3301 Drammen`` or
  ``3301 Drammen`` (municipality), ``F-33 Buskerud`` / ``33 Buskerud`` (county),
  ``EKG12 KOSTRA-gruppe 12`` (KOSTRA group). Decimal comma; SSB's symbols ``.``, ``..``,
  ``...``, ``:`` and ``-`` are a missing value (``-`` is zero, as SSB means).
* ``imdi`` — IMDi's figures per municipality: ``kommunenummer;kommune;år;verdi`` (4-digit
  municipality, 2-digit county, ``0`` or ``0000`` the whole country).

Every problem names the ``body`` line it was found on; one bad line refuses the file.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import resources
from typing import Literal

RegionKind = Literal["national", "county", "kostra_group", "municipality"]
REGION_KINDS: tuple[RegionKind, ...] = ("national", "county", "kostra_group", "municipality")
LAYOUTS = ("ssb", "imdi")
MISSING = frozenset({".", "..", "...", ":", "…"})
"""SSB's symbols for a figure that cannot exist, is missing or is confidential."""

PUBLISHED_BY_COMPLETION_YEAR = frozenset({"follow_up_work_or_education"})
"""Indicators whose published figures are labelled with the year the programme ended
("avsluttet i 2017, status i november 2018"), while Veiviser's period is the November
reference year: a published year Y is filed under period Y + 1, and the source says so."""


@dataclass(frozen=True)
class ComparisonRow:
    """One comparison figure as stored."""

    indicator_key: str
    period: str
    region_kind: RegionKind
    region_code: str
    value: float | None
    source: str
    line: int = 0

    @property
    def identity(self) -> tuple[str, str, str, str]:
        return (self.indicator_key, self.period, self.region_kind, self.region_code)


@dataclass(frozen=True)
class LineProblem:
    """What is wrong with one line of the body (1-based), and its stable code."""

    line: int
    message: str
    code: str

    @property
    def field(self) -> str:
        return f"body.line.{self.line}"


class ComparisonFileError(ValueError):
    """A comparison file that cannot be imported; ``problems`` lists every bad line."""

    def __init__(self, problems: list[LineProblem]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the comparison file")
        self.problems = problems


_NATIONAL = re.compile(r"^(?:0+|EAK|EAKUO)(?:\s.*)?$|^(?:Hele landet|Landet|Norge)$", re.I)
_KOSTRA = re.compile(r"^EKG\s?(\d{1,2})(?:\s.*)?$", re.I)
_COUNTY = re.compile(r"^(?:F-|EKA)?(\d{2})(?:\s.*)?$")
_MUNICIPALITY = re.compile(r"^(?:K-)?(\d{4})(?:\s.*)?$")
_YEAR = re.compile(r"^(\d{4})(?:\*)?$")


def parse_region(text: str) -> tuple[RegionKind, str] | None:
    """The region kind and code SSB or IMDi writes, or None when unreadable."""
    text = text.strip()
    if _NATIONAL.match(text):
        return "national", "0"
    if found := _KOSTRA.match(text):
        return "kostra_group", f"{int(found.group(1)):02d}"
    if found := _MUNICIPALITY.match(text):
        return "municipality", found.group(1)
    if found := _COUNTY.match(text):
        return "county", found.group(1)
    return None


def parse_number(text: str) -> float | None:
    """A published figure: decimal comma or point, spaces as thousands; SSB's symbols for
    missing are None. Raises ValueError for anything else."""
    text = text.strip().replace("\u00a0", "").replace(" ", "")
    if text in MISSING or text == "":
        return None
    if text == "-":
        return 0.0
    value = float(text.replace(",", "."))
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def _lines(body: str) -> list[tuple[int, list[str]]]:
    """Non-empty CSV records with their 1-based line numbers."""
    reader = csv.reader(io.StringIO(body.lstrip("\ufeff")), delimiter=";", quotechar='"')
    out: list[tuple[int, list[str]]] = []
    for cells in reader:
        if any(cell.strip() for cell in cells):
            out.append((reader.line_num, [cell.strip() for cell in cells]))
    return out


def _header(
    records: list[tuple[int, list[str]]], wanted: Callable[[list[str]], bool]
) -> tuple[int, list[str], list[tuple[int, list[str]]]] | None:
    """The first header record (skipping SSB's title line) and the data records after it."""
    for index, (line, cells) in enumerate(records[:3]):
        if wanted([c.lower() for c in cells]):
            return line, [c.lower() for c in cells], records[index + 1 :]
    return None


def _ssb_header(cells: list[str]) -> bool:
    return "region" in cells and ("år" in cells or "aar" in cells or "year" in cells)


def _imdi_header(cells: list[str]) -> bool:
    return "kommunenummer" in cells and ("år" in cells or "aar" in cells)


def _column(header: list[str], *names: str) -> int | None:
    for name in names:
        if name in header:
            return header.index(name)
    return None


def parse(
    layout: str,
    body: str,
    indicator_key: str,
    source: str,
    known_municipality: Callable[[str], bool],
) -> list[ComparisonRow]:
    """The rows of a comparison file, or :class:`ComparisonFileError` naming every bad
    line: an unreadable region or year, a kommunenummer ``known_municipality`` does not
    know, a value that is no number, a row repeated (same region and year)."""
    if layout not in LAYOUTS:
        raise ComparisonFileError(
            [LineProblem(0, f"layout {layout!r} is not ssb or imdi", "comparison-layout")]
        )
    records = _lines(body)
    found = _header(records, _ssb_header if layout == "ssb" else _imdi_header)
    if found is None:
        expected = (
            "region;statistikkvariabel;år;<value>"
            if layout == "ssb"
            else "kommunenummer;kommune;år;verdi"
        )
        raise ComparisonFileError(
            [
                LineProblem(
                    records[0][0] if records else 1,
                    f"no {layout} header: expected {expected}",
                    "comparison-layout",
                )
            ]
        )
    _, header, data = found
    if layout == "ssb":
        region_at = _column(header, "region")
        statistic_at = _column(header, "statistikkvariabel", "contents")
        fixed = {region_at, statistic_at, _column(header, "år", "aar", "year")}
        value_at = next((i for i in range(len(header)) if i not in fixed), None)
    else:
        region_at = _column(header, "kommunenummer")
        statistic_at = _column(header, "indikator")
        value_at = _column(header, "verdi", "value")
    year_at = _column(header, "år", "aar", "year")
    if value_at is None or region_at is None or year_at is None:
        raise ComparisonFileError(
            [LineProblem(found[0], "the header names no value column", "comparison-layout")]
        )
    rows: list[ComparisonRow] = []
    problems: list[LineProblem] = []
    seen: dict[tuple[str, str, str, str], int] = {}
    for line, cells in data:
        if len(cells) <= max(region_at, year_at, value_at):
            problems.append(
                LineProblem(
                    line, f"{len(cells)} columns, header has {len(header)}", "comparison-layout"
                )
            )
            continue
        region = parse_region(cells[region_at])
        if region is None:
            problems.append(
                LineProblem(line, f"region {cells[region_at]!r} unreadable", "comparison-region")
            )
            continue
        kind, code = region
        if kind == "municipality" and not known_municipality(code):
            problems.append(LineProblem(line, f"{code} is not a kommunenummer", "unknown-code"))
            continue
        year = _YEAR.match(cells[year_at])
        if year is None:
            problems.append(
                LineProblem(line, f"year {cells[year_at]!r} is not a year", "comparison-year")
            )
            continue
        try:
            value = parse_number(cells[value_at])
        except ValueError:
            problems.append(
                LineProblem(line, f"value {cells[value_at]!r} is no number", "comparison-value")
            )
            continue
        statistic = cells[statistic_at] if statistic_at is not None else ""
        period = year.group(1)
        if indicator_key in PUBLISHED_BY_COMPLETION_YEAR:
            period = str(int(period) + 1)
            statistic = f"{statistic} (avsluttet {year.group(1)})".strip()
        row = ComparisonRow(
            indicator_key=indicator_key,
            period=period,
            region_kind=kind,
            region_code=code,
            value=value,
            source=f"{source}: {statistic}" if statistic else source,
            line=line,
        )
        if row.identity in seen:
            problems.append(
                LineProblem(
                    line,
                    f"duplicate of line {seen[row.identity]} ({kind} {code}, {row.period})",
                    "comparison-duplicate",
                )
            )
            continue
        seen[row.identity] = line
        rows.append(row)
    if problems:
        raise ComparisonFileError(problems)
    if not rows:
        raise ComparisonFileError([LineProblem(1, "no data rows", "comparison-layout")])
    return rows


# -- KOSTRA groups -------------------------------------------------------------------------


@dataclass(frozen=True)
class KostraMembership:
    municipality: str
    group: str
    year: int
    source: str
    example: bool


def kostra_groups(text: str | None = None) -> dict[str, KostraMembership]:
    """Group membership per kommunenummer from the shipped ``data/kostra_groups.csv``
    (columns kommunenummer;kostra_gruppe;aar;kilde;eksempel)."""
    if text is None:
        text = (
            resources.files("services.indicators")
            .joinpath("data", "kostra_groups.csv")
            .read_text("utf-8")
        )
    out: dict[str, KostraMembership] = {}
    for _, cells in _lines(text)[1:]:
        code, group, year, source, example = cells[:5]
        out[code] = KostraMembership(
            code, f"{int(group):02d}", int(year), source, example.lower() in ("ja", "yes", "1")
        )
    return out


def regions_for(
    municipality: str, groups: dict[str, KostraMembership]
) -> list[tuple[RegionKind, str]]:
    """The regions a municipality is compared with: the whole country, its county (the
    kommunenummer's first two digits) and its KOSTRA group when known."""
    regions: list[tuple[RegionKind, str]] = [("national", "0"), ("county", municipality[:2])]
    if municipality in groups:
        regions.append(("kostra_group", groups[municipality].group))
    return regions


def order(rows: Iterable[ComparisonRow]) -> list[ComparisonRow]:
    """National first, then county, then KOSTRA group."""
    return sorted(rows, key=lambda r: REGION_KINDS.index(r.region_kind))


# -- breakdowns ----------------------------------------------------------------------------

BREAKDOWNS = ("gender", "age_group", "arrival_category", "settlement_cohort")
AGE_GROUPS: tuple[tuple[str, int, int | None], ...] = (
    ("0-17", 0, 17),
    ("18-25", 18, 25),
    ("26-35", 26, 35),
    ("36-45", 36, 45),
    ("46-55", 46, 55),
    ("56+", 56, None),
)
"""Age bands of ``age_group`` (age in the period's first year), as SSB bands participants."""
UNKNOWN = "unknown"


def age_group(age: int | None, bands: tuple[tuple[str, int, int | None], ...] = AGE_GROUPS) -> str:
    if age is None:
        return UNKNOWN
    for name, low, high in bands:
        if age >= low and (high is None or age <= high):
            return name
    return UNKNOWN


@dataclass(frozen=True)
class Cell:
    numerator: int
    denominator: int


def split(
    members: Iterable[tuple[str | None, bool, bool]],
) -> dict[str, Cell]:
    """Count ``(cell, in_numerator, in_denominator)`` per cell (None is ``unknown``); units
    in neither are left out, as in the value itself."""
    counts: dict[str, list[int]] = {}
    for cell, in_numerator, in_denominator in members:
        if not (in_numerator or in_denominator):
            continue
        pair = counts.setdefault(cell or UNKNOWN, [0, 0])
        pair[0] += int(in_numerator)
        pair[1] += int(in_denominator)
    return {cell: Cell(n, d) for cell, (n, d) in sorted(counts.items())}
