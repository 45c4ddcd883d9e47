"""Evaluate catalogue indicators for partnerships from a workspace, with either backend.

A run costs a handful of statements whatever the number of indicators: the partnerships' cities and records
are staged once; with DuckDB every city indicator comes from one query over the cities' current observations
and every records indicator from one query over the staged records (a plan per indicator, joined by UNION
ALL); the vintage rule of `_changed_by` is applied to all of them at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import polars as pl

from c2c_monitor.definitions.catalog import Indicator
from c2c_monitor.definitions.records import DATASETS
from c2c_monitor.engine import duckdb_backend, polars_backend, reported
from c2c_monitor.engine.spec import grain_for, plan_for
from c2c_monitor.store import reads
from c2c_monitor.store.beside import reading_beside
from c2c_monitor.store.reads import (
    current_headline_sql,
    current_records_sql,
    frame,
    read_frame,
    records_held,
    stage_latest,
    superseded_all,
    vintage_bound,
)

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection

Backend = Literal["polars", "duckdb"]

RESULT_SCHEMA = {
    "indicator_id": pl.String,
    "partnership_id": pl.String,
    "city_id": pl.String,
    "period": pl.String,
    "value": pl.Float64,
    "reason": pl.String,
    "coverage": pl.Float64,
    "vintage_id": pl.Int64,
    "obs_status": pl.String,
}


_IN_PARTNERSHIPS = "partnership_id IN (SELECT unnest(?::VARCHAR[]))"


# The partnerships' two cities with their populations. Two equality joins of the partnerships asked for, not one
# join on `city_id IN (european, partner)`: DuckDB plans that as a nested loop over every partnership and every
# city before filtering (2.8 s of a 3.4 s `c2c assess` in the 35,000-city benchmark workspace). UNION keeps one
# row when both sides are one city. One parameter: the partnership ids.
_PARTNERSHIP_CITIES = (
    "WITH p AS (SELECT partnership_id, european_city_id, partner_city_id "
    "FROM partnerships WHERE partnership_id IN (SELECT unnest(?::VARCHAR[]))) "
    "SELECT p.partnership_id, c.city_id, c.population FROM p JOIN cities c ON c.city_id = p.european_city_id "
    "UNION SELECT p.partnership_id, c.city_id, c.population FROM p JOIN cities c "
    "ON c.city_id = p.partner_city_id")


def _stage_cities(con: DuckDBPyConnection, partnership_ids: Sequence[str]) -> list[str]:
    """Stage the partnerships' two cities (`_pc`, with populations); returns the city ids."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE _pc AS {_PARTNERSHIP_CITIES}", [list(partnership_ids)])
    return [r[0] for r in con.execute("SELECT DISTINCT city_id FROM _pc ORDER BY 1").fetchall()]


def _stage_records(con: DuckDBPyConnection, partnership_ids: Sequence[str], bound: int) -> None:
    """Stage the current records of the partnerships (`_rec_<dataset>`) and their populations (`_pop`): what
    the polars backend reads as frames."""
    con.execute("CREATE OR REPLACE TEMP TABLE _pop AS SELECT partnership_id, sum(population) AS population "
                "FROM _pc GROUP BY partnership_id")
    for ds in DATASETS.values():
        stage_latest(con, f"_rec_{ds.name}", f"rec_{ds.name}", ["partnership_id", ds.key], _IN_PARTNERSHIPS,
                     bound, params=[list(partnership_ids)])


def _changed_by(df: pl.DataFrame, moved: pl.DataFrame, uses: pl.DataFrame) -> pl.DataFrame:
    """A figure's vintage: the newest load that changed anything it is computed from.

    The backends give the newest vintage among a period's current rows. A re-import can also change a period by
    moving a record out of it (another date), and a growth rate or an "in place" flag also depends on earlier
    periods: their vintages count too, or the figure would claim an older vintage than the data it shows.

    Every records indicator at once: `df` has `indicator_id`, `_kind`, `_grain` and the plan's columns; `moved`
    is `reads.superseded_all`; `uses` says which datasets each indicator reads, at which grain (`indicator_id`,
    `dataset`, `_grain`).
    """
    if df.height == 0:
        return df
    by = ["indicator_id", "partnership_id"]
    if moved.height:  # (none when no dataset of the cohort was re-imported: reads.records_held)
        gone = moved.join(uses, on="dataset").with_columns(
            pl.when(pl.col("_grain") == "year").then(pl.col("date").dt.year().cast(pl.String))
            .otherwise(pl.format("{}-Q{}", pl.col("date").dt.year(), pl.col("date").dt.quarter())).alias("period"))
        gone = gone.group_by("indicator_id", "partnership_id", "period").agg(
            pl.col("vintage_id").max().cast(pl.Int64).alias("_moved"))
        df = df.join(gone, on=[*by, "period"], how="left").with_columns(
            pl.max_horizontal(pl.col("vintage_id"), pl.col("_moved")).alias("vintage_id")).drop("_moved")
    df = df.with_columns(pl.col("vintage_id").cast(pl.Int64))
    # Only the kinds whose figure depends on earlier periods are put in period order: an indicator has one kind,
    # so each (indicator, partnership) is whole on one side, and the evaluation is sorted at its end anyway.
    earlier = pl.col("_kind").is_in(["in_place", "growth"])
    v = pl.col("vintage_id")
    ordered = df.filter(earlier).sort(*by, "period").with_columns(
        pl.when(pl.col("_kind") == "in_place").then(v.cum_max().over(by))  # every earlier period counts
        .otherwise(pl.max_horizontal(v, v.shift(1).over(by))).alias("vintage_id"))  # growth: the period before
    return pl.concat([df.filter(~earlier), ordered])


def _records_duckdb(con: DuckDBPyConnection, inds: Sequence[Indicator], partnership_ids: Sequence[str],
                    bound: int, revised: dict[str, bool]) -> pl.DataFrame:
    """Every records indicator in one statement (`duckdb_backend.build_set_sql`), the partnerships' current
    records and populations read inside it (common table expressions, each read once) rather than staged first.
    `revised`: which datasets may hold a key in two versions (`reads.records_held`); the others are read as
    they stand."""
    used = sorted({a.dataset for i in inds for a in plan_for(i).aggs})
    # The populations from the store itself, not from the staged `_pc`: this statement may run on a cursor of its
    # own (`evaluate`), which does not see the caller's temporary tables.
    ctes = [f"_pop AS (SELECT partnership_id, sum(population) AS population FROM ({_PARTNERSHIP_CITIES}) "  # noqa: S608
            "GROUP BY partnership_id)"]  # (a constant of this module)
    params: list[Any] = [list(partnership_ids)]
    for d in used:
        current = current_records_sql(f"rec_{d}", ["partnership_id", DATASETS[d].key], _IN_PARTNERSHIPS,
                                      revised[d])
        ctes.append(f"_rec_{d} AS ({current})")
        params += [bound, list(partnership_ids)] * (4 if revised[d] else 1)
    sql, more = duckdb_backend.build_set_sql([(i.id, plan_for(i), grain_for(i)) for i in inds],
                                             {d: f"_rec_{d}" for d in DATASETS}, "_pop")
    if not sql.startswith("WITH "):
        raise ValueError("expected a statement with common table expressions")
    return read_frame(con, "WITH " + ", ".join(ctes) + ", " + sql[len("WITH "):], params + more,
                 len(partnership_ids) <= reads.SMALL_COHORT)


def _records_polars(con: DuckDBPyConnection, inds: Sequence[Indicator]) -> pl.DataFrame:
    frames = {d: frame(con.table("_rec_" + d)) for d in DATASETS}
    pops = frame(con.table("_pop"))
    parts = []
    for ind in inds:
        plan = plan_for(ind)
        grain = grain_for(ind)
        parts.append(polars_backend.evaluate_plan(plan, frames, grain, pops).select(
            pl.lit(ind.id).alias("indicator_id"), pl.lit(plan.kind).alias("_kind"), pl.lit(grain).alias("_grain"),
            pl.all()))
    return pl.concat(parts, how="vertical_relaxed")


def _cities_polars(con: DuckDBPyConnection, inds: Sequence[Indicator], cities: list[str],
                   bound: int) -> pl.DataFrame:
    codes = sorted({i.observation_code for i in inds if i.observation_code})
    obs = frame(con.sql(current_headline_sql(), params=[bound, cities, codes]))
    pc = frame(con.sql("SELECT partnership_id, city_id FROM _pc"))
    parts = [reported.evaluate_polars(ind, obs).join(pc, on="city_id", how="inner")
             .with_columns(pl.lit(ind.id).alias("indicator_id")) for ind in inds]
    return pl.concat(parts)


# Cities times observation codes per query when evaluating many: DuckDB holds a query's newest-version selection
# and roll-ups in memory at once, so a national run (35,000 cities) goes through in slices of neighbouring cities,
# about 250 of them with the whole catalogue's 39 codes, more when fewer codes are asked for (the simplified list's
# 11: 909 cities), so that a slice holds about as many series either way (a cohort of 1,000 partnerships, 2,000
# cities, took twice the CPU as 8 statements of 250 as in 2 of 1,000). Observations are stored
# clustered by city, so each slice reads only its own row groups (zone maps) and the slices together read about
# what one query over all cities would.
CITY_SERIES_PER_QUERY = 10_000
# At most this many (city, code) series: the city statement's result is read as rows (`reads.read_frame`).
SMALL_SERIES = 32


def _cities_duckdb(con: DuckDBPyConnection, inds: Sequence[Indicator], cities: list[str],
                   bound: int) -> pl.DataFrame:
    """Every city indicator of a slice of cities in one statement: the cities' current headline rows are read
    once (materialised: a few thousand narrow rows a slice), and a branch per periodicity computes from them
    (`reported.build_set_sql` takes one periodicity: one statement with both kinds read the joined rows twice).
    Read per periodicity, they were two statements each planning and scanning the cities' row groups again."""
    groups = [g for g in ([i for i in inds if i.periodicity != "quarterly"],
                          [i for i in inds if i.periodicity == "quarterly"]) if g]
    codes = sorted({i.observation_code for i in inds if i.observation_code})
    branches = [reported.build_set_sql(group, "SELECT * FROM _o", "_pc") for group in groups]
    # (Statements written in code: the engine's own SQL, every value a bound parameter.)
    union = " UNION ALL ".join(f"SELECT * FROM ({branch})" for branch, _ in branches)  # noqa: S608
    sql = f"WITH _o AS MATERIALIZED ({current_headline_sql()}) {union}"  # noqa: S608
    params = [p for _, ps in branches for p in ps]
    step = max(1, CITY_SERIES_PER_QUERY // max(len(codes), 1))
    # Read as rows only when the slice has few series (one partnership's simplified list: 2 cities x 11 codes): a
    # row costs about 3 us more than through Arrow, and this statement's second planning a few ms.
    small = len(cities) * len(codes) <= SMALL_SERIES
    parts = [read_frame(con, sql, [bound, cities[k:k + step], codes, *params], small)
             for k in range(0, max(len(cities), 1), step)]
    return pl.concat(parts)


def _records_part(con: DuckDBPyConnection, records: Sequence[Indicator], used: Sequence[str],
                  partnership_ids: Sequence[str], as_of: int | None, bound: int,
                  backend: Backend) -> pl.DataFrame | None:
    """Every records indicator of the partnerships, with the vintage rule applied; None when they hold no record.

    The polars backend reads the records staged on `con` (`_stage_records`, which needs `_pc`): it runs on the
    caller's connection. The DuckDB statement reads the store only, and may run on a cursor.
    """
    # Without a stored record of these partnerships no records indicator has a period to show: the statement
    # that computes them all (planned in some 60 ms however empty the tables) is not run. One partnership of
    # a statistical office's workspace, which holds observations only, is the common case (issue 19). The same
    # statement says which datasets' rows come from more than one vintage: only they can hold a replaced version,
    # which the current rows and the vintage rule must look for (a cohort loaded once has none).
    revised = records_held(con, partnership_ids, used, bound)
    if revised is None:
        return None
    if backend == "polars":
        _stage_records(con, partnership_ids, bound)
        df = _records_polars(con, records)
    else:
        df = _records_duckdb(con, records, partnership_ids, bound, revised)
    uses = pl.DataFrame([(i.id, a.dataset, grain_for(i)) for i in records for a in plan_for(i).aggs],
                        schema={"indicator_id": pl.String, "dataset": pl.String, "_grain": pl.String},
                        orient="row").unique()
    moved = superseded_all(con, partnership_ids, as_of, [d for d in used if revised[d]])
    df = _changed_by(df, moved, uses)
    return df.with_columns(pl.lit(None, pl.String).alias("city_id"), pl.lit(None, pl.String).alias("obs_status"))


def evaluate(
    con: DuckDBPyConnection,
    indicators: Sequence[Indicator],
    partnership_ids: Sequence[str],
    as_of: int | None = None,
    backend: Backend = "duckdb",
) -> pl.DataFrame:
    bound = vintage_bound(as_of)
    records = [i for i in indicators if i.family == "partnership"]
    used = sorted({a.dataset for i in records for a in plan_for(i).aggs})
    reported_inds = [i for i in indicators if i.family != "partnership"]
    evaluate_cities = _cities_polars if backend == "polars" else _cities_duckdb
    record_part: pl.DataFrame | None
    city_part: pl.DataFrame | None
    if backend == "duckdb" and records and reported_inds:
        # The records indicators (their statements and frames) on a second thread and a cursor of their own while
        # this one stages the cities and evaluates the city indicators: DuckDB and polars leave Python's lock
        # while they work, and the records statement reads the store only (not `_pc`), so it starts first.
        with reading_beside(con, lambda cursor: _records_part(cursor, records, used, partnership_ids, as_of, bound,
                                                              backend), "c2c-records") as records_part:
            city_part = evaluate_cities(con, reported_inds, _stage_cities(con, partnership_ids), bound)
            record_part = records_part()
    else:
        cities = _stage_cities(con, partnership_ids)  # (the polars backend's records read the staged `_pc` too)
        record_part = _records_part(con, records, used, partnership_ids, as_of, bound, backend) if records else None
        city_part = evaluate_cities(con, reported_inds, cities, bound) if reported_inds else None
    parts = [p for p in (record_part, city_part) if p is not None]
    if not parts:
        return pl.DataFrame(schema=RESULT_SCHEMA)
    out = pl.concat([df.select([pl.col(c).cast(t) for c, t in RESULT_SCHEMA.items()]) for df in parts],
                    rechunk=False)
    parts.clear()  # the pieces are in `out` now: a national run holds one copy of its result before sorting
    return _sorted(out)


def _sorted(df: pl.DataFrame) -> pl.DataFrame:
    """`df` by indicator, partnership, city and period (missing cities last).

    The ids are sorted as enums of their sorted values, the same order as the strings': a national run has
    millions of rows, and sorting on four string columns took more memory than the evaluation itself.
    """
    ids = ("indicator_id", "partnership_id", "city_id")
    keys = [pl.col(c).cast(pl.Enum(df[c].drop_nulls().unique().sort())) for c in ids] + [pl.col("period")]
    return df[df.select(pl.arg_sort_by(keys, nulls_last=True)).to_series()]
