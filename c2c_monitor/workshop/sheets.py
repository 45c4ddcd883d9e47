"""Workshop ratings sheets: template, validated import (one vintage), agreed ratings.

Ratings are confidential: they go into the store and come out only as the
aggregates of ratings.py.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from c2c_monitor.definitions.principles import Framework
from c2c_monitor.definitions.records import STAKEHOLDER_GROUPS
from c2c_monitor.errors import C2CError, Finding, InputRejected
from c2c_monitor.ingest.control_chars import control_findings
from c2c_monitor.ingest.readers import read_xlsx_table
from c2c_monitor.ingest.textfile import ReadError, read_delimited
from c2c_monitor.score.assess import partnership_info
from c2c_monitor.store import reads
from c2c_monitor.store.atomic import replacing
from c2c_monitor.store.cells import neutralised, sheet_append, sheet_set
from c2c_monitor.store.schema import insert_frame, new_vintage, transaction
from c2c_monitor.workshop.xlsform import is_form_export, kobo_to_long

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection

SHEET_COLUMNS = ["participant_code", "stakeholder_group", "city_id", "question_id", "question", "rating", "comment"]


def write_template(con: DuckDBPyConnection, fw: Framework, pid: str, out_dir: Path, participants: int,
                   lang: str) -> list[Path]:
    info = partnership_info(con, pid)
    cities = [c.id for c in info.cities]
    rows = [[f"P{i:02d}", "", "", q.id, q.text.get(lang), "", ""]
            for i in range(1, participants + 1) for p in fw.principles for q in p.questions]
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path = out_dir / f"{pid}-ratings.csv"
    # Through `replacing`: a file planted at the target is replaced, never written through.
    with replacing(csv_path) as tmp:
        neutralised(pl.DataFrame(rows, schema=SHEET_COLUMNS, orient="row")).write_csv(tmp)
    from openpyxl import Workbook
    from openpyxl.worksheet.datavalidation import DataValidation
    from openpyxl.worksheet.worksheet import Worksheet

    wb = Workbook()
    ws = wb.active
    assert isinstance(ws, Worksheet)  # a new workbook opens on one worksheet
    ws.title = "ratings"
    sheet_append(ws, SHEET_COLUMNS)
    for r in rows:
        sheet_append(ws, r)
    lists = wb.create_sheet("lists")
    answers = [str(v) for v in fw.scale.values] + fw.scale.special_codes
    for i, a in enumerate(answers, start=1):
        sheet_set(lists, i, 1, a)
    for i, g in enumerate(STAKEHOLDER_GROUPS, start=1):
        sheet_set(lists, i, 2, g)
    for i, c in enumerate(cities, start=1):
        sheet_set(lists, i, 3, c)
    n = len(rows) + 1
    for col, ref in (("F", f"lists!$A$1:$A${len(answers)}"), ("B", f"lists!$B$1:$B${len(STAKEHOLDER_GROUPS)}"),
                     ("C", f"lists!$C$1:$C${len(cities)}")):
        dv = DataValidation(type="list", formula1=ref, allow_blank=True, showErrorMessage=True)
        dv.add(f"{col}2:{col}{n}")
        ws.add_data_validation(dv)
    ws.column_dimensions["E"].width = 80
    xlsx_path = out_dir / f"{pid}-ratings.xlsx"
    with replacing(xlsx_path) as tmp:
        wb.save(tmp)
    return [csv_path, xlsx_path]


def checked_round_id(round_id: str) -> str:
    """A round id trimmed, refused when empty or holding control characters (it keys stored ratings)."""
    rid = round_id.strip()
    if not rid:
        raise C2CError("the round id is empty", hint="give --round, e.g. --round 2025")
    if re.search(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u061c\ufeff]", rid):
        raise C2CError(f"the round id {rid!r} holds control or bidirectional characters")
    return rid


def checked_held_on(held_on: dt.date | None) -> dt.date | None:
    """A workshop date: not in the future (a typo there would order the rounds wrongly for good)."""
    if held_on is not None and held_on > dt.date.today():
        raise C2CError(f"--held-on {held_on.isoformat()} is in the future",
                       hint="give the date the workshop was held (YYYY-MM-DD), today at the latest")
    return held_on


def participant_key(col: str = "participant_code") -> pl.Expr:
    """Participant codes compared as people mean them: trimmed, case ignored (`p01` is `P01`)."""
    return pl.col(col).str.strip_chars().str.to_uppercase()


def import_ratings(con: DuckDBPyConnection, fw: Framework, path: Path, pid: str, round_id: str, held_on: dt.date | None,
                   lang: str, dry_run: bool = False) -> dict[str, int]:
    round_id = checked_round_id(round_id)
    held_on = checked_held_on(held_on)
    info = partnership_info(con, pid)
    try:
        table = read_xlsx_table(path) if path.suffix.lower() == ".xlsx" else read_delimited(path)
    except ReadError as exc:
        raise InputRejected(exc.findings) from None
    df = table.frame
    file = str(path)
    findings: list[Finding] = []
    if is_form_export(df.columns, fw):
        df = kobo_to_long(df, fw, {c.id: c.name for c in info.cities})
    for col in ("participant_code", "question_id", "rating"):
        if col not in df.columns:
            findings.append(Finding("missing-column", file, f"a ratings sheet needs {', '.join(SHEET_COLUMNS)}",
                                    1, col))
    if findings:
        raise InputRejected(findings)
    if df.height == 0:
        raise InputRejected([Finding("empty-file", file, "no ratings under the header")])
    for col in ("stakeholder_group", "city_id", "comment"):
        if col not in df.columns:
            df = df.with_columns(pl.lit(None, pl.String).alias(col))
    df = df.with_columns([pl.col(c).str.strip_chars() for c in ("stakeholder_group", "city_id", "question_id",
                                                                 "rating")])
    df = df.with_columns(participant_key())
    # Groups, cities and questions are checked against their lists below; a code and a comment are free.
    findings += control_findings(df, file, ids=["participant_code"], texts=["comment"])
    # Each distinct answer read once through the scale's definitions: a value, a code or a label in any of
    # the product's languages (a French sheet's "Sans objet", a Portuguese form's "3 – Existe, não aplicado").
    codes = {r: str(a) for r in df["rating"].drop_nulls().unique().to_list()
             if (a := fw.scale.parse_label(r)) is not None}
    df = df.with_columns(pl.col("rating").replace_strict(codes, default=None, return_dtype=pl.String).alias("answer"))

    def bad(mask: pl.Expr, code: str, column: str, message: str) -> None:
        for r in df.filter(mask).head(200).iter_rows(named=True):
            # In a form export the rating sits in the question's own column.
            where = r["_col"] if column == "rating" and r.get("_col") else column
            findings.append(Finding(code, file, message, r["_line"], where, r[column]))

    blank_rating = pl.col("rating").is_null() | (pl.col("rating") == "")
    bad(pl.col("participant_code").is_null() | (pl.col("participant_code") == ""), "missing-value",
        "participant_code", "no participant code")
    bad(~pl.col("question_id").is_in(list(fw.questions)), "unknown-question", "question_id",
        "not a question of the checklist")
    bad(~blank_rating & pl.col("answer").is_null(), "bad-rating", "rating",
        f"not on the scale ({', '.join(map(str, fw.scale.values))}, {', '.join(fw.scale.special_codes)})")
    bad(pl.col("stakeholder_group").is_not_null() & (pl.col("stakeholder_group") != "")
        & ~pl.col("stakeholder_group").is_in(list(STAKEHOLDER_GROUPS)), "unknown-code", "stakeholder_group",
        f"not one of: {', '.join(STAKEHOLDER_GROUPS)}")
    cities = [c.id for c in info.cities]
    bad(pl.col("city_id").is_not_null() & (pl.col("city_id") != "") & ~pl.col("city_id").is_in(cities),
        "unknown-city", "city_id", f"not a city of this partnership ({', '.join(cities)})")
    df = df.with_columns(_first=pl.col("_line").min().over("participant_code", "question_id"))
    bad(pl.col("_line") != pl.col("_first"), "duplicate-key", "question_id",
        "the same participant rated this question twice")
    if findings:
        raise InputRejected(findings)
    rows = df.filter(~blank_rating).select(
        pl.lit(pid).alias("partnership_id"), pl.lit(round_id).alias("round_id"), "participant_code",
        pl.when(pl.col("stakeholder_group") == "").then(None).otherwise(pl.col("stakeholder_group"))
        .alias("stakeholder_group"),
        pl.when(pl.col("city_id") == "").then(None).otherwise(pl.col("city_id")).alias("city_id"),
        "question_id", "answer",
        pl.col("answer").cast(pl.Int32, strict=False).alias("rating"),
        pl.when(pl.col("comment") == "").then(None).otherwise(pl.col("comment")).alias("comment"),
    )
    result = {"ratings": rows.height, "participants": rows["participant_code"].n_unique()}
    if dry_run or rows.height == 0:
        return result
    result["vintage_id"] = store_ratings(con, pid, round_id, held_on, rows, file, path.read_bytes())
    return result


def store_ratings(con: DuckDBPyConnection, pid: str, round_id: str, held_on: dt.date | None, rows: pl.DataFrame,
                  source: str, content: bytes) -> int:
    """Store a round's validated ratings as one vintage (the round is registered on its first load).

    Shared by the sheet import and the live server's "close", so a round from phones is stored exactly like
    one from paper: same tables, one vintage, merged with other loads of the same round.
    """
    with transaction(con):
        vid = new_vintage(con, "ratings", source, content, rows.height, note=f"{pid} round {round_id}")
        if not reads.round_exists(con, pid, round_id):
            insert_frame(con, "rounds", pl.DataFrame({
                "partnership_id": [pid], "round_id": [round_id], "held_on": [held_on or dt.date.today()],
                "label": [f"Workshop {round_id}"], "vintage_id": [vid]}))
        insert_frame(con, "ratings", rows.with_columns(pl.lit(vid).alias("vintage_id")))
    return vid


def agree(con: DuckDBPyConnection, fw: Framework, pid: str, round_id: str, question_id: str, rating: int,
          reason: str) -> int:
    partnership_info(con, pid)
    if question_id not in fw.questions:
        raise C2CError(f"unknown question {question_id!r}", hint="questions are P01.1 ... P10.5")
    if rating not in fw.scale.values:
        raise C2CError(f"rating {rating} is not on the scale {fw.scale.values}")
    if not reason.strip():
        raise C2CError("an agreed rating needs a reason")
    round_id = checked_round_id(round_id)
    if not reads.round_exists(con, pid, round_id):
        raise C2CError(f"partnership {pid!r} has no workshop round {round_id!r}")
    with transaction(con):
        vid = new_vintage(con, "agreed", f"c2c workshop agree {question_id}", None, 1)
        insert_frame(con, "agreed", pl.DataFrame({
            "partnership_id": [pid], "round_id": [round_id], "question_id": [question_id], "rating": [rating],
            "reason": [reason.strip()], "vintage_id": [vid]}))
    return vid
