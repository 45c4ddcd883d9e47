"""Published open data read by the tools other people use: frictionless, sdmx1, and c2c's own Open SDG reader.

The workspace is the demo plus disaggregated series (sex and age, in c2c's words and as SDMX codes) and a
series disaggregated by `City`, the name of a column of the Open SDG layout (what re-ingesting an old
export with a hand map stored, and what made the next publish crash).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest

from c2c_monitor.store.schema import insert_frame
from c2c_monitor.store.workspace import init_workspace, open_workspace

from .conftest import run_c2c

KEY = ["code", "city_id", "period", "disagg"]
LONG = ("indicator,area,period,value,unit,obs_status,disaggregation\n"
        "unemployment_rate,bonn,2024-Q3,5.8,percent,P,sex=female\n"
        "unemployment_rate,bonn,2024-Q3,6.3,percent,,sex=male\n"
        "poverty_rate,bonn,2023,12.5,percent,,age=15-24|sex=female\n"
        "poverty_rate,bonn,2023,9.75,percent,E,age=65+\n")
SDMX = ("STRUCTURE,STRUCTURE_ID,ACTION,REF_AREA,INDICATOR,SEX,AGE,TIME_PERIOD,OBS_VALUE,UNIT_MEASURE,OBS_STATUS\n"
        "dataflow,X:Y(1.0),I,cape-coast,poverty_rate,M,Y_LT15,2022,21.0,PT,\n")


def _current(ws: Path) -> pl.DataFrame:
    with open_workspace(ws) as w:
        return w.con.sql("SELECT code, city_id, period, disagg, value, obs_status FROM cur_observations "
                         "WHERE action <> 'D' ORDER BY ALL").pl()


@pytest.fixture(scope="module")
def published(demo_ws: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("opendata")
    ws = root / "ws"
    shutil.copytree(demo_ws, ws)
    (root / "long.csv").write_text(LONG, encoding="utf-8")
    (root / "sdmx.csv").write_text(SDMX, encoding="utf-8")
    for f in ("long.csv", "sdmx.csv"):
        res = run_c2c("ingest", str(root / f), "-w", str(ws))
        assert res.returncode == 0, res.stderr
    clash = root / "clash" / "data"
    clash.mkdir(parents=True)
    (clash / "indicator_8-5-2.csv").write_text("Year,City,Units,Value\n2021,Bonn,percent,7.5\n", encoding="utf-8")
    res = run_c2c("ingest", str(clash.parent), "-w", str(ws), "--city", "bonn",
                  "--map-indicator", "8-5-2=unemployment_rate")
    assert res.returncode == 0, res.stderr
    res = run_c2c("publish", "bonn-cape-coast", "lyon-porto-novo", "-w", str(ws), "-o", str(root / "site"))
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr
    # The series named like an Open SDG column is left out of that export, and publish says so.
    assert "disaggregation 'City' is named like a column of the Open SDG layout" in res.stderr
    return ws, root / "site"


def test_the_stored_disaggregations_are_in_c2cs_words(published) -> None:
    ws, _ = published
    keys = set(_current(ws)["disagg"].to_list())
    assert {"sex=female", "sex=male", "age=15-24|sex=female", "age=65+", "age=<15|sex=male", "City=Bonn"} <= keys


def test_frictionless_validates_the_published_package(published) -> None:
    frictionless = pytest.importorskip("frictionless")
    _, site = published
    report = frictionless.validate(site / "datapackage.json")
    errors = [(t.name, e.type, e.note) for t in report.tasks for e in t.errors][:5] + \
        [("package", e.type, e.note) for e in report.errors][:5]
    assert report.valid, errors
    pkg = frictionless.Package(site / "datapackage.json")
    sdmx = pkg.get_resource("observations-sdmx")
    period = next(f for f in sdmx.schema.fields if f.name == "TIME_PERIOD")
    assert period.type == "string" and period.constraints["pattern"]
    due = next(f for f in pkg.get_resource("actions").schema.fields if f.name == "due")
    assert due.type == "date"
    assert pkg.get_resource("indicators").schema.foreign_keys[0]["reference"]["resource"] == "partnerships"
    assert any(r.path.endswith(".pdf") for r in pkg.resources)
    for r in pkg.resources:
        if r.path.endswith(".csv"):
            assert r.schema.missing_values == [""], r.name


def test_frictionless_catches_a_period_that_is_not_sdmx(published, tmp_path) -> None:
    # The check above could pass on a schema that says nothing: a broken period must fail it.
    frictionless = pytest.importorskip("frictionless")
    _, site = published
    copy = tmp_path / "site"
    shutil.copytree(site / "data", copy / "data")
    shutil.copy(site / "datapackage.json", copy)
    f = copy / "data" / "sdmx" / "observations.csv"
    lines = f.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace(",A,", ",A,", 1).replace(",_T,_T,", ",_T,_T,2022Q1-", 1)
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = frictionless.validate(copy / "datapackage.json")
    types = {e.type for t in report.tasks for e in t.errors}
    assert not report.valid and "constraint-error" in types


def test_sdmx1_reads_data_with_its_structure_and_every_value_is_the_workspaces(published) -> None:
    sdmx = pytest.importorskip("sdmx")
    ws, site = published
    structure = sdmx.read_sdmx(site / "data" / "sdmx" / "structure.xml")
    flow = structure.dataflow["C2C_CITY_SDG"]
    dsd = flow.structure
    assert [d.id for d in dsd.dimensions] == ["FREQ", "REF_AREA", "INDICATOR", "SEX", "AGE", "TIME_PERIOD"]
    msg = sdmx.read_sdmx(site / "data" / "sdmx" / "observations.csv", structure=flow)
    codelists = {d.id: {c.id for c in d.local_representation.enumerated}
                 for d in dsd.dimensions if d.id != "TIME_PERIOD"}
    units = {c.id for c in structure.codelist["CL_UNIT_MEASURE"]}
    statuses = {c.id for c in structure.codelist["CL_OBS_STATUS"]}
    words = {"F": "female", "M": "male"}
    ages = {"Y15T24": "15-24", "Y_GE65": "65+", "Y_LT15": "<15"}
    got = {}
    for ds in msg.data:
        for o in ds.obs:
            key = {k: v.value for k, v in o.dimension.values.items()}
            for dim, codes in codelists.items():
                assert key[dim] in codes, (dim, key[dim])
            assert key["FREQ"] == ("Q" if "-Q" in key["TIME_PERIOD"] else "A")
            assert o.attrib["UNIT_MEASURE"].value in units
            status = o.attrib["OBS_STATUS"].value or None
            assert status is None or status in statuses
            parts = ([f"age={ages[key['AGE']]}"] if key["AGE"] != "_T" else []) + \
                ([f"sex={words[key['SEX']]}"] if key["SEX"] != "_T" else [])
            value = None if o.value in (None, "") else float(o.value)
            got[(key["INDICATOR"], key["REF_AREA"], key["TIME_PERIOD"], "|".join(parts))] = (value, status)
    cur = _current(ws)
    cities = set(pl.read_csv(site / "data" / "sdmx" / "observations.csv", infer_schema=False)["REF_AREA"])
    want = {tuple(r[:4]): (r[4], r[5]) for r in cur.filter(pl.col("city_id").is_in(list(cities))
                                                            & ~pl.col("disagg").str.contains("City=")).rows()}
    assert len(got) == len(want) > 500
    assert got == want
    assert ("unemployment_rate", "bonn", "2024-Q3", "sex=female") in got  # a disaggregated series came through


def test_sdmx_column_set_is_the_dsds_whatever_the_data(published, tmp_path) -> None:
    _, site = published
    header = (site / "data" / "sdmx" / "observations.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == ("STRUCTURE,STRUCTURE_ID,ACTION,FREQ,REF_AREA,INDICATOR,SEX,AGE,TIME_PERIOD,OBS_VALUE,"
                      "UNIT_MEASURE,OBS_STATUS")


def _fresh_like(ws: Path, root: Path) -> Path:
    """A new workspace with the same cities and no observation."""
    fresh = root / "fresh"
    init_workspace(fresh)
    with open_workspace(ws) as src:
        cities = src.con.sql("SELECT * FROM cities").pl()
    with open_workspace(fresh) as w:
        insert_frame(w.con, "cities", cities)
    return fresh


@pytest.mark.parametrize("export", ["open-sdg", "sdmx/observations.csv"])
def test_published_export_loads_the_same_values_into_a_fresh_workspace_without_a_map(published, tmp_path,
                                                                                     export) -> None:
    ws, site = published
    fresh = _fresh_like(ws, tmp_path)
    res = run_c2c("ingest", str(site / "data" / export), "-w", str(fresh))
    assert res.returncode == 0, res.stderr
    assert "not mapped" not in res.stderr
    cities = set(pl.read_csv(site / "data" / "sdmx" / "observations.csv", infer_schema=False)["REF_AREA"])
    want = _current(ws).filter(pl.col("city_id").is_in(list(cities)) & ~pl.col("disagg").str.contains("City="))
    got = _current(fresh)
    assert got.height > 500 and got.equals(want)


@pytest.mark.parametrize("export", ["open-sdg", "sdmx/observations.csv"])
def test_published_export_loaded_into_its_own_workspace_adds_nothing(published, tmp_path, export) -> None:
    ws, site = published
    copy = tmp_path / "ws"
    shutil.copytree(ws, copy)
    before = _current(copy)
    res = run_c2c("ingest", str(site / "data" / export), "-w", str(copy))
    assert res.returncode == 1, res.stderr  # loads nothing: not a success for a script
    assert "new 0, revised 0" in res.stderr and "nothing new" in res.stderr
    assert _current(copy).equals(before)
    # ... and the workspace publishes again.
    res = run_c2c("publish", "bonn-cape-coast", "-w", str(copy), "-o", str(tmp_path / "again"), "--no-pdf", "-q")
    assert res.returncode == 0, res.stderr


def test_open_sdg_layout_is_what_sdg_build_reads(published) -> None:
    import yaml

    _, site = published
    root = site / "data" / "open-sdg"
    data = sorted((root / "data").glob("indicator_*.csv"))
    assert data and {p.name.removeprefix("indicator_").removesuffix(".csv") for p in data} == \
        {p.stem for p in (root / "meta").glob("*.md")}
    quarterly = pl.read_csv(root / "data" / "indicator_8-5-2.csv", infer_schema=False)
    assert quarterly.columns[:2] == ["Year", "Quarter"]
    assert quarterly["Year"].str.contains(r"^\d{4}$").all()
    assert set(quarterly["Quarter"].drop_nulls()) <= {"1", "2", "3", "4"}
    assert {"sex", "Units", "Value", "GeoCode"} <= set(quarterly.columns)
    text = (root / "meta" / "8-5-2.md").read_text(encoding="utf-8")
    front = yaml.safe_load(text.split("---")[1])
    assert front["indicator_number"] == "8.5.2" and front["computation_units"] == "percent"
    assert front["source_organisation_1"] and front["graph_target_lines"][0]["value"] == 3
    assert front["c2c_monitor"]["indicators"] == ["unemployment_rate"]
