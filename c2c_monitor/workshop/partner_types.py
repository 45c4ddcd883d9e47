"""Mapping a partnership's stakeholder groups to UN-Habitat's partner types (seed 003), confirmed by a person.

The facilitator asks for a suggestion (`suggestion_rows`, written to a file), corrects it and loads it back
(`load_group_mapping`); only a loaded file counts, so nothing is classified by guesswork alone. Ratings are
then also broken down by partner type, under the same disclosure rule as the groups (score/ratings.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from c2c_monitor.definitions.process import PartnerTypes, load_partner_types
from c2c_monitor.definitions.records import STAKEHOLDER_GROUPS
from c2c_monitor.errors import Finding, InputRejected
from c2c_monitor.ingest.control_chars import control_findings
from c2c_monitor.ingest.tables import read_table
from c2c_monitor.score.assess import partnership_info
from c2c_monitor.store import reads
from c2c_monitor.store.schema import insert_frame, new_vintage, transaction

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection

MAPPING_COLUMNS = ["stakeholder_group", "partner_type", "partner_type_name", "confirmed"]


def known_groups(con: DuckDBPyConnection, pid: str) -> list[str]:
    """The groups a mapping may name: those of the ratings sheet's list and any the partnership's ratings hold."""
    return sorted({*STAKEHOLDER_GROUPS, *reads.stakeholder_groups(con, pid)})


def group_rows(con: DuckDBPyConnection, pid: str, lang: str = "en") -> list[list[object]]:
    """One row per group of the partnership's ratings: the confirmed type, else the suggested one (to confirm)."""
    partnership_info(con, pid)
    kinds = load_partner_types()
    confirmed = reads.group_types(con, pid, None)
    out: list[list[object]] = []
    for g in reads.stakeholder_groups(con, pid) or list(STAKEHOLDER_GROUPS):
        t = confirmed.get(g) or kinds.suggest(g)
        kind = kinds.get(t) if t else None
        out.append([g, t or "", kind.name.get(lang) if kind else "", "yes" if g in confirmed else "no"])
    return out


def _type_of(kinds: PartnerTypes, text: str) -> str | None:
    """A partner type by its id or its name in any of the four languages (case and spaces ignored)."""
    t = " ".join(text.strip().lower().replace("_", " ").split())
    for k in kinds.types:
        names = {k.id.replace("_", " "), *(" ".join(getattr(k.name, lang).lower().split())
                                           for lang in ("en", "fr", "es", "pt"))}
        if t in names:
            return k.id
    return None


def load_group_mapping(con: DuckDBPyConnection, pid: str, path: Path, dry_run: bool = False) -> dict[str, int]:
    """Load a confirmed mapping (CSV or XLSX with stakeholder_group and partner_type): all rows or none."""
    partnership_info(con, pid)
    file = str(path)
    table = read_table(path)
    df = table.frame
    missing = [c for c in ("stakeholder_group", "partner_type") if c not in df.columns]
    if missing:
        raise InputRejected([Finding("missing-column", file, "a group mapping needs the columns stakeholder_group "
                                     "and partner_type", 1, c) for c in missing])
    if df.height == 0:
        raise InputRejected([Finding("empty-file", file, "no groups under the header")])
    findings = control_findings(df, file, ids=["stakeholder_group", "partner_type"], texts=[])
    kinds = load_partner_types()
    groups = set(known_groups(con, pid))
    current = reads.group_types(con, pid, None)
    seen: dict[str, int] = {}
    rows: list[dict[str, str]] = []
    for r in df.iter_rows(named=True):
        group = (r["stakeholder_group"] or "").strip()
        text = (r["partner_type"] or "").strip()
        line = r["_line"]
        if not group and not text:
            continue
        if group not in groups:
            findings.append(Finding("unknown-group", file, "not a stakeholder group of this partnership "
                                    f"(groups: {', '.join(sorted(groups))})", line, "stakeholder_group", group))
            continue
        if group in seen:
            findings.append(Finding("duplicate-key", file, f"the same group is on line {seen[group]} too", line,
                                    "stakeholder_group", group))
            continue
        seen[group] = line
        kind = _type_of(kinds, text) if text else None
        if kind is None:
            findings.append(Finding("unknown-code", file, "not a partner type (one of: " + ", ".join(kinds.ids)
                                    + ")" if text else "no partner type given", line, "partner_type", text))
            continue
        if current.get(group) != kind:
            rows.append({"partnership_id": pid, "stakeholder_group": group, "partner_type": kind})
    if findings:
        raise InputRejected(findings)
    result = {"changed": len(rows), "unchanged": len(seen) - len(rows)}
    if rows and not dry_run:
        with transaction(con):
            vid = new_vintage(con, "group-types", file, path.read_bytes(), len(rows))
            insert_frame(con, "group_types", pl.DataFrame(rows), vintage_id=vid)
        result["vintage_id"] = vid
    return result
