"""`c2c programme`: many partnerships at once, from the workspace or from published data packages."""

from __future__ import annotations

from pathlib import Path

import click

from c2c_monitor.cli.context import (
    FORMATS_SCOREBOARD,
    LIST_NAMES,
    emit,
    guard,
    opened,
    show_rejected,
    workspace_options,
)


def _ids(text: str | None) -> list[str] | None:
    if text is None:
        return None
    ids = [x.strip() for x in text.split(",")]
    if not all(ids):
        raise click.BadParameter("an empty partnership id (give P1,P2,... without empty items)",
                                 param_hint="--partnerships")
    return ids


@click.command()
@click.argument("folders", nargs=-1, type=click.Path())
@workspace_options
@click.option("--partnerships", "partnerships", metavar="P1,P2,...", help="The cohort (default: all).")
@click.option("--all", "all_", is_flag=True, help="Every partnership (the default).")
@click.option("--round-year", type=click.IntRange(1900, 2200),
              help="Profile the rounds held that year (default: each partnership's latest round).")
@click.option("--for", "for_pid", metavar="P", help="Also list peers to learn from for partnership P.")
@click.option("--list", "list_name", type=click.Choice(list(LIST_NAMES)), default="simplified",
              show_default=True, help="Indicator list of the coverage (workspace only).")
@click.option("--packages", is_flag=True,
              help="Read FOLDERS, data packages written by `c2c publish`, instead of a workspace.")
@click.option("--format", "fmt", type=click.Choice(FORMATS_SCOREBOARD), default="table", show_default=True)
@click.option("--output", "-o", type=click.Path(), help="Write to FILE instead of standard output.")
def programme(folders: tuple[str, ...], workspace: str | None, wait: float, partnerships: str | None, all_: bool,
              round_year: int | None, for_pid: str | None, list_name: str, packages: bool, fmt: str,
              output: str | None) -> None:
    """The cohort's principle profile, direction of travel, indicator coverage and peers to learn from.

    From the workspace, or with --packages from published data packages (c2c programme --packages DIR...).
    """
    from c2c_monitor.errors import InputRejected
    from c2c_monitor.render.programme import PROGRAMME_RENDERERS, render_html

    if all_ and partnerships is not None:
        raise click.UsageError("give --partnerships or --all, not both")
    if folders and not packages:
        raise click.UsageError("folders are read only with --packages (c2c programme --packages DIR...)")
    if packages and not folders:
        raise click.UsageError("--packages needs at least one folder written by `c2c publish`")
    pids = _ids(partnerships)
    lang = "en"
    if packages:
        from c2c_monitor.score.programme_packages import from_packages

        guard(output, workspace, folders)
        try:
            result = from_packages([Path(f) for f in folders], pids, round_year, for_pid)
        except InputRejected as exc:
            show_rejected(exc.report, None)
            raise
    else:
        from c2c_monitor.score.programme import from_workspace

        guard(output, workspace)
        with opened(workspace, wait) as ws:
            result = from_workspace(ws, pids, round_year, for_pid, LIST_NAMES[list_name])
            lang = ws.config.language
    # Only the HTML page is in a language (`<html lang>`); the other formats are data.
    emit(render_html(result, lang) if fmt == "html" else PROGRAMME_RENDERERS[fmt](result), output)
