"""`c2c init`, `c2c demo` and `c2c partnerships`: create a workspace and register its partnerships."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from c2c_monitor.cli.complete import partnership_ids
from c2c_monitor.cli.context import (
    FORMATS_LISTING,
    LazyProgress,
    csv_text,
    emit,
    guard,
    json_text,
    opened,
    show_rejected,
    workspace_options,
    write_report,
)


@click.command()
@click.argument("directory", type=click.Path())
@click.option("--demo", is_flag=True, help="Fill the workspace with the embedded 27-partnership demo.")
@click.option("--name", help="Workspace name (defaults to the folder name).")
def init(directory: str, demo: bool, name: str | None) -> None:
    """Create a workspace in DIRECTORY."""
    from c2c_monitor.store.workspace import init_workspace, open_workspace

    root = init_workspace(Path(directory), name)
    if demo:
        from c2c_monitor.ingest.demo import fill_demo

        with open_workspace(root) as ws:
            counts = fill_demo(ws.con)
        click.echo(f"demo loaded: {counts['partnerships']} partnerships, {counts['cities']} cities, "
                   f"{counts['observations']} observations, {counts['ratings']} ratings", err=True)
    click.echo(f"workspace ready: {root}", err=True)


@click.command("demo")
@click.argument("directory", type=click.Path(), required=False)
@click.option("--partnership", default="bonn-cape-coast", show_default=True)
def demo_cmd(directory: str | None, partnership: str) -> None:
    """Build a fresh demo workspace, assess one partnership and write its HTML scoreboard."""
    import tempfile

    from c2c_monitor.ingest.demo import fill_demo
    from c2c_monitor.render import RENDERERS
    from c2c_monitor.score.assess import build_scoreboard, store_snapshot
    from c2c_monitor.store.workspace import init_workspace, open_workspace

    root = Path(directory) if directory else Path(tempfile.mkdtemp(prefix="c2c-demo-")) / "workspace"
    # The scoreboard belongs inside the fresh workspace; the check still catches C2C_WORKSPACE's store.
    guard(str(root / "scoreboard.html"))
    init_workspace(root, "demo")
    with open_workspace(root) as ws:
        fill_demo(ws.con)
        sb = store_snapshot(ws, build_scoreboard(ws, partnership))
        lang = ws.config.language
    out = root / "scoreboard.html"
    emit(RENDERERS["html"](sb, lang), str(out))
    click.echo(RENDERERS["table"](sb, lang), nl=False)
    click.echo(f"demo workspace: {root}\nHTML scoreboard: {out}")


@click.group(invoke_without_command=True)
@workspace_options
@click.option("--format", "fmt", type=click.Choice(FORMATS_LISTING), default="table", show_default=True)
@click.pass_context
def partnerships(ctx: click.Context, workspace: str | None, wait: float, fmt: str) -> None:
    """List the partnerships in the workspace (or `import` them from a file)."""
    if ctx.invoked_subcommand is not None:
        return
    with opened(workspace, wait) as ws:
        from c2c_monitor.store.reads import partnership_listing

        rows = partnership_listing(ws.con)
    if fmt == "json":
        emit(json_text([{"id": pid, "name": name, "theme": theme} for pid, name, theme in rows]), None)
    elif fmt == "csv":
        emit(csv_text(["id", "name", "theme"], rows), None)
    else:
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
    from c2c_monitor.errors import InputRejected, NothingLoaded, Report
    from c2c_monitor.ingest.partnerships import import_partnerships

    guard(report, workspace, [file])
    bar = LazyProgress(enabled=True)  # a large sheet takes a while: say so once a second has passed
    with opened(workspace, wait) as ws:
        try:
            res = import_partnerships(ws.con, Path(file), update, dry_run, progress=bar.update)
        except InputRejected as exc:
            bar.stop()
            show_rejected(exc.report, report)
            raise
        finally:
            bar.stop()
    write_report(Report(), report)
    click.echo(("dry run: " if dry_run else "") + f"{res['new']} new, {res['updated']} updated, "
               f"{res['unchanged']} unchanged partnership(s); {res['new_cities']} new city(ies)"
               + (f", {res['updated_cities']} updated" if res["updated_cities"] else ""), err=True)
    # Loads nothing: exit 1, as `c2c ingest` does.
    if not (res["new"] or res["updated"] or res["new_cities"] or res["updated_cities"]):
        raise NothingLoaded(f"{file}: nothing new: every partnership is already registered as it is")


@partnerships.command("template")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write to FILE instead of standard output.")
def partnerships_template(output: str | None) -> None:
    """An example partnerships file to fill in."""
    from c2c_monitor.ingest.partnerships import TEMPLATE
    from c2c_monitor.store.cells import csv_text

    guard(output)
    emit(csv_text(TEMPLATE), output)


@partnerships.command("stage")
@click.argument("partnership", shell_complete=partnership_ids)
@click.argument("step", required=False)
@workspace_options
@click.option("--on", "reached_on", type=click.DateTime(["%Y-%m-%d"]), help="Date the step was reached "
              "(default: today).")
@click.option("--note", help="What marked the step (e.g. the taskforce's first meeting).")
@click.option("--format", "fmt", type=click.Choice(FORMATS_LISTING), default="table", show_default=True)
def partnerships_stage(partnership: str, step: str | None, workspace: str | None, wait: float, reached_on: Any,
                       note: str | None, fmt: str) -> None:
    """Record the step of the City Partnerships process a partnership reached (1-8 or its id), or, without
    STEP, show the steps recorded so far (the history is kept)."""
    from c2c_monitor.definitions.process import load_steps
    from c2c_monitor.ingest.stages import record_stage
    from c2c_monitor.store import reads

    with opened(workspace, wait) as ws:
        if step is not None:
            done, vid = record_stage(ws.con, partnership, step, reached_on.date() if reached_on else None, note)
            click.echo(f"{partnership}: step {done.step} ({done.id}) recorded (vintage {vid})", err=True)
            return
        if reads.partnership_row(ws.con, partnership) is None:
            from c2c_monitor.errors import UnknownPartnership

            raise UnknownPartnership(f"unknown partnership {partnership!r}", hint="see `c2c partnerships`")
        rows = reads.stage_history(ws.con, partnership, None)
        lang = ws.config.language
    steps = load_steps()
    out = [{"step": r[0], "id": steps.number(r[0]).id, "name": steps.number(r[0]).name.get(lang),
            "reached_on": r[1].isoformat() if r[1] else None, "note": r[2], "recorded": r[4], "who": r[5]}
           for r in rows]
    if fmt == "json":
        emit(json_text(out), None)
    elif fmt == "csv":
        emit(csv_text(list(out[0]) if out else ["step", "id", "name", "reached_on", "note", "recorded", "who"],
                      [list(o.values()) for o in out]), None)
    else:
        for o in out:
            click.echo(f"{o['reached_on'] or '':10}  step {o['step']}  {o['name']}" + (f"  ({o['note']})" if o["note"]
                                                                                      else ""))
        if not out:
            click.echo(f"{partnership}: no stage recorded (c2c partnerships stage {partnership} STEP --on DATE)",
                       err=True)
