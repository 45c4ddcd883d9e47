"""A records re-import that moves a record to another date changes the period it left: that period's figures
name the re-import's vintage, in both backends (they claimed the older vintage before)."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

PID = "bonn-cape-coast"


@pytest.mark.parametrize("backend", ["duckdb", "polars"])
def test_a_record_moved_by_a_reimport_dates_the_period_it_left(demo_copy, tmp_path, backend) -> None:
    from c2c_monitor.definitions.catalog import load_catalogue
    from c2c_monitor.engine.evaluate import evaluate
    from c2c_monitor.engine.spec import grain_for, plan_for
    from c2c_monitor.ingest.records import import_records
    from c2c_monitor.store.workspace import open_workspace

    cat = load_catalogue()
    # Yearly counts or shares of all activities' rows: moving one activity changes its old year's figure.
    inds = [i for i in cat.indicators.values() if i.family == "partnership" and grain_for(i) == "year"
            and plan_for(i).kind in ("count", "share") and {a.dataset for a in plan_for(i).aggs} == {"activities"}]
    assert inds
    with open_workspace(demo_copy) as ws:
        acts = ws.con.sql("SELECT * EXCLUDE (vintage_id) FROM rec_activities WHERE partnership_id = ?",
                          params=[PID]).pl()
        before = evaluate(ws.con, inds, [PID], backend=backend)
    first_year = acts["date"].min().year
    moved = acts.filter(pl.col("date").dt.year() == first_year)["activity_id"][0]
    acts = acts.with_columns(pl.when(pl.col("activity_id") == moved).then(pl.lit(dt.date(first_year + 2, 6, 1)))
                             .otherwise(pl.col("date")).alias("date"))
    acts.write_csv(tmp_path / "activities.csv")
    with open_workspace(demo_copy) as ws:
        vid = import_records(ws.con, "activities", tmp_path / "activities.csv")["vintage_id"]
        after = evaluate(ws.con, inds, [PID], backend=backend)
    old, new = str(first_year), str(first_year + 2)
    b = {(r["indicator_id"], r["period"]): r for r in before.iter_rows(named=True)}
    checked = 0
    for r in after.iter_rows(named=True):
        prev = b.get((r["indicator_id"], r["period"]))
        if r["period"] in (old, new):
            assert r["vintage_id"] == vid, r
            checked += prev is not None and prev["value"] != r["value"]
        elif prev is not None:  # untouched periods keep the vintage they had
            assert r["vintage_id"] == prev["vintage_id"] < vid, r
    assert checked  # at least one figure of the year the activity left did change
