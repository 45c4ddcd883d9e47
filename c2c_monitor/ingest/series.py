"""Series descriptions: what `c2c map suggest` knows of each source series, whatever reader produced it.

A description is the series' code, title, unit, disaggregation columns, source file and what its metadata
states (direction of improvement, 2030 target). The suggestion core (`suggest.py`) reads only these, so any
reader that yields the canonical raw frame (Open SDG, SDMX-CSV, long CSV/XLSX, later SDMX-ML) can feed it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from c2c_monitor.definitions.periods import polars_parts
from c2c_monitor.errors import Finding
from c2c_monitor.ingest.metadata import Metadata, find_metadata, norm_code
from c2c_monitor.ingest.readers import Parsed

_LOWER = re.compile(r"\b(reduc|reduir|rédui|redui|reduz|decreas|lower|less than|below|halve|cut|minimi|disminu|"
                    r"senk|verring|unter|menys de|menos de|moins de)", re.I)
_HIGHER = re.compile(r"\b(increas|rais|augment|aument|more than|above|at least|maximi|improv|steiger|erhöh|"
                     r"mehr als|mínim|minim|mes de|más de|plus de)", re.I)


@dataclass
class SeriesDescription:
    code: str  # the source's code, as the mapping file keys it
    title: str
    unit: str | None  # as the metadata or the data state it
    source_file: str
    data_units: list[str] = field(default_factory=list)  # distinct values of the data's unit column
    disagg_columns: list[str] = field(default_factory=list)
    disagg_values: dict[str, list[str]] = field(default_factory=dict)
    has_headline: bool = True  # rows without any disaggregation exist
    rows: int = 0
    bad_periods: list[str] = field(default_factory=list)  # texts that are not periods of the past
    latest: float | None = None  # the newest headline value
    meta_file: str | None = None
    polarity: str | None = None  # "higher" / "lower" where the metadata says so
    polarity_why: str | None = None
    target_2030: float | None = None
    target_why: str | None = None
    source_org: str | None = None  # who publishes it, as the metadata says
    area_names: dict[str, str] = field(default_factory=dict)  # area code -> code-list name (SDMX-ML REF_AREA)
    areas: list[str] = field(default_factory=list)  # area codes of its rows (SDMX REF_AREA, Open SDG GeoCode)


def _float(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int | float):
        return float(v)
    try:
        return float(str(v).strip().replace(",", "."))
    except (TypeError, ValueError):
        return None


def _title(rec: dict[str, Any], code: str, listed: str | None = None) -> str:
    """The metadata's title, else the name the source's code list gives the code (SDMX-ML SERIES), else the code."""
    for k in ("indicator_name", "graph_title", "national_indicator_available", "title", "name"):
        v = rec.get(k)
        if isinstance(v, str) and v.strip():
            return " ".join(v.split())
    return " ".join(listed.split()) if listed and listed.strip() else code


def _direction_and_target(d: SeriesDescription, rec: dict[str, Any]) -> None:
    """Open SDG's progress options first, then one target line, then the words of the 2030 target text."""
    opts = rec.get("progress_calculation_options")
    if isinstance(opts, list) and opts and isinstance(opts[0], dict):
        direction = str(opts[0].get("direction") or "").lower()
        if direction in ("positive", "negative"):
            d.polarity = "higher" if direction == "positive" else "lower"
            d.polarity_why = f"progress_calculation_options direction: {direction}"
        if (t := _float(opts[0].get("target"))) is not None:
            d.target_2030, d.target_why = t, "progress_calculation_options target"
    lines = [x for x in rec.get("graph_target_lines") or []
             if isinstance(x, dict) and _float(x.get("value")) is not None]
    if d.target_2030 is None and len(lines) == 1:
        d.target_2030 = _float(lines[0]["value"])
        d.target_why = "graph_target_lines"
    text = " ".join(str(rec.get(k) or "") for k in ("target_line_2030", "barcelona_target", "target_2030"))
    if d.polarity is None and text.strip():
        low, high = bool(_LOWER.search(text)), bool(_HIGHER.search(text))
        if low != high:
            d.polarity = "lower" if low else "higher"
            d.polarity_why = f"2030 target text: {text.strip()[:80]!r}"
    if d.polarity is None and d.target_2030 is not None and d.latest is not None and d.target_2030 != d.latest:
        d.polarity = "lower" if d.target_2030 < d.latest else "higher"
        d.polarity_why = f"2030 target {d.target_2030:g} is {d.polarity} than the latest value {d.latest:g}"


def describe(parsed: list[Parsed], meta: Metadata, today: dt.date | None = None,
             city_areas: Collection[str] | None = None) -> list[SeriesDescription]:
    """One description per source code of the parsed files, with its metadata (one polars pass for all).

    `city_areas`: the area codes that are the city. A national file (SDMX) holds many areas; what the mapping
    proposes for the city (headline, its disaggregation, units, latest value) is then judged on the rows of
    the city's areas and of none (a blank area is the city's at ingest), never on other areas' rows. `areas`
    still lists every area of the series, so a series without a row for the city can be said to have none."""
    today = today or dt.date.today()
    frames = [p.frame for p in parsed if p.frame.height]
    if not frames:
        return []
    # Code lists of SDMX-ML structures: series titles and area names, by the file the series comes from.
    series_names = {c: n for p in parsed for c, n in p.series_names.items()}
    area_names = {str(p.frame["_file"][0]): p.area_names for p in parsed if p.frame.height and p.area_names}
    year, _, _ = polars_parts(pl.col("period"))
    head = pl.col("disagg") == ""
    num = pl.col("value").str.strip_chars().cast(pl.Float64, strict=False)
    bad = pl.col("_year").is_null() | ~pl.col("_year").is_between(1950, today.year)
    # A line with neither period nor value is a blank line of the file (a trailing CRLF), not an observation.
    empty = pl.col("period").is_null() & (pl.col("value").is_null() | (pl.col("value").str.strip_chars() == ""))
    area = pl.col("area").str.strip_chars()
    mine = None if city_areas is None else \
        (area.is_null() | (area == "") | area.is_in(sorted(city_areas))).fill_null(False)

    def only(e: pl.Expr) -> pl.Expr:  # the city's rows, when its areas are known
        return e if mine is None else e.filter(mine)

    if mine is not None:
        head = head & mine
    agg = (pl.concat(frames).filter(pl.col("source_code").is_not_null() & ~empty).with_columns(year.alias("_year"))
           .sort("_year", nulls_last=False)
           .group_by("source_code", maintain_order=True).agg(
               pl.col("_file").first(), pl.len().alias("rows"),
               area.drop_nulls().unique().sort().alias("areas"),
               only(pl.col("unit")).str.strip_chars().drop_nulls().unique().sort().alias("units"),
               only(pl.col("disagg")).unique().alias("keys"), head.any().alias("has_headline"),
               pl.col("period").filter(bad).cast(pl.String).fill_null("(blank)").unique().sort().head(5).alias("bad"),
               num.filter(head & pl.col("_year").is_not_null()).drop_nulls().last().alias("latest")))
    out: list[SeriesDescription] = []
    for r in agg.iter_rows(named=True):
        code = str(r["source_code"])
        rec = meta.records.get(norm_code(code) or code, {})
        units = [u for u in r["units"] if u]
        cols: dict[str, set[str]] = {}
        for k in r["keys"]:
            for part in (k.split("|") if k else []):
                name, _, value = part.partition("=")
                cols.setdefault(name, set()).add(value)
        if len(units) > 1:  # Open SDG: several units are a dimension of the series (see ingest/local.py)
            cols["Units"] = set(units)
        meta_unit = rec.get("computation_units")
        d = SeriesDescription(
            code=code, title=_title(rec, code, series_names.get(code)),
            unit=" ".join(str(meta_unit).split()) if isinstance(meta_unit, str) and meta_unit.strip()
            else (units[0] if len(units) == 1 else None),
            source_file=str(r["_file"]), data_units=units, disagg_columns=sorted(cols),
            disagg_values={c: sorted(v) for c, v in sorted(cols.items())},
            has_headline=bool(r["has_headline"]) and len(units) < 2, rows=int(r["rows"]),
            bad_periods=[str(x) for x in r["bad"]],
            latest=r["latest"], meta_file=meta.where.get(norm_code(code) or code),
            areas=[a for a in r["areas"] if a], area_names=area_names.get(str(r["_file"]), {}))
        org = rec.get("source_organisation_1") or rec.get("source_organisation")
        d.source_org = " ".join(org.split()) if isinstance(org, str) and org.strip() else None
        _direction_and_target(d, rec)
        out.append(d)
    return out


def read_inputs(inputs: list[Path], encoding: str | None = None, structure: Path | None = None
                ) -> tuple[list[Parsed], Metadata, dict[str, str], list[Finding]]:
    """Read the data files under `inputs` and their metadata: (parsed files, metadata, skipped files, findings).

    `structure` is the DSD of SDMX-ML data messages (by default the one beside them, as ingest finds it)."""
    from c2c_monitor.ingest.load import expand, read_batch

    files = expand(inputs)
    parsed, findings, skipped = read_batch(files, "auto", encoding, structure=structure)
    return parsed, find_metadata(inputs, files), skipped, findings


def read_series(inputs: list[Path], encoding: str | None = None, structure: Path | None = None
                ) -> tuple[list[SeriesDescription], Metadata, dict[str, str], list[Finding]]:
    """`read_inputs`, each series described over all its rows: (descriptions, metadata, skipped, findings)."""
    parsed, meta, skipped, findings = read_inputs(inputs, encoding, structure)
    return describe(parsed, meta), meta, skipped, findings
