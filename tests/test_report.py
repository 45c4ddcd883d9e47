"""One report per run: the same JSON and CSV shape for every command, and the exit code derived from it."""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from c2c_monitor.errors import FIELDS, DefinitionError, Finding, InputRejected, Report

from .conftest import run_c2c

BAD = Path(__file__).parent / "fixtures" / "bad"
SDMX_HEAD = "STRUCTURE,STRUCTURE_ID,ACTION,REF_AREA,INDICATOR,SEX,TIME_PERIOD,OBS_VALUE,UNIT_MEASURE,OBS_STATUS\n"
SDMX_OK = "dataflow,C2C:CITY(1.0),I,bonn,unemployment_rate,_T,2025Q3,4.1,PT,B\n"


# --- the Report itself ----------------------------------------------------------------------------------

def test_validity_counts_and_exit_code_come_from_the_severities() -> None:
    note = Finding("skipped-file", "a.csv", "left out", severity="notice")
    warn = Finding("unmapped-indicator", "a.csv", "skipped", 3, "indicator", "X", "warning")
    err = Finding("bad-period", "a.csv", "not a period", 4, "period", "2024-Q5")
    assert Report().valid and Report().exit_code() == 0
    assert Report((note, warn)).valid and Report((note, warn)).exit_code() == 0
    bad = Report((note, warn, err))
    assert not bad.valid
    assert bad.counts == {"error": 1, "warning": 1, "notice": 1}
    assert bad.exit_code() == 1 and bad.exit_code(on_error=2) == 2
    # Errors first, so the first line read is why the run failed; otherwise in the order found.
    assert [f.code for f in bad.findings] == ["bad-period", "unmapped-indicator", "skipped-file"]
    assert (Report((warn,)) + [err]).findings == (err, warn)


def test_json_and_csv_have_one_shape_and_csv_cells_are_formula_safe() -> None:
    r = Report((Finding("bad-value", "x.csv", "not a number", 2, "value", "=HYPERLINK(1)"),))
    doc = json.loads(r.render("out.json"))
    assert doc == {"valid": False, "counts": {"error": 1, "warning": 0, "notice": 0},
                   "findings": [{"file": "x.csv", "row": 2, "column": "value", "code": "bad-value",
                                 "message": "not a number", "severity": "error", "value": "=HYPERLINK(1)"}]}
    rows = list(csv.reader(io.StringIO(r.render("out.csv"))))
    assert rows[0] == list(FIELDS)
    assert rows[1][FIELDS.index("value")] == "'=HYPERLINK(1)"


def test_exceptions_carry_the_report() -> None:
    f = Finding("yaml-syntax", "a.yaml", "not valid YAML", 2)
    for exc in (DefinitionError([f]), InputRejected([f])):
        assert exc.report == Report((f,)) and exc.findings == [f]
    assert InputRejected(Report((f,))).exit_code == 2
    assert "a.yaml line 2" in InputRejected([f]).message


# --- one bad file per command, over the CLI -------------------------------------------------------------

def _ingest(ws: Path, tmp: Path) -> list[str]:
    return ["ingest", str(BAD / "bad-obs-status.csv"), "-w", str(ws)]


def _workshop(ws: Path, tmp: Path) -> list[str]:
    sheet = tmp / "sheet.csv"
    sheet.write_text("participant_code,stakeholder_group,city_id,question_id,question,rating,comment\n"
                     "X1,academia,bonn,P02.1,,3,\nX1,academia,bonn,P02.2,,7,\n")
    return ["workshop", "import", str(sheet), "-w", str(ws), "-p", "bonn-cape-coast", "--round", "x"]


def _partnerships(ws: Path, tmp: Path) -> list[str]:
    from c2c_monitor.ingest.partnerships import TEMPLATE

    row = list(TEMPLATE[1])
    row[0] = row[0].removeprefix("# example: ")  # the template's example is a comment; made a data row here
    row[TEMPLATE[0].index("start_year")] = "1850"
    path = tmp / "p.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([TEMPLATE[0], row])
    return ["partnerships", "import", str(path), "-w", str(ws)]


def _records(ws: Path, tmp: Path) -> list[str]:
    path = tmp / "budget.csv"
    path.write_text("line_id,partnership_id,date,city_id,city_role,category,source,amount_eur\n"
                    "L1,bonn-cape-coast,2025-02-01,cape-coast,partner,capacity_building,eu_grant,1000\n"
                    "L2,bonn-cape-coast,2025-13-01,cape-coast,partner,studies,eu_grant,5\n")
    return ["records", "import", "budget_lines", str(path), "-w", str(ws)]


def _catalog(ws: Path, tmp: Path) -> list[str]:
    from c2c_monitor.definitions.locate import definitions_dir

    folder = tmp / "indicators"
    shutil.copytree(definitions_dir("indicators"), folder)
    path = folder / "civil_society_share.yaml"
    path.write_text(path.read_text().replace("value: civil_society", "value: civil_sociiety"))
    return ["catalog", "validate", "--path", str(folder)]


# (command, expected first (code, row, column), exit code of a failed run: 1 for findings, 2 for a rejected
# input); a row None is the line of the definition file that holds the bad value.
COMMANDS: list[tuple[Callable[[Path, Path], list[str]], tuple[str, int | None, str | None], int]] = [
    (_ingest, ("bad-obs-status", 2, "OBS_STATUS"), 2),
    (_workshop, ("bad-rating", 3, "rating"), 2),
    (_partnerships, ("out-of-range", 2, "start_year"), 2),
    (_records, ("bad-date", 3, "date"), 2),
    (_catalog, ("unknown-code", None, "value"), 1),
]


@pytest.mark.parametrize(("command", "expected", "on_error"), COMMANDS, ids=[c[0].__name__[1:] for c in COMMANDS])
def test_every_command_writes_the_same_report_and_exits_by_it(demo_copy, tmp_path, command, expected,
                                                             on_error) -> None:
    args = command(demo_copy, tmp_path)
    res = run_c2c(*args, "--report", str(tmp_path / "r.json"))
    assert "Traceback" not in res.stderr
    doc = json.loads((tmp_path / "r.json").read_text())
    assert list(doc) == ["valid", "counts", "findings"]
    assert list(doc["counts"]) == ["error", "warning", "notice"]
    assert all(list(f) == list(FIELDS) for f in doc["findings"])
    assert doc["counts"] == {s: sum(f["severity"] == s for f in doc["findings"]) for s in doc["counts"]}
    first = doc["findings"][0]
    code, row, column = expected
    assert (first["code"], first["column"]) == (code, column)
    if row is None:  # a definition file: the row is the line that holds the bad value
        row = 1 + next(i for i, t in enumerate(Path(first["file"]).read_text().splitlines()) if first["value"] in t)
    assert first["row"] == row
    report = Report(tuple(Finding(**{k: f[k] for k in FIELDS}) for f in doc["findings"]))
    assert doc["valid"] is report.valid is False
    assert res.returncode == report.exit_code(on_error)
    # The CSV report is the same findings under one header.
    res = run_c2c(*args, "--report", str(tmp_path / "r.csv"))
    rows = list(csv.DictReader(io.StringIO((tmp_path / "r.csv").read_text())))
    assert list(rows[0]) == list(FIELDS) and len(rows) == len(doc["findings"])
    assert (rows[0]["code"], rows[0]["column"]) == (code, column)


def test_a_valid_catalogue_writes_a_valid_report_and_exits_0(tmp_path) -> None:
    res = run_c2c("catalog", "validate", "--report", str(tmp_path / "r.json"))
    assert res.returncode == 0, res.stderr
    assert json.loads((tmp_path / "r.json").read_text()) == {
        "valid": True, "counts": {"error": 0, "warning": 0, "notice": 0}, "findings": []}


def test_skipped_rows_are_warnings_of_an_accepted_batch(demo_copy, tmp_path) -> None:
    f = tmp_path / "sdmx.csv"
    f.write_text(SDMX_HEAD + SDMX_OK + SDMX_OK.replace("unemployment_rate", "NOT_A_CODE"))
    report = tmp_path / "r.json"
    res = run_c2c("ingest", str(f), "-w", str(demo_copy), "--dry-run", "--report", str(report))
    assert res.returncode == 0, res.stderr
    doc = json.loads(report.read_text())
    assert doc["valid"] is True and doc["counts"] == {"error": 0, "warning": 1, "notice": 0}
    w = doc["findings"][0]
    assert (w["code"], w["row"], w["column"], w["value"], w["severity"]) == \
        ("unmapped-indicator", 3, "indicator", "NOT_A_CODE", "warning")
    # --strict makes the same rows an error that rejects the batch.
    res = run_c2c("ingest", str(f), "-w", str(demo_copy), "--dry-run", "--strict", "--report", str(report))
    doc = json.loads(report.read_text())
    assert res.returncode == 2 and doc["valid"] is False
    assert [(x["code"], x["row"], x["severity"]) for x in doc["findings"]] == [("unknown-indicator", 3, "error")]
