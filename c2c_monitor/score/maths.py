"""Scoring maths: normalisation to 0-100, traffic lights and trend classes."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

from c2c_monitor.definitions.rules import RULES, IndicatorRules

Light = Literal["green", "amber", "red", "none"]
Trend = Literal[
    "end value reached", "on track", "moderately improving", "stagnating", "deteriorating",
    "not enough data",
]


def normalise(value: float, worst: float, end: float) -> float:
    """0 at `worst`, 100 at `end` (either direction), clipped; polarity is in the order of the bounds."""
    if end == worst:
        raise ValueError("end value equals worst bound")
    higher = end > worst
    # Compare before dividing, so the end value scores exactly 100 whatever the rounding.
    if (value >= end) if higher else (value <= end):
        return 100.0
    if (value <= worst) if higher else (value >= worst):
        return 0.0
    return min(100.0, max(0.0, 100.0 * ((value - worst) / (end - worst))))


def light(score: float | None, rules: IndicatorRules = RULES.indicators) -> Light:
    if score is None:
        return "none"
    if score >= rules.green_from:
        return "green"
    if score >= rules.amber_from:
        return "amber"
    return "red"


def _reached(value: float, target: float, polarity: str) -> bool:
    return value >= target if polarity == "higher" else value <= target


def trend(
    points: Sequence[tuple[float, float]],
    target: float,
    polarity: str,
    rules: IndicatorRules = RULES.indicators,
    target_year: float | None = None,
) -> tuple[Trend, float | None]:
    """Classify a series of (decimal year, value) against the rate needed to reach `target`.

    Returns the class and the ratio R of observed to required growth (None when undefined).
    The caller cuts the series at a break in series before calling.
    """
    pts = sorted((t, v) for t, v in points if v is not None and math.isfinite(v))
    if pts:
        latest = pts[-1][0]
        pts = [(t, v) for t, v in pts if t >= latest - rules.trend_window_years]
    if len(pts) < rules.min_points or pts[-1][0] - pts[0][0] < rules.min_span_years:
        return "not enough data", None
    (t0, y0), (ti, yi) = pts[0], pts[-1]
    if _reached(yi, target, polarity):
        return "end value reached", None
    horizon = (target_year if target_year is not None else rules.target_year) + 0.5 - ti
    span = ti - t0
    if horizon <= 0:
        observed = (yi - y0) / span
        good = observed > 0 if polarity == "higher" else observed < 0
        return ("stagnating", None) if good else ("deteriorating", None)
    if y0 > 0 and yi > 0 and target > 0:
        observed = (yi / y0) ** (1.0 / span) - 1.0
        required = (target / yi) ** (1.0 / horizon) - 1.0
    else:
        observed = (yi - y0) / span
        required = (target - yi) / horizon
    if required == 0:
        return "end value reached", None
    ratio = observed / required
    if ratio >= rules.on_track_ratio:
        return "on track", ratio
    if ratio >= rules.moderate_ratio:
        return "moderately improving", ratio
    if ratio >= rules.stagnating_ratio:
        return "stagnating", ratio
    return "deteriorating", ratio


def principle_trend(score: float | None, previous: float | None) -> str:
    if score is None or previous is None:
        return "no previous round" if previous is None else "not enough data"
    delta = score - previous
    if delta >= RULES.principles.trend_threshold:
        return "improving"
    if delta <= -RULES.principles.trend_threshold:
        return "deteriorating"
    return "stable"
