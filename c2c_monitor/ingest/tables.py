"""One table file (CSV, TSV or XLSX) read for an import: the reader the suffix calls for, faults refused whole."""

from __future__ import annotations

from pathlib import Path

from c2c_monitor.errors import InputRejected
from c2c_monitor.ingest.textfile import ReadError, Table, read_delimited
from c2c_monitor.ingest.xlsx import read_xlsx_table


def read_table(path: Path) -> Table:
    """The file's cells as strings; an unreadable file is an InputRejected naming file, line and column."""
    try:
        return read_xlsx_table(path) if path.suffix.lower() == ".xlsx" else read_delimited(path)
    except ReadError as exc:
        raise InputRejected(exc.findings) from None
