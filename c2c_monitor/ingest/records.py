"""Import of a partnership's own records (activities, participants, budget lines, ...) from CSV or XLSX.

Same standard as statistical data: the whole file is checked against the
documented schema in records.py (row, column, reason), and an accepted file
is one vintage written in one transaction; rows identical to the current
records are not written again.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from c2c_monitor.definitions.records import DATASETS, Dataset
from c2c_monitor.errors import Finding, InputRejected
from c2c_monitor.ingest.control_chars import control_findings
from c2c_monitor.ingest.tables import read_table
from c2c_monitor.ingest.textfile import fix_decimal_commas
from c2c_monitor.store.reads import latest_sql, vintage_bound
from c2c_monitor.store.schema import insert_frame, new_vintage, transaction

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection

_TRUE = ["true", "yes", "1", "y"]
_FALSE = ["false", "no", "0", "n"]
PL_TYPES = {"str": pl.String, "int": pl.Int64, "float": pl.Float64, "bool": pl.Boolean, "date": pl.Date}


def _bad(df: pl.DataFrame, mask: pl.Expr, path: Path, code: str, column: str, message: str) -> list[Finding]:
    rows = df.filter(mask).head(200).select("_line", pl.col(column).cast(pl.String).alias("v"))
    return [Finding(code, str(path), message, r["_line"], column, r["v"]) for r in rows.iter_rows(named=True)]


def check_records(
    ds: Dataset, df: pl.DataFrame, path: Path, partnerships: set[str], cities: set[str]
) -> tuple[pl.DataFrame, list[Finding]]:
    findings: list[Finding] = []
    cols = [c for c in df.columns if c != "_line"]
    missing = [c.name for c in ds.columns if c.required and c.name not in cols]
    extra = [c for c in cols if ds.column(c) is None]
    if missing:
        findings.append(Finding("missing-column", str(path), f"{ds.name} needs column(s) {', '.join(missing)}", 1,
                                missing[0]))
    if extra:
        findings.append(Finding("unknown-column", str(path), f"{ds.name} has no column {extra[0]!r} "
                                f"(columns: {', '.join(ds.names)})", 1, extra[0]))
    if findings:
        return df, findings
    out = []
    for col in ds.columns:
        name = col.name
        s = pl.col(name).str.strip_chars() if name in cols else pl.lit(None, pl.String)
        blank = s.is_null() | (s == "")
        df = df.with_columns(s.alias(name))
        if col.required:
            findings += _bad(df, blank, path, "missing-value", name, "required value is blank")
        if col.type == "int":
            conv = s.cast(pl.Int64, strict=False)
            findings += _bad(df, ~blank & conv.is_null(), path, "bad-type", name, "not a whole number")
        elif col.type == "float":
            conv = s.cast(pl.Float64, strict=False)
            findings += _bad(df, ~blank & (conv.is_null() | ~conv.is_finite()), path, "bad-type", name,
                             "not a number")
        elif col.type == "bool":
            low = s.str.to_lowercase()
            conv = pl.when(low.is_in(_TRUE)).then(True).when(low.is_in(_FALSE)).then(False).otherwise(None)
            findings += _bad(df, ~blank & conv.is_null(), path, "bad-type", name, "not yes/no (true/false)")
        elif col.type == "date":
            conv = s.str.to_date("%Y-%m-%d", strict=False)
            findings += _bad(df, ~blank & conv.is_null(), path, "bad-date", name, "not a date (YYYY-MM-DD)")
        else:
            conv = pl.when(blank).then(None).otherwise(s)
            if col.choices:
                findings += _bad(df, ~blank & ~s.is_in(list(col.choices)), path, "unknown-code", name,
                                 f"not one of: {', '.join(col.choices)}")
        out.append(conv.cast(PL_TYPES[col.type]).alias(name))
    findings += _bad(df, ~pl.col("partnership_id").is_in(list(partnerships)) & pl.col("partnership_id").is_not_null(),
                     path, "unknown-partnership", "partnership_id", "not a partnership of the workspace")
    for name in (c.name for c in ds.columns if c.name.endswith("city_id")):
        findings += _bad(df, pl.col(name).is_not_null() & ~pl.col(name).is_in(list(cities)), path, "unknown-city",
                         name, "not a city of the workspace")
    if ds.column("sdg") is not None:
        goal = pl.col("sdg").cast(pl.Int64, strict=False)
        findings += _bad(df, goal.is_not_null() & ~goal.is_between(1, 17), path, "bad-code", "sdg",
                         "SDG goals are 1 to 17")
    text = [c.name for c in ds.columns if c.type == "str" and c.name in df.columns]
    findings += control_findings(df, path, ids=[c for c in text if c.endswith("_id")],
                                 texts=[c for c in text if not c.endswith("_id")])
    key = ["partnership_id", ds.key]
    df = df.with_columns(_first=pl.col("_line").min().over(key), _n=pl.len().over(key))
    findings += _bad(df, (pl.col("_n") > 1) & (pl.col("_line") != pl.col("_first")), path, "duplicate-key", ds.key,
                     "duplicate id in this file")
    return df.select(out), findings


def import_records(con: DuckDBPyConnection, dataset: str, path: Path, dry_run: bool = False) -> dict[str, int]:
    if dataset not in DATASETS:
        raise InputRejected([Finding("unknown-dataset", str(path), f"unknown dataset {dataset!r} "
                                     f"(known: {', '.join(DATASETS)})")])
    ds = DATASETS[dataset]
    table = read_table(path)
    numeric = [c.name for c in ds.columns if c.type in ("int", "float")]
    findings = [f for c in numeric for f in fix_decimal_commas(table, c)]
    if table.frame.height == 0:
        findings.append(Finding("empty-file", str(path), "no rows under the header"))
    partnerships = {r[0] for r in con.execute("SELECT partnership_id FROM partnerships").fetchall()}
    if findings:
        raise InputRejected(findings)
    cities = {r[0] for r in con.execute("SELECT city_id FROM cities").fetchall()}
    rows, findings = check_records(ds, table.frame, path, partnerships, cities)
    if findings:
        raise InputRejected(findings)
    con.register("_new", rows)
    try:
        # The current rows: the store's one window, over every vintage (names checked against the schema).
        current = con.sql(latest_sql(f"rec_{ds.name}", ["partnership_id", ds.key], select="* EXCLUDE (vintage_id, rn)"),
                          params=[vintage_bound(None)]).pl()
    finally:
        con.unregister("_new")
    current = current.select([pl.col(c.name).cast(PL_TYPES[c.type]) for c in ds.columns])
    changed = rows.join(current, on=rows.columns, how="anti", nulls_equal=True)
    result = {"rows": rows.height, "new_or_changed": changed.height, "unchanged": rows.height - changed.height}
    if dry_run or changed.height == 0:
        return result
    with transaction(con):
        vid = new_vintage(con, "records:" + ds.name, str(path), path.read_bytes(), changed.height)
        insert_frame(con, "rec_" + ds.name, changed, vintage_id=vid)
    result["vintage_id"] = vid
    return result



