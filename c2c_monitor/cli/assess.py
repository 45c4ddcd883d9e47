"""`c2c assess` and `c2c schema`: the scoreboard of one partnership and the JSON Schema of its JSON form."""

from __future__ import annotations

import json

import click

from c2c_monitor.cli.complete import partnership_ids
from c2c_monitor.cli.context import (
    BACKENDS,
    FORMATS_SCOREBOARD,
    LIST_NAMES,
    TARGETS,
    as_of_vintage,
    emit,
    guard,
    lang_option,
    opened,
    workspace_options,
)


@click.command()
@click.argument("partnership", shell_complete=partnership_ids)
@workspace_options
@click.option("--list", "list_name", type=click.Choice(list(LIST_NAMES)), default="simplified",
              show_default=True, help="Indicator list.")
@click.option("--period", help="Score values up to this period (YYYY or YYYY-Qn); default latest.")
@click.option("--as-of", "as_of", help="Use the data as it was: a vintage id (see `c2c data history`) or a date "
              "(YYYY-MM-DD[ HH:MM]).")
@click.option("--targets", type=click.Choice(list(TARGETS)), default="harmonised", show_default=True,
              help="Score against the harmonised end values or the cities' own 2030 targets where they exist.")
@click.option("--round", "round_id", help="Workshop round (default: the latest).")
@click.option("--backend", type=click.Choice(list(BACKENDS)), default="duckdb", show_default=True)
@click.option("--format", "fmt", type=click.Choice(FORMATS_SCOREBOARD), default="table", show_default=True)
@click.option("--output", "-o", type=click.Path(), help="Write to FILE instead of standard output.")
@lang_option
def assess(partnership: str, workspace: str | None, wait: float, list_name: str, period: str | None,
           as_of: str | None, targets: str, round_id: str | None, backend: str, fmt: str,
           output: str | None, lang: str | None) -> None:
    """Evaluate and score PARTNERSHIP, store an immutable snapshot, print or write the scoreboard."""
    from c2c_monitor.store.workspace import prepare_instance_beside

    prepare_instance_beside()  # while the scoring and rendering code loads
    from c2c_monitor.render import RENDERERS
    from c2c_monitor.score.assess import build_scoreboard, store_snapshot

    guard(output, workspace)  # before the snapshot is stored: a refused run changes nothing
    with opened(workspace, wait) as ws:
        vintage = as_of_vintage(ws.con, as_of)
        sb = build_scoreboard(ws, partnership, LIST_NAMES[list_name], period, vintage, TARGETS[targets],
                              BACKENDS[backend], round_id)
        sb = store_snapshot(ws, sb)
        lang = lang or ws.config.language
        if fmt in ("table", "html") and (lang, ws.config.language) != ("en", "en"):
            # Definition texts in the language asked for; JSON and CSV stay as the snapshot has them.
            from c2c_monitor.render.countries import country_names
            from c2c_monitor.render.localise import localise_scoreboard
            from c2c_monitor.score.assess import workspace_catalogue
            from c2c_monitor.store.catalog_cache import framework

            countries = country_names(ws.con, [c.id for c in sb.partnership.cities], lang, ws.config.language)
            sb = localise_scoreboard(sb, lang, framework(), workspace_catalogue(ws), countries)
    emit(RENDERERS[fmt](sb, lang), output)


@click.command()
def schema() -> None:
    """Print the JSON Schema of `c2c assess --format json`."""
    from c2c_monitor.score.scoreboard import scoreboard_json_schema

    click.echo(json.dumps(scoreboard_json_schema(), indent=2))
