"""The action plan: the health check's implementation plan (seed 001, Annex 4), kept as versions.

Each action has the action, the enablers / resources it needs, an owner (an office or role), a priority
1-5 (1 low, 5 high), the agreed timeframe, a status, the principle(s) and the round it answers. Its id is
short and stable within the partnership (A-001, A-002, ...; never given out twice) and every change is a
new version: who changed what, and when, is read back from the versions (`action_history`).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from c2c_monitor.definitions.actions import ACTION_STATUSES, PRIORITIES, action_id
from c2c_monitor.definitions.periods import PeriodError, parse_period
from c2c_monitor.definitions.principles import Framework
from c2c_monitor.errors import FORMULA_START, C2CError, Finding, InputRejected
from c2c_monitor.ingest.control_chars import control_findings
from c2c_monitor.ingest.tables import read_table
from c2c_monitor.score.assess import action_rows, partnership_info
from c2c_monitor.score.scoreboard import ActionRow
from c2c_monitor.store import reads
from c2c_monitor.store.atomic import replacing
from c2c_monitor.store.cells import sheet_append, xml_text
from c2c_monitor.store.schema import insert_frame, new_vintage, transaction

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection

_SCHEMA = {"action_id": pl.String, "partnership_id": pl.String, "principle_id": pl.String, "round_id": pl.String,
           "text": pl.String, "owner": pl.String, "due": pl.Date, "status": pl.String, "alias": pl.String,
           "principles": pl.String, "enablers": pl.String, "priority": pl.Int32, "timeframe": pl.String,
           "vintage_id": pl.Int64}

# The plan as the Annex 4 template lays it out (action, enablers, owner, priority, timeframe), then what
# the monitoring adds (status, principles, round). (field of ActionRow or of the plan, column header)
PLAN_COLUMNS: list[tuple[str, str]] = [
    ("id", "Id"),
    ("text", "Action"),
    ("enablers", "Enablers / resources required"),
    ("owner", "Owner"),
    ("priority", "Priority (1-5, 1 = low, 5 = high)"),
    ("timeframe", "Agreed timeframe for delivery"),
    ("status", "Status"),
    ("principles", "Principle(s)"),
    ("round_id", "Round"),
    ("overdue", "Overdue"),
]
# What an imported plan's header may say for each field (lower-cased, spaces collapsed).
_HEADERS = {
    "id": ("id", "action id"),
    "text": ("action",),
    "enablers": ("enablers / resources required", "enablers/ resources required", "enablers/resources required",
                 "enablers", "resources required"),
    "owner": ("owner",),
    "priority": ("priority (1-5, 1 = low, 5 = high)", "priority",
                 "priority status (1-5 where 1=low priority and 5=high priority)"),
    "timeframe": ("agreed timeframe for delivery", "agreed timeframe", "timeframe"),
    "status": ("status",),
    "principles": ("principle(s)", "principles", "principle"),
    "round_id": ("round",),
}


@dataclass(frozen=True)
class Fields:
    """What a version of an action says (everything but its id and partnership)."""

    principles: tuple[str, ...]
    text: str
    owner: str | None = None
    enablers: str | None = None
    priority: int | None = None
    timeframe: str | None = None
    due: dt.date | None = None
    status: str = "open"
    round_id: str | None = None


def parse_timeframe(text: str) -> tuple[str, dt.date]:
    """An agreed timeframe: a date (YYYY-MM-DD) or a period of the one period grammar (2026, 2026-Q2, 2026-06),
    and the date by which it is due (the period's last day)."""
    s = text.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", s):
        try:
            return s, dt.date.fromisoformat(s)
        except ValueError:
            raise ValueError(f"{s!r} is not a date") from None
    month = re.fullmatch(r"(\d{4})-(\d{2})", s)
    try:
        period = parse_period(s)
    except PeriodError as exc:
        raise ValueError(f"{exc} or a date (YYYY-MM-DD)") from None
    if month:
        y, m = int(month.group(1)), int(month.group(2))
        return s, dt.date(y, m, calendar.monthrange(y, m)[1])
    last_month = 12 if period.is_annual else period.quarter * 3
    return str(period), dt.date(period.year, last_month, calendar.monthrange(period.year, last_month)[1])


def _check(fw: Framework, con: DuckDBPyConnection, pid: str, f: Fields) -> list[tuple[str, str, str]]:
    """Problems with one version: (field, value, message)."""
    out = []
    known = {p.id for p in fw.principles}
    if not f.principles:
        out.append(("principles", "", "an action answers at least one principle (P01 ... P10)"))
    for p in f.principles:
        if p not in known:
            out.append(("principles", p, "unknown principle (principles are P01 ... P10)"))
    if not f.text.strip():
        out.append(("text", f.text, "an action needs a text"))
    if f.status not in ACTION_STATUSES:
        out.append(("status", f.status, f"not one of: {', '.join(ACTION_STATUSES)}"))
    if f.priority is not None and f.priority not in PRIORITIES:
        out.append(("priority", str(f.priority), "a priority is 1 (low) to 5 (high)"))
    if f.round_id is not None and not reads.round_exists(con, pid, f.round_id):
        out.append(("round_id", f.round_id, f"partnership {pid!r} has no workshop round {f.round_id!r}"))
    return out


def _raise_first(problems: list[tuple[str, str, str]]) -> None:
    if problems:
        field, value, message = problems[0]
        raise C2CError(f"{field} {value!r}: {message}" if value else message)


def _row(pid: str, aid: str, f: Fields, alias: str | None) -> dict[str, Any]:
    return {"action_id": aid, "partnership_id": pid, "principle_id": f.principles[0], "round_id": f.round_id,
            "text": f.text.strip(), "owner": f.owner, "due": f.due, "status": f.status, "alias": alias,
            "principles": ",".join(f.principles), "enablers": f.enablers, "priority": f.priority,
            "timeframe": f.timeframe}


def _store(con: DuckDBPyConnection, rows: list[dict[str, Any]], source: str, content: bytes | None) -> int:
    with transaction(con):
        vid = new_vintage(con, "action", source, content, len(rows))
        insert_frame(con, "actions", pl.DataFrame([{**r, "vintage_id": vid} for r in rows], schema=_SCHEMA))
    return vid


def _next_number(con: DuckDBPyConnection, pid: str) -> int:
    """One more than the highest A-NNN the partnership ever used (dropped actions keep theirs)."""
    numbers = [int(m.group(1)) for a in reads.action_ids(con, pid) if (m := re.fullmatch(r"A-(\d+)", a))]
    return max(numbers, default=0) + 1


def add_action(con: DuckDBPyConnection, fw: Framework, pid: str, f: Fields) -> str:
    partnership_info(con, pid)
    _raise_first(_check(fw, con, pid, f))
    aid = action_id(_next_number(con, pid))
    _store(con, [_row(pid, aid, f, None)], f"c2c workshop action add {pid} {aid}", None)
    return aid


def resolve(con: DuckDBPyConnection, ref: str, pid: str | None) -> tuple[str, str]:
    """(partnership, short id) of an action named by its short id (with the partnership) or its old id."""
    if pid is not None:
        partnership_info(con, pid)
    found = reads.find_action(con, ref.strip(), pid)
    if not found:
        raise C2CError(f"unknown action {ref!r}" + (f" in {pid!r}" if pid else ""),
                       hint="see `c2c workshop actions PARTNERSHIP`")
    if len(found) > 1:
        raise C2CError(f"action {ref!r} exists in several partnerships ({', '.join(p for p, _ in found)})",
                       hint="give the partnership: --partnership P")
    return found[0]


def _current(con: DuckDBPyConnection, pid: str, aid: str) -> ActionRow:
    return next(a for a in action_rows(con, pid, None) if a.id == aid)


def fields_of(a: ActionRow) -> Fields:
    return Fields(principles=tuple(a.principles or [a.principle_id]), text=a.text, owner=a.owner,
                  enablers=a.enablers, priority=a.priority, timeframe=a.timeframe,
                  due=dt.date.fromisoformat(a.due) if a.due else None, status=a.status, round_id=a.round_id)


def update_action(con: DuckDBPyConnection, fw: Framework, ref: str, pid: str | None,
                  changes: dict[str, Any]) -> ActionRow:
    """A new version of one action with `changes` (Fields names) applied; the earlier versions stay."""
    pid, aid = resolve(con, ref, pid)
    current = _current(con, pid, aid)
    new = Fields(**{**fields_of(current).__dict__, **changes})
    _raise_first(_check(fw, con, pid, new))
    _store(con, [_row(pid, aid, new, current.alias)], f"c2c workshop action set {pid} {aid}", None)
    return _current(con, pid, aid)


def history(con: DuckDBPyConnection, ref: str, pid: str | None) -> tuple[str, str, list[dict[str, Any]]]:
    """Every version of an action, oldest first: vintage, when, who and what changed from the version before."""
    pid, aid = resolve(con, ref, pid)
    out: list[dict[str, Any]] = []
    before: dict[str, Any] | None = None
    for r in reads.action_history(con, pid, aid):
        now = dict(zip(reads.ACTION_COLUMNS, r[3:], strict=True))
        now["due"] = now["due"].isoformat() if now["due"] else None
        shown = {k: v for k, v in now.items() if k not in ("action_id", "principle_id", "alias")}
        if before is None:
            changed = "created"
        else:
            diffs = [f"{k}: {before[k]!r} -> {v!r}" for k, v in shown.items() if before.get(k) != v]
            changed = "; ".join(diffs) or "no change"
        out.append({"vintage_id": r[0], "when": r[1], "who": r[2], "changed": changed})
        before = shown
    return pid, aid, out


# --- the plan as a table (export) and back (import) --------------------------------------------------------
def plan_rows(rows: list[ActionRow]) -> list[list[object]]:
    """The actions as the Annex 4 table: one list per action, in PLAN_COLUMNS order."""
    out = []
    for a in rows:
        d = a.model_dump()
        d["principles"] = ", ".join(a.principles or [a.principle_id])
        d["timeframe"] = a.timeframe or a.due
        out.append([d[k] for k, _ in PLAN_COLUMNS])
    return out


def plan_header() -> list[str]:
    return [h for _, h in PLAN_COLUMNS]


def write_plan_xlsx(rows: list[ActionRow], title: str, out: Path) -> Path:
    """The plan as an XLSX sheet laid out as the Annex 4 template, every cell through store/cells."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    # The header is the first row, so that the sheet reads back (`import_plan`) like any other table; the
    # partnership's name goes in the document's title.
    ws.title = "Implementation plan"
    wb.properties.title = xml_text(f"Implementation plan: {title}")
    sheet_append(ws, plan_header())
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in plan_rows(rows):
        sheet_append(ws, ["yes" if v is True else "no" if v is False else v for v in row])
    for col, width in zip("ABCDEFGHIJ", (8, 50, 32, 20, 12, 16, 12, 14, 12, 9), strict=True):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A2"
    with replacing(out) as tmp:
        wb.save(tmp)
    return out


def _as_typed(text: str) -> str:
    """A cell as the person typed it: the apostrophe every writer puts before = + - @ (store/cells) taken off
    again, so that a plan exported and loaded back is unchanged (the text is stored, never evaluated)."""
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_START) else text


def _norm(h: str) -> str:
    return " ".join(str(h).strip().lower().split())


def import_plan(con: DuckDBPyConnection, fw: Framework, pid: str, path: Path,
                dry_run: bool = False) -> dict[str, int]:
    """Load a filled Annex 4 plan (CSV or XLSX, as `c2c workshop actions --format csv|xlsx` writes it).

    A row with an id updates that action (a new version only when something changed); a row without one
    adds an action. Every row is checked first and nothing is written unless all are right (one vintage).
    """
    partnership_info(con, pid)
    file = str(path)
    table = read_table(path)
    df = table.frame
    by_norm = {_norm(c): c for c in df.columns if c != "_line"}
    cols: dict[str, str] = {}
    for key, names in _HEADERS.items():
        hit = next((by_norm[n] for n in names if n in by_norm), None)
        if hit is not None:
            cols[key] = hit
    findings: list[Finding] = []
    for need in ("text", "principles"):
        if need not in cols:
            findings.append(Finding("missing-column", file, f"an action plan needs the column "
                                    f"{dict(PLAN_COLUMNS)[need]!r}", 1, dict(PLAN_COLUMNS)[need]))
    if findings:
        raise InputRejected(findings)
    if df.height == 0:
        raise InputRejected([Finding("empty-file", file, "no actions under the header")])
    findings += control_findings(df, file, ids=[c for k, c in cols.items() if k in ("id", "round_id")],
                                 texts=[c for k, c in cols.items() if k in ("text", "enablers", "owner")])
    current = {a.id: a for a in action_rows(con, pid, None)}
    aliases = {a.alias: a.id for a in current.values() if a.alias}
    seen: dict[str, int] = {}
    new_rows: list[dict[str, Any]] = []
    changed = 0
    number = _next_number(con, pid)
    for r in df.iter_rows(named=True):
        line = r["_line"]

        def val(key: str, row: dict[str, Any] = r) -> str | None:
            v = row.get(cols[key]) if key in cols else None
            return _as_typed(str(v).strip()) if v is not None and str(v).strip() != "" else None

        def bad(key: str, value: str | None, message: str, code: str = "bad-value", at: int = line) -> None:
            findings.append(Finding(code, file, message, at, cols.get(key, dict(PLAN_COLUMNS)[key]), value))

        if all(val(k) is None for k in cols):
            continue  # a blank line of the template
        ref = val("id")
        aid = aliases.get(ref, ref) if ref else None
        if aid is not None and aid not in current:
            bad("id", ref, "not an action of this partnership (leave the id empty to add one)", "unknown-action")
            continue
        if aid is not None and aid in seen:
            bad("id", ref, f"the same action is on line {seen[aid]} too", "duplicate-key")
            continue
        base = fields_of(current[aid]) if aid else None
        priority: int | None = base.priority if base else None
        if val("priority") is not None:
            text = val("priority") or ""
            if re.fullmatch(r"\d+(\.0)?", text) and int(float(text)) in PRIORITIES:
                priority = int(float(text))
            else:
                bad("priority", text, "a priority is 1 (low) to 5 (high)", "out-of-range")
                continue
        due, timeframe = (base.due, base.timeframe) if base else (None, None)
        if val("timeframe") is not None:
            try:
                timeframe, due = parse_timeframe(val("timeframe") or "")
            except ValueError as exc:
                bad("timeframe", val("timeframe"), f"not a timeframe: {exc}", "bad-period")
                continue
        status = (val("status") or (base.status if base else "open")).lower()
        principles = tuple(p.strip().upper() for p in re.split(r"[,;\s]+", val("principles") or "") if p.strip())
        f = Fields(principles=principles, text=val("text") or "", owner=val("owner"), enablers=val("enablers"),
                   priority=priority, timeframe=timeframe, due=due, status=status,
                   round_id=val("round_id") if "round_id" in cols else (base.round_id if base else None))
        problems = _check(fw, con, pid, f)
        for key, value, message in problems:
            bad(key, value, message, "unknown-code" if key in ("principles", "status", "round_id") else "bad-value")
        if problems:
            continue
        if aid is None:
            aid = action_id(number)
            number += 1
            new_rows.append(_row(pid, aid, f, None))
        elif f != base:
            new_rows.append(_row(pid, aid, f, current[aid].alias))
            changed += 1
        seen[aid] = line
    if findings:
        raise InputRejected(findings)
    result = {"added": len(new_rows) - changed, "changed": changed, "unchanged": len(seen) - len(new_rows)}
    if new_rows and not dry_run:
        result["vintage_id"] = _store(con, new_rows, f"c2c workshop action import {path.name}", path.read_bytes())
    return result
