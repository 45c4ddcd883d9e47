"""The `c2c` command. Thin: each command parses options and calls one library function.

Heavy libraries (polars, duckdb, jinja2, pydantic models) are imported inside
the commands so that `c2c --help` starts fast.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from .atomic import replacing

FORMATS_SCOREBOARD = ["table", "json", "html", "csv"]


def workspace_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option("--wait", type=click.FloatRange(0, 3600), default=0.0, show_default=True,
                     help="Seconds to wait if another c2c process is using the workspace.")(f)
    f = click.option("--workspace", "-w", "workspace", envvar="C2C_WORKSPACE", type=click.Path(),
                     help="Workspace folder (or set C2C_WORKSPACE).")(f)
    return f


@contextmanager
def opened(workspace: str | None, wait: float) -> Iterator[Any]:
    from .workspace import open_workspace, resolve_dir

    with open_workspace(resolve_dir(workspace), wait=wait) as ws:
        yield ws


def emit(text: str, output: str | None) -> None:
    """Data to stdout, or atomically to a file (written beside it, then renamed)."""
    if output is None or output == "-":
        click.echo(text, nl=False)
        return
    path = Path(output)
    with replacing(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    click.echo(f"wrote {path}", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="c2c-monitor", prog_name="c2c")
def cli() -> None:
    """Monitoring and evaluation of city-to-city partnerships.

    Self-assessment against the ten G20 Rome principles and SDG indicators
    (simplified and long lists) read as the distance to 2030 end values.
    """


@cli.command()
@click.argument("directory", type=click.Path())
@click.option("--demo", is_flag=True, help="Fill the workspace with the embedded 27-partnership demo.")
@click.option("--name", help="Workspace name (defaults to the folder name).")
def init(directory: str, demo: bool, name: str | None) -> None:
    """Create a workspace in DIRECTORY."""
    from .workspace import init_workspace, open_workspace

    root = init_workspace(Path(directory), name)
    if demo:
        from .demo import fill_demo

        with open_workspace(root) as ws:
            counts = fill_demo(ws.con)
        click.echo(f"demo loaded: {counts['partnerships']} partnerships, {counts['cities']} cities, "
                   f"{counts['observations']} observations, {counts['ratings']} ratings", err=True)
    click.echo(f"workspace ready: {root}", err=True)


@cli.command("demo")
@click.argument("directory", type=click.Path(), required=False)
@click.option("--partnership", default="bonn-cape-coast", show_default=True)
def demo_cmd(directory: str | None, partnership: str) -> None:
    """Build a fresh demo workspace, assess one partnership and write its HTML scoreboard."""
    import tempfile

    from .assess import build_scoreboard, store_snapshot
    from .demo import fill_demo
    from .render import RENDERERS
    from .workspace import init_workspace, open_workspace

    root = Path(directory) if directory else Path(tempfile.mkdtemp(prefix="c2c-demo-")) / "workspace"
    init_workspace(root, "demo")
    with open_workspace(root) as ws:
        fill_demo(ws.con)
        sb = store_snapshot(ws, build_scoreboard(ws, partnership))
    out = root / "scoreboard.html"
    emit(RENDERERS["html"](sb), str(out))
    click.echo(RENDERERS["table"](sb), nl=False)
    click.echo(f"demo workspace: {root}\nHTML scoreboard: {out}")


@cli.group(invoke_without_command=True)
@workspace_options
@click.pass_context
def partnerships(ctx: click.Context, workspace: str | None, wait: float) -> None:
    """List the partnerships in the workspace (or `import` them from a file)."""
    if ctx.invoked_subcommand is not None:
        return
    with opened(workspace, wait) as ws:
        rows = ws.con.execute("SELECT partnership_id, name, theme FROM partnerships ORDER BY 1").fetchall()
    for pid, name, theme in rows:
        click.echo(f"{pid:32} {name:36} {theme or ''}")


@partnerships.command("import")
@click.argument("file", type=click.Path())
@workspace_options
@click.option("--update", is_flag=True, help="Allow changing the details of partnerships and cities already there.")
@click.option("--dry-run", is_flag=True)
@click.option("--report", type=click.Path(), help="Write the findings to FILE (.json or .csv).")
def partnerships_import(file: str, workspace: str | None, wait: float, update: bool, dry_run: bool,
                        report: str | None) -> None:
    """Register partnerships and their two cities from a CSV or XLSX file (`partnerships template`)."""
    from .errors import InputRejected
    from .partnerships_import import import_partnerships

    with opened(workspace, wait) as ws:
        try:
            res = import_partnerships(ws.con, Path(file), update, dry_run)
        except InputRejected as exc:
            _show_rejected(exc.findings, report)
            raise
    click.echo(("dry run: " if dry_run else "") + f"{res['new']} new, {res['updated']} updated, "
               f"{res['unchanged']} unchanged partnership(s); {res['new_cities']} new city(ies)", err=True)


@partnerships.command("template")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write to FILE instead of standard output.")
def partnerships_template(output: str | None) -> None:
    """An example partnerships file to fill in."""
    import csv
    import io

    from .partnerships_import import TEMPLATE

    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(TEMPLATE)
    emit(buf.getvalue(), output)


@cli.command()
@click.argument("partnership")
@workspace_options
@click.option("--list", "list_name", type=click.Choice(["simplified", "long"]), default="simplified",
              show_default=True, help="Indicator list.")
@click.option("--period", help="Score values up to this period (YYYY or YYYY-Qn); default latest.")
@click.option("--as-of", "as_of", help="Use the data as it was: a vintage id (see `c2c data history`) or a date "
              "(YYYY-MM-DD[ HH:MM]).")
@click.option("--targets", type=click.Choice(["harmonised", "local"]), default="harmonised", show_default=True,
              help="Score against the harmonised end values or the cities' own 2030 targets where they exist.")
@click.option("--round", "round_id", help="Workshop round (default: the latest).")
@click.option("--backend", type=click.Choice(["duckdb", "polars"]), default="duckdb", show_default=True)
@click.option("--format", "fmt", type=click.Choice(FORMATS_SCOREBOARD), default="table", show_default=True)
@click.option("--output", "-o", type=click.Path(), help="Write to FILE instead of standard output.")
def assess(partnership: str, workspace: str | None, wait: float, list_name: str, period: str | None,
           as_of: str | None, targets: str, round_id: str | None, backend: str, fmt: str,
           output: str | None) -> None:
    """Evaluate and score PARTNERSHIP, store an immutable snapshot, print or write the scoreboard."""
    from .assess import build_scoreboard, store_snapshot
    from .render import RENDERERS

    with opened(workspace, wait) as ws:
        vintage = _as_of(ws.con, as_of)
        sb = build_scoreboard(ws, partnership, list_name, period, vintage, targets, backend, round_id)  # type: ignore[arg-type]
        sb = store_snapshot(ws, sb)
    emit(RENDERERS[fmt](sb), output)


class _LazyProgress:
    """A progress bar on stderr that appears only once work has taken over a second (and never when quiet)."""

    def __init__(self, enabled: bool) -> None:
        import time

        self.enabled = enabled and sys.stderr.isatty()
        self.start = time.monotonic()
        self.bar: Any = None
        self.task: Any = None

    def update(self, done: int, total: int, what: str) -> None:
        import time

        if not self.enabled:
            return
        if self.bar is None:
            if time.monotonic() - self.start < 1.0:
                return
            from rich.progress import Progress

            self.bar = Progress(transient=True)
            self.bar.start()
            self.task = self.bar.add_task("ingest", total=total)
        self.bar.update(self.task, completed=done, description=what[:40])

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


def _show_rejected(findings: list, report: str | None) -> None:
    """A rejected input: the findings to --report, and the first fifty on standard error."""
    _report(findings, report)
    for f in findings[:50]:
        click.echo(str(f), err=True)
    if len(findings) > 50:
        click.echo(f"... and {len(findings) - 50} more (see --report)", err=True)


def _report(findings: list, report: str | None) -> None:
    if not report:
        return
    rows = [f.as_dict() for f in findings]
    if report.endswith(".json"):
        emit(json.dumps(rows, indent=2, ensure_ascii=False) + "\n", report)
        return
    import csv
    import io

    from .ingest.validate import FINDING_COLS
    from .render.csv_export import safe_cell

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(FINDING_COLS)
    w.writerows([safe_cell(r[c]) for c in FINDING_COLS] for r in rows)
    emit(buf.getvalue(), report)


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path())
@workspace_options
@click.option("--format", "fmt", type=click.Choice(["auto", "sdmx-csv", "open-sdg", "csv", "xlsx"]), default="auto",
              show_default=True)
@click.option("--map", "map_file", type=click.Path(exists=True, dir_okay=False),
              help="Mapping file (YAML) of source area and indicator codes.")
@click.option("--map-indicator", "map_flags", multiple=True, metavar="CODE=INDICATOR",
              help="Map one source indicator code (repeatable).")
@click.option("--city", help="Workspace city for rows without an area code (e.g. an Open SDG city site).")
@click.option("--encoding", help="Text encoding if not UTF-8 (e.g. cp1252).")
@click.option("--strict", is_flag=True, help="Unmapped codes are errors instead of reported skips.")
@click.option("--dry-run", is_flag=True, help="Validate and count changes; write nothing.")
@click.option("--report", type=click.Path(), help="Write the findings to FILE (.json or .csv).")
@click.option("--quiet", "-q", is_flag=True)
@click.option("--output", "-o", type=click.Path(), help="With `ingest template`: where to write it.")
def ingest(files: tuple[str, ...], workspace: str | None, wait: float, fmt: str, map_file: str | None,
           map_flags: tuple[str, ...], city: str | None, encoding: str | None, strict: bool, dry_run: bool,
           report: str | None, quiet: bool, output: str | None) -> None:
    """Load statistical data (SDMX-CSV, Open SDG CSV or folder, long CSV/XLSX) as one new vintage.

    `c2c ingest template [-o FILE.csv|FILE.xlsx]` writes an empty long-format template.
    """
    from .errors import InputRejected
    from .ingest.load import ingest as run
    from .ingest.load import write_template
    from .ingest.mapping import load_mapping

    if files == ("template",) and not Path("template").exists():
        target = Path(output or "c2c-data-template.csv")
        write_template(target)
        click.echo(f"wrote {target}", err=True)
        return
    mapping = load_mapping(Path(map_file) if map_file else None, list(map_flags), city)
    with opened(workspace, wait) as ws:
        from .assess import workspace_catalogue

        bar = _LazyProgress(enabled=not quiet)
        try:
            summary = run(ws.con, workspace_catalogue(ws), [Path(f) for f in files], mapping, fmt, encoding,
                          strict, dry_run, progress=bar.update)
        except InputRejected as exc:
            bar.stop()
            _show_rejected(exc.findings, report)
            raise
    bar.stop()
    _report([], report)
    if not quiet:
        for line in summary.lines():
            click.echo(("dry run: " if dry_run else "") + line, err=True)


@cli.group()
def workshop() -> None:
    """Self-assessment workshops: printed kit, ratings sheets and phone forms, import, agreed ratings, actions."""


@workshop.command("template")
@click.argument("partnership")
@workspace_options
@click.option("--participants", type=click.IntRange(1, 500), default=15, show_default=True)
@click.option("--output", "-o", "out_dir", type=click.Path(file_okay=False), default=".", show_default=True)
def workshop_template(partnership: str, workspace: str | None, wait: float, participants: int, out_dir: str) -> None:
    """Write a ratings sheet (CSV and XLSX with drop-down lists): one row per participant and question."""
    from .principles import load_framework
    from .workshop import write_template

    with opened(workspace, wait) as ws:
        paths = write_template(ws.con, load_framework(), partnership, Path(out_dir), participants,
                               ws.config.language)
    for p in paths:
        click.echo(f"wrote {p}", err=True)


@workshop.command("import")
@click.argument("file", type=click.Path())
@workspace_options
@click.option("--partnership", "-p", required=True)
@click.option("--round", "round_id", required=True, help="Round id, e.g. 2025.")
@click.option("--held-on", type=click.DateTime(["%Y-%m-%d"]), help="Date of the workshop.")
@click.option("--dry-run", is_flag=True)
@click.option("--report", type=click.Path(), help="Write the findings to FILE (.json or .csv).")
def workshop_import(file: str, workspace: str | None, wait: float, partnership: str, round_id: str,
                    held_on: Any, dry_run: bool, report: str | None) -> None:
    """Validate and load a ratings sheet, or a KoboToolbox/ODK export, (CSV or XLSX) as one vintage."""
    from .errors import InputRejected
    from .principles import load_framework
    from .workshop import import_ratings

    with opened(workspace, wait) as ws:
        try:
            res = import_ratings(ws.con, load_framework(), Path(file), partnership, round_id,
                                 held_on.date() if held_on else None, ws.config.language, dry_run)
        except InputRejected as exc:
            _show_rejected(exc.findings, report)
            raise
    click.echo(("dry run: " if dry_run else "") + f"{res['ratings']} rating(s) from {res['participants']} "
               f"participant(s)" + (f"; vintage {res['vintage_id']}" if "vintage_id" in res else ""), err=True)


@workshop.command("agree")
@click.argument("partnership")
@workspace_options
@click.option("--round", "round_id", required=True)
@click.option("--question", required=True, help="Question id, e.g. P09.2.")
@click.option("--rating", type=int, required=True)
@click.option("--reason", required=True, help="Why the workshop agreed this rating.")
def workshop_agree(partnership: str, workspace: str | None, wait: float, round_id: str, question: str,
                   rating: int, reason: str) -> None:
    """Record the rating the workshop agreed for a question (the median is kept beside it)."""
    from .principles import load_framework
    from .workshop import agree

    with opened(workspace, wait) as ws:
        vid = agree(ws.con, load_framework(), partnership, round_id, question, rating, reason)
    click.echo(f"agreed rating recorded (vintage {vid})", err=True)


@cli.group()
def records() -> None:
    """The partnership's own records: activities, participants, budget lines, exchanges, publications, tools."""


@records.command("import")
@click.argument("dataset", type=click.Choice(["activities", "participants", "budget_lines", "staff_exchanges",
                                              "publications", "digital_tools"]))
@click.argument("file", type=click.Path())
@workspace_options
@click.option("--dry-run", is_flag=True)
@click.option("--report", type=click.Path(), help="Write the findings to FILE (.json or .csv).")
def records_import(dataset: str, file: str, workspace: str | None, wait: float, dry_run: bool,
                   report: str | None) -> None:
    """Validate and load one records file (CSV or XLSX) as one vintage."""
    from .errors import InputRejected
    from .records_import import import_records

    with opened(workspace, wait) as ws:
        try:
            res = import_records(ws.con, dataset, Path(file), dry_run)
        except InputRejected as exc:
            _show_rejected(exc.findings, report)
            raise
    _report([], report)
    click.echo(("dry run: " if dry_run else "") + f"{res['rows']} row(s): {res['new_or_changed']} new or changed, "
               f"{res['unchanged']} unchanged" + (f"; vintage {res['vintage_id']}" if "vintage_id" in res else ""),
               err=True)


@records.command("template")
@click.argument("dataset", type=click.Choice(["activities", "participants", "budget_lines", "staff_exchanges",
                                              "publications", "digital_tools"]))
@click.option("--output", "-o", type=click.Path(), help="Write to FILE instead of standard output.")
def records_template(dataset: str, output: str | None) -> None:
    """Write the header of a records file (see `c2c records schema` for the columns)."""
    from .records import DATASETS

    ds = DATASETS[dataset]
    emit(",".join(ds.names) + "\n", output)


@records.command("schema")
def records_schema() -> None:
    """Document every records dataset: columns, types, required, allowed values."""
    from .records import DATASETS

    for ds in DATASETS.values():
        click.echo(f"{ds.name} (key {ds.key}): {ds.doc}")
        for c in ds.columns:
            extra = f" one of: {', '.join(c.choices)}" if c.choices else ""
            click.echo(f"  {c.name:20} {c.type:6} {'required' if c.required else 'optional':9}{extra}"
                       + (f"  {c.doc}" if c.doc else ""))


@cli.group()
def data() -> None:
    """Data vintages and revisions."""


@data.command("history")
@workspace_options
@click.option("--code", help="Show the revisions of one indicator code.")
@click.option("--city", help="With --code: one city.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
def data_history(workspace: str | None, wait: float, code: str | None, city: str | None, fmt: str) -> None:
    """List vintages (who, when, source, hash), or the revisions of one series."""
    with opened(workspace, wait) as ws:
        if code:
            df = ws.con.sql(
                "SELECT code, city_id, period, disagg, value, obs_status, action, o.vintage_id, "
                "strftime(v.created_at, '%Y-%m-%d %H:%M') AS loaded "
                "FROM observations o JOIN vintages v USING (vintage_id) WHERE code = ? AND (? IS NULL OR city_id = ?) "
                "ORDER BY city_id, period, disagg, o.vintage_id", params=[code, city, city]).pl()
        else:
            df = ws.con.sql("SELECT vintage_id, strftime(created_at, '%Y-%m-%d %H:%M') AS loaded, who, kind, source, "
                            "left(content_hash, 12) AS hash, "
                            "n_rows FROM vintages ORDER BY vintage_id").pl()
    if fmt == "json":
        click.echo(json.dumps(df.to_dicts(), indent=2, default=str))
    elif fmt == "csv":
        click.echo(df.write_csv(), nl=False)
    else:
        from .render.terminal import render_frame

        click.echo(render_frame(df), nl=False)


@cli.command()
@click.argument("partnerships", nargs=-1, required=True)
@workspace_options
@click.option("--list", "list_name", type=click.Choice(["simplified", "long"]), default="simplified",
              show_default=True)
@click.option("--from", "period_before", help="Earlier period (one partnership; default: a year before --to).")
@click.option("--to", "period_after", help="Later period (default: the latest year with data).")
@click.option("--rounds", nargs=2, metavar="BEFORE AFTER", help="Workshop rounds to compare (default: last two).")
@click.option("--format", "fmt", type=click.Choice(FORMATS_SCOREBOARD), default="table", show_default=True)
@click.option("--output", "-o", type=click.Path())
def compare(partnerships: tuple[str, ...], workspace: str | None, wait: float, list_name: str,
            period_before: str | None, period_after: str | None, rounds: tuple[str, str] | None, fmt: str,
            output: str | None) -> None:
    """One partnership over time (rounds and periods), or several side by side on the harmonised set."""
    from .compare import compare as run
    from .render.comparison import COMPARE_RENDERERS

    for p in (period_before, period_after):
        if p is not None:
            from .periods import PeriodError, parse_period

            try:
                parse_period(p)
            except PeriodError as exc:
                raise click.BadParameter(str(exc)) from None
    with opened(workspace, wait) as ws:
        result = run(ws, list(partnerships), list_name, period_before, period_after,
                     rounds[0] if rounds else None, rounds[1] if rounds else None)
    emit(COMPARE_RENDERERS[fmt](result), output)


@cli.command()
@click.argument("indicator")
def explain(indicator: str) -> None:
    """Show how INDICATOR is computed: its definition, the DuckDB SQL with parameters, the polars plan."""
    import polars as pl

    from .catalog import Reported, load_catalogue
    from .engine import polars_backend, reported
    from .engine.duckdb_backend import build_sql
    from .engine.spec import plan_for
    from .errors import C2CError
    from .records import DATASETS

    cat = load_catalogue()
    ind = cat.indicators.get(indicator)
    if ind is None:
        raise C2CError(f"unknown indicator {indicator!r}", hint="see `c2c catalog list`")
    click.echo(f"# {ind.id}: {ind.title}\n# {ind.family} indicator, {ind.periodicity}, unit {ind.unit}, "
               f"polarity {ind.polarity}, end value {ind.end_value.value:g} ({ind.end_value.source})")
    if isinstance(ind.computation, Reported):
        sql, params = reported.build_sql(ind, "cur_observations")
        click.echo("# reported by a statistical office; annual rule: " + ind.annual_rule)
        click.echo("-- DuckDB SQL\n" + sql + f"\n-- parameters: {params!r}")
        return
    plan = plan_for(ind)
    grain = "quarter" if ind.periodicity == "quarterly" else "year"
    sql, params = build_sql(plan, {d: f"cur_{d}" for d in DATASETS}, grain, "populations")
    click.echo("-- DuckDB SQL (identifiers from the records schema, values bound)\n" + sql
               + f"\n-- parameters: {params!r}")
    from .records_import import PL_TYPES

    empty = {d: pl.DataFrame(schema={c.name: PL_TYPES[c.type] for c in ds.columns} | {"vintage_id": pl.Int64})
             for d, ds in DATASETS.items()}
    pops = pl.DataFrame(schema={"partnership_id": pl.String, "population": pl.Float64})
    click.echo("-- polars plan\n" + polars_backend.build_lazy(plan, empty, grain, pops).explain())


def _as_of(con: object, text: str | None) -> int | None:
    import datetime as dt

    from .errors import C2CError
    from .store import vintage_for_date

    if text is None:
        return None
    if text.strip().isdigit():
        return int(text)
    try:
        when = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise C2CError(f"--as-of {text!r}: give a vintage id or a date (YYYY-MM-DD[ HH:MM])") from None
    if len(text.strip()) == 10:
        when = when + dt.timedelta(days=1) - dt.timedelta(microseconds=1)  # the whole day
    vid = vintage_for_date(con, when.isoformat(sep=" "))
    if vid == 0:
        raise C2CError(f"--as-of {text}: no data had been loaded by then")
    return vid


@cli.command()
def schema() -> None:
    """Print the JSON Schema of `c2c assess --format json`."""
    from .scoreboard import scoreboard_json_schema

    click.echo(json.dumps(scoreboard_json_schema(), indent=2))


@cli.group()
def catalog() -> None:
    """The indicator catalogue: validate, list, show."""


@catalog.command("validate")
@click.option("--workspace", "-w", envvar="C2C_WORKSPACE", type=click.Path(),
              help="Also validate the workspace's own indicators.")
@click.option("--path", "paths", multiple=True, type=click.Path(exists=True, file_okay=False),
              help="Validate this folder instead of the shipped catalogue.")
def catalog_validate(workspace: str | None, paths: tuple[str, ...]) -> None:
    """Check every definition file and the coverage rules; exit 1 on findings."""
    from .catalog import coverage_findings, validate_catalogue
    from .principles import load_framework

    own = Path(workspace) / "own_indicators" if workspace else None
    cat, findings = validate_catalogue([Path(p) for p in paths] or None, own)
    if cat is not None:
        findings = coverage_findings(cat)
    load_framework()
    for f in findings:
        click.echo(str(f), err=True)
    if findings:
        click.echo(f"{len(findings)} problem(s)", err=True)
        sys.exit(1)
    assert cat is not None
    click.echo(f"catalogue {cat.version}: {len(cat.indicators)} indicators "
               f"({len(cat.select('simplified'))} simplified), coverage rules met")


@catalog.command("list")
@click.option("--list", "list_name", type=click.Choice(["simplified", "long"]))
@click.option("--sdg", type=click.IntRange(1, 17), help="SDG goal number.")
@click.option("--dac", type=click.Choice(["relevance", "coherence", "effectiveness", "efficiency", "impact",
                                          "sustainability"]))
@click.option("--principle", type=click.Choice([f"P{i:02d}" for i in range(1, 11)]))
@click.option("--ec", type=click.Choice(["urban_governance", "social_inclusiveness", "resilience_greening",
                                         "prosperity_innovation"]))
@click.option("--family", type=click.Choice(["city", "partnership"]))
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
def catalog_list(list_name: str | None, sdg: int | None, dac: str | None, principle: str | None,
                 ec: str | None, family: str | None, fmt: str) -> None:
    """List indicators, filtered."""
    from .catalog_index import listing, public, select

    inds = select(listing(), list_name, sdg, dac, principle, ec, family)
    if fmt == "json":
        click.echo(json.dumps([public(i) for i in inds], indent=2, ensure_ascii=False))
        return
    if fmt == "csv":
        import csv

        w = csv.writer(sys.stdout, lineterminator="\n")
        w.writerow(["id", "title", "family", "list", "sdg", "ec_objective", "dac", "principles", "unit"])
        for i in inds:
            w.writerow([i["id"], i["title"], i["family"], i["list"], i["_sdg_label"], i["ec_objective"],
                        " ".join(i["dac"]), " ".join(i["principles"]), i["unit"]])
        return
    for i in inds:
        click.echo(f"{i['id']:36} {i['list']:10} SDG {i['_sdg_label']:18} {i['title'][:60]}")
    click.echo(f"{len(inds)} indicator(s)", err=True)


@catalog.command("show")
@click.argument("indicator")
def catalog_show(indicator: str) -> None:
    """Show one indicator definition."""
    import yaml

    from .catalog import load_catalogue
    from .errors import C2CError

    cat = load_catalogue()
    ind = cat.indicators.get(indicator)
    if ind is None:
        close = [i for i in cat.indicators if indicator.lower() in i]
        raise C2CError(f"unknown indicator {indicator!r}",
                       hint=f"did you mean: {', '.join(close[:5])}" if close else "see `c2c catalog list`")
    click.echo(yaml.safe_dump(ind.model_dump(mode="json", exclude_defaults=False), sort_keys=False,
                              allow_unicode=True), nl=False)


def main() -> None:
    from .errors import C2CError

    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except C2CError as exc:
        msg = f"c2c: error: {exc.message}"
        if exc.hint:
            msg += f" ({exc.hint})"
        click.echo(msg, err=True)
        sys.exit(exc.exit_code)
    except BrokenPipeError:
        sys.exit(0)
    except OSError as exc:  # a folder that is a file, a read-only disk, a full disk: one line, not a traceback
        where = f"{exc.filename}: " if exc.filename else ""
        click.echo(f"c2c: error: {where}{exc.strerror or exc}", err=True)
        sys.exit(2)
    except Exception as exc:
        import duckdb

        if isinstance(exc, duckdb.Error):
            click.echo(f"c2c: error: workspace store: {exc}".splitlines()[0], err=True)
            sys.exit(2)
        raise
    sys.exit(0)


# The workshop and publish commands live in their own modules; importing them registers them on the groups above.
from . import cli_publish, cli_workshop  # noqa: E402, F401

if __name__ == "__main__":
    # Run the imported module, not this __main__ copy: the command modules above register on the former.
    from c2c_monitor.cli import main as _main

    _main()
