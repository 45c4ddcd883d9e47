"""`c2c ingest`: read, validate the whole batch, then write it as one vintage in one transaction."""

from __future__ import annotations

import hashlib
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from c2c_monitor.definitions.catalog import Catalogue
from c2c_monitor.errors import Finding, InputRejected, Report
from c2c_monitor.ingest.mapping import Mapping
from c2c_monitor.ingest.readers import READERS, Parsed, detect_format, open_sdg_code
from c2c_monitor.ingest.textfile import ReadError
from c2c_monitor.ingest.validate import validate
from c2c_monitor.store.schema import insert_frame, new_vintage, transaction

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection


@dataclass
class Summary:
    files: list[str]
    rows_read: int = 0
    new: int = 0
    revised: int = 0
    unchanged: int = 0
    deleted: int = 0
    missing_values: int = 0
    targets: int = 0
    vintage_id: int | None = None
    skipped: dict[str, int] = field(default_factory=dict)
    skipped_files: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)  # warnings and notices of an accepted batch

    @property
    def report(self) -> Report:
        return Report(tuple(self.findings))

    def lines(self) -> list[str]:
        out = [f"{len(self.files)} file(s), {self.rows_read} row(s) read"]
        out.append(f"new {self.new}, revised {self.revised}, unchanged {self.unchanged}, deleted {self.deleted}"
                   f" (of which {self.missing_values} blank value(s) recorded as missing)")
        if self.targets:
            out.append(f"{self.targets} local 2030 target(s) from metadata")
        unmapped = {w: n for w, n in self.skipped.items() if w.startswith("indicator ")}
        if unmapped:
            codes = [w.split("'")[1] for w in unmapped]
            shown = ", ".join(codes[:8]) + (f" and {len(codes) - 8} more" if len(codes) > 8 else "")
            out.append(f"skipped {sum(unmapped.values())} row(s) of {len(codes)} indicator code(s) not mapped to the "
                       f"catalogue ({shown}); map them with --map or --map-indicator")
        out += [f"skipped {n} row(s): {why}" for why, n in self.skipped.items() if why not in unmapped]
        out += [f"skipped file {f}: {why}" for f, why in self.skipped_files.items()]
        out += [f"note: {n}" for n in self.notes]
        if self.vintage_id is not None:
            out.append(f"written as vintage {self.vintage_id}")
        return out

    @property
    def nothing_loaded(self) -> str | None:
        """Why the batch put no value in the workspace, or None when it did (or already held them all)."""
        if self.new or self.revised or self.deleted or self.unchanged or self.targets:
            return None
        if self.skipped:
            unmapped = {w: n for w, n in self.skipped.items() if w.startswith("indicator ")}
            parts = [f"{sum(unmapped.values())} row(s) of {len(unmapped)} indicator code(s) not mapped to the "
                     "catalogue"] if unmapped else []
            parts += [f"{n} row(s): {why}" for why, n in self.skipped.items() if why not in unmapped]
            return f"no row loaded: every row skipped ({'; '.join(parts)})"
        if self.skipped_files and not self.rows_read:
            return f"no row loaded: every file skipped ({next(iter(self.skipped_files.values()))})"
        return f"no row loaded: {self.rows_read} row(s) read, none with a value for a catalogue indicator"

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def expand(paths: list[Path]) -> list[Path]:
    """Folders expand to their data files (an Open SDG `data/` folder or any CSV/XLSX inside)."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            base = p / "data" if (p / "data").is_dir() else p
            out += sorted(f for f in base.iterdir() if f.suffix.lower() in (".csv", ".xlsx"))
        else:
            out.append(p)
    return out


def read_batch(paths: list[Path], fmt: str, encoding: str | None, progress: Any = None
               ) -> tuple[list[Parsed], list[Finding], dict[str, str]]:
    parsed, findings, skipped_files = [], [], {}
    open_sdg_dirs = {p.parent for p in paths if open_sdg_code(p)}
    for i, path in enumerate(paths):
        if progress is not None:
            progress(i, len(paths), path.name)
        if not path.exists():
            findings.append(Finding("no-such-file", str(path), "no such file"))
            continue
        f = detect_format(path, encoding) if fmt == "auto" else fmt
        if fmt == "auto" and f == "csv" and path.parent in open_sdg_dirs:
            # Open SDG sites ship other CSVs beside the indicators (e.g. demo_indicator.csv): report them.
            skipped_files[str(path)] = "in an Open SDG folder but not named indicator_G-T-I.csv"
            continue
        try:
            p = READERS[f](path, encoding)
        except ReadError as exc:
            findings += exc.findings
            continue
        p.fmt = f
        findings += p.findings
        parsed.append(p)
    return parsed, findings, skipped_files


def content_hash(files: list[Path]) -> str:
    """sha256 over each file's name, a NUL and its bytes, in order; read in chunks, never whole."""
    digest = hashlib.sha256()
    for p in files:
        digest.update(p.name.encode() + b"\0")
        with p.open("rb") as fh:
            while chunk := fh.read(1 << 22):
                digest.update(chunk)
    return digest.hexdigest()


def _current(con: DuckDBPyConnection, keys: pl.DataFrame) -> pl.DataFrame | None:
    """The stored current value of each incoming key (None when the store holds none of these codes).

    The batch's keys are unique here: validation refuses duplicates.
    """
    codes = keys["code"].unique().to_list()
    if not con.execute("SELECT count(*) FROM (SELECT 1 FROM observations WHERE code IN (SELECT unnest(?::VARCHAR[])) "
                       "LIMIT 1)", [codes]).fetchall()[0][0]:
        return None
    con.register("_keys", keys.select("code", "city_id", "period", "disagg"))
    try:
        return con.sql(
            "SELECT o.code, o.city_id, o.period, o.disagg, o.value AS old_value, o.obs_status AS old_status, "
            "o.action AS old_action FROM (SELECT *, row_number() OVER (PARTITION BY code, city_id, period, disagg "
            "ORDER BY vintage_id DESC) rn FROM observations SEMI JOIN _keys USING (code, city_id, period, disagg)) o "
            "WHERE rn = 1").pl()
    finally:
        con.unregister("_keys")


def ingest(con: DuckDBPyConnection, cat: Catalogue, paths: list[Path], mapping: Mapping, fmt: str = "auto",
           encoding: str | None = None, strict: bool = False, dry_run: bool = False,
           source_note: str | None = None, progress: Any = None) -> Summary:
    files = expand(paths)
    summary = Summary([str(p) for p in files])
    if not files:
        raise InputRejected([Finding("no-files", " ".join(map(str, paths)), "no data files found")])
    parsed, findings, summary.skipped_files = read_batch(files, fmt, encoding, progress)
    # A file left out on purpose is said in the summary, and in the report as a notice.
    summary.findings += [Finding("skipped-file", f, why, severity="notice") for f, why in summary.skipped_files.items()]
    if progress is not None:
        progress(len(files), len(files), "validating")
    if findings:
        raise InputRejected(findings + summary.findings)
    # The vintage's content hash is worked out in a thread (hashlib lets go of the GIL) while polars validates;
    # a dry run writes no vintage and needs none.
    if not dry_run:
        hashing = ThreadPoolExecutor(max_workers=1)
        digest = hashing.submit(content_hash, files)
        hashing.shutdown(wait=False)
    frame = pl.concat([p.frame for p in parsed]) if parsed else pl.DataFrame()
    summary.rows_read = frame.height
    for p in parsed:
        summary.notes += [f"{Path(p.frame['_file'][0]).name if p.frame.height else ''}: {n}" for n in p.notes]
    cities = {r[0] for r in con.execute("SELECT city_id FROM cities").fetchall()}
    # The documented long format names catalogue ids and city ids itself: unknown codes there are errors.
    strict = strict or any(p.fmt in ("csv", "xlsx") for p in parsed)
    checked = validate(frame, cat, cities, mapping, strict) if frame.height else None
    if checked is not None:
        summary.findings += checked.findings
        if not summary.report.valid:
            raise InputRejected(summary.report)
        summary.skipped.update(checked.skipped)
        summary.notes += checked.notes
    good = checked.good if checked is not None else pl.DataFrame()
    targets = _targets(parsed, mapping, cat)
    if good.height == 0 and targets.height == 0:
        summary.notes.append("nothing to load")
        return summary
    cur = _current(con, good) if good.height else None
    if cur is None and good.height:  # nothing stored yet for these codes: every row is new
        counts = good.select((pl.col("action") == "D").sum().alias("d"),
                             ((pl.col("action") != "D") & pl.col("value").is_null()).sum().alias("m")).row(0)
        summary.new, summary.missing_values = good.height - counts[0], counts[1]
        to_write = good.filter(pl.col("action") != "D")
    elif cur is not None:
        joined = good.join(cur, on=["code", "city_id", "period", "disagg"], how="left")
        existed = pl.col("old_action").is_not_null() & (pl.col("old_action") != "D")
        same = existed & (pl.col("old_value").eq_missing(pl.col("value"))) & \
            pl.col("old_status").eq_missing(pl.col("obs_status"))
        is_del = pl.col("action") == "D"
        tally = joined.select(
            (is_del & existed).sum().alias("deleted"), (~is_del & same).sum().alias("unchanged"),
            (~is_del & existed & ~same).sum().alias("revised"), (~is_del & ~existed).sum().alias("new"),
            (~is_del & ~same & pl.col("value").is_null()).sum().alias("missing")).row(0, named=True)
        summary.deleted, summary.unchanged = tally["deleted"], tally["unchanged"]
        summary.revised, summary.new, summary.missing_values = tally["revised"], tally["new"], tally["missing"]
        to_write = joined.filter((is_del & existed) | (~is_del & ~same)).select(good.columns)
    else:
        to_write = good
    new_targets = _new_targets(con, targets)
    summary.targets = new_targets.height
    if dry_run or (to_write.height == 0 and new_targets.height == 0):
        if not dry_run:
            summary.notes.append("nothing new: the workspace already holds these values")
        return summary
    with transaction(con):
        vid = new_vintage(con, "observations", source_note or ", ".join(str(p) for p in paths[:20]),
                          None, to_write.height)
        con.execute("UPDATE vintages SET content_hash = ? WHERE vintage_id = ?", [digest.result(), vid])
        if to_write.height:
            insert_frame(con, "observations", to_write.with_columns(pl.lit(vid).alias("vintage_id")))
        if new_targets.height:
            insert_frame(con, "targets", new_targets.with_columns(pl.lit(vid).alias("vintage_id")))
    summary.vintage_id = vid
    return summary


def _norm(s: str) -> str:
    return re.sub(r"[^0-9a-z]", "", s.lower())


def _targets(parsed: list[Parsed], mapping: Mapping, cat: Catalogue) -> pl.DataFrame:
    """Local 2030 targets from Open SDG metadata, for mapped indicators and the --city."""
    rows = []
    for p in parsed:
        for t in p.targets:
            im = mapping.indicators.get(t["source_code"])
            if im is None or mapping.default_city is None:
                continue
            lines = [x for x in p.targets if x["source_code"] == t["source_code"]]
            if len(lines) > 1:
                # Several target lines: keep the one whose label names the selected disaggregation.
                wanted = [_norm(v) for v in im.select.values()]
                if not wanted or not any(w and w in _norm(t["label"]) for w in wanted):
                    continue
            rows.append({"code": im.indicator, "city_id": mapping.default_city, "value": t["value"],
                         "year": 2030, "source": t["source"]})
    schema = {"code": pl.String, "city_id": pl.String, "value": pl.Float64, "year": pl.Int32, "source": pl.String}
    return pl.DataFrame(rows, schema=schema).unique(subset=["code", "city_id"], keep="first")


def _new_targets(con: DuckDBPyConnection, targets: pl.DataFrame) -> pl.DataFrame:
    if targets.height == 0:
        return targets
    cur = con.sql("SELECT code, city_id, value AS old FROM (SELECT *, row_number() OVER (PARTITION BY code, "
                  "city_id ORDER BY vintage_id DESC) rn FROM targets) WHERE rn = 1").pl()
    j = targets.join(cur, on=["code", "city_id"], how="left")
    return j.filter(~pl.col("old").eq_missing(pl.col("value"))).select(targets.columns)


# A header and commented examples (a first cell starting with "#" is not read), no data row: an example row
# would be loaded as a real figure (and revise one) when a user fills in below it.
TEMPLATE_ROWS = [
    ["indicator", "area", "period", "value", "unit", "obs_status", "disaggregation"],
    ["# example: unemployment_rate", "bonn", "2024-Q3", "6.1", "percent", "P", ""],
    ["# example: unemployment_rate", "bonn", "2024-Q3", "5.8", "percent", "P", "sex=female"],
]


def write_template(path: Path) -> None:
    """A long-format template (CSV, or XLSX by extension): the header and two commented example rows."""
    from c2c_monitor.store.atomic import replacing
    from c2c_monitor.store.cells import csv_text, sheet_append

    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook
        from openpyxl.worksheet.worksheet import Worksheet

        wb = Workbook()
        ws = wb.active
        assert isinstance(ws, Worksheet)  # a new workbook opens on one worksheet
        ws.title = "data"
        for row in TEMPLATE_ROWS:
            sheet_append(ws, row)
        with replacing(path) as tmp:
            wb.save(tmp)
        return
    with replacing(path) as tmp:
        tmp.write_text(csv_text(TEMPLATE_ROWS), encoding="utf-8")
