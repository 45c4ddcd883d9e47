"""`c2c export`: the partnership's figures in the formats other systems read (IATI for donors)."""

from __future__ import annotations

from pathlib import Path

import click

from c2c_monitor.cli.complete import partnership_ids
from c2c_monitor.cli.context import LIST_NAMES, as_of_vintage, guard, opened, workspace_options


@click.group()
def export() -> None:
    """Exports for other systems: `c2c export iati`."""


@export.command("iati")
@click.argument("partnerships", nargs=-1, shell_complete=partnership_ids)
@workspace_options
@click.option("--output", "-o", type=click.Path(file_okay=False), required=True,
              help="Folder for the files, one PARTNERSHIP.xml each (created if needed).")
@click.option("--list", "list_name", type=click.Choice(list(LIST_NAMES)), default="simplified", show_default=True)
@click.option("--as-of", help="The data as it was at a vintage id or date (YYYY-MM-DD).")
def iati(partnerships: tuple[str, ...], workspace: str | None, wait: float, output: str, list_name: str,
         as_of: str | None) -> None:
    """IATI 2.03 activity files: each partnership an activity, its indicators results (needs [iati] in c2c.toml)."""
    from c2c_monitor.publish.iati import city_iso2, require_settings, write_iati
    from c2c_monitor.score.assess import build_scoreboards
    from c2c_monitor.store import reads
    from c2c_monitor.store.workspace import CONFIG_NAME

    guard(output, workspace)
    with opened(workspace, wait) as ws:
        # Checked before any scoring or writing: without a reporting organisation the file would be invalid.
        settings = require_settings(ws.config.iati, ws.root / CONFIG_NAME)
        pids = list(dict.fromkeys(partnerships)) or reads.partnership_ids(ws.con)
        if not pids:
            raise click.UsageError("the workspace has no partnerships to export")
        sbs = build_scoreboards(ws, pids, LIST_NAMES[list_name], as_of=as_of_vintage(ws.con, as_of))
        written = write_iati(sbs, settings, city_iso2(ws.con, sbs), Path(output), ws.config.language)
    n_results = sum(1 for sb in sbs for r in sb.indicators if r.value is not None or r.series)
    click.echo(f"wrote {len(written)} IATI activity file(s) with {n_results} indicator result(s) to {output}",
               err=True)
