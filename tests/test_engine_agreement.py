"""Two engines, one answer: polars and DuckDB agree on generated data and on the demo."""

from __future__ import annotations

import datetime as dt
import math

import duckdb
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from c2c_monitor.definitions.catalog import load_catalogue
from c2c_monitor.definitions.records import DATASETS, SQL_TYPES
from c2c_monitor.engine import duckdb_backend, polars_backend
from c2c_monitor.engine.evaluate import evaluate
from c2c_monitor.engine.spec import plan_for
from c2c_monitor.store.workspace import open_workspace

CAT = load_catalogue()
COMPUTED = [i for i in CAT.ordered if i.family == "partnership"]
POLARS_TYPES = {"str": pl.String, "int": pl.Int64, "float": pl.Float64, "bool": pl.Boolean, "date": pl.Date}


def _value(col, draw):
    if col.name == "partnership_id":
        return draw(st.sampled_from(["p1", "p2", "p3"]))
    if col.name == "date":
        return draw(st.dates(dt.date(2021, 1, 1), dt.date(2024, 12, 31)))
    nullable = st.none() if not col.required else st.nothing()
    if col.choices:
        return draw(st.sampled_from(col.choices) | nullable)
    if col.type == "int":
        return draw(st.integers(0, 20) | nullable)
    if col.type == "float":
        return draw(st.sampled_from([0.0, 0.5, 1.0, 1e6]) | st.floats(0, 1e5) | nullable)
    if col.type == "bool":
        return draw(st.booleans() | nullable)
    return draw(st.text("abc", min_size=1, max_size=3))


@st.composite
def datasets(draw):
    frames = {}
    for ds in DATASETS.values():
        n = draw(st.integers(0, 25))
        rows = [{c.name: _value(c, draw) for c in ds.columns} | {"vintage_id": draw(st.integers(1, 3))}
                for _ in range(n)]
        schema = {c.name: POLARS_TYPES[c.type] for c in ds.columns} | {"vintage_id": pl.Int64}
        frames[ds.name] = pl.DataFrame(rows, schema=schema)
    pops = pl.DataFrame({"partnership_id": ["p1", "p2", "p3"],
                         "population": [draw(st.sampled_from([0.0, 1e5, 2.5e6])) for _ in range(3)]})
    return frames, pops


def _same(a: pl.DataFrame, b: pl.DataFrame) -> None:
    keys = ["partnership_id", "period", "reason", "coverage", "vintage_id"]
    assert a.select(keys).to_dicts() == b.select(keys).to_dicts()
    for x, y in zip(a["value"].to_list(), b["value"].to_list(), strict=True):
        if x is None or y is None:
            assert x is None and y is None
        else:
            assert math.isfinite(x) and math.isfinite(y)
            assert x == pytest.approx(y, rel=1e-9, abs=1e-9)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(datasets())
def test_backends_agree_on_generated_records(data) -> None:
    frames, pops = data
    con = duckdb.connect()
    for name, df in frames.items():
        cols = ", ".join(f'"{c.name}" {SQL_TYPES[c.type]}' for c in DATASETS[name].columns)
        con.execute(f"CREATE TABLE t_{name} ({cols}, vintage_id BIGINT)")
        if df.height:
            con.register("_df", df)
            con.execute(f"INSERT INTO t_{name} SELECT * FROM _df")
            con.unregister("_df")
    con.register("_pops", pops)
    con.execute("CREATE TABLE pops AS SELECT * FROM _pops")
    tables = {d: f"t_{d}" for d in DATASETS}
    for ind in COMPUTED:
        for grain in ("quarter", "year"):
            plan = plan_for(ind)
            a = polars_backend.evaluate_plan(plan, frames, grain, pops)
            b = duckdb_backend.evaluate_plan(plan, con, tables, grain, "pops")
            _same(a, b)


def test_backends_agree_on_every_indicator_of_the_demo(demo_ws) -> None:
    with open_workspace(demo_ws) as ws:
        ids = [r[0] for r in ws.con.execute("SELECT partnership_id FROM partnerships").fetchall()]
        inds = CAT.select("long")
        a = evaluate(ws.con, inds, ids, backend="polars")
        b = evaluate(ws.con, inds, ids, backend="duckdb")
    assert a.height > 5000
    assert a.drop("value").to_dicts() == b.drop("value").to_dicts()
    for x, y in zip(a["value"].to_list(), b["value"].to_list(), strict=True):
        assert (x is None and y is None) or x == pytest.approx(y, rel=1e-9)


def test_zero_denominator_is_missing_with_a_reason_not_inf() -> None:
    share = CAT.indicators["capacity_budget_share"]
    frames = {d: pl.DataFrame(schema={c.name: POLARS_TYPES[c.type] for c in DATASETS[d].columns}
                              | {"vintage_id": pl.Int64}) for d in DATASETS}
    frames["budget_lines"] = pl.DataFrame({
        "line_id": ["l1"], "partnership_id": ["p"], "date": [dt.date(2024, 2, 1)], "city_id": ["c"],
        "city_role": ["partner"], "category": ["studies"], "source": ["eu_grant"], "amount_eur": [0.0],
        "vintage_id": [1]})
    out = polars_backend.evaluate_plan(plan_for(share), frames, "year")
    assert out["value"].to_list() == [None]
    assert out["reason"].to_list() == ["missing: zero denominator"]


def test_hand_worked_case_share_and_ratio() -> None:
    """Two budget lines worked out by hand: 30 of 120 on capacity building = 25 %; 20 / 100 leverage."""
    bl = pl.DataFrame({
        "line_id": ["a", "b", "c"], "partnership_id": ["p"] * 3,
        "date": [dt.date(2023, 1, 5), dt.date(2023, 5, 5), dt.date(2023, 11, 5)],
        "city_id": ["x"] * 3, "city_role": ["partner"] * 3,
        "category": ["capacity_building", "studies", "digital"],
        "source": ["eu_grant", "eu_grant", "private"], "amount_eur": [30.0, 70.0, 20.0], "vintage_id": [1, 1, 2]})
    frames = {"budget_lines": bl}
    share = polars_backend.evaluate_plan(plan_for(CAT.indicators["capacity_budget_share"]), frames, "year")
    assert share.row(0, named=True) == {"partnership_id": "p", "period": "2023", "value": 25.0,
                                        "reason": None, "coverage": 0.75, "vintage_id": 2}
    lev = polars_backend.evaluate_plan(plan_for(CAT.indicators["cofinancing_leverage"]), frames, "year")
    assert lev["value"].to_list() == [pytest.approx(0.2)]


def test_in_place_stays_in_place_over_the_activity_calendar() -> None:
    def frame(name: str, rows: list[dict]) -> pl.DataFrame:
        schema = {c.name: POLARS_TYPES[c.type] for c in DATASETS[name].columns} | {"vintage_id": pl.Int64}
        return pl.DataFrame(rows, schema=schema)

    frames = {d: frame(d, []) for d in DATASETS}
    frames["activities"] = frame("activities", [
        {"activity_id": f"a{y}", "partnership_id": "p", "date": dt.date(y, 5, 1), "city_id": "c", "type": "workshop",
         "scope": "city", "vintage_id": 1} for y in (2022, 2023, 2024)])
    frames["digital_tools"] = frame("digital_tools", [
        {"tool_id": "t", "partnership_id": "p", "date": dt.date(2023, 3, 1), "city_id": "c", "kind": "platform",
         "status": "live", "vintage_id": 1}])
    out = polars_backend.evaluate_plan(plan_for(CAT.indicators["interactive_platform"]), frames, "year")
    assert dict(zip(out["period"], out["value"], strict=True)) == {"2022": 0.0, "2023": 1.0, "2024": 1.0}


def test_cities_evaluated_in_slices_give_the_same_answer(demo_ws, monkeypatch) -> None:
    """A national run queries its cities a slice at a time; slicing must not change any row or its order."""
    from c2c_monitor.engine import evaluate as ev

    with open_workspace(demo_ws) as ws:
        ids = [r[0] for r in ws.con.execute("SELECT partnership_id FROM partnerships").fetchall()]
        inds = CAT.select("long")
        whole = evaluate(ws.con, inds, ids, backend="duckdb")
        monkeypatch.setattr(ev, "CITY_SERIES_PER_QUERY", 100)  # two cities a slice with the long list's codes
        sliced = evaluate(ws.con, inds, ids, backend="duckdb")
    assert whole.filter(pl.col("city_id").is_not_null()).height > 1000
    assert sliced.to_dicts() == whole.to_dicts()


@pytest.mark.parametrize("backend", ["duckdb", "polars"])
def test_partnerships_without_records_give_what_the_records_statement_gives(demo_copy, monkeypatch, backend) -> None:
    """With no stored record of the partnerships (as of the vintage asked for), the records statement is not run:
    the evaluation must be the one it gives when run anyway, and a partnership with records still runs it."""
    from c2c_monitor.engine import evaluate as ev

    inds = CAT.select("long")
    engine_held = ev.records_held

    def holds(con, pids, datasets, bound) -> bool:  # noqa: ANN001 - the engine's own question, as a yes or no
        return engine_held(con, pids, datasets, bound) is not None

    with open_workspace(demo_copy) as ws:
        con = ws.con
        held = con.execute(" UNION ".join(f"SELECT partnership_id FROM rec_{d}" for d in DATASETS)).fetchall()
        with_records = sorted(r[0] for r in held)
        first = con.execute("SELECT min(vintage_id) FROM (" + " UNION ALL ".join(
            f"SELECT vintage_id FROM rec_{d}" for d in DATASETS) + ")").fetchall()[0][0]
        pid = with_records[0]
        for d in DATASETS:  # one partnership loses its records; another keeps them
            con.execute(f"DELETE FROM rec_{d} WHERE partnership_id = ?", [pid])
        cases = [([pid], None), (with_records[:3], first - 1)]  # no records at all; none yet as of that vintage
        for pids, as_of in cases:
            assert holds(con, pids, sorted(DATASETS), ev.vintage_bound(as_of)) is False
            skipped = evaluate(con, inds, pids, as_of=as_of, backend=backend)
            # Forced: the records statement runs as if a row were held (no dataset then counts as revised).
            monkeypatch.setattr(ev, "records_held", lambda con, pids, used, bound: dict.fromkeys(used, False))
            forced = evaluate(con, inds, pids, as_of=as_of, backend=backend)
            monkeypatch.setattr(ev, "records_held", engine_held)
            assert skipped.to_dicts() == forced.to_dicts()
            assert skipped.height > 0 or as_of is not None  # the city indicators are still there
        assert holds(con, with_records[1:2], sorted(DATASETS), ev.vintage_bound(None)) is True
        kept = evaluate(con, inds, with_records[1:2], backend=backend)
        assert kept.filter(pl.col("city_id").is_null() & pl.col("value").is_not_null()).height > 0
