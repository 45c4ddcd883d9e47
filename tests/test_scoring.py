"""Property tests for the scoring maths."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
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
