"""Ingestion: the bad-input corpus, atomic loads, revisions, Barcelona's real data."""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from .conftest import ROOT, run_c2c

BAD = Path(__file__).parent / "fixtures" / "bad"
BARCELONA = ROOT.parent / "shared" / "data" / "real" / "barcelona-open-sdg"
TABLES = ["vintages", "observations", "targets", "cities", "partnerships", "ratings", "snapshots"]


def state(ws: Path) -> str:
    """A digest of everything the workspace holds, to prove a rejected load changed nothing."""
    con = duckdb.connect(str(ws / "workspace.duckdb"), read_only=True)
    try:
        h = hashlib.sha256()
        for t in TABLES:
            rows = con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
            h.update(repr(rows).encode())
        return h.hexdigest()
    finally:
        con.close()


# (fixture, extra arguments, expected (type, line, column) of the first finding)
CORPUS = [
    ("empty-file.csv", [], ("empty-file", None, None)),
    ("blank-file.csv", [], ("empty-file", None, None)),
    ("nul-bytes.csv", [], ("binary-file", None, None)),
    ("latin1-encoding.csv", [], ("encoding", 3, None)),
    ("ragged-row.csv", [], ("ragged-row", 2, None)),  # a long row, named with its line
    ("missing-value-column.csv", [], ("missing-column", 1, "value")),
    ("unknown-column.csv", [], ("unknown-column", 1, "colour")),
    ("duplicate-column.csv", [], ("duplicate-column", 1, "value")),
    ("unknown-indicator.csv", [], ("unknown-indicator", 3, "indicator")),
    ("unknown-area.csv", [], ("unknown-area", 3, "area")),
    ("wrong-unit.csv", [], ("wrong-unit", 3, "unit")),
    ("value-not-a-number.csv", [], ("bad-value", 2, "value")),
    ("value-out-of-range.csv", [], ("implausible-value", 2, "value")),
    ("value-infinite.csv", [], ("bad-value", 2, "value")),
    ("quarter-five.csv", [], ("bad-period", 2, "period")),
    ("month-thirteen.csv", [], ("bad-period", 2, "period")),
    ("period-in-future.csv", [], ("impossible-period", 2, "period")),
    ("period-too-old.csv", [], ("impossible-period", 2, "period")),
    ("ambiguous-quarter.csv", [], ("bad-period", 2, "period")),
    ("blank-period.csv", [], ("missing-period", 2, "period")),
    ("duplicate-key.csv", [], ("duplicate-key", 3, "period")),
    ("bad-obs-status.csv", [], ("bad-obs-status", 2, "OBS_STATUS")),
    ("sdmx-without-dataflow.csv", ["--format", "sdmx-csv"], ("missing-column", 1, None)),
    ("sdmx-bad-action.csv", [], ("bad-action", 2, "ACTION")),
    ("sdmx-without-obs-value.csv", [], ("missing-column", 1, "OBS_VALUE")),
    ("mixed-decimal-marks.csv", [], ("mixed-decimals", 2, "value")),
    ("decimal-comma-in-comma-file.csv", [], ("decimal-comma", 2, "value")),
    ("not-really.xlsx", [], ("malformed-xlsx", None, None)),
    ("empty-file.xlsx", [], ("empty-file", None, None)),  # said so, not "not a zip file"
    ("open-sdg-without-value/indicator_11-1-1.csv", ["--city", "bonn", "--map-indicator", "11-1-1=slum_population"],
     ("missing-column", 1, "Value")),
    ("unknown-area.csv", ["--map-indicator", "x=no_such_indicator"], ("unknown-indicator", None, "indicator")),
    ("does-not-exist.csv", [], ("no-such-file", None, None)),
]


@pytest.mark.parametrize(("fixture", "args", "expected"), CORPUS, ids=[c[0] + str(i) for i, c in enumerate(CORPUS)])
def test_bad_input_is_refused_precisely_and_changes_nothing(demo_copy, tmp_path, fixture, args, expected) -> None:
    before = state(demo_copy)
    report = tmp_path / "report.json"
    res = run_c2c("ingest", str(BAD / fixture), "-w", str(demo_copy), "--report", str(report), *args)
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr
    assert fixture.split("/")[-1] in res.stderr or expected[0] in ("unknown-indicator",)
    doc = json.loads(report.read_text())
    assert doc["valid"] is False and doc["counts"]["error"] >= 1
    first = doc["findings"][0]
    assert (first["code"], first["row"], first["column"]) == expected
    assert state(demo_copy) == before


def test_the_corpus_covers_at_least_25_distinct_faults() -> None:
    assert len({c[0] for c in CORPUS}) >= 25


GOOD = "indicator,area,period,value,unit,obs_status,disaggregation\n"


def _write(path: Path, rows: list[str]) -> Path:
    path.write_text(GOOD + "".join(r + "\n" for r in rows))
    return path


def test_load_twice_adds_nothing_and_a_change_is_a_revision(demo_copy, tmp_path) -> None:
    f = _write(tmp_path / "q.csv", ["unemployment_rate,bonn,2025-Q1,4.25,percent,P,",
                                    "unemployment_rate,bonn,2025-Q1,4.0,percent,P,sex=female",
                                    "unemployment_rate,cape-coast,2025-Q1,,percent,,"])
    res = run_c2c("ingest", str(f), "-w", str(demo_copy))
    assert res.returncode == 0, res.stderr
    assert "new 3" in res.stderr and "1 blank value(s) recorded as missing" in res.stderr
    once = state(demo_copy)
    res = run_c2c("ingest", str(f), "-w", str(demo_copy))
    # Loading nothing is not a success for a script (exit 1), and says why; a dry run says the same.
    assert res.returncode == 1 and "nothing new" in res.stderr and state(demo_copy) == once
    assert run_c2c("ingest", str(f), "-w", str(demo_copy), "--dry-run").returncode == 1
    dry = run_c2c("ingest", str(_write(tmp_path / "r.csv", ["unemployment_rate,bonn,2025-Q1,4.5,percent,A,"])),
                  "-w", str(demo_copy), "--dry-run")
    assert "revised 1" in dry.stderr and state(demo_copy) == once
    run_c2c("ingest", str(tmp_path / "r.csv"), "-w", str(demo_copy))
    hist = run_c2c("data", "history", "-w", str(demo_copy), "--code", "unemployment_rate", "--city", "bonn",
                   "--format", "json")
    rows = [r for r in json.loads(hist.stdout) if r["period"] == "2025-Q1" and r["disagg"] == ""]
    assert [r["value"] for r in rows] == [4.25, 4.5]  # the old value stays readable
    v_old = rows[0]["vintage_id"]
    as_of = run_c2c("assess", "bonn-cape-coast", "-w", str(demo_copy), "--format", "json", "--as-of", str(v_old))
    now = run_c2c("assess", "bonn-cape-coast", "-w", str(demo_copy), "--format", "json")

    def unemployment(doc: str) -> float:
        return next(r["value"] for r in json.loads(doc)["indicators"]
                    if r["id"] == "unemployment_rate" and r["city_id"] == "bonn")
    assert unemployment(as_of.stdout) == 4.25 and unemployment(now.stdout) == 4.5


def test_semicolons_and_decimal_commas_are_read_and_said(demo_copy, tmp_path) -> None:
    f = tmp_path / "eu.csv"
    f.write_bytes(b"\xef\xbb\xbfindicator;area;period;value;unit;obs_status;disaggregation\r\n"
                  b"unemployment_rate;bonn;2025-Q2;4,75;percent;;\r\n")
    res = run_c2c("ingest", str(f), "-w", str(demo_copy))
    assert res.returncode == 0, res.stderr
    assert "decimal commas" in res.stderr and "separator ';'" in res.stderr
    con = duckdb.connect(str(demo_copy / "workspace.duckdb"), read_only=True)
    assert con.execute("SELECT value FROM observations WHERE period = '2025-Q2'").fetchall() == [(4.75,)]


def test_sdmx_delete_action_and_status(demo_copy, tmp_path) -> None:
    f = tmp_path / "sdmx.csv"
    f.write_text("STRUCTURE,STRUCTURE_ID,ACTION,REF_AREA,INDICATOR,SEX,TIME_PERIOD,OBS_VALUE,UNIT_MEASURE,OBS_STATUS\n"
                 "dataflow,C2C:CITY(1.0),I,bonn,unemployment_rate,_T,2025Q3,4.1,PT,B\n"
                 "dataflow,C2C:CITY(1.0),I,bonn,unemployment_rate,F,2025-Q3,3.9,PT,B\n")
    assert run_c2c("ingest", str(f), "-w", str(demo_copy)).returncode == 0
    d = tmp_path / "del.csv"
    d.write_text("STRUCTURE,STRUCTURE_ID,ACTION,REF_AREA,INDICATOR,SEX,TIME_PERIOD,OBS_VALUE\n"
                 "dataflow,C2C:CITY(1.0),D,bonn,unemployment_rate,F,2025-Q3,\n")
    res = run_c2c("ingest", str(d), "-w", str(demo_copy))
    assert "deleted 1" in res.stderr
    con = duckdb.connect(str(demo_copy / "workspace.duckdb"), read_only=True)
    cur = con.execute("SELECT disagg, value, obs_status FROM cur_observations WHERE period = '2025-Q3'").fetchall()
    assert cur == [("", 4.1, "B")]


def test_barcelona_open_sdg_folder_ingests_with_its_own_targets(demo_copy, tmp_path) -> None:
    res = run_c2c("ingest", str(BARCELONA), "-w", str(demo_copy), "--city", "barcelona",
                  "--map", str(ROOT / "examples" / "barcelona-mapping.yaml"))
    assert res.returncode == 0, res.stderr
    assert "222 file(s)" in res.stderr
    assert "demo_indicator.csv" in res.stderr  # skipped, and said so
    # The shipped mapping (drafted by `c2c map suggest`) keeps every other series as a local indicator.
    assert "local indicators of barcelona: 216 series" in res.stderr
    con = duckdb.connect(str(demo_copy / "workspace.duckdb"), read_only=True)
    vid = con.execute("SELECT max(vintage_id) FROM vintages").fetchall()[0][0]
    targets = dict(con.execute("SELECT code, value FROM targets WHERE city_id = 'barcelona' AND vintage_id = ?",
                               [vid]).fetchall())
    # Values from the metadata's graph_target_lines (PM2.5 picked among three labelled lines).
    assert targets["housing_cost_overburden"] == 14.0 and targets["pm25_mean"] == 10.0
    # The blanks stored as missing are exactly the ones the summary line announced (none: no such line).
    blank = con.execute("SELECT count(*) FROM observations WHERE vintage_id = ? AND value IS NULL",
                        [vid]).fetchall()[0][0]
    said = re.search(r"(\d+) blank value\(s\) recorded as missing", res.stderr)
    assert blank == (int(said.group(1)) if said else 0), res.stderr
    con.close()
    doc = json.loads(run_c2c("assess", "barcelona-maputo", "-w", str(demo_copy), "--targets", "local",
                             "--list", "long", "--format", "json").stdout)
    row = next(r for r in doc["indicators"] if r["id"] == "housing_cost_overburden" and r["city_id"] == "barcelona")
    assert row["target_kind"] == "local" and row["end_value"] == 14.0


def test_a_second_writer_gets_workspace_busy(demo_copy, tmp_path) -> None:
    from c2c_monitor.store.workspace import open_workspace

    f = _write(tmp_path / "q.csv", ["unemployment_rate,bonn,2025-Q1,4.25,percent,,"])
    with open_workspace(demo_copy):
        res = run_c2c("ingest", str(f), "-w", str(demo_copy))
    assert res.returncode == 2 and "workspace busy" in res.stderr
    res = run_c2c("ingest", str(f), "-w", str(demo_copy), "--wait", "5")
    assert res.returncode == 0


def test_killed_load_leaves_the_workspace_before_or_after_never_between(demo_copy, tmp_path) -> None:
    n = 300_000
    big = tmp_path / "big.csv"
    cities = ["bonn", "cape-coast", "lisbon", "praia"]
    with big.open("w") as fh:
        fh.write(GOOD)
        for i in range(n):
            fh.write(f"unemployment_rate,{cities[i % 4]},{1990 + i % 35}-Q{i % 4 + 1},{5 + i % 7}.5,percent,,k={i}\n")

    def loaded_rows() -> tuple[int, int]:
        con = duckdb.connect(str(demo_copy / "workspace.duckdb"), read_only=True)  # also proves it opens
        try:
            return con.execute("SELECT (SELECT count(*) FROM vintages), "
                               "(SELECT count(*) FROM observations WHERE disagg LIKE 'k=%')").fetchall()[0]
        finally:
            con.close()

    v0, rows0 = loaded_rows()
    assert rows0 == 0
    env = {k: v for k, v in os.environ.items() if k != "C2C_WORKSPACE"}
    for delay in (0.5, 1.0, 2.0, 3.5):
        p = subprocess.Popen([sys.executable, "-m", "c2c_monitor.cli", "ingest", str(big), "-w", str(demo_copy)],
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        p.send_signal(signal.SIGKILL)
        p.wait()
        v, rows = loaded_rows()
        # All of the batch or none of it, and a vintage only with its rows.
        assert (v, rows) in ((v0, 0), (v0 + 1, n))
        if rows:
            break
    res = run_c2c("ingest", str(big), "-w", str(demo_copy))
    # A load that finished before its kill leaves this one nothing to write: exit 1, "nothing new".
    assert res.returncode == (1 if rows else 0), res.stderr
    assert ("nothing new" in res.stderr) == bool(rows)
    assert loaded_rows() == (v0 + 1, n)


def test_xlsx_template_round_trip(demo_copy, tmp_path) -> None:
    from openpyxl import load_workbook

    t = tmp_path / "t.xlsx"
    assert run_c2c("ingest", "template", "--output", str(t)).returncode == 0
    # The template as written holds no data: its examples are comments, so loading it loads nothing.
    before = state(demo_copy)
    res = run_c2c("ingest", str(t), "-w", str(demo_copy))
    assert res.returncode != 0 and "Traceback" not in res.stderr
    assert state(demo_copy) == before
    # Filled in below the examples: only the user's row loads; the demo's 2024-Q3 figures are not revised.
    wb = load_workbook(t)
    wb.active.append(["unemployment_rate", "bonn", "2025-Q4", "7.5", "percent", "P", ""])
    wb.save(t)
    res = run_c2c("ingest", str(t), "-w", str(demo_copy))
    assert res.returncode == 0, res.stderr
    assert "new 1" in res.stderr and "revised 1" not in res.stderr
    con = duckdb.connect(str(demo_copy / "workspace.duckdb"), read_only=True)
    got = con.execute("SELECT period, value FROM cur_observations WHERE code = 'unemployment_rate' "
                      "AND city_id = 'bonn' AND period IN ('2024-Q3', '2025-Q4') AND disagg = '' ORDER BY 1").fetchall()
    assert got == [("2024-Q3", 9.81), ("2025-Q4", 7.5)]  # the demo's own 2024-Q3 value, not the example's 6.1


def test_values_with_spaces_and_missing_markers_are_read_as_such(demo_copy, tmp_path) -> None:
    f = _write(tmp_path / "v.csv", ['unemployment_rate,bonn,2025-Q1," 4.75 ",percent, P ,',
                                    "unemployment_rate,cape-coast,2025-Q1,NaN,percent,,",
                                    "unemployment_rate,bonn,2025-Q2,..,percent,,",
                                    "unemployment_rate,cape-coast,2025-Q2,,Percent,,"])
    res = run_c2c("ingest", str(f), "-w", str(demo_copy))
    assert res.returncode == 0, res.stderr
    assert "new 4" in res.stderr and "3 blank value(s) recorded as missing" in res.stderr
    con = duckdb.connect(str(demo_copy / "workspace.duckdb"), read_only=True)
    try:
        rows = con.execute("SELECT city_id, period, value, obs_status FROM observations WHERE year = 2025 "
                           "AND code = 'unemployment_rate' ORDER BY 1, 2").fetchall()
    finally:
        con.close()
    # A missing value without a status is recorded as SDMX's M (missing), never as a bare blank.
    assert rows == [("bonn", "2025-Q1", 4.75, "P"), ("bonn", "2025-Q2", None, "M"),
                    ("cape-coast", "2025-Q1", None, "M"), ("cape-coast", "2025-Q2", None, "M")]


def test_an_ingest_that_loads_nothing_exits_1_with_the_reason(demo_copy, tmp_path) -> None:
    # An SDMX file whose only indicator code is neither in the catalogue nor mapped: every row is skipped.
    f = tmp_path / "foreign.csv"
    f.write_text("DATAFLOW,REF_AREA,INDICATOR,TIME_PERIOD,OBS_VALUE\n"
                 "X:Y(1.0),bonn,SI_POV_DAY1,2023,4.5\nX:Y(1.0),bonn,SI_POV_DAY1,2024,4.1\n")
    before = state(demo_copy)
    res = run_c2c("ingest", str(f), "-w", str(demo_copy))
    assert res.returncode == 1, res.stderr
    last = res.stderr.strip().splitlines()[-1]
    assert last.startswith("c2c: error: no row loaded") and "2 row(s) of 1 indicator code(s) not mapped" in last
    assert "Traceback" not in res.stderr and state(demo_copy) == before
    # A dry run that would load nothing says so the same way.
    assert run_c2c("ingest", str(f), "-w", str(demo_copy), "--dry-run").returncode == 1
    # Mapped, the same file loads (exit 0); loaded again it only repeats what is stored, so it loads nothing:
    # exit 1 with its own reason, and the workspace is as the first load left it.
    res = run_c2c("ingest", str(f), "-w", str(demo_copy), "--map-indicator", "SI_POV_DAY1=poverty_rate")
    assert res.returncode == 0, res.stderr
    loaded = state(demo_copy)
    res = run_c2c("ingest", str(f), "-w", str(demo_copy), "--map-indicator", "SI_POV_DAY1=poverty_rate")
    assert res.returncode == 1 and "unchanged 2" in res.stderr and "nothing new" in res.stderr
    assert state(demo_copy) == loaded
