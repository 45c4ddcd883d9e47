"""c2c partnerships import: new, unchanged, refused changes, --update, and bad files that change nothing."""

from __future__ import annotations

import csv
import json

import pytest

from c2c_monitor.ingest.partnerships import TEMPLATE

from .conftest import run_c2c
from .test_ingest import state


def _file(tmp_path, rows: list[list[str]], name: str = "p.csv"):
    path = tmp_path / name
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([TEMPLATE[0], *rows])
    return path


ROW = ["lyon-2", "Lyon – Porto-Novo II", "lyon", "Lyon", "France", "522000", "porto-novo", "Porto-Novo", "Benin",
       "264000", "Water", "6,11", "2024", "250000", "Second phase"]


def test_new_partnership_between_known_and_new_cities(demo_copy, tmp_path) -> None:
    new_city = ROW[:6] + ["ouidah", "Ouidah", "Benin", "76000"] + ROW[10:]
    res = run_c2c("partnerships", "import", str(_file(tmp_path, [new_city])), "-w", str(demo_copy))
    assert res.returncode == 0, res.stderr
    assert "1 new, 0 updated" in res.stderr and "1 new city" in res.stderr
    doc = json.loads(run_c2c("assess", "lyon-2", "-w", str(demo_copy), "--format", "json").stdout)
    assert [c["name"] for c in doc["partnership"]["cities"]] == ["Lyon", "Ouidah"]
    assert doc["partnership"]["sdgs"] == [6, 11]
    again = run_c2c("partnerships", "import", str(_file(tmp_path, [new_city])), "-w", str(demo_copy))
    assert again.returncode == 1 and "0 new, 0 updated, 1 unchanged" in again.stderr and "nothing new" in again.stderr
    # Changing a known city (here Lyon's population) needs --update; without it nothing is written.
    moved = new_city[:5] + ["530000"] + new_city[6:]
    before = state(demo_copy)
    res = run_c2c("partnerships", "import", str(_file(tmp_path, [moved])), "-w", str(demo_copy))
    assert res.returncode == 2 and "city 'lyon' exists with other details" in res.stderr
    assert state(demo_copy) == before
    res = run_c2c("partnerships", "import", str(_file(tmp_path, [moved])), "-w", str(demo_copy), "--update")
    assert res.returncode == 0 and state(demo_copy) != before


@pytest.mark.parametrize(("column", "value", "ftype"), [
    ("partnership_id", "Lyon 2!", "bad-value"),
    ("name", "", "missing-value"),
    ("sdgs", "11,18", "bad-value"),
    ("start_year", "1850", "out-of-range"),
    ("budget_eur", "lots", "bad-value"),
    ("partner_city_id", "lyon", "bad-value"),
])
def test_bad_partnership_files_are_refused_and_change_nothing(demo_copy, tmp_path, column, value, ftype) -> None:
    row = list(ROW)
    row[TEMPLATE[0].index(column)] = value
    before = state(demo_copy)
    res = run_c2c("partnerships", "import", str(_file(tmp_path, [row])), "-w", str(demo_copy))
    assert res.returncode == 2
    assert f"p.csv line 2, column '{column}'" in res.stderr
    assert state(demo_copy) == before


def test_duplicate_ids_and_unknown_columns_are_named(demo_copy, tmp_path) -> None:
    res = run_c2c("partnerships", "import", str(_file(tmp_path, [ROW, ROW])), "-w", str(demo_copy))
    assert res.returncode == 2 and "line 3, column 'partnership_id': partnership id already on line 2" in res.stderr
    bad = tmp_path / "x.csv"
    bad.write_text("partnership_id,name,mayor\nx,y,z\n")
    res = run_c2c("partnerships", "import", str(bad), "-w", str(demo_copy))
    assert res.returncode == 2 and "column 'mayor'" in res.stderr and "column 'european_city_id'" in res.stderr


def test_a_partnership_without_a_round_says_so_on_its_page(demo_copy, tmp_path) -> None:
    """A newly registered partnership has held no workshop round: its page says that, in the page's language,
    rather than "0 participants in round –"."""
    new_city = ROW[:6] + ["ouidah", "Ouidah", "Benin", "76000"] + ROW[10:]
    assert run_c2c("partnerships", "import", str(_file(tmp_path, [new_city])), "-w", str(demo_copy)).returncode == 0
    for lang, said in (("en", "No workshop round held yet."), ("fr", "Aucun cycle d'atelier tenu pour l'instant.")):
        out = tmp_path / f"site-{lang}"
        res = run_c2c("publish", "lyon-2", "-w", str(demo_copy), "-o", str(out), "--no-pdf", "-q", "--lang", lang)
        assert res.returncode == 0, res.stderr
        page = (out / "partnerships" / "lyon-2.html").read_text(encoding="utf-8")
        assert said in page.replace("&#39;", "'") and "round –" not in page and "cycle –" not in page
