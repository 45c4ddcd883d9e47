"""Workshop: XLSForm and KoboToolbox exports, follow-up actions, the printed kit."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from .conftest import pdf_text, run_c2c
from .test_ingest import state

PID = "bonn-cape-coast"


def _assess(ws: Path) -> dict:
    res = run_c2c("assess", PID, "-w", str(ws), "--format", "json")
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def test_xlsform_is_valid_for_odk(tmp_path) -> None:
    from pyxform.xls2xform import convert

    from c2c_monitor.definitions.principles import load_framework

    out = tmp_path / "form.xlsx"
    assert run_c2c("workshop", "xlsform", "-o", str(out), "--language", "fr").returncode == 0
    result = convert(xlsform=str(out))
    assert result.warnings == []
    fw = load_framework()
    for q in fw.questions:
        assert f"<{q.replace('.', '_')}>" in result.xform or f"/{q.replace('.', '_')}\"" in result.xform
    assert 'lang="Français (fr)"' in result.xform


def _kobo_export(fw, people: list[tuple[str, str, str]], answer) -> pl.DataFrame:
    """What KoboToolbox exports: one row per submission, grouped field names, metadata columns."""
    rows = []
    for code, group, city in people:
        row = {"start": "2025-11-20T09:41:00", "participant_code": code, "stakeholder_group": group, "city_id": city}
        for p in fw.principles:
            for q in p.questions:
                row[f"{p.id}/{q.id.replace('.', '_')}"] = answer(code, q.id)
            row[f"{p.id}/{p.id}_comment"] = ""
        row["_id"] = str(len(rows) + 1)
        row["_submission_time"] = "2025-11-20T10:00:00"
        rows.append(row)
    return pl.DataFrame(rows)


def _labels_export(fw, codes_export: pl.DataFrame) -> pl.DataFrame:
    """The same export with labels: question labels as headers, answer labels (French) as values."""
    from c2c_monitor.workshop.xlsform import group_label

    fr = {str(s.value): f"{s.value} – {s.label.get('fr')}" for s in fw.scale.numeric}
    fr |= {s.code: s.label.get("fr") for s in fw.scale.special}
    ren = {f"{fw.principle_of(q)}/{q.replace('.', '_')}": fw.questions[q].text.en for q in fw.questions}
    df = codes_export.with_columns(pl.col(c).replace_strict(fr) for c in ren)
    df = df.with_columns(pl.col("stakeholder_group").map_elements(group_label, return_dtype=pl.String),
                         pl.col("city_id").replace({"bonn": "Bonn", "cape-coast": "Cape Coast"}))
    return df.rename(ren | {"participant_code": "Participant code (not your name)"})


def _answer(code: str, qid: str) -> str:
    if qid == "P01.1":
        return "dk"
    if qid.startswith("P02"):
        return "na"
    return {"K1": "2", "K2": "3", "K3": "4", "K4": "5"}[code] if qid.startswith("P09") else "3"


def _write_xlsx(df: pl.DataFrame, path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    sheet = wb.active
    sheet.append(df.columns)
    for row in df.iter_rows():
        sheet.append(list(row))
    wb.save(path)


PEOPLE = [("K1", "civil_society", "bonn"), ("K2", "civil_society", "bonn"), ("K3", "civil_society", "cape-coast"),
          ("K4", "local_government", "cape-coast")]


def test_kobo_exports_codes_and_labels_import_the_same(demo_ws, tmp_path) -> None:
    import shutil

    from c2c_monitor.definitions.principles import load_framework

    fw = load_framework()
    codes = _kobo_export(fw, PEOPLE, _answer)
    results = []
    for name, frame, writer in (("codes.csv", codes, lambda df, p: df.write_csv(p, separator=";")),
                                ("labels.xlsx", _labels_export(fw, codes), _write_xlsx)):
        ws = tmp_path / name.split(".")[0]
        shutil.copytree(demo_ws, ws)
        writer(frame, tmp_path / name)
        res = run_c2c("workshop", "import", str(tmp_path / name), "-w", str(ws), "-p", PID, "--round", "2025")
        assert res.returncode == 0, res.stderr
        assert "from 4 participant(s)" in res.stderr
        results.append(_assess(ws))
    codes_doc, labels_doc = results
    assert codes_doc["principles"] == labels_doc["principles"]
    p09 = next(p for p in codes_doc["principles"] if p["id"] == "P09")
    assert p09["score"] == 3.5  # median of 2, 3, 4, 5 on every P09 question
    # Four ratings are under the spread threshold (5, score/disclosure.py): no range, no disagreement flag.
    assert all(q["disagreement"] is False and q["iqr"] is None and q["low"] is None for q in p09["questions"])
    p02 = next(p for p in codes_doc["principles"] if p["id"] == "P02")
    assert p02["status"] == "insufficient data"  # all "not applicable"
    p01 = next(p for p in codes_doc["principles"] if p["id"] == "P01")
    assert p01["questions"][0]["share_dont_know"] == 1.0


def test_a_bad_answer_in_a_form_export_names_row_and_column(demo_copy, tmp_path) -> None:
    from c2c_monitor.definitions.principles import load_framework

    fw = load_framework()
    df = _kobo_export(fw, PEOPLE, _answer)
    df = df.with_columns(pl.when(pl.col("participant_code") == "K3").then(pl.lit("7"))
                         .otherwise(pl.col("P05/P05_2")).alias("P05/P05_2"))
    df.write_csv(tmp_path / "export.csv")
    before = state(demo_copy)
    res = run_c2c("workshop", "import", str(tmp_path / "export.csv"), "-w", str(demo_copy), "-p", PID,
                  "--round", "2025")
    assert res.returncode == 2
    assert "export.csv line 4, column 'P05/P05_2'" in res.stderr and "'7'" in res.stderr
    assert state(demo_copy) == before


def test_follow_up_actions_are_versioned_and_shown(demo_copy) -> None:
    ws = str(demo_copy)
    res = run_c2c("workshop", "action", "add", PID, "-w", ws, "--principle", "P04", "--text",
                  "Share the open data portal with the partner city", "--owner", "Statistics office",
                  "--due", "2026-03-31", "--round", "2024")
    assert res.returncode == 0, res.stderr
    aid = res.stdout.strip()
    assert aid == "A-004"  # the demo's three actions are A-001 ... A-003: short ids within the partnership
    assert run_c2c("workshop", "action", "set", aid, "-p", PID, "-w", ws, "--status", "done").returncode == 0
    listed = json.loads(run_c2c("workshop", "actions", PID, "-w", ws, "--format", "json").stdout)
    mine = next(a for a in listed if a["id"] == aid)
    assert (mine["status"], mine["owner"], mine["due"], mine["overdue"]) == ("done", "Statistics office",
                                                                           "2026-03-31", False)
    doc = _assess(demo_copy)
    assert any(a["id"] == aid and a["status"] == "done" for a in doc["actions"])
    table = run_c2c("assess", PID, "-w", ws).stdout
    assert "Share the open data portal" in table and "Follow-up actions" in table
    # Both versions are kept: the history of an action is never overwritten.
    from c2c_monitor.store.workspace import open_workspace

    with open_workspace(demo_copy) as w:
        statuses = [r[0] for r in w.con.execute(
            "SELECT status FROM actions WHERE action_id = ? AND partnership_id = ? ORDER BY vintage_id",
            [aid, PID]).fetchall()]
    assert statuses == ["open", "done"]


@pytest.mark.parametrize(("args", "message"), [
    (["action", "add", PID, "--principle", "P11", "--text", "x"], "unknown principle"),
    (["action", "add", PID, "--principle", "P01", "--text", "  "], "needs a text"),
    (["action", "add", PID, "--principle", "P01", "--text", "x", "--round", "1999"], "no workshop round"),
    (["action", "add", "atlantis", "--principle", "P01", "--text", "x"], "unknown partnership"),
    (["action", "set", "nope-A1", "--status", "done"], "unknown action"),
    (["action", "set", f"{PID}-A1"], "nothing to change"),
])
def test_bad_action_commands_change_nothing(demo_copy, args, message) -> None:
    before = state(demo_copy)
    res = run_c2c("workshop", *args, "-w", str(demo_copy))
    assert res.returncode == 2 and message in res.stderr
    assert state(demo_copy) == before


def test_kit_pdfs_have_the_right_pages_and_content(demo_ws, tmp_path) -> None:
    from pypdf import PdfReader

    from c2c_monitor.definitions.principles import load_framework

    res = run_c2c("workshop", "kit", PID, "-w", str(demo_ws), "-o", str(tmp_path), "--date", "2025-11-20")
    assert res.returncode == 0, res.stderr
    pdfs = {p.stem.removeprefix(PID + "-"): PdfReader(p) for p in tmp_path.glob("*.pdf")}
    assert set(pdfs) == {"agenda", "worksheets", "poster", "handout"}
    fw = load_framework()
    sheets = pdfs["worksheets"]
    assert len(sheets.pages) == len(fw.principles)  # one A4 page per principle: no question spills over
    for page, p in zip(sheets.pages, fw.principles, strict=True):
        text = pdf_text(page)
        assert p.id in text and all(q.id in text for q in p.questions)
        assert all(s.label.en in text.replace("\n", " ") for s in fw.scale.numeric)  # the scale is printed
        w, h = float(page.mediabox.width), float(page.mediabox.height)
        assert (round(w), round(h)) == (595, 842)  # A4 portrait
    poster = pdfs["poster"]
    assert len(poster.pages) == 1
    assert (round(float(poster.pages[0].mediabox.width)), round(float(poster.pages[0].mediabox.height))) == (1191, 842)
    agenda = pdf_text(pdfs["agenda"].pages[0])
    assert "09:30" in agenda and "2025-11-20" in agenda
    handout = "\n".join(pdf_text(p) for p in pdfs["handout"].pages)
    doc = _assess(demo_ws)
    assert f"Workshop results · {doc['round_id']}" in handout
    for p in doc["principles"]:
        assert f"{p['score']:.2f}" in handout
    for a in doc["actions"]:
        assert a["text"][:30] in handout.replace("\n", " ")


def test_a_broken_kit_definition_names_file_line_and_field(tmp_path) -> None:
    import shutil

    from c2c_monitor.errors import DefinitionError
    from c2c_monitor.publish.kit import load_kit_text

    from .conftest import ROOT

    shutil.copytree(ROOT / "workshops", tmp_path / "workshops")
    kit = tmp_path / "workshops" / "kit.yaml"
    kit.write_text(kit.read_text().replace("  - minutes: 20", "  - minutes: -5", 1))
    with pytest.raises(DefinitionError) as err:
        load_kit_text(tmp_path / "workshops")
    f = err.value.findings[0]
    assert (f.file, f.row, f.column) == (str(kit), 6, "agenda.0.minutes")
