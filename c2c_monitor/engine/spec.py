"""What both backends share: the normalised form of a computation and the output schema.

Both backends implement the same semantics, which tests hold them to:

* A group is a (partnership, period) in which the dataset has at least one row,
  whatever the filters; periods with no rows at all are missing ("no data").
* count / sum over the rows that match the filters (0 when none match);
  share = 100 x numerator / denominator; ratio = numerator / denominator x scale;
  per_capita = aggregate / population x per; growth = % change on the
  immediately preceding period; in_place = 1 once a matching row exists on or
  before the period, evaluated over the periods of the dataset and of the
  partnership's activities (what is in place stays in place).
* A zero or missing denominator gives a missing value with a reason, never inf/NaN.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from c2c_monitor.definitions.catalog import (
    Count,
    Filter,
    Growth,
    Indicator,
    InPlace,
    PerCapita,
    Ratio,
    Share,
    Sum,
)
from c2c_monitor.definitions.records import DATASETS

Grain = Literal["quarter", "year"]

OUTPUT_COLUMNS = ("partnership_id", "period", "value", "reason", "coverage", "vintage_id")

REASON_NO_DATA = "missing: no data"
REASON_ZERO_DEN = "missing: zero denominator"
REASON_NO_POP = "missing: no population figure"
REASON_NO_PREV = "missing: no previous period"
REASON_ZERO_BASE = "missing: zero base in previous period"
REASON_NOT_FINITE = "missing: result is not a finite number"


@dataclass(frozen=True)
class Agg:
    """One conditional aggregate over one dataset: count rows, or sum a measure."""

    dataset: str
    measure: str | None
    filters: tuple[Filter, ...]


@dataclass(frozen=True)
class Plan:
    kind: str  # count, sum, share, ratio, per_capita, growth, in_place
    aggs: tuple[Agg, ...]  # share: (numerator, denominator); ratio: (num, den)
    scale: float = 1.0


def grain_for(ind: Indicator) -> Grain:
    """The period grain an indicator is evaluated at."""
    return "quarter" if ind.periodicity == "quarterly" else "year"


def plan_for(ind: Indicator) -> Plan:
    comp = ind.computation
    if isinstance(comp, Count):
        return Plan("count", (Agg(comp.dataset, None, tuple(comp.filters)),))
    if isinstance(comp, Sum):
        return Plan("sum", (Agg(comp.dataset, comp.measure, tuple(comp.filters)),))
    if isinstance(comp, Share):
        den = Agg(comp.dataset, comp.measure, tuple(comp.filters))
        num = Agg(comp.dataset, comp.measure, tuple(comp.filters) + tuple(comp.numerator))
        return Plan("share", (num, den), 100.0)
    if isinstance(comp, Ratio):
        n, d = comp.numerator, comp.denominator
        return Plan(
            "ratio",
            (Agg(n.dataset, n.measure, tuple(n.filters)), Agg(d.dataset, d.measure, tuple(d.filters))),
            comp.scale,
        )
    if isinstance(comp, PerCapita):
        return Plan("per_capita", (Agg(comp.dataset, comp.measure, tuple(comp.filters)),), comp.per)
    if isinstance(comp, Growth):
        return Plan("growth", (Agg(comp.dataset, comp.measure, tuple(comp.filters)),), 100.0)
    if isinstance(comp, InPlace):
        # Something in place stays in place: the periods are those of the partnership's activity
        # calendar as well as the dataset's own, so a tool launched in 2023 is still "yes" in 2024.
        return Plan("in_place", (Agg(comp.dataset, None, tuple(comp.filters)), Agg("activities", None, ())))
    raise TypeError(f"{ind.id}: not a computed indicator")


def quote_ident(name: str) -> str:
    """Quote a relation or column name that code (never input) chose; refuse anything unusual."""
    if not name or not name.replace("_", "").isalnum():
        raise ValueError(f"unsafe identifier {name!r}")
    return '"' + name + '"'


def checked_column(dataset: str, column: str) -> str:
    """Return a column name only if the records schema declares it (identifiers never come raw)."""
    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}")
    if DATASETS[dataset].column(column) is None:
        raise ValueError(f"dataset {dataset!r} has no column {column!r}")
    return column
