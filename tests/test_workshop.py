"""Workshop sheets: template -> import -> scoreboard; bad sheets refused; nothing confidential published."""

from __future__ import annotations

import json

import polars as pl
import pytest

from .conftest import run_c2c
from .test_ingest import state

MARK = "ZZSECRETZZ"


def _filled(template, rows_by_participant: dict[str, tuple[str, str, str]], answer) -> pl.DataFrame:
    df = pl.read_csv(template, infer_schema=False)
    df = df.filter(pl.col("participant_code").is_in(list(rows_by_participant)))
    return df.with_columns(
        pl.col("participant_code").replace_strict({k: v[0] for k, v in rows_by_participant.items()}),
        pl.col("participant_code").replace_strict({k: v[1] for k, v in rows_by_participant.items()})
        .alias("stakeholder_group"),
        pl.lit("bonn").alias("city_id"),
        pl.col("question_id").map_elements(answer, return_dtype=pl.String).alias("rating"),
        pl.lit(f"comment {MARK}").alias("comment"),
    )


def test_sheet_round_trip_agreed_rating_and_confidentiality(demo_copy, tmp_path) -> None:
    out = tmp_path / "sheets"
    assert run_c2c("workshop", "template", "bonn-cape-coast", "-w", str(demo_copy), "--participants", "4",
                   "-o", str(out)).returncode == 0
    assert (out / "bonn-cape-coast-ratings.xlsx").exists()
    people = {"P01": ("A1", "civil_society"), "P02": ("A2", "civil_society"), "P03": ("A3", "civil_society"),
              "P04": (f"{MARK}LONE", "private_sector")}  # a group of one
    sheet = _filled(out / "bonn-cape-coast-ratings.csv", people, lambda q: "4" if q.startswith("P09") else "2")
    sheet = sheet.with_columns(pl.when(pl.col("question_id") == "P01.1").then(pl.lit("dk"))
                               .otherwise(pl.col("rating")).alias("rating"))
    path = tmp_path / "filled.csv"
    sheet.write_csv(path)
    res = run_c2c("workshop", "import", str(path), "-w", str(demo_copy), "-p", "bonn-cape-coast", "--round", "2025",
                  "--held-on", "2025-11-20")
    assert res.returncode == 0, res.stderr
    doc = json.loads(run_c2c("assess", "bonn-cape-coast", "-w", str(demo_copy), "--format", "json").stdout)
    assert doc["round_id"] == "2025" and doc["previous_round_id"] == "2024"
    p09 = next(p for p in doc["principles"] if p["id"] == "P09")
    assert p09["score"] == 4.0
    p01 = next(p for p in doc["principles"] if p["id"] == "P01")
    assert p01["n_answered"] == p01["n_questions"] - 1  # P01.1 was "don't know" for everyone
    assert run_c2c("workshop", "agree", "bonn-cape-coast", "-w", str(demo_copy), "--round", "2025", "--question",
                   "P09.1", "--rating", "2", "--reason", "no written funding plan yet").returncode == 0
    doc = json.loads(run_c2c("assess", "bonn-cape-coast", "-w", str(demo_copy), "--format", "json").stdout)
    q = next(q for p in doc["principles"] if p["id"] == "P09" for q in p["questions"] if q["id"] == "P09.1")
    assert (q["median"], q["agreed"], q["score"]) == (4.0, 2, 2.0)
    for fmt in ("json", "html", "csv", "table"):
        text = run_c2c("assess", "bonn-cape-coast", "-w", str(demo_copy), "--format", fmt).stdout
        assert MARK not in text
    for fmt in ("json", "html", "csv"):
        text = run_c2c("compare", "bonn-cape-coast", "-w", str(demo_copy), "--format", fmt).stdout
        assert MARK not in text


@pytest.mark.parametrize(("cell", "value", "expected"), [
    ("rating", "7", ("bad-rating", "rating")),
    ("question_id", "P11.1", ("unknown-question", "question_id")),
    ("stakeholder_group", "aliens", ("unknown-code", "stakeholder_group")),
    ("city_id", "lisbon", ("unknown-city", "city_id")),
])
def test_bad_sheets_are_refused_and_change_nothing(demo_copy, tmp_path, cell, value, expected) -> None:
    path = tmp_path / "sheet.csv"
    rows = [{"participant_code": "X1", "stakeholder_group": "academia", "city_id": "bonn", "question_id": "P02.1",
             "question": "", "rating": "3", "comment": ""},
            {"participant_code": "X1", "stakeholder_group": "academia", "city_id": "bonn", "question_id": "P02.2",
             "question": "", "rating": "In place, functioning", "comment": ""}]
    rows[1][cell] = value
    pl.DataFrame(rows).write_csv(path)
    before = state(demo_copy)
    report = tmp_path / "r.json"
    res = run_c2c("workshop", "import", str(path), "-w", str(demo_copy), "-p", "bonn-cape-coast", "--round", "x",
                  "--report", str(report))
    assert res.returncode == 2 and "Traceback" not in res.stderr
    f = json.loads(report.read_text())["findings"][0]
    assert (f["code"], f["column"], f["row"]) == (*expected, 3)
    assert state(demo_copy) == before
