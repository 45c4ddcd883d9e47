"""IATI 2.03 export: every demo partnership's file validates against the IATI schema; bad settings are refused."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
import yaml
from lxml import etree

from .conftest import ROOT, run_c2c

SCHEMA_DIR = ROOT.parent / "shared" / "data" / "reference" / "iati-schemas"
SETTINGS = """
[iati]
sector = "43030"

[iati.reporting_org]
ref = "XM-DAC-918"
name = "European Commission"
type = "40"

[[iati.participating_orgs]]
ref = "XM-DAC-918"
name = "European Union"
type = "40"
role = "1"
"""


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA_DIR / "iati-activities-schema.xsd")))


@pytest.fixture(scope="module")
def exported(demo_ws: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("iati")
    ws = root / "ws"
    shutil.copytree(demo_ws, ws)
    with (ws / "c2c.toml").open("a", encoding="utf-8") as f:
        f.write(SETTINGS)
    # A hostile name: a control character and markup must still give a valid, escaped file.
    con = duckdb.connect(str(ws / "workspace.duckdb"))
    con.execute("UPDATE partnerships SET name = ? WHERE partnership_id = 'bonn-cape-coast'",
                ["Bonn <b>\x01 & Cape Coast"])
    con.close()
    res = run_c2c("export", "iati", "-w", str(ws), "-o", str(root / "out"))
    assert res.returncode == 0, res.stderr
    return ws, root / "out"


def test_all_27_demo_partnerships_validate_against_the_iati_203_schema(exported, schema) -> None:
    _, out = exported
    files = sorted(out.glob("*.xml"))
    assert len(files) == 27
    for f in files:
        doc = etree.parse(str(f))
        assert schema.validate(doc), f"{f.name}: {schema.error_log.last_error}"
        assert doc.getroot().get("version") == "2.03"


def test_the_activity_carries_the_configured_organisations_and_the_partnership(exported) -> None:
    _, out = exported
    act = etree.parse(str(out / "bonn-cape-coast.xml")).getroot().find("iati-activity")
    assert act.findtext("iati-identifier") == "XM-DAC-918-bonn-cape-coast"
    assert act.find("reporting-org").get("ref") == "XM-DAC-918"
    assert act.findtext("title/narrative") == "Bonn <b>\ufffd & Cape Coast"  # escaped by lxml, control char replaced
    orgs = [(o.get("type"), o.get("role"), o.findtext("narrative")) for o in act.findall("participating-org")]
    assert ("40", "1", "European Union") in orgs
    assert ("11", "4", "City of Cape Coast") in orgs
    assert act.find("recipient-country").get("code") == "GH"  # Cape Coast, the partner city
    assert {t.get("code") for t in act.findall("tag")} >= {"17"}


def _catalogue(indicator_id: str) -> dict:
    return yaml.safe_load((ROOT / "indicators" / f"{indicator_id}.yaml").read_text(encoding="utf-8"))


def test_results_carry_baseline_actuals_target_measure_and_direction_from_the_data(exported) -> None:
    ws, out = exported
    act = etree.parse(str(out / "lyon-porto-novo.xml")).getroot().find("iati-activity")
    results = act.findall("result")
    assert results, "no indicator results"
    definition = _catalogue("women_in_local_government")
    code = definition["sdg"]["code"]
    wanted = [r for r in results if r.find("indicator/reference").get("code") == code]
    assert wanted, f"no result for {code}"
    ind = wanted[0].find("indicator")
    assert ind.get("measure") == "2"  # percent
    assert ind.get("ascending") == ("1" if definition["polarity"] == "higher" else "0")
    periods = ind.findall("period")
    target = [p for p in periods if p.find("target") is not None]
    assert [p.find("period-start").get("iso-date") for p in target] == ["2030-01-01"]
    assert float(target[0].find("target").get("value")) == pytest.approx(definition["end_value"]["value"])
    actual_years = [int(p.find("period-start").get("iso-date")[:4]) for p in periods if p.find("actual") is not None]
    baseline = ind.find("baseline")
    assert int(baseline.get("year")) == min(actual_years)
    # The baseline is the stored value of the first year (read from the store, not from the exporter).
    city = "lyon" if "Lyon" in wanted[0].findtext("title/narrative") else "porto-novo"
    con = duckdb.connect(str(ws / "workspace.duckdb"), read_only=True)
    stored = con.execute("SELECT value FROM observations WHERE code = ? AND city_id = ? AND period LIKE ? "
                         "ORDER BY vintage_id DESC LIMIT 1",
                         [definition["id"], city, f"{baseline.get('year')}%"]).fetchone()
    con.close()
    if stored is not None:  # indicators computed from records have no observation row to compare
        assert float(baseline.get("value")) == pytest.approx(stored[0], rel=1e-9)


def test_without_iati_settings_the_export_is_refused_and_nothing_written(demo_copy: Path, tmp_path: Path) -> None:
    res = run_c2c("export", "iati", "-w", str(demo_copy), "-o", str(tmp_path / "out"))
    assert res.returncode == 2
    assert "[iati]" in res.stderr and "reporting" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("good, bad, where", [
    ('ref = "XM-DAC-918"', 'ref = "not an id"', "iati.reporting_org.ref"),
    ('type = "40"', 'type = "99"', "iati.reporting_org.type"),
])
def test_malformed_iati_settings_are_refused_with_file_and_key(demo_copy: Path, tmp_path: Path, good: str, bad: str,
                                                               where: str) -> None:
    with (demo_copy / "c2c.toml").open("a", encoding="utf-8") as f:
        f.write(SETTINGS.replace(good, bad, 1))  # the first occurrence is the reporting organisation's
    before = (demo_copy / "workspace.duckdb").read_bytes()
    res = run_c2c("export", "iati", "-w", str(demo_copy), "-o", str(tmp_path / "out"))
    assert res.returncode == 2, res.stderr
    assert "c2c.toml" in res.stderr and where in res.stderr and "Traceback" not in res.stderr
    assert (demo_copy / "workspace.duckdb").read_bytes() == before
    assert not (tmp_path / "out").exists()
