from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from c2c_monitor.definitions.catalog import (
    DAC_CRITERIA,
    EC_OBJECTIVES,
    PRINCIPLE_IDS,
    coverage_findings,
    load_catalogue,
    load_un_codes,
    validate_catalogue,
)
from c2c_monitor.definitions.locate import definitions_dir
from c2c_monitor.definitions.principles import load_framework


@pytest.fixture(scope="module")
def cat():
    return load_catalogue()


def test_shipped_catalogue_meets_every_coverage_rule(cat) -> None:
    assert coverage_findings(cat) == []
    simplified = cat.select("simplified")
    long = cat.select("long")
    assert 15 <= len(simplified) <= 25
    assert len(long) >= 60
    assert {i.id for i in simplified} <= {i.id for i in long}
    for ec in EC_OBJECTIVES:
        assert sum(i.ec_objective == ec for i in simplified) >= 3, ec
    for dac in DAC_CRITERIA:
        assert sum(dac in i.dac for i in simplified) >= 2, dac
    for p in PRINCIPLE_IDS:
        assert any(p in i.principles and i.family == "partnership" for i in long), p
    for goal in (11, 17):
        assert sum(i.sdg.goal_number == goal for i in long) >= 5


def test_official_codes_exist_in_the_un_list(cat) -> None:
    codes = load_un_codes()
    assert "11.2.1" in codes and "17.17.1" in codes and "11.c.1" not in codes
    for ind in cat.indicators.values():
        if not ind.sdg.proxy:
            assert ind.sdg.code in codes


def test_coverage_rules_catch_a_thin_catalogue(tmp_path: Path) -> None:
    src = definitions_dir("indicators")
    for f in src.iterdir():
        shutil.copy(f, tmp_path)
    for ind in load_catalogue().select(principle="P09", family="partnership"):
        (tmp_path / f"{ind.id}.yaml").unlink()
    cat, findings = validate_catalogue([tmp_path])
    assert findings == []
    msgs = [f.message for f in coverage_findings(cat)]
    assert any("principle P09" in m for m in msgs)


def _copy_catalogue(tmp_path: Path) -> Path:
    for f in definitions_dir("indicators").iterdir():
        shutil.copy(f, tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    ("old", "new", "ftype"),
    [
        ("- effectiveness\n", "- eficiency\n", "invalid-field"),
        ("code: 11.2.1", "code: 11.2.9", "unknown-sdg-code"),
        ("polarity: higher", "polarity: upwards", "invalid-field"),
        ("  kind: reported", "  kind: python", "invalid-field"),
    ],
)
def test_bad_definition_is_located_by_file_line_and_field(tmp_path, old, new, ftype) -> None:
    folder = _copy_catalogue(tmp_path)
    path = folder / "public_transport_access.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    line = 1 + next(i for i, t in enumerate(path.read_text().splitlines()) if new.strip() in t)
    _, findings = validate_catalogue([folder])
    assert findings, "the broken file must be reported"
    f = findings[0]
    assert f.file == str(path) and f.code == ftype
    assert f.row == line


def test_unknown_filter_column_and_value_are_reported(tmp_path) -> None:
    folder = _copy_catalogue(tmp_path)
    path = folder / "civil_society_share.yaml"
    path.write_text(path.read_text().replace("value: civil_society", "value: civil_sociiety"))
    _, findings = validate_catalogue([folder])
    assert [(f.code, f.column) for f in findings] == [("unknown-code", "value")]
    assert findings[0].row is not None


def test_yaml_syntax_error_and_duplicate_id(tmp_path) -> None:
    folder = _copy_catalogue(tmp_path)
    (folder / "broken.yaml").write_text("id: broken\ntitle: [unclosed\n")
    shutil.copy(folder / "slum_population.yaml", folder / "slum_population_copy.yaml")
    _, findings = validate_catalogue([folder])
    types = sorted(f.code for f in findings)
    assert "yaml-syntax" in types and "id-filename" in types


def test_own_indicators_are_marked_not_harmonised(tmp_path) -> None:
    own = tmp_path / "own"
    own.mkdir()
    text = (definitions_dir("indicators") / "joint_workshops.yaml").read_text()
    (own / "our_workshops.yaml").write_text(text.replace("id: joint_workshops", "id: our_workshops"))
    cat = load_catalogue(own_folder=own)
    assert cat.indicators["our_workshops"].harmonised is False
    assert "our_workshops" not in {i.id for i in cat.select(harmonised_only=True)}


def test_principles_have_four_to_seven_questions_with_dac_and_help() -> None:
    fw = load_framework()
    assert [p.id for p in fw.principles] == list(PRINCIPLE_IDS)
    for p in fw.principles:
        assert 4 <= len(p.questions) <= 7
        for q in p.questions:
            assert q.help.en and q.dac
    assert fw.scale.values == [1, 2, 3, 4, 5]
    assert set(fw.scale.special_codes) == {"na", "dk"}
    assert fw.scale.numeric[0].label.get("fr") != fw.scale.numeric[0].label.get("en")
    assert fw.principles[0].title.get("es") != fw.principles[0].title.en  # translated (issue 16)
    assert type(fw.principles[0].title)(en="Only English").get("es") == "Only English"  # else falls back
