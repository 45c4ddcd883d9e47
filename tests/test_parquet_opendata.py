"""Open data as Parquet (`c2c publish --parquet`, issue 19): described in the data package, frictionless-valid,
sorted by city and indicator, and holding the same values as the CSV copy."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from .conftest import run_c2c

PIDS = ["bonn-cape-coast", "lyon-porto-novo"]


@pytest.fixture(scope="module")
def site(demo_ws: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("parquet") / "site"
    res = run_c2c("publish", *PIDS, "-w", str(demo_ws), "-o", str(out), "--no-pdf", "--parquet", "-q")
    assert res.returncode == 0, res.stderr
    return out


def test_the_package_describes_the_parquet_files_and_stays_valid(site: Path) -> None:
    frictionless = pytest.importorskip("frictionless")
    pkg = json.loads((site / "datapackage.json").read_text(encoding="utf-8"))
    parquet = {r["name"]: r for r in pkg["resources"] if r.get("format") == "parquet"}
    assert set(parquet) == {"indicators-parquet", "observations-parquet"}
    for r in parquet.values():
        assert (site / r["path"]).is_file()
        assert [f["name"] for f in r["schema"]["fields"]], r
    report = frictionless.validate(site / "datapackage.json")
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:5]


def test_parquet_holds_the_csv_values_sorted_by_city_and_indicator(site: Path) -> None:
    con = duckdb.connect()
    pq = str(site / "data" / "parquet" / "indicators.parquet")
    csv = str(site / "data" / "indicators.csv")
    cols = "partnership_id, indicator_id, city_id, period, value, score"
    from_pq = con.execute(f"SELECT {cols} FROM read_parquet(?) ORDER BY ALL", [pq]).fetchall()
    from_csv = con.execute(f"SELECT {cols} FROM read_csv(?, all_varchar = false) ORDER BY ALL", [csv]).fetchall()
    assert from_pq == from_csv and len(from_pq) > 50
    order = con.execute("SELECT city_id, indicator_id FROM read_parquet(?)", [pq]).fetchall()
    keyed = [(c or "\uffff", i) for c, i in order]  # nulls (partnership indicators) last
    assert keyed == sorted(keyed)
    obs = con.execute("SELECT DISTINCT city_id FROM read_parquet(?)",
                      [str(site / "data" / "parquet" / "observations.parquet")]).fetchall()
    assert {r[0] for r in obs} <= {r[0] for r in con.execute("SELECT DISTINCT city_id FROM read_csv(?)",
                                                             [csv]).fetchall()}
