"""`c2c partnerships import`: register partnerships and their two cities from a CSV or XLSX file.

Partnerships and cities are the workspace's master data (no vintages): a new id is added, an
identical row changes nothing, and a changed row is refused unless `--update` is given, so a
typo in an id cannot silently rename somebody else's partnership. The whole file is checked
first and written in one transaction, or not at all.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from c2c_monitor.errors import Finding, InputRejected
from c2c_monitor.ingest.control_chars import control_findings
from c2c_monitor.ingest.tables import read_table
from c2c_monitor.ingest.textfile import without_comments
from c2c_monitor.store import reads
from c2c_monitor.store.schema import insert_frame, transaction, update_frame

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection

COLUMNS = ["partnership_id", "name", "european_city_id", "european_city_name", "european_country",
           "european_city_population", "partner_city_id", "partner_city_name", "partner_country",
           "partner_city_population", "theme", "sdgs", "start_year", "budget_eur", "description"]
REQUIRED = ["partnership_id", "name", "european_city_id", "european_city_name", "partner_city_id",
            "partner_city_name"]
ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")
# A header and a commented example (a first cell starting with "#" is not read): never a data row, which a user
# filling in below it would load as a real partnership.
TEMPLATE = [COLUMNS, ["# example: bonn-cape-coast", "Bonn – Cape Coast", "bonn", "Bonn", "Germany", "336000",
                      "cape-coast", "Cape Coast", "Ghana", "190000", "Sustainable urban mobility", "11,13,17", "2021",
                      "900000", "Joint work on bus rapid transit and cycling."]]


def _read(path: Path) -> pl.DataFrame:
    table = read_table(path)
    return without_comments(table).frame  # the template's commented example


# The checks, in the order a row's findings are listed; each is a whole-column polars expression (issue 22:
# a loop over rows took 3.3 ms a row, twelve minutes for a 200,000-row sheet).
_NUMBERS = (("start_year", 1950, None), ("budget_eur", 0, 1e12), ("european_city_population", 1, 5e7),
            ("partner_city_population", 1, 5e7))
NAMES = ["name", "european_city_name", "european_country", "partner_city_name", "partner_country", "theme"]
IDS = ["partnership_id", "european_city_id", "partner_city_id"]


def _given(c: str) -> pl.Expr:
    return pl.col(c).is_not_null() & (pl.col(c) != "")


def _checks(this_year: int) -> list[tuple[pl.Expr, str, str, str]]:
    """(mask of bad rows, column, message, code), in the order the old row loop reported them."""
    out: list[tuple[pl.Expr, str, str, str]] = [(~_given(c), c, "required", "missing-value") for c in REQUIRED]
    out += [(_given(c) & ~pl.col(c).str.contains(ID.pattern), c,
             "ids are lower-case letters, digits, '.', '_' or '-' (at most 80)", "bad-value") for c in IDS]
    out.append((_given("european_city_id") & (pl.col("european_city_id") == pl.col("partner_city_id")),
                "partner_city_id", "a partnership links two different cities", "bad-value"))
    goal_ok = pl.element().str.strip_chars().str.contains(r"^[0-9]{1,2}$") & pl.element().str.strip_chars().cast(
        pl.Int64, strict=False).is_between(1, 17)
    out.append((_given("sdgs") & ~pl.col("sdgs").str.split(",").list.eval(goal_ok).list.all(), "sdgs",
                "a comma-separated list of SDG numbers 1-17", "bad-value"))
    for c, lo, hi in _NUMBERS:
        top = this_year + 1 if hi is None else hi
        v = pl.col(c).cast(pl.Float64, strict=False)
        out.append((_given(c) & v.is_null(), c, "not a number", "bad-value"))
        wrong = ~v.is_between(lo, top) | v.is_nan()
        if c == "start_year":
            wrong = wrong | (v != v.floor())
        out.append((_given(c) & v.is_not_null() & wrong, c, f"outside {lo:g}-{top:g}", "out-of-range"))
    return out


def check(path: Path, limit: int = 1000) -> tuple[pl.DataFrame, list[Finding]]:
    """The file read and checked column by column; at most `limit` findings of each check."""
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
    checks = _checks(dt.date.today().year)
    # One pass computes every mask; only the (few) failing rows become Python objects.
    masks = df.select(pl.col("_line"), *[m.fill_null(False).alias(f"_m{i}") for i, (m, *_) in enumerate(checks)])
    failing = masks.filter(pl.any_horizontal(pl.exclude("_line")))
    ranked: list[tuple[int, int, Finding]] = []
    if failing.height:
        values = df.join(failing, on="_line")
        for i, (_, column, message, code) in enumerate(checks):
            hit = values.filter(pl.col(f"_m{i}")).head(limit).select("_line", column)
            ranked += [(line, i, Finding(code, file, message, line, column, value)) for line, value in hit.iter_rows()]
    findings = [f for *_, f in sorted(ranked, key=lambda t: (t[0], t[1]))]
    # Ids need no control-character check: the ID pattern above allows none.
    findings += control_findings(df, file, names=NAMES, texts=["description"], limit=limit)
    dup = df.with_columns(_first=pl.col("_line").min().over("partnership_id"))
    dup = dup.filter(pl.col("_line") != pl.col("_first"))
    findings += [Finding("duplicate-key", file, f"partnership id already on line {first}", line, "partnership_id", pid)
                 for line, first, pid in dup.head(limit).select("_line", "_first", "partnership_id").iter_rows()]
    return df, findings


def _rows(df: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The file as the store's partnerships and cities (one row per city side, with the line it came from)."""
    parts = df.select(
        "partnership_id", "name", "european_city_id", "partner_city_id", "theme",
        pl.col("sdgs").str.split(",").list.eval(pl.element().str.strip_chars()).list.join(",").alias("sdgs"),
        pl.col("start_year").cast(pl.Float64).cast(pl.Int32).alias("start_year"),
        pl.col("budget_eur").cast(pl.Float64).alias("budget_eur"), "description", "_line")
    sides = [df.select(pl.col(f"{s}_city_id").alias("city_id"), pl.col(f"{s}_city_name").alias("name"),
                       pl.col(f"{s}_country").alias("country"),
                       pl.col(f"{s}_city_population").cast(pl.Float64).alias("population"), "_line",
                       pl.lit(f"{s}_city_name").alias("_column"))
             for s in ("european", "partner")]
    return parts, pl.concat(sides).sort("_line", maintain_order=True)


def _changed(new: pl.DataFrame, stored: pl.DataFrame, key: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(rows whose key is not stored, rows stored with other details): a join, not a loop."""
    cols = [c for c in stored.columns if c != key]
    j = new.join(stored.rename({c: f"_old_{c}" for c in cols}), on=key, how="left")
    known = pl.col("_known")
    j = j.join(stored.select(key, pl.lit(True).alias("_known")), on=key, how="left")
    differs = pl.any_horizontal([~pl.col(c).eq_missing(pl.col(f"_old_{c}")) for c in cols])
    return (j.filter(known.is_null()).select(new.columns),
            j.filter(known.is_not_null() & differs).select(new.columns))


def import_partnerships(con: DuckDBPyConnection, path: Path, update: bool = False,
                        dry_run: bool = False, progress: Callable[[int, int, str], None] | None = None
                        ) -> dict[str, int]:
    """Check the whole file, then add new partnerships and cities (and, with `update`, change others).

    `progress(done, total, what)` is told of each step (the CLI draws a bar once a second has passed).
    """
    say = progress or (lambda done, total, what: None)
    say(0, 4, "reading")
    df, findings = check(path)
    file = str(path)
    say(1, 4, "checking")
    if findings:
        raise InputRejected(findings)
    parts, sides = _rows(df)
    # A city described differently on two lines: each line differing from the city's first description.
    firsts = sides.group_by("city_id", maintain_order=True).first()
    conflict = sides.join(firsts.select("city_id", *[pl.col(c).alias(f"_f_{c}") for c in ("name", "country",
                                                                                            "population")]),
                          on="city_id").filter(pl.any_horizontal(
        [~pl.col(c).eq_missing(pl.col(f"_f_{c}")) for c in ("name", "country", "population")]))
    findings += [Finding("conflict", file, f"city {cid!r} is described differently on another line", line, column,
                         name) for cid, line, column, name in
                 conflict.head(1000).select("city_id", "_line", "_column", "name").iter_rows()]
    if findings:
        raise InputRejected(findings)
    say(2, 4, "comparing")
    cities = firsts.select("city_id", "name", "country", "population")
    new_p, changed_p = _changed(parts.drop("_line"), reads.partnerships_frame(con).cast(
        {"start_year": pl.Int32, "budget_eur": pl.Float64}), "partnership_id")
    new_c, changed_c = _changed(cities, reads.cities_frame(con).cast({"population": pl.Float64}), "city_id")
    if not update:
        lines = parts.join(changed_p.select("partnership_id"), on="partnership_id", how="semi")
        findings += [Finding("exists", file, "this partnership exists with other details; pass --update to change it",
                             line, "partnership_id", pid)
                     for pid, line in lines.head(1000).select("partnership_id", "_line").iter_rows()]
        findings += [Finding("exists", file, f"city {cid!r} exists with other details; pass --update", None,
                             "city_id", cid) for cid in changed_c.head(1000)["city_id"]]
    if findings:
        raise InputRejected(findings)
    result = {"new": new_p.height, "updated": changed_p.height,
              "unchanged": df.height - new_p.height - changed_p.height, "new_cities": new_c.height,
              "updated_cities": changed_c.height}
    if dry_run:
        return result
    say(3, 4, "writing")
    with transaction(con):
        # Cities first: a partnership names two of them.
        insert_frame(con, "cities", new_c)
        update_frame(con, "cities", "city_id", changed_c)
        insert_frame(con, "partnerships", new_p)
        update_frame(con, "partnerships", "partnership_id", changed_p)
    say(4, 4, "done")
    return result
