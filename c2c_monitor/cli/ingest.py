"""`c2c ingest` and `c2c data history`: load statistical data as vintages, and read their history."""

from __future__ import annotations

import json
from pathlib import Path

import click

from c2c_monitor.cli.context import LazyProgress, guard, opened, show_rejected, workspace_options, write_report


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path())
@workspace_options
@click.option("--format", "fmt",
              type=click.Choice(["auto", "sdmx-csv", "sdmx-ml", "sdmx-xlsx", "open-sdg", "csv", "xlsx"]),
              default="auto", show_default=True)
@click.option("--structure", type=click.Path(exists=True, dir_okay=False),
              help="SDMX-ML structure message (DSD) of an SDMX-ML data file or SDMX workbook; by default one "
                   "beside it.")
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
def ingest(files: tuple[str, ...], workspace: str | None, wait: float, fmt: str, structure: str | None,
           map_file: str | None,
           map_flags: tuple[str, ...], city: str | None, encoding: str | None, strict: bool, dry_run: bool,
           report: str | None, quiet: bool, output: str | None) -> None:
    """Load statistical data (SDMX-CSV, SDMX-ML, Open SDG CSV or folder, long CSV/XLSX) as one new vintage.

    `c2c ingest template [-o FILE.csv|FILE.xlsx]` writes an empty long-format template.
    """
    from c2c_monitor.errors import InputRejected, NothingLoaded
    from c2c_monitor.ingest.load import ingest as run
    from c2c_monitor.ingest.load import write_template
    from c2c_monitor.ingest.mapping import load_mapping

    if files == ("template",) and not Path("template").exists():
        target = Path(output or "c2c-data-template.csv")
        guard(str(target), workspace)
        write_template(target)
        if str(target) != "-":
            click.echo(f"wrote {target}", err=True)
        return
    # The report must not land on the store or on a file being read, even when the batch is rejected.
    guard(report, workspace, [*files, map_file, structure])
    mapping = load_mapping(Path(map_file) if map_file else None, list(map_flags), city)
    with opened(workspace, wait) as ws:
        from c2c_monitor.score.assess import workspace_catalogue

        bar = LazyProgress(enabled=not quiet)
        try:
            summary = run(ws.con, workspace_catalogue(ws), [Path(f) for f in files], mapping, fmt, encoding,
                          strict, dry_run, progress=bar.update, structure=Path(structure) if structure else None)
        except InputRejected as exc:
            bar.stop()
            show_rejected(exc.report, report)
            raise
    bar.stop()
    write_report(summary.report, report)  # an accepted batch may still have skipped rows: warnings
    if not quiet:
        for line in summary.lines():
            click.echo(("dry run: " if dry_run else "") + line, err=True)
    # A batch that loads nothing exits 1, not 0, so that a script sees it: every row skipped, or every value
    # already held (a scheduled re-feed of an unchanged file: no vintage is written, and the message says so).
    if summary.nothing_loaded:
        raise NothingLoaded(summary.nothing_loaded, hint="map the codes with --map/--map-indicator or --city"
                            if any(w.startswith(("indicator ", "area ")) for w in summary.skipped) else None)
    if summary.already_held:
        raise NothingLoaded("nothing new: the workspace already holds every value of this batch as it is; no row "
                            "loaded, no vintage written")


@click.group()
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
        from c2c_monitor.store import reads

        df = reads.series_revisions(ws.con, code, city) if code else reads.vintage_log(ws.con)
    if fmt == "json":
        click.echo(json.dumps(df.to_dicts(), indent=2, default=str))
    elif fmt == "csv":
        from c2c_monitor.store.cells import frame_csv

        click.echo(frame_csv(df), nl=False)
    else:
        from c2c_monitor.render.terminal import render_frame

        click.echo(render_frame(df), nl=False)
