"""Other machines: the listings as JSON and CSV, timestamps with their zone, and shell completion.

Expected values come from the workspace's store read directly with DuckDB, from the records templates and
from the YAML of `catalog show`, never from the code that writes the new formats.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
import yaml
from click.testing import CliRunner

from c2c_monitor.cli import cli

from .conftest import run_c2c, sql


def _c2c(*args: str) -> str:
    res = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return res.stdout


def _store(ws: Path, query: str) -> list[tuple]:
    con = duckdb.connect(str(ws / "workspace.duckdb"), read_only=True)
    try:
        return con.execute(query).fetchall()
    finally:
        con.close()


def test_partnerships_as_json_and_csv_hold_the_store_s_rows(demo_ws: Path) -> None:
    expected = _store(demo_ws, "SELECT partnership_id, name, theme FROM partnerships ORDER BY 1")
    assert len(expected) == 27
    as_json = json.loads(_c2c("partnerships", "-w", str(demo_ws), "--format", "json"))
    assert [(r["id"], r["name"], r["theme"]) for r in as_json] == expected
    rows = list(csv.reader(io.StringIO(_c2c("partnerships", "-w", str(demo_ws), "--format", "csv"))))
    assert rows[0] == ["id", "name", "theme"]
    assert [tuple(r) for r in rows[1:]] == [(p, n, t or "") for p, n, t in expected]
    # The table stays the default, one partnership a line.
    table = _c2c("partnerships", "-w", str(demo_ws)).splitlines()
    assert [line.split()[0] for line in table] == [p for p, _, _ in expected]


def test_partnership_csv_neutralises_formulas(demo_copy: Path) -> None:
    sql(demo_copy, "UPDATE partnerships SET theme = ? WHERE partnership_id = ?",
        ['=HYPERLINK("http://example.invalid")', "bonn-cape-coast"])
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(
        _c2c("partnerships", "-w", str(demo_copy), "--format", "csv")))}
    assert rows["bonn-cape-coast"]["theme"] == '\'=HYPERLINK("http://example.invalid")'
    # JSON is data for programs, not a spreadsheet: the text is kept as it is.
    as_json = json.loads(_c2c("partnerships", "-w", str(demo_copy), "--format", "json"))
    assert {r["id"]: r["theme"] for r in as_json}["bonn-cape-coast"].startswith("=HYPERLINK")


def test_records_schema_as_json_and_csv_match_the_templates() -> None:
    datasets = json.loads(_c2c("records", "schema", "--format", "json"))
    names = [d["dataset"] for d in datasets]
    assert names == ["activities", "participants", "budget_lines", "staff_exchanges", "publications",
                     "digital_tools"]
    for d in datasets:
        header = _c2c("records", "template", d["dataset"]).strip().split(",")
        assert [c["name"] for c in d["columns"]] == header
        assert d["key"] in header
        assert all(isinstance(c["required"], bool) and isinstance(c["choices"], list) for c in d["columns"])
    rows = list(csv.DictReader(io.StringIO(_c2c("records", "schema", "--format", "csv"))))
    assert len(rows) == sum(len(d["columns"]) for d in datasets)
    assert {r["required"] for r in rows} <= {"true", "false"}
    by_json = {(d["dataset"], c["name"]): " ".join(c["choices"]) for d in datasets for c in d["columns"]}
    assert {(r["dataset"], r["column"]): r["choices"] for r in rows} == by_json


def test_catalog_show_as_json_and_csv_say_what_the_yaml_says() -> None:
    ind = "basic_services_access"
    definition = yaml.safe_load(_c2c("catalog", "show", ind))
    assert json.loads(_c2c("catalog", "show", ind, "--format", "json")) == definition
    (row,) = list(csv.DictReader(io.StringIO(_c2c("catalog", "show", ind, "--format", "csv"))))
    assert row["id"] == ind and row["title"] == definition["title"] and row["unit"] == definition["unit"]
    assert float(row["end_value"]) == definition["end_value"]["value"]
    assert row["dac"].split() == definition["dac"]
    # Its first columns are those of `catalog list --format csv`, whose row for the indicator it repeats.
    listed = {r["id"]: r for r in csv.DictReader(io.StringIO(_c2c("catalog", "list", "--format", "csv")))}
    assert {k: row[k] for k in listed[ind]} == listed[ind]


def test_unknown_indicator_is_one_line_and_exit_2() -> None:
    res = run_c2c("catalog", "show", "no_such_thing", "--format", "json")
    assert res.returncode == 2 and res.stdout == ""
    assert len(res.stderr.strip().splitlines()) == 1 and "no_such_thing" in res.stderr


def _zoned(text: str) -> datetime:
    """An ISO 8601 timestamp that names its zone (a naive one fails)."""
    when = datetime.fromisoformat(text)
    assert when.tzinfo is not None, text
    return when


def test_timestamps_in_json_are_iso_8601_with_their_zone(demo_ws: Path, tmp_path: Path) -> None:
    created = _store(demo_ws, "SELECT created_at FROM vintages ORDER BY vintage_id")  # UTC, stored naive
    log = json.loads(_c2c("data", "history", "-w", str(demo_ws), "--format", "json"))
    assert [_zoned(v["loaded"]) for v in log] == [c.replace(tzinfo=UTC, microsecond=0) for (c,) in created]
    revisions = json.loads(_c2c("data", "history", "-w", str(demo_ws), "--code", "basic_services_access",
                                "--city", "aarhus", "--format", "json"))
    assert revisions and all(_zoned(r["loaded"]) == _zoned(log[0]["loaded"]) for r in revisions)
    # Scoreboards and comparisons were already ISO 8601 in UTC ("...Z"): they stay so.
    ws = tmp_path / "ws"
    import shutil

    shutil.copytree(demo_ws, ws)
    now = datetime.now(UTC)
    sb = json.loads(_c2c("assess", "bonn-cape-coast", "-w", str(ws), "--format", "json"))
    cmp = json.loads(_c2c("compare", "bonn-cape-coast", "-w", str(ws), "--format", "json"))
    for stamp in (sb["generated_at"], cmp["generated_at"]):
        assert stamp.endswith("Z") and abs(_zoned(stamp) - now) < timedelta(hours=1)


# --- shell completion ---------------------------------------------------------------------------------

def _complete(words: str, env: dict[str, str] | None = None) -> list[str]:
    """What bash would offer after `words` (the last word is the one being completed), as click tests it."""
    parts = words.split(" ")
    res = CliRunner().invoke(cli, [], prog_name="c2c", env={
        "_C2C_COMPLETE": "bash_complete", "COMP_WORDS": words, "COMP_CWORD": str(len(parts) - 1),
        "C2C_WORKSPACE": "", **(env or {})})
    assert res.exit_code == 0, res.output
    return [line.split(",", 1)[1] for line in res.stdout.splitlines() if line]


def test_completion_offers_the_workspace_s_partnership_ids(demo_ws: Path) -> None:
    ids = [r[0] for r in _store(demo_ws, "SELECT partnership_id FROM partnerships ORDER BY 1")]
    assert _complete(f"c2c assess -w {demo_ws} b") == [i for i in ids if i.startswith("b")]
    assert _complete(f"c2c compare bonn-cape-coast -w {demo_ws} li") == [i for i in ids if i.startswith("li")]
    assert _complete(f"c2c publish -w {demo_ws} ") == ids
    assert _complete(f"c2c workshop actions -w {demo_ws} mil") == ["milan-dakar"]
    # The workspace from the environment, as every command takes it.
    assert _complete("c2c assess bonn", {"C2C_WORKSPACE": str(demo_ws)}) == ["bonn-cape-coast"]


def test_completion_offers_nothing_rather_than_failing(tmp_path: Path, demo_ws: Path) -> None:
    assert _complete("c2c assess b") == []  # no workspace given
    assert _complete(f"c2c assess -w {tmp_path / 'nowhere'} b") == []
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "workspace.duckdb").write_bytes(b"not a database")
    assert _complete(f"c2c assess -w {broken} b") == []
    # While another c2c writes to the workspace, DuckDB refuses a reader: TAB offers nothing, at once,
    # instead of waiting for the workspace lock or failing; afterwards it completes again.
    from c2c_monitor.store.workspace import open_workspace

    with open_workspace(demo_ws):
        assert _complete(f"c2c assess -w {demo_ws} bo") == []
    assert _complete(f"c2c assess -w {demo_ws} bon") == ["bonn-cape-coast"]


def test_completion_offers_indicator_ids_from_the_catalogue() -> None:
    listed = [r["id"] for r in csv.DictReader(io.StringIO(_c2c("catalog", "list", "--format", "csv")))]
    assert _complete("c2c catalog show women_") == [i for i in listed if i.startswith("women_")]
    assert _complete("c2c explain ") == listed


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_the_completion_script_is_printed_for_each_shell(shell: str) -> None:
    res = run_c2c(env={"_C2C_COMPLETE": f"{shell}_source"})
    assert res.returncode == 0, res.stderr
    assert "_C2C_COMPLETE" in res.stdout and f"{shell}_complete" in res.stdout
