"""Periods as in SDMX TIME_PERIOD: annual `2024` and quarterly `2024-Q3`.

Internally a period is (year, quarter) with quarter 0 for a year. Other
spellings of quarters used by statistical systems are accepted; anything
ambiguous is refused rather than guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MIN_YEAR, MAX_YEAR = 1950, 2100


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


_ANNUAL = re.compile(r"^(\d{4})(?:-A1|A)?$")
_QUARTER = re.compile(r"^(\d{4})[-_ ]?Q([1-4])$", re.IGNORECASE)
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def parse_period(text: str, allow_month: bool = True) -> Period:
    """Parse a period; months map to their quarter; anything else is an error."""
    s = str(text).strip()
    if m := _ANNUAL.match(s):
        return _check(Period(int(m.group(1))), s)
    if m := _QUARTER.match(s):
        return _check(Period(int(m.group(1)), int(m.group(2))), s)
    if allow_month and (m := _MONTH.match(s)):
        month = int(m.group(2))
        if not 1 <= month <= 12:
            raise PeriodError(f"{s!r}: month {month} does not exist")
        return _check(Period(int(m.group(1)), (month - 1) // 3 + 1), s)
    if re.match(r"^\d{4}-?Q\d+$", s, re.IGNORECASE):
        raise PeriodError(f"{s!r}: a year has quarters 1 to 4")
    if re.match(r"^\d{1,3}[-/ ]?Q[1-4]$|^Q[1-4][-/ ]?\d{2,4}$", s, re.IGNORECASE):
        raise PeriodError(f"{s!r}: ambiguous quarter; write it as YYYY-Qn")
    raise PeriodError(f"{s!r} is not a period (expected YYYY or YYYY-Qn)")


def _check(p: Period, s: str) -> Period:
    if not MIN_YEAR <= p.year <= MAX_YEAR:
        raise PeriodError(f"{s!r}: year outside {MIN_YEAR}-{MAX_YEAR}")
    return p


def quarter_of_date(iso: str) -> Period:
    m = _DATE.match(iso)
    if not m:
        raise PeriodError(f"{iso!r} is not an ISO date (YYYY-MM-DD)")
    return Period(int(m.group(1)), (int(m.group(2)) - 1) // 3 + 1)
