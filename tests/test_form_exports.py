"""KoboToolbox and ODK Central exports, as the tools write them, import to the same ratings.

The exports are made here from the project's own XLSForm as pyxform reads it (field names, groups, labels in
each language, choice names and labels), in each header style the tools offer, so the test knows the names
from the form and not from the importer. Every variant must store exactly the ratings the submissions hold.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import polars as pl
import pytest

PID = "bonn-cape-coast"
EN, FR, ES = "English (en)", "Français (fr)", "Español (es)"
PEOPLE = [("K1", "civil_society", "bonn"), ("K2", "academia", "bonn"), ("K3", "local_government", "cape-coast"),
          ("K4", "private_sector", "cape-coast")]


def _answer(code: str, field: str) -> str:
    """The choice name each person picked: a spread of values, "don't know" and "not applicable"."""
    if field == "P01_1":
        return "dk"
    if field.startswith("P02_"):
        return "na"
    return str((int(code[1]) + int(field[1:3]) + int(field[4:])) % 5 + 1)


@pytest.fixture(scope="module")
def form(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from pyxform.xls2json import parse_file_to_json

    from c2c_monitor.definitions.principles import load_framework
    from c2c_monitor.workshop.xlsform import write_xlsform

    path = tmp_path_factory.mktemp("form") / "form.xlsx"
    write_xlsform(load_framework(), path, "en", [("bonn", "Bonn"), ("cape-coast", "Cape Coast")])
    return parse_file_to_json(str(path))


@pytest.fixture(scope="module")
def ws(demo_ws: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    dst = tmp_path_factory.mktemp("exports") / "ws"
    shutil.copytree(demo_ws, dst)
    return dst


def _fields(form: dict[str, Any]) -> list[tuple[dict[str, Any] | None, dict[str, Any]]]:
    """(group or None, field) for every question of the form, in form order."""
    out: list[tuple[dict[str, Any] | None, dict[str, Any]]] = []
    for child in form["children"]:
        if child["type"] == "group" and child["name"] != "meta":  # meta/instanceID is the tools' own column
            out += [(child, c) for c in child["children"]]
        elif child["type"] not in ("calculate",) and "label" in child:
            out.append((None, child))
    return out


def _choice_label(form: dict[str, Any], field: dict[str, Any], name: str, lang: str) -> str:
    options = field.get("choices") or form["choices"][field["itemset"]]
    return next(o["label"][lang] for o in options if o["name"] == name)


def _submissions() -> list[dict[str, str]]:
    subs = []
    for code, group, city in PEOPLE:
        row = {"participant_code": code, "stakeholder_group": group, "city_id": city}
        row["P03_comment"] = f"note from {code}" if code in ("K2", "K4") else ""
        subs.append(row)
    return subs


def _export(form: dict[str, Any], tool: str, headers: str, sep: str | None, values: str, lang: str = EN,
            hierarchy: bool = False, version: str | None = None) -> pl.DataFrame:
    """One export: `headers` "xml" (names) or "label"; `sep` the group separator or None; `values` "name" or "label"."""
    rows = []
    for i, sub in enumerate(_submissions()):
        row: dict[str, str] = {}
        if tool == "odk":
            row["SubmissionDate"] = f"2025-11-20T10:{i:02d}:00.000Z"
        for group, field in _fields(form):
            name = field["name"]
            if headers == "xml":
                head = f"{group['name']}{sep}{name}" if group and sep else name
            else:
                head = field["label"][lang]
                if group and hierarchy:
                    head = f"{group['label'][lang]}{sep}{head}"
            if name.startswith("P") and name[1:3].isdigit() and not name.endswith("comment"):
                value = _answer(sub["participant_code"], name)
            else:
                value = sub.get(name, "")
            if values == "label" and field["type"] == "select one" and value:
                value = _choice_label(form, field, value, lang)
            assert head not in row or headers == "label", head
            row[head if head not in row else f"{head}\x00{len(row)}"] = value
        if tool == "kobo":
            row |= {"_id": str(100 + i), "_uuid": f"uuid-{i}", "_submission_time": f"2025-11-20T10:{i:02d}:00",
                    "_validation_status": "", "_notes": "", "_status": "submitted_via_web", "_submitted_by": "",
                    "__version__": "vGh3kX9", "_tags": "", "_index": str(i + 1)}
        else:
            meta = "meta-instanceID" if sep else "instanceID"
            row |= {meta: f"uuid:{i}", "KEY": f"uuid:{i}", "SubmitterID": "5", "SubmitterName": "tablet",
                    "AttachmentsPresent": "0", "AttachmentsExpected": "0", "Status": "", "ReviewState": "",
                    "DeviceID": "", "Edits": "0", "FormVersion": version or form["version"]}
        rows.append(row)
    return pl.DataFrame(rows)


def _write(df: pl.DataFrame, path: Path, separator: str = ",", repeat_sheet: bool = False) -> Path:
    """CSV or XLSX; a repeated label (the comment box of each principle) is written as the tools do: twice."""
    header = [c.split("\x00")[0] for c in df.columns]
    if path.suffix == ".xlsx":
        from openpyxl import Workbook

        wb = Workbook()
        sheet = wb.active
        sheet.title = "G20 Rome principles self-assess"  # Kobo names the sheet after the form (31 characters)
        sheet.append(header)
        for row in df.iter_rows():
            sheet.append(list(row))
        if repeat_sheet:  # a repeat group's own sheet, linked by _parent_index
            extra = wb.create_sheet("visits")
            extra.append(["visit_city", "_index", "_parent_table_name", "_parent_index", "_submission__uuid"])
            extra.append(["bonn", 1, sheet.title, 1, "uuid-0"])
        wb.save(path)
    else:
        import csv

        with path.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh, delimiter=separator)
            w.writerow(header)
            w.writerows(df.iter_rows())
    return path


def _expected(fw) -> pl.DataFrame:
    """The ratings the submissions hold, built from the submissions alone."""
    rows = []
    for sub in _submissions():
        for q in fw.questions:
            field = q.replace(".", "_")
            first = fw.principle(fw.principle_of(q)).questions[0].id == q
            comment = sub[f"{fw.principle_of(q)}_comment"] if first and f"{fw.principle_of(q)}_comment" in sub else ""
            rows.append({"participant_code": sub["participant_code"], "stakeholder_group": sub["stakeholder_group"],
                         "city_id": sub["city_id"], "question_id": q, "answer": _answer(sub["participant_code"], field),
                         "comment": comment or None})
    return pl.DataFrame(rows).sort("participant_code", "question_id")


def _import(ws: Path, path: Path, round_id: str, **kw: Any) -> dict[str, Any]:
    from c2c_monitor.definitions.principles import load_framework
    from c2c_monitor.store.workspace import open_workspace
    from c2c_monitor.workshop.sheets import import_ratings

    with open_workspace(ws) as w:
        return import_ratings(w.con, load_framework(), path, PID, round_id, kw.pop("held_on", None), "en", **kw)


def _stored(ws: Path, round_id: str) -> pl.DataFrame:
    from c2c_monitor.store import reads
    from c2c_monitor.store.workspace import open_workspace

    with open_workspace(ws) as w:
        r = reads.round_ratings(w.con, PID, round_id, None)[0]
    return r.select("participant_code", "stakeholder_group", "city_id", "question_id", "answer",
                    "comment").sort("participant_code", "question_id")


VARIANTS = {
    # KoboToolbox: XLSX with XML names and "/" groups, and a repeat group on a sheet of its own.
    "kobo-xml-slash.xlsx": dict(tool="kobo", headers="xml", sep="/", values="name", repeat_sheet=True),
    # Labels as headers, no group: the comment box's label repeats once per principle (a ShapeError before).
    "kobo-labels-en.xlsx": dict(tool="kobo", headers="label", sep=None, values="label"),
    "kobo-labels-fr-hierarchy.csv": dict(tool="kobo", headers="label", sep="/", values="label", lang=FR,
                                         hierarchy=True, separator=";"),
    "kobo-labels-es-dash.xlsx": dict(tool="kobo", headers="label", sep="-", values="label", lang=ES, hierarchy=True),
    "kobo-xml-dot.csv": dict(tool="kobo", headers="xml", sep=".", values="name", separator=";"),
    "kobo-labels-fr-names.csv": dict(tool="kobo", headers="label", sep=None, values="name", lang=FR),
    # ODK Central: CSV with "-" group paths (and meta-instanceID), and with groupPaths=false.
    "odk-central.csv": dict(tool="odk", headers="xml", sep="-", values="name"),
    "odk-central-flat.csv": dict(tool="odk", headers="xml", sep=None, values="name"),
}


@pytest.mark.parametrize("name", list(VARIANTS))
def test_each_export_variant_imports_the_same_ratings(form, ws, tmp_path, name) -> None:
    from c2c_monitor.definitions.principles import load_framework

    opts = dict(VARIANTS[name])
    separator, repeat = opts.pop("separator", ","), opts.pop("repeat_sheet", False)
    path = _write(_export(form, **opts), tmp_path / name, separator, repeat)
    round_id = name.split(".")[0]
    res = _import(ws, path, round_id)
    assert (res["participants"], res["held_on"]) == (4, "2025-11-20")  # dated by the submission times
    assert _stored(ws, round_id).to_dicts() == _expected(load_framework()).to_dicts()


def test_a_submission_made_with_another_form_version_is_reported_on_its_row(form, ws, tmp_path) -> None:
    from c2c_monitor.errors import InputRejected

    df = _export(form, "odk", "xml", "-", "name")
    df = df.with_columns(pl.when(pl.int_range(pl.len()) == 2).then(pl.lit("2019-old")).otherwise("FormVersion")
                         .alias("FormVersion"))
    path = _write(df, tmp_path / "odk-old.csv")
    with pytest.raises(InputRejected) as exc:
        _import(ws, path, "version-check")
    [f] = exc.value.findings
    assert (f.code, f.file, f.row, f.column, f.value) == ("form-version", str(path), 4, "FormVersion", None)
    assert "2019-old" in f.message
    assert _stored(ws, "version-check").height == 0


def test_a_bad_answer_in_a_labels_export_names_file_row_and_column(form, ws, tmp_path) -> None:
    from c2c_monitor.errors import InputRejected

    df = _export(form, "kobo", "label", None, "label")
    col = next(f["label"][EN] for _, f in _fields(form) if f["name"] == "P05_2")
    df = df.with_columns(pl.when(pl.int_range(pl.len()) == 1).then(pl.lit("Maybe")).otherwise(pl.col(col)).alias(col))
    path = _write(df, tmp_path / "bad.xlsx")
    with pytest.raises(InputRejected) as exc:
        _import(ws, path, "bad-answer")
    f = exc.value.findings[0]
    assert (f.code, f.file, f.row, f.column, f.value) == ("bad-rating", str(path), 3, col, "Maybe")


def test_rejected_submissions_are_left_out_and_dates_come_from_submissions(form, ws, tmp_path) -> None:
    df = _export(form, "kobo", "xml", "/", "name")
    df = df.with_columns(pl.when(pl.col("participant_code") == "K4").then(pl.lit("validation_status_not_approved"))
                         .otherwise(pl.col("_validation_status")).alias("_validation_status"),
                         # One late submission does not move the workshop's day.
                         pl.when(pl.col("participant_code") == "K3").then(pl.lit("2025-11-23T08:00:00"))
                         .otherwise(pl.col("_submission_time")).alias("_submission_time"))
    res = _import(ws, _write(df, tmp_path / "reviewed.csv"), "reviewed")
    assert (res["participants"], res["skipped"], res["held_on"]) == (3, 1, "2025-11-20")
    assert sorted(_stored(ws, "reviewed")["participant_code"].unique().to_list()) == ["K1", "K2", "K3"]
    # --held-on wins over the submission times.
    res = _import(ws, _write(df, tmp_path / "reviewed2.csv"), "reviewed-2", held_on=dt.date(2025, 11, 19))
    assert res["held_on"] == "2025-11-19"


def test_any_header_style_maps_every_column_to_its_field(form) -> None:
    """Property: whatever the style (names or labels, language, separator, hierarchy, a repeated label's copy
    suffix), each column of an export maps to the field it came from, and nothing else maps."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from c2c_monitor.definitions.principles import load_framework
    from c2c_monitor.workshop.xlsform import header_map

    fw = load_framework()
    fields = _fields(form)
    wanted = {f["name"]: (f"{g['name']}_comment" if f["name"].endswith("_comment") and g else
                          f["name"].replace("_", ".") if f["name"][1:3].isdigit() else f["name"])
              for g, f in fields}

    @settings(max_examples=25, deadline=None)
    @given(headers=st.sampled_from(["xml", "label"]), sep=st.sampled_from([None, "/", "-", "."]),
           lang=st.sampled_from([EN, FR, ES]), hierarchy=st.booleans(),
           noise=st.lists(st.sampled_from(["_id", "_uuid", "_index", "__version__", "KEY", "meta-instanceID",
                                           "SubmissionDate", "_validation_status", "Status"]), max_size=4),
           pick=st.lists(st.integers(0, len(fields) - 1), min_size=1, max_size=12, unique=True))
    def check(headers, sep, lang, hierarchy, noise, pick) -> None:
        cols, expect = list(noise), {}
        for i in sorted(pick):
            group, field = fields[i]
            if headers == "xml":
                head = f"{group['name']}{sep}{field['name']}" if group and sep else field["name"]
            else:
                head = field["label"][lang]
                if group and hierarchy and sep:
                    head = f"{group['label'][lang]}{sep}{head}"
            while head in cols:  # a repeated label, as the readers name its later copies
                head = f"{head.split('#')[0]}#{len(cols) + 2}"
            cols.append(head)
            expect[head] = wanted[field["name"]]
        got = header_map(cols, fw)
        # A comment box read by its label (no name, no group) belongs to the principle whose question precedes
        # it; one that no question precedes is left out.
        before = None
        for head, key in expect.items():
            if key.endswith("_comment") and headers == "label" and not (hierarchy and sep):
                assert got.get(head) in ((f"{before}_comment", None) if before else (None,)), (head, got.get(head))
            else:
                assert got.get(head) == key, (head, got.get(head))
            before = fw.principle_of(key) if key in fw.questions else before
        assert set(got) <= set(expect)

    check()


def test_an_export_of_a_form_made_before_a_question_was_reworded_still_imports(form, ws, tmp_path) -> None:
    """A question's wording corrected after a form went out (`former:` in g20_principles): the export's column,
    headed by the old wording, is read as that question, and the round stores the same ratings."""
    from c2c_monitor.definitions.principles import load_framework

    fw = load_framework()
    reworded = {q.id: q for q in fw.questions.values() if q.former.get("es")}
    assert reworded, "no Spanish question has a former wording to test with"
    df = _export(form, tool="kobo", headers="label", sep=None, values="label", lang=ES)
    renamed = {q.text.get("es"): q.former["es"][0] for q in reworded.values()}
    assert set(renamed) <= set(df.columns)
    old_form = df.rename(renamed)
    res = _import(ws, _write(old_form, tmp_path / "kobo-old-wording.xlsx"), "old-wording")
    assert res["participants"] == 4
    assert _stored(ws, "old-wording").to_dicts() == _expected(fw).to_dicts()


def test_a_former_wording_is_checked_like_the_text(tmp_path) -> None:
    """`former` takes the project's languages only, and a wording two questions share is refused (an export column
    headed by it could be either question), each with the file named."""
    from c2c_monitor.definitions.locate import definitions_dir
    from c2c_monitor.definitions.principles import load_framework
    from c2c_monitor.errors import DefinitionError

    for case, line, code in [
        ("unknown language", '    former:\n      de: ["Alte Formulierung"]\n', None),
        ("shared", '    former:\n      en: ["Activities build on each territory\'s own potential and core '
                   'competencies."]\n', "shared-wording"),
    ]:
        folder = tmp_path / case.replace(" ", "-")
        shutil.copytree(definitions_dir("g20_principles"), folder)
        p03 = folder / "P03.yaml"
        text = p03.read_text(encoding="utf-8")
        text = text.replace("  - id: P03.1\n    text:\n", "  - id: P03.1\n" + line + "    text:\n", 1)
        p03.write_text(text, encoding="utf-8")
        with pytest.raises(DefinitionError) as err:
            load_framework(folder)
        found = err.value.findings
        assert any(f.file.endswith("P03.yaml") for f in found), found
        if code:
            assert [f.code for f in found] == [code] and "P01.5" in found[0].message, found
        else:
            assert any("unknown language" in f.message for f in found), found
