"""The SDMX data-entry workbook (a `Parameters` sheet saying where each concept is, wide data sheets):
Rwanda's 2025_RW-SDG_Data.xlsx as the office publishes it, against its SDMX-ML message; workbooks built
here for every layout the format allows and every fault it can have.

Expected values come from the files (openpyxl and lxml read them here), never from the code under test.
"""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from c2c_monitor.ingest.readers import detect_format
from c2c_monitor.ingest.sdmx_ml import read_sdmx_ml
from c2c_monitor.ingest.sdmx_workbook import column_index, column_letter, read_sdmx_workbook
from c2c_monitor.ingest.textfile import ReadError
from tests.conftest import run_c2c
from tests.test_ingest import state
from tests.test_map_suggest import c2c
from tests.test_map_suggest_sdmx import _xml_series
from tests.test_sdmx_ml import DATA, DSD, PARTNERSHIPS, RWANDA

XLSX = RWANDA / "data" / "2025_RW-SDG_Data.xlsx"


def _observations(ws: Path) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(ws / "workspace.duckdb"), read_only=True)
    try:
        return con.execute("SELECT code, city_id, period, disagg, value, unit, obs_status FROM observations "
                           "ORDER BY ALL").fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def two_ws(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """Two workspaces with the Lyon–Kigali partnership: the workbook ingested through the CLI into the first
    (what it printed returned), the SDMX-ML message into the second."""
    from c2c_monitor.ingest.partnerships import import_partnerships
    from c2c_monitor.store.workspace import init_workspace, open_workspace

    roots = []
    for name in ("xlsx", "xml"):
        root = tmp_path_factory.mktemp(f"kigali-{name}") / "ws"
        init_workspace(root, "kigali")
        (root.parent / "p.csv").write_text(PARTNERSHIPS, encoding="utf-8")
        with open_workspace(root) as w:
            import_partnerships(w.con, root.parent / "p.csv")
        roots.append(root)
    rc, out, err = c2c("ingest", str(XLSX), "-w", str(roots[0]))
    assert rc == 0, err
    out += err  # the notes
    rc, _, err = c2c("ingest", str(DATA), "-w", str(roots[1]))
    assert rc == 0, err
    return roots[0], roots[1], out


def test_rwandas_workbook_is_recognised_by_its_parameters_sheet(tmp_path: Path) -> None:
    assert detect_format(XLSX) == "sdmx-xlsx"
    plain = tmp_path / "long.xlsx"
    wb = Workbook()
    wb.active.append(["indicator", "area", "period", "value"])
    wb.create_sheet("Notes").append(["Element", "Type"])  # no Parameters sheet: the long format
    wb.save(plain)
    assert detect_format(plain) == "xlsx"


def test_the_workbook_loads_kigalis_rows_by_the_dsds_area_name(two_ws: tuple[Path, Path, str]) -> None:
    xlsx_ws, _, out = two_ws
    assert "area '1' (City of Kigali) read as city 'kigali' by its code-list name" in out
    assert "structure read from RWA_2025_SDG DSD.xml" in out
    rows = _observations(xlsx_ws)
    assert rows and {r[1] for r in rows} == {"kigali"}
    # The headline SI_POV_NAHC of area 1, as the office's XML message gives it.
    _, _, poverty = _xml_series()
    got = {r[2]: r[4] for r in rows if r[0] == "poverty_rate" and r[3] == ""}
    assert got == {p: float(v) for p, v in poverty.items()}
    assert {r[5] for r in rows} == {"PT"} and {r[6] for r in rows} == {"A"}


def test_the_workbook_and_the_xml_message_load_the_same_kigali_observations(two_ws: tuple[Path, Path, str]) -> None:
    xlsx_ws, xml_ws, _ = two_ws
    assert _observations(xlsx_ws) == _observations(xml_ws)


def _cells() -> dict[tuple[str, str, str, str], Any]:
    """Every observation of the workbook read with openpyxl here: (SERIES, REF_AREA, year, the other dimension
    cells) -> the cell's value; the columns are those its Parameters sheet names."""
    wb = load_workbook(XLSX, read_only=True, data_only=True)
    rows = list(wb["Data"].iter_rows(values_only=True))
    wb.close()
    years = rows[0][21:46]  # V1:AT1, DataStart V2 and NumColumns 25
    out = {}
    for row in rows[1:]:
        dims = "|".join(str(row[column_index(c) - 1]) for c in "TRLNGD")  # SEX AGE URBANISATION ...
        for year, v in zip(years, row[21:46], strict=True):
            if v is not None:
                out[(row[2], str(row[7]), str(year), dims)] = v
    return out


def test_where_the_offices_two_files_differ_the_message_rounded_to_one_decimal() -> None:
    """The workbook is read as it is. Its values are those of the XML message for Kigali, but nationally 270
    observations differ: 251 hold more decimals than the message, which gives them rounded to one (half up),
    and 19 are binary remainders of a spreadsheet computation (14.000000000000002 for the message's 14.0)."""
    cells = _cells()
    frame = read_sdmx_workbook(XLSX).frame
    assert frame.height == len(cells) == 2330
    xml, _ = read_sdmx_ml(DATA)
    keys = ["source_code", "area", "period", "disagg"]
    joined = frame.join(xml, on=keys, suffix="_xml")
    assert joined.height == xml.height == 2330  # the same observations, key by key
    differ = [(a, b, area) for a, b, area in joined.select("value", "value_xml", "area").rows()
              if float(a) != float(b)]
    assert len(differ) == 270 and all(area != "1" for _, _, area in differ)
    assert sum(abs(float(a) - float(b)) > 1e-9 for a, b, _ in differ) == 251
    for a, b, _ in differ:
        assert Decimal(a).quantize(Decimal("0.1"), ROUND_HALF_UP) == Decimal(b).quantize(Decimal("0.1"))
    assert sorted(float(v) for v in frame["value"]) == sorted(float(v) for v in cells.values())


def test_the_kigali_partnership_is_assessed_from_the_workbook(two_ws: tuple[Path, Path, str]) -> None:
    xlsx_ws, _, _ = two_ws
    rc, res, err = c2c("assess", "lyon-kigali", "-w", str(xlsx_ws), "--list", "long", "--format", "json")
    assert rc == 0, err
    _, _, poverty = _xml_series()
    row = next(i for i in json.loads(res)["indicators"] if i["id"] == "poverty_rate" and i["city_id"] == "kigali")
    assert (row["period"], row["value"]) == (max(poverty), float(poverty[max(poverty)]))


def test_map_suggest_drafts_a_mapping_from_the_workbook(two_ws: tuple[Path, Path, str], tmp_path: Path) -> None:
    _, xml_ws, _ = two_ws
    out = tmp_path / "rwanda.yaml"
    rc, _, err = c2c("map", "suggest", str(XLSX), "--city", "kigali", "-w", str(xml_ws), "-o", str(out))
    assert rc == 0, err
    text = out.read_text(encoding="utf-8")
    m = yaml.safe_load(text)
    codes, kigali, _ = _xml_series()
    assert set(m["indicators"]) == codes  # the same SERIES codes as the XML message
    assert m["areas"] == {"1": "kigali"} and "'City of Kigali' in the code list" in text
    assert m["indicators"]["SI_POV_NAHC"]["indicator"] == "poverty_rate"
    rc, check, err = c2c("map", "check", str(out), str(XLSX), "-w", str(xml_ws))
    assert rc == 0, err
    assert "poverty_rate" in check


# --- workbooks built here ---------------------------------------------------------------------------
PARAMS = [["SERIES", "DIM", "COLUMN", "A"], ["REF_AREA", "DIM", "COLUMN", "B"], ["SEX", "DIM", "COLUMN", "C"],
          ["TIME_PERIOD", "DIM", "ROW", 1], ["FREQ", "DIM", "FIX", "A"], ["UNIT_MEASURE", "ATT", "COLUMN", "D"],
          ["UNIT_MULT", "ATT", "FIX", 0], ["OBS_STATUS", "ATT", "FIX", "A"]]
DATA_ROWS = [["SERIES", "REF_AREA", "SEX", "UNIT", 2019, 2020],
             ["SI_POV_NAHC", "1", "_T", "PT ", 12.5, 11],
             ["SI_POV_NAHC", "1", "F", "PT", None, 13.25]]


def workbook(path: Path, data: list[list[Any]] | None = None, params: list[list[Any]] | None = None,
             start: Any = "E2", num: Any = 2, extra: dict[str, list[list[Any]]] | None = None) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "Data"
    for row in DATA_ROWS if data is None else data:
        ws.append(row)
    p = wb.create_sheet("Parameters")
    p.append(["Element", "Type", "PosType", "Position", None, "DataStart", start])
    for i, row in enumerate(PARAMS if params is None else params):
        p.append(row + ([None, "NumColumns", num] if i == 0 and num is not None else []))
    for title, rows in (extra or {}).items():
        s = wb.create_sheet(title)
        for row in rows:
            s.append(row)
    wb.save(path)
    return path


def test_a_built_workbook_reads_as_long_rows(tmp_path: Path) -> None:
    got = read_sdmx_workbook(workbook(tmp_path / "w.xlsx"), DSD)
    assert got.frame.select("_line", "source_code", "area", "period", "value", "unit", "obs_status", "disagg",
                            "action").rows() == [
        (2, "SI_POV_NAHC", "1", "2019", "12.5", "PT", "A", "", "A"),
        (2, "SI_POV_NAHC", "1", "2020", "11", "PT", "A", "", "A"),
        (3, "SI_POV_NAHC", "1", "2020", "13.25", "PT", "A", "SEX=F", "A")]
    assert got.area_names["1"] == "City of Kigali"


def test_other_positions_sheets_and_unit_multipliers(tmp_path: Path) -> None:
    """CELL (one cell for the sheet), ROW for a dimension other than time, several data sheets, `Val` sheets
    ignored, UNIT_MULT applied as in SDMX-ML (x 10^3)."""
    params = [["SERIES", "DIM", "CELL", "B1"], ["REF_AREA", "DIM", "COLUMN", "A"], ["SEX", "DIM", "ROW", 2],
              ["TIME_PERIOD", "DIM", "ROW", 3], ["UNIT_MULT", "ATT", "FIX", 3]]
    data = [["series:", "EN_POP"], [None, "M", "F"], ["area", "2020", "2020"], ["1", 1.5, 2]]
    path = workbook(tmp_path / "w.xlsx", data, params, start="B4", num=2,
                    extra={"More": data[:3] + [["2", 7, None]], "ValCodes": [["not", "data", "x"]]})
    got = read_sdmx_workbook(path, DSD).frame
    assert sorted(got.select("source_code", "area", "period", "value", "disagg").rows()) == [
        ("EN_POP", "1", "2020", "1500", "SEX=M"), ("EN_POP", "1", "2020", "2000", "SEX=F"),
        ("EN_POP", "2", "2020", "7000", "SEX=M")]


def test_time_down_a_column_reads_one_value_column(tmp_path: Path) -> None:
    """Row-wise time: TIME_PERIOD in a column, one value column (NumColumns 1)."""
    params = [["SERIES", "DIM", "COLUMN", "A"], ["REF_AREA", "DIM", "FIX", "1"], ["TIME_PERIOD", "DIM", "COLUMN", "B"],
              ["UNIT_MEASURE", "ATT", "FIX", "PT"]]
    data = [["series", "year", "value"], ["SI_POV_NAHC", 2019, 12.5], ["SI_POV_NAHC", "2020", 11]]
    got = read_sdmx_workbook(workbook(tmp_path / "w.xlsx", data, params, start="C2", num=1), DSD).frame
    assert got.select("source_code", "area", "period", "value", "unit").rows() == [
        ("SI_POV_NAHC", "1", "2019", "12.5", "PT"), ("SI_POV_NAHC", "1", "2020", "11", "PT")]


@pytest.mark.parametrize(("build", "code", "words"), [
    (dict(params=[r for r in PARAMS if r[0] != "REF_AREA"]), "bad-parameters", "does not say where REF_AREA"),
    (dict(params=[r for r in PARAMS if r[0] != "SERIES"]), "bad-parameters", "does not say where SERIES"),
    (dict(params=[r for r in PARAMS if r[0] != "TIME_PERIOD"]), "bad-parameters", "does not say where TIME_PERIOD"),
    (dict(params=[*PARAMS[:2], ["SEX", "DIM", "COLUMN", "Q"], *PARAMS[3:]]), "bad-parameters",
     "column Q is outside sheet 'Data'"),
    (dict(params=[*PARAMS[:2], ["SEX", "DIM", "COLUMN", "C3"], *PARAMS[3:]]), "bad-parameters",
     "'C3' is not a column letter"),
    (dict(params=[*PARAMS[:2], ["SEX", "DIM", "SHEET", "C"], *PARAMS[3:]]), "bad-parameters",
     "sheet 'Parameters' cell C4: PosType 'SHEET'"),
    (dict(start="column E"), "bad-parameters", "sheet 'Parameters' cell G1: DataStart 'column E' is not a cell"),
    (dict(data=[DATA_ROWS[0][:4] + ["year 1", 2020], *DATA_ROWS[1:]]), "bad-period",
     "sheet 'Data' cell E1: the period header 'year 1'"),
    (dict(data=[DATA_ROWS[0], DATA_ROWS[1][:5] + ["n/a"]]), "bad-value", "sheet 'Data' cell F2 holds text"),
    (dict(data=[DATA_ROWS[0], DATA_ROWS[1], DATA_ROWS[1]]), "duplicate-key",
     "sheet 'Data' cell E3 has the same key (SERIES, REF_AREA, SEX, TIME_PERIOD, FREQ) as cell E2"),
    (dict(data=[DATA_ROWS[0]]), "empty-file", "sheet 'Data' holds no data row"),
])
def test_a_faulty_workbook_is_one_finding_naming_sheet_and_cell(tmp_path: Path, build: dict[str, Any], code: str,
                                                                words: str) -> None:
    path = workbook(tmp_path / "bad.xlsx", **build)
    with pytest.raises(ReadError) as exc:
        read_sdmx_workbook(path, DSD)
    f = exc.value.finding
    assert (f.code, f.file) == (code, str(path)) and words in f.message, f


def test_a_faulty_workbook_through_the_cli_exits_2_and_changes_nothing(demo_copy: Path, tmp_path: Path) -> None:
    path = workbook(tmp_path / "bad.xlsx", data=[DATA_ROWS[0], DATA_ROWS[1][:5] + ["n/a"]])
    before = state(demo_copy)
    res = run_c2c("ingest", str(path), "-w", str(demo_copy))
    assert res.returncode == 2 and "Traceback" not in res.stderr, res.stderr
    assert "bad.xlsx" in res.stderr and "cell F2" in res.stderr
    assert state(demo_copy) == before


# --- properties -------------------------------------------------------------------------------------
def _letters_by_hand(n: int) -> str:
    """Column n's letters, by counting through the alphabet (A..Z, AA..ZZ, AAA..)."""
    width, first = 1, 1
    while n >= first + 26**width:
        first += 26**width
        width += 1
    k, out = n - first, ""
    for _ in range(width):
        k, r = divmod(k, 26)
        out = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[r] + out
    return out


@given(st.integers(min_value=1, max_value=16384))
def test_column_letters_round_trip(n: int) -> None:
    assert column_letter(n) == _letters_by_hand(n)
    assert column_index(column_letter(n)) == n
    assert column_index(column_letter(n).lower()) == n


@given(st.text(min_size=1, max_size=4))
def test_column_index_refuses_what_is_not_a_column(s: str) -> None:
    from openpyxl.utils import column_index_from_string

    try:
        expected: int | None = column_index_from_string(s.strip().upper())
    except ValueError:
        expected = None
    if not s.strip().isascii() or not s.strip().isalpha() or (expected or 0) > 16384:
        expected = None
    try:
        got: int | None = column_index(s)
    except ValueError:
        got = None
    assert got == expected


_code = st.sampled_from(["SI_POV_NAHC", "EN_POP", "SH_X"])
_obs = st.dictionaries(
    st.tuples(_code, st.sampled_from(["1", "RW", "21"]), st.sampled_from(["_T", "F", "M"]),
              st.sampled_from(["2018", "2019", "2020", "2021-Q3"])),
    st.one_of(st.integers(-10**6, 10**6), st.floats(-1e6, 1e6, allow_nan=False).map(lambda f: round(f, 4))),
    min_size=1, max_size=12)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_obs)
def test_a_random_wide_workbook_reads_back_as_its_long_rows(tmp_path: Path, obs: dict[tuple[str, ...], Any]) -> None:
    periods = sorted({k[3] for k in obs})
    series = sorted({k[:3] for k in obs})
    data: list[list[Any]] = [["SERIES", "REF_AREA", "SEX", "UNIT", *periods]]
    for s in series:
        data.append([*s, "PT", *(obs.get((*s, p)) for p in periods)])
    path = workbook(tmp_path / "r.xlsx", data, start="E2", num=len(periods))
    got = read_sdmx_workbook(path, DSD).frame
    back = {(r[0], r[1], "_T" if r[4] == "" else r[4].removeprefix("SEX="), r[2]): float(r[3])
            for r in got.select("source_code", "area", "period", "value", "disagg").rows()}
    assert back == {k: float(v) for k, v in obs.items()} and got.height == len(obs)


def test_a_formula_without_its_value_is_refused_by_the_xlsx_safety_layer(tmp_path: Path) -> None:
    path = workbook(tmp_path / "f.xlsx", data=[DATA_ROWS[0], DATA_ROWS[1][:5] + ["=E2*2"]])
    with pytest.raises(ReadError) as exc:
        read_sdmx_workbook(path, DSD)
    f = exc.value.finding
    assert f.code == "formula-without-value" and "sheet 'Data' cell F2" in f.message and f.value == "=E2*2"
