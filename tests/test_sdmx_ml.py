"""SDMX-ML data messages with their structure: Rwanda's national SDG data into a workspace with a
partnership with Kigali, generic messages, and every broken message as a finding (issue 15, part A)."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from c2c_monitor.definitions.catalog import Catalogue, load_catalogue, validate_catalogue
from c2c_monitor.ingest.load import expand_paths, ingest, read_batch
from c2c_monitor.ingest.mapping import Mapping
from c2c_monitor.ingest.readers import detect_format
from c2c_monitor.ingest.sdmx_ml import read_sdmx_ml
from c2c_monitor.ingest.textfile import ReadError
from tests.conftest import ROOT, run_c2c
from tests.test_ingest import state

RWANDA = ROOT.parent / "shared" / "data" / "real" / "rwanda-nisr-sdg"
DATA = RWANDA / "sdmx-data" / "2025_RWA-SDG_Data.xml"
DSD = RWANDA / "RWA_2025_SDG DSD.xml"
PARTNERSHIPS = (
    "partnership_id,name,european_city_id,european_city_name,european_country,european_city_population,"
    "partner_city_id,partner_city_name,partner_country,partner_city_population,theme,sdgs,start_year,budget_eur,"
    "description\n"
    "lyon-kigali,Lyon – Kigali,lyon,Lyon,France,520000,kigali,Kigali,Rwanda,1750000,Urban poverty,\"1,11\",2021,"
    "500000,Joint work on urban poverty.\n")
DIMS = ["FREQ", "REPORTING_TYPE", "SERIES", "REF_AREA", "SEX", "AGE", "URBANISATION", "INCOME_WEALTH_QUANTILE",
        "EDUCATION_LEV", "OCCUPATION", "CUST_BREAKDOWN", "COMPOSITE_BREAKDOWN", "DISABILITY_STATUS", "ACTIVITY",
        "PRODUCT"]
MSG = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message"
HEADER = ('<message:Header><message:ID>T1</message:ID><message:Test>true</message:Test>'
          '<message:Prepared>2026-01-01T00:00:00</message:Prepared><message:Sender id="T"/>'
          '<message:Structure structureID="S1" dimensionAtObservation="TIME_PERIOD">'
          '<common:Structure><Ref agencyID="NISR-SDGs" id="SDG" version="1.3"/></common:Structure>'
          '</message:Structure></message:Header>')
NS = (f'xmlns:message="{MSG}" xmlns:common="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common" '
      'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"')


def _key(series: str, area: str, sex: str = "_T") -> dict[str, str]:
    return {d: {"FREQ": "A", "REPORTING_TYPE": "N", "SERIES": series, "REF_AREA": area, "SEX": sex}.get(d, "_T")
            for d in DIMS}


def structure_specific(series: list[tuple[dict[str, str], list[tuple[str, str]]]], unit: str = "PT",
                       mult: str = "0") -> str:
    ss = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/structurespecific"
    urn = "urn:sdmx:org.sdmx.infomodel.datastructure.DataStructure=NISR-SDGs:SDG(1.3):ObsLevelDim:TIME_PERIOD"
    body = ""
    for key, obs in series:
        attrs = " ".join(f'{k}="{v}"' for k, v in key.items())
        body += f'\n<Series {attrs} UNIT_MEASURE="{unit}">'
        for period, value in obs:
            body += f'\n<Obs TIME_PERIOD="{period}" OBS_VALUE="{value}" OBS_STATUS="A" UNIT_MULT="{mult}"/>'
        body += "\n</Series>"
    return (f"<?xml version='1.0' encoding='UTF-8'?>\n<message:StructureSpecificData {NS} xmlns:ss=\"{ss}\" "
            f'xmlns:ns1="{urn}">{HEADER}\n<message:DataSet ss:structureRef="S1" xsi:type="ns1:DataSetType">'
            f"{body}\n</message:DataSet>\n</message:StructureSpecificData>\n")


def generic(series: list[tuple[dict[str, str], list[tuple[str, str]]]]) -> str:
    g = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/generic"
    body = ""
    for key, obs in series:
        values = "".join(f'<generic:Value id="{k}" value="{v}"/>' for k, v in key.items())
        body += f"\n<generic:Series><generic:SeriesKey>{values}</generic:SeriesKey>"
        body += '<generic:Attributes><generic:Value id="UNIT_MEASURE" value="PT"/></generic:Attributes>'
        for period, value in obs:
            body += (f'\n<generic:Obs><generic:ObsDimension value="{period}"/><generic:ObsValue value="{value}"/>'
                     '<generic:Attributes><generic:Value id="OBS_STATUS" value="E"/></generic:Attributes>'
                     "</generic:Obs>")
        body += "\n</generic:Series>"
    return (f"<?xml version='1.0' encoding='UTF-8'?>\n<message:GenericData {NS} xmlns:generic=\"{g}\">{HEADER}\n"
            f'<message:DataSet structureRef="S1">{body}\n</message:DataSet>\n</message:GenericData>\n')


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    return load_catalogue()


@pytest.fixture(scope="module")
def kigali_ws(tmp_path_factory: pytest.TempPathFactory, cat: Catalogue) -> tuple[Path, object]:
    """A workspace with one partnership with Kigali, Rwanda's whole SDMX-ML message ingested into it."""
    from c2c_monitor.ingest.partnerships import import_partnerships
    from c2c_monitor.store.workspace import init_workspace, open_workspace

    root = tmp_path_factory.mktemp("kigali") / "ws"
    init_workspace(root, "kigali")
    p = root.parent / "partnerships.csv"
    p.write_text(PARTNERSHIPS, encoding="utf-8")
    with open_workspace(root) as ws:
        import_partnerships(ws.con, p)
        summary = ingest(ws.con, cat, [DATA], Mapping())
    return root, summary


def test_rwanda_sdmx_ml_loads_kigali_by_series_code_and_area_name(kigali_ws: tuple[Path, object]) -> None:
    root, summary = kigali_ws
    assert summary.rows_read == 2330  # every observation of the message
    assert any("'1' (City of Kigali) read as city 'kigali'" in n for n in summary.notes)
    con = duckdb.connect(str(root / "workspace.duckdb"), read_only=True)
    try:
        rows = con.execute("SELECT code, city_id, period, value, unit, obs_status FROM observations "
                           "ORDER BY code, period").fetchall()
    finally:
        con.close()
    # SI_POV_NAHC for REF_AREA 1 (the file's lines 69-72: 22.7, 20.8, 16.8, ...), national rows skipped.
    poverty = [r for r in rows if r[0] == "poverty_rate"]
    assert [r[2:4] for r in poverty[:3]] == [("2000", 22.7), ("2005", 20.8), ("2011", 16.8)]
    assert {r[1] for r in rows} == {"kigali"} and {r[4] for r in rows} == {"PT"} and {r[5] for r in rows} == {"A"}
    assert any(w.startswith("area 'RW'") for w in summary.skipped)


def test_the_kigali_partnership_is_assessed_from_it(kigali_ws: tuple[Path, object]) -> None:
    root, _ = kigali_ws
    res = run_c2c("assess", "lyon-kigali", "-w", str(root), "--list", "long", "--format", "json")
    assert res.returncode == 0, res.stderr
    import json

    doc = json.loads(res.stdout)
    text = json.dumps(doc)
    assert "poverty_rate" in text and "kigali" in text


def test_the_reader_keeps_the_canonical_shape_and_lines(tmp_path: Path) -> None:
    f = tmp_path / "d.xml"
    f.write_text(structure_specific([(_key("SI_POV_NAHC", "1"), [("2019", "12.5"), ("2020", "NaN")]),
                                     (_key("SI_POV_NAHC", "1", "F"), [("2020", "14")])], mult="1"))
    frame, findings = read_sdmx_ml(f, DSD)
    assert findings == []
    assert frame.columns == ["_file", "_line", "source_code", "area", "period", "value", "unit", "obs_status",
                             "disagg", "action"]
    rows = frame.select("_line", "source_code", "area", "period", "value", "disagg").rows()
    # UNIT_MULT 1: 12.5 x 10; NaN is a missing value; SEX=F a disaggregation, totals the headline.
    # Lines: 1 declaration, 2 root and header, 3 data set, 4 the first series, its observations from 5.
    assert rows == [(5, "SI_POV_NAHC", "1", "2019", "125", ""), (6, "SI_POV_NAHC", "1", "2020", None, ""),
                    (9, "SI_POV_NAHC", "1", "2020", "140", "SEX=F")]


def test_a_generic_message_reads_like_the_structure_specific_one(tmp_path: Path) -> None:
    series = [(_key("SL_TLF_UEM", "1"), [("2019", "15.1"), ("2020", "16.0")])]
    g = tmp_path / "generic.xml"
    g.write_text(generic(series))
    s = tmp_path / "ss.xml"
    s.write_text(structure_specific(series))
    assert detect_format(g) == "sdmx-ml"
    fg, findings = read_sdmx_ml(g, DSD)
    fs, _ = read_sdmx_ml(s, DSD)
    assert findings == []
    cols = ["source_code", "area", "period", "value", "unit", "disagg", "action"]
    assert fg.select(cols).rows() == fs.select(cols).rows()
    assert fg["obs_status"].to_list() == ["E", "E"] and fg["_line"].to_list() == [5, 6]


def _refused(path: Path, structure: Path | None = DSD) -> tuple[str, int | None, str]:
    with pytest.raises(ReadError) as exc:
        read_sdmx_ml(path, structure)
    f = exc.value.finding
    return f.code, f.row, f.message


def test_broken_messages_are_findings_with_file_and_line(tmp_path: Path) -> None:
    good = structure_specific([(_key("SI_POV_NAHC", "1"), [("2019", "12.5")])])
    bad = tmp_path / "cut.xml"
    bad.write_text(good[:-60])  # cut in the middle of the data set
    code, line, _ = _refused(bad)
    assert code == "malformed-xml" and line is not None and line >= 4
    wrong = tmp_path / "wrong.xml"
    wrong.write_text("<?xml version='1.0'?>\n<html><body/></html>\n")
    assert _refused(wrong)[:2] == ("not-sdmx-ml", 2)
    assert _refused(DSD, DSD)[0] == "not-sdmx-ml"  # a structure message given as data
    lonely = tmp_path / "alone" / "d.xml"
    lonely.parent.mkdir()
    lonely.write_text(good)
    code, _, message = _refused(lonely, None)
    assert code == "missing-structure" and "--structure" in message
    empty = tmp_path / "empty.xml"
    empty.write_text("")
    assert _refused(empty)[0] == "empty-file"
    not_dsd = tmp_path / "notdsd.xml"
    not_dsd.write_text(good)
    assert _refused(lonely, not_dsd)[0] == "not-sdmx-structure"


def test_entities_are_never_expanded(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    good = structure_specific([(_key("SI_POV_NAHC", "1"), [("2019", "12.5")])])
    for decl in (f'<!DOCTYPE x [<!ENTITY e SYSTEM "file://{secret}">]>',
                 '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'):
        f = tmp_path / "xxe.xml"
        f.write_text(good.replace("\n", "\n" + decl + "\n", 1).replace('OBS_STATUS="A"', 'OBS_STATUS="&e;"'))
        code, _, message = _refused(f)
        assert code in ("xml-doctype", "malformed-xml") and "TOP-SECRET" not in message


def test_an_unknown_series_is_a_finding_naming_file_and_line(tmp_path: Path, cat: Catalogue) -> None:
    from c2c_monitor.ingest.validate import validate

    f = tmp_path / "d.xml"
    f.write_text(structure_specific([(_key("SI_POV_NAHC", "1"), [("2019", "12.5")]),
                                     (_key("XX_NOT_A_SERIES", "1"), [("2019", "1")])]))
    frame, _ = read_sdmx_ml(f, DSD)
    strict = validate(frame, cat, {"kigali"}, Mapping(areas={"1": "kigali"}), strict=True)
    assert [(x.code, x.file, x.row, x.value) for x in strict.findings] == [
        ("unknown-indicator", str(f), 8, "XX_NOT_A_SERIES")]
    lenient = validate(frame, cat, {"kigali"}, Mapping(areas={"1": "kigali"}), strict=False)
    assert [(x.code, x.row, x.severity) for x in lenient.findings] == [("unmapped-indicator", 8, "warning")]
    assert lenient.good["code"].to_list() == ["poverty_rate"]


def test_a_bad_message_through_the_cli_exits_2_and_changes_nothing(demo_copy: Path, tmp_path: Path) -> None:
    f = tmp_path / "broken.xml"
    f.write_text(structure_specific([(_key("SI_POV_NAHC", "1"), [("2019", "12.5")])]).replace("</Series>", ""))
    before = state(demo_copy)
    res = run_c2c("ingest", str(f), "-w", str(demo_copy), "--structure", str(DSD))
    assert res.returncode == 2 and "Traceback" not in res.stderr, res.stderr
    assert "broken.xml" in res.stderr and "XML" in res.stderr
    assert state(demo_copy) == before


def test_a_folder_of_sdmx_ml_finds_its_structure_and_skips_it(tmp_path: Path) -> None:
    site = tmp_path / "nisr"
    site.mkdir()
    shutil.copy(DSD, site / "dsd.xml")
    (site / "data.xml").write_text(structure_specific([(_key("SI_POV_NAHC", "1"), [("2019", "12.5")])]))
    (site / "README.md").write_text("about\n")
    found = expand_paths([site])
    parsed, findings, skipped = read_batch(found.files, "auto", None, from_folder=found.from_folder)
    assert findings == [] and [p.fmt for p in parsed] == ["sdmx-ml"]
    assert {Path(k).name for k in {**found.skipped, **skipped}} == {"dsd.xml", "README.md"}


@pytest.mark.parametrize(("series", "code"), [("[SI_POV_NAHC]", "duplicate-series"),
                                                ("[not a code]", "invalid-field")])
def test_catalogue_series_codes_are_checked(tmp_path: Path, series: str, code: str) -> None:
    folder = tmp_path / "indicators"
    shutil.copytree(ROOT / "indicators", folder)
    f = folder / "unemployment_rate.yaml"
    f.write_text(f.read_text().replace("series: [SL_TLF_UEM]", f"series: {series}"))
    line = next(i for i, text in enumerate(f.read_text().splitlines(), start=1) if "series:" in text)
    _, findings = validate_catalogue([folder])
    assert [(x.code, Path(x.file).name, x.row) for x in findings] == [(code, "unemployment_rate.yaml", line)]
