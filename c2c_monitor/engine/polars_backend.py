"""Polars backend: a plan becomes a lazy query over record frames."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from c2c_monitor.definitions.catalog import Filter
from c2c_monitor.definitions.records import DATASETS
from c2c_monitor.engine.spec import (
    REASON_NO_POP,
    REASON_NO_PREV,
    REASON_NOT_FINITE,
    REASON_ZERO_BASE,
    REASON_ZERO_DEN,
    Agg,
    Grain,
    Plan,
    checked_column,
)


def _filter_expr(dataset: str, flt: Filter) -> pl.Expr:
    col = pl.col(checked_column(dataset, flt.column))
    v = flt.value
    match flt.op:
        case "eq":
            return col == v
        case "ne":
            return col != v
        case "in" | "not_in":
            if not isinstance(v, list):  # the Filter model guarantees a list for these
                raise ValueError(f"op {flt.op!r} needs a list value")
            member = col.is_in(list(v))
            return member if flt.op == "in" else ~member
        case "gt":
            return col > v
        case "ge":
            return col >= v
        case "lt":
            return col < v
        case "le":
            return col <= v
        case "is_null":
            return col.is_null()
        case "not_null":
            return col.is_not_null()
    raise ValueError(flt.op)


def _cond(agg: Agg) -> pl.Expr:
    # A column-based "true" (not pl.lit) so that it has one value per row inside group_by.
    expr = pl.col("partnership_id").is_not_null()
    for flt in agg.filters:
        expr = expr & _filter_expr(agg.dataset, flt)
    return expr.fill_null(False)


def _agg_expr(agg: Agg, name: str) -> pl.Expr:
    cond = _cond(agg)
    if agg.measure is None:
        return cond.cast(pl.Int64).sum().cast(pl.Float64).alias(name)
    measure = checked_column(agg.dataset, agg.measure)
    m = pl.when(cond).then(pl.col(measure).cast(pl.Float64)).otherwise(None)
    if DATASETS[agg.dataset].column(measure).type == "float":  # type: ignore[union-attr]
        # Floats added in another order can differ in the last bit, and polars' sum of a group also depends on
        # where its rows sit: a group's values are put in the order of the records' keys (then the values), as
        # the DuckDB backend adds them, and summed as that list. (A sort followed by `sum` is dropped by the
        # query optimiser, a sum being indifferent to order in exact arithmetic.)
        key = checked_column(agg.dataset, DATASETS[agg.dataset].key)
        return m.sort_by(key, measure).implode().list.sum().fill_null(0.0).alias(name)
    return m.sum().fill_null(0.0).alias(name)


def _with_period(lf: pl.LazyFrame, grain: Grain) -> pl.LazyFrame:
    year = pl.col("date").dt.year().cast(pl.Int32)
    quarter = pl.col("date").dt.quarter().cast(pl.Int32)
    if grain == "year":
        return lf.with_columns(_year=year, _quarter=pl.lit(0, pl.Int32), _q=quarter)
    return lf.with_columns(_year=year, _quarter=quarter, _q=quarter)


def _grouped(frames: Mapping[str, pl.DataFrame], aggs: list[tuple[Agg, str]], grain: Grain) -> pl.LazyFrame:
    by_dataset: dict[str, list[tuple[Agg, str]]] = {}
    for agg, name in aggs:
        by_dataset.setdefault(agg.dataset, []).append((agg, name))
    parts = []
    for dataset, items in by_dataset.items():
        lf = _with_period(frames[dataset].lazy(), grain)
        parts.append(
            lf.group_by("partnership_id", "_year", "_quarter").agg(
                *[_agg_expr(a, n) for a, n in items],
                pl.col("_q").n_unique().alias(f"_nq_{dataset}"),
                pl.col("vintage_id").max().alias(f"_v_{dataset}"),
            )
        )
    out = parts[0]
    keys = ["partnership_id", "_year", "_quarter"]
    for part in parts[1:]:
        out = out.join(part, on=keys, how="full", coalesce=True)
    names = [n for _, n in aggs]
    datasets = list(by_dataset)
    return out.with_columns(
        [pl.col(n).fill_null(0.0) for n in names]
        + [
            pl.max_horizontal([pl.col(f"_nq_{d}") for d in datasets]).alias("_nq"),
            pl.max_horizontal([pl.col(f"_v_{d}") for d in datasets]).alias("vintage_id"),
        ]
    )


def _safe_div(num: pl.Expr, den: pl.Expr, scale: float) -> pl.Expr:
    return pl.when(den != 0).then(num / den * scale).otherwise(None)


def evaluate_plan(
    plan: Plan,
    frames: Mapping[str, pl.DataFrame],
    grain: Grain,
    populations: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Evaluate one plan; returns the columns of spec.OUTPUT_COLUMNS."""
    return build_lazy(plan, frames, grain, populations).collect()


def build_lazy(
    plan: Plan,
    frames: Mapping[str, pl.DataFrame],
    grain: Grain,
    populations: pl.DataFrame | None = None,
) -> pl.LazyFrame:
    names = [f"a{i}" for i in range(len(plan.aggs))]
    lf = _grouped(frames, list(zip(plan.aggs, names, strict=True)), grain)
    a0 = pl.col("a0")
    reason: pl.Expr = pl.lit(None, pl.String)
    if plan.kind in ("count", "sum"):
        value = a0
    elif plan.kind in ("share", "ratio"):
        a1 = pl.col("a1")
        value = _safe_div(a0, a1, plan.scale)
        reason = pl.when(a1 == 0).then(pl.lit(REASON_ZERO_DEN)).otherwise(None)
    elif plan.kind == "per_capita":
        pops = populations if populations is not None else pl.DataFrame(
            schema={"partnership_id": pl.String, "population": pl.Float64})
        lf = lf.join(pops.lazy().select("partnership_id", pl.col("population").cast(pl.Float64)),
                     on="partnership_id", how="left")
        pop = pl.col("population")
        value = pl.when(pop > 0).then(a0 / pop * plan.scale).otherwise(None)
        reason = pl.when((pop > 0).fill_null(False)).then(None).otherwise(pl.lit(REASON_NO_POP))
    elif plan.kind == "growth":
        key = pl.col("_year") * 10 + pl.col("_quarter")
        lf = lf.sort("partnership_id", "_year", "_quarter").with_columns(
            _prev=a0.shift(1).over("partnership_id"),
            _prev_key=key.shift(1).over("partnership_id"),
            _want=pl.when(pl.col("_quarter") == 0).then(key - 10)
            .when(pl.col("_quarter") == 1).then((pl.col("_year") - 1) * 10 + 4)
            .otherwise(key - 1),
        )
        has_prev = (pl.col("_prev_key") == pl.col("_want")).fill_null(False)
        prev = pl.col("_prev")
        value = pl.when(has_prev & (prev != 0)).then((a0 - prev) / prev * 100.0).otherwise(None)
        reason = (
            pl.when(~has_prev).then(pl.lit(REASON_NO_PREV))
            .when(prev == 0).then(pl.lit(REASON_ZERO_BASE))
            .otherwise(None)
        )
    elif plan.kind == "in_place":
        lf = lf.sort("partnership_id", "_year", "_quarter").with_columns(
            _cum=a0.cum_sum().over("partnership_id"))
        value = (pl.col("_cum") > 0).cast(pl.Float64)
    else:
        raise ValueError(plan.kind)
    period = (
        pl.when(pl.col("_quarter") == 0)
        .then(pl.col("_year").cast(pl.String))
        .otherwise(pl.format("{}-Q{}", pl.col("_year"), pl.col("_quarter")))
    )
    per_year = 4.0 if grain == "year" else 1.0
    # Overflow (a tiny denominator) is missing with a reason, never inf or NaN.
    raw = value.cast(pl.Float64)
    finite = raw.is_finite().fill_null(True)
    value = pl.when(finite).then(raw).otherwise(None)
    reason = pl.when(finite).then(reason).otherwise(pl.lit(REASON_NOT_FINITE))
    return (
        lf.select(
            "partnership_id",
            period.alias("period"),
            value.cast(pl.Float64).alias("value"),
            reason.alias("reason"),
            (pl.col("_nq").cast(pl.Float64) / per_year).alias("coverage"),
            pl.col("vintage_id").cast(pl.Int64),
        )
        .sort("partnership_id", "period")
    )
