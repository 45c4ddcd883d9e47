"""Scoring maths: normalisation to 0-100, traffic lights and trend classes."""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Sequence
from typing import Literal

import polars as pl

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


def robust_slope(points: Sequence[tuple[float, float]]) -> float | None:
    """Theil–Sen slope: the median of the slopes between every two points at different times.

    Uses every point, and one wild value moves it little (unlike a line through the first and last point).
    """
    slopes = sorted((v2 - v1) / (t2 - t1) for (t1, v1), (t2, v2) in itertools.combinations(points, 2) if t2 != t1)
    return statistics.median(slopes) if slopes else None


def year_on_year(points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """Pairs (earlier, later) of values one year apart (same quarter), for sub-annual series."""
    by_time = {round(t, 3): v for t, v in points}
    return [(by_time[round(t - 1.0, 3)], v) for t, v in points if round(t - 1.0, 3) in by_time]


def _is_sub_annual(points: Sequence[tuple[float, float]]) -> bool:
    # Annual periods sit mid-year (decimal .5); a quarter anywhere else.
    return any(abs((t % 1.0) - 0.5) > 1e-9 for t, _ in points)


def observed_rate(points: Sequence[tuple[float, float]], relative: bool) -> float | None:
    """Yearly rate of change over all points: growth rate when `relative` (every value positive), else units
    per year. Annual series: Theil–Sen slope (of the logarithm for a growth rate); sub-annual series: the
    median year-on-year change, so that a seasonal dip does not decide."""
    if _is_sub_annual(points):
        pairs = year_on_year(points)
        if not pairs:
            return None
        if relative:
            return _growth(statistics.median(math.log(b / a) for a, b in pairs))
        return statistics.median(b - a for a, b in pairs)
    if relative:
        slope = robust_slope([(t, math.log(v)) for t, v in points])
        return None if slope is None else _growth(slope)
    return robust_slope(points)


def _growth(log_rate: float) -> float:
    """exp(log_rate) - 1, infinite past the float range as polars' `exp` gives it (`trends`): a value of 1e-308
    followed a year later by 50 is a growth of e^713, which `math.exp` refuses with an OverflowError."""
    return math.exp(log_rate) - 1.0 if log_rate < 709.0 else math.inf


def trend(
    points: Sequence[tuple[float, float]],
    target: float,
    polarity: str,
    rules: IndicatorRules = RULES.indicators,
    target_year: float | None = None,
) -> tuple[Trend, float | None]:
    """Classify a series of (decimal year, value) against the rate needed to reach `target`.

    Returns the class and the ratio R of observed to required growth (None when undefined). The observed
    rate uses every point of the window (`observed_rate`); the required one starts from the latest value.
    The caller cuts the series at a break in series before calling.
    """
    pts = sorted((t, v) for t, v in points if v is not None and math.isfinite(v))
    if pts:
        start = pts[-1][0] - rules.trend_window_years  # once, not per point: a cohort runs this 30-odd times each
        pts = [(t, v) for t, v in pts if t >= start]
    if len(pts) < rules.min_points or pts[-1][0] - pts[0][0] < rules.min_span_years:
        return "not enough data", None
    ti, yi = pts[-1]
    if _reached(yi, target, polarity):
        return "end value reached", None
    relative = all(v > 0 for _, v in pts) and target > 0
    observed = observed_rate(pts, relative)
    if observed is None:
        return "not enough data", None
    horizon = (target_year if target_year is not None else rules.target_year) + 0.5 - ti
    if horizon <= 0:
        good = observed > 0 if polarity == "higher" else observed < 0
        return ("stagnating", None) if good else ("deteriorating", None)
    required = (target / yi) ** (1.0 / horizon) - 1.0 if relative else (target - yi) / horizon
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


def trends(points: pl.DataFrame, keys: Sequence[str], rules: IndicatorRules = RULES.indicators) -> pl.DataFrame:
    """`trend` of many series at once, as polars expressions: what a cohort's scoring runs 30-odd times per
    partnership.

    `points`: one row per point, columns `keys` (the series), `t` (decimal year), `v` (value, null allowed),
    `target` and `higher` (the polarity is "higher"; both constant within a series). Returns `keys`, `trend` and
    `ratio` for each series with at least one row. Same definition and the same float operations as `trend`
    (the reference, held equal by a property test): medians as `statistics.median` takes them, period keys
    rounded by Python's `round`.
    """
    k = list(keys)
    ts = points.filter(pl.col("v").is_finite())["t"].unique().to_list()
    if not ts:
        # No series with a value (replace_strict refuses an empty mapping).
        return points.select(*k).clear().with_columns(trend=pl.lit(None, pl.String), ratio=pl.lit(None, pl.Float64))
    # Each distinct time's year-on-year keys and sub-annual flag, computed as `year_on_year` and `_is_sub_annual`
    # do (Python's round, not polars'), once per distinct time: a cohort's series share a few periods.
    pts = points.filter(pl.col("v").is_finite()).with_columns(
        pl.col("t").replace_strict({t: round(t, 3) for t in ts}, return_dtype=pl.Float64).alias("_k"),
        pl.col("t").replace_strict({t: round(t - 1.0, 3) for t in ts}, return_dtype=pl.Float64).alias("_kprev"),
        pl.col("t").replace_strict({t: abs((t % 1.0) - 0.5) > 1e-9 for t in ts}, return_dtype=pl.Boolean)
        .alias("_sub"),
    ).sort([*k, "t", "v"])
    pts = pts.filter(pl.col("t") >= pl.col("t").max().over(k) - rules.trend_window_years)
    series = pts.group_by(k, maintain_order=True).agg(
        n=pl.len(), t0=pl.col("t").first(), ti=pl.col("t").last(), yi=pl.col("v").last(),
        target=pl.col("target").first(), higher=pl.col("higher").first(),
        relative=(pl.col("v") > 0).all() & (pl.col("target").first() > 0), sub=pl.col("_sub").any())
    pts = pts.join(series.select(*k, "relative", "sub"), on=k, nulls_equal=True)
    # The observed rate's values: slopes between every two points at different times (annual series, of the
    # logarithm for a growth rate), or changes over a year (sub-annual series, same quarter a year earlier).
    annual = pts.filter(~pl.col("sub")).with_columns(
        pl.when(pl.col("relative")).then(pl.col("v").log()).otherwise(pl.col("v")).alias("_y"))
    slopes = annual.join(annual.select(*k, "t", "_y"), on=k, nulls_equal=True).filter(
        pl.col("t_right") > pl.col("t")).select(
        *k, x=(pl.col("_y_right") - pl.col("_y")) / (pl.col("t_right") - pl.col("t")))
    quarterly = pts.filter(pl.col("sub"))
    earlier = quarterly.group_by([*k, "_k"], maintain_order=True).agg(a=pl.col("v").last())
    changes = quarterly.join(earlier, left_on=[*k, "_kprev"], right_on=[*k, "_k"], nulls_equal=True).select(
        *k, x=pl.when(pl.col("relative")).then((pl.col("v") / pl.col("a")).log())
        .otherwise(pl.col("v") - pl.col("a")))
    # The median as statistics.median: the middle value, or the mean of the two middle ones. One sort of every
    # series' values, then each series' middle ones taken by position (a sort per group costs several times more).
    values = pl.concat([slopes, changes]).sort([*k, "x"]).with_row_index("_j")
    x = values["x"]
    medians = values.group_by(k).agg(_n=pl.len(), _j=pl.col("_j").min()).with_columns(
        _lo=pl.lit(x).gather(pl.col("_j") + (pl.col("_n") - 1) // 2),
        _hi=pl.lit(x).gather(pl.col("_j") + pl.col("_n") // 2))
    series = series.join(medians, on=k, how="left", nulls_equal=True, maintain_order="left")
    median = pl.when(pl.col("_n") % 2 == 1).then(pl.col("_lo")).otherwise((pl.col("_lo") + pl.col("_hi")) / 2)
    observed = pl.when(pl.col("relative")).then(median.exp() - 1.0).otherwise(median)
    horizon = rules.target_year + 0.5 - pl.col("ti")
    required = pl.when(pl.col("relative")).then(
        (pl.col("target") / pl.col("yi")).pow(1.0 / horizon) - 1.0).otherwise(
        (pl.col("target") - pl.col("yi")) / horizon)
    reached = pl.when(pl.col("higher")).then(pl.col("yi") >= pl.col("target")).otherwise(
        pl.col("yi") <= pl.col("target"))
    good = pl.when(pl.col("higher")).then(pl.col("_obs") > 0).otherwise(pl.col("_obs") < 0)
    ratio = pl.col("_obs") / pl.col("_req")
    series = series.with_columns(_obs=observed, _req=required, _late=horizon <= 0)
    trend_: pl.Expr = (
        pl.when((pl.col("n") < rules.min_points) | (pl.col("ti") - pl.col("t0") < rules.min_span_years))
        .then(pl.lit("not enough data"))
        .when(reached).then(pl.lit("end value reached"))
        .when(pl.col("_obs").is_null()).then(pl.lit("not enough data"))
        .when(pl.col("_late")).then(pl.when(good).then(pl.lit("stagnating")).otherwise(pl.lit("deteriorating")))
        .when(pl.col("_req") == 0).then(pl.lit("end value reached"))
        .when(ratio >= rules.on_track_ratio).then(pl.lit("on track"))
        .when(ratio >= rules.moderate_ratio).then(pl.lit("moderately improving"))
        .when(ratio >= rules.stagnating_ratio).then(pl.lit("stagnating"))
        .otherwise(pl.lit("deteriorating")))
    return series.select(
        *k, trend=trend_,
        ratio=pl.when(trend_.is_in(["on track", "moderately improving", "stagnating", "deteriorating"])
                      & ~pl.col("_late") & pl.col("_obs").is_not_null()).then(ratio))


def principle_trend(score: float | None, previous: float | None) -> str:
    if score is None or previous is None:
        return "no previous round" if previous is None else "not enough data"
    delta = score - previous
    if delta >= RULES.principles.trend_threshold:
        return "improving"
    if delta <= -RULES.principles.trend_threshold:
        return "deteriorating"
    return "stable"
