"""Periods as in SDMX TIME_PERIOD: annual `2024` (or `2024-A1`) and quarterly `2024-Q3`. One grammar.

Internally a period is (year, quarter) with quarter 0 for a year. The spellings accepted are the
regular expressions in `GRAMMAR`, used by both parsers here: `parse_period` for one value (CLI options,
scoring) and `polars_parts` for a column of millions (ingest), so the two cannot disagree. Months map to
their quarter. Two-year spans (`2016-2017`, a school or fiscal year on Open SDG platforms) are read as
the later year by ingest, which says so; a command option refuses them. Anything ambiguous is refused
rather than guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # polars is imported only by the vectorised parser, not at CLI start-up
    import polars as pl

MIN_YEAR, MAX_YEAR = 1950, 2100

# name -> pattern; group 1 is always the year.
GRAMMAR: dict[str, str] = {
    "annual": r"^(\d{4})(?:-A1|A)?$",                  # 2024, 2024-A1 (SDMX), 2024A
    "quarter": r"^(\d{4})[-_ ]?[Qq]([1-4])$",         # 2024-Q3, 2024Q3, 2024_Q3, 2024 q3
    "month": r"^(\d{4})-(\d{2})$",                    # 2024-07 -> 2024-Q3
    "span": r"^(\d{4})[-/](\d{4})$",                  # 2016-2017 -> 2017, when the years follow each other
    "date_span": r"^\d{1,2}/\d{1,2}/(\d{4})\s*-\s*\d{1,2}/\d{1,2}/(\d{4})$",  # 01/07/2016 - 30/06/2017 -> 2017
}
_RE = {name: re.compile(p) for name, p in GRAMMAR.items()}


class PeriodError(ValueError):
    pass


@dataclass(frozen=True, order=True)
class Period:
    year: int
    quarter: int = 0  # 0 = the whole year

    @property
    def is_annual(self) -> bool:
        return self.quarter == 0

    def __str__(self) -> str:
        return str(self.year) if self.is_annual else f"{self.year}-Q{self.quarter}"

    @property
    def decimal_year(self) -> float:
        """Mid-point of the period in fractional years, for growth rates."""
        if self.is_annual:
            return self.year + 0.5
        return self.year + (self.quarter - 0.5) / 4

    @property
    def sort_key(self) -> int:
        return self.year * 10 + self.quarter


def _match(s: str) -> tuple[Period, bool] | None:
    """The period a text names and whether it was a span, by the grammar; None if it names none."""
    if m := _RE["annual"].match(s):
        return Period(int(m.group(1))), False
    if m := _RE["quarter"].match(s):
        return Period(int(m.group(1)), int(m.group(2))), False
    if (m := _RE["month"].match(s)) and 1 <= int(m.group(2)) <= 12:
        return Period(int(m.group(1)), (int(m.group(2)) - 1) // 3 + 1), False
    if (m := _RE["span"].match(s)) and int(m.group(2)) == int(m.group(1)) + 1:
        return Period(int(m.group(2))), True
    if m := _RE["date_span"].match(s):
        return Period(int(m.group(2))), True
    return None


def read_period(text: str) -> tuple[Period, bool] | None:
    """Like `parse_period`, for ingest: spans allowed (flagged), no year range check, None when unreadable."""
    return _match(str(text).strip())


def parse_period(text: str, allow_month: bool = True) -> Period:
    """Parse one period for an option or a score; months map to their quarter; anything else is an error."""
    s = str(text).strip()
    found = read_period(s)
    if found is not None:
        period, spanned = found
        if spanned:
            raise PeriodError(f"{s!r} spans two years; give one year (YYYY) or a quarter (YYYY-Qn)")
        if not allow_month and _RE["month"].match(s):
            raise PeriodError(f"{s!r} is a month; give a year (YYYY) or a quarter (YYYY-Qn)")
        if not MIN_YEAR <= period.year <= MAX_YEAR:
            raise PeriodError(f"{s!r}: year outside {MIN_YEAR}-{MAX_YEAR}")
        return period
    if m := _RE["month"].match(s):
        raise PeriodError(f"{s!r}: month {int(m.group(2))} does not exist")
    if re.match(r"^\d{4}-?Q\d+$", s, re.IGNORECASE):
        raise PeriodError(f"{s!r}: a year has quarters 1 to 4")
    if re.match(r"^\d{1,3}[-/ ]?Q[1-4]$|^Q[1-4][-/ ]?\d{2,4}$", s, re.IGNORECASE):
        raise PeriodError(f"{s!r}: ambiguous quarter; write it as YYYY-Qn")
    raise PeriodError(f"{s!r} is not a period (expected YYYY or YYYY-Qn)")


def polars_parts(period: pl.Expr) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """(year, quarter, spanned) of a string column by the same grammar, vectorised; year null if unreadable.

    The branches are tried in the order `_match` tries them, so both parsers agree on every text
    (a property test holds them to it).
    """
    import polars as pl

    p = period.str.strip_chars()
    annual = p.str.extract(GRAMMAR["annual"], 1)
    q = p.str.extract_groups(GRAMMAR["quarter"])
    month = p.str.extract_groups(GRAMMAR["month"])
    rng = p.str.extract_groups(GRAMMAR["span"])
    drange = p.str.extract_groups(GRAMMAR["date_span"])
    m = month.struct.field("2").cast(pl.Int32, strict=False)
    r1 = rng.struct.field("1").cast(pl.Int32, strict=False)
    r2 = rng.struct.field("2").cast(pl.Int32, strict=False)
    is_q = q.struct.field("1").is_not_null()
    is_month = month.struct.field("1").is_not_null() & m.is_between(1, 12)
    is_span = r1.is_not_null() & (r2 == r1 + 1)
    is_drange = drange.struct.field("2").is_not_null()
    year = (
        pl.when(annual.is_not_null()).then(annual.cast(pl.Int32))
        .when(is_q).then(q.struct.field("1").cast(pl.Int32))
        .when(is_month).then(month.struct.field("1").cast(pl.Int32))
        .when(is_span).then(r2)
        .when(is_drange).then(drange.struct.field("2").cast(pl.Int32))
        .otherwise(None)
    )
    quarter = (
        pl.when(annual.is_not_null()).then(pl.lit(0, pl.Int32))
        .when(is_q).then(q.struct.field("2").cast(pl.Int32))
        .when(is_month).then(((m - 1) // 3 + 1).cast(pl.Int32))
        .otherwise(pl.lit(0, pl.Int32))
    )
    spanned = annual.is_null() & ~is_q & ~is_month & (is_span | is_drange)
    return year, quarter, spanned

