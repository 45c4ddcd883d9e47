"""`c2c publish`: the public transparency report."""

from __future__ import annotations

from pathlib import Path

import click

from c2c_monitor.cli.complete import partnership_ids
from c2c_monitor.cli.context import (
    LIST_NAMES,
    LazyProgress,
    as_of_vintage,
    guard,
    langs_option,
    opened,
    workspace_options,
)
from c2c_monitor.cli.messages import _
from c2c_monitor.publish.pdf import PDF_ENGINES


@click.command()
@click.argument("partnerships", nargs=-1, shell_complete=partnership_ids)
@workspace_options
@click.option("--output", "-o", type=click.Path(file_okay=False), required=True,
              help="Folder of the site (created, or replaced if an earlier c2c publish made it).")
@click.option("--list", "list_name", type=click.Choice(list(LIST_NAMES)), default="simplified",
              show_default=True)
@click.option("--as-of", help="Publish the data as it was at a vintage id or date (YYYY-MM-DD).")
@click.option("--title", help="Title of the site (default: `title` in the workspace's c2c.toml).")
@click.option("--pdf/--no-pdf", default=True, show_default=True, help="Also render a PDF of each partnership page.")
@click.option("--pdf-engine", type=click.Choice(PDF_ENGINES), default="auto",
              show_default=True, help="auto: a local Chromium if one is installed (about 5x faster), else WeasyPrint.")
@click.option("--clean", is_flag=True, help="Also remove files in the folder that c2c publish did not write "
              "(by default a CNAME, a .git/ or other files you added are kept).")
@click.option("--parquet", is_flag=True, help="Also write the indicators and observations as Parquet "
              "(data/parquet/, sorted by city and indicator, described in datapackage.json), for DuckDB, Spark "
              "or Trino over many published packages.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@langs_option
def publish(partnerships: tuple[str, ...], workspace: str | None, wait: float, output: str, list_name: str,
            as_of: str | None, title: str | None, pdf: bool, pdf_engine: str, clean: bool,
            parquet: bool, quiet: bool, langs: list[str] | None) -> None:
    """Static HTML site, PDFs and open data (CSV, JSON, datapackage.json, SDMX-CSV, Open SDG) for the public.

    With several languages (`--lang en,fr`) the first one's pages are at the top of the site and each other
    one's in its own folder (fr/), with a language switch on every page.
    """
    from c2c_monitor.store.workspace import prepare_instance_beside

    prepare_instance_beside()  # while the scoring and rendering code loads
    from c2c_monitor.publish.site import publish as run

    guard(output, workspace)
    bar = LazyProgress(not quiet)
    try:
        with opened(workspace, wait) as ws:
            summary = run(ws, list(partnerships) or None, Path(output), pdf=pdf, as_of=as_of_vintage(ws.con, as_of),
                          list_name=LIST_NAMES[list_name], title=title, pdf_engine=pdf_engine,
                          progress=bar.update, clean=clean, langs=langs, parquet=parquet)
    finally:
        bar.stop()
    for note in summary.notes:
        click.echo(_("note: %(note)s", note=note), err=True)
    if summary.removed:
        click.echo(_("--clean removed %(n)s item(s) c2c publish did not write: %(items)s",
                     n=len(summary.removed), items=", ".join(summary.removed)), err=True)
    engine = f" ({summary.pdf_engine})" if summary.pdfs else ""
    click.echo(_("published %(pages)s page(s), %(pdfs)s PDF(s)%(engine)s, %(files)s file(s) to %(output)s",
                 pages=summary.pages, pdfs=summary.pdfs, engine=engine, files=len(summary.files),
                 output=summary.output), err=True)
