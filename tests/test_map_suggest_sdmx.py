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


# --- a series' headline is the city's: other areas' rows never make the proposal --------------------------------
# Hand-made national SDMX-CSV of two areas, the city's (`kigali`, its own id as the code) and the nation's (RW):
# 1.2.1: the nation has totals, the city only rows by sex      -> no headline for the city: not taken
# 8.5.2: the city has a total, the nation only a row by sex     -> the city's headline: taken
# 11.1.1: the nation only                                       -> left out, saying so
TWO_AREAS = [("RW", "1.2.1", "_T", "2020", "20.0"), ("RW", "1.2.1", "_T", "2021", "21.0"),
             ("kigali", "1.2.1", "F", "2021", "12.0"), ("kigali", "1.2.1", "M", "2021", "11.0"),
             ("kigali", "8.5.2", "_T", "2021", "9.5"), ("RW", "8.5.2", "F", "2021", "14.0"),
             ("RW", "11.1.1", "_T", "2021", "30.0")]
TITLES = {"1-2-1": "Proportion of population living below the national poverty line",
          "8-5-2": "Unemployment rate",
          "11-1-1": "Proportion of urban population living in slums, informal settlements or inadequate housing"}


def _two_areas(root: Path) -> Path:
    (root / "data").mkdir(parents=True)
    (root / "meta").mkdir()
    f = root / "data" / "national.csv"
    f.write_text("DATAFLOW,REF_AREA,INDICATOR,SEX,TIME_PERIOD,OBS_VALUE,UNIT_MEASURE\n" + "".join(
        f"UN:DF_SDG(1.0),{a},{c},{s},{t},{v},PT\n" for a, c, s, t, v in TWO_AREAS), encoding="utf-8")
    for code, title in TITLES.items():
        (root / "meta" / f"{code}.md").write_text(f"---\nindicator_name: {title}\ncomputation_units: Percentage\n---\n",
                                                  encoding="utf-8")
    return f


def test_describe_judges_the_headline_on_the_citys_rows(tmp_path: Path) -> None:
    from c2c_monitor.ingest.series import describe, read_inputs

    parsed, meta, _, findings = read_inputs([_two_areas(tmp_path / "site")])
    assert not findings
    every = {d.code: d for d in describe(parsed, meta)}
    city = {d.code: d for d in describe(parsed, meta, city_areas={"kigali"})}
    # Over every area: the nation's totals make a headline, its newest total the latest value.
    assert every["1.2.1"].has_headline and every["1.2.1"].latest == 21.0
    assert every["8.5.2"].disagg_values == {"SEX": ["F"]}
    # The city's rows only: 1.2.1 is by sex alone (no headline, no latest), 8.5.2 a plain total of 9.5.
    assert not city["1.2.1"].has_headline and city["1.2.1"].latest is None
    assert city["1.2.1"].disagg_values == {"SEX": ["F", "M"]}
    assert city["8.5.2"].has_headline and city["8.5.2"].disagg_values == {} and city["8.5.2"].latest == 9.5
    # Every area is still listed, so a series without the city's rows can be said to have none.
    assert city["11.1.1"].areas == ["RW"] and city["1.2.1"].areas == ["RW", "kigali"]


def test_suggest_for_a_city_uses_its_rows_and_says_when_it_has_none(ws: Path, tmp_path: Path) -> None:
    f = _two_areas(tmp_path / "site")
    out = tmp_path / "m.yaml"
    rc, _, err = c2c("map", "suggest", str(f), "--city", "kigali", "-w", str(ws), "-o", str(out))
    assert rc == 0, err
    text = out.read_text(encoding="utf-8")
    m = yaml.safe_load(text)
    poverty, unemployment, slums = (m["indicators"][c] for c in ("1.2.1", "8.5.2", "11.1.1"))
    # The nation's totals do not make a headline for Kigali: the code match is not taken, and says why.
    assert "indicator" not in poverty and poverty["review"] is True and "local" in poverty
    assert "poverty_rate's, but no headline: every row is disaggregated by SEX: not taken" in text
    assert unemployment["indicator"] == "unemployment_rate" and "select" not in unemployment
    assert "no rows for the city's area kigali" in slums["skip"]
    # The city's own code is the city; the nation's is named as skipped, never proposed as the city.
    assert m["areas"] == {"kigali": "kigali"}
    assert "Other area codes in the data (their rows are skipped" in text and "RW" in text
    rc, check, err = c2c("map", "check", str(out), str(f), "-w", str(ws))
    assert rc == 0, err
    assert "unemployment_rate 1" in check


def test_rwandas_kigali_headline_is_kigalis_not_the_nations() -> None:
    from c2c_monitor.ingest.metadata import Metadata
    from c2c_monitor.ingest.readers import Parsed
    from c2c_monitor.ingest.sdmx_ml import read_sdmx_ml
    from c2c_monitor.ingest.series import describe

    _, _, poverty = _xml_series()  # Kigali's headline values of SI_POV_NAHC, from the XML itself
    frame, _ = read_sdmx_ml(DATA, DSD)
    every = {d.code: d for d in describe([Parsed(frame)], Metadata())}["SI_POV_NAHC"]
    kigali = {d.code: d for d in describe([Parsed(frame)], Metadata(), city_areas={"1"})}["SI_POV_NAHC"]
    assert kigali.latest == float(poverty[max(poverty)]) != every.latest
    assert kigali.disagg_values == {} and every.disagg_values  # the nation's splits by sex, age, urbanisation
