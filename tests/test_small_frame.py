"""A small result read as Python rows (`reads.small_frame`) is the frame the Arrow stream gives, types included."""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from c2c_monitor.definitions.catalog import load_catalogue
from c2c_monitor.engine import evaluate as ev
from c2c_monitor.store import reads
from c2c_monitor.store.reads import frame, small_frame
from c2c_monitor.store.workspace import open_workspace

# A column of each type `small_frame` reads from rows, and one it leaves to Arrow (a decimal).
COLUMNS = {"s": ("VARCHAR", st.text(max_size=4)), "d": ("DOUBLE", st.floats(allow_nan=False, width=64)),
           "f": ("FLOAT", st.floats(allow_nan=False, width=32)), "b": ("BIGINT", st.integers(-2**63, 2**63 - 1)),
           "i": ("INTEGER", st.integers(-2**31, 2**31 - 1)), "t": ("BOOLEAN", st.booleans()),
           "day": ("DATE", st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31))),
           "m": ("DECIMAL(9,2)", st.decimals(-10**6, 10**6, places=2, allow_nan=False, allow_infinity=False))}


@settings(max_examples=60, deadline=None)
@given(names=st.lists(st.sampled_from(sorted(COLUMNS)), min_size=1, max_size=5, unique=True), data=st.data())
def test_rows_read_as_arrow_reads_them(names, data) -> None:
    n = data.draw(st.integers(0, 6))  # an empty result too
    rows = [[data.draw(COLUMNS[c][1] | st.none()) for c in names] for _ in range(n)]
    con = duckdb.connect()
    con.execute("CREATE TABLE t (" + ", ".join(f"{c} {COLUMNS[c][0]}" for c in names) + ")")
    if rows:
        con.executemany("INSERT INTO t VALUES (" + ", ".join("?" for _ in names) + ")", rows)
    sql = "SELECT * FROM t WHERE ? ORDER BY ALL"  # a parameter, as the engine's statements have
    assert_frame_equal(small_frame(con, sql, [True]), frame(con.sql(sql, params=[True])))


def test_one_partnership_evaluates_the_same_read_either_way(demo_ws, monkeypatch) -> None:
    """One partnership's statements read as rows give the evaluation that reading them through Arrow gives."""
    inds = load_catalogue().select("long")
    with open_workspace(demo_ws) as ws:
        pids = [r[0] for r in ws.con.execute("SELECT partnership_id FROM partnerships ORDER BY 1 LIMIT 2").fetchall()]
        small = ev.evaluate(ws.con, inds, pids, backend="duckdb")
        monkeypatch.setattr(ev, "SMALL_SERIES", 10**6)  # the long list's city series read as rows too
        rows = ev.evaluate(ws.con, inds, pids, backend="duckdb")
        monkeypatch.setattr(reads, "SMALL_COHORT", 0)
        monkeypatch.setattr(ev, "SMALL_SERIES", 0)
        arrow = ev.evaluate(ws.con, inds, pids, backend="duckdb")
    assert_frame_equal(rows, arrow)
    assert small.filter(pl.col("city_id").is_null()).height > 0  # records indicators
    assert small.filter(pl.col("city_id").is_not_null()).height > 0  # city indicators
    assert_frame_equal(small, arrow)


def test_agreed_ratings_read_the_same_either_way(demo_ws, monkeypatch) -> None:
    with open_workspace(demo_ws) as ws:
        pids = [r[0] for r in ws.con.execute("SELECT DISTINCT partnership_id FROM agreed ORDER BY 1").fetchall()]
        small = reads.agreed_ratings(ws.con, pids[:1], None)
        monkeypatch.setattr(reads, "SMALL_COHORT", 0)
        arrow = reads.agreed_ratings(ws.con, pids[:1], None)
    assert small.height > 0
    assert_frame_equal(small, arrow)
