"""Reading one XLSX sheet as a table of strings, refusing what would be misread or exhaust the machine.

- A cell holding a formula is read as the value the spreadsheet last computed (its cached value). A formula
  without one (files written by scripts, openpyxl included, have none) is refused with its sheet, cell and
  formula text: read as blank, it would turn a value into "missing" or move a row onto the total series.
- The archive is checked before openpyxl parses it: the sum of the members' uncompressed sizes and the
  cells the sheet declares are capped (zip bombs), and a damaged member is one finding, not a traceback.
  Capping the declared sizes is enough: Python's zipfile never inflates a member past its declared size
  (it stops there, and a CRC check catches a member that lied).
- A header naming a column twice is refused with both cells, as in CSV.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import polars as pl

from c2c_monitor.errors import Finding
from c2c_monitor.ingest.textfile import ReadError, Table

MAX_UNCOMPRESSED = 1 << 30  # bytes, all members together: a 200,000-row sheet is about 100 MB
MAX_MEMBERS = 10_000
MAX_CELLS = 20_000_000  # declared (dimension) and read; 16384 x 1048576 would be 17 billion
MAX_FORMULA_FINDINGS = 50
# A formula element in sheet XML: <f>, <f t="shared" .../>, or a prefixed <x:f>.
_FORMULA_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")
# Everything a damaged or hostile archive has been seen to raise from zipfile, zlib and openpyxl's parser
# (ElementTree's and lxml's ParseError are SyntaxErrors).
_BROKEN = (zipfile.BadZipFile, zlib.error, EOFError, OSError, KeyError, ValueError, TypeError, IndexError,
           AttributeError, SyntaxError, NotImplementedError, zipfile.LargeZipFile)


def _malformed(path: Path, exc: BaseException) -> ReadError:
    detail = str(exc).splitlines()[0][:120] if str(exc) else ""
    return ReadError(Finding("malformed-xlsx", str(path), f"not a readable XLSX workbook ({type(exc).__name__}"
                             + (f": {detail})" if detail else ")")))


def _check_archive(path: Path) -> bool:
    """Refuse a zip bomb or a damaged sheet before parsing; True when some sheet holds a formula."""
    with zipfile.ZipFile(path) as z:
        infos = z.infolist()
        if len(infos) > MAX_MEMBERS:
            raise ReadError(Finding("too-large", str(path), f"an XLSX archive of {len(infos)} members "
                                    f"(at most {MAX_MEMBERS})"))
        total = sum(i.file_size for i in infos)
        if total > MAX_UNCOMPRESSED:
            raise ReadError(Finding("too-large", str(path), f"the XLSX archive unpacks to {total:,} bytes, over "
                                    f"the {MAX_UNCOMPRESSED:,}-byte limit (a zip bomb, or save it as CSV)"))
        formulas = False
        for info in infos:
            if not (info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")):
                continue
            # Inflating every sheet once also checks its CRC: a damaged member is found here, not mid-read.
            tail = b""
            with z.open(info) as fh:
                while chunk := fh.read(1 << 20):
                    formulas = formulas or _FORMULA_TAG.search(tail + chunk) is not None
                    tail = chunk[-64:]
        return formulas


def _formula_cells(path: Path, title: str) -> dict[tuple[int, int], str]:
    """(row, column) -> formula text of every formula cell of one sheet (1-based)."""
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=False)
    try:
        ws = wb[title]
        ws.reset_dimensions()
        out: dict[tuple[int, int], str] = {}
        for r, row in enumerate(ws.iter_rows(), start=1):
            for c, cell in enumerate(row, start=1):
                if getattr(cell, "data_type", None) == "f":
                    value = cell.value
                    out[(r, c)] = str(getattr(value, "text", value))  # array formulas carry their text
        return out
    finally:
        wb.close()


def _cell_ref(row: int, col: int) -> str:
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(col)}{row}"


@contextmanager
def _workbook(path: Path) -> Iterator[tuple[Any, bool]]:
    """The workbook (read-only, formulas as their cached values) after the archive's checks, and whether it
    holds formulas; openpyxl's many errors on a damaged file, opening or reading, become one finding."""
    from openpyxl import load_workbook

    try:
        if path.stat().st_size == 0:  # zipfile would call it "not a zip file", which hides the plain cause
            raise ReadError(Finding("empty-file", str(path), "the file is empty"))
        has_formulas = _check_archive(path)
        wb = load_workbook(path, read_only=True, data_only=True)
    except ReadError:
        raise
    except _BROKEN as exc:
        raise _malformed(path, exc) from None
    try:
        yield wb, has_formulas
    except ReadError:
        raise
    except _BROKEN as exc:
        raise _malformed(path, exc) from None
    finally:
        wb.close()


def _check_declared(path: Path, ws: Any) -> None:
    """Refuse a sheet whose <dimension> declares more cells than the limit, before a cell is read."""
    declared = (ws.max_row or 0) * (ws.max_column or 0)
    if declared > MAX_CELLS:
        raise ReadError(Finding("too-large", str(path), f"sheet {ws.title!r} declares {ws.max_row:,} rows x "
                                f"{ws.max_column:,} columns, over the {MAX_CELLS:,}-cell limit"))


def read_xlsx_table(path: Path, sheet: str | None = None, keep_repeated: bool = False) -> Table:
    """One sheet (the first unless named) as strings; `keep_repeated` names a repeated header's later copies
    "name#2", "name#3" instead of refusing the file (form exports repeat a label on purpose)."""
    with _workbook(path) as (wb, has_formulas):
        return _read_sheet(path, wb, sheet, has_formulas, keep_repeated)


def _read_sheet(path: Path, wb: Any, sheet: str | None, has_formulas: bool, keep_repeated: bool = False) -> Table:
    file = str(path)
    ws = wb[sheet] if sheet and sheet in wb.sheetnames else wb.worksheets[0]
    _check_declared(path, ws)
    # A stale <dimension> would cut rows off (openpyxl stops at its last row) or pad every row to it:
    # read the cells that are there.
    ws.reset_dimensions()
    formulas = _formula_cells(path, ws.title) if has_formulas else {}
    rows = ws.iter_rows(values_only=True)
    header = next(rows, None)
    if header is None or all(h is None or str(h).strip() == "" for h in header):
        raise ReadError(Finding("empty-file", file, f"the first row of sheet {ws.title!r} is empty"))
    names = [str(h).strip() if h is not None else f"column_{i + 1}" for i, h in enumerate(header)]
    seen: dict[str, int] = {}
    for i, n in enumerate(names, start=1):
        if n in seen and keep_repeated:
            k = 2
            while f"{n}#{k}" in seen:
                k += 1
            names[i - 1] = n = f"{n}#{k}"
        elif n in seen:
            raise ReadError(Finding("duplicate-column", file, f"a column name appears twice (sheet {ws.title!r}, "
                                    f"cells {_cell_ref(1, seen[n])} and {_cell_ref(1, i)})", 1, n))
        seen[n] = i
    refused: list[Finding] = []
    for (r, c), text in formulas.items():
        if r == 1 and c <= len(header) and header[c - 1] is None:
            refused.append(_formula_finding(file, ws.title, r, c, text, None))
    data: list[list[str | None]] = [[] for _ in names]
    lines: list[int] = []
    cells = 0
    for i, row in enumerate(rows, start=2):
        if not row:
            continue
        if formulas:
            for j, v in enumerate(row, start=1):
                if v is None and (i, j) in formulas:
                    refused.append(_formula_finding(file, ws.title, i, j, formulas[(i, j)],
                                                    names[j - 1] if j <= len(names) else None))
        if all(v is None or str(v).strip() == "" for v in row):
            continue
        cells += len(row)
        if cells > MAX_CELLS:
            raise ReadError(Finding("too-large", file, f"sheet {ws.title!r} holds more than {MAX_CELLS:,} cells",
                                    i))
        last = max(j for j, v in enumerate(row) if v is not None)
        while len(names) <= last:
            # A value right of the header: give it a column (the caller reports it as unknown), never drop it.
            names.append(f"column_{len(names) + 1}")
            data.append([None] * len(lines))
        lines.append(i)
        for j, col in enumerate(data):
            v = row[j] if j < len(row) else None
            col.append(None if v is None else (repr(v) if isinstance(v, float) else str(v)))
    _refuse_formulas(file, refused)
    df = pl.DataFrame({n: pl.Series(n, vals, dtype=pl.String) for n, vals in zip(names, data, strict=True)})
    return Table(path, df.with_columns(pl.Series("_line", lines, dtype=pl.Int64)), [])


MAX_WORKBOOK_XML = 1 << 20  # xl/workbook.xml: the sheet list, a few kB


def has_sheet_header(path: Path, title: str, judge: Callable[[tuple[Any, ...]], bool]) -> bool:
    """Whether the workbook has a sheet `title` whose first row `judge` accepts, for format detection. The
    sheet list is looked up in the archive first, so a workbook without that sheet costs no parse; any fault
    is False (the reader then words it)."""
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(path) as z:
            info = z.getinfo("xl/workbook.xml")
            if info.file_size > MAX_WORKBOOK_XML:
                return False
            listed = z.read(info)
        sheet = rb'<(?:[A-Za-z_][\w.-]*:)?sheet\b[^>]*\bname="' + re.escape(title.encode()) + b'"'
        if re.search(sheet, listed) is None:
            return False
        _check_archive(path)
        wb = load_workbook(path, read_only=True, data_only=True)
        try:
            first = next(wb[title].iter_rows(min_row=1, max_row=1, values_only=True), ())
        finally:
            wb.close()
        return judge(tuple(first))
    except (ReadError, *_BROKEN):
        return False


def read_xlsx_sheets(path: Path, skip: Callable[[str], bool] = lambda title: False) -> dict[str, list[tuple[Any, ...]]]:
    """Every sheet but those `skip` names, as raw cell values (numbers stay numbers, text stays text): row r
    is item r-1, an empty row an empty tuple. For layouts whose meaning is in positions, not in a header row
    (the SDMX data-entry workbook), with the same checks as `read_xlsx_table`."""
    with _workbook(path) as (wb, has_formulas):
        return {ws.title: _raw_rows(path, ws, has_formulas) for ws in wb.worksheets if not skip(ws.title)}


def _raw_rows(path: Path, ws: Any, has_formulas: bool) -> list[tuple[Any, ...]]:
    file = str(path)
    _check_declared(path, ws)
    ws.reset_dimensions()
    formulas = _formula_cells(path, ws.title) if has_formulas else {}
    out: list[tuple[Any, ...]] = []
    cells = 0
    refused: list[Finding] = []
    for i, row in enumerate(ws.iter_rows(values_only=True), start=1):
        cells += len(row)
        if cells > MAX_CELLS:
            raise ReadError(Finding("too-large", file, f"sheet {ws.title!r} holds more than {MAX_CELLS:,} cells", i))
        for j, v in enumerate(row, start=1):
            if v is None and (i, j) in formulas:
                refused.append(_formula_finding(file, ws.title, i, j, formulas[(i, j)], None))
        # Trailing blanks dropped: a row is as long as its last value.
        last = max((j for j, v in enumerate(row) if v is not None and str(v).strip() != ""), default=-1)
        out.append(tuple(row[:last + 1]))
    while out and not out[-1]:
        out.pop()
    _refuse_formulas(file, refused)
    return out


def _refuse_formulas(file: str, refused: list[Finding]) -> None:
    """Refuse the sheet if formula cells had no cached value: the first findings, and how many more."""
    if refused:
        shown = refused[:MAX_FORMULA_FINDINGS]
        if len(refused) > len(shown):
            shown.append(Finding("formula-without-value", file, f"{len(refused) - len(shown)} more formula cell(s) "
                                 "without a cached value"))
        raise ReadError(*shown)


def _formula_finding(file: str, title: str, row: int, col: int, text: str, column: str | None) -> Finding:
    return Finding("formula-without-value", file,
                   f"sheet {title!r} cell {_cell_ref(row, col)} holds the formula {text} with no cached value; "
                   "open and save the file in a spreadsheet program, or paste the values", row, column, text)
