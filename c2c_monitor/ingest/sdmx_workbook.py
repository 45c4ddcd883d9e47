"""The SDMX data-entry workbook (the XLSX input of the SDMX Converter, used by UNSD's SDG data templates and
by statistical offices such as Rwanda's NISR), read into the canonical raw frame of the other readers.

The workbook has a sheet named `Parameters` saying where each SDMX concept is, and data sheets (every other
sheet but those whose name starts with `Val`, which hold code lists for data entry). Each Parameters row is

    Element (the concept id)  Type (DIM or ATT)  PosType  Position

with PosType `FIX` (Position is the value itself), `COLUMN` (a column letter: each data row's cell there),
`ROW` (a row number: each value column's cell there, e.g. the years of a header row) or `CELL` (one cell,
e.g. B1, for the whole sheet). Beside them, `DataStart` names the first value cell (V2) and `NumColumns`
how many value columns there are; each non-blank cell of that block is one observation.

The concepts are mapped as the SDMX-ML reader maps them (`sdmx_ml.py`): SERIES (or INDICATOR) is the source
code, REF_AREA the area, TIME_PERIOD the period, UNIT_MEASURE the unit, OBS_STATUS the status, UNIT_MULT is
applied to the value, and every other dimension but FREQ and REPORTING_TYPE is a disaggregation (`_T`/`_Z`
totals are the headline). The structure (DSD) beside the file, or given, names the areas, as for SDMX-ML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from c2c_monitor.definitions.periods import read_period
from c2c_monitor.errors import Finding
from c2c_monitor.ingest.sdmx_ml import CANONICAL, NOT_DISAGG, structure_code_names
from c2c_monitor.ingest.textfile import ReadError
from c2c_monitor.ingest.unitmult import apply_unit_mult
from c2c_monitor.ingest.xlsx import read_xlsx_sheets

PARAMETERS = "Parameters"
PARAM_HEADER = ("Element", "Type", "PosType", "Position")
POS_TYPES = ("FIX", "COLUMN", "ROW", "CELL")
MAX_COLUMN = 16384  # XFD, Excel's last column
_LETTERS = re.compile(r"^[A-Z]{1,3}$")
_CELL = re.compile(r"^([A-Z]{1,3})([1-9][0-9]{0,6})$")
MAX_FINDINGS = 50
TOTALS = ("", "_T", "_Z")


def column_index(letters: str) -> int:
    """'A' -> 1, 'Z' -> 26, 'AA' -> 27 ... 'XFD' -> 16384; ValueError for anything else."""
    s = letters.strip()
    # ASCII before upper-casing: 'ı'.upper() is 'I', 'ß'.upper() is 'SS'.
    s = s.upper() if s.isascii() else ""
    if not _LETTERS.match(s):
        raise ValueError(f"{letters!r} is not a column letter")
    n = 0
    for ch in s:
        n = n * 26 + ord(ch) - 64
    if n > MAX_COLUMN:
        raise ValueError(f"{letters!r} is past the last column (XFD)")
    return n


def column_letter(index: int) -> str:
    """1 -> 'A', 27 -> 'AA' (bijective base 26)."""
    if not 1 <= index <= MAX_COLUMN:
        raise ValueError(f"column {index} is outside 1..{MAX_COLUMN}")
    out = ""
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def is_workbook_header(row: tuple[Any, ...]) -> bool:
    """Whether a Parameters sheet's first row is the SDMX workbook's (Element, Type, PosType, Position)."""
    names = [str(v).strip().lower() for v in row if v is not None]
    return all(h.lower() in names for h in PARAM_HEADER)


@dataclass
class Concept:
    element: str
    kind: str  # DIM or ATT
    pos_type: str
    position: str
    row: int  # its row in the Parameters sheet


@dataclass
class Layout:
    concepts: dict[str, Concept]
    start_row: int
    start_col: int
    num_columns: int | None


@dataclass
class Workbook:
    frame: pl.DataFrame
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    area_names: dict[str, str] = field(default_factory=dict)
    series_names: dict[str, str] = field(default_factory=dict)


def _text(v: Any) -> str | None:
    """A code cell as text: a whole number typed as a number (REF_AREA 1) is its digits, blank is None."""
    if v is None:
        return None
    if isinstance(v, bool):
        return str(v).upper()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    s = str(v).strip()
    return s or None


def _where(sheet: str, row: int, col: int | None = None) -> str:
    return f"sheet {sheet!r} " + (f"cell {column_letter(col)}{row}" if col else f"row {row}")


def _refuse(path: Path, code: str, message: str, row: int | None = None, column: str | None = None,
            value: str | None = None) -> ReadError:
    return ReadError(Finding(code, str(path), message, row, column, value))


def _labelled(rows: list[tuple[Any, ...]], label: str) -> tuple[Any, int, int] | None:
    """The cell right of the first cell reading `label` (DataStart, NumColumns): (value, row, col)."""
    for r, row in enumerate(rows, start=1):
        for c, v in enumerate(row, start=1):
            if isinstance(v, str) and v.strip().lower() == label.lower():
                return (row[c] if c < len(row) else None), r, c + 1
    return None


def read_layout(path: Path, rows: list[tuple[Any, ...]]) -> Layout:
    """The Parameters sheet as a Layout; each fault is a finding naming its cell."""
    if not rows or not is_workbook_header(rows[0]):
        raise _refuse(path, "missing-column", f"sheet {PARAMETERS!r} without the header "
                      f"{', '.join(PARAM_HEADER)} in row 1", 1)
    head = [str(v).strip().lower() if v is not None else "" for v in rows[0]]
    at = {h: head.index(h.lower()) for h in PARAM_HEADER}
    concepts: dict[str, Concept] = {}
    for r, row in enumerate(rows[1:], start=2):
        def cell(name: str, row: tuple[Any, ...] = row) -> str:
            i = at[name]
            return (_text(row[i]) or "") if i < len(row) else ""

        element = cell("Element")
        if not element:
            continue
        kind, pos_type, position = cell("Type").upper(), cell("PosType").upper(), cell("Position")
        where = _where(PARAMETERS, r, at["PosType"] + 1)
        if pos_type not in POS_TYPES:
            raise _refuse(path, "bad-parameters", f"{where}: PosType {pos_type or '(blank)'!r} of {element} is "
                          f"not one of {', '.join(POS_TYPES)}", r, "PosType", pos_type)
        if element in concepts:
            raise _refuse(path, "bad-parameters", f"{_where(PARAMETERS, r, at['Element'] + 1)}: {element} is "
                          f"given twice (rows {concepts[element].row} and {r})", r, "Element", element)
        concepts[element] = Concept(element, kind, pos_type, position, r)
    missing = [c for c in ("SERIES", "REF_AREA", "TIME_PERIOD") if c not in concepts
               and not (c == "SERIES" and "INDICATOR" in concepts)]
    if missing:
        # (Not "missing-column": a workbook with a Parameters sheet is meant as data, also in a folder.)
        raise _refuse(path, "bad-parameters", f"sheet {PARAMETERS!r} does not say where {', '.join(missing)} "
                      "is (an Element row with its PosType and Position)", 1, "Element", missing[0])
    start = _labelled(rows, "DataStart")
    ref = _text(start[0]) if start else None
    m = _CELL.match(ref.upper()) if ref else None
    if start is None or m is None:
        r, c = (start[1], start[2]) if start else (1, None)
        raise _refuse(path, "bad-parameters", f"{_where(PARAMETERS, r, c)}: DataStart "
                      f"{ref or '(blank)'!r} is not a cell reference such as V2 (the first value cell)", r,
                      "DataStart", ref)
    num = _labelled(rows, "NumColumns")
    count: int | None = None
    if num is not None and _text(num[0]) is not None:
        got = num[0]
        if isinstance(got, bool) or not (isinstance(got, int) or (isinstance(got, float) and got.is_integer())
                                         or (isinstance(got, str) and got.strip().isdigit())) or int(got) < 1:
            raise _refuse(path, "bad-parameters", f"{_where(PARAMETERS, num[1], num[2])}: NumColumns {got!r} is "
                          "not a positive whole number", num[1], "NumColumns", str(got))
        count = int(got)
    try:
        start_col = column_index(m.group(1))
    except ValueError as exc:
        raise _refuse(path, "bad-parameters", f"{_where(PARAMETERS, start[1], start[2])}: DataStart {ref!r}: "
                      f"{exc}", start[1], "DataStart", ref) from None
    return Layout(concepts, int(m.group(2)), start_col, count)


def _position(path: Path, c: Concept, sheet: str, rows: list[tuple[Any, ...]], width: int) -> int | tuple[int, int]:
    """Where a COLUMN, ROW or CELL concept is, checked against the data sheet."""
    pos = c.position.strip().upper()
    where = f"{_where(PARAMETERS, c.row)} ({c.element})"
    try:
        if c.pos_type == "COLUMN":
            col = column_index(pos)
            if col > width:
                raise ValueError(f"column {pos} is outside sheet {sheet!r} (its last column is "
                                 f"{column_letter(width) if width else 'none'})")
            return col
        if c.pos_type == "ROW":
            if not pos.isdigit() or int(pos) < 1:
                raise ValueError(f"{c.position!r} is not a row number")
            if int(pos) > len(rows):
                raise ValueError(f"row {pos} is outside sheet {sheet!r} (its last row is {len(rows)})")
            return int(pos)
        m = _CELL.match(pos)
        if m is None:
            raise ValueError(f"{c.position!r} is not a cell reference such as B1")
        return int(m.group(2)), column_index(m.group(1))
    except ValueError as exc:
        raise _refuse(path, "bad-parameters", f"{where}: {exc}", c.row, "Position", c.position) from None


def _value(v: Any) -> str | None:
    """A value cell as text; a text cell that is not a number raises ValueError (blank is no observation)."""
    if isinstance(v, bool):
        raise ValueError("a TRUE/FALSE cell")
    if isinstance(v, int | float):
        return repr(v) if isinstance(v, float) else str(v)
    if hasattr(v, "isoformat"):
        raise ValueError("a date cell")
    s = str(v).strip()
    try:
        float(s)
    except ValueError:
        raise ValueError("text, not a number") from None
    return s


def reshape(path: Path, sheet: str, rows: list[tuple[Any, ...]], layout: Layout) -> tuple[pl.DataFrame, list[Finding]]:
    """One data sheet as long rows: every concept's value, `value` and `_line`/`_col`, one per observation."""
    width = max((len(r) for r in rows), default=0)
    body = rows[layout.start_row - 1:]
    if not any(any(_text(v) is not None for v in r) for r in body):
        raise _refuse(path, "empty-file", f"sheet {sheet!r} holds no data row (the data start at "
                      f"{column_letter(layout.start_col)}{layout.start_row})", layout.start_row)
    last = layout.start_col + layout.num_columns - 1 if layout.num_columns else width
    value_cols = range(layout.start_col, max(last, layout.start_col - 1) + 1)
    fixed: dict[str, str | None] = {}
    by_col: dict[str, int] = {}
    by_row: dict[str, int] = {}
    for c in layout.concepts.values():
        if c.pos_type == "FIX":
            fixed[c.element] = c.position.strip() or None
            continue
        pos = _position(path, c, sheet, rows, width)
        if isinstance(pos, tuple):
            r, col = pos
            fixed[c.element] = _text(rows[r - 1][col - 1] if col <= len(rows[r - 1]) else None)
        elif c.pos_type == "COLUMN":
            by_col[c.element] = pos
        else:
            by_row[c.element] = pos
    findings: list[Finding] = []
    heads: dict[str, dict[int, str | None]] = {e: {} for e in by_row}
    for e, r in by_row.items():
        row = rows[r - 1]
        for col in value_cols:
            heads[e][col] = _text(row[col - 1]) if col <= len(row) else None
    periods = heads.get("TIME_PERIOD")
    out: dict[str, list[Any]] = {k: [] for k in [*layout.concepts, "value", "_line", "_col"]}
    for i, row in enumerate(body, start=layout.start_row):
        if not any(_text(v) is not None for v in row):
            continue
        keys = {e: _text(row[col - 1]) if col <= len(row) else None for e, col in by_col.items()}
        for col in value_cols:
            v = row[col - 1] if col <= len(row) else None
            if v is None or (isinstance(v, str) and not v.strip()):
                continue
            try:
                value = _value(v)
            except ValueError as exc:
                findings.append(Finding("bad-value", str(path), f"{_where(sheet, i, col)} holds {exc}", i,
                                        column_letter(col), str(v)))
                continue
            if periods is not None:
                p = periods[col]
                if p is None or read_period(p) is None:
                    r = by_row["TIME_PERIOD"]
                    raise _refuse(path, "bad-period", f"{_where(sheet, r, col)}: the period header "
                                  f"{p or '(blank)'!r} of a value column is not a period (YYYY or YYYY-Qn)", r,
                                  column_letter(col), p)
            for e in layout.concepts:
                out[e].append(fixed[e] if e in fixed else keys[e] if e in keys else heads[e][col])
            out["value"].append(value)
            out["_line"].append(i)
            out["_col"].append(col)
        if len(findings) >= MAX_FINDINGS:
            break
    schema = {k: (pl.Int64 if k in ("_line", "_col") else pl.String) for k in out}
    return pl.DataFrame(out, schema=schema), findings


def _duplicates(path: Path, sheet: str, frame: pl.DataFrame, dims: list[str]) -> list[Finding]:
    dup = frame.filter(pl.struct(dims).is_duplicated())
    if not dup.height:
        return []
    out = []
    for _, group in dup.group_by(dims, maintain_order=True):
        first, *rest = group.select("_line", "_col").rows()
        for r, c in rest[:MAX_FINDINGS]:
            out.append(Finding("duplicate-key", str(path), f"{_where(sheet, r, c)} has the same key "
                               f"({', '.join(dims)}) as cell {column_letter(first[1])}{first[0]}", r,
                               column_letter(c)))
        if len(out) >= MAX_FINDINGS:
            break
    return out


def read_sdmx_workbook(path: Path, structure: Path | None = None) -> Workbook:
    sheets = read_xlsx_sheets(path, skip=lambda t: t.lower().startswith("val"))
    if PARAMETERS not in sheets:
        raise _refuse(path, "missing-column", f"no sheet named {PARAMETERS!r} (the SDMX workbook's mapping)")
    layout = read_layout(path, sheets.pop(PARAMETERS))
    if not sheets:
        raise _refuse(path, "empty-file", f"no data sheet beside {PARAMETERS!r}")
    dims = [e for e, c in layout.concepts.items() if c.kind == "DIM"] or list(layout.concepts)
    frames, findings = [], []
    for sheet, rows in sheets.items():
        frame, bad = reshape(path, sheet, rows, layout)
        findings += bad + _duplicates(path, sheet, frame, dims)
        frames.append(frame)
    if findings:
        raise ReadError(*findings[:MAX_FINDINGS])
    data = pl.concat(frames) if len(frames) > 1 else frames[0]
    if "UNIT_MULT" in data.columns:
        data, more = apply_unit_mult(data, path, "value", "UNIT_MULT")  # value x 10^UNIT_MULT, as SDMX-ML
        findings += more
    code = "SERIES" if "SERIES" in layout.concepts else "INDICATOR"
    names = structure_code_names(path, structure, dims, code)
    # The disaggregation key in the SDMX-ML reader's form: its dimensions in the DSD's order (the
    # Parameters sheet's without one).
    order = {d: i for i, d in enumerate(names.dimensions or dims)}
    disagg_dims = sorted((d for d in dims if d not in NOT_DISAGG), key=lambda d: (order.get(d, len(order)), d))
    parts = [pl.when(pl.col(d).is_null() | pl.col(d).is_in(list(TOTALS))).then(None)
             .otherwise(pl.lit(f"{d}=") + pl.col(d)) for d in disagg_dims]

    def col(name: str) -> pl.Expr:
        return pl.col(name) if name in data.columns else pl.lit(None, pl.String)

    frame = data.select(
        pl.lit(str(path)).alias("_file"), pl.col("_line"),
        pl.col(code).alias("source_code"), col("REF_AREA").alias("area"), pl.col("TIME_PERIOD").alias("period"),
        pl.col("value"), col("UNIT_MEASURE").alias("unit"), col("OBS_STATUS").alias("obs_status"),
        (pl.concat_str(parts, separator="|", ignore_nulls=True).fill_null("") if parts else pl.lit(""))
        .alias("disagg"),
        pl.lit("A").alias("action"),
    ).select(CANONICAL)
    return Workbook(frame, findings, names.notes, names.areas, names.series)
