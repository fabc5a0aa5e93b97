"""Rows of the result table and their Markdown rendering."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Row:
    """One measured figure beside the raw path measured in the same run."""

    part: str
    what: str
    kit: float
    raw: float | None
    unit: str
    raw_what: str = ""
    target: float | None = None
    higher_is_better: bool = True
    note: str = ""
    kit_cpu_ms: float | None = None
    raw_cpu_ms: float | None = None

    @property
    def ratio(self) -> float | None:
        if self.raw is None or self.raw == 0 or self.kit == 0:
            return None
        if not self.higher_is_better and self.kit < 0:
            # A latency measured from the client's 201 is below zero when the event was
            # visible before the answer reached the client: no multiple of the raw path.
            return None
        return self.kit / self.raw if self.higher_is_better else self.raw / self.kit


class Measurement(Protocol):
    """A side's rate and its CPU per operation (``bench.meter.Measured``, a load result)."""

    @property
    def rate(self) -> float: ...

    @property
    def cpu_ms(self) -> float | None: ...


def measured_row(
    part: str,
    what: str,
    kit: Measurement,
    raw: Measurement,
    unit: str,
    raw_what: str,
    *,
    target: float | None = None,
) -> Row:
    """The row of the kit's and the raw path's rate and CPU per operation."""
    return Row(
        part,
        what,
        kit.rate,
        raw.rate,
        unit,
        raw_what,
        target=target,
        kit_cpu_ms=kit.cpu_ms,
        raw_cpu_ms=raw.cpu_ms,
    )


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100) of ``values``; NaN when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def _number(value: float, unit: str) -> str:
    if math.isnan(value):
        return "n/a"
    if unit == "ms":
        return f"{value:,.1f} ms"
    return f"{value:,.0f} {unit}"


def _cpu(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "–"
    return f"{value:.3f}" if value < 1 else f"{value:.2f}"


def render(rows: Sequence[Row]) -> str:
    lines = [
        "| # | Measured (kit) | Kit | Raw path (same run) | Raw | Kit/raw | Target "
        "| CPU ms/op kit · raw |",
        "|---|---|---:|---|---:|---:|---|---:|",
    ]
    for row in rows:
        ratio = row.ratio
        if ratio is None:
            ratio_text = ""
        elif row.higher_is_better:
            ratio_text = f"{ratio:.1%}"
        else:
            ratio_text = f"{1 / ratio:.1f}× raw"
        if row.target is not None and ratio is not None:
            verdict = "met" if ratio >= row.target else "missed"
            target_text = f"≥ {row.target:.0%} ({verdict})"
        else:
            target_text = ""
        what = row.what + (f" — {row.note}" if row.note else "")
        lines.append(
            f"| {row.part} | {what} | {_number(row.kit, row.unit)} | {row.raw_what} | "
            f"{'' if row.raw is None else _number(row.raw, row.unit)} | {ratio_text} | "
            f"{target_text} | {_cpu(row.kit_cpu_ms)} · {_cpu(row.raw_cpu_ms)} |"
        )
    return "\n".join(lines)
