"""`c2c partnerships import`: register partnerships and their two cities from a CSV or XLSX file.

Partnerships and cities are the workspace's master data (no vintages): a new id is added, an
identical row changes nothing, and a changed row is refused unless `--update` is given, so a
typo in an id cannot silently rename somebody else's partnership. The whole file is checked
first and written in one transaction, or not at all.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from c2c_monitor.errors import Finding, InputRejected
from c2c_monitor.ingest.readers import read_xlsx_table
from c2c_monitor.ingest.textfile import ReadError, read_delimited
from c2c_monitor.store.schema import transaction

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection

COLUMNS = ["partnership_id", "name", "european_city_id", "european_city_name", "european_country",
           "european_city_population", "partner_city_id", "partner_city_name", "partner_country",
           "partner_city_population", "theme", "sdgs", "start_year", "budget_eur", "description"]
REQUIRED = ["partnership_id", "name", "european_city_id", "european_city_name", "partner_city_id",
            "partner_city_name"]
ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")
TEMPLATE = [COLUMNS, ["bonn-cape-coast", "Bonn – Cape Coast", "bonn", "Bonn", "Germany", "336000", "cape-coast",
                      "Cape Coast", "Ghana", "190000", "Sustainable urban mobility", "11,13,17", "2021", "900000",
                      "Joint work on bus rapid transit and cycling."]]


def _read(path: Path) -> pl.DataFrame:
    try:
        table = read_xlsx_table(path) if path.suffix.lower() == ".xlsx" else read_delimited(path)
    except ReadError as exc:
        raise InputRejected(exc.findings) from None
    return table.frame


def check(path: Path) -> tuple[pl.DataFrame, list[Finding]]:
    df = _read(path)
    file = str(path)
    missing = [c for c in REQUIRED if c not in df.columns]
    unknown = [c for c in df.columns if c not in COLUMNS and c != "_line"]
    findings = [Finding("missing-column", file, f"a partnerships file needs {', '.join(REQUIRED)}", 1, c)
                for c in missing]
    findings += [Finding("unknown-column", file, f"not a column of a partnerships file ({', '.join(COLUMNS)})",
                         1, c) for c in unknown]
    if findings:
        return df, findings
    if df.height == 0:
        return df, [Finding("empty-file", file, "no partnerships under the header")]
    df = df.with_columns([pl.lit(None, pl.String).alias(c) for c in COLUMNS if c not in df.columns])
    df = df.with_columns([pl.col(c).str.strip_chars() for c in COLUMNS])
    this_year = dt.date.today().year
    for r in df.iter_rows(named=True):  # a few dozen rows: a readable loop, not a hot path
        line = r["_line"]

        def bad(column: str, message: str, code: str = "bad-value", r: dict[str, Any] = r, line: int = line) -> None:
            findings.append(Finding(code, file, message, line, column, r[column]))

        for c in REQUIRED:
            if not r[c]:
                bad(c, "required", "missing-value")
        for c in ("partnership_id", "european_city_id", "partner_city_id"):
            if r[c] and not ID.match(r[c]):
                bad(c, "ids are lower-case letters, digits, '.', '_' or '-' (at most 80)")
        if r["european_city_id"] and r["european_city_id"] == r["partner_city_id"]:
            bad("partner_city_id", "a partnership links two different cities")
        if r["sdgs"]:
            goals = [g.strip() for g in r["sdgs"].split(",")]
            if not all(g.isdigit() and 1 <= int(g) <= 17 for g in goals):
                bad("sdgs", "a comma-separated list of SDG numbers 1-17")
        for c, lo, hi in (("start_year", 1950, this_year + 1), ("budget_eur", 0, 1e12),
                          ("european_city_population", 1, 5e7), ("partner_city_population", 1, 5e7)):
            if r[c]:
                try:
                    v = float(r[c])
                except ValueError:
                    bad(c, "not a number")
                    continue
                if not lo <= v <= hi or (c == "start_year" and v != int(v)):
                    bad(c, f"outside {lo:g}-{hi:g}", "out-of-range")
    first = df.with_columns(_first=pl.col("_line").min().over("partnership_id"))
    for r in first.filter(pl.col("_line") != pl.col("_first")).iter_rows(named=True):
        findings.append(Finding("duplicate-key", file, f"partnership id already on line {r['_first']}", r["_line"],
                                "partnership_id", r["partnership_id"]))
    return df, findings


def import_partnerships(con: DuckDBPyConnection, path: Path, update: bool = False,
                        dry_run: bool = False) -> dict[str, int]:
    df, findings = check(path)
    file = str(path)
    cities: dict[str, dict[str, Any]] = {}
    for r in df.iter_rows(named=True) if not findings else []:
        for side in ("european", "partner"):
            cid = r[f"{side}_city_id"]
            row = {"city_id": cid, "name": r[f"{side}_city_name"], "country": r[f"{side}_country"],
                   "population": float(r[f"{side}_city_population"]) if r[f"{side}_city_population"] else None}
            if cid in cities and cities[cid] != row:
                findings.append(Finding("conflict", file, f"city {cid!r} is described differently on another line",
                                        r["_line"], f"{side}_city_name", row["name"]))
            cities[cid] = row
    if findings:
        raise InputRejected(findings)
    stored_p = {r[0]: r[1:] for r in con.execute(
        "SELECT partnership_id, name, european_city_id, partner_city_id, theme, sdgs, start_year, budget_eur, "
        "description FROM partnerships").fetchall()}
    stored_c = {r[0]: r[1:] for r in con.execute("SELECT city_id, name, country, population FROM cities").fetchall()}
    new_p, changed_p, new_c, changed_c = [], [], [], []
    for r in df.iter_rows(named=True):
        sdgs = ",".join(g.strip() for g in r["sdgs"].split(",")) if r["sdgs"] else None
        p_row = (r["name"], r["european_city_id"], r["partner_city_id"], r["theme"], sdgs,
               int(float(r["start_year"])) if r["start_year"] else None,
               float(r["budget_eur"]) if r["budget_eur"] else None, r["description"])
        old = stored_p.get(r["partnership_id"])
        if old is None:
            new_p.append((r["partnership_id"], *p_row))
        elif tuple(old) != p_row:
            if not update:
                findings.append(Finding("exists", file, "this partnership exists with other details; pass --update "
                                        "to change it", r["_line"], "partnership_id", r["partnership_id"]))
            changed_p.append((r["partnership_id"], *p_row))
    for cid, c in cities.items():
        c_row = (c["name"], c["country"], c["population"])
        old = stored_c.get(cid)
        if old is None:
            new_c.append((cid, *c_row))
        elif tuple(old) != c_row:
            if not update:
                findings.append(Finding("exists", file, f"city {cid!r} exists with other details; pass --update",
                                        None, "city_id", cid))
            changed_c.append((cid, *c_row))
    if findings:
        raise InputRejected(findings)
    result = {"new": len(new_p), "updated": len(changed_p), "unchanged": df.height - len(new_p) - len(changed_p),
              "new_cities": len(new_c)}
    if dry_run:
        return result
    with transaction(con):
        for cid, name, country, pop in new_c:
            con.execute("INSERT INTO cities (city_id, name, country, population) VALUES (?, ?, ?, ?)",
                        [cid, name, country, pop])
        for cid, name, country, pop in changed_c:
            con.execute("UPDATE cities SET name = ?, country = ?, population = ? WHERE city_id = ?",
                        [name, country, pop, cid])
        for p in new_p:
            con.execute("INSERT INTO partnerships (partnership_id, name, european_city_id, partner_city_id, theme, "
                        "sdgs, start_year, budget_eur, description) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", list(p))
        for p in changed_p:
            con.execute("UPDATE partnerships SET name = ?, european_city_id = ?, partner_city_id = ?, theme = ?, "
                        "sdgs = ?, start_year = ?, budget_eur = ?, description = ? WHERE partnership_id = ?",
                        [*p[1:], p[0]])
    return result
