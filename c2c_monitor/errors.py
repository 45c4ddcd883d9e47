"""Named exceptions, findings and the report of a run; only the CLI turns them into messages and exit codes.

Findings are data (after frictionless's error reports): a short code, where (file, row, column), the value
and a note for people. One `Report` collects the findings of one run, knows whether the run is valid, gives
the exit code and is written in one shape by every `--report`. Standard library only: `c2c --help` imports
this module and must stay fast.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning", "notice"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "notice")
# The order of a finding's fields in a report (JSON keys and CSV header): where first, then what.
FIELDS = ("file", "row", "column", "code", "message", "severity", "value")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """Prefix text starting like a formula with an apostrophe; numbers pass unchanged.

    Here rather than in render/ because the report of any stage is written as CSV and this module is
    the one every stage may import.
    """
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def write_rows(out: io.StringIO, rows: Iterable[Iterable[object]]) -> None:
    """CSV rows (LF line ends), every cell through `safe_cell`.

    Python's writer quotes a cell holding the line end it writes (LF) but not a lone carriage return, which
    a reader then takes for the end of the row: a row with one is written with every cell quoted.
    """
    plain = csv.writer(out, lineterminator="\n")
    quoted = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
    for row in rows:
        cells = [safe_cell(v) for v in row]
        (quoted if any(isinstance(c, str) and "\r" in c for c in cells) else plain).writerow(cells)


class SafeWriter:
    """`csv.writer`'s `writerow`, through `write_rows`: for writers that build their rows one by one."""

    def __init__(self, out: io.StringIO) -> None:
        self.out = out

    def writerow(self, row: Iterable[object]) -> None:
        write_rows(self.out, [row])


@dataclass(frozen=True)
class Finding:
    """One problem found in an input, located as precisely as the input allows.

    The positional order (code, file, message, row, column, value) is the order validators build
    findings in; a report writes the fields in `FIELDS` order.
    """

    code: str  # a short slug ("bad-period"): what tests and scripts compare, never the English
    file: str
    message: str
    row: int | None = None  # 1-based line of a text file or row of a sheet (the header is row 1)
    column: str | None = None
    value: str | None = None
    severity: Severity = "error"

    def location(self) -> str:
        loc = self.file
        if self.row is not None:
            loc += f" line {self.row}"
        if self.column:
            loc += f", column {self.column!r}"
        return loc

    def __str__(self) -> str:
        shown = f" (value {self.value!r})" if self.value not in (None, "") else ""
        level = "" if self.severity == "error" else f"{self.severity}: "
        return f"{level}{self.location()}: {self.message}{shown}"

    def as_dict(self) -> dict[str, object]:
        return {f: getattr(self, f) for f in FIELDS}


@dataclass(frozen=True)
class Report:
    """The findings of one run: valid when none is an error; one JSON and one CSV shape for every command."""

    findings: tuple[Finding, ...] = ()

    def __post_init__(self) -> None:
        # Errors first, each severity in the order found: the first line a person (or a test) reads is the
        # reason the run failed, not a note about a skipped file.
        rank = {s: i for i, s in enumerate(SEVERITIES)}
        object.__setattr__(self, "findings", tuple(sorted(self.findings, key=lambda f: rank[f.severity])))

    @classmethod
    def of(cls, findings: Report | Iterable[Finding]) -> Report:
        return findings if isinstance(findings, Report) else cls(tuple(findings))

    def __add__(self, other: Report | Iterable[Finding]) -> Report:
        return Report(self.findings + Report.of(other).findings)

    def __len__(self) -> int:
        return len(self.findings)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def valid(self) -> bool:
        return not self.errors

    @property
    def counts(self) -> dict[str, int]:
        return {s: sum(f.severity == s for f in self.findings) for s in SEVERITIES}

    def exit_code(self, on_error: int = 1) -> int:
        """0 for a valid run; `on_error` otherwise (1 for `catalog validate`, 2 for a rejected input)."""
        return 0 if self.valid else on_error

    def as_dict(self) -> dict[str, object]:
        return {"valid": self.valid, "counts": self.counts, "findings": [f.as_dict() for f in self.findings]}

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=2, ensure_ascii=False) + "\n"

    def to_csv(self) -> str:
        # Values come from the user's files: a cell a spreadsheet would run as a formula is neutralised.
        buf = io.StringIO()
        write_rows(buf, [FIELDS, *([getattr(f, c) for c in FIELDS] for f in self.findings)])
        return buf.getvalue()

    def render(self, path: str) -> str:
        """The report as the file named `path` wants it: JSON for `.json`, CSV otherwise."""
        return self.to_json() if path.lower().endswith(".json") else self.to_csv()


class C2CError(Exception):
    """An error the user can fix; the CLI prints it on one line and exits 2."""

    exit_code = 2

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class WorkspaceError(C2CError):
    pass


class WorkspaceBusy(WorkspaceError):
    pass


class UnknownPartnership(C2CError):
    pass


def _first_and_more(report: Report, fallback: str, more: str) -> str:
    """The first error (else finding) on one line, and how many further errors there are."""
    shown = report.errors or list(report.findings)
    first = str(shown[0]) if shown else fallback
    return first + (f" (and {len(shown) - 1} more{more})" if len(shown) > 1 else "")


class DefinitionError(C2CError):
    """Definition files failed validation; carries the report of every finding, not just the first."""

    def __init__(self, findings: Report | Iterable[Finding]) -> None:
        self.report = Report.of(findings)
        super().__init__(_first_and_more(self.report, "invalid definitions", ""),
                         hint="run `c2c catalog validate` for the full list")

    @property
    def findings(self) -> list[Finding]:
        return list(self.report.findings)


class NothingLoaded(C2CError):
    """An accepted batch that put no value in the workspace (every row skipped, or no rows): exit 1, so that a
    script sees the load failed; the summary above the message says why."""

    exit_code = 1


class InputRejected(C2CError):
    """An input batch was rejected; nothing was written. Exit 2 (a usage or input error), not 1."""

    def __init__(self, findings: Report | Iterable[Finding], what: str = "batch") -> None:
        self.report = Report.of(findings)
        super().__init__(f"{what} rejected, nothing written: "
                         + _first_and_more(self.report, "rejected", " problems"))

    @property
    def findings(self) -> list[Finding]:
        return list(self.report.findings)
