"""`c2c init`, `c2c demo` and `c2c partnerships`: create a workspace and register its partnerships."""

from __future__ import annotations

from pathlib import Path

import click

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
    from c2c_monitor.errors import InputRejected, Report
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
               f"{res['unchanged']} unchanged partnership(s); {res['new_cities']} new city(ies)", err=True)


@partnerships.command("template")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write to FILE instead of standard output.")
def partnerships_template(output: str | None) -> None:
    """An example partnerships file to fill in."""
    from c2c_monitor.ingest.partnerships import TEMPLATE
    from c2c_monitor.store.cells import csv_text

    guard(output)
    emit(csv_text(TEMPLATE), output)
