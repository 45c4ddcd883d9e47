"""The indicator series in the layout sdg-build reads: `data/indicator_G-T-I.csv` and `meta/G-T-I.md`.

Each data file has a numeric `Year`, the quarter (if any) in its own `Quarter` column, the catalogue code
in `Series`, the city's name in `City` (a disaggregation Open SDG charts can pick) and its id in `GeoCode`.
The metadata's front matter carries titles, units, sources, the 2030 end value as a target line, and a
`c2c_monitor` block naming the catalogue indicator: `c2c ingest` reads that, so the folder loads back
without a mapping.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl
import yaml

from c2c_monitor.definitions.catalog import Catalogue, Indicator

# Columns the export writes itself; a stored disaggregation by one of these names would collide with it.
RESERVED = ("Year", "Quarter", "Series", "City", "GeoCode", "Units", "Unit multiplier", "Observation status", "Value")
# ... and the observation columns the export is built from.
INTERNAL = ("code", "city_id", "period", "disagg", "value", "unit", "obs_status", "sdg")


@dataclass
class OpenSdgExport:
    data: dict[str, pl.DataFrame] = field(default_factory=dict)  # file name in data/ -> frame
    meta: dict[str, str] = field(default_factory=dict)  # file name in meta/ -> markdown
    notes: list[str] = field(default_factory=list)


def open_sdg_ids(cat: Catalogue) -> dict[str, str]:
    """Open SDG id (G-T-I) per observation code. Local proxies have no UN indicator code: they get
    G-T-pN, N counting the proxies of a target in catalogue order, which Open SDG accepts as a local id."""
    ids: dict[str, str] = {}
    proxies: dict[str, int] = {}
    for i in cat.ordered:
        if i.family != "city":
            continue
        if i.sdg.code:
            ids[i.observation_code] = i.sdg.code.replace(".", "-")
        elif i.sdg.target:
            proxies[i.sdg.target] = proxies.get(i.sdg.target, 0) + 1
            ids[i.observation_code] = f"{i.sdg.target.replace('.', '-')}-p{proxies[i.sdg.target]}"
    return ids


def _dimensions(obs: pl.DataFrame) -> list[str]:
    names: set[str] = set()
    for key in obs["disagg"].unique().to_list():
        for part in filter(None, (key or "").split("|")):
            names.add(part.split("=", 1)[0])
    return sorted(names)


def _split(obs: pl.DataFrame, dims: list[str]) -> pl.DataFrame:
    # Each part is `name=value` and names are distinct within a key: split on | then on the first =.
    parts = pl.col("disagg").str.split("|")
    return obs.with_columns(
        parts.list.eval(pl.element().filter(pl.element().str.starts_with(f"{d}="))
                        .str.slice(len(d) + 1)).list.first().fill_null("").alias(d)
        for d in dims)


def _meta(sdg_id: str, inds: list[Indicator]) -> str:
    first = inds[0]
    front = {
        "indicator_number": sdg_id.replace("-", "."),
        "indicator_name": first.title,
        "graph_title": first.title,
        "graph_type": "line",
        "reporting_status": "complete",
        "data_non_statistical": False,
        "computation_units": first.unit,
        "source_active_1": True,
        "source_organisation_1": first.data_source,
        "national_indicator_available": "; ".join(i.title for i in inds),
        "target_line_2030": "; ".join(f"{i.end_value.value:g} {i.unit} ({i.end_value.source})" for i in inds),
        "graph_target_lines": [{"value": i.end_value.value, "label_content": f"2030 end value: {i.title}"}
                               for i in inds],
        # Read by `c2c ingest`: the Series column holds these catalogue codes; City labels GeoCode.
        "c2c_monitor": {"indicators": [i.observation_code for i in inds], "area_label": "City"},
    }
    body = "\n".join(f"**{i.title}** ({i.unit}); 2030 end value {i.end_value.value:g} ({i.end_value.source}). "
                     f"Source: {i.data_source}." for i in inds)
    # libyaml's emitter when PyYAML has it (the pure-Python one was a fifth of publishing 1,000 pages); same output.
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    text = yaml.dump(front, Dumper=dumper, sort_keys=False, allow_unicode=True)
    return "---\n" + text + "---\n\n" + body + "\n"


def _clashes(name: str) -> bool:
    return name.strip().lower() in {r.lower() for r in RESERVED + INTERNAL}


def open_sdg(obs: pl.DataFrame, cat: Catalogue, city_names: dict[str, str]) -> OpenSdgExport:
    """One data file and one metadata file per SDG indicator the observations have."""
    sdg_of = open_sdg_ids(cat)
    by_code = {i.observation_code: i for i in cat.indicators.values() if i.family == "city"}
    order = {c: cat.ordered.index(i) for c, i in by_code.items()}
    out = OpenSdgExport()
    if obs.height == 0:
        return out
    obs = obs.with_columns(pl.col("code").replace_strict(sdg_of, default=None, return_dtype=pl.String).alias("sdg"))
    obs = obs.filter(pl.col("sdg").is_not_null())
    # Each file's columns computed once over all the rows, then cut per file (a pass per file and column was
    # most of the export): a disaggregation only becomes a column of the files whose rows have it.
    pairs = obs.select("sdg", "disagg").unique()
    dims_of = {sdg: _dimensions(part) for (sdg,), part in pairs.partition_by("sdg", as_dict=True).items()}
    # A disaggregation named like a column of the layout is never split out (see the clash below).
    split = sorted({d for dims in dims_of.values() for d in dims if not _clashes(d)})
    units = {c: i.unit for c, i in by_code.items()}
    obs = _split(obs, split).with_columns(
        pl.col("period").str.slice(0, 4).cast(pl.Int32).alias("Year"),
        pl.col("period").str.extract(r"-Q([1-4])$").cast(pl.Int32).alias("Quarter"),
        pl.col("city_id").replace_strict(city_names, default=None, return_dtype=pl.String).alias("City"),
        pl.col("code").replace_strict(units, default=None, return_dtype=pl.String).alias("Units"))
    for (sdg,), part in sorted(obs.partition_by("sdg", as_dict=True).items()):
        dims = dims_of[sdg]
        clash = [d for d in dims if _clashes(d)]
        if clash:
            # A disaggregation named like a column of the export would be two columns of one name: leave
            # those rows out and say so, rather than write a file Open SDG (or c2c) reads wrongly.
            bad = pl.col("disagg").str.contains("|".join(f"(^|\\|){d}=" for d in clash))
            n = part.filter(bad).height
            out.notes.append(f"Open SDG export indicator_{sdg}.csv: {n} observation(s) left out: disaggregation "
                             f"{clash[0]!r} is named like a column of the Open SDG layout")
            part = part.filter(~bad)
            dims = [d for d in dims if d not in clash]
            if part.height == 0:
                continue
        quarterly = part["Quarter"].is_not_null().any()
        out.data[f"indicator_{sdg}.csv"] = part.select(
            "Year", *(["Quarter"] if quarterly else []), pl.col("code").alias("Series"), "City",
            pl.col("city_id").alias("GeoCode"), *dims, "Units",
            pl.col("obs_status").alias("Observation status"), pl.col("value").alias("Value"),
        )
        codes = sorted(part["code"].unique().to_list(), key=lambda c: order[c])
        out.meta[f"{sdg}.md"] = _meta(sdg, [by_code[c] for c in codes])
    return out
