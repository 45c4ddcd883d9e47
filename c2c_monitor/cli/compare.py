"""`c2c compare`: one partnership over time, or several side by side."""

from __future__ import annotations

import click

from c2c_monitor.cli.complete import partnership_ids
from c2c_monitor.cli.context import (
    FORMATS_SCOREBOARD,
    LIST_NAMES,
    emit,
    guard,
    lang_option,
    opened,
    workspace_options,
)


@click.command()
@click.argument("partnerships", nargs=-1, required=True, shell_complete=partnership_ids)
@workspace_options
@click.option("--list", "list_name", type=click.Choice(list(LIST_NAMES)), default="simplified",
              show_default=True)
@click.option("--from", "period_before", help="Earlier period (one partnership; default: a year before --to).")
@click.option("--to", "period_after", help="Later period (default: the latest year with data).")
@click.option("--rounds", nargs=2, metavar="BEFORE AFTER", help="Workshop rounds to compare (default: last two).")
@click.option("--format", "fmt", type=click.Choice(FORMATS_SCOREBOARD), default="table", show_default=True)
@click.option("--output", "-o", type=click.Path())
@lang_option
def compare(partnerships: tuple[str, ...], workspace: str | None, wait: float, list_name: str,
            period_before: str | None, period_after: str | None, rounds: tuple[str, str] | None, fmt: str,
            output: str | None, lang: str | None) -> None:
    """One partnership over time (rounds and periods), or several side by side on the harmonised set."""
    from c2c_monitor.store.workspace import prepare_instance_beside

    prepare_instance_beside()  # while the scoring and rendering code loads
    from c2c_monitor.render.comparison import COMPARE_RENDERERS
    from c2c_monitor.score.compare import compare as run

    for p in (period_before, period_after):
        if p is not None:
            from c2c_monitor.definitions.periods import PeriodError, parse_period

            try:
                parse_period(p)
            except PeriodError as exc:
                raise click.BadParameter(str(exc)) from None
    guard(output, workspace)
    with opened(workspace, wait) as ws:
        result = run(ws, list(partnerships), LIST_NAMES[list_name], period_before, period_after,
                     rounds[0] if rounds else None, rounds[1] if rounds else None)
        lang = lang or ws.config.language
        if fmt in ("table", "html") and (lang, ws.config.language) != ("en", "en"):
            from c2c_monitor.render.localise import localise_comparison
            from c2c_monitor.score.assess import workspace_catalogue
            from c2c_monitor.store.catalog_cache import framework

            result = localise_comparison(result, lang, framework(), workspace_catalogue(ws))
    # The table and the HTML page are written in `lang`; JSON and CSV are data.
    emit(COMPARE_RENDERERS[fmt](result, lang), output)
