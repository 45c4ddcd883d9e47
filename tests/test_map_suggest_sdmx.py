"""`c2c map suggest` / `map check` on SDMX-ML (issue 15): Rwanda's national SDG message drafts a mapping for a
partnership with Kigali whose catalogue indicators come from UN *series* codes and whose area is found by the
code list's name, and that mapping loads and is assessed.

Expected values come from the XML files and the catalogue, not from the code under test.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from lxml import etree

from c2c_monitor.definitions.catalog import load_catalogue
from c2c_monitor.ingest.series import SeriesDescription
from c2c_monitor.ingest.suggest import named_areas, suggest
from tests.test_map_suggest import c2c
from tests.test_sdmx_ml import DATA, DSD, PARTNERSHIPS

TOTALS = {"_T", "_Z"}


def _xml_series() -> tuple[set[str], set[str], dict[str, str]]:
    """From the data message itself: every SERIES code, those with rows for REF_AREA '1', and the headline
    (every other dimension a total) values of SI_POV_NAHC for area '1' by period."""
    codes, kigali, poverty = set(), set(), {}
    for s in etree.parse(str(DATA)).getroot().iter("{*}Series"):
        code = s.get("SERIES")
        codes.add(code)
        if s.get("REF_AREA") == "1":
            kigali.add(code)
            others = {k: v for k, v in s.attrib.items() if k not in ("SERIES", "REF_AREA", "FREQ", "REPORTING_TYPE",
                                                                     "UNIT_MEASURE", "UNIT_MULT")}
            if code == "SI_POV_NAHC" and set(others.values()) <= TOTALS:
                poverty.update({o.get("TIME_PERIOD"): o.get("OBS_VALUE") for o in s.iter("{*}Obs")})
    return codes, kigali, poverty


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with one partnership with Kigali and no data."""
    from c2c_monitor.ingest.partnerships import import_partnerships
    from c2c_monitor.store.workspace import init_workspace, open_workspace

    root = tmp_path_factory.mktemp("suggestsdmx") / "ws"
    init_workspace(root, "kigali")
    (root.parent / "p.csv").write_text(PARTNERSHIPS, encoding="utf-8")
    with open_workspace(root) as w:
        import_partnerships(w.con, root.parent / "p.csv")
    return root


def test_suggest_on_rwanda_sdmx_ml_proposes_series_codes_and_kigali_then_loads(ws: Path, tmp_path: Path) -> None:
    out = tmp_path / "rwanda.yaml"
    rc, _, err = c2c("map", "suggest", str(DATA), "--structure", str(DSD), "--city", "kigali", "-w", str(ws),
                     "-o", str(out))
    assert rc == 0, err
    text = out.read_text(encoding="utf-8")
    m = yaml.safe_load(text)
    codes, kigali, poverty = _xml_series()
    assert set(m["indicators"]) == codes  # one entry per SERIES code
    # The DSD's REF_AREA code list names '1' 'City of Kigali': proposed as the city, the others named.
    assert m["areas"] == {"1": "kigali"} and "'City of Kigali' in the code list" in text
    # Catalogue indicators from the UN series codes the catalogue lists (sdg.series), never any other.
    by_series = {s: i.id for i in load_catalogue().indicators.values() for s in i.sdg.series}
    taken = {code: e["indicator"] for code, e in m["indicators"].items() if "indicator" in e}
    assert taken == {c: by_series[c] for c in codes & set(by_series) & kigali}
    assert taken["SI_POV_NAHC"] == "poverty_rate"
    assert "UN series SI_POV_NAHC (SDG 1.2.1) is poverty_rate's" in text
    # A series without a row for Kigali (national only) is left out, saying why; the others are local.
    for code in codes - kigali:
        assert "no rows for the city's area 1" in m["indicators"][code]["skip"]
    assert {c for c, e in m["indicators"].items() if "local" in e} == kigali - set(taken)
    assert "# SI_POV_NAHC: Proportion of population living below the national poverty line" in text

    rc, check, err = c2c("map", "check", str(out), str(DATA), "-w", str(ws))  # the DSD found beside it
    assert rc == 0, err
    assert f"poverty_rate {len(poverty)}" in check
    rc, _, err = c2c("ingest", str(DATA), "--map", str(out), "-w", str(ws))
    assert rc == 0, err
    rc, res, err = c2c("assess", "lyon-kigali", "-w", str(ws), "--list", "long", "--format", "json")
    assert rc == 0, err
    row = next(i for i in json.loads(res)["indicators"] if i["id"] == "poverty_rate" and i["city_id"] == "kigali")
    latest = max(poverty)
    assert (row["period"], row["value"]) == (latest, float(poverty[latest]))


def test_a_message_without_its_structure_is_refused_in_one_line(ws: Path, tmp_path: Path) -> None:
    alone = tmp_path / "alone.xml"
    alone.write_bytes(DATA.read_bytes())  # no structure message beside it
    out = tmp_path / "m.yaml"
    rc, _, err = c2c("map", "suggest", str(alone), "--city", "kigali", "-w", str(ws), "-o", str(out))
    assert rc == 2 and "no structure (DSD)" in err and "--structure" in err and not out.exists()


def test_a_series_code_match_follows_the_title_and_unit_rules() -> None:
    cat = load_catalogue()
    good = SeriesDescription("SI_POV_NAHC", "Proportion of population living below the national poverty line",
                             "PT", "x.xml", data_units=["PT"])
    wrong_title = SeriesDescription("SI_POV_NAHC", "Number of registered cars", "PT", "x.xml", data_units=["PT"])
    wrong_unit = SeriesDescription("SI_POV_NAHC", good.title, "USD", "x.xml", data_units=["USD"])
    a, b, c = suggest([good, wrong_title, wrong_unit], cat)
    assert (a.indicator, a.review) == ("poverty_rate", False)
    for s in (b, c):
        assert s.indicator is None and s.review and s.local, s.reasons
        assert any("UN series SI_POV_NAHC" in r and "not taken" in r for r in s.reasons)
    # A series of another area only is skipped once the city's area is known.
    other = SeriesDescription("SI_POV_NAHC", good.title, "PT", "x.xml", data_units=["PT"], areas=["RW"])
    (d,) = suggest([other], cat, city_areas={"1"})
    assert d.skip and d.indicator is None


def test_named_areas_find_the_city_by_its_code_list_name() -> None:
    names = {"1": "City of Kigali", "11": "Nyarugenge", "RW": "Rwanda", "2": "Southern Province"}
    assert named_areas(names, "kigali", "Kigali") == ["1"]
    assert named_areas(names, "lyon", "Lyon") == []
    assert named_areas({**names, "9": "Kigali City"}, "kigali", "Kigali") == ["1", "9"]
