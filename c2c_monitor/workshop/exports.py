"""Field-collection exports (KoboToolbox, ODK Central) read as they come, with their submission metadata.

KoboToolbox writes one row per submission and adds `_id`, `_uuid`, `_submission_time`, `_validation_status`,
`_index`, `__version__` (and `_version_` for the form's own version); repeat groups go to further sheets of
an XLSX. ODK Central adds `SubmissionDate`, `meta-instanceID`, `KEY`, `ReviewState`, `FormVersion`. Columns
are read by the form's field names or labels (`xlsform.header_map`); the metadata says when the workshop
was held, which submissions a reviewer rejected, and which were made with another version of the form.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from c2c_monitor.definitions.principles import Framework
from c2c_monitor.errors import Finding, InputRejected
from c2c_monitor.ingest.readers import read_xlsx_table
from c2c_monitor.ingest.textfile import ReadError, Table, read_delimited, without_comments
from c2c_monitor.workshop.xlsform import is_form_export

# When each submission arrived: Kobo, ODK Central, then the `start`/`end`/`today` metadata a form may carry.
SUBMITTED = ("_submission_time", "SubmissionDate", "today", "start", "end")
# The form version a submission was made with, where the tool writes the XLSForm's own `version` setting.
# (Kobo's `__version__` is its internal deployment id, not comparable with the form's version.)
FORM_VERSION = ("FormVersion", "_version_", "version")
# A reviewer's "no": Kobo validation statuses and ODK Central review states that leave a submission out.
REJECTED = {"validation_status_not_approved", "not approved", "not_approved", "rejected"}
REVIEW = ("_validation_status", "ReviewState")
_DATE = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})")


@dataclass
class ExportInfo:
    """What an export's metadata columns say, beyond the answers."""

    dates: list[dt.date] = field(default_factory=list)  # one per submission that gave its time
    skipped: int = 0  # submissions a reviewer rejected, left out
    findings: list[Finding] = field(default_factory=list)


def _xlsx_sheets(path: Path) -> list[str]:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True)
    try:
        return list(wb.sheetnames)
    finally:
        wb.close()


def read_ratings_table(path: Path, fw: Framework) -> Table:
    """A ratings sheet or a form export, as strings with `_line`.

    A header naming a column twice is refused unless the file is a form export, where labels as headers repeat
    on purpose (the comment box of each principle); an XLSX export whose first sheet holds no ratings (repeat
    groups have sheets of their own) is read from the first sheet that does.
    """
    xlsx = path.suffix.lower() == ".xlsx"

    def read(sheet: str | None = None, keep: bool = False) -> Table:
        return read_xlsx_table(path, sheet, keep) if xlsx else read_delimited(path, keep_repeated=keep)

    try:
        try:
            table = read()
        except ReadError as exc:
            if not all(f.code == "duplicate-column" for f in exc.findings):
                raise
            table = read(keep=True)
            if not is_form_export(table.frame.columns, fw):
                raise exc from None
        if xlsx and not _is_ratings(table, fw):
            for name in _xlsx_sheets(path)[1:]:
                other = read(name, keep=True)
                if _is_ratings(other, fw):
                    return other
    except ReadError as exc:
        raise InputRejected(exc.findings) from None
    return without_comments(table)


def _is_ratings(table: Table, fw: Framework) -> bool:
    cols = table.frame.columns
    return "question_id" in cols or is_form_export(cols, fw)


def _first(df: pl.DataFrame, names: tuple[str, ...]) -> str | None:
    lower = {c.lower(): c for c in df.columns}
    return next((lower[n.lower()] for n in names if n.lower() in lower), None)


def export_info(df: pl.DataFrame, fw: Framework, file: str) -> tuple[pl.DataFrame, ExportInfo]:
    """The export without the submissions a reviewer rejected, and what its metadata says (dates, versions)."""
    info = ExportInfo()
    review = _first(df, REVIEW)
    if review is not None:
        rejected = pl.col(review).str.strip_chars().str.to_lowercase().is_in(list(REJECTED)).fill_null(False)
        info.skipped = df.filter(rejected).height
        df = df.filter(~rejected)
    version = _first(df, FORM_VERSION)
    if version is not None:
        for r in df.filter(pl.col(version).is_not_null() & (pl.col(version).str.strip_chars() != "")
                           & (pl.col(version).str.strip_chars() != fw.version)).head(200).iter_rows(named=True):
            info.findings.append(Finding(
                "form-version", file, f"submitted with form version {r[version].strip()!r}; this round's form is "
                f"version {fw.version!r} (its questions may differ): export it from the current form, or leave "
                "the submission out", r["_line"], version))
    when = _first(df, SUBMITTED)
    if when is not None:
        for line, text in df.select("_line", when).iter_rows():
            m = _DATE.match(text or "")
            try:
                if m is not None:
                    info.dates.append(dt.date.fromisoformat(m.group(1)))
                    continue
            except ValueError:  # an impossible date (2025-02-30)
                pass
            if (text or "").strip():
                info.findings.append(Finding("bad-date", file, "not a date and time (YYYY-MM-DDThh:mm:ss)",
                                             line, when, text))
    return df, info


def workshop_day(dates: list[dt.date]) -> dt.date | None:
    """The day most submissions arrived (a late one, or a test the day before, does not move the workshop)."""
    if not dates:
        return None
    counts = Counter(dates)
    return min(d for d, n in counts.items() if n == max(counts.values()))
