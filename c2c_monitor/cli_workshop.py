"""`c2c workshop` commands beyond the ratings sheet: follow-up actions, XLSForm, the printable kit.

Kept apart from cli.py so that module stays readable; like it, nothing heavy is imported at module level.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import click

from .cli import emit, opened, workshop, workspace_options
from .render.symbols import ACTION_STATUSES

STATUSES = list(ACTION_STATUSES)


def _date(value: Any) -> dt.date | None:
    return value.date() if value is not None else None


@workshop.command("actions")
@click.argument("partnership")
@workspace_options
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
def workshop_actions(partnership: str, workspace: str | None, wait: float, fmt: str) -> None:
    """List the follow-up actions of a partnership (latest version of each)."""
    import polars as pl

    from .assess import action_rows, partnership_info
    from .render.csv_export import safe_expr

    with opened(workspace, wait) as ws:
        partnership_info(ws.con, partnership)
        rows = action_rows(ws.con, partnership, None)
    if fmt == "json":
        emit(json.dumps([a.model_dump() for a in rows], indent=2, ensure_ascii=False) + "\n", None)
        return
    df = pl.DataFrame([a.model_dump() for a in rows], schema={
        "id": pl.String, "principle_id": pl.String, "round_id": pl.String, "text": pl.String, "owner": pl.String,
        "due": pl.String, "status": pl.String, "overdue": pl.Boolean})
    if fmt == "csv":
        df = df.with_columns(safe_expr(c) for c in ("text", "owner"))
        emit(df.write_csv(), None)
        return
    from .render.terminal import render_frame

    emit(render_frame(df.select("id", "principle_id", "text", "owner", "due", "status", "overdue")), None)
    click.echo(f"{len(rows)} action(s)", err=True)


@workshop.group("action")
def workshop_action() -> None:
    """Record or update one follow-up action."""


@workshop_action.command("add")
@click.argument("partnership")
@workspace_options
@click.option("--principle", required=True, help="Principle id, e.g. P09.")
@click.option("--text", required=True, help="What will be done.")
@click.option("--owner", help="Who is responsible (an office or role, not a private person).")
@click.option("--due", type=click.DateTime(["%Y-%m-%d"]), help="Due date.")
@click.option("--round", "round_id", help="The workshop round that agreed it.")
@click.option("--status", type=click.Choice(STATUSES), default="open", show_default=True)
def action_add(partnership: str, workspace: str | None, wait: float, principle: str, text: str,
               owner: str | None, due: Any, round_id: str | None, status: str) -> None:
    """Add a follow-up action to a principle."""
    from .actions import add_action
    from .principles import load_framework

    with opened(workspace, wait) as ws:
        aid = add_action(ws.con, load_framework(), partnership, principle, text, owner, _date(due), round_id, status)
    click.echo(aid)


@workshop_action.command("set")
@click.argument("action_id")
@workspace_options
@click.option("--status", type=click.Choice(STATUSES))
@click.option("--owner")
@click.option("--due", type=click.DateTime(["%Y-%m-%d"]))
@click.option("--text")
def action_set(action_id: str, workspace: str | None, wait: float, status: str | None, owner: str | None,
               due: Any, text: str | None) -> None:
    """Update an action (a new version; the history is kept)."""
    from .actions import update_action

    if status is None and owner is None and due is None and text is None:
        raise click.UsageError("nothing to change: give --status, --owner, --due or --text")
    with opened(workspace, wait) as ws:
        a = update_action(ws.con, action_id, status, owner, _date(due), text)
    click.echo(f"{a.id}: {a.status}" + (f", due {a.due}" if a.due else ""), err=True)


@workshop.command("xlsform")
@click.option("--partnership", "-p", help="Offer this partnership's two cities as a choice list.")
@workspace_options
@click.option("--output", "-o", type=click.Path(dir_okay=False), default="c2c-self-assessment.xlsx",
              show_default=True)
@click.option("--language", type=click.Choice(["en", "fr", "es"]), help="Default language of the form "
              "(all available ones are included; default: the workspace's, else en).")
def workshop_xlsform(partnership: str | None, workspace: str | None, wait: float, output: str,
                     language: str | None) -> None:
    """Write the checklist as an XLSForm for ODK / KoboToolbox (collect ratings on phones).

    Import the tool's CSV or XLSX export with `c2c workshop import` (labels or codes both work).
    """
    from .principles import load_framework
    from .xlsform import write_xlsform

    cities = None
    if partnership:
        from .assess import partnership_info

        with opened(workspace, wait) as ws:
            cities = [(c.id, c.name) for c in partnership_info(ws.con, partnership).cities]
            language = language or ws.config.language
    path = write_xlsform(load_framework(), Path(output), language or "en", cities)
    click.echo(f"wrote {path}", err=True)


@workshop.command("kit")
@click.argument("partnership")
@workspace_options
@click.option("--output", "-o", "out_dir", type=click.Path(file_okay=False), required=True)
@click.option("--round", "round_id", help="The round the results handout is about (default: the latest).")
@click.option("--date", "held_on", type=click.DateTime(["%Y-%m-%d"]), help="Date printed on the agenda.")
def workshop_kit(partnership: str, workspace: str | None, wait: float, out_dir: str, round_id: str | None,
                 held_on: Any) -> None:
    """Print-ready PDFs: agenda, worksheets (A4), blank scoreboard poster (A3) and results handout."""
    from .kit import build_kit

    with opened(workspace, wait) as ws:
        paths = build_kit(ws, partnership, Path(out_dir), round_id, _date(held_on))
    for p in paths:
        click.echo(f"wrote {p}", err=True)
