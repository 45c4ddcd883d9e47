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


# --- one grammar: the scalar parser (CLI options, scoring) and the vectorised one (ingest) agree --------
def _vectorised(texts: list[str]) -> list[tuple[int, int, bool] | None]:
    import polars as pl

    from c2c_monitor.definitions.periods import polars_parts

    year, quarter, spanned = polars_parts(pl.col("p"))
    df = pl.DataFrame({"p": texts}, schema={"p": pl.String}).with_columns(
        year.alias("y"), quarter.alias("q"), spanned.alias("s"))
    return [None if r["y"] is None else (r["y"], r["q"], bool(r["s"])) for r in df.iter_rows(named=True)]


def _scalar(text: str) -> tuple[int, int, bool] | None:
    from c2c_monitor.definitions.periods import read_period

    found = read_period(text)
    return None if found is None else (found[0].year, found[0].quarter, found[1])


@pytest.mark.parametrize(("text", "want"), [
    ("2024-A1", (2024, 0, False)), ("2024A", (2024, 0, False)), ("2024_Q2", (2024, 2, False)),
    ("2024 q4", (2024, 4, False)), ("2016-2017", (2017, 0, True)), ("01/07/2016 - 30/06/2017", (2017, 0, True)),
    ("2016-2018", None), ("2024-13", None), ("2024-Q5", None), ("Q3-2024", None),
])
def test_both_parsers_read_the_same_spellings(text, want) -> None:
    assert _scalar(text) == want
    assert _vectorised([text]) == [want]


def test_sdmx_annual_period_is_accepted_where_a_period_is_given() -> None:
    # `2024-A1` is legal SDMX for a year: the CLI's --period and ingest both take it.
    assert parse_period("2024-A1") == Period(2024)


def test_a_span_is_refused_as_an_option_but_read_by_ingest() -> None:
    with pytest.raises(PeriodError, match="spans two years"):
        parse_period("2016-2017")


_PIECES = st.sampled_from(["2024", "1999", "-", "_", " ", "Q", "q", "A", "A1", "1", "4", "5", "07", "13", "/",
                           "2025", "01/07/", " - ", "30/06/", "-Q"])


@given(st.lists(_PIECES, min_size=1, max_size=5).map("".join))
def test_scalar_and_vectorised_parsers_agree_on_any_text(text: str) -> None:
    assert _vectorised([text]) == [_scalar(text)]
