"""`c2c records`: the partnership's own records (activities, participants, budget lines, ...)."""

from __future__ import annotations

from pathlib import Path

import click

from c2c_monitor.cli.context import (
    FORMATS_LISTING,
    csv_text,
    emit,
    guard,
    json_text,
    opened,
    show_rejected,
    workspace_options,
    write_report,
)


@click.group()
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
    from c2c_monitor.errors import InputRejected, NothingLoaded, Report
    from c2c_monitor.ingest.records import import_records

    guard(report, workspace, [file])
    with opened(workspace, wait) as ws:
        try:
            res = import_records(ws.con, dataset, Path(file), dry_run)
        except InputRejected as exc:
            show_rejected(exc.report, report)
            raise
    write_report(Report(), report)
    click.echo(("dry run: " if dry_run else "") + f"{res['rows']} row(s): {res['new_or_changed']} new or changed, "
               f"{res['unchanged']} unchanged" + (f"; vintage {res['vintage_id']}" if "vintage_id" in res else ""),
               err=True)
    if not res["new_or_changed"]:  # loads nothing: exit 1, as `c2c ingest` does
        raise NothingLoaded(f"{file}: nothing new: every row is already held as it is; no vintage written")


@records.command("template")
@click.argument("dataset", type=click.Choice(["activities", "participants", "budget_lines", "staff_exchanges",
                                              "publications", "digital_tools"]))
@click.option("--output", "-o", type=click.Path(), help="Write to FILE instead of standard output.")
def records_template(dataset: str, output: str | None) -> None:
    """Write the header of a records file (see `c2c records schema` for the columns)."""
    from c2c_monitor.definitions.records import DATASETS

    ds = DATASETS[dataset]
    guard(output)
    emit(",".join(ds.names) + "\n", output)


@records.command("schema")
@click.option("--format", "fmt", type=click.Choice(FORMATS_LISTING), default="table", show_default=True)
def records_schema(fmt: str) -> None:
    """Document every records dataset: columns, types, required, allowed values."""
    from c2c_monitor.definitions.records import DATASETS

    if fmt == "json":
        emit(json_text([{"dataset": ds.name, "key": ds.key, "doc": ds.doc, "columns": [
            {"name": c.name, "type": c.type, "required": c.required, "choices": list(c.choices), "doc": c.doc}
            for c in ds.columns]} for ds in DATASETS.values()]), None)
        return
    if fmt == "csv":
        # One row per column; the allowed values space-separated, as in `c2c catalog list --format csv`.
        emit(csv_text(["dataset", "key", "column", "type", "required", "choices", "doc"],
                      [[ds.name, ds.key, c.name, c.type, c.required, " ".join(c.choices), c.doc]
                       for ds in DATASETS.values() for c in ds.columns]), None)
        return
    for ds in DATASETS.values():
        click.echo(f"{ds.name} (key {ds.key}): {ds.doc}")
        for c in ds.columns:
            extra = f" one of: {', '.join(c.choices)}" if c.choices else ""
            click.echo(f"  {c.name:20} {c.type:6} {'required' if c.required else 'optional':9}{extra}"
                       + (f"  {c.doc}" if c.doc else ""))
