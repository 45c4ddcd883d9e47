"""Workshop ratings sheets: template, validated import (one vintage), agreed ratings.

Ratings are confidential: they go into the store and come out only as the
aggregates of ratings.py.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from c2c_monitor.definitions.principles import Framework
from c2c_monitor.definitions.records import STAKEHOLDER_GROUPS
from c2c_monitor.errors import C2CError, Finding, InputRejected, NothingLoaded
from c2c_monitor.ingest.control_chars import control_findings
from c2c_monitor.score.assess import partnership_info
from c2c_monitor.store import reads
from c2c_monitor.store.atomic import replacing
from c2c_monitor.store.cells import neutralised, sheet_append, sheet_set
from c2c_monitor.store.schema import insert_frame, new_vintage, transaction
from c2c_monitor.workshop.exports import export_info, read_ratings_table, workshop_day
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


def checked_sheet_name(name: str) -> str:
    """A sheet's name (it tells one sheet's `P01` from another's): trimmed, printable, no '/'."""
    sheet = name.strip()
    if not sheet:
        raise C2CError("the sheet name is empty", hint="give --sheet NAME, e.g. --sheet table-2")
    if len(sheet) > 80 or "/" in sheet or re.search(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069"
                                                     r"\u061c\ufeff]", sheet):
        raise C2CError(f"the sheet name {sheet!r} is not usable (at most 80 printable characters, no '/')",
                       hint="give --sheet NAME, e.g. --sheet table-2")
    return sheet


HELD_ON_HINT = ("give the date the workshop was held: --held-on YYYY-MM-DD, or a held_on column in the sheet "
                "(a KoboToolbox or ODK export gives it by its submission times)")


def _sheet_dates(df: pl.DataFrame, file: str) -> tuple[dt.date | None, list[Finding]]:
    """The date a sheet's optional `held_on` column gives (one date for the whole sheet), with its findings."""
    if "held_on" not in df.columns:
        return None, []
    findings: list[Finding] = []
    seen: dict[dt.date, int] = {}
    for line, text in df.select("_line", "held_on").iter_rows():
        if text is None or not text.strip():
            continue
        try:
            day = dt.date.fromisoformat(text.strip())
        except ValueError:
            findings.append(Finding("bad-date", file, "not a date (YYYY-MM-DD)", line, "held_on", text))
            continue
        if day > dt.date.today():
            findings.append(Finding("bad-date", file, "in the future: give the date the workshop was held",
                                    line, "held_on", text))
        elif seen and day not in seen:
            first = next(iter(seen))
            findings.append(Finding("conflicting-date", file, f"a sheet is one workshop: line {seen[first]} says "
                                    f"{first.isoformat()}", line, "held_on", text))
        seen.setdefault(day, line)
    return (next(iter(seen)) if seen and not findings else None), findings


def resolve_held_on(con: DuckDBPyConnection, pid: str, round_id: str, given: dt.date | None,
                    in_sheet: dt.date | None, submitted: dt.date | None, file: str) -> tuple[dt.date, list[Finding]]:
    """The date the round was held, and a finding when there is none or sources disagree.

    --held-on, then the sheet's `held_on` column, then the date already recorded for the round, then the day
    the export's submissions arrived. An explicit date that differs from the round's recorded one is refused:
    one of them is wrong, and the round's place in history depends on it.
    """
    recorded = reads.round_held_on(con, pid, round_id)
    if given is not None and in_sheet is not None and given != in_sheet:
        return given, [Finding("conflicting-date", file, f"--held-on {given.isoformat()} but the sheet says "
                               f"{in_sheet.isoformat()}", None, "held_on")]
    explicit = given or in_sheet
    if explicit is not None and recorded is not None and recorded[0] is not None and recorded[0] != explicit:
        return explicit, [Finding("conflicting-date", file, f"round {round_id!r} was held on "
                                  f"{recorded[0].isoformat()} (recorded by vintage {recorded[1]}), not "
                                  f"{explicit.isoformat()}: import into that round without a date, or give "
                                  "another --round", None, "held_on")]
    day = explicit or (recorded[0] if recorded is not None else None) or submitted
    if day is None:
        return dt.date.min, [Finding("missing-date", file, f"no date for round {round_id!r}: {HELD_ON_HINT}")]
    return day, []


def sheet_findings(con: DuckDBPyConnection, pid: str, round_id: str, sheet: str, replace: bool, digest: str,
                   file: str) -> list[Finding]:
    """A sheet already in the round is replaced only on purpose; the same content twice is refused."""
    loads = reads.round_sheets(con, pid, round_id)
    current = {s.upper(): (s, v, h) for s, v, h in loads}  # oldest first: the newest load of each sheet wins
    same = [(s, v) for s, v, h in current.values() if h == digest]
    if same:
        s, v = same[-1]
        return [Finding("duplicate-sheet", file, f"this file is already in round {round_id!r} as sheet {s!r} "
                        f"(vintage {v}, same content): nothing to load", None, None)]
    names = {s.upper(): s for s, _, _ in loads}
    if replace and sheet.upper() not in names:
        shown = ", ".join(sorted(set(names.values()))) or "none yet"
        return [Finding("unknown-sheet", file, f"round {round_id!r} has no sheet {sheet!r} to replace "
                        f"(sheets: {shown})", None, None)]
    if not replace and sheet.upper() in names:
        return [Finding("sheet-exists", file, f"round {round_id!r} already has a sheet {names[sheet.upper()]!r}: "
                        f"give --replace {names[sheet.upper()]} to correct it, or --sheet NAME if this is another "
                        "sheet of the round", None, None)]
    return []


def import_ratings(con: DuckDBPyConnection, fw: Framework, path: Path, pid: str, round_id: str, held_on: dt.date | None,
                   lang: str, dry_run: bool = False, sheet: str | None = None,
                   replace: str | None = None) -> dict[str, Any]:
    """Validate one sheet (a filled template or a form export) and store it as one vintage of the round.

    The sheet is named by `sheet` (default: the file's name without extension), or by `replace` to correct a
    sheet already loaded; its participant codes are its own (`P01` of two sheets are two people).
    """
    round_id = checked_round_id(round_id)
    held_on = checked_held_on(held_on)
    if sheet is not None and replace is not None:
        raise C2CError("give --sheet or --replace, not both", hint="--replace NAME corrects the sheet NAME")
    name = checked_sheet_name(replace if replace is not None else sheet if sheet is not None else path.stem)
    info = partnership_info(con, pid)
    table = read_ratings_table(path, fw)
    df = table.frame
    file = str(path)
    findings: list[Finding] = []
    submitted: dt.date | None = None
    skipped = 0
    if is_form_export(df.columns, fw):
        df, meta = export_info(df, fw, file)
        findings += meta.findings
        submitted, skipped = workshop_day(meta.dates), meta.skipped
        df = kobo_to_long(df, fw, {c.id: c.name for c in info.cities})
    for col in ("participant_code", "question_id", "rating"):
        if col not in df.columns:
            findings.append(Finding("missing-column", file, f"a ratings sheet needs {', '.join(SHEET_COLUMNS)}",
                                    1, col))
    if findings:
        raise InputRejected(findings)
    if df.height == 0:
        raise InputRejected([Finding("empty-file", file, "no ratings under the header")])
    in_sheet, date_findings = _sheet_dates(df, file)
    findings += date_findings
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
    if df.filter(~blank_rating).height == 0:
        raise NothingLoaded(f"{file}: every answer is blank: no rating to load, nothing written")
    day, date_findings = resolve_held_on(con, pid, round_id, held_on, in_sheet, submitted, file)
    content = path.read_bytes()
    findings = date_findings + sheet_findings(con, pid, round_id, name, replace is not None,
                                              hashlib.sha256(content).hexdigest(), file)
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
    result: dict[str, Any] = {"ratings": rows.height, "participants": rows["participant_code"].n_unique(),
                              "sheet": name, "held_on": day.isoformat(), "skipped": skipped}
    if dry_run:
        return result
    result["vintage_id"] = store_ratings(con, pid, round_id, day, rows, file, content, sheet=name)
    return result


def store_ratings(con: DuckDBPyConnection, pid: str, round_id: str, held_on: dt.date | None, rows: pl.DataFrame,
                  source: str, content: bytes, *, sheet: str = "live") -> int:
    """Store one sheet of a round's validated ratings as one vintage (the round is registered on its first load).

    Shared by the sheet import and the live server's "close", so a round from phones is stored exactly like
    one from paper: same tables, one vintage, merged with the other sheets of the same round; a newer load of
    the same sheet replaces that sheet's rows (`reads.round_ratings`). `held_on` None is for the live server
    only, whose workshop is being held now: the round's recorded date, else today.
    """
    with transaction(con):
        recorded = reads.round_held_on(con, pid, round_id)
        vid = new_vintage(con, "ratings", source, content, rows.height,
                          note=f"{pid} round {round_id} sheet {sheet}")
        if recorded is None:
            insert_frame(con, "rounds", pl.DataFrame({
                "partnership_id": [pid], "round_id": [round_id], "held_on": [held_on or dt.date.today()],
                "label": [f"Workshop {round_id}"], "vintage_id": [vid]}))
        elif held_on is not None and recorded[0] is not None and held_on != recorded[0]:
            raise C2CError(f"round {round_id!r} was held on {recorded[0].isoformat()}, not {held_on.isoformat()}",
                           hint="import into that round without a date, or give another --round")
        insert_frame(con, "ratings", rows.with_columns(pl.lit(sheet).alias("sheet")), vintage_id=vid)
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
