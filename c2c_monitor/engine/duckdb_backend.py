"""DuckDB backend: a plan becomes one parameterised SQL statement.

Identifiers (tables, columns) come only from the records schema in code and are
checked before use; every value from a definition file is a bound parameter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

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


def _in_order(dataset: str, measure: str | None) -> str:
    """` ORDER BY ...` for the sum of `measure` when it is a float column: by the records' key, then the value.

    Floats added in another order can differ in the last bit, and DuckDB adds a group's rows in the order its
    threads meet them, which also follows the order rows are stored in. Whole numbers (counts, an integer
    column) add up exactly in any order, so their sums stay unordered (an ordered aggregate sorts its group)."""
    column = DATASETS[dataset].column(measure) if measure is not None else None
    if column is None or column.type != "float":
        return ""
    return f" ORDER BY {quote_ident(checked_column(dataset, DATASETS[dataset].key))}, {quote_ident(column.name)}"


def _agg_sql(agg: Agg, params: list[Any]) -> str:
    conds = [_filter_sql(agg.dataset, f, params) for f in agg.filters] or ["TRUE"]
    cond = " AND ".join(f"({c})" for c in conds)
    if agg.measure is None:
        return f"CAST(COALESCE(SUM(CASE WHEN {cond} THEN 1 ELSE 0 END), 0) AS DOUBLE)"
    m = quote_ident(checked_column(agg.dataset, agg.measure))
    return f"COALESCE(SUM(CASE WHEN {cond} THEN CAST({m} AS DOUBLE) END{_in_order(agg.dataset, agg.measure)}), 0.0)"


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


# The number of distinct quarters among a group's rows, without a DISTINCT aggregate (which DuckDB runs as a
# GROUP BY of its own): a flag per quarter of the year.
_QUARTERS_HELD = " + ".join(f"COALESCE(bool_or(qq = {q}), FALSE)::INTEGER" for q in (1, 2, 3, 4))


def build_set_sql(plans: Sequence[tuple[str, Plan, Grain]], tables: Mapping[str, str],
                  populations: str) -> tuple[str, list[Any]]:
    """Every plan of `plans` ((indicator id, plan, grain)) in one statement, each with the semantics of `build_sql`.

    `build_sql` writes a statement per plan; DuckDB then plans and runs one query per indicator, and a UNION ALL
    of them costs more to plan than to run. Here the plans are data: each dataset is read once and grouped once
    by partnership and period, every aggregate of every plan that reads it a column of that GROUP BY (a dataset
    read at both grains is grouped by year and by quarter in one pass, as grouping sets); the groups' aggregates
    are then unnested to one row per aggregate and group (a few per partnership and period, where a row per
    record and aggregate made millions), those of a plan put side by side, and a single expression, switched on
    the plan's kind, gives the value. A sum of a float column adds its group's rows in the order of the records'
    keys (`_in_order`), as `build_sql` does: the same bits however the rows are stored or read. Output:
    `indicator_id`, `_kind`, `_grain`, then spec.OUTPUT_COLUMNS.
    """
    params: list[Any] = []
    ctes: list[str] = []
    branches: list[str] = []
    unnested: list[Any] = []  # the branches' parameters, which come after every CTE's filter values
    by_dataset: dict[str, list[tuple[str, int, Grain, Agg]]] = {}
    for ind_id, plan, grain in plans:
        for slot, agg in enumerate(plan.aggs):
            by_dataset.setdefault(agg.dataset, []).append((ind_id, slot, grain, agg))
    for j, (dataset, items) in enumerate(by_dataset.items()):
        at = {g: [it for it in items if it[2] == g] for g in ("quarter", "year")}
        lists = []
        for g, its in at.items():
            vals = []
            for _, _, _, agg in its:
                cond = " AND ".join(f"({_filter_sql(agg.dataset, f, params)})" for f in agg.filters) or "TRUE"
                m = "1.0" if agg.measure is None else quote_ident(checked_column(agg.dataset, agg.measure))
                vals.append(f"SUM(CASE WHEN {cond} THEN CAST({m} AS DOUBLE) END{_in_order(agg.dataset, agg.measure)})")
            lists.append(f"[{', '.join(vals)}]::DOUBLE[] AS {g[0]}_vals")
        if at["quarter"] and at["year"]:
            by, quarterly = "GROUPING SETS ((partnership_id, y, qq), (partnership_id, y))", "GROUPING(qq) = 0"
        elif at["quarter"]:
            by, quarterly = "partnership_id, y, qq", "TRUE"
        else:
            by, quarterly = "partnership_id, y", "FALSE"
        q = "qq" if at["quarter"] else "NULL::INTEGER"
        ctes.append(
            f"p{j} AS (SELECT partnership_id, y, CASE WHEN {quarterly} THEN {q} ELSE 0 END AS q, "
            f"{quarterly} AS quarterly, {', '.join(lists)}, {_QUARTERS_HELD} AS nq, MAX(vintage_id) AS v "
            f"FROM (SELECT *, CAST(year(\"date\") AS INTEGER) AS y, CAST(quarter(\"date\") AS INTEGER) AS qq "
            f"FROM {quote_ident(tables[dataset])}) GROUP BY {by})")
        for g, its in at.items():
            if its:
                unnested += [[i for i, _, _, _ in its], [s for _, s, _, _ in its]]
                branches.append(
                    f"SELECT partnership_id, y, q, nq, v, unnest(?::VARCHAR[]) AS indicator_id, "
                    f"unnest(?::INTEGER[]) AS slot, unnest({g[0]}_vals) AS val FROM p{j} "
                    f"WHERE {'' if g == 'quarter' else 'NOT '}quarterly")
    if not branches:
        branches.append("SELECT NULL::VARCHAR AS partnership_id, NULL::INTEGER AS y, NULL::INTEGER AS q, "
                        "NULL::INTEGER AS nq, NULL::BIGINT AS v, NULL::VARCHAR AS indicator_id, "
                        "NULL::INTEGER AS slot, NULL::DOUBLE AS val WHERE FALSE")
    params += unnested
    params += [[i for i, _, _ in plans], [p.kind for _, p, _ in plans], [g == "quarter" for _, _, g in plans],
               [float(p.scale) for _, p, _ in plans]]
    has_prev = "COALESCE(prev_key = want, FALSE)"
    sql = (
        "WITH " + "".join(c + ", " for c in ctes) + "r AS (" + " UNION ALL ".join(branches) + "), "
        "spec AS (SELECT unnest(?::VARCHAR[]) AS indicator_id, unnest(?::VARCHAR[]) AS kind, "
        "unnest(?::BOOLEAN[]) AS quarterly, unnest(?::DOUBLE[]) AS scale), "
        # One row per aggregate and group: a group is a (partnership, period) in which the dataset has rows.
        "d AS (SELECT indicator_id, slot, partnership_id, y, q, COALESCE(val, 0.0) AS a, nq, v FROM r), "
        # A plan's aggregates side by side; across two datasets, a group either has is a group of the plan.
        "g AS (SELECT indicator_id, partnership_id, y, q, COALESCE(max(a) FILTER (WHERE slot = 0), 0.0) AS a0, "
        "COALESCE(max(a) FILTER (WHERE slot = 1), 0.0) AS a1, max(nq) AS nq, max(v) AS v "
        "FROM d GROUP BY indicator_id, partnership_id, y, q), "
        "w AS (SELECT g.*, s.kind, s.quarterly, s.scale, CAST(p.population AS DOUBLE) AS pop, "
        "LAG(a0) OVER k AS prev, LAG(y * 10 + q) OVER k AS prev_key, "
        "CASE WHEN q = 0 THEN y * 10 - 10 WHEN q = 1 THEN (y - 1) * 10 + 4 ELSE y * 10 + q - 1 END AS want, "
        "SUM(a0) OVER (PARTITION BY g.indicator_id, g.partnership_id ORDER BY y, q "
        "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum "
        f"FROM g JOIN spec s USING (indicator_id) LEFT JOIN {quote_ident(populations)} p USING (partnership_id) "
        "WINDOW k AS (PARTITION BY g.indicator_id, g.partnership_id ORDER BY y, q)), "
        "fin AS (SELECT *, CAST(CASE kind WHEN 'count' THEN a0 WHEN 'sum' THEN a0 "
        "WHEN 'share' THEN CASE WHEN a1 <> 0 THEN a0 / a1 * scale END "
        "WHEN 'ratio' THEN CASE WHEN a1 <> 0 THEN a0 / a1 * scale END "
        "WHEN 'per_capita' THEN CASE WHEN pop > 0 THEN a0 / pop * scale END "
        f"WHEN 'growth' THEN CASE WHEN {has_prev} AND prev <> 0 THEN (a0 - prev) / prev * 100.0 END "
        "WHEN 'in_place' THEN CASE WHEN cum > 0 THEN 1.0 ELSE 0.0 END END AS DOUBLE) AS _val, "
        "CASE WHEN kind IN ('share', 'ratio') THEN CASE WHEN a1 = 0 THEN ? END "
        "WHEN kind = 'per_capita' THEN CASE WHEN pop > 0 THEN NULL ELSE ? END "
        f"WHEN kind = 'growth' THEN CASE WHEN NOT {has_prev} THEN ? WHEN prev = 0 THEN ? END END AS _why FROM w) "
        "SELECT indicator_id, kind AS _kind, CASE WHEN quarterly THEN 'quarter' ELSE 'year' END AS _grain, "
        "partnership_id, "
        "CASE WHEN q = 0 THEN CAST(y AS VARCHAR) ELSE CAST(y AS VARCHAR) || '-Q' || CAST(q AS VARCHAR) END "
        "AS period, CASE WHEN isfinite(_val) THEN _val END AS value, "
        "CASE WHEN _val IS NOT NULL AND NOT isfinite(_val) THEN ? ELSE _why END AS reason, "
        "CAST(nq AS DOUBLE) / CASE WHEN quarterly THEN 1.0 ELSE 4.0 END AS coverage, "
        "CAST(v AS BIGINT) AS vintage_id FROM fin"
    )
    params += [REASON_ZERO_DEN, REASON_NO_POP, REASON_NO_PREV, REASON_ZERO_BASE, REASON_NOT_FINITE]
    return sql, params
