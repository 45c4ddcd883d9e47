"""Property tests for the scoring maths."""

from __future__ import annotations

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from c2c_monitor.score.maths import light, normalise, trend

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


@given(finite, finite, finite, finite)
def test_score_is_within_bounds_and_monotone_with_polarity(worst, end, v1, v2) -> None:
    assume(abs(end - worst) > 1e-6)
    s1, s2 = normalise(v1, worst, end), normalise(v2, worst, end)
    assert 0.0 <= s1 <= 100.0
    higher_is_better = end > worst
    if v1 <= v2:
        assert (s1 <= s2 + 1e-9) if higher_is_better else (s1 + 1e-9 >= s2)


@given(finite, finite)
def test_exactly_100_at_the_end_value_and_0_at_worst(worst, end) -> None:
    assume(abs(end - worst) > 1e-6)
    assert normalise(end, worst, end) == 100.0
    assert normalise(worst, worst, end) == 0.0


@given(finite, finite, finite, st.floats(1e-3, 1e3))
def test_invariant_to_unit_scaling(worst, end, v, k) -> None:
    assume(abs(end - worst) > 1e-3)
    assert normalise(v * k, worst * k, end * k) == pytest.approx(normalise(v, worst, end), abs=1e-6)


def test_light_thresholds() -> None:
    assert [light(s) for s in (None, 0, 49.9, 50, 79.9, 80, 100)] == [
        "none", "red", "red", "amber", "amber", "green", "green"]


series = st.lists(st.tuples(st.integers(2015, 2024), st.floats(1, 100)), min_size=2, max_size=8,
                  unique_by=lambda p: p[0])


@given(series, st.floats(1, 200), st.sampled_from(["higher", "lower"]), st.integers(-10, 10))
def test_trend_class_is_stable_under_shifting_all_periods(points, target, polarity, offset) -> None:
    pts = [(y + 0.5, v) for y, v in points]
    shifted = [(t + offset, v) for t, v in pts]
    a = trend(pts, target, polarity, target_year=2030)
    b = trend(shifted, target, polarity, target_year=2030 + offset)
    assert a[0] == b[0]


def test_trend_classes_worked_by_hand() -> None:
    # 50 -> 60 over 4 years is 4.66 %/yr; 60 -> 100 by mid-2030 (6 years) needs 8.89 %/yr: R = 0.52.
    cls, ratio = trend([(2020.5, 50.0), (2024.5, 60.0)], 100.0, "higher")
    assert cls == "stagnating" and ratio == pytest.approx(0.5246, abs=1e-3)
    assert trend([(2020.5, 50.0), (2024.5, 90.0)], 100.0, "higher")[0] == "on track"
    assert trend([(2020.5, 50.0), (2024.5, 40.0)], 100.0, "higher")[0] == "deteriorating"
    assert trend([(2024.5, 40.0)], 100.0, "higher")[0] == "not enough data"
    assert trend([(2020.5, 30.0), (2024.5, 5.0)], 5.0, "lower")[0] == "end value reached"
    # Values at or below zero use linear rates: 0 -> 2 over 2 years = 1/yr; need (10 - 2) / 6 = 1.33/yr.
    cls, ratio = trend([(2022.5, 0.0), (2024.5, 2.0)], 10.0, "higher")
    assert ratio == pytest.approx(0.75) and cls == "moderately improving"


# --- trends from every point (issue 17) -------------------------------------------------------------------
line_pts = st.lists(st.integers(2010, 2024), min_size=5, max_size=9, unique=True)


@settings(max_examples=40)
@given(line_pts, st.floats(-50, 50), st.floats(-5, 5), st.floats(-1e3, 1e3))
def test_robust_slope_ignores_a_constant_added(years, a, b, c) -> None:
    from c2c_monitor.score.maths import robust_slope

    pts = [(y + 0.5, a + b * y + ((y * 7919) % 13)) for y in years]  # a line with some wobble
    shifted = [(t, v + c) for t, v in pts]
    assert robust_slope(shifted) == pytest.approx(robust_slope(pts), abs=1e-6)


@settings(max_examples=40)
@given(st.lists(st.floats(-1e3, 1e3), min_size=2, max_size=9, unique=True))
def test_robust_slope_has_the_sign_of_a_monotone_series(values) -> None:
    from c2c_monitor.score.maths import robust_slope

    up = [(2015.5 + i, v) for i, v in enumerate(sorted(values))]
    down = [(2015.5 + i, v) for i, v in enumerate(sorted(values, reverse=True))]
    assert robust_slope(up) > 0 and robust_slope(down) < 0


@settings(max_examples=40)
@given(line_pts, st.floats(-50, 50), st.floats(-5, 5), st.data())
def test_robust_slope_shrugs_off_one_outlier(years, a, b, data) -> None:
    from c2c_monitor.score.maths import robust_slope

    pts = [(y + 0.5, a + b * y) for y in years]
    i = data.draw(st.integers(0, len(pts) - 1))
    pts[i] = (pts[i][0], data.draw(st.floats(-1e6, 1e6)))
    # Five points or more: at least six of the pairwise slopes are the line's, and they hold the median.
    assert robust_slope(pts) == pytest.approx(b, abs=1e-6)


def test_a_late_dip_no_longer_decides_an_annual_trend() -> None:
    # Steady growth 50 -> 70, then one bad last-but-one year: first-and-last said the same as before,
    # but a dip in the middle must not turn an improving series into a deteriorating one.
    rising = [(2018.5, 50.0), (2019.5, 55.0), (2020.5, 60.0), (2021.5, 30.0), (2022.5, 70.0)]
    assert trend(rising, 100.0, "higher", target_year=2030)[0] in ("on track", "moderately improving")
    # The first point alone was low: first-and-last would call this growth, every point says flat.
    flat = [(2018.5, 20.0), (2019.5, 60.0), (2020.5, 60.0), (2021.5, 60.0), (2022.5, 60.0)]
    assert trend(flat, 100.0, "higher", target_year=2030)[0] == "stagnating"


def test_quarterly_trends_compare_each_quarter_with_the_same_quarter_a_year_before() -> None:
    # Growing 10 % a year, with every third quarter a seasonal dip of half.
    pts = []
    for year in (2021, 2022, 2023):
        for q in (1, 2, 3, 4):
            base = 50.0 * 1.1 ** (year - 2021)
            pts.append((year + (q - 0.5) / 4, base * (0.5 if q == 3 else 1.0)))
    cut = [p for p in pts if p[0] < 2023.7]  # ends on the dip: first-and-last would see a fall
    cls, ratio = trend(cut, 55.0, "higher", target_year=2030)
    assert cls == "on track" and ratio is not None and ratio > 1
    # Only two quarters: no same-quarter pair a year apart, so no rate to speak of.
    assert trend([(2023.125, 50.0), (2023.625, 55.0)], 60.0, "higher")[0] == "not enough data"


# --- the set-based `trends` (a cohort's series at once, polars) against the per-series reference `trend` ------

# Times as periods give them: annual mid-year, and quarters; a few years so that series overlap and tie.
_times = st.builds(lambda y, f: y + f, st.integers(2016, 2026), st.sampled_from([0.5, 0.5, 0.125, 0.375, 0.625, 0.875]))
# Values: nulls, zeros and negatives (linear rates), ties (a few repeated values), and wide floats.
_values = st.one_of(st.none(), st.sampled_from([0.0, 1.0, 2.5, -3.0, 100.0]),
                    st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False), st.floats(1e-3, 1e6))
_series = st.tuples(st.lists(st.tuples(_times, _values), max_size=9),
                    st.one_of(st.sampled_from([0.0, 1.0, 50.0, 100.0]), st.floats(-1e3, 1e4)),
                    st.sampled_from(["higher", "lower"]))


@settings(max_examples=300, deadline=None)
@given(st.lists(_series, min_size=1, max_size=12))
# A growth past the float range (a subnormal first value): `math.exp` raised OverflowError where polars gives inf.
@example([([(2023.5, 2.225073858507203e-309), (2024.5, 2.0)], 1.0, "lower")])
@example([([(2023.5, 1e-308), (2024.5, 50.0)], 60.0, "higher")])
def test_set_based_trends_equal_the_reference_per_series(cohort) -> None:
    import polars as pl

    from c2c_monitor.score.maths import trends

    rows = [(str(i), None if i % 3 == 0 else "c", t, v, target, polarity == "higher")
            for i, (pts, target, polarity) in enumerate(cohort) for t, v in pts]
    frame = pl.DataFrame(rows, schema={"s": pl.String, "city": pl.String, "t": pl.Float64, "v": pl.Float64,
                                       "target": pl.Float64, "higher": pl.Boolean}, orient="row")
    got = {(s, c): (tr, r) for s, c, tr, r in trends(frame, ["s", "city"]).iter_rows()}
    for i, (pts, target, polarity) in enumerate(cohort):
        expected = trend(pts, target, polarity)
        # A series with no usable value has no row: its trend is "not enough data".
        assert got.get((str(i), None if i % 3 == 0 else "c"), ("not enough data", None)) == expected, (pts, target)


def test_a_growth_past_the_float_range_is_on_track_with_no_ratio_shown(demo_copy) -> None:
    """A value of 1e-308 (inside a percentage's plausible range, so ingest takes it) followed a year later by 50
    grows by e^713 a year: `c2c assess` stopped with an OverflowError in the trend's reference maths. It is on
    track, and its ratio, infinite, is not shown (JSON has no infinity)."""
    import json

    from c2c_monitor.store.workspace import open_workspace
    from tests.conftest import run_c2c

    with open_workspace(demo_copy) as ws:
        vid = ws.con.execute("SELECT max(vintage_id) FROM observations").fetchall()[0][0]
        ws.con.execute("DELETE FROM observations WHERE city_id = 'bilbao' AND code = 'safely_managed_water'")
        ws.con.execute("INSERT INTO observations (code, city_id, period, year, quarter, disagg, value, unit, "
                       "obs_status, action, vintage_id) VALUES ('safely_managed_water', 'bilbao', '2023', 2023, 0, "
                       "'', 1e-308, NULL, 'A', 'A', ?), ('safely_managed_water', 'bilbao', '2024', 2024, 0, '', "
                       "50, NULL, 'A', 'A', ?)", [vid, vid])
        # In the scoreboard itself (pages and open data print it), not only in its JSON, which writes inf as null.
        from c2c_monitor.definitions.principles import load_framework
        from c2c_monitor.score.assess import build_scoreboards, workspace_catalogue

        sb, = build_scoreboards(ws, ["bilbao-medellin"], "long", catalogue=workspace_catalogue(ws),
                                framework=load_framework())
        got = next(r for r in sb.indicators if r.id == "safely_managed_water" and r.city_id == "bilbao")
        assert (got.trend, got.trend_ratio) == ("on track", None)
    out = run_c2c("assess", "bilbao-medellin", "--format", "json", env={"C2C_WORKSPACE": str(demo_copy)})
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout, parse_constant=lambda c: pytest.fail(f"{c} in the JSON"))
    row = next(r for r in doc["indicators"] if r["id"] == "safely_managed_water" and r["city_id"] == "bilbao")
    assert (row["value"], row["trend"], row["trend_ratio"]) == (50.0, "on track", None)
