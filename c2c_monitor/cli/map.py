"""`c2c map suggest` and `c2c map check`: draft a mapping of a city's SDG platform, then see what it would load."""

from __future__ import annotations

from pathlib import Path

import click

from c2c_monitor.cli.context import emit, guard, opened, show_rejected, workspace_options


@click.group("map")
def map_group() -> None:
    """Map a city's own SDG data (Open SDG, SDMX-CSV, SDMX-ML, long CSV/XLSX) to the catalogue."""


def _common_root(inputs: list[Path]) -> Path | None:
    """The folder the mapping's paths are written relative to: the input folder (or a data folder's parent)."""
    first = inputs[0].resolve()
    root = first if first.is_dir() else first.parent
    if root.name == "data" or (root / "meta").is_dir() is False and any(root.glob("indicator_*.csv")):
        root = root.parent
    return root


@map_group.command("suggest")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--city", required=True, help="Workspace city the platform reports on.")
@click.option("--output", "-o", type=click.Path(), help="Write the mapping here (default: stdout).")
@click.option("--encoding", help="Text encoding if not UTF-8 (e.g. cp1252).")
@click.option("--structure", type=click.Path(exists=True, dir_okay=False),
              help="SDMX-ML structure message (DSD) of SDMX-ML data files or SDMX workbooks; by default one "
                   "beside them.")
@workspace_options
def suggest_cmd(inputs: tuple[str, ...], city: str, output: str | None, encoding: str | None,
                structure: str | None, workspace: str | None, wait: float) -> None:
    """Draft a mapping (YAML with reasons as comments) for DIR|FILE... of one city's platform."""
    from c2c_monitor.errors import C2CError, InputRejected, Report
    from c2c_monitor.ingest.series import describe, read_inputs
    from c2c_monitor.ingest.suggest import city_areas, named_areas, render_yaml, suggest

    guard(output, workspace, [*inputs, structure])
    paths = [Path(i) for i in inputs]
    with opened(workspace, wait) as ws:
        from c2c_monitor.score.assess import workspace_catalogue

        row = ws.con.execute("SELECT name FROM cities WHERE city_id = ?", [city]).fetchall()
        if not row:
            raise C2CError(f"--city {city!r}: not a city of the workspace", hint="c2c partnerships lists them")
        cat = workspace_catalogue(ws)
    parsed, meta, skipped, findings = read_inputs(paths, encoding, Path(structure) if structure else None)
    series = describe(parsed, meta)
    if findings:
        show_rejected(Report(tuple(findings)), None)
        raise InputRejected(findings)
    if not series:
        raise C2CError(f"{', '.join(inputs)}: no data series found")
    root = _common_root(paths)
    areas = sorted({a for d in series for a in d.areas})
    # An SDMX-ML code list names its areas: the city's code is found by its name, as ingest finds it.
    area_names = {c: n for d in series for c, n in d.area_names.items() if c in areas}
    city_codes = named_areas(area_names, city, str(row[0][0])) if area_names else []
    mine = city_areas(areas, city, city_codes)
    if mine is not None and set(areas) - mine:
        # A file of several areas: each series is judged on the city's rows only (its headline, units, values).
        series = describe(parsed, meta, city_areas=mine)
    proposals = suggest(series, cat, [city, str(row[0][0])], root, mine)
    text = render_yaml(proposals, city, [str(p.resolve()) for p in paths], meta.files, skipped, root, areas,
                       area_names, city_codes)
    emit(text, output)
    n_cat = sum(s.indicator is not None for s in proposals)
    click.echo(f"{len(series)} series: {n_cat} to catalogue indicators, "
               f"{sum(bool(s.local) and s.indicator is None for s in proposals)} local, "
               f"{sum(s.skip is not None for s in proposals)} skipped, {sum(s.review for s in proposals)} to review; "
               f"metadata read from {len(meta.files)} file(s)", err=True)
    for n in meta.notes[:10]:
        click.echo(f"note: {n}", err=True)


@map_group.command("check")
@click.argument("mapping", type=click.Path(exists=True, dir_okay=False))
@click.argument("inputs", nargs=-1, required=True, type=click.Path())
@click.option("--city", help="Workspace city for rows without an area code (default: the mapping's `city:`).")
@click.option("--encoding", help="Text encoding if not UTF-8 (e.g. cp1252).")
@click.option("--structure", type=click.Path(exists=True, dir_okay=False),
              help="SDMX-ML structure message (DSD) of SDMX-ML data files or SDMX workbooks; by default one "
                   "beside them.")
@workspace_options
def check_cmd(mapping: str, inputs: tuple[str, ...], city: str | None, encoding: str | None, structure: str | None,
              workspace: str | None, wait: float) -> None:
    """What `c2c ingest INPUTS --map MAPPING` would load, what it skips and why; the workspace is not changed."""
    from c2c_monitor.errors import InputRejected, NothingLoaded
    from c2c_monitor.ingest.load import ingest as run
    from c2c_monitor.ingest.mapping import load_mapping

    guard(None, workspace, [mapping, *inputs, structure])
    m = load_mapping(Path(mapping), [], city)
    with opened(workspace, wait) as ws:
        from c2c_monitor.score.assess import workspace_catalogue

        try:
            summary = run(ws.con, workspace_catalogue(ws), [Path(i) for i in inputs], m, "auto", encoding,
                          dry_run=True, structure=Path(structure) if structure else None)
        except InputRejected as exc:
            show_rejected(exc.report, None)
            raise
    for line in summary.lines():
        click.echo(line)
    if m.review:
        click.echo(f"to review: {', '.join(sorted(m.review))}")
    unmapped = [w.split("'")[1] for w in summary.skipped if w.startswith("indicator ")]
    if unmapped:
        click.echo(f"not in the mapping (skipped): {', '.join(unmapped)}")
    if summary.nothing_loaded:
        raise NothingLoaded(summary.nothing_loaded)


@map_group.command("example")
@click.argument("name", required=False)
@click.option("--output", "-o", type=click.Path(), help="Write it here (default: stdout).")
def example_cmd(name: str | None, output: str | None) -> None:
    """The mapping files shipped with c2c (drafted by `map suggest` on real city platforms): list, or print NAME."""
    from c2c_monitor.definitions.locate import definitions_dir
    from c2c_monitor.errors import C2CError

    files = sorted(definitions_dir("examples").glob("*-mapping.yaml"))
    shipped = {p.name.removesuffix("-mapping.yaml"): p for p in files}
    if name is None:
        for n in shipped:
            click.echo(n)
        return
    if name not in shipped:
        raise C2CError(f"no shipped mapping {name!r} (shipped: {', '.join(shipped)})")
    guard(output)
    emit(shipped[name].read_text(encoding="utf-8"), output)
