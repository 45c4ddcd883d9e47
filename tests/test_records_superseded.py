"""The records' version reads that skip the partnerships whose rows all come from one vintage, on histories that
mix those with partnerships re-imported several times: `reads.superseded_all` against a reference written here
(for every key, each version but the newest as of the bound stood at its date until the next version's vintage),
and `reads.current_records_sql` against the store's one window, `latest_sql`; and the same two when
`reads.records_held` says no row of the partnerships has a second vintage, which the evaluation reads without
a window."""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from c2c_monitor.definitions.records import DATASETS
from c2c_monitor.store.reads import current_records_sql, latest_sql, records_held, superseded_all
from c2c_monitor.store.schema import _records_ddl

# A partnership's history of one dataset: keys, each with the vintages (distinct: a vintage holds a key once)
# and dates of its versions.
_versions = st.lists(st.tuples(st.integers(1, 6), st.integers(0, 3)), min_size=1, max_size=4,
                     unique_by=lambda v: v[0])
_history = st.dictionaries(st.sampled_from(["k1", "k2", "k3"]), _versions, max_size=3)
_store = st.dictionaries(st.sampled_from(["p1", "p2", "p3", "p4"]), _history, max_size=4)


def _reference(store: dict[str, dict[str, list[tuple[int, int]]]], pids: list[str], bound: int) -> list[tuple]:
    out = []
    for pid in pids:
        for versions in store.get(pid, {}).values():
            seen = sorted(v for v in versions if v[0] <= bound)
            for (_, q), (next_v, _) in zip(seen, seen[1:], strict=False):
                out.append(("activities", pid, dt.date(2024, 1 + 3 * q, 1), next_v))
    return out


def _connect(store: dict[str, dict[str, list[tuple[int, int]]]]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for stmt in _records_ddl():
        con.execute(stmt)
    # Rows of a key's versions differ in a column too (the title), as a re-import's would.
    rows = [(pid, key, dt.date(2024, 1 + 3 * q, 1), f"v{v}", v) for pid, hist in store.items()
            for key, versions in hist.items() for v, q in versions]
    if rows:
        df = pl.DataFrame(rows, schema=["partnership_id", "activity_id", "date", "title", "vintage_id"], orient="row")
        con.register("_in", df)
        con.execute("INSERT INTO rec_activities BY NAME SELECT * FROM _in")
    return con


def _window(as_of: int | None) -> tuple[str, list[str], int]:
    """The filter, key and vintage bound of the activities' reads for these tests."""
    return ("partnership_id IN (SELECT unnest(?::VARCHAR[]))", ["partnership_id", "activity_id"],
            10**9 if as_of is None else as_of)


_pids = st.lists(st.sampled_from(["p1", "p2", "p3", "p4", "p5"]), unique=True)
_as_of = st.one_of(st.none(), st.integers(0, 6))


@settings(max_examples=60, deadline=None)
@given(store=_store, pids=_pids, as_of=_as_of)
def test_current_records_are_the_windows_rows(store, pids, as_of) -> None:
    con = _connect(store)
    where, key, bound = _window(as_of)
    got = con.execute(current_records_sql("rec_activities", key, where), [bound, pids] * 4).fetchall()
    want = con.execute(latest_sql("rec_activities", key, where), [bound, pids]).fetchall()
    assert sorted(got, key=repr) == sorted(want, key=repr)


@settings(max_examples=60, deadline=None)
@given(store=_store, pids=_pids, as_of=_as_of)
def test_superseded_versions_match_a_reference(store, pids, as_of) -> None:
    con = _connect(store)
    got = superseded_all(con, pids, as_of)
    assert set(got["dataset"].unique()) <= set(DATASETS)
    bound = 10**9 if as_of is None else as_of
    assert sorted(got.iter_rows()) == sorted(_reference(store, pids, bound))  # each replaced version once


def _one_vintage(store: dict[str, dict[str, list[tuple[int, int]]]], pids: list[str], bound: int) -> bool:
    """The reference of `records_held`'s answer for a dataset: the partnerships' rows up to the bound carry at
    most one vintage."""
    seen = {v for pid in pids for versions in store.get(pid, {}).values() for v, _ in versions if v <= bound}
    return len(seen) <= 1


@settings(max_examples=80, deadline=None)
@given(store=_store, pids=_pids, as_of=_as_of)
def test_reads_without_a_window_when_no_row_has_a_second_vintage(store, pids, as_of) -> None:
    con = _connect(store)
    where, key, bound = _window(as_of)
    held = records_held(con, pids, sorted(DATASETS), bound)
    # None exactly when the partnerships hold no row up to the bound; then nothing can have a second vintage.
    assert (held is None) is (not any(v <= bound for pid in pids for versions in store.get(pid, {}).values()
                                      for v, _ in versions))
    revised = held if held is not None else dict.fromkeys(DATASETS, False)
    assert set(revised) == set(DATASETS)
    assert revised["activities"] is (not _one_vintage(store, pids, bound))
    assert not any(v for d, v in revised.items() if d != "activities")  # the other tables are empty
    sql = current_records_sql("rec_activities", key, where, revised["activities"])
    got = con.execute(sql, [bound, pids] * (4 if revised["activities"] else 1)).fetchall()
    want = con.execute(latest_sql("rec_activities", key, where), [bound, pids]).fetchall()
    assert sorted(got, key=repr) == sorted(want, key=repr)
    moved = superseded_all(con, pids, as_of, [d for d, v in revised.items() if v])
    assert moved.schema == superseded_all(con, pids, as_of).schema
    assert sorted(moved.iter_rows()) == sorted(_reference(store, pids, bound))


def _changed_by_reference(df: pl.DataFrame, moved: pl.DataFrame, uses: pl.DataFrame) -> pl.DataFrame:
    """The vintage rule as engine/evaluate._changed_by first wrote it: every row joined to the moved records'
    periods and every row sorted, whatever its kind, before the windows."""
    gone = moved.join(uses, on="dataset").with_columns(
        pl.when(pl.col("_grain") == "year").then(pl.col("date").dt.year().cast(pl.String))
        .otherwise(pl.format("{}-Q{}", pl.col("date").dt.year(), pl.col("date").dt.quarter())).alias("period"))
    gone = gone.group_by("indicator_id", "partnership_id", "period").agg(
        pl.col("vintage_id").max().cast(pl.Int64).alias("_moved"))
    by = ["indicator_id", "partnership_id"]
    df = df.join(gone, on=[*by, "period"], how="left").with_columns(
        pl.max_horizontal(pl.col("vintage_id"), pl.col("_moved")).cast(pl.Int64).alias("vintage_id")).drop("_moved")
    v = pl.col("vintage_id")
    return df.sort(*by, "period").with_columns(
        pl.when(pl.col("_kind") == "in_place").then(v.cum_max().over(by))
        .when(pl.col("_kind") == "growth").then(pl.max_horizontal(v, v.shift(1).over(by)))
        .otherwise(v).alias("vintage_id"))


# An indicator of each kind the rule treats apart, and one it leaves alone; each reads one dataset at one grain.
_KINDS = {"i_place": ("in_place", "activities", "year"), "i_growth": ("growth", "participants", "quarter"),
          "i_count": ("count", "activities", "quarter")}
_PERIOD = {"year": ["2022", "2023", "2024"], "quarter": ["2023-Q4", "2024-Q1", "2024-Q2", "2024-Q3"]}


@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_the_vintage_rule_over_only_the_kinds_that_need_order_is_the_rule(data) -> None:
    from c2c_monitor.engine.evaluate import _changed_by

    rows = []
    for ind, (kind, _, grain) in _KINDS.items():
        for pid in data.draw(st.lists(st.sampled_from(["p1", "p2", "p3"]), unique=True)):
            for period in data.draw(st.lists(st.sampled_from(_PERIOD[grain]), unique=True)):
                rows.append((ind, kind, grain, pid, period, data.draw(st.one_of(st.none(), st.integers(1, 9)))))
    rows = data.draw(st.permutations(rows))  # in any order, as a statement returns them
    df = pl.DataFrame(rows, orient="row", schema={"indicator_id": pl.String, "_kind": pl.String, "_grain": pl.String,
                                                  "partnership_id": pl.String, "period": pl.String,
                                                  "vintage_id": pl.Int64})
    moved = pl.DataFrame(data.draw(st.lists(st.tuples(
        st.sampled_from(["activities", "participants", "budget_lines"]), st.sampled_from(["p1", "p2", "p4"]),
        st.dates(dt.date(2022, 1, 1), dt.date(2024, 12, 31)), st.integers(1, 12)), max_size=6)), orient="row",
        schema={"dataset": pl.String, "partnership_id": pl.String, "date": pl.Date, "vintage_id": pl.Int64})
    uses = pl.DataFrame([(i, d, g) for i, (_, d, g) in _KINDS.items()], orient="row",
                        schema={"indicator_id": pl.String, "dataset": pl.String, "_grain": pl.String})
    key = ["indicator_id", "partnership_id", "period"]
    got = _changed_by(df, moved, uses)
    assert got.schema == _changed_by_reference(df, moved, uses).schema
    assert got.sort(key).to_dicts() == _changed_by_reference(df, moved, uses).sort(key).to_dicts()
