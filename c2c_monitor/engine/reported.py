"""Reported (city) indicators from the observations store, in both backends.

Annual indicators use annual observations as they are; a year with only
quarterly observations is rolled up with the indicator's declared rule (sum,
mean or last) and carries the share of quarters present as its coverage.
Quarterly indicators use quarterly observations only. Only the headline
series (no disaggregation) is scored.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import polars as pl

from c2c_monitor.definitions.catalog import Indicator
from c2c_monitor.engine.spec import quote_ident
from c2c_monitor.store.reads import frame as reads_frame

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection

REASON_BLANK = "missing: blank in source"
COLUMNS = ("city_id", "period", "value", "reason", "coverage", "vintage_id", "obs_status")


def _period(year: pl.Expr, quarter: pl.Expr) -> pl.Expr:
    return pl.when(quarter == 0).then(year.cast(pl.String)).otherwise(pl.format("{}-Q{}", year, quarter))


def evaluate_polars(ind: Indicator, obs: pl.DataFrame) -> pl.DataFrame:
    """`obs`: current observations (code, city_id, year, quarter, disagg, value, obs_status, vintage_id)."""
    lf = obs.lazy().filter((pl.col("code") == ind.observation_code) & (pl.col("disagg") == ""))
    if ind.periodicity == "quarterly":
        out = lf.filter(pl.col("quarter") > 0).select(
            "city_id", "year", "quarter", "value",
            pl.when(pl.col("value").is_null()).then(pl.lit(REASON_BLANK)).otherwise(None).alias("reason"),
            pl.lit(1.0).alias("coverage"), "vintage_id", "obs_status",
        )
    else:
        annual = lf.filter(pl.col("quarter") == 0).select(
            "city_id", "year", pl.lit(0, pl.Int32).alias("quarter"), "value",
            pl.when(pl.col("value").is_null()).then(pl.lit(REASON_BLANK)).otherwise(None).alias("reason"),
            pl.lit(1.0).alias("coverage"), "vintage_id", "obs_status",
        )
        q = lf.filter((pl.col("quarter") > 0) & pl.col("value").is_not_null()).join(
            annual.select("city_id", "year"), on=["city_id", "year"], how="anti"
        )
        rule = ind.annual_rule
        v = pl.col("value")
        # The quarters added in their order (as a list: a sort before `sum` is dropped by the query optimiser), so a
        # rolled-up figure has the same bits however the rows arrive, as `build_set_sql`'s list_sum gives it.
        total = v.sort_by("quarter").implode().list.sum()
        agg = total if rule == "sum" else total / v.count() if rule == "mean" else v.sort_by("quarter").last()
        rolled = q.group_by("city_id", "year").agg(
            pl.lit(0, pl.Int32).alias("quarter"),
            agg.alias("value"),
            pl.lit(None, pl.String).alias("reason"),
            (pl.col("quarter").n_unique().cast(pl.Float64) / 4.0).alias("coverage"),
            pl.col("vintage_id").max(),
            pl.col("obs_status").drop_nulls().unique().sort().str.join(",").alias("obs_status"),
        ).with_columns(
            pl.when(pl.col("obs_status") == "").then(None).otherwise(pl.col("obs_status")).alias("obs_status")
        )
        out = pl.concat([annual.with_columns(pl.col("quarter").cast(pl.Int32)), rolled], how="vertical_relaxed")
    return (
        out.select(
            "city_id",
            _period(pl.col("year"), pl.col("quarter")).alias("period"),
            pl.col("value").cast(pl.Float64),
            pl.col("reason").cast(pl.String),
            pl.col("coverage").cast(pl.Float64),
            pl.col("vintage_id").cast(pl.Int64),
            pl.col("obs_status").cast(pl.String),
        )
        .sort("city_id", "period")
        # In memory, not polars' default streaming engine: with it, polars 2.1 panics now and then in the roll-up's
        # string join ("assertion failed: i < self.len()" in polars-arrow's binview), 4 runs of 10 of
        # test_engine_agreement's polars case here; none of 10 in memory.
        .collect(engine="in-memory")
    )


def build_sql(ind: Indicator, relation: str) -> tuple[str, list[Any]]:
    rel = quote_ident(relation)
    base = f"SELECT * FROM {rel} WHERE code = ? AND disagg = ''"
    period = ("CASE WHEN quarter = 0 THEN CAST(year AS VARCHAR) "
              "ELSE CAST(year AS VARCHAR) || '-Q' || CAST(quarter AS VARCHAR) END")
    blank = "CASE WHEN value IS NULL THEN ? END"
    if ind.periodicity == "quarterly":
        sql = (f"WITH o AS ({base}) SELECT city_id, {period} AS period, CAST(value AS DOUBLE) AS value, "
               f"{blank} AS reason, 1.0 AS coverage, CAST(vintage_id AS BIGINT) AS vintage_id, "
               f"obs_status FROM o WHERE quarter > 0 ORDER BY city_id, period")
        return sql, [ind.observation_code, REASON_BLANK]
    # (The quarters added in their order: the same bits however the rows arrive.)
    agg = {"sum": "SUM(value ORDER BY quarter)", "mean": "SUM(value ORDER BY quarter) / COUNT(value)",
           "last": "arg_max(value, quarter)"}[ind.annual_rule]
    sql = (
        f"WITH o AS ({base}), "
        "a AS (SELECT city_id, year, 0 AS quarter, value, "
        f"{blank} AS reason, 1.0 AS coverage, vintage_id, obs_status FROM o WHERE quarter = 0), "
        "r AS (SELECT city_id, year, 0 AS quarter, "
        f"{agg} AS value, CAST(NULL AS VARCHAR) AS reason, COUNT(DISTINCT quarter) / 4.0 AS coverage, "
        "MAX(vintage_id) AS vintage_id, "
        "string_agg(DISTINCT obs_status, ',' ORDER BY obs_status) AS obs_status "
        "FROM o WHERE quarter > 0 AND value IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM a WHERE a.city_id = o.city_id AND a.year = o.year) "
        "GROUP BY city_id, year), "
        "u AS (SELECT * FROM a UNION ALL SELECT * FROM r) "
        f"SELECT city_id, {period} AS period, CAST(value AS DOUBLE) AS value, reason, "
        "CAST(coverage AS DOUBLE) AS coverage, CAST(vintage_id AS BIGINT) AS vintage_id, "
        "CAST(obs_status AS VARCHAR) AS obs_status FROM u ORDER BY city_id, period"
    )
    return sql, [ind.observation_code, REASON_BLANK]


def build_set_sql(inds: Sequence[Indicator], observations: str, cities: str) -> tuple[str, list[Any]]:
    """Every indicator of `inds` in one statement, with the semantics of `build_sql` applied to each.

    `observations` is a query (its own parameters come first) giving the current headline observations
    (code, city_id, year, quarter, value, obs_status, vintage_id), one row per code, city and period; `cities` a
    relation of (partnership_id, city_id). The indicators are a parameter table joined on their code: one pass
    over the observations whatever their number, where `build_sql` scans them once per indicator.

    An annual indicator's year is one GROUP BY row holding its annual observation (if any) and its quarters side
    by side, so "the annual figure, else the quarters rolled up" needs no anti-join and no DISTINCT or ordered
    aggregate (each of which DuckDB runs as a GROUP BY of its own). The quarters are summed in their order (a
    list of the four), so a rolled-up figure is the same to the last bit however the rows arrive (threads,
    joins). `inds` share one periodicity: a statement with both kinds would read the joined rows twice, and
    DuckDB then materialises them (a fifth of the run's time). Output: `indicator_id`, `partnership_id`, then the
    columns of `COLUMNS`.
    """
    kinds = {i.periodicity == "quarterly" for i in inds}
    if len(kinds) != 1:
        raise ValueError("build_set_sql takes indicators of one periodicity")
    quarterly = kinds.pop()
    period = ("CASE WHEN quarter = 0 THEN CAST(year AS VARCHAR) "
              "ELSE CAST(year AS VARCHAR) || '-Q' || CAST(quarter AS VARCHAR) END")
    rolled = "value IS NOT NULL AND quarter > 0"
    quarters = ", ".join(f"max(value) FILTER (WHERE quarter = {q} AND value IS NOT NULL)" for q in (1, 2, 3, 4))
    quarterly_sql = (
        "qr AS (SELECT indicator_id, city_id, year, quarter, value, CASE WHEN value IS NULL THEN ? END AS reason, "
        "1.0 AS coverage, vintage_id, obs_status FROM x WHERE quarter > 0) "
    )
    annual_sql = (
        "y AS (SELECT indicator_id, rule, city_id, year, count(*) FILTER (WHERE quarter = 0) AS n_a, "
        "max(value) FILTER (WHERE quarter = 0) AS a_value, max(vintage_id) FILTER (WHERE quarter = 0) AS a_v, "
        "max(obs_status) FILTER (WHERE quarter = 0) AS a_status, "
        f"[{quarters}] AS qs, count(*) FILTER (WHERE {rolled}) AS n_q, "
        f"arg_max(value, quarter) FILTER (WHERE {rolled}) AS q_last, "
        f"max(vintage_id) FILTER (WHERE {rolled}) AS q_v, "
        f"list_sort(list_distinct(list(obs_status) FILTER (WHERE {rolled}))) AS q_status "
        "FROM x GROUP BY indicator_id, rule, city_id, year), "
        "an AS (SELECT indicator_id, city_id, year, 0 AS quarter, "
        "CASE WHEN n_a > 0 THEN a_value WHEN rule = 'sum' THEN list_sum(qs) WHEN rule = 'mean' THEN list_sum(qs) / n_q "
        "ELSE q_last END AS value, CASE WHEN n_a > 0 AND a_value IS NULL THEN ? END AS reason, "
        "CASE WHEN n_a > 0 THEN 1.0 ELSE n_q / 4.0 END AS coverage, "
        "CASE WHEN n_a > 0 THEN a_v ELSE q_v END AS vintage_id, "
        "CASE WHEN n_a > 0 THEN a_status WHEN len(q_status) > 0 THEN array_to_string(q_status, ',') END AS obs_status "
        "FROM y WHERE n_a > 0 OR n_q > 0) "
    )
    sql = (
        f"WITH o AS ({observations}), "
        "spec AS (SELECT unnest(?::VARCHAR[]) AS indicator_id, unnest(?::VARCHAR[]) AS code, "
        "unnest(?::BOOLEAN[]) AS quarterly, unnest(?::VARCHAR[]) AS rule), "
        "x AS (SELECT s.indicator_id, s.quarterly, s.rule, o.city_id, o.year, o.quarter, o.value, o.obs_status, "
        "o.vintage_id FROM o JOIN spec s USING (code)), "
        + (quarterly_sql if quarterly else annual_sql) +
        f"SELECT u.indicator_id, c.partnership_id, u.city_id, {period} AS period, CAST(value AS DOUBLE) AS value, "
        "reason, CAST(coverage AS DOUBLE) AS coverage, CAST(vintage_id AS BIGINT) AS vintage_id, "
        f"CAST(obs_status AS VARCHAR) AS obs_status FROM {'qr' if quarterly else 'an'} u "
        f"JOIN {quote_ident(cities)} c USING (city_id)"
    )
    params: list[Any] = [[i.id for i in inds], [i.observation_code for i in inds],
                         [i.periodicity == "quarterly" for i in inds], [i.annual_rule for i in inds], REASON_BLANK]
    return sql, params


def evaluate_duckdb(ind: Indicator, con: DuckDBPyConnection, relation: str) -> pl.DataFrame:
    sql, params = build_sql(ind, relation)
    frame: pl.DataFrame = reads_frame(con.sql(sql, params=params))
    return frame
