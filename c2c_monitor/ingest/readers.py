"""Format readers. Each turns one file into the canonical raw frame:

    _file, _line, source_code, area, period, value, unit, obs_status, disagg, action

all strings (value still text), disagg '' for the headline series. Readers
only reshape; every check lives in validate.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from c2c_monitor.definitions.yamlload import YamlSyntaxError
from c2c_monitor.errors import Finding
from c2c_monitor.ingest.metadata import parse_metadata_yaml
from c2c_monitor.ingest.sdmx_ml import read_sdmx_ml_full, root_kind
from c2c_monitor.ingest.sdmx_workbook import PARAMETERS, is_workbook_header, read_sdmx_workbook
from c2c_monitor.ingest.textfile import (
    ReadError,
    Table,
    fix_decimal_commas,
    head_text,
    read_delimited,
    without_comments,
)
from c2c_monitor.ingest.unitmult import apply_unit_mult
from c2c_monitor.ingest.xlsx import has_sheet_header, read_xlsx_table

CANONICAL = ["_file", "_line", "source_code", "area", "period", "value", "unit", "obs_status", "disagg",
             "action"]
LONG_HEADER = ["indicator", "area", "period", "value", "unit", "obs_status", "disaggregation"]


@dataclass
class Parsed:
    frame: pl.DataFrame
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    targets: list[dict[str, Any]] = field(default_factory=list)  # source_code, value, label, source
    fmt: str = ""
    area_names: dict[str, str] = field(default_factory=dict)  # area code -> name, where the source names it
    series_names: dict[str, str] = field(default_factory=dict)  # source code -> name (SDMX-ML SERIES code list)


def _canonical_exprs(present: Collection[str]) -> list[pl.Expr]:
    """The canonical columns from a frame holding `present` (the others null), in one projection."""
    cols = []
    for c in CANONICAL:
        e = pl.col(c).cast(pl.Int64 if c == "_line" else pl.String) if c in present else pl.lit(None, pl.String)
        if c in ("disagg", "action"):
            e = e.fill_null("" if c == "disagg" else "A")
        cols.append(e.alias(c))
    return cols


def _canonical(df: pl.DataFrame) -> pl.DataFrame:
    return df.select(_canonical_exprs(df.columns))


def _disagg_key(columns: list[str], totals: tuple[str, ...] = ("", "_T", "_Z")) -> pl.Expr:
    """'COL=value|COL2=value' over non-total values, sorted by column name; '' is the headline."""
    if not columns:
        return pl.lit("")
    parts = [
        pl.when(pl.col(c).is_null() | pl.col(c).str.strip_chars().is_in(list(totals)))
        .then(None).otherwise(pl.lit(f"{c}=") + pl.col(c).str.strip_chars())
        for c in sorted(columns)
    ]
    return pl.concat_str(parts, separator="|", ignore_nulls=True).fill_null("")


def _need(table: Table, columns: list[str], fmt: str, found: list[str] | None = None) -> None:
    """Refuse a table without `columns`; `found`: the file's columns as the reader names them (default: the
    frame's), listed in the message."""
    found = found if found is not None else [c for c in table.frame.columns if c != "_line"]
    missing = [c for c in columns if c not in found]
    if missing:
        raise ReadError(Finding("missing-column", str(table.path),
                                f"{fmt} file without column(s) {', '.join(missing)}; found: {', '.join(found)}", 1,
                                missing[0]))


# --- SDMX-CSV 1.0 and 2.0 ------------------------------------------------------------------------
SDMX_KNOWN = {"DATAFLOW", "STRUCTURE", "STRUCTURE_ID", "ACTION", "REF_AREA", "TIME_PERIOD", "OBS_VALUE",
              "UNIT_MEASURE", "OBS_STATUS", "INDICATOR", "SERIES", "UNIT_MULT", "FREQ", "DECIMALS",
              "OBS_COMMENT", "COMMENT", "TIME_FORMAT", "NATURE", "SOURCE_DETAIL", "REPORTING_TYPE"}


def _code_only(col: str, frame: pl.DataFrame | None = None) -> pl.Expr:
    # SDMX-CSV may carry "CODE: Label" cells; the code is what we match. Splitting every cell is costly,
    # so a column with no label anywhere is only stripped.
    c = pl.col(col)
    if frame is not None:
        distinct = frame[col].unique().drop_nulls()
        if not distinct.str.contains(": ", literal=True).any():
            # Codes repeat: judge the distinct values, and touch every cell only if one needs stripping.
            return c if (distinct.str.strip_chars() == distinct).all() else c.str.strip_chars()
    return c.str.split(": ").list.first().str.strip_chars()


# The SDMX-CSV columns read_sdmx uses; the other known ones (FREQ, DECIMALS, comments, ...) it leaves out.
SDMX_USED = {"DATAFLOW", "STRUCTURE", "STRUCTURE_ID", "ACTION", "REF_AREA", "TIME_PERIOD", "OBS_VALUE",
             "UNIT_MEASURE", "OBS_STATUS", "INDICATOR", "SERIES", "UNIT_MULT"}


def _sdmx_code(name: str) -> str:
    return name.split(":")[0].strip()  # "REF_AREA: Reference area" -> "REF_AREA"


def _sdmx_columns(names: list[str]) -> list[str]:
    """What read_sdmx reads of a file with these columns: the dimensions and the columns it uses, but not a flow
    column (DATAFLOW, STRUCTURE, STRUCTURE_ID) when an INDICATOR or SERIES column gives the codes."""
    codes = [_sdmx_code(n) for n in names]
    flows = {"DATAFLOW", "STRUCTURE", "STRUCTURE_ID"} if {"INDICATOR", "SERIES"} & set(codes) else set()
    return [n for n, c in zip(names, codes, strict=True)
            if c not in flows and (c in SDMX_USED or c not in SDMX_KNOWN)]


def read_sdmx(path: Path, encoding: str | None = None) -> Parsed:
    t = read_delimited(path, encoding, only=_sdmx_columns)
    header = [_sdmx_code(c) for c in (t.header or t.frame.columns) if c != "_line"]
    twice = next((c for c in header if header.count(c) > 1), None)
    if twice is not None:  # "REF_AREA" beside "REF_AREA: Reference area": one column under two names
        raise ReadError(Finding("duplicate-column", str(path), "a column name appears twice (labels aside)", 1,
                                twice))
    t.frame = t.frame.rename({c: _sdmx_code(c) for c in t.frame.columns if ":" in c})
    _need(t, ["TIME_PERIOD", "OBS_VALUE"], "SDMX-CSV", header)
    cols = t.frame.columns
    if "DATAFLOW" not in header and "STRUCTURE" not in header:
        raise ReadError(Finding("missing-column", str(path),
                                "SDMX-CSV needs a DATAFLOW (1.0) or STRUCTURE/STRUCTURE_ID (2.0) column", 1))
    findings = fix_decimal_commas(t, "OBS_VALUE")
    t.frame, more = apply_unit_mult(t.frame, path, "OBS_VALUE", "UNIT_MULT")  # OBS_VALUE x 10^UNIT_MULT
    findings += more
    code_col = next((c for c in ("INDICATOR", "SERIES") if c in cols), None)
    flow_col = "STRUCTURE_ID" if "STRUCTURE_ID" in cols else "DATAFLOW" if "DATAFLOW" in cols else None
    dims = [c for c in cols if c not in SDMX_KNOWN and c != "_line"]
    f = t.frame
    # ACTION as written: validation reads each distinct value stripped and upper-cased (a per-row copy here cost
    # 0.1 s and 160 MB at 10 M rows), and names a bad one as the file has it.
    action = pl.col("ACTION") if "ACTION" in cols else pl.lit("A")
    df = f.select(
        pl.lit(str(path)).alias("_file"), "_line",
        (_code_only(code_col, f) if code_col else _code_only(flow_col, f) if flow_col else pl.lit(None))
        .alias("source_code"),
        (_code_only("REF_AREA", f) if "REF_AREA" in cols else pl.lit(None, pl.String)).alias("area"),
        pl.col("TIME_PERIOD").alias("period"),  # validation strips periods and values where needed
        pl.col("OBS_VALUE").alias("value"),
        (_code_only("UNIT_MEASURE", f) if "UNIT_MEASURE" in cols else pl.lit(None, pl.String)).alias("unit"),
        (_code_only("OBS_STATUS", f) if "OBS_STATUS" in cols else pl.lit(None, pl.String)).alias("obs_status"),
        _disagg_key(dims).alias("disagg"),
        action.alias("action"),
    )
    return Parsed(_canonical(df), findings, t.notes)


# --- Open SDG --------------------------------------------------------------------------------------
# G-T-I, and the goal-numbered national codes some platforms use (G-N, e.g. Schleswig-Holstein's 12-12).
OPEN_SDG_NAME = re.compile(r"^indicator_(\d{1,2}-[0-9a-z]{1,2}(?:-[0-9a-z]{1,2})?(?:-[0-9a-z]+)?)\.csv$", re.I)
OPEN_SDG_RESERVED = {"Year", "Value", "Units", "Series", "GeoCode", "Unit multiplier", "Observation status"}


def open_sdg_code(path: Path) -> str | None:
    m = OPEN_SDG_NAME.match(path.name)
    return m.group(1) if m else None


# What this reader takes from the metadata: front matter naming neither gives it nothing, so it is not parsed
# (YAML parsing was most of an Open SDG folder's ingest time).
_USED_KEYS = ("graph_target_lines", "c2c_monitor")


def _front_matter(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8-sig")
    if not text.startswith("---"):
        return {}
    end = text.find("\n---", 3)
    if end < 0 or not any(k in text[3:end] for k in _USED_KEYS):
        return {}
    data = parse_metadata_yaml(text[3:end], str(path))
    return data if isinstance(data, dict) else {}


def _meta_path(path: Path, code: str) -> Path | None:
    for cand in (path.parent.parent / "meta" / f"{code}.md", path.parent / f"{code}.md",
                 path.parent / f"indicator_{code}.md"):
        if cand.is_file():
            return cand
    return None


def _c2c_block(fm: dict[str, Any]) -> dict[str, Any] | None:
    """The `c2c_monitor` block of an Open SDG export made by `c2c publish`: the catalogue codes its Series
    column holds, and the column that only labels GeoCode (City)."""
    block = fm.get("c2c_monitor")
    if isinstance(block, dict) and isinstance(block.get("indicators"), list):
        return block
    return None


def read_open_sdg(path: Path, encoding: str | None = None) -> Parsed:
    code = open_sdg_code(path)
    if code is None:
        raise ReadError(Finding("not-open-sdg", str(path),
                                "not an Open SDG data file name (expected indicator_G-T-I.csv or indicator_G-N.csv)"))
    t = read_delimited(path, encoding)
    _need(t, ["Year", "Value"], "Open SDG")
    notes: list[str] = []
    meta = _meta_path(path, code)
    fm: dict[str, Any] = {}
    if meta is not None:
        try:
            fm = _front_matter(meta)
        except (YamlSyntaxError, OSError, UnicodeDecodeError) as exc:
            notes.append(f"metadata {meta.name} unreadable ({type(exc).__name__}); no targets taken")
    c2c = _c2c_block(fm)
    findings = fix_decimal_commas(t, "Value")
    t.frame, more = apply_unit_mult(t.frame, path, "Value", "Unit multiplier")
    findings += more
    cols = t.frame.columns
    # A c2c export names the catalogue indicator in Series and the city in GeoCode (City is its label);
    # any other Open SDG file is one indicator, G-T-I, with every other column a disaggregation.
    by_series = c2c is not None and "Series" in cols
    label = str(c2c.get("area_label") or "") if c2c is not None else ""
    reserved = OPEN_SDG_RESERVED | {"Quarter"} | ({label} if by_series and "GeoCode" in cols else set())
    dims = [c for c in cols if c not in reserved and c != "_line"]
    disagg = dims + (["Series"] if "Series" in cols and not by_series else [])
    if t.frame.height <= SMALL_ROWS:
        frame = _open_sdg_small(t.frame, str(path), None if by_series else code, disagg)
    else:
        frame = _open_sdg_lazy(t.frame, str(path), code, by_series, disagg)
    parsed = Parsed(frame, findings, t.notes + notes)
    if meta is not None and c2c is None:
        # (A c2c export's target lines are the catalogue's 2030 end values, not a city's own targets.)
        for line in fm.get("graph_target_lines") or []:
            if isinstance(line, dict) and isinstance(line.get("value"), int | float):
                parsed.targets.append({"source_code": code, "value": float(line["value"]),
                                       "label": str(line.get("label_content") or ""),
                                       "source": f"{meta.name}: {str(fm.get('target_line_2030') or '').strip()[:200]}"})
    return parsed


def _open_sdg_lazy(frame: pl.DataFrame, file: str, code: str, by_series: bool, disagg: list[str]) -> pl.DataFrame:
    """An Open SDG table as the canonical frame, in one polars projection."""
    cols = frame.columns
    year = pl.col("Year").str.strip_chars()
    period = year
    if "Quarter" in cols:
        # Quarters in their own column: 2024 and 3 is the period 2024-Q3; a blank quarter is the year.
        q = pl.col("Quarter").str.strip_chars()
        period = pl.when(q.is_null() | (q == "")).then(year).otherwise(year + pl.lit("-Q") + q)
    df = frame.lazy().select(
        pl.lit(file).alias("_file"), "_line",
        (pl.col("Series").str.strip_chars() if by_series else pl.lit(code)).alias("source_code"),
        (pl.col("GeoCode") if "GeoCode" in cols else pl.lit(None, pl.String)).alias("area"),
        period.alias("period"),
        pl.col("Value").str.strip_chars().alias("value"),
        (pl.col("Units") if "Units" in cols else pl.lit(None, pl.String)).alias("unit"),
        (pl.col("Observation status") if "Observation status" in cols else pl.lit(None, pl.String))
        .alias("obs_status"),
        _disagg_key(disagg).alias("disagg"),
    )
    return df.select(_canonical_exprs(CANONICAL[:-1])).collect()


# Up to this many rows an Open SDG table is reshaped in Python (a polars query's fixed cost is about 1 ms; Python's
# grows with the rows and passes it at some 700 rows of four columns).
SMALL_ROWS = 500
# What polars' `str.strip_chars()` strips (Unicode White_Space): Python's `str.strip()` also strips the
# information separators U+001C..U+001F, which polars keeps.
_WS = "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a" \
      "\u2028\u2029\u202f\u205f\u3000"
_TOTALS = ("", "_T", "_Z")  # as in `_disagg_key`


def _strip(v: str | None) -> str | None:
    return None if v is None else v.strip(_WS)


def _open_sdg_small(frame: pl.DataFrame, file: str, code: str | None, disagg: list[str]) -> pl.DataFrame:
    """`_open_sdg_lazy`'s frame built in Python (a `code` of None: the Series column names each row's code).

    A folder holds hundreds of files of a dozen rows, where a polars query costs many times the data it
    touches; tests/test_open_sdg_small.py checks both builds agree."""
    n = frame.height
    cols = frame.columns

    def col(name: str) -> list[str | None]:
        return frame[name].to_list() if name in cols else [None] * n

    year = [_strip(v) for v in col("Year")]
    if "Quarter" in cols:
        period = [y if q is None or q == "" or y is None else f"{y}-Q{q}"
                  for y, q in zip(year, map(_strip, col("Quarter")), strict=True)]
    else:
        period = year
    keys: list[str | None] = [""] * n
    for name in sorted(disagg):
        for i, v in enumerate(col(name)):
            v = _strip(v)
            if v is not None and v not in _TOTALS:
                keys[i] = f"{keys[i]}|{name}={v}" if keys[i] else f"{name}={v}"
    values: dict[str, list[Any]] = {
        "_file": [file] * n,
        "_line": frame["_line"].to_list(),
        "source_code": [code] * n if code is not None else [_strip(v) for v in col("Series")],
        "area": col("GeoCode"),
        "period": period,
        "value": [_strip(v) for v in col("Value")],
        "unit": col("Units"),
        "obs_status": col("Observation status"),
        "disagg": keys,
        "action": ["A"] * n,
    }
    # Built from rows, the schema as pairs (a dict of dtypes costs polars a second pass): a fifth of the cost
    # of one Series per column, for a frame this small.
    # (`_line` among each row's values: inserting a column afterwards costs as much as the whole build.)
    return pl.DataFrame(list(zip(*(values[c] for c in CANONICAL), strict=True)),
                        schema=[(c, pl.Int64 if c == "_line" else pl.String) for c in CANONICAL], orient="row")


# --- Documented long format (CSV and XLSX) ---------------------------------------------------------
def _long(table: Table, fmt: str) -> Parsed:
    table = without_comments(table)  # the template's commented example
    _need(table, ["indicator", "period", "value"], fmt)
    findings = fix_decimal_commas(table, "value")
    cols = table.frame.columns
    extra = [c for c in cols if c not in LONG_HEADER and c not in ("_line", "action")]
    if extra:
        raise ReadError(Finding("unknown-column", str(table.path),
                                f"unknown column {extra[0]!r}; the header is {', '.join(LONG_HEADER)}", 1, extra[0]))
    df = table.frame.select(
        pl.lit(str(table.path)).alias("_file"), "_line",
        pl.col("indicator").str.strip_chars().alias("source_code"),
        (pl.col("area").str.strip_chars() if "area" in cols else pl.lit(None, pl.String)).alias("area"),
        pl.col("period").str.strip_chars().alias("period"),
        pl.col("value").str.strip_chars().alias("value"),
        (pl.col("unit") if "unit" in cols else pl.lit(None, pl.String)).alias("unit"),
        (pl.col("obs_status") if "obs_status" in cols else pl.lit(None, pl.String)).alias("obs_status"),
        (pl.col("disaggregation").fill_null("") if "disaggregation" in cols else pl.lit("")).alias("disagg"),
        (pl.col("action") if "action" in cols else pl.lit("A")).alias("action"),
    )
    return Parsed(_canonical(df), findings, table.notes)


def read_long_csv(path: Path, encoding: str | None = None) -> Parsed:
    return _long(read_delimited(path, encoding), "long-format CSV")


def read_xlsx(path: Path, encoding: str | None = None) -> Parsed:
    return _long(read_xlsx_table(path), "XLSX")


def read_sdmx_ml_file(path: Path, encoding: str | None = None, structure: Path | None = None) -> Parsed:
    """SDMX-ML data message (its XML declaration names the encoding: --encoding does not apply)."""
    got = read_sdmx_ml_full(path, structure)
    return Parsed(got.frame, got.findings, got.notes, area_names=got.area_names, series_names=got.series_names)


def read_sdmx_xlsx_file(path: Path, encoding: str | None = None, structure: Path | None = None) -> Parsed:
    """The SDMX data-entry workbook (a `Parameters` sheet, wide data sheets); cells are typed: no encoding."""
    got = read_sdmx_workbook(path, structure)
    return Parsed(got.frame, got.findings, got.notes, area_names=got.area_names, series_names=got.series_names)


# Readers that take an SDMX structure (DSD) beside the data (`--structure`, or the one found beside the file).
STRUCTURED: dict[str, Callable[[Path, str | None, Path | None], Parsed]] = {
    "sdmx-ml": read_sdmx_ml_file,
    "sdmx-xlsx": read_sdmx_xlsx_file,
}

READERS: dict[str, Callable[[Path, str | None], Parsed]] = {
    "sdmx-ml": read_sdmx_ml_file,
    "sdmx-xlsx": read_sdmx_xlsx_file,
    "sdmx-csv": read_sdmx,
    "open-sdg": read_open_sdg,
    "csv": read_long_csv,
    "xlsx": read_xlsx,
}


def detect_format(path: Path, encoding: str | None = None) -> str:
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        # The SDMX data-entry workbook says where each concept is in a `Parameters` sheet.
        return "sdmx-xlsx" if has_sheet_header(path, PARAMETERS, is_workbook_header) else "xlsx"
    if open_sdg_code(path):
        return "open-sdg"
    if path.suffix.lower() == ".xml" or root_kind(path) is not None:
        return "sdmx-ml"  # a structure message or other XML is refused (or skipped in a folder) by the reader
    try:
        head = head_text(path, encoding).lstrip("\ufeff")
    except (OSError, LookupError):  # an unknown --encoding is refused, with the file named, by the reader
        return "csv"
    first = head.splitlines()[0] if head else ""
    if re.search(r"(^|[,;\t])(DATAFLOW|STRUCTURE)([,;\t:]|$)", first):
        return "sdmx-csv"
    return "csv"
