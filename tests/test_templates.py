"""Templates hold a header and commented examples, never data rows: a user filling in below the example loads
only what they typed (the ingest template's example rows revised the demo's figures before)."""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl
import pytest


def _rows_after_header(path: Path) -> list[list[str]]:
    if path.suffix == ".xlsx":
        from openpyxl import load_workbook

        return [[str(c) if c is not None else "" for c in r] for r in load_workbook(path).active.iter_rows(
            min_row=2, values_only=True)]
    with path.open(encoding="utf-8") as fh:
        return list(csv.reader(fh))[1:]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_ingest_template_has_only_commented_examples_and_reads_as_no_rows(tmp_path, suffix) -> None:
    from c2c_monitor.ingest.load import write_template
    from c2c_monitor.ingest.readers import read_long_csv, read_xlsx

    path = tmp_path / f"t{suffix}"
    write_template(path)
    rows = _rows_after_header(path)
    assert rows and all(r[0].startswith("#") for r in rows)  # an example to read, none to load
    read = read_xlsx if suffix == ".xlsx" else read_long_csv
    assert read(path).frame.height == 0
    # Filled in below the example: exactly the user's row, on its own line number.
    if suffix == ".xlsx":
        from openpyxl import load_workbook

        wb = load_workbook(path)
        wb.active.append(["unemployment_rate", "bonn", "2025-Q4", "7.5", "percent", "", ""])
        wb.save(path)
    else:
        with path.open("a", encoding="utf-8") as fh:
            fh.write("unemployment_rate,bonn,2025-Q4,7.5,percent,,\n")
    frame = read(path).frame
    assert frame.select("source_code", "period", "_line").rows() == [("unemployment_rate", "2025-Q4", len(rows) + 2)]


def test_partnerships_template_example_is_a_comment(demo_copy, tmp_path) -> None:
    from c2c_monitor.errors import C2CError
    from c2c_monitor.ingest.partnerships import TEMPLATE, import_partnerships
    from c2c_monitor.store.cells import csv_text
    from c2c_monitor.store.workspace import open_workspace

    assert all(r[0].startswith("#") for r in TEMPLATE[1:])
    path = tmp_path / "p.csv"
    path.write_text(csv_text(TEMPLATE), encoding="utf-8")
    with open_workspace(demo_copy) as ws:
        before = ws.con.execute("SELECT * FROM partnerships ORDER BY ALL").fetchall()
        with pytest.raises(C2CError):  # nothing to load: refused or "nothing loaded", never a silent update
            import_partnerships(ws.con, path, update=True)
        assert ws.con.execute("SELECT * FROM partnerships ORDER BY ALL").fetchall() == before


def test_workshop_template_carries_no_ratings_and_a_commented_row_is_ignored(demo_copy, tmp_path) -> None:
    from c2c_monitor.definitions.principles import load_framework
    from c2c_monitor.errors import NothingLoaded
    from c2c_monitor.store.workspace import open_workspace
    from c2c_monitor.workshop.sheets import import_ratings, write_template

    fw = load_framework()
    with open_workspace(demo_copy) as ws:
        csv_path, xlsx_path = write_template(ws.con, fw, "bonn-cape-coast", tmp_path / "t", 2, "en")
    sheet = pl.read_csv(csv_path, infer_schema=False)
    assert set(sheet["rating"].fill_null("")) == {""} and set(sheet["stakeholder_group"].fill_null("")) == {""}
    assert all(r[5] == "" for r in _rows_after_header(xlsx_path))
    with open_workspace(demo_copy) as ws, pytest.raises(NothingLoaded):
        import_ratings(ws.con, fw, csv_path, "bonn-cape-coast", "r1", None, "en")
    # A row commented out by the facilitator is not read (its bad rating would refuse the sheet otherwise).
    filled = sheet.head(3).with_columns(pl.lit("4").alias("rating"), pl.lit("2025-03-01").alias("held_on"))
    filled = filled.with_columns(pl.when(pl.int_range(pl.len()) == 1).then(pl.lit("# P01 left"))
                                 .otherwise(pl.col("participant_code")).alias("participant_code"),
                                 pl.when(pl.int_range(pl.len()) == 1).then(pl.lit("9")).otherwise(pl.col("rating"))
                                 .alias("rating"))
    filled.write_csv(tmp_path / "filled.csv")
    with open_workspace(demo_copy) as ws:
        assert import_ratings(ws.con, fw, tmp_path / "filled.csv", "bonn-cape-coast", "r1", None, "en")["ratings"] == 2


def test_compiled_templates_are_kept_across_processes_and_an_edit_is_seen(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The compiled-template cache (render/html._TemplateCache) is reused by a new Environment, as by a new
    process, yet a template edited since is compiled again rather than served from the cache."""
    from c2c_monitor.render import html

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    own = tmp_path / "own"
    own.mkdir()
    (own / "note.html").write_text("<p>{{ word }} one</p>", encoding="utf-8")
    html.environment.cache_clear()
    assert html.environment(own).get_template("note.html").render(word="<b>") == "<p>&lt;b&gt; one</p>"
    cached = list((tmp_path / "cache" / "c2c-monitor").glob("templates-*/*.cache"))
    assert cached, "nothing was written to the template cache"
    (own / "note.html").write_text("<p>{{ word }} two</p>", encoding="utf-8")
    html.environment.cache_clear()
    assert html.environment(own).get_template("note.html").render(word="x") == "<p>x two</p>"
    html.environment.cache_clear()


def test_an_unwritable_template_cache_does_not_fail_a_render(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from c2c_monitor.render import html

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would go", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    own = tmp_path / "own"
    own.mkdir()
    (own / "note.html").write_text("<p>{{ word }}</p>", encoding="utf-8")
    html.environment.cache_clear()
    assert html.environment(own).get_template("note.html").render(word="ok") == "<p>ok</p>"
    html.environment.cache_clear()
