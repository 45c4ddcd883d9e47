"""DuckDB backend: a plan becomes one parameterised SQL statement.

Identifiers (tables, columns) come only from the records schema in code and are
checked before use; every value from a definition file is a bound parameter.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from c2c_monitor.definitions.catalog import Filter
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
    quote_ident,
)
from c2c_monitor.store.reads import frame as reads_frame

if TYPE_CHECKING:
    import polars as pl
    from duckdb import DuckDBPyConnection

_OPS = {"eq": "=", "ne": "<>", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}



def _filter_sql(dataset: str, flt: Filter, params: list[Any]) -> str:
    col = quote_ident(checked_column(dataset, flt.column))
    if flt.op in _OPS:
        params.append(flt.value)
        return f"{col} {_OPS[flt.op]} ?"
    if flt.op in ("in", "not_in"):
        if not isinstance(flt.value, list):  # the Filter model guarantees a list for in / not_in
            raise ValueError(f"op {flt.op!r} needs a list value")
        values = list(flt.value)
        params.extend(values)
        marks = ", ".join("?" for _ in values)
        neg = "NOT " if flt.op == "not_in" else ""
        return f"{col} {neg}IN ({marks})"
    if flt.op == "is_null":
        return f"{col} IS NULL"
    if flt.op == "not_null":
        return f"{col} IS NOT NULL"
    raise ValueError(flt.op)


def _agg_sql(agg: Agg, params: list[Any]) -> str:
    conds = [_filter_sql(agg.dataset, f, params) for f in agg.filters] or ["TRUE"]
    cond = " AND ".join(f"({c})" for c in conds)
    if agg.measure is None:
        return f"CAST(COALESCE(SUM(CASE WHEN {cond} THEN 1 ELSE 0 END), 0) AS DOUBLE)"
    m = quote_ident(checked_column(agg.dataset, agg.measure))
    return f"COALESCE(SUM(CASE WHEN {cond} THEN CAST({m} AS DOUBLE) END), 0.0)"


def build_sql(plan: Plan, tables: Mapping[str, str], grain: Grain,
              populations: str | None = None) -> tuple[str, list[Any]]:
    """Compile a plan to (sql, params). `tables` maps dataset -> relation name."""
    params: list[Any] = []
    quarter = "CAST(quarter(\"date\") AS INTEGER)" if grain == "quarter" else "0"
    by_dataset: dict[str, list[tuple[Agg, str]]] = {}
    for i, agg in enumerate(plan.aggs):
        by_dataset.setdefault(agg.dataset, []).append((agg, f"a{i}"))
    ctes = []
    for j, (dataset, items) in enumerate(by_dataset.items()):
        rel = quote_ident(tables[dataset])
        cols = ", ".join(f"{_agg_sql(a, params)} AS {n}" for a, n in items)
        ctes.append(
            f"d{j} AS (SELECT partnership_id, CAST(year(\"date\") AS INTEGER) AS y, {quarter} AS q, "
            f"{cols}, COUNT(DISTINCT quarter(\"date\")) AS nq, MAX(vintage_id) AS v "
            f"FROM {rel} GROUP BY ALL)"
        )
    names = [f"a{i}" for i in range(len(plan.aggs))]
    if len(ctes) == 1:
        grouped = "g AS (SELECT partnership_id, y, q, " + ", ".join(names) + ", nq, v FROM d0)"
    else:
        # Two datasets (a ratio across datasets): outer join their groups.
        sel = []
        for i, n in enumerate(names):
            j = list(by_dataset).index(plan.aggs[i].dataset)
            sel.append(f"COALESCE(d{j}.{n}, 0.0) AS {n}")
        grouped = (
            "g AS (SELECT COALESCE(d0.partnership_id, d1.partnership_id) AS partnership_id, "
            "COALESCE(d0.y, d1.y) AS y, COALESCE(d0.q, d1.q) AS q, " + ", ".join(sel) + ", "
            "GREATEST(COALESCE(d0.nq, 0), COALESCE(d1.nq, 0)) AS nq, "
            "GREATEST(d0.v, d1.v) AS v FROM d0 FULL OUTER JOIN d1 "
            "ON d0.partnership_id = d1.partnership_id AND d0.y = d1.y AND d0.q = d1.q)"
        )
    ctes.append(grouped)
    src = "g"
    reason = "CAST(NULL AS VARCHAR)"
    if plan.kind in ("count", "sum"):
        value = "a0"
    elif plan.kind in ("share", "ratio"):
        value = f"CASE WHEN a1 <> 0 THEN a0 / a1 * {float(plan.scale)!r} END"
        params_reason = REASON_ZERO_DEN
        reason = "CASE WHEN a1 = 0 THEN ? END"
        params.append(params_reason)
    elif plan.kind == "per_capita":
        if populations is None:
            raise ValueError("per_capita needs a populations relation")
        ctes.append(
            f"gp AS (SELECT g.*, CAST(p.population AS DOUBLE) AS pop FROM g LEFT JOIN "
            f"{quote_ident(populations)} p USING (partnership_id))"
        )
        src = "gp"
        value = f"CASE WHEN pop > 0 THEN a0 / pop * {float(plan.scale)!r} END"
        reason = "CASE WHEN pop > 0 THEN NULL ELSE ? END"
        params.append(REASON_NO_POP)
    elif plan.kind == "growth":
        ctes.append(
            "gl AS (SELECT g.*, LAG(a0) OVER w AS prev, LAG(y * 10 + q) OVER w AS prev_key, "
            "CASE WHEN q = 0 THEN y * 10 - 10 WHEN q = 1 THEN (y - 1) * 10 + 4 "
            "ELSE y * 10 + q - 1 END AS want FROM g "
            "WINDOW w AS (PARTITION BY partnership_id ORDER BY y, q))"
        )
        src = "gl"
        has_prev = "COALESCE(prev_key = want, FALSE)"
        value = f"CASE WHEN {has_prev} AND prev <> 0 THEN (a0 - prev) / prev * 100.0 END"
        reason = f"CASE WHEN NOT {has_prev} THEN ? WHEN prev = 0 THEN ? END"
        params.extend([REASON_NO_PREV, REASON_ZERO_BASE])
    elif plan.kind == "in_place":
        ctes.append(
            "gc AS (SELECT g.*, SUM(a0) OVER (PARTITION BY partnership_id ORDER BY y, q "
            "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum FROM g)"
        )
        src = "gc"
        value = "CASE WHEN cum > 0 THEN 1.0 ELSE 0.0 END"
    else:
        raise ValueError(plan.kind)
    per_year = 4.0 if grain == "year" else 1.0
    # Overflow (a tiny denominator) is missing with a reason, never inf or NaN.
    ctes.append(f"fin AS (SELECT {src}.*, CAST({value} AS DOUBLE) AS _val, {reason} AS _why FROM {src})")
    params.append(REASON_NOT_FINITE)
    sql = (
        "WITH " + ", ".join(ctes) + " "
        "SELECT partnership_id, "
        "CASE WHEN q = 0 THEN CAST(y AS VARCHAR) ELSE CAST(y AS VARCHAR) || '-Q' || CAST(q AS VARCHAR) END "
        "AS period, CASE WHEN isfinite(_val) THEN _val END AS value, "
        "CASE WHEN _val IS NOT NULL AND NOT isfinite(_val) THEN ? ELSE _why END AS reason, "
        f"CAST(nq AS DOUBLE) / {per_year!r} AS coverage, CAST(v AS BIGINT) AS vintage_id "
        "FROM fin ORDER BY partnership_id, period"
    )
    return sql, params


def evaluate_plan(plan: Plan, con: DuckDBPyConnection, tables: Mapping[str, str], grain: Grain,
                  populations: str | None = None) -> pl.DataFrame:
    """Run the compiled SQL; returns a polars DataFrame with spec.OUTPUT_COLUMNS."""
    sql, params = build_sql(plan, tables, grain, populations)
    frame: pl.DataFrame = reads_frame(con.sql(sql, params=params))
    return frame
