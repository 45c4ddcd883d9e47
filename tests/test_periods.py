from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from c2c_monitor.definitions.periods import Period, PeriodError, parse_period


@pytest.mark.parametrize(("text", "want"), [
    ("2024", Period(2024)), ("2024-Q3", Period(2024, 3)), ("2024Q3", Period(2024, 3)),
    ("2024-q1", Period(2024, 1)), ("2024-07", Period(2024, 3)), (" 2019 ", Period(2019)),
])
def test_accepted_spellings(text, want) -> None:
    assert parse_period(text) == want


@pytest.mark.parametrize("text", ["2024-Q5", "Q3-24", "3Q2024", "2024-13", "24", "", "1200", "2016-2017"])
def test_refused_spellings(text) -> None:
    with pytest.raises(PeriodError):
        parse_period(text)


@given(st.integers(1950, 2100), st.integers(0, 4))
def test_round_trip(year, quarter) -> None:
    p = Period(year, quarter)
    assert parse_period(str(p)) == p
    assert year <= p.decimal_year < year + 1
