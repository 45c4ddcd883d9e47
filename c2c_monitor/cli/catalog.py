"""`c2c catalog` and `c2c explain`: the indicator definitions, and how one is computed."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from c2c_monitor.cli.complete import indicator_ids


@click.group()
def catalog() -> None:
    """The indicator catalogue: validate, list, show."""


@catalog.command("validate")
@click.option("--workspace", "-w", envvar="C2C_WORKSPACE", type=click.Path(),
              help="Also validate the workspace's own indicators.")
@click.option("--path", "paths", multiple=True, type=click.Path(exists=True, file_okay=False),
              help="Validate this folder instead of the shipped catalogue.")
@click.option("--report", type=click.Path(), help="Write the findings to FILE (.json or .csv).")
@click.option("--lang", "langs", multiple=True, type=click.Choice(["fr", "es", "pt"]),
              help="Check the translations into this language only (repeatable); default: every language.")
def catalog_validate(workspace: str | None, paths: tuple[str, ...], report: str | None,
                     langs: tuple[str, ...]) -> None:
    """Check every definition file, its translations and the coverage rules; exit 1 on findings."""
    from c2c_monitor.cli.context import write_report
    from c2c_monitor.definitions.catalog import coverage_findings, validate_catalogue
    from c2c_monitor.definitions.languages import LANGUAGES
    from c2c_monitor.definitions.principles import load_framework
    from c2c_monitor.definitions.translations import translation_findings
    from c2c_monitor.errors import DefinitionError, Report

    own = Path(workspace) / "own_indicators" if workspace else None
    cat, findings = validate_catalogue([Path(p) for p in paths] or None, own)
    if cat is not None:
        findings = coverage_findings(cat)
    result = Report(tuple(findings))
    try:
        load_framework()
    except DefinitionError as exc:  # the principles are definitions too: their findings join the same report
        result += exc.report
    # Every text in every language (or in --lang): a text left untranslated falls back to English on a
    # participant's worksheet, which validation should say before a workshop does.
    result += translation_findings(langs or LANGUAGES, [Path(p) for p in paths] or None, own)
    write_report(result, report)
    for f in result.findings:
        click.echo(str(f), err=True)
    if result.findings:
        click.echo(f"{len(result)} problem(s)", err=True)
    if not result.valid:
        sys.exit(result.exit_code())
    assert cat is not None
    click.echo(f"catalogue {cat.version}: {len(cat.indicators)} indicators "
               f"({len(cat.select('simplified'))} simplified), coverage rules met")


@catalog.command("list")
@click.option("--list", "list_name", type=click.Choice(["simplified", "long"]))
@click.option("--sdg", type=click.IntRange(1, 17), help="SDG goal number.")
@click.option("--dac", type=click.Choice(["relevance", "coherence", "effectiveness", "efficiency", "impact",
                                          "sustainability"]))
@click.option("--principle", type=click.Choice([f"P{i:02d}" for i in range(1, 11)]))
@click.option("--ec", type=click.Choice(["urban_governance", "social_inclusiveness", "resilience_greening",
                                         "prosperity_innovation"]))
@click.option("--family", type=click.Choice(["city", "partnership"]))
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
def catalog_list(list_name: str | None, sdg: int | None, dac: str | None, principle: str | None,
                 ec: str | None, family: str | None, fmt: str) -> None:
    """List indicators, filtered."""
    from c2c_monitor.store.catalog_cache import listing, public, select

    inds = select(listing(), list_name, sdg, dac, principle, ec, family)
    if fmt == "json":
        click.echo(json.dumps([public(i) for i in inds], indent=2, ensure_ascii=False))
        return
    if fmt == "csv":
        from c2c_monitor.cli.context import csv_text

        click.echo(csv_text(LIST_COLUMNS, ([i["id"], i["title"], i["family"], i["list"], i["_sdg_label"],
                                           i["ec_objective"], " ".join(i["dac"]), " ".join(i["principles"]), i["unit"]]
                                          for i in inds)), nl=False)
        return
    for i in inds:
        click.echo(f"{i['id']:36} {i['list']:10} SDG {i['_sdg_label']:18} {i['title'][:60]}")
    click.echo(f"{len(inds)} indicator(s)", err=True)


LIST_COLUMNS = ["id", "title", "family", "list", "sdg", "ec_objective", "dac", "principles", "unit"]
SHOW_COLUMNS = [*LIST_COLUMNS, "polarity", "periodicity", "end_value", "end_value_source", "data_source",
                "harmonised"]


@catalog.command("show")
@click.argument("indicator", shell_complete=indicator_ids)
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True,
              help="table: the definition as YAML.")
def catalog_show(indicator: str, fmt: str) -> None:
    """Show one indicator definition (YAML; JSON or one CSV row for machines)."""
    import yaml

    from c2c_monitor.cli.context import csv_text, emit, json_text
    from c2c_monitor.definitions.catalog import load_catalogue
    from c2c_monitor.errors import C2CError

    cat = load_catalogue()
    ind = cat.indicators.get(indicator)
    if ind is None:
        close = [i for i in cat.indicators if indicator.lower() in i]
        raise C2CError(f"unknown indicator {indicator!r}",
                       hint=f"did you mean: {', '.join(close[:5])}" if close else "see `c2c catalog list`")
    data = ind.model_dump(mode="json", exclude_defaults=False)
    if fmt == "json":
        emit(json_text(data), None)
    elif fmt == "csv":
        # The columns of `c2c catalog list --format csv`, then what a list leaves out; nested parts
        # (computation, bounds) are in the JSON and YAML.
        emit(csv_text(SHOW_COLUMNS, [[
            ind.id, ind.title, ind.family, ind.list, ind.sdg.label, ind.ec_objective, " ".join(ind.dac),
            " ".join(ind.principles), ind.unit, ind.polarity, ind.periodicity, ind.end_value.value,
            ind.end_value.source, ind.data_source, ind.harmonised]]), None)
    else:
        click.echo(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), nl=False)


@click.command()
@click.argument("indicator", shell_complete=indicator_ids)
def explain(indicator: str) -> None:
    """Show how INDICATOR is computed: its definition, the DuckDB SQL with parameters, the polars plan."""
    import polars as pl

    from c2c_monitor.definitions.catalog import Reported, load_catalogue
    from c2c_monitor.definitions.records import DATASETS
    from c2c_monitor.engine import polars_backend, reported
    from c2c_monitor.engine.duckdb_backend import build_sql
    from c2c_monitor.engine.spec import grain_for, plan_for
    from c2c_monitor.errors import C2CError

    cat = load_catalogue()
    ind = cat.indicators.get(indicator)
    if ind is None:
        raise C2CError(f"unknown indicator {indicator!r}", hint="see `c2c catalog list`")
    click.echo(f"# {ind.id}: {ind.title}\n# {ind.family} indicator, {ind.periodicity}, unit {ind.unit}, "
               f"polarity {ind.polarity}, end value {ind.end_value.value:g} ({ind.end_value.source})")
    if isinstance(ind.computation, Reported):
        sql, params = reported.build_sql(ind, "cur_observations")
        click.echo("# reported by a statistical office; annual rule: " + ind.annual_rule)
        click.echo("-- DuckDB SQL\n" + sql + f"\n-- parameters: {params!r}")
        return
    plan = plan_for(ind)
    grain = grain_for(ind)
    sql, params = build_sql(plan, {d: f"cur_{d}" for d in DATASETS}, grain, "populations")
    click.echo("-- DuckDB SQL (identifiers from the records schema, values bound)\n" + sql
               + f"\n-- parameters: {params!r}")
    from c2c_monitor.ingest.records import PL_TYPES

    empty = {d: pl.DataFrame(schema={c.name: PL_TYPES[c.type] for c in ds.columns} | {"vintage_id": pl.Int64})
             for d, ds in DATASETS.items()}
    pops = pl.DataFrame(schema={"partnership_id": pl.String, "population": pl.Float64})
    click.echo("-- polars plan\n" + polars_backend.build_lazy(plan, empty, grain, pops).explain())
