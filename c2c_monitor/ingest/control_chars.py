"""Control characters refused in the identifiers, names and free text an import accepts.

A name is printed on terminals, in spreadsheets and in the published site: an escape sequence in it
can rewrite a terminal line, a NUL or a vertical tab makes the XLSX we write unreadable, and a bidi
override in an id makes two different ids look the same (`p01` and `p‮10`). So, at import:
- identifiers (ids, participant codes, groups): no C0 or C1 control at all, no bidi control or mark;
- names (single-line): no C0 or C1 control (a tab or a line break has no place in a city name);
- free text (descriptions, comments): tab and line breaks allowed, other controls refused.
Right-to-left marks stay allowed in names and text: Arabic and Hebrew names need them.
Checked column by column with polars, never row by row.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import polars as pl

from c2c_monitor.errors import Finding

_C0_C1 = r"\x{00}-\x{1f}\x{7f}-\x{9f}"
_BIDI = r"\x{200e}\x{200f}\x{202a}-\x{202e}\x{2066}-\x{2069}\x{061c}\x{feff}"
IDENTIFIER = f"[{_C0_C1}{_BIDI}]"
NAME = f"[{_C0_C1}]"
TEXT = r"[\x{00}-\x{08}\x{0b}\x{0c}\x{0e}-\x{1f}\x{7f}-\x{9f}]"

_WHAT = {
    IDENTIFIER: "an identifier may not hold control or bidirectional-override characters",
    NAME: "a name may not hold control characters (tabs, line breaks, escapes)",
    TEXT: "text may not hold control characters other than tabs and line breaks",
}


def control_findings(df: pl.DataFrame, path: Path | str, ids: Iterable[str] = (), names: Iterable[str] = (),
                     texts: Iterable[str] = (), limit: int = 200) -> list[Finding]:
    """One finding per offending cell (file, row from `_line`, column), at most `limit` per column."""
    findings: list[Finding] = []
    for columns, pattern in ((ids, IDENTIFIER), (names, NAME), (texts, TEXT)):
        for c in columns:
            if c not in df.columns:
                continue
            hit = df.filter(pl.col(c).cast(pl.String).str.contains(pattern).fill_null(False))
            for line, value in hit.head(limit).select("_line", c).iter_rows():
                findings.append(Finding("control-character", str(path), _WHAT[pattern], line, c, value))
    return findings
