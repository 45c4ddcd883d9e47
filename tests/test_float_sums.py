"""A records indicator's sums of amounts are the same to the last bit however the records arrive.

Floats added in another order can differ in the last digit ((0.1 + 0.2) + 0.3 is not 0.1 + (0.2 + 0.3)): DuckDB's
parallel aggregation and the order rows are stored in (a re-import, a rewrite) changed the order, and scoring the
same cohort twice once gave 0.6294685978542535 and once ...536. Each backend adds a group's amounts in the order of
the records' keys, whatever order they are read in.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from c2c_monitor.definitions.catalog import load_catalogue
from c2c_monitor.definitions.records import DATASETS, SQL_TYPES
from c2c_monitor.engine import duckdb_backend, polars_backend
from c2c_monitor.engine.spec import grain_for, plan_for

CAT = load_catalogue()
# Every records indicator that sums a float measure (amounts in euros, person-days).
SUMMED = [i for i in CAT.ordered if i.family == "partnership"
          and any(a.measure and DATASETS[a.dataset].column(a.measure).type == "float" for a in plan_for(i).aggs)]
POLARS_TYPES = {"str": pl.String, "int": pl.Int64, "float": pl.Float64, "bool": pl.Boolean, "date": pl.Date}
# Amounts whose sums round differently in different orders.
AMOUNTS = st.sampled_from([0.1, 0.2, 0.3, 0.7, 1e16, 1.0, 3.3333333333333335, 2.0 / 3.0, 1e-3, 123456.789])


def _row(ds: str, i: int, draw: st.DrawFn) -> dict[str, object]:
    row: dict[str, object] = {}
    for c in DATASETS[ds].columns:
        if c.name == DATASETS[ds].key:
            row[c.name] = f"k{i:03d}"
        elif c.name == "partnership_id":
            row[c.name] = draw(st.sampled_from(["p1", "p2"]))
        elif c.name == "date":
            row[c.name] = draw(st.sampled_from([dt.date(2023, 2, 1), dt.date(2023, 8, 1), dt.date(2024, 5, 1)]))
        elif c.choices:
            row[c.name] = draw(st.sampled_from(c.choices))
        elif c.type == "float":
            row[c.name] = draw(AMOUNTS)
        elif c.type == "int":
            row[c.name] = draw(st.integers(0, 5))
        elif c.type == "bool":
            row[c.name] = draw(st.booleans())
        else:
            row[c.name] = draw(st.sampled_from(["a", "b"]))
    return row | {"vintage_id": 1}


@st.composite
def records(draw: st.DrawFn) -> tuple[dict[str, pl.DataFrame], dict[str, pl.DataFrame]]:
    """The same records twice: as drawn, and each dataset's rows in another order."""
    frames, shuffled = {}, {}
    for name in ("budget_lines", "staff_exchanges"):
        schema = {c.name: POLARS_TYPES[c.type] for c in DATASETS[name].columns} | {"vintage_id": pl.Int64}
        rows = [_row(name, i, draw) for i in range(draw(st.integers(3, 12)))]
        frames[name] = pl.DataFrame(rows, schema=schema)
        shuffled[name] = pl.DataFrame(draw(st.permutations(rows)), schema=schema)
    return frames, shuffled


def _duckdb(frames: dict[str, pl.DataFrame]) -> pl.DataFrame:
    con = duckdb.connect()
    for name in DATASETS:
        cols = ", ".join(f'"{c.name}" {SQL_TYPES[c.type]}' for c in DATASETS[name].columns)
        con.execute(f"CREATE TABLE t_{name} ({cols}, vintage_id BIGINT)")
        if name in frames:
            con.register("_df", frames[name])
            con.execute(f"INSERT INTO t_{name} SELECT * FROM _df")  # stored in the frame's order
            con.unregister("_df")
    con.execute("CREATE TABLE pops AS SELECT * FROM (VALUES ('p1', 1e5), ('p2', 2.5e6)) t(partnership_id, population)")
    sql, params = duckdb_backend.build_set_sql([(i.id, plan_for(i), grain_for(i)) for i in SUMMED],
                                               {d: f"t_{d}" for d in DATASETS}, "pops")
    out: pl.DataFrame = pl.DataFrame(con.sql(sql, params=params))
    return out.sort("indicator_id", "partnership_id", "period")


def _polars(frames: dict[str, pl.DataFrame]) -> pl.DataFrame:
    parts = [polars_backend.evaluate_plan(plan_for(i), frames, grain_for(i)).with_columns(indicator_id=pl.lit(i.id))
             for i in SUMMED]
    return pl.concat(parts).sort("indicator_id", "partnership_id", "period")


def test_some_indicators_sum_float_amounts() -> None:
    assert {"capacity_budget_share", "cofinancing_leverage", "staff_exchange_days"} <= {i.id for i in SUMMED}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records())
def test_sums_do_not_depend_on_the_order_records_are_stored_in(data) -> None:
    frames, shuffled = data
    assert_frame_equal(_duckdb(frames), _duckdb(shuffled), check_exact=True)
    assert_frame_equal(_polars(frames), _polars(shuffled), check_exact=True)


@settings(max_examples=40, deadline=None)
@given(values=st.lists(AMOUNTS, min_size=4, max_size=4), order=st.permutations(range(4)))
def test_quarters_roll_up_to_the_same_year_in_any_order(values, order) -> None:
    """A city's annual figure rolled up from its quarters (sum or mean) is the same bits whatever their order."""
    from c2c_monitor.engine import reported

    inds = [CAT.indicators["disaster_affected"], CAT.indicators["poverty_rate"]]  # rules: sum, mean
    assert [i.annual_rule for i in inds] == ["sum", "mean"]

    def observations(rows: list[int]) -> pl.DataFrame:
        return pl.DataFrame([{"code": i.observation_code, "city_id": "c", "year": 2023, "quarter": q + 1,
                              "disagg": "", "value": values[q], "obs_status": None, "vintage_id": 1}
                             for i in inds for q in rows],
                            schema={"code": pl.String, "city_id": pl.String, "year": pl.Int32, "quarter": pl.Int32,
                                    "disagg": pl.String, "value": pl.Float64, "obs_status": pl.String,
                                    "vintage_id": pl.Int64})

    def both(obs: pl.DataFrame) -> tuple[list[pl.DataFrame], pl.DataFrame]:
        con = duckdb.connect()
        con.register("_o", obs)
        con.execute("CREATE TABLE o AS SELECT * FROM _o")  # stored in the frame's order
        con.execute("CREATE TABLE pc AS SELECT 'p' AS partnership_id, 'c' AS city_id")
        sql, params = reported.build_set_sql(inds, "SELECT * FROM o", "pc")
        return ([reported.evaluate_polars(i, obs) for i in inds],
                pl.DataFrame(con.sql(sql, params=params)).sort("indicator_id"))

    (pa, da), (pb, db) = both(observations(list(range(4)))), both(observations(list(order)))
    for a, b in zip(pa, pb, strict=True):
        assert_frame_equal(a, b, check_exact=True)
    assert_frame_equal(da, db, check_exact=True)
