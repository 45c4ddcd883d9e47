"""Deterministic synthetic workspaces of any size, for the benchmarks.

`fill(con, partnerships=N, quarters=Q, seed=S)` writes N partnerships (2N cities), Q quarters of
observations for every reported catalogue code (quarterly codes quarterly; annual codes as
annual values, except one in three delivered quarterly so the roll-up is exercised), the
partnership records and two workshop rounds (the demo's own generators, which scale), in one
vintage. `sdmx_file(path, rows=R, seed=S)` writes an SDMX-CSV 2.0 file of about R rows for the
ingestion benchmark. The same arguments always give the same bytes.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from c2c_monitor.definitions.catalog import Catalogue, load_catalogue
from c2c_monitor.definitions.principles import load_framework
from c2c_monitor.ingest.demo import THEMES, _ratings, _records
from c2c_monitor.store.schema import insert_frame, new_vintage, transaction

FIRST_YEAR = 2015


def city_codes(cat: Catalogue) -> list[tuple[str, str, float, float]]:
    """(code, periodicity, low, high) of every reported indicator."""
    out = []
    for ind in cat.ordered:
        if ind.family != "city":
            continue
        lo = ind.plausible.min if ind.plausible and ind.plausible.min is not None else 0.0
        hi = ind.plausible.max if ind.plausible and ind.plausible.max is not None else 100.0
        out.append((ind.observation_code, ind.periodicity, float(lo), float(min(hi, lo + 1000.0))))
    return out


def partnership_rows(n: int) -> tuple[pl.DataFrame, list[dict[str, Any]]]:
    ids = np.arange(n)
    cities = pl.DataFrame({
        "city_id": [f"c{i:06d}" for i in range(2 * n)], "name": [f"City {i}" for i in range(2 * n)],
        "country": ["XX"] * (2 * n), "iso2": ["XX"] * (2 * n),
        "population": (50_000 + (np.arange(2 * n) * 7919) % 2_000_000).astype(float),
        "region": [None] * (2 * n)}, schema_overrides={"region": pl.String})
    parts = [{"partnership_id": f"p{k:06d}", "name": f"Partnership {k}", "european_city_id": f"c{2 * k:06d}",
              "partner_city_id": f"c{2 * k + 1:06d}", "theme": THEMES[k % len(THEMES)][0],
              "sdgs": "11,17", "start_year": 2018, "budget_eur": float(500_000 + 1000 * (k % 500)),
              "description": f"Synthetic partnership {k}"} for k in ids.tolist()]
    return cities, parts


def observations(cat: Catalogue, city_ids: list[str], quarters: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    frames = []
    n_cities = len(city_ids)
    cities = pl.Series("city_id", city_ids)
    for k, (code, periodicity, lo, hi) in enumerate(city_codes(cat)):
        quarterly = periodicity == "quarterly" or k % 3 == 0
        steps = quarters if quarterly else max(1, quarters // 4)
        base = rng.uniform(lo, hi, n_cities)
        drift = rng.normal(0, (hi - lo) / 200, n_cities)
        t = np.arange(steps)
        values = np.clip(base[:, None] + drift[:, None] * t[None, :], lo, hi).ravel()
        years = (FIRST_YEAR + (t // 4 if quarterly else t)).astype(np.int32)
        qs = ((t % 4) + 1 if quarterly else np.zeros(steps)).astype(np.int32)
        df = pl.DataFrame({
            "city_id": np.repeat(cities.to_numpy(), steps), "year": np.tile(years, n_cities),
            "quarter": np.tile(qs, n_cities), "value": np.round(values, 3)})
        frames.append(df.with_columns(pl.lit(code).alias("code")))
    obs = pl.concat(frames)
    return obs.with_columns(
        pl.when(pl.col("quarter") == 0).then(pl.col("year").cast(pl.String))
        .otherwise(pl.format("{}-Q{}", "year", "quarter")).alias("period"),
        pl.lit("").alias("disagg"), pl.lit(None, pl.String).alias("unit"),
        pl.lit(None, pl.String).alias("obs_status"), pl.lit("A").alias("action"),
    ).select("code", "city_id", "period", "year", "quarter", "disagg", "value", "unit", "obs_status", "action")


def fill(con: Any, partnerships: int, quarters: int = 40, seed: int = 1, ratings: bool = True,
         records: bool = True) -> dict[str, int]:
    cat = load_catalogue()
    cities, parts = partnership_rows(partnerships)
    obs = observations(cat, cities["city_id"].to_list(), quarters, seed)
    rng = random.Random(seed)
    rec = _records(rng, parts) if records else {}
    rat = _ratings(rng, load_framework(), parts) if ratings else {}
    with transaction(con):
        vid = new_vintage(con, "synthetic", f"benchmarks/synth.py seed {seed}", None, obs.height)
        insert_frame(con, "cities", cities)
        insert_frame(con, "partnerships", pl.DataFrame(parts))
        for name, rows in rec.items():
            if rows:
                insert_frame(con, f"rec_{name}", pl.DataFrame(rows, infer_schema_length=None)
                             .with_columns(pl.lit(vid).alias("vintage_id")))
        insert_frame(con, "observations", obs.with_columns(pl.lit(vid).alias("vintage_id")))
        for name, df in rat.items():
            insert_frame(con, name, df.with_columns(pl.lit(vid).alias("vintage_id")))
    return {"partnerships": partnerships, "cities": cities.height, "observations": obs.height}


def sdmx_file(path: Path, rows: int, cat: Catalogue, seed: int = 2) -> tuple[int, int]:
    """An SDMX-CSV 2.0 file of about `rows` observations over catalogue codes and synthetic cities.

    Returns (rows written, number of cities c000000, c000001, ...)."""
    quarters = 40
    per_city = sum(quarters if (p == "quarterly" or k % 3 == 0) else quarters // 4
                   for k, (_, p, _, _) in enumerate(city_codes(cat)))
    n_cities = max(1, round(rows / per_city))
    obs = observations(cat, [f"c{i:06d}" for i in range(n_cities)], quarters, seed)
    df = obs.select(
        pl.lit("dataflow").alias("STRUCTURE"), pl.lit("C2C:C2C_CITY_SDG(1.0)").alias("STRUCTURE_ID"),
        pl.lit("I").alias("ACTION"), pl.col("city_id").alias("REF_AREA"), pl.col("code").alias("INDICATOR"),
        pl.col("period").alias("TIME_PERIOD"), pl.col("value").alias("OBS_VALUE"),
        pl.lit("A").alias("OBS_STATUS"))
    df.write_csv(path)
    return df.height, n_cities
