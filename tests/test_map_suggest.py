"""`c2c map suggest` / `map check`, local indicators (issue 15, part B).

Real platforms (Barcelona, Schleswig-Holstein) are read once per module; the small synthetic platform checks
the suggest -> edit -> ingest -> assess loop and the refusals. Expected values come from the data files and the
catalogue, not from the code under test.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from c2c_monitor.cli import cli
from c2c_monitor.definitions.locate import definitions_dir
from c2c_monitor.definitions.titles import similarities, similarity
from c2c_monitor.definitions.unit_kinds import compatible, unit_kind
from c2c_monitor.errors import C2CError
from c2c_monitor.ingest.metadata import find_metadata, norm_code
from c2c_monitor.score.local import progress
from c2c_monitor.store.workspace import open_workspace

from .conftest import ROOT, run_c2c

REAL = ROOT.parent / "shared" / "data" / "real"
BCN = REAL / "barcelona-open-sdg"
SH = REAL / "schleswig-holstein-open-sdg"


def c2c(*args: str) -> tuple[int, str, str]:
    """The command in-process (a subprocess per call would cost a second each); a C2CError is answered as
    `c2c_monitor.cli.main` answers it (its exit code, one line), which test_cli_answers_with_exit_2 checks for real."""
    res = CliRunner().invoke(cli, list(args), standalone_mode=False)
    if isinstance(res.exception, C2CError):
        return res.exception.exit_code, res.stdout, res.stderr + f"c2c: error: {res.exception.message}\n"
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        raise res.exception
    return res.exit_code, res.stdout, res.stderr


def _count(ws: Path, sql: str) -> int:
    with open_workspace(ws) as w:
        return int(w.con.execute(sql).fetchall()[0][0])


def _state(ws: Path) -> tuple[int, int, int, int]:
    return (_count(ws, "SELECT count(*) FROM vintages"), _count(ws, "SELECT count(*) FROM observations"),
            _count(ws, "SELECT count(*) FROM local_observations"), _count(ws, "SELECT count(*) FROM local_indicators"))


@pytest.fixture(scope="module")
def ws(demo_ws: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("mapsuggest") / "ws"
    shutil.copytree(demo_ws, root)
    with open_workspace(root) as w:
        w.con.execute("INSERT INTO cities (city_id, name, country, iso2) VALUES "
                      "('schleswig-holstein', 'Schleswig-Holstein', 'Germany', 'DE')")
    return root


@pytest.fixture(scope="module")
def bcn_suggested(ws: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bcn") / "mapping.yaml"
    code, _, err = c2c("map", "suggest", str(BCN), "--city", "barcelona", "-w", str(ws), "-o", str(out))
    assert code == 0, err
    return out


# --- Barcelona -----------------------------------------------------------------------------------------
def test_barcelona_suggestion_reproduces_the_shipped_mapping(bcn_suggested: Path) -> None:
    shipped = definitions_dir("examples") / "barcelona-mapping.yaml"
    assert bcn_suggested.read_text(encoding="utf-8") == shipped.read_text(encoding="utf-8")
    code, out, _ = c2c("map", "example", "barcelona")
    assert code == 0 and out == shipped.read_text(encoding="utf-8")


def test_barcelona_suggestion_takes_agreeing_codes_and_flags_proxies(bcn_suggested: Path) -> None:
    text = bcn_suggested.read_text(encoding="utf-8")
    entries = yaml.safe_load(text)["indicators"]
    data_codes = {p.stem.removeprefix("indicator_") for p in (BCN / "data").glob("indicator_*.csv")}
    assert set(entries) == data_codes and len(entries) == 221
    # Same code, same meaning, same unit (percent): taken without review.
    assert entries["5-5-1"] == {"indicator": "women_in_local_government", "confidence": entries["5-5-1"]["confidence"]}
    assert entries["7-2-1"]["indicator"] == "renewable_energy_share" and "review" not in entries["7-2-1"]
    # 11-1-1 is housing-cost overburden in Barcelona, slum population in the UN list: never slum_population.
    assert entries["11-1-1"]["indicator"] == "housing_cost_overburden" and entries["11-1-1"]["review"] is True
    block = text[text.index('"10-b-1"'):text.index('"11-1-1":')]
    assert "slum_population" in block.split("# 11-1-1")[1] and "title disagrees" in block.split("# 11-1-1")[1]
    assert all(e.get("indicator") != "slum_population" for e in entries.values())
    # PM2.5 is one pollutant of Barcelona's 11-6-1: picked as the headline of pm25_mean.
    assert entries["11-6-1"]["indicator"] == "pm25_mean"
    assert entries["11-6-1"]["select"] == {"Air_Pollutants": "PM2.5"}
    # Each catalogue indicator takes one series at most (else the load would hold duplicate keys).
    taken = [e["indicator"] for e in entries.values() if "indicator" in e]
    assert len(taken) == len(set(taken))
    # A local indicator keeps what the metadata says: Barcelona's own 2030 target for 1-1-2 is 500 homeless.
    assert entries["1-1-2"]["local"]["target_2030"] == 500.0 and entries["1-1-2"]["local"]["polarity"] == "lower"
    assert entries["1-1-2"]["local"]["source"].endswith("meta/1-1-2.md")


@pytest.fixture(scope="module")
def bcn_loaded(ws: Path, bcn_suggested: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    work = tmp_path_factory.mktemp("bcn-ws") / "ws"
    shutil.copytree(ws, work)
    code, _, err = c2c("ingest", str(BCN), "--map", str(bcn_suggested), "-w", str(work))
    assert code == 0, err
    return work, err


def test_barcelona_accepted_suggestion_loads_all_221_series(bcn_loaded: tuple[Path, str]) -> None:
    work, err = bcn_loaded
    assert "catalogue: 5 indicator(s)" in err and "local indicators of barcelona: 216 series" in err
    assert "demo_indicator.csv" in err  # said, not silently dropped
    n_local = _count(work, "SELECT count(DISTINCT code) FROM local_indicators WHERE city_id = 'barcelona'")
    assert n_local == 216  # + 5 catalogue indicators = the 221 data files
    code, out, _ = c2c("assess", "barcelona-maputo", "-w", str(work), "--format", "json")
    sb = json.loads(out)
    local_codes = {r["code"] for r in sb["local_indicators"]}
    assert len(local_codes) == 216 and not local_codes & {r["id"] for r in sb["indicators"]}
    row = next(r for r in sb["local_indicators"] if r["code"] == "1-1-2")
    assert row["target_2030"] == 500.0 and row["source"].endswith("meta/1-1-2.md")
    # Local indicators never reach the harmonised aggregates.
    assert not local_codes & {i for a in sb["aggregates"] for i in a["indicator_ids"]}


# --- Schleswig-Holstein: German titles, meta/*.yml, codes that are not UN codes --------------------------
def test_schleswig_holstein_suggest_check_and_load(ws: Path, tmp_path: Path) -> None:
    out = tmp_path / "sh.yaml"
    code, _, err = c2c("map", "suggest", str(SH / "data"), "--city", "schleswig-holstein", "-w", str(ws), "-o",
                       str(out))
    assert code == 0, err
    assert "metadata read from 15 file(s)" in err  # meta/ beside data/, found from the data folder
    shipped = (definitions_dir("examples") / "schleswig-holstein-mapping.yaml").read_text(encoding="utf-8")
    entries = yaml.safe_load(out.read_text(encoding="utf-8"))["indicators"]
    assert entries == yaml.safe_load(shipped)["indicators"]
    assert entries["12-13"]["local"]["title"] == "Sonnentage" and entries["12-13"]["local"]["unit"] == "Tage"
    # 1-2-1 is the unemployment rate there; the catalogue's 1.2.1 is the poverty rate: not taken, flagged.
    assert "local" in entries["1-2-1"] and entries["1-2-1"]["review"] is True
    # Years written 1, 2, 3 are no periods: left out with the reason rather than refusing the whole folder.
    assert {c for c, e in entries.items() if "skip" in e} == {"7-1", "7-8", "7-9"}
    work = tmp_path / "ws"
    shutil.copytree(ws, work)
    code, _, err = c2c("ingest", str(SH), "--map", str(out), "-w", str(work))
    assert code == 0, err
    assert "local indicators of schleswig-holstein: 12 series" in err and "left out by the mapping" in err


# --- suggest -> edit -> ingest -> assess on a small platform ------------------------------------------------
def _platform(root: Path) -> Path:
    data = root / "site" / "data"
    data.mkdir(parents=True)
    (data / "indicator_5-5-1.csv").write_text("Year,Units,Value\n2019,Percentage,40\n2023,Percentage,45\n")
    (data / "indicator_3-9-1.csv").write_text("Year,Units,Value\n2018,Total Number,120\n2022,Total Number,90\n")
    (data / "indicator_11-1-1.csv").write_text("Year,Units,Value\n2020,Percentage,12.5\n")
    # Metadata in an unusual place and form: found by what it holds.
    meta = root / "site" / "_content" / "es"
    meta.mkdir(parents=True)
    (meta / "a.yml").write_text("indicator_number: '5.5.1'\nindicator_name: Proporción de escaños ocupados por "
                                "mujeres en los gobiernos locales\ncomputation_units: Porcentaje\n", encoding="utf-8")
    (meta / "b.md").write_text("---\nindicator_number: 3.9.1\nindicator_name: Días con contaminación alta\n"
                               "computation_units: Número\ngraph_target_lines:\n  - value: 30\n"
                               "target_line_2030: Reducir a 30 días\n---\nTexto\n", encoding="utf-8")
    (root / "site" / "indicators.csv").write_text(
        "code,title,computation_units\n11-1-1,Población urbana que vive en barrios marginales,Porcentaje\n",
        encoding="utf-8")
    (root / "site" / "README.md").write_text("# not metadata\n")
    return root / "site"


def test_suggest_edit_ingest_assess(ws: Path, tmp_path: Path) -> None:
    site = _platform(tmp_path)
    draft = tmp_path / "draft.yaml"
    code, _, err = c2c("map", "suggest", str(site), "--city", "barcelona", "-w", str(ws), "-o", str(draft))
    assert code == 0, err
    assert "metadata read from 3 file(s)" in err
    entries = yaml.safe_load(draft.read_text(encoding="utf-8"))["indicators"]
    # Spanish title, UN code, percent: the catalogue's women_in_local_government.
    assert entries["5-5-1"]["indicator"] == "women_in_local_government" and "review" not in entries["5-5-1"]
    # A Spanish slum title with the UN code and unit of slum_population: taken too.
    assert entries["11-1-1"]["indicator"] == "slum_population"
    local = entries["3-9-1"]["local"]
    assert local["title"] == "Días con contaminación alta" and local["target_2030"] == 30.0
    assert local["polarity"] == "lower"
    # The person edits: 11-1-1 is kept local after all, with its direction.
    text = draft.read_text(encoding="utf-8").replace(
        "    indicator: slum_population\n",
        '    local: {title: "Barrios marginales", unit: percent, polarity: lower}\n')
    edited = tmp_path / "edited.yaml"
    edited.write_text(text, encoding="utf-8")
    work = tmp_path / "ws"
    shutil.copytree(ws, work)
    before = _state(work)
    code, out, err = c2c("map", "check", str(edited), str(site), "-w", str(work))
    assert code == 0, err
    assert "local indicators of barcelona: 2 series" in out and _state(work) == before  # nothing written
    code, _, err = c2c("ingest", str(site), "--map", str(edited), "-w", str(work))
    assert code == 0, err
    code, _, err = c2c("ingest", str(site), "--map", str(edited), "-w", str(work))
    assert code == 1 and "nothing new" in err  # the same folder again writes nothing, and says so (exit 1)
    code, out, _ = c2c("assess", "barcelona-maputo", "-w", str(work), "--format", "json")
    sb = json.loads(out)
    rows = {r["code"]: r for r in sb["local_indicators"]}
    assert set(rows) == {"3-9-1", "11-1-1"}
    # From 120 to 90 days, target 30: a third of the way.
    assert rows["3-9-1"]["progress"] == pytest.approx(100 * 30 / 90, abs=0.1)
    assert rows["11-1-1"]["progress"] is None  # one value, no target: context
    women = next(r for r in sb["indicators"] if r["id"] == "women_in_local_government" and r["city_id"] == "barcelona")
    assert women["value"] == 45.0
    # The published site shows them with their source.
    from c2c_monitor.publish.site_pages import PublicScoreboard
    from c2c_monitor.score.scoreboard import Scoreboard

    model = Scoreboard.model_validate(sb)
    public = PublicScoreboard.of(model)
    assert {r.code: r.source for r in public.local_indicators}["3-9-1"].endswith("b.md")
    # The same scoreboard as HTML and on the terminal (rendered from it: no second evaluation).
    from c2c_monitor.render import RENDERERS

    html = RENDERERS["html"](model, "en")
    assert "Local indicators: each city" in html and "Días con contaminación alta" in html
    table = RENDERERS["table"](model, "en")
    assert "Local indicators" in table and "33%" in table


def test_cli_answers_with_exit_2(ws: Path, tmp_path: Path) -> None:
    site = _platform(tmp_path)
    bad = tmp_path / "bad.yaml"
    bad.write_text('city: barcelona\nindicators:\n  "5-5-1": nope\n', encoding="utf-8")
    res = run_c2c("ingest", str(site), "--map", str(bad), "-w", str(ws))
    assert res.returncode == 2 and f"{bad} line 3" in res.stderr and "Traceback" not in res.stderr


def test_sdmx_csv_series_are_described_by_any_reader(ws: Path, tmp_path: Path) -> None:
    f = tmp_path / "national.csv"
    f.write_text("DATAFLOW,REF_AREA,INDICATOR,TIME_PERIOD,OBS_VALUE,UNIT_MEASURE\n"
                 "UN:DF_SDG(1.0),ES0801,SI_POV_DAY1,2021,2.5,PT\nUN:DF_SDG(1.0),ES0801,SI_POV_DAY1,2022,2.1,PT\n")
    out = tmp_path / "m.yaml"
    code, _, err = c2c("map", "suggest", str(f), "--city", "barcelona", "-w", str(ws), "-o", str(out))
    assert code == 0, err
    m = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert m["areas"] == {"ES0801": "barcelona"} and m["indicators"]["SI_POV_DAY1"]["local"]["unit"] == "PT"
    work = tmp_path / "ws"
    shutil.copytree(ws, work)
    code, _, err = c2c("ingest", str(f), "--map", str(out), "-w", str(work))
    assert code == 0 and "local indicators of barcelona: 1 series, 2 row(s)" in err, err


# --- bad mapping files: file and line, exit 2, workspace unchanged -------------------------------------------
@pytest.mark.parametrize(("body", "line", "words"), [
    ('city: barcelona\nindicators:\n  "5-5-1": women_in_local_government\n  "3-9-1": no_such_indicator\n', 4,
     "no_such_indicator"),
    ('city: atlantis\nindicators:\n  "5-5-1": women_in_local_government\n', 1, "atlantis"),
    ('city: barcelona\nindicators:\n  "5-5-1": [women\n', 4, "YAML"),
    ('city: barcelona\nindicators:\n  "3-9-1":\n    local: {unit: days}\n', 4, "title"),
])
def test_bad_mapping_files_name_file_and_line(ws: Path, tmp_path: Path, body: str, line: int, words: str) -> None:
    site = _platform(tmp_path)
    bad = tmp_path / "bad.yaml"
    bad.write_text(body, encoding="utf-8")
    before = _state(ws)
    for args in (["ingest", str(site), "--map", str(bad)], ["map", "check", str(bad), str(site)]):
        code, _, err = c2c(*args, "-w", str(ws))
        assert code == 2, err
        assert str(bad) in err and (f"line {line}" in err or f"{bad}:{line}" in err) and words.lower() in err.lower()
        assert "Traceback" not in err
    assert _state(ws) == before


def test_local_series_with_conflicting_rows_is_refused_with_its_line(ws: Path, tmp_path: Path) -> None:
    site = _platform(tmp_path)
    (site / "data" / "indicator_3-9-1.csv").write_text("Year,Units,Value\n2018,Total Number,120\n"
                                                       "2018,Total Number,121\n2030,Total Number,5\n")
    m = tmp_path / "m.yaml"
    m.write_text('city: barcelona\nindicators:\n  "3-9-1": {local: {title: Días}}\n  "5-5-1": {skip: no}\n'
                 '  "11-1-1": {skip: no}\n', encoding="utf-8")
    before = _state(ws)
    code, _, err = c2c("ingest", str(site), "--map", str(m), "-w", str(ws))
    assert code == 2 and "indicator_3-9-1.csv line 3" in err and _state(ws) == before


def test_a_version_1_store_is_migrated(tmp_path: Path, demo_ws: Path) -> None:
    work = tmp_path / "ws"
    shutil.copytree(demo_ws, work)
    from c2c_monitor.store.schema import SCHEMA_VERSION

    # Undo every migration after the first, as a store written by c2c before them would be.
    with open_workspace(work) as w:
        for sql in ("DROP TABLE local_indicators", "DROP TABLE local_observations", "DROP TABLE stages",
                    "DROP TABLE group_types", "ALTER TABLE ratings DROP COLUMN sheet",
                    *(f"ALTER TABLE actions DROP COLUMN {c}" for c in
                      ("alias", "principles", "enablers", "priority", "timeframe"))):
            w.con.execute(sql)
        w.con.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    assert _count(work, "SELECT count(*) FROM local_indicators") == 0
    assert _count(work, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'schema_version'") == SCHEMA_VERSION


# --- the parts ---------------------------------------------------------------------------------------------
@given(pol=st.sampled_from(["higher", "lower"]), target=st.floats(-1e6, 1e6), base=st.floats(-1e6, 1e6),
       a=st.floats(-1e6, 1e6), b=st.floats(-1e6, 1e6))
def test_progress_is_bounded_and_moves_with_the_value(pol: str, target: float, base: float, a: float, b: float) -> None:
    pa, pb = progress(pol, target, base, a), progress(pol, target, base, b)
    assert pa is not None and pb is not None and 0 <= pa <= 100 and 0 <= pb <= 100
    better = (a >= b) if pol == "higher" else (a <= b)
    assert pa >= pb if better else pa <= pb
    assert progress(pol, target, base, target) == 100.0
    assert progress(None, target, base, a) is None


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=40), st.text(max_size=40))
def test_similarity_is_symmetric_and_bounded(a: str, b: str) -> None:
    s = similarity(a, b)
    assert 0.0 <= s <= 1.0 and s == pytest.approx(similarity(b, a))


_TITLE_WORDS = st.sampled_from(["rate", "taxa", "población", "poblacion", "urbana", "urban", "PM2.5", "émissions",
                                 "emissions", "de", "the", "women", "dones", "x", "housing", "habitatge", "40%"])
_TITLES = st.lists(st.lists(_TITLE_WORDS, max_size=6).map(" ".join) | st.text(max_size=30), max_size=6)


@settings(max_examples=60, deadline=None)
@given(_TITLES, _TITLES)
def test_similarities_matrix_is_the_pairwise_similarity_to_the_last_bit(a: list[str], b: list[str]) -> None:
    # map suggest ranks with the matrix: a float differing in its last bit could reorder two candidates.
    m = similarities(a, b)
    assert m.shape == (len(a), len(b))
    assert [[float(x) for x in row] for row in m] == [[similarity(x, y) for y in b] for x in a]


def test_similarity_crosses_languages_through_un_titles() -> None:
    es = "Proporción de la población urbana que vive en barrios marginales"
    assert similarity(es, "Proporción de la población urbana que vive en barrios marginales, asentamientos "
                      "informales o viviendas inadecuadas") > similarity(es, "Tasa de desempleo")


@pytest.mark.parametrize(("unit", "kind"), [("Percentage", "percent"), ("Prozent (%)", "percent"),
                                            ("Porcentaje", "percent"), ("Total Number", "count"),
                                            ("Rate per 100,000", "rate"), ("per 100 000 habitants", "rate"),
                                            ("Million Euros", "currency"), ("µg/m3", "concentration"),
                                            ("Tage", "time"), ("quelque chose", None)])
def test_unit_kinds(unit: str, kind: str | None) -> None:
    assert unit_kind(unit) == kind
    assert compatible("Percentage", "percent") is True and compatible("Total Number", "percent") is False
    assert compatible("Kinder/Jahr", "percent") is None
    assert unit_kind("weird", lookup=lambda u: "count") == "count"  # a conversion table may answer first


def test_codes_and_metadata_found_by_content(tmp_path: Path) -> None:
    assert norm_code("11.1.1") == norm_code("indicator_11-1-1") == "11-1-1" and norm_code("12-12") == "12-12"
    assert norm_code("Year") is None and norm_code(True) is None
    site = _platform(tmp_path)
    meta = find_metadata([site / "data"], sorted((site / "data").glob("*.csv")))
    assert set(meta.records) == {"5-5-1", "3-9-1", "11-1-1"}
    assert not any(f.endswith("README.md") for f in meta.files)


def test_metadata_goes_through_the_capped_c_loader(tmp_path: Path) -> None:
    from c2c_monitor.definitions import yamlload

    assert yamlload.loader_class() is getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "indicator_1-1-1.csv").write_text("Year,Value\n2020,1\n")
    (tmp_path / "meta").mkdir()
    # An alias bomb in a metadata file is refused by the caps (a note), never expanded; a broken file likewise.
    (tmp_path / "meta" / "1-1-1.yml").write_text("a: &x [1, 2]\nindicator_name: *x\n")
    (tmp_path / "meta" / "1-1-2.md").write_text("---\nindicator_name: [unclosed\n---\n")
    meta = find_metadata([tmp_path], [tmp_path / "data" / "indicator_1-1-1.csv"])
    assert meta.records == {} and meta.files == [] and len(meta.notes) == 2
