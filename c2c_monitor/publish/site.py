"""Build the public transparency report into a folder, all or nothing.

The site is written to a hidden folder beside the target and renamed into
place at the end, so a reader (or a web server) sees the old site or the new
one, never half of each; an interrupted run leaves only the hidden folder.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from c2c_monitor import __version__
from c2c_monitor.definitions import sdmx_codes
from c2c_monitor.definitions.catalog import Catalogue
from c2c_monitor.definitions.principles import Framework
from c2c_monitor.definitions.rules import RULES
from c2c_monitor.errors import C2CError
from c2c_monitor.ingest.validate import OBS_STATUS
from c2c_monitor.publish import open_sdg, opendata, sdmx
from c2c_monitor.publish.council import council_page
from c2c_monitor.publish.pdf import FONT_DIR, PDF_ENGINES
from c2c_monitor.publish.site_pages import (
    Alternate,
    DataFile,
    DataReadmePage,
    FrameworkSummary,
    IndexPage,
    IndexRow,
    IndicatorDefinition,
    MethodologyPage,
    PartnershipPage,
    PublicScoreboard,
    SiteInfo,
    SitePage,
    Spark,
    Vintage,
    VintagesPage,
)
from c2c_monitor.render.countries import country_names
from c2c_monitor.render.html import environment, render_page
from c2c_monitor.render.i18n import LANGUAGES, NATIVE_NAME, Translator
from c2c_monitor.render.localise import localise_scoreboard
from c2c_monitor.render.svg import principle_rounds, sparkline
from c2c_monitor.score.assess import build_scoreboards, workspace_catalogue
from c2c_monitor.score.scoreboard import ListName, Scoreboard
from c2c_monitor.store import catalog_cache, reads
from c2c_monitor.store.atomic import current_umask
from c2c_monitor.store.beside import new_cursor
from c2c_monitor.store.workspace import DEFAULT_TITLE, Workspace

if TYPE_CHECKING:
    import polars as pl
    from duckdb import DuckDBPyConnection

MARKER = ".c2c-site"
# The marker's first line; the lines after it list the files the run wrote (what the next run may replace).
MARKER_HEAD = "made by c2c publish; replaced as a whole on the next run\n"
# What a site written before the marker listed its files holds; anything else there is the user's.
LEGACY_TOOL_ENTRIES = {"assets", "partnerships", "data", "pdf", "index.html", "methodology.html", "vintages.html",
                       "datapackage.json", MARKER}
# Vintages whose source names come from workshop files stay out of the public list.
PRIVATE_KINDS = {"ratings", "agreed", "action"}
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass
class Summary:
    output: Path
    pages: int = 0
    pdfs: int = 0
    pdf_engine: str = ""
    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # files not written by c2c publish, carried over
    removed: list[str] = field(default_factory=list)  # ... or, with clean=True, removed


def slug(pid: str) -> str:
    s = _SAFE.sub("-", pid).strip(".-") or "partnership"
    return s[:80]


def _vintages(con: DuckDBPyConnection, as_of: int | None) -> list[Vintage]:
    rows = reads.vintages(con, as_of)
    return [Vintage(id=r[0], created=r[1].strftime("%Y-%m-%d %H:%M"), kind=r[2],
                    # A local path says nothing to the public and may name a person's folder; keep the file name.
                    source=Path(str(r[3] or "")).name if r[2] != "demo" else r[3], sha256=r[4], rows=r[5])
            for r in rows if r[2] not in PRIVATE_KINDS]


def _sparks(sb: Scoreboard, lang: str = "en") -> list[Spark]:
    out = []
    for r in sb.indicators:
        if r.family != "city" or sum(v is not None for _, v in r.series) < 2:
            continue
        uid = f"{r.id}-{r.city_id}"
        out.append(Spark(title=r.title, city=r.city_name or "", svg=sparkline(
            r.series, r.end_value, r.unit, f"{r.title}, {r.city_name}", uid, lang)))
    return out


def _write_scoreboards(path: Path, sbs: list[Scoreboard]) -> None:
    """The scoreboards as one JSON array, written one scoreboard at a time: for 1,000 partnerships the array is
    some 60 MB, and joining it into one string first (then encoding it) took 0.4 s where this takes 0.17 s."""
    with path.open("wb") as f:
        f.write(b"[\n")
        for k, sb in enumerate(sbs):
            if k:
                f.write(b",\n")
            f.write(sb.model_dump_json().encode())
        f.write(b"\n]\n")


def _site_in(site: SiteInfo, lang: str) -> SiteInfo:
    """`site` for pages in `lang`: the title `c2c init` writes (`DEFAULT_TITLE`) is the interface's own text, so
    a French page says it in French; a title someone set (c2c.toml, --title) is shown as written."""
    if site.title != DEFAULT_TITLE:
        return site
    _ = Translator(lang)
    return site.model_copy(update={"title": _("City-to-city partnerships")})


def _principle_chart(sb: Scoreboard, lang: str = "en") -> str:
    if sb.round_id is None:
        return ""
    rounds = ([sb.previous_round_id] if sb.previous_round_id else []) + [sb.round_id]
    scores = {sb.round_id: {p.id: p.score for p in sb.principles}}
    if sb.previous_round_id:
        scores[sb.previous_round_id] = {p.id: p.previous_score for p in sb.principles}
    return principle_rounds([(p.id, p.title) for p in sb.principles], rounds, scores, lang)


class _ObservationsRead:
    """The open data's observation rows, read by DuckDB on a connection and thread of its own while this one
    scores or renders: DuckDB leaves Python's lock while it works, so the read (a third of a one-partnership
    publish in the 96.6 M workspace) overlaps the Python work instead of following it. Same statement, same
    rows; `result()` waits for them. The series files made from them (SDMX, Open SDG: polars, which also
    leaves the lock while it sorts and writes) follow on that thread, while the pages are rendered."""

    def __init__(self, con: DuckDBPyConnection, city_ids: list[str], cat: Catalogue, as_of: int | None) -> None:
        self.key = (city_ids, as_of)
        self._cursor = new_cursor(con)  # a connection of its own to the same database: a cursor is one thread's
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="c2c-observations")
        self._future: Future[pl.DataFrame] = self._pool.submit(opendata.observations, self._cursor, city_ids, cat,
                                                               as_of)
        self._files: Future[tuple[list[dict[str, Any]], list[str]]] | None = None

    def result(self) -> pl.DataFrame:
        return self._future.result()

    def start_series_files(self, tmp: Path, cat: Catalogue, city_names: dict[str, str]) -> None:
        self._files = self._pool.submit(self._series_files, tmp, cat, city_names)

    def _series_files(self, tmp: Path, cat: Catalogue,
                      city_names: dict[str, str]) -> tuple[list[dict[str, Any]], list[str]]:
        obs = self._future.result()
        notes: list[str] = []
        return _sdmx_files(tmp, obs, cat, city_names, notes) + _open_sdg_files(tmp, obs, cat, city_names, notes), notes

    def series_files(self) -> tuple[list[dict[str, Any]], list[str]]:
        """The datapackage entries of the series files and the notes their export made, once written."""
        assert self._files is not None, "start_series_files first"
        return self._files.result()

    def close(self) -> None:
        """Stop the read if nobody took its rows (the publish failed first), and release its connection."""
        if not self._future.done():
            self._cursor.interrupt()
        self._pool.shutdown(wait=True)
        self._cursor.close()


def _city_names(sbs: list[Scoreboard]) -> dict[str, str]:
    return {c.id: c.name for sb in sbs for c in sb.partnership.cities}


def _parquet_files(tmp: Path, resources: list[opendata.Resource], obs: Any) -> list[dict[str, Any]]:
    """data/parquet/: the indicator figures and the observation series as Parquet; their datapackage entries."""
    out = []
    series = opendata.Resource("observations", "data/parquet/observations.parquet",
                               "Indicator series of the partner cities (current values)", obs,
                               ["code", "city_id", "period", "disagg"], partnership_key=False)
    for r in [*(r for r in resources if r.name == "indicators"), series]:
        copy = opendata.Resource(r.name, f"data/parquet/{r.name}.parquet", r.description, r.frame, r.primary_key,
                                 r.partnership_key, r.fields)
        opendata.write_parquet(r.frame, tmp / copy.path, opendata.PARQUET_ORDER[r.name])
        out.append(opendata.parquet_resource(copy))
    return out


def _sdmx_files(tmp: Path, obs: Any, cat: Catalogue, city_names: dict[str, str],
                notes: list[str]) -> list[dict[str, Any]]:
    """data/sdmx/: the SDMX-CSV data and its SDMX-ML structure; their datapackage entries."""
    export = sdmx.sdmx_csv(obs, cat)
    notes += export.notes
    res = opendata.Resource(
        "observations-sdmx", "data/sdmx/observations.csv",
        f"Indicator series of the partner cities as SDMX-CSV 2.0 (structure {sdmx_codes.STRUCTURE_ID} in "
        "data/sdmx/structure.xml)", export.data, [*sdmx.DIMENSIONS, "TIME_PERIOD"], partnership_key=False,
        fields={"TIME_PERIOD": {"pattern": sdmx.PERIOD_PATTERN, "description": "SDMX time period"},
                "FREQ": {"constraints": {"enum": list(sdmx_codes.FREQ)}},
                "SEX": {"constraints": {"enum": list(sdmx_codes.SEX)}},
                "ACTION": {"constraints": {"enum": ["I", "A", "R", "D"]}},
                "OBS_VALUE": {"description": "Value in UNIT_MEASURE"},
                "UNIT_MEASURE": {"constraints": {"enum": [c for c, _ in sdmx_codes.UNIT_CODES.values()]}},
                "OBS_STATUS": {"constraints": {"enum": list(OBS_STATUS)}}})
    opendata.write_csv(res.frame, tmp / res.path)
    (tmp / "data" / "sdmx" / "structure.xml").write_bytes(sdmx.structure_xml(
        export.data, cat, city_names, datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")))
    return [opendata.tabular(res, "application/vnd.sdmx.data+csv;version=2.0.0"),
            {"name": "sdmx-structure", "path": "data/sdmx/structure.xml", "type": "file", "format": "xml",
             "mediatype": "application/vnd.sdmx.structure+xml;version=2.1", "encoding": "utf-8",
             "description": "SDMX-ML 2.1 structure of observations-sdmx: dataflow, DSD, concepts, code lists"}]


def _open_sdg_files(tmp: Path, obs: Any, cat: Catalogue, city_names: dict[str, str],
                    notes: list[str]) -> list[dict[str, Any]]:
    """data/open-sdg/: data/indicator_*.csv and meta/*.md as sdg-build reads them; their datapackage entries."""
    export = open_sdg.open_sdg(obs, cat, city_names)
    notes += export.notes
    out: list[dict[str, Any]] = []
    for name, df in sorted(export.data.items()):
        res = opendata.Resource("open-sdg-" + name.removesuffix(".csv").replace("_", "-").lower(),
                                f"data/open-sdg/data/{name}", "Open SDG data file", df, [], partnership_key=False,
                                fields={"Year": {"description": "Year"},
                                        "Quarter": {"constraints": {"minimum": 1, "maximum": 4}},
                                        "Series": {"description": "Indicator id of the c2c catalogue"},
                                        "GeoCode": {"description": "City id"}})
        opendata.write_csv(df, tmp / res.path)
        out.append(opendata.tabular(res))
    for name, text in sorted(export.meta.items()):
        path = tmp / "data" / "open-sdg" / "meta" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        out.append({"name": "open-sdg-meta-" + name.removesuffix(".md").lower(),
                    "path": f"data/open-sdg/meta/{name}", "type": "file", "format": "md",
                    "mediatype": "text/markdown", "encoding": "utf-8",
                    "description": "Open SDG metadata (YAML front matter)"})
    return out


def _index_row(sb: Scoreboard) -> IndexRow:
    scored = [p.score for p in sb.principles if p.score is not None]
    harm = [r for r in sb.indicators if r.harmonised and r.score is not None]
    cities = " – ".join(f"{c.name} ({c.country})" if c.country else c.name for c in sb.partnership.cities)
    return IndexRow(slug=slug(sb.partnership.id), name=sb.partnership.name, cities=cities,
                    theme=sb.partnership.theme, sdgs=list(dict.fromkeys(sb.partnership.sdgs)), round_id=sb.round_id,
                    principle_mean=sum(scored) / len(scored) if scored else None,
                    green=sum(r.light == "green" for r in harm), scored=len(harm))


def _pdf_job(args: tuple[Path, Path, Path]) -> Path:
    from c2c_monitor.publish.pdf import write_pdf

    page, out, root = args
    write_pdf(page.read_text(encoding="utf-8"), out, page.parent, root)
    return out


def _weasyprint_pdfs(jobs: list[tuple[Path, Path]], root: Path, workers: int) -> None:
    args = [(page, out, root) for page, out in jobs]
    if workers <= 1 or len(jobs) < 4:
        for a in args:
            _pdf_job(a)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # spawn, not fork: the parent holds a DuckDB connection and its threads.
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        list(pool.map(_pdf_job, args, chunksize=max(1, len(jobs) // (workers * 4))))


def _render_pdfs(jobs: list[tuple[Path, Path]], root: Path, workers: int, engine: str, summary: Summary) -> None:
    """(page, pdf) pairs, the pages already written under `root`: by Chromium when there is one (about
    5x faster), else by WeasyPrint, which always works."""
    from c2c_monitor.publish.pdf_chromium import ChromiumError, find_chromium, print_pdfs

    if engine == "chromium" or (engine == "auto" and find_chromium()):
        try:
            # The browser's profile sits beside the site, where a killed run's leftovers are cleared; made
            # here (mkdtemp: new, unpredictable) so that a planted symlink can never become the profile.
            profile = _private_dir(root.parent, root.name.removeprefix(".").split(".tmp-")[0], "chromium")
            try:
                print_pdfs(jobs, [root], tabs=max(2, workers), profile=profile)
            finally:
                shutil.rmtree(profile, ignore_errors=True)
            summary.pdf_engine = "chromium"
            return
        except ChromiumError as e:
            if engine == "chromium":
                raise
            summary.notes.append(f"Chromium failed ({e.message}); the PDFs were made with WeasyPrint instead")
    _weasyprint_pdfs(jobs, root, workers)
    summary.pdf_engine = "weasyprint"


def _prepare_target(out: Path) -> None:
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MARKER).exists())):
        raise C2CError(f"{out} exists and is not a site made by c2c publish",
                       hint="choose an empty or new folder; c2c publish only replaces its own output")


def _private_dir(parent: Path, name: str, kind: str) -> Path:
    """A new folder `.NAME.KIND-PID-RANDOM` beside the site: created by mkdtemp (never an existing path, so a
    planted symlink is never followed), its pid telling a later run whether its maker is still alive."""
    return Path(tempfile.mkdtemp(prefix=f".{name}.{kind}-{os.getpid()}-", dir=parent))


def _remove_leftovers(out: Path) -> None:
    """Folders left by a publish that was killed (its process is gone) are removed; a live one's are kept.

    Only real folders owned by this user are removed: a symlink or someone else's folder planted at such a
    name is not ours to delete.
    """
    for p in out.parent.glob(f".{out.name}.*-*"):
        kind, _, rest = p.name.removeprefix(f".{out.name}.").partition("-")
        pid = rest.split("-")[0]
        try:
            st = p.lstat()
        except OSError:
            continue
        if kind not in ("tmp", "old", "chromium") or not pid.isdigit() or not stat.S_ISDIR(st.st_mode) \
                or st.st_uid != os.getuid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(p, ignore_errors=True)
        except PermissionError:  # alive, someone else's
            pass


def _tool_files(out: Path) -> set[str] | None:
    """The files an earlier run listed in its marker, or None for a site from before the list."""
    try:
        lines = (out / MARKER).read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    return set(lines[1:]) | {MARKER} if len(lines) > 1 else None


def _user_entries(out: Path) -> list[str]:
    """Files and folders inside an earlier site that c2c publish did not write (a `.git/`, a `CNAME`)."""
    if not out.is_dir():
        return []
    listed = _tool_files(out)
    found: list[str] = []

    def walk(d: Path) -> None:
        for p in sorted(d.iterdir()):
            rel = p.relative_to(out).as_posix()
            if listed is None:
                if rel not in LEGACY_TOOL_ENTRIES:
                    found.append(rel)
            elif p.is_dir() and not p.is_symlink():
                if any(f.startswith(rel + "/") for f in listed):
                    walk(p)
                else:
                    found.append(rel)
            elif rel not in listed:
                found.append(rel)

    walk(out)
    return found


def _swap_into_place(tmp: Path, out: Path, clean: bool, summary: Summary) -> None:
    """Rename the new site onto `out`, keeping the old folder's mode and the files c2c did not write there
    (unless `clean`: then they go with the old site, and the summary says which)."""
    if out.exists():
        os.chmod(tmp, stat.S_IMODE(out.stat().st_mode))
        for rel in _user_entries(out):
            if clean:
                summary.removed.append(rel)
                continue
            dst = tmp / rel
            if dst.exists() or dst.is_symlink():  # the new site writes that name: c2c's file wins
                summary.notes.append(f"{rel} in {out} was replaced by the file c2c publish writes there")
                continue
            dst.parent.mkdir(parents=True, exist_ok=True)
            (out / rel).rename(dst)  # same folder tree, same file system: a rename, even for a big .git/
            summary.kept.append(rel)
        old = _private_dir(out.parent, out.name, "old")
        out.rename(old)  # onto the empty folder we just made
        tmp.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        # mkdtemp's 0700 would hide a new site from the web server; give it what mkdir would have.
        os.chmod(tmp, 0o777 & ~current_umask())
        tmp.rename(out)


def publish(ws: Workspace, pids: list[str] | None, out: Path, *, pdf: bool = True, as_of: int | None = None,
            list_name: ListName = "simplified", title: str | None = None, workers: int | None = None,
            pdf_engine: str = "auto", progress: Callable[[int, int, str], None] | None = None,
            clean: bool = False, langs: list[str] | None = None,
            parquet: bool = False) -> Summary:
    out = out.resolve()
    _prepare_target(out)  # again in write_site; here so that a wrong folder fails before the scoring
    all_ids = reads.partnership_ids(ws.con)
    pids = list(dict.fromkeys(pids)) if pids else all_ids
    if not pids:
        raise C2CError("the workspace has no partnerships to publish")
    slugs = [slug(p) for p in pids]
    if len(set(slugs)) != len(slugs):
        raise C2CError("two partnership ids give the same file name; rename one of them")
    cat = workspace_catalogue(ws)
    fw = catalog_cache.framework()
    # The open data's observations of these partnerships' cities are read while the scoring runs.
    rows = reads.partnership_rows(ws.con, pids)
    obs = _ObservationsRead(ws.con, sorted({c for r in rows.values() for c in (r[7], r[10])}), cat, as_of)
    try:
        sbs = build_scoreboards(ws, pids, list_name, as_of=as_of, catalogue=cat, framework=fw)
    except BaseException:
        obs.close()
        raise
    return write_site(ws, sbs, out, cat, fw, pdf=pdf, as_of=as_of, title=title, workers=workers,
                      pdf_engine=pdf_engine, progress=progress, clean=clean, langs=langs, parquet=parquet,
                      observations=obs)


def write_site(ws: Workspace, sbs: list[Scoreboard], out: Path, cat: Catalogue, fw: Framework, *, pdf: bool = True,
               as_of: int | None = None, title: str | None = None, workers: int | None = None,
               pdf_engine: str = "auto", progress: Callable[[int, int, str], None] | None = None,
               clean: bool = False, langs: list[str] | None = None,
            parquet: bool = False, observations: _ObservationsRead | None = None) -> Summary:
    """Everything after scoring: pages, charts, PDFs and open data (with `parquet`, also the
    indicators and observations as Parquet), swapped into `out` at the end.

    `langs` (default: the workspace's language): the first language's pages are at the top of the site, each
    further language's in a folder named after it (`fr/index.html`, `fr/partnerships/...`, `fr/pdf/...`), with
    a language switch and `hreflang` links on every page; assets and open data are shared (one copy, at the
    top). Files in `out` that an earlier run did not write are kept, unless `clean`. `observations`: the read
    `publish` started for these scoreboards' cities (else it starts here, and overlaps the pages)."""
    city_names = _city_names(sbs)
    if observations is not None and observations.key != (sorted(city_names), as_of):
        observations.close()
        observations = None
    obs_read = observations or _ObservationsRead(ws.con, sorted(city_names), cat, as_of)
    try:
        return _write_site(ws, sbs, out, cat, fw, pdf=pdf, as_of=as_of, title=title, workers=workers,
                           pdf_engine=pdf_engine, progress=progress, clean=clean, langs=langs, parquet=parquet,
                           obs_read=obs_read, city_names=city_names)
    finally:
        obs_read.close()


def _write_site(ws: Workspace, sbs: list[Scoreboard], out: Path, cat: Catalogue, fw: Framework, *, pdf: bool,
                as_of: int | None, title: str | None, workers: int | None, pdf_engine: str,
                progress: Callable[[int, int, str], None] | None, clean: bool, langs: list[str] | None,
                parquet: bool, obs_read: _ObservationsRead, city_names: dict[str, str]) -> Summary:
    if pdf_engine not in PDF_ENGINES:
        raise C2CError(f"unknown PDF engine {pdf_engine!r}", hint="one of " + ", ".join(PDF_ENGINES))
    con = ws.con
    out = out.resolve()
    _prepare_target(out)
    langs = list(dict.fromkeys(langs or [ws.config.language]))
    for lg in langs:
        if lg not in LANGUAGES:
            raise C2CError(f"unknown language {lg!r}", hint="one of " + ", ".join(LANGUAGES))
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    vintages = _vintages(con, as_of)
    # --title, else c2c.toml's `title`; only a workspace made before that setting falls back to its name.
    site_title = title or ws.config.title or f"{ws.config.name}: city-to-city partnerships"
    site = SiteInfo(title=site_title, generated_at=generated,
                    tool_version=__version__, catalog_version=cat.version, framework_version=fw.version,
                    rules_version=RULES.version, licence=ws.config.licence,
                    vintages=sorted({v for sb in sbs for v in sb.vintages_used}))

    _remove_leftovers(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = _private_dir(out.parent, out.name, "tmp")
    summary = Summary(output=out)
    try:
        (tmp / "assets" / "fonts").mkdir(parents=True)
        (tmp / "partnerships").mkdir()
        (tmp / "data").mkdir()
        obs_read.start_series_files(tmp, cat, city_names)
        for f in FONT_DIR.glob("*"):
            shutil.copy2(f, tmp / "assets" / "fonts" / f.name)
        env = environment()
        assert env.loader is not None  # environment() always sets the package loader
        (tmp / "assets" / "site.css").write_text(env.loader.get_source(env, "site/site.css")[0],
                                                 encoding="utf-8")
        def folder(lg: str) -> str:
            return "" if lg == langs[0] else f"{lg}/"

        made = {tmp, tmp / "partnerships", tmp / "data"}  # folders known to exist: one mkdir each, not one a page
        sites = {lg: _site_in(site, lg) for lg in langs}  # the header and footer each language's pages share

        def page(lang: str, path: str, model: type[SitePage], **fields: Any) -> Path:
            # The model checks the fields: a page is given only what its public model declares.
            full = folder(lang) + path
            root = "../" * full.count("/")
            alternates = [Alternate(lang=lg, name=NATIVE_NAME[lg], href=root + folder(lg) + path)
                          for lg in langs] if len(langs) > 1 else []
            html = render_page(environment(lang=lang), model(
                site=sites[lang], lang=lang, root=root, home="../" * path.count("/"), alternates=alternates, **fields))
            target = tmp / full
            if target.parent not in made:
                target.parent.mkdir(parents=True, exist_ok=True)
                made.add(target.parent)
            target.write_text(html, encoding="utf-8")
            summary.pages += 1
            return target

        by_id = {v.id: v for v in vintages}
        jobs = []
        for lang in langs:
            countries = country_names(con, sorted(city_names), lang, ws.config.language)
            lsbs = [localise_scoreboard(sb, lang, fw, cat, countries) for sb in sbs]
            page(lang, "index.html", IndexPage, rows=[_index_row(sb) for sb in lsbs])
            page(lang, "methodology.html", MethodologyPage, fw=FrameworkSummary.of(fw),
                 indicators=[IndicatorDefinition.of(i, lang) for i in cat.ordered], rules=RULES.describe(),
                 min_group_size=ws.config.min_group_size, min_spread_size=ws.config.min_spread_size)
            page(lang, "vintages.html", VintagesPage, vintages=vintages)
            for k, sb in enumerate(lsbs):
                s = slug(sb.partnership.id)
                page(lang, f"partnerships/{s}.html", PartnershipPage, sb=PublicScoreboard.of(sb), slug=s,
                               has_pdf=pdf, chart_principles=_principle_chart(sb, lang), sparks=_sparks(sb, lang),
                               vintages=[by_id[v] for v in sb.vintages_used if v in by_id])
                if pdf:
                    # The PDF is the council summary, laid out from its own page (written beside the PDF and
                    # removed once printed), not the web page printed.
                    pdf_dir = tmp / f"{folder(lang)}pdf"
                    pdf_dir.mkdir(parents=True, exist_ok=True)
                    council = pdf_dir / f"{s}.html"
                    council.write_text(render_page(environment(lang=lang), council_page(
                        sb, sites[lang], lang, s, _principle_chart(sb, lang),
                        root="../" * (folder(lang).count("/") + 1))),
                        encoding="utf-8")
                    jobs.append((council, pdf_dir / f"{s}.pdf"))
                if progress:
                    progress(k + 1, len(sbs), "pages")

        resources = opendata.figures(sbs)
        for r in resources:
            opendata.write_csv(r.frame, tmp / r.path)
        described = [opendata.tabular(r) for r in resources]
        if parquet:
            described += _parquet_files(tmp, resources, obs_read.result())
        series, notes = obs_read.series_files()
        described += series
        summary.notes += notes
        _write_scoreboards(tmp / "data" / "scoreboards.json", sbs)
        described.append({"name": "scoreboards", "path": "data/scoreboards.json", "type": "json", "format": "json",
                          "mediatype": "application/json", "encoding": "utf-8",
                          "description": "The scoreboards (c2c assess --format json schema), one per partnership"})
        if ws.config.iati is not None and ws.config.iati.reporting_org.ref:
            # Only when the workspace says who reports: an activity without a reporting org is invalid IATI.
            from c2c_monitor.publish.iati import city_iso2, write_iati

            for xml_path in write_iati(sbs, ws.config.iati, city_iso2(con, sbs), tmp / "iati", langs[0]):
                described.append({"name": "iati-" + xml_path.stem.lower().replace("_", "-"),
                                  "path": xml_path.relative_to(tmp).as_posix(), "type": "file", "format": "xml",
                                  "mediatype": "application/xml",
                                  "description": "IATI 2.03 activity file of one partnership (results)"})
        # pdf/x.pdf is "pdf-x"; another language's fr/pdf/x.pdf is "pdf-fr-x" (resource names are unique).
        described += [{"name": "pdf-" + "-".join(pdf_path.relative_to(tmp).with_suffix("").parts[:-2]
                                                  + (pdf_path.stem,)).lower().replace("_", "-"),
                       "path": pdf_path.relative_to(tmp).as_posix(), "type": "file", "format": "pdf",
                       "mediatype": "application/pdf",
                       "description": "Council summary of one partnership (2-4 pages)"} for _, pdf_path in jobs]
        (tmp / "datapackage.json").write_text(opendata.datapackage(
            slug(ws.config.name).lower() + "-c2c-monitoring", sites[langs[0]].title, ws.config.licence,
            datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), described), encoding="utf-8")
        for lang in langs:
            page(lang, "data/README.html", DataReadmePage,
                 resources=[DataFile(path=r.path, description=r.description, rows=r.rows) for r in resources])

        if jobs:
            _render_pdfs(jobs, tmp, workers or min(len(jobs), os.cpu_count() or 1), pdf_engine, summary)
            summary.pdfs = len(jobs)
            for council, _ in jobs:
                council.unlink()
        # The marker lists what this run wrote: the next run replaces those and keeps everything else.
        wrote = sorted(p.relative_to(tmp).as_posix() for p in tmp.rglob("*") if p.is_file())
        (tmp / MARKER).write_text(MARKER_HEAD + "".join(f"{f}\n" for f in wrote), encoding="utf-8")
        _swap_into_place(tmp, out, clean, summary)
    except BaseException:
        obs_read.close()  # its thread may still be writing series files into tmp
        # Only on failure: after the swap that name is no longer ours, and what is there is not ours to delete.
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    summary.files = sorted(p for p in out.rglob("*") if p.is_file())
    return summary
