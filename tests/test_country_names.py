"""A city's country in the reader's language (render/countries): CLDR's name by the city's ISO code in another
language than the workspace's, the stored name in the workspace's own language and in the open data."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from c2c_monitor.render.countries import country_names
from c2c_monitor.store.workspace import open_workspace

from .conftest import run_c2c


def test_cities_are_named_by_code_and_those_without_a_known_code_are_left_out(demo_copy: Path) -> None:
    with open_workspace(demo_copy) as ws:
        # One city without a code, one with a code no country has, one in lower case with spaces.
        ws.con.execute("UPDATE cities SET iso2 = NULL WHERE city_id = 'bonn'")
        ws.con.execute("UPDATE cities SET iso2 = 'XX' WHERE city_id = 'cape-coast'")
        ws.con.execute("UPDATE cities SET iso2 = ' co ' WHERE city_id = 'medellin'")
        ids = ["bilbao", "medellin", "bonn", "cape-coast", "lisbon", "no-such-city"]
        assert country_names(ws.con, ids, "fr", "en") == {"bilbao": "Espagne", "medellin": "Colombie",
                                                            "lisbon": "Portugal"}
        assert country_names(ws.con, ids, "es", "en") == {"bilbao": "España", "medellin": "Colombia",
                                                            "lisbon": "Portugal"}
        assert country_names(ws.con, ids, "pt", "en") == {"bilbao": "Espanha", "medellin": "Colômbia",
                                                            "lisbon": "Portugal"}
        assert country_names(ws.con, ids, "fr", "fr") == {}  # the stored names are the workspace language's


def test_assess_names_the_countries_in_the_language_asked_for_and_as_stored_in_the_workspaces(demo_copy: Path) -> None:
    fr = run_c2c("assess", "bilbao-medellin", "-w", str(demo_copy), "--lang", "fr")
    en = run_c2c("assess", "bilbao-medellin", "-w", str(demo_copy))
    assert fr.returncode == en.returncode == 0, fr.stderr + en.stderr
    assert "Bilbao (Espagne) – Medellín (Colombie)" in fr.stdout
    assert "Bilbao (Spain) – Medellín (Colombia)" in en.stdout
    # JSON is data: the stored names, whatever the language asked for.
    js = run_c2c("assess", "bilbao-medellin", "-w", str(demo_copy), "--lang", "fr", "--format", "json")
    assert '"country": "Spain"' in js.stdout and "Espagne" not in js.stdout


@pytest.mark.parametrize("workspace_lang", ["en", "fr"])
def test_site_pages_name_countries_in_their_language_and_the_open_data_keeps_the_stored_names(
        demo_copy: Path, tmp_path: Path, workspace_lang: str) -> None:
    cfg = demo_copy / "c2c.toml"
    cfg.write_text(re.sub(r'(?m)^language = "en"$', f'language = "{workspace_lang}"', cfg.read_text()))
    out = tmp_path / "site"
    r = run_c2c("publish", "bilbao-medellin", "-w", str(demo_copy), "-o", str(out), "--no-pdf", "--lang", "en,fr")
    assert r.returncode == 0, r.stderr
    en_page = (out / "partnerships" / "bilbao-medellin.html").read_text(encoding="utf-8")
    fr_page = (out / "fr" / "partnerships" / "bilbao-medellin.html").read_text(encoding="utf-8")
    fr_index = (out / "fr" / "index.html").read_text(encoding="utf-8")
    assert "Bilbao (Spain" in en_page
    if workspace_lang == "en":
        assert "Bilbao (Espagne" in fr_page and "Espagne" in fr_index and "Spain" not in fr_page
    else:  # the stored names are taken to be the workspace's own language's
        assert "Bilbao (Spain" in fr_page and "Espagne" not in fr_page
    with (out / "data" / "partnerships.csv").open(encoding="utf-8") as f:
        row = next(csv.DictReader(f))
    assert (row["european_country"], row["partner_country"]) == ("Spain", "Colombia")
