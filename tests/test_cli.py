"""The command line as a user meets it: errors, formats, the JSON schema, start-up."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from .conftest import run_c2c


def _one_line_error(res: subprocess.CompletedProcess[str]) -> str:
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, res.stderr
    return lines[0]


def test_wrong_partnership_id(demo_ws: Path) -> None:
    msg = _one_line_error(run_c2c("assess", "atlantis-utopia", "--workspace", str(demo_ws)))
    assert "unknown partnership 'atlantis-utopia'" in msg


def test_missing_workspace(tmp_path: Path) -> None:
    msg = _one_line_error(run_c2c("assess", "bonn-cape-coast", "--workspace", str(tmp_path / "nope")))
    assert "no workspace at" in msg


def test_no_workspace_given(tmp_path: Path) -> None:
    msg = _one_line_error(run_c2c("partnerships", cwd=tmp_path))
    assert "C2C_WORKSPACE" in msg


def test_bad_period(demo_ws: Path) -> None:
    msg = _one_line_error(run_c2c("assess", "bonn-cape-coast", "-w", str(demo_ws), "--period", "2024-Q5"))
    assert "quarters 1 to 4" in msg


def test_corrupt_definition_file(tmp_path: Path) -> None:
    from c2c_monitor.definitions.locate import definitions_dir

    for f in definitions_dir("indicators").iterdir():
        (tmp_path / f.name).write_bytes(f.read_bytes())
    bad = tmp_path / "slum_population.yaml"
    bad.write_text(bad.read_text().replace("unit: percent", "unit: [percent"))
    res = run_c2c("catalog", "validate", "--path", str(tmp_path))
    assert res.returncode == 1
    assert "slum_population.yaml line" in res.stderr and "Traceback" not in res.stderr


def test_corrupt_workspace_store(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    assert run_c2c("init", str(ws)).returncode == 0
    (ws / "workspace.duckdb").write_bytes(b"this is not a database" * 100)
    msg = _one_line_error(run_c2c("partnerships", "-w", str(ws)))
    assert "workspace.duckdb" in msg


def test_init_refuses_an_existing_workspace(demo_ws: Path) -> None:
    msg = _one_line_error(run_c2c("init", str(demo_ws)))
    assert "already holds a workspace" in msg


def test_json_output_validates_against_the_documented_schema(demo_ws: Path, tmp_path: Path) -> None:
    schema = json.loads(run_c2c("schema").stdout)
    out = tmp_path / "sb.json"
    res = run_c2c("assess", "lisbon-praia", "-w", str(demo_ws), "--format", "json", "--output", str(out),
                  "--list", "long")
    assert res.returncode == 0, res.stderr
    doc = json.loads(out.read_text())
    jsonschema.validate(doc, schema)
    assert len(doc["principles"]) == 10
    ind = doc["indicators"][0]
    for key in ("value", "period", "score", "distance", "light", "trend"):
        assert key in ind
    for p in doc["principles"]:
        assert {"score", "coverage", "trend"} <= set(p)
    assert doc["snapshot_id"] and doc["rules"]


def test_every_demo_partnership_gets_a_scoreboard(demo_ws: Path) -> None:
    from c2c_monitor.definitions.catalog import load_catalogue
    from c2c_monitor.definitions.principles import load_framework
    from c2c_monitor.render.terminal import render_terminal
    from c2c_monitor.score.assess import build_scoreboard
    from c2c_monitor.store.workspace import open_workspace

    cat, fw = load_catalogue(), load_framework()
    with open_workspace(demo_ws) as ws:
        ids = [r[0] for r in ws.con.execute("SELECT partnership_id FROM partnerships").fetchall()]
        for pid in ids:
            sb = build_scoreboard(ws, pid, catalogue=cat, framework=fw)
            text = render_terminal(sb)
            assert all(len(line) <= 100 for line in text.splitlines())
            simplified = [r for r in sb.indicators if r.list == "simplified"]
            assert len({r.id for r in simplified}) == len(cat.select("simplified"))
            for r in simplified:
                # a value, or an explicit reason; never a silent zero for no data
                assert (r.value is not None) != (r.missing_reason is not None)


def test_html_is_escaped_and_self_contained(demo_copy: Path, tmp_path: Path) -> None:
    import duckdb

    con = duckdb.connect(str(demo_copy / "workspace.duckdb"))
    con.execute("UPDATE partnerships SET name = '<script>alert(1)</script>' WHERE partnership_id = 'riga-tbilisi'")
    con.close()
    out = tmp_path / "sb.html"
    assert run_c2c("assess", "riga-tbilisi", "-w", str(demo_copy), "--format", "html", "-o", str(out)).returncode == 0
    html = out.read_text()
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
    assert "http://" not in html and "https://" not in html


def test_csv_export_neutralises_formulas() -> None:
    from c2c_monitor.render.csv_export import safe_cell

    assert safe_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert safe_cell("@SUM") == "'@SUM" and safe_cell("-1+1") == "'-1+1" and safe_cell("+x") == "'+x"
    assert safe_cell(-1.5) == -1.5 and safe_cell("Bonn") == "Bonn"


def test_snapshots_are_content_addressed_and_kept(demo_copy: Path) -> None:
    import duckdb

    a = run_c2c("assess", "bonn-cape-coast", "-w", str(demo_copy), "--format", "json")
    b = run_c2c("assess", "bonn-cape-coast", "-w", str(demo_copy), "--format", "json", "--period", "2023")
    c = run_c2c("assess", "bonn-cape-coast", "-w", str(demo_copy), "--format", "json")
    ids = [json.loads(r.stdout)["snapshot_id"] for r in (a, b, c)]
    assert ids[0] == ids[2] != ids[1]
    # Each content is stored once: the third run found its snapshot and added no row. Counted per id, not as
    # a difference of totals, which other tests' snapshots in the shared demo workspace could disturb.
    con = duckdb.connect(str(demo_copy / "workspace.duckdb"), read_only=True)
    try:
        rows = dict(con.execute("SELECT snapshot_id, count(*) FROM snapshots WHERE snapshot_id IN (?, ?) "
                                "GROUP BY snapshot_id", [ids[0], ids[1]]).fetchall())
    finally:
        con.close()
    assert rows == {ids[0]: 1, ids[1]: 1}


def test_period_limits_the_values_used(demo_ws: Path) -> None:
    res = run_c2c("assess", "bonn-cape-coast", "-w", str(demo_ws), "--format", "json", "--period", "2023")
    doc = json.loads(res.stdout)
    periods = {r["period"] for r in doc["indicators"] if r["period"]}
    assert periods and all(p.startswith(("2019", "2020", "2021", "2022", "2023")) for p in periods)


def test_busy_workspace_is_refused_not_corrupted(demo_ws: Path) -> None:
    from c2c_monitor.store.workspace import open_workspace

    with open_workspace(demo_ws):
        msg = _one_line_error(run_c2c("partnerships", "-w", str(demo_ws)))
    assert "workspace busy" in msg
    assert run_c2c("partnerships", "-w", str(demo_ws)).returncode == 0


def test_help_does_not_import_polars_or_duckdb() -> None:
    code = ("import sys; sys.argv = ['c2c', '--help']\n"
            "from c2c_monitor.cli import cli\n"
            "try:\n    cli.main(standalone_mode=False)\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('polars', 'duckdb', 'pyarrow')))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize("args", [
    ("catalog", "list", "--list", "simplified", "--sdg", "11", "--dac", "effectiveness", "--format", "json"),
])
def test_catalog_list_filters(args) -> None:
    res = run_c2c(*args)
    assert res.returncode == 0
    items = json.loads(res.stdout)
    assert items and all(i["sdg"].get("code", "").startswith("11") or i["sdg"].get("goal") == 11 for i in items)
    assert all("effectiveness" in i["dac"] and i["list"] == "simplified" for i in items)


def test_corrupt_own_definition_in_workspace_is_a_one_line_error(demo_copy: Path) -> None:
    (demo_copy / "own_indicators" / "ours.yaml").write_text("id: ours\ntitle: [broken\n")
    msg = _one_line_error(run_c2c("assess", "bonn-cape-coast", "-w", str(demo_copy)))
    assert "ours.yaml line" in msg


def test_explain_shows_bound_sql_and_the_polars_plan() -> None:
    res = run_c2c("explain", "civil_society_share")
    assert res.returncode == 0
    sql = res.stdout.split("-- DuckDB SQL")[1].split("-- parameters")[0]
    assert "civil_society" not in sql and "?" in sql  # the filter value is a parameter, not SQL text
    assert "'civil_society'" in res.stdout.split("-- parameters")[1]
    assert "-- polars plan" in res.stdout


def test_as_of_accepts_a_date(demo_ws) -> None:
    ok = run_c2c("assess", "bonn-cape-coast", "-w", str(demo_ws), "--as-of", "2099-01-01", "--format", "json")
    assert ok.returncode == 0 and json.loads(ok.stdout)["as_of_vintage"] >= 1
    msg = _one_line_error(run_c2c("assess", "bonn-cape-coast", "-w", str(demo_ws), "--as-of", "2001-01-01"))
    assert "no data had been loaded by then" in msg


def test_file_system_errors_are_one_line_not_a_traceback(tmp_path) -> None:
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    res = run_c2c("workshop", "xlsform", "-o", str(blocker / "form.xlsx"))
    assert res.returncode == 2
    assert "Traceback" not in res.stderr and res.stderr.startswith("c2c: error: ") and str(blocker) in res.stderr
