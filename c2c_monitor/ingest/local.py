"""A city's local indicators: the rows of series the mapping keeps as `local:`, checked like any data.

Local series never enter `observations` (so nothing harmonised can read them): their rows go to
`local_observations` and their definitions (title, unit, direction, 2030 target, source) to
`local_indicators`, in the same vintage as the batch's catalogue rows. The checks are the batch's: a period
outside the grammar or the past, a value that is not a number, a malformed disaggregation, a duplicate key or
an area that is no workspace city refuses the batch with file, line and column.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import polars as pl

from c2c_monitor.definitions.periods import polars_parts
from c2c_monitor.errors import Finding
from c2c_monitor.ingest.mapping import Mapping
from c2c_monitor.ingest.validate import DISAGG, OBS_STATUS, canonical_key

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection

BLANKS = ["", "NaN", "NA", "..", ":"]


@dataclass
class LocalBatch:
    rows: pl.DataFrame  # city_id, code, period, year, quarter, disagg, value, obs_status
    defs: pl.DataFrame  # city_id, code, title, unit, polarity, target_2030, source
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _bad(df: pl.DataFrame, mask: pl.Expr, code: str, column: str, value: str, msg: str) -> list[Finding]:
    return [Finding(code, r["_file"], msg, r["_line"], column, None if r[value] is None else str(r[value]))
            for r in df.filter(mask.fill_null(False)).head(200).iter_rows(named=True)]


def check_local(frame: pl.DataFrame, mapping: Mapping, cities: set[str], today: dt.date | None = None) -> LocalBatch:
    today = today or dt.date.today()
    city = mapping.default_city
    area_map = {**{c: c for c in cities}, **mapping.areas}
    # A line with neither period nor value is a blank line of the file (a trailing CRLF), not an observation.
    empty = pl.col("period").is_null() & (pl.col("value").is_null() | (pl.col("value").str.strip_chars() == ""))
    df = frame.filter(~empty).with_columns(
        pl.when(pl.col("area").is_null() | (pl.col("area").str.strip_chars() == "")).then(pl.lit(city, pl.String))
        .otherwise(pl.col("area").str.strip_chars().replace_strict(area_map, default=None, return_dtype=pl.String))
        .alias("city_id"))
    skipped_notes: list[str] = []
    if mapping.areas:
        # A mapping that names its area codes reads a file of several areas (a national SDMX-ML message):
        # rows of the other areas are left out with a note, as they are for catalogue indicators.
        other = pl.col("city_id").is_null() & (pl.col("area").str.strip_chars().fill_null("") != "")
        dropped = df.filter(other)
        if dropped.height:
            codes = dropped["area"].unique().sort().to_list()
            skipped_notes.append(f"{dropped.height} row(s) of local series skipped: area(s) "
                                 f"{', '.join(map(repr, codes[:10]))}{' ...' if len(codes) > 10 else ''} "
                                 "not mapped to a workspace city")
            df = df.filter(~other)
    # Open SDG treats `Units` as a dimension: a series given in several units (euros and percent of the
    # same spending) is one series per unit, so the unit joins the disaggregation key.
    n_units = df.group_by("source_code").agg(pl.col("unit").drop_nulls().n_unique().alias("n"))
    multi = n_units.filter(pl.col("n") > 1)["source_code"].to_list()
    if multi:
        part = pl.lit("Units=") + pl.col("unit").str.strip_chars()
        df = df.with_columns(pl.when(pl.col("source_code").is_in(multi) & pl.col("unit").is_not_null())
                             .then(pl.when(pl.col("disagg") == "").then(part)
                                   .otherwise(pl.col("disagg") + pl.lit("|") + part))
                             .otherwise(pl.col("disagg")).alias("disagg"))
    year, quarter, _ = polars_parts(pl.col("period"))
    raw = pl.col("value").str.strip_chars()
    blank = pl.col("value").is_null() | raw.is_in(BLANKS)
    num = raw.cast(pl.Float64, strict=False)
    df = df.with_columns(year.alias("year"), quarter.alias("quarter"),
                         pl.when(blank).then(None).otherwise(num).alias("value_num"),
                         (~blank & (num.is_null() | ~num.is_finite())).alias("_bad_value"),
                         pl.col("obs_status").str.strip_chars().replace("", None).alias("obs_status"))
    ok_disagg = pl.col("disagg").str.contains(DISAGG) | (pl.col("disagg") == "")
    findings = _bad(df, pl.col("city_id").is_null(), "unknown-area", "area", "area",
                    "no workspace city for this row: give `city:` in the mapping, --city, or map the area")
    findings += _bad(df, pl.col("year").is_null(), "bad-period", "period", "period",
                     "not a period (YYYY, YYYY-Qn, YYYY-MM)")
    findings += _bad(df, ~pl.col("year").is_between(1950, today.year), "impossible-period", "period", "period",
                     f"year outside 1950-{today.year} (no data from the future)")
    findings += _bad(df, pl.col("_bad_value"), "bad-value", "value", "value", "not a number")
    findings += _bad(df, ~ok_disagg, "bad-disaggregation", "disaggregation", "disagg",
                     "a disaggregation is KEY=value pairs joined by '|', neither side blank")
    findings += _bad(df, pl.col("obs_status").is_not_null() & ~pl.col("obs_status").is_in(list(OBS_STATUS)),
                     "bad-obs-status", "OBS_STATUS", "obs_status", "not an SDMX observation status code")
    keys = {k: canonical_key(k) for k in df["disagg"].unique().drop_nulls().to_list()}
    df = df.with_columns(pl.col("disagg").replace_strict(keys, default=pl.col("disagg"), return_dtype=pl.String),
                         pl.col("source_code").alias("code"),
                         pl.when(pl.col("quarter") == 0).then(pl.col("year").cast(pl.String))
                         .otherwise(pl.format("{}-Q{}", pl.col("year"), pl.col("quarter"))).alias("period_c"))
    key = ["city_id", "code", "year", "quarter", "disagg"]
    notes: list[str] = skipped_notes
    # A line repeated word for word (same key, value and status) says nothing new: kept once, with a note.
    # Duplicates that differ are reported beside the other findings, so one run lists every problem.
    before = df.height
    df = df.unique(subset=[*key, "value_num", "obs_status"], keep="first", maintain_order=True)
    if df.height < before:
        notes.append(f"{before - df.height} repeated line(s) of local series read once")
    dup = df.select(key).is_duplicated() & df["year"].is_not_null()
    if dup.any():
        d = df.filter(dup).with_columns(_first=pl.col("_line").min().over(key))
        findings += [Finding("duplicate-key", r["_file"], f"same local indicator, city, period and "
                             f"disaggregation as line {r['_first']}", r["_line"], "period", r["period"])
                     for r in d.filter(pl.col("_line") != pl.col("_first")).head(200).iter_rows(named=True)]
    rows = df.select("city_id", "code", pl.col("period_c").alias("period"), "year", "quarter", "disagg",
                     pl.col("value_num").alias("value"), "obs_status")
    pairs = rows.select("city_id", "code").unique(maintain_order=True)
    defs = pl.DataFrame([{"city_id": c, "code": s, "title": mapping.locals[s].title, "unit": mapping.locals[s].unit,
                          "polarity": mapping.locals[s].polarity, "target_2030": mapping.locals[s].target_2030,
                          "source": mapping.locals[s].source} for c, s in pairs.iter_rows() if c is not None],
                        schema={"city_id": pl.String, "code": pl.String, "title": pl.String, "unit": pl.String,
                                "polarity": pl.String, "target_2030": pl.Float64, "source": pl.String})
    return LocalBatch(rows, defs, findings, notes)


def changes(con: DuckDBPyConnection, batch: LocalBatch) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """(rows to write, definitions to write, rows unchanged) against what the store holds."""
    from c2c_monitor.store.reads import local_current

    cities = batch.rows["city_id"].unique().drop_nulls().to_list()
    cur_defs, cur_obs = local_current(con, cities)
    k = ["city_id", "code", "period", "disagg"]
    cur = cur_obs.rename({"value": "_v", "obs_status": "_s"}).with_columns(pl.lit(True).alias("_hit"))
    j = batch.rows.join(cur, on=k, how="left")
    same = pl.col("_hit").fill_null(False) & pl.col("_v").eq_missing(pl.col("value")) & \
        pl.col("_s").eq_missing(pl.col("obs_status"))
    new_rows = j.filter(~same.fill_null(False)).select(batch.rows.columns)
    d = batch.defs.join(cur_defs, on=["city_id", "code"], how="left", suffix="_old")
    same_def = pl.all_horizontal(pl.col(c).eq_missing(pl.col(f"{c}_old"))
                                 for c in ("title", "unit", "polarity", "target_2030", "source"))
    return new_rows, d.filter(~same_def).select(batch.defs.columns), batch.rows.height - new_rows.height
