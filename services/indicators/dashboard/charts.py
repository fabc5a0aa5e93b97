"""Inline SVG charts for the dashboard: a time series with threshold bands, survival curves.

Pure functions returning SVG markup; every text is escaped.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from html import escape
from typing import Any

from services.indicators.dashboard.labels import LEVEL_COLOURS
from services.indicators.domain.scoring import IndicatorValue

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 40
CURVE_COLOURS = ("#1f5fa8", "#d35400", "#16a085", "#8e44ad", "#c0392b", "#2c3e50", "#7f8c8d")


def _range(values: Sequence[float]) -> tuple[float, float]:
    low, high = min(values), max(values)
    if low == high:
        low, high = low - 1, high + 1
    pad = (high - low) * 0.08
    return low - pad, high + pad


def series_svg(points: Sequence[IndicatorValue], title: str) -> str:
    """Values as a line with each year's threshold bands drawn behind them."""
    if not points:
        return '<p class="muted">–</p>'
    numbers = [p.shown for p in points if p.shown is not None]
    for p in points:
        if p.thresholds is not None:
            for band in p.thresholds.set.bands:
                numbers += [v for v in (band.lower, band.upper) if v is not None]
    low, high = _range(numbers or [0.0, 1.0])
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / len(points)

    def y(value: float) -> float:
        return TOP + plot_h * (1 - (min(max(value, low), high) - low) / (high - low))

    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    for i, point in enumerate(points):
        if point.thresholds is None:
            continue
        for band in point.thresholds.set.bands:
            top = y(band.upper if band.upper is not None else high)
            bottom = y(band.lower if band.lower is not None else low)
            parts.append(
                f'<rect class="band" data-level="{band.level.value}" x="{LEFT + i * step:.1f}" '
                f'y="{top:.1f}" width="{step:.1f}" height="{max(bottom - top, 0):.1f}" '
                f'fill="{LEVEL_COLOURS[band.level.value]}" fill-opacity="0.18"/>'
            )
    parts.append(
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" '
        'stroke="#555"/>'
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" stroke="#555"/>'
    )
    for tick in (low, (low + high) / 2, high):
        parts.append(
            f'<text x="{LEFT - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" '
            f'font-size="11">{tick:.4g}</text>'
        )
    every = max(1, math.ceil(len(points) / 12))
    coords = []
    for i, point in enumerate(points):
        cx = LEFT + (i + 0.5) * step
        if i % every == 0:
            parts.append(
                f'<text x="{cx:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" '
                f'font-size="11">{escape(str(point.period))}</text>'
            )
        if point.shown is not None:
            coords.append((cx, y(point.shown), point))
    if len(coords) > 1:
        path = " ".join(f"{cx:.1f},{cy:.1f}" for cx, cy, _ in coords)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#222" stroke-width="2"/>')
    for cx, cy, point in coords:
        parts.append(
            f'<circle class="point" data-period="{escape(str(point.period))}" '
            f'data-level="{point.level.value}" cx="{cx:.1f}" cy="{cy:.1f}" r="5" '
            f'fill="{LEVEL_COLOURS[point.level.value]}" stroke="#222">'
            f"<title>{escape(str(point.period))}: {point.shown:g}</title></circle>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _steps(
    points: Sequence[dict[str, Any]],
    bound: str,
    max_day: float,
    x: Callable[[float], float],
    y: Callable[[float], float],
) -> str:
    """One confidence bound (as a share in work or education) as step-curve points."""
    path: list[str] = []
    previous = 0.0
    for point in points:
        if point["day"] > max_day:
            break
        value = point.get(bound)
        if value is None:
            continue
        path.append(f"{x(point['day']):.1f},{y(previous):.1f}")
        previous = 1 - value
        path.append(f"{x(point['day']):.1f},{y(previous):.1f}")
    if path:
        path.append(f"{x(max_day):.1f},{y(previous):.1f}")
    return " ".join(path)


def survival_svg(curves: Sequence[dict[str, Any]], title: str) -> str:
    """Share in work or education (1 − S(t)) per cohort as step curves, each with its
    95 % confidence band as thin dashed steps."""
    if not curves:
        return '<p class="muted">–</p>'
    last_event = max((p["day"] for c in curves for p in c["points"] if p["events"]), default=0.0)
    # The axis ends a little after the last transition (at least a year): long censored
    # tails of old cohorts would otherwise squeeze every curve against the left edge.
    max_day = max(365.0, last_event * 1.15)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(day: float) -> float:
        return LEFT + plot_w * day / max_day

    def y(share: float) -> float:
        return TOP + plot_h * (1 - share)

    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>',
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" '
        'stroke="#555"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" stroke="#555"/>',
    ]
    for share in (0.0, 0.5, 1.0):
        parts.append(
            f'<text x="{LEFT - 6}" y="{y(share) + 4:.1f}" text-anchor="end" '
            f'font-size="11">{share * 100:.0f} %</text>'
        )
    for day in (0.0, max_day / 2, max_day):
        parts.append(
            f'<text x="{x(day):.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" '
            f'font-size="11">{day:.0f}</text>'
        )
    for i, curve in enumerate(curves):
        colour = CURVE_COLOURS[i % len(CURVE_COLOURS)]
        path = []
        previous = 0.0
        for point in curve["points"]:
            if point["day"] > max_day:
                break
            path.append(f"{x(point['day']):.1f},{y(previous):.1f}")
            previous = point["share_in_work_or_education"]
            path.append(f"{x(point['day']):.1f},{y(previous):.1f}")
        path.append(f"{x(max_day):.1f},{y(previous):.1f}")
        for bound, name in (("survival_upper_95", "lower"), ("survival_lower_95", "upper")):
            band = _steps(curve["points"], bound, max_day, x, y)
            if band:
                parts.append(
                    f'<polyline class="ci ci-{name}" data-cohort="{curve["cohort"]}" '
                    f'points="{band}" fill="none" stroke="{colour}" stroke-width="1" '
                    'stroke-dasharray="3 3" opacity="0.7"/>'
                )
        parts.append(
            f'<polyline class="curve" data-cohort="{curve["cohort"]}" points="{" ".join(path)}" '
            f'fill="none" stroke="{colour}" stroke-width="2"/>'
        )
        parts.append(
            f'<text x="{WIDTH - RIGHT - 4}" y="{TOP + 14 + 14 * i}" text-anchor="end" '
            f'font-size="12" fill="{colour}">{curve["cohort"]}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
