"""`c2c ingest`: read, validate the whole batch, then write it as one vintage in one transaction."""

from __future__ import annotations

import dataclasses
import hashlib
import re
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from c2c_monitor.definitions.catalog import Catalogue
from c2c_monitor.errors import Finding, InputRejected, Report
from c2c_monitor.ingest.local import LocalBatch, check_local
from c2c_monitor.ingest.local import changes as local_changes
from c2c_monitor.ingest.mapping import Mapping
from c2c_monitor.ingest.readers import READERS, STRUCTURED, Parsed, detect_format, open_sdg_code
from c2c_monitor.ingest.sdmx_ml import root_kind
from c2c_monitor.ingest.textfile import ReadError
from c2c_monitor.ingest.validate import validate
from c2c_monitor.store.schema import insert_frame, keep_clustered, new_vintage, transaction

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
    local_new: int = 0  # rows of the cities' local indicators written (new or revised)
    local_unchanged: int = 0
    local_defs: int = 0  # local indicator definitions written (new or changed)
    loaded_where: list[str] = field(default_factory=list)  # what went where, one line per destination
    review: list[str] = field(default_factory=list)  # mapping entries still marked `review: true`
    vintage_id: int | None = None
    skipped: dict[str, int] = field(default_factory=dict)
    skipped_files: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    # Every value of the batch is already in the workspace as it stands: nothing is (or would be) written.
    already_held: bool = False
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
        out += self.loaded_where
        if self.local_new or self.local_unchanged or self.local_defs:
            out.append(f"local indicators: {self.local_new} row(s) new or revised, {self.local_unchanged} unchanged, "
                       f"{self.local_defs} definition(s) written")
        if self.review:
            shown = ", ".join(self.review[:8]) + (f" and {len(self.review) - 8} more" if len(self.review) > 8 else "")
            out.append(f"note: {len(self.review)} mapping entr(ies) still marked `review: true`: {shown}")
        out += _skip_lines(self.skipped)
        out += [f"skipped file {f}: {why}" for f, why in self.skipped_files.items()]
        out += [f"note: {n}" for n in self.notes]
        if self.vintage_id is not None:
            out.append(f"written as vintage {self.vintage_id}")
        return out

    @property
    def nothing_loaded(self) -> str | None:
        """Why the batch put no value in the workspace, or None when it did (or already held them all)."""
        if self.new or self.revised or self.deleted or self.unchanged or self.targets or self.local_new \
                or self.local_unchanged or self.local_defs:
            return None
        if self.skipped:
            parts = [line.removeprefix("skipped ").split("; map them")[0] for line in _skip_lines(self.skipped)]
            return f"no row loaded: every row skipped ({'; '.join(parts)})"
        if self.skipped_files and not self.rows_read:
            return f"no row loaded: every file skipped ({next(iter(self.skipped_files.values()))})"
        return f"no row loaded: {self.rows_read} row(s) read, none with a value for a catalogue indicator"

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


# The skip reasons that come one per code (validate._skips, the mapping's `skip:`): a national message skips
# hundreds of series and areas, so the summary gives one line per kind and reason, naming the first codes.
_SKIP_KINDS = (
    (re.compile(r"indicator '(.*)' not mapped to the catalogue$"), "indicator code(s) not mapped to the catalogue",
     "; map them with --map or --map-indicator"),
    (re.compile(r"area '(.*)' not mapped to a workspace city$"), "area code(s) not mapped to a workspace city",
     "; map them in the mapping's `areas:` (--map)"),
    (re.compile(r"series '(.*)' left out by the mapping \((.*)\)$"), "series left out by the mapping", ""),
)


def _skip_lines(skipped: dict[str, int]) -> list[str]:
    """The summary's lines for skipped rows: one per reason, codes of the same kind and reason counted together
    (the full list per code is in `--report`)."""
    groups: dict[tuple[int, str], list[tuple[str, int]]] = {}
    out: list[tuple[int, str]] = []
    for why, n in skipped.items():
        for kind, (pattern, _, _) in enumerate(_SKIP_KINDS):
            m = pattern.match(why)
            if m:
                groups.setdefault((kind, m.group(2) if m.lastindex == 2 else ""), []).append((m.group(1), n))
                break
        else:
            out.append((len(_SKIP_KINDS), f"skipped {n} row(s): {why}"))
    for (kind, reason), items in groups.items():
        _, what, hint = _SKIP_KINDS[kind]
        codes = [code for code, _ in items]
        shown = ", ".join(codes[:8]) + (f" and {len(codes) - 8} more" if len(codes) > 8 else "")
        out.append((kind, f"skipped {sum(n for _, n in items)} row(s) of {len(codes)} {what}"
                          f"{f' ({reason})' if reason else ''}: {shown}{hint}"))
    return [line for _, line in sorted(out, key=lambda k: k[0])]


# Files a data folder may hold that c2c reads; anything else in a folder is skipped with a notice.
DATA_SUFFIXES = (".csv", ".xlsx", ".xml")
# A reader's refusal that means "not indicator data at all" (a demo file, a readme table, a spreadsheet of
# another layout): for a file found in a folder it is a skip with a notice, for a file named on the command
# line it stays an error.
NOT_DATA = {"missing-column", "unknown-column", "not-open-sdg", "not-sdmx-ml"}


@dataclass
class Expanded:
    files: list[Path]
    skipped: dict[str, str] = field(default_factory=dict)  # file -> why, said as a notice
    from_folder: set[Path] = field(default_factory=set)


def expand_paths(paths: list[Path]) -> Expanded:
    """Folders expand to their data files: an Open SDG site's `data/` folder when there is one (the site's
    folder or `data/` itself may be given), else the folder's own files. Hidden files are ignored; other
    non-data files (readme, licence, metadata) are listed as skipped."""
    out = Expanded([])
    for p in paths:
        if not p.is_dir():
            out.files.append(p)
            continue
        base = p / "data" if (p / "data").is_dir() else p
        for f in sorted(base.iterdir()):
            if f.name.startswith(".") or f.is_dir():
                continue
            if f.suffix.lower() in DATA_SUFFIXES:
                out.files.append(f)
                out.from_folder.add(f)
            else:
                out.skipped[str(f)] = "not a data file (CSV, XLSX or SDMX-ML)"
    return out


def expand(paths: list[Path]) -> list[Path]:
    return expand_paths(paths).files


def read_batch(paths: list[Path], fmt: str, encoding: str | None, progress: Any = None,
               from_folder: set[Path] | None = None, structure: Path | None = None
               ) -> tuple[list[Parsed], list[Finding], dict[str, str]]:
    parsed, findings, skipped_files = [], [], {}
    from_folder = from_folder or set()
    open_sdg_dirs = {p.parent for p in paths if open_sdg_code(p)}
    for i, path in enumerate(paths):
        if progress is not None:
            progress(i, len(paths), path.name)
        if not path.exists():
            findings.append(Finding("no-such-file", str(path), "no such file"))
            continue
        f = detect_format(path, encoding) if fmt == "auto" else fmt
        if f in ("auto", "csv", "open-sdg") and path.parent in open_sdg_dirs and not open_sdg_code(path) \
                and path.suffix.lower() == ".csv":
            # Open SDG sites ship other CSVs beside the indicators (e.g. demo_indicator.csv): report them.
            skipped_files[str(path)] = "in an Open SDG folder but not named indicator_G-T-I.csv"
            continue
        if f == "sdmx-ml" and path in from_folder and root_kind(path) == "structure":
            skipped_files[str(path)] = "an SDMX structure message (read as the structure of the data beside it)"
            continue
        try:
            p = STRUCTURED[f](path, encoding, structure) if f in STRUCTURED else READERS[f](path, encoding)
        except ReadError as exc:
            if path in from_folder and exc.finding.code in NOT_DATA:
                skipped_files[str(path)] = f"not indicator data ({exc.finding.message})"
                continue
            findings += exc.findings
            continue
        p.fmt = f
        findings += p.findings
        parsed.append(p)
    return parsed, findings, skipped_files


def content_hash(files: list[Path], stop: threading.Event | None = None) -> str:
    """sha256 over each file's name, a NUL and its bytes, in order; read in chunks, never whole.

    Returns "" as soon as `stop` is set (a refused batch needs no hash)."""
    digest = hashlib.sha256()
    for p in files:
        digest.update(p.name.encode() + b"\0")
        with p.open("rb") as fh:
            while chunk := fh.read(1 << 22):
                if stop is not None and stop.is_set():
                    return ""
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


@contextmanager
def _hashing(files: list[Path], wanted: bool) -> Iterator[Future[str] | None]:
    """The batch's content hash (`content_hash`), worked out in a thread while the batch is read and checked
    (hashlib lets go of the GIL), so that it runs beside the reader's one-core steps (reading the bytes,
    counting fields) rather than competing with polars and DuckDB for the cores later. Leaving the block stops
    it at its next chunk: a refused or unchanged batch needs no hash, a loaded one has it. None if not `wanted`."""
    if not wanted:
        yield None
        return
    stop = threading.Event()
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        yield pool.submit(content_hash, files, stop)
    finally:
        stop.set()
        pool.shutdown(wait=False)


def ingest(con: DuckDBPyConnection, cat: Catalogue, paths: list[Path], mapping: Mapping, fmt: str = "auto",
           encoding: str | None = None, strict: bool = False, dry_run: bool = False,
           source_note: str | None = None, progress: Any = None, structure: Path | None = None) -> Summary:
    found = expand_paths(paths)
    files = found.files
    summary = Summary([str(p) for p in files])
    if not files:
        raise InputRejected([Finding("no-files", " ".join(map(str, paths)), "no data files found")]
                            + [Finding("skipped-file", f, why, severity="notice") for f, why in found.skipped.items()])
    # The vintage's content hash is worked out in a thread from the start (`_hashing`); a dry run writes no
    # vintage and needs none.
    with _hashing(files, not dry_run) as digest:
        parsed, findings, summary.skipped_files = read_batch(files, fmt, encoding, progress, found.from_folder,
                                                             structure)
        summary.skipped_files = {**found.skipped, **summary.skipped_files}
        # A file left out on purpose is said in the summary, and in the report as a notice.
        summary.findings += [Finding("skipped-file", f, why, severity="notice")
                             for f, why in summary.skipped_files.items()]
        if progress is not None:
            progress(len(files), len(files), "validating")
        if findings:
            raise InputRejected(findings + summary.findings)
        frame = pl.concat([p.frame for p in parsed]) if parsed else pl.DataFrame()
        summary.rows_read = frame.height
        for p in parsed:
            summary.notes += [f"{Path(p.frame['_file'][0]).name if p.frame.height else ''}: {n}" for n in p.notes]
        cities = {r[0] for r in con.execute("SELECT city_id FROM cities").fetchall()}
        mapping = _areas_by_name(con, parsed, mapping, summary.notes)
        # A mapping file that names an indicator or a city the workspace lacks is refused with its file and line.
        city_codes = {i.observation_code for i in cat.indicators.values() if i.family == "city"}
        bad_map = mapping.findings(city_codes, cities) if mapping.path else []
        if bad_map:
            raise InputRejected(bad_map + summary.findings)
        frame, local = _split_local(frame, mapping, cities, summary)
        summary.review = sorted(mapping.review)
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
        local_rows, local_defs = _local_changes(con, local, summary)
        if good.height:
            per = good.group_by("code").agg(pl.len().alias("n")).sort("code")
            summary.loaded_where.insert(0, f"catalogue: {per.height} indicator(s), {good.height} row(s) ("
                                        + ", ".join(f"{c} {n}" for c, n in per.iter_rows()) + ")")
        if good.height == 0 and targets.height == 0 and local is None:
            summary.notes.append("nothing to load")
            return summary
        cur = _current(con, good) if good.height else None
        if cur is None and good.height:  # nothing stored yet for these codes: every row is new
            counts = good.select((pl.col("action") == "D").sum().alias("d"),
                                 ((pl.col("action") != "D") & pl.col("value").is_null()).sum().alias("m")).row(0)
            summary.new, summary.missing_values = good.height - counts[0], counts[1]
            to_write = good.filter(pl.col("action") != "D")
        elif cur is not None:
            # In the batch's order (validation sorted it as the store keeps it), so the insert needs no sort.
            # (The stored keys as the batch's enums: they are the batch's own keys, found in the store.)
            cur = cur.cast({c: good.schema[c] for c in ("code", "city_id", "period", "disagg")})
            joined = good.join(cur, on=["code", "city_id", "period", "disagg"], how="left", maintain_order="left")
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
        summary.already_held = (to_write.height == 0 and new_targets.height == 0 and local_rows.height == 0
                                and local_defs.height == 0)
        if dry_run or summary.already_held:
            return summary
        with transaction(con):
            vid = new_vintage(con, "observations", source_note or ", ".join(str(p) for p in paths[:20]),
                              None, to_write.height)
            assert digest is not None  # (only a dry run has none, and it returned above)
            con.execute("UPDATE vintages SET content_hash = ? WHERE vintage_id = ?", [digest.result(), vid])
            if to_write.height:
                insert_frame(con, "observations", to_write, in_order=True, vintage_id=vid)
            if new_targets.height:
                insert_frame(con, "targets", new_targets, vintage_id=vid)
            if local_rows.height:
                insert_frame(con, "local_observations", local_rows, vintage_id=vid)
            if local_defs.height:
                insert_frame(con, "local_indicators", local_defs, vintage_id=vid)
        keep_clustered(con, "observations", to_write.height)  # one partnership's read skips the other cities
        summary.vintage_id = vid
        return summary


def _split_local(frame: pl.DataFrame, mapping: Mapping, cities: set[str], summary: Summary
                 ) -> tuple[pl.DataFrame, LocalBatch | None]:
    """Take the mapping's `local:` series out of the batch (checked on their own) and drop its `skip:` ones."""
    if frame.height == 0 or not (mapping.locals or mapping.skips):
        return frame, None
    sc = pl.col("source_code")
    skipped = frame.filter(sc.is_in(list(mapping.skips))).group_by("source_code").agg(pl.len()).sort("source_code")
    for code, n in skipped.iter_rows():
        summary.skipped[f"series {code!r} left out by the mapping ({mapping.skips[code]})"] = n
    rows = frame.filter(sc.is_in(list(mapping.locals)))
    rest = frame.filter(~sc.is_in(list(mapping.locals) + list(mapping.skips)))
    if rows.height == 0:
        return rest, None
    batch = check_local(rows, mapping, cities)
    if batch.findings:
        raise InputRejected(batch.findings + summary.findings)
    summary.notes += batch.notes
    per = batch.rows.group_by("city_id").agg(pl.col("code").n_unique().alias("s"), pl.len().alias("n")).sort("city_id")
    summary.loaded_where += [f"local indicators of {c}: {s} series, {n} row(s)" for c, s, n in per.iter_rows()]
    return rest, batch


def _local_changes(con: DuckDBPyConnection, batch: LocalBatch | None, summary: Summary
                   ) -> tuple[pl.DataFrame, pl.DataFrame]:
    if batch is None:
        return pl.DataFrame(), pl.DataFrame()
    rows, defs, unchanged = local_changes(con, batch)
    summary.local_new, summary.local_defs, summary.local_unchanged = rows.height, defs.height, unchanged
    return rows, defs
# Words around a place name in code lists ("City of Kigali", "Kigali City", "Ville de Lyon").
_PLACE_WORDS = re.compile(r"\b(city of|city|ville de|ville|ciudad de|ciudad|cidade de|cidade|municipality of|"
                          r"municipality|municipio de|municipio|commune de|district|province|region|stadt)\b")


def _place(name: str) -> str:
    from c2c_monitor.definitions.units import unit_key

    return re.sub(r"[^0-9a-z]+", " ", _PLACE_WORDS.sub(" ", unit_key(name))).strip()


def _areas_by_name(con: DuckDBPyConnection, parsed: list[Parsed], mapping: Mapping, notes: list[str]) -> Mapping:
    """Areas a source names in its code list (SDMX-ML REF_AREA: '1' is 'City of Kigali') are matched to the
    workspace city of that name, when exactly one code names it; an explicit --map entry always wins."""
    names: dict[str, str] = {}
    for p in parsed:
        names.update(p.area_names)
    if not names:
        return mapping
    cities: dict[str, list[str]] = {}
    for city_id, name in con.execute("SELECT city_id, name FROM cities").fetchall():
        for key in {_place(name), _place(city_id)}:
            if key:
                cities.setdefault(key, []).append(city_id)
    by_city: dict[str, list[str]] = {}
    for code, name in names.items():
        if code in mapping.areas:
            continue
        hits = set(cities.get(_place(name), []))
        if len(hits) == 1:
            by_city.setdefault(hits.pop(), []).append(code)
    if not by_city:
        return mapping
    areas = dict(mapping.areas)
    for city, codes in sorted(by_city.items()):
        if len(codes) == 1:
            areas[codes[0]] = city
            notes.append(f"area {codes[0]!r} ({names[codes[0]]}) read as city {city!r} by its code-list name")
        else:
            notes.append(f"areas {', '.join(map(repr, codes))} all name city {city!r}: map one with --map")
    return dataclasses.replace(mapping, areas=areas)  # keeps the file's locals, skips and lines


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
