"""Observations stay clustered by city and code across loads, so DuckDB's zone maps skip other cities (issue 19).

Behaviour, not timing: the rows of every vintage are stored in (city, code) order, each row group of a load
covers its own narrow range of cities, and a read of one city scans fewer row groups than the table holds.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from c2c_monitor.definitions.catalog import load_catalogue
from c2c_monitor.ingest.load import ingest
from c2c_monitor.ingest.mapping import Mapping
from c2c_monitor.store.schema import insert_frame
from c2c_monitor.store.workspace import init_workspace, open_workspace

N_CITIES = 300
QUARTERS = [(y, q) for y in (2021, 2022, 2023) for q in (1, 2, 3, 4)]
ROW_GROUP = 122_880  # DuckDB's default row group size


def _city_codes() -> list[tuple[str, float, float]]:
    """Every reported code with a plausible range (annual ones take quarterly values too: they are rolled up)."""
    out = []
    for ind in load_catalogue().ordered:
        if ind.family == "city":
            lo = ind.plausible.min if ind.plausible and ind.plausible.min is not None else 0.0
            hi = ind.plausible.max if ind.plausible and ind.plausible.max is not None else lo + 100.0
            out.append((ind.observation_code, float(lo), float(min(hi, lo + 100.0))))
    return out


def _sdmx(path: Path, seed: int, quarters: list[tuple[int, int]]) -> int:
    """An SDMX-CSV file of every city x code x quarter, its rows shuffled (the store must sort)."""
    rng = random.Random(seed)
    rows = []
    for code, lo, hi in _city_codes():
        for c in range(N_CITIES):
            for y, q in quarters:
                rows.append((f"c{c:06d}", code, f"{y}-Q{q}", round(rng.uniform(lo, hi), 3)))
    rng.shuffle(rows)
    pl.DataFrame(rows, schema=["REF_AREA", "INDICATOR", "TIME_PERIOD", "OBS_VALUE"], orient="row").select(
        pl.lit("dataflow").alias("STRUCTURE"), pl.lit("C2C:C2C_CITY_SDG(1.0)").alias("STRUCTURE_ID"),
        pl.lit("I").alias("ACTION"), "REF_AREA", "INDICATOR", "TIME_PERIOD", "OBS_VALUE").write_csv(path)
    return len(rows)


@pytest.fixture(scope="module")
def two_loads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace after two ingests of shuffled files: a first load, then a revision of every value."""
    tmp = tmp_path_factory.mktemp("order")
    root = tmp / "ws"
    init_workspace(root, "order")
    cat = load_catalogue()
    first, second = tmp / "first.csv", tmp / "second.csv"
    n = _sdmx(first, 1, QUARTERS)
    _sdmx(second, 2, QUARTERS)
    assert n > ROW_GROUP, "each load must span more than one row group for the zone maps to matter"
    with open_workspace(root) as ws:
        insert_frame(ws.con, "cities", pl.DataFrame({"city_id": [f"c{c:06d}" for c in range(N_CITIES)],
                                                     "name": [f"City {c}" for c in range(N_CITIES)]}))
        assert ingest(ws.con, cat, [first], Mapping()).new == n
        assert ingest(ws.con, cat, [second], Mapping()).revised > 0
    return root


def _two_cities_profiled(con: Any, prof: Path) -> tuple[list[Any], dict[str, Any]]:
    """Two neighbouring cities' rows, read with DuckDB's JSON profiler on; the rows and the query's profile."""
    con.execute("PRAGMA enable_profiling = 'json'")
    con.execute(f"PRAGMA profiling_output = '{prof}'")
    rows = con.execute("SELECT * FROM observations WHERE city_id IN (SELECT unnest(?::VARCHAR[]))",
                       [["c000123", "c000124"]]).fetchall()
    con.execute("PRAGMA disable_profiling")
    query: dict[str, Any] = json.loads(prof.read_text())["query"]
    return rows, query

def test_every_vintage_is_stored_in_city_and_code_order(two_loads: Path) -> None:
    with open_workspace(two_loads) as ws:
        vintages = [r[0] for r in ws.con.execute("SELECT DISTINCT vintage_id FROM observations").fetchall()]
        assert len(vintages) == 2
        for vid in vintages:
            keys = ws.con.execute("SELECT city_id, code, year, quarter FROM observations WHERE vintage_id = ? "
                                  "ORDER BY rowid", [vid]).fetchall()
            assert keys == sorted(keys), f"vintage {vid} is not stored in (city, code, period) order"


def _row_group_ranges(con: object) -> list[tuple[str, str]]:
    """(min, max) of city_id in each row group of the observations, from DuckDB's own zone-map statistics."""
    stats = con.execute(  # type: ignore[attr-defined]
        "SELECT row_group_id, stats FROM pragma_storage_info('observations') WHERE column_name = 'city_id' "
        "AND segment_type = 'VARCHAR' ORDER BY row_group_id").fetchall()
    out: dict[int, tuple[str, str]] = {}
    for rg, st in stats:
        lo, hi = st["min"], st["max"]
        prev = out.get(rg)
        out[rg] = (min(lo, prev[0]), max(hi, prev[1])) if prev else (lo, hi)
    return [out[k] for k in sorted(out)]


def test_the_second_load_keeps_row_groups_narrow_and_skippable(two_loads: Path, tmp_path: Path) -> None:
    import duckdb

    con = duckdb.connect(str(two_loads / "workspace.duckdb"), read_only=True)
    try:
        ranges = _row_group_ranges(con)
        assert len(ranges) >= 3
        # In load order every row group would hold (nearly) every city; clustered, each holds a slice of them,
        # but the one row group where the second load starts after the end of the first.
        narrow = [r for r in ranges if not (r[0] <= "c000010" and r[1] >= f"c{N_CITIES - 10:06d}")]
        assert len(narrow) >= len(ranges) - 1, ranges
        rows, query = _two_cities_profiled(con, tmp_path / "profile.json")
    finally:
        con.close()
    assert {r[1] for r in rows} == {"c000123", "c000124"}
    assert query["total_row_groups_scanned"] < query["total_row_groups_to_scan"], query


def test_after_a_rewrite_a_read_of_two_cities_scans_their_row_groups_only(two_loads: Path, tmp_path: Path) -> None:
    """A store whose loads were never rewritten (as one written before the rewrite existed) is rewritten in order
    at its next load: then a city's rows of every vintage are together, and two neighbouring cities are read
    from the one or two row groups that hold them instead of one per vintage."""
    import shutil

    import duckdb

    from c2c_monitor.store.schema import keep_clustered

    db = tmp_path / "workspace.duckdb"
    shutil.copy(two_loads / "workspace.duckdb", db)
    con = duckdb.connect(str(db))
    try:
        con.execute("DELETE FROM meta WHERE key = 'clustered_rows:observations'")
        last = con.execute("SELECT count(*) FROM observations WHERE vintage_id = "
                           "(SELECT max(vintage_id) FROM observations)").fetchall()[0][0]
        before = _row_group_ranges(con)
        assert keep_clustered(con, "observations", last)
        assert con.execute("SELECT value FROM meta WHERE key = 'clustered_rows:observations'").fetchall()[0][0] \
            == str(con.execute("SELECT count(*) FROM observations").fetchall()[0][0])
        keys = con.execute("SELECT city_id, code, disagg, year, quarter, vintage_id FROM observations "
                           "ORDER BY rowid").fetchall()
        assert keys == sorted(keys)
        rows, query = _two_cities_profiled(con, tmp_path / "profile.json")
    finally:
        con.close()
    assert {r[1] for r in rows} == {"c000123", "c000124"}
    # Before: each of the two vintages held the two cities in a row group of its own.
    assert sum(1 for lo, hi in before if lo <= "c000124" and hi >= "c000123") >= 2, before
    assert query["total_row_groups_to_scan"] >= 3, query
    assert query["total_row_groups_scanned"] <= 2, query


def _tiny_sdmx(path: Path, quarter: tuple[int, int], cities: range) -> int:
    code = _city_codes()[0][0]
    pl.DataFrame({"REF_AREA": [f"c{c:06d}" for c in cities]}).select(
        pl.lit("dataflow").alias("STRUCTURE"), pl.lit("C2C:C2C_CITY_SDG(1.0)").alias("STRUCTURE_ID"),
        pl.lit("I").alias("ACTION"), "REF_AREA", pl.lit(code).alias("INDICATOR"),
        pl.lit(f"{quarter[0]}-Q{quarter[1]}").alias("TIME_PERIOD"), pl.lit(1.5).alias("OBS_VALUE")).write_csv(path)
    return len(cities)


def test_the_table_is_rewritten_when_the_loads_since_the_last_rewrite_double_it(tmp_path: Path) -> None:
    """A load into an empty table is one sorted run; later loads append sorted runs until they hold as many rows
    as the last rewrite sorted, then the whole table is rewritten in (city, code, period, vintage) order."""
    from c2c_monitor.store import schema

    root = tmp_path / "ws"
    init_workspace(root, "doubling")
    rewrites: list[bool] = []
    real = schema.keep_clustered

    def spy(con: object, table: str, appended: int) -> bool:
        rewrites.append(real(con, table, appended))  # type: ignore[arg-type]
        return rewrites[-1]

    sizes = [40, 10, 10, 25, 5]  # rows per load; totals 40, 50, 60, 85, 90
    with open_workspace(root) as ws, pytest.MonkeyPatch.context() as mp:
        mp.setattr("c2c_monitor.ingest.load.keep_clustered", spy)
        insert_frame(ws.con, "cities", pl.DataFrame({"city_id": [f"c{c:06d}" for c in range(40)],
                                                     "name": [f"City {c}" for c in range(40)]}))
        for i, n in enumerate(sizes):
            path = tmp_path / f"load{i}.csv"
            _tiny_sdmx(path, (2020 + i, 1), range(n))
            assert ingest(ws.con, load_catalogue(), [path], Mapping()).new == n
        keys = ws.con.execute("SELECT city_id, code, year, quarter, vintage_id FROM observations "
                              "ORDER BY rowid").fetchall()
        clustered = ws.con.execute("SELECT value FROM meta WHERE key = 'clustered_rows:observations'").fetchall()
    # 40 sorted; +10 +10 = 20 < 40 appended; +25 = 45 >= 40: rewrite of 85; +5 appended.
    assert rewrites == [False, False, False, True, False]
    assert clustered == [("85",)]
    assert keys[:85] == sorted(keys[:85]) and keys[85:] == sorted(keys[85:]) and keys != sorted(keys)
