"""Open data: the published figures as CSV and JSON, a Frictionless datapackage.json, and the indicator
series as SDMX-CSV and in the Open SDG layout.

Everything here is built from Scoreboards (aggregates only) and from the statistical observations;
no table of ratings, comments or participants is ever read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from c2c_monitor.definitions.catalog import Catalogue
from c2c_monitor.score.scoreboard import Scoreboard
from c2c_monitor.store import reads
from c2c_monitor.store.cells import neutralised

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection

LICENCE_URLS = {
    "CC-BY-4.0": "https://creativecommons.org/licenses/by/4.0/",
    "CC0-1.0": "https://creativecommons.org/publicdomain/zero/1.0/",
    "ODC-BY-1.0": "https://opendatacommons.org/licenses/by/1-0/",
    "ODbL-1.0": "https://opendatacommons.org/licenses/odbl/1-0/",
    "PDDL-1.0": "https://opendatacommons.org/licenses/pddl/1-0/",
}
FRICTIONLESS_TYPES = {pl.String: "string", pl.Float64: "number", pl.Int64: "integer", pl.Int32: "integer",
                      pl.Boolean: "boolean", pl.Date: "date"}


@dataclass
class Resource:
    name: str
    path: str
    description: str
    frame: pl.DataFrame
    primary_key: list[str]

    @property
    def rows(self) -> int:
        return self.frame.height


def _frame(rows: Sequence[Sequence[object]], schema: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)


def figures(sbs: Sequence[Scoreboard]) -> list[Resource]:
    S, F, N, B = pl.String, pl.Float64, pl.Int64, pl.Boolean  # noqa: N806 (dtype shorthands)
    parts, inds, prin, ques, grp, act = [], [], [], [], [], []
    for sb in sbs:
        p = sb.partnership
        eu = next(c for c in p.cities if c.role == "european")
        pc = next(c for c in p.cities if c.role == "partner")
        parts.append([p.id, p.name, p.theme, ",".join(map(str, p.sdgs)), p.budget_eur, p.start_year, eu.id, eu.name,
                      eu.country, pc.id, pc.name, pc.country, sb.round_id, sb.n_participants])
        for r in sb.indicators:
            inds.append([p.id, r.id, r.title, r.family, r.list, r.harmonised, r.sdg, r.city_id, r.city_name, r.period,
                         r.value, r.unit, r.score, r.distance, r.light, r.trend, r.end_value, r.target_kind,
                         r.coverage, r.provisional, r.missing_reason, r.vintage_id])
        for pr in sb.principles:
            prin.append([p.id, sb.round_id, pr.id, pr.title, pr.score, pr.status, pr.coverage, pr.n_answered,
                         pr.n_questions, sb.previous_round_id, pr.previous_score, pr.trend, len(pr.disagreements)])
            for q in pr.questions:
                ques.append([p.id, sb.round_id, q.id, q.text, q.n, q.median, q.iqr, q.low, q.high,
                             q.share_dont_know, q.disagreement, q.agreed, q.agreed_reason, q.score])
        for g in sb.groups:
            grp.append([p.id, sb.round_id, g.group, g.principle_id, g.n_participants, g.score])
        for a in sb.actions:
            act.append([p.id, a.id, a.principle_id, a.round_id, a.text, a.owner, a.due, a.status, a.overdue])
    return [
        Resource("partnerships", "data/partnerships.csv", "Partnerships, their cities and latest workshop round",
                 _frame(parts, {"partnership_id": S, "name": S, "theme": S, "sdgs": S, "budget_eur": F,
                                "start_year": N, "european_city_id": S, "european_city": S, "european_country": S,
                                "partner_city_id": S, "partner_city": S, "partner_country": S,
                                "latest_round": S, "round_participants": N}), ["partnership_id"]),
        Resource("indicators", "data/indicators.csv",
                 "Indicator values, scores (0-100, 100 = 2030 end value reached), lights and trends",
                 _frame(inds, {"partnership_id": S, "indicator_id": S, "title": S, "family": S, "list": S,
                               "harmonised": B, "sdg": S, "city_id": S, "city_name": S, "period": S, "value": F,
                               "unit": S, "score": F, "distance": F, "light": S, "trend": S, "end_value": F,
                               "target_kind": S, "coverage": F, "provisional": B, "missing_reason": S,
                               "vintage_id": N}), ["partnership_id", "indicator_id", "city_id"]),
        Resource("principles", "data/principles.csv", "Principle scores (1-5) of the latest workshop round",
                 _frame(prin, {"partnership_id": S, "round_id": S, "principle_id": S, "title": S, "score": F,
                               "status": S, "coverage": F, "n_answered": N, "n_questions": N,
                               "previous_round_id": S, "previous_score": F, "trend": S, "n_disagreements": N}),
                 ["partnership_id", "principle_id"]),
        Resource("questions", "data/questions.csv",
                 "Per question: number of ratings, median, spread, share of don't know, agreed rating",
                 _frame(ques, {"partnership_id": S, "round_id": S, "question_id": S, "text": S, "n": N, "median": F,
                               "iqr": F, "low": N, "high": N, "share_dont_know": F, "disagreement": B,
                               "agreed": N, "agreed_reason": S, "score": F}), ["partnership_id", "question_id"]),
        Resource("groups", "data/groups.csv",
                 "Principle scores by stakeholder group (groups below the minimum size merged)",
                 _frame(grp, {"partnership_id": S, "round_id": S, "group": S, "principle_id": S,
                              "n_participants": N, "score": F}), ["partnership_id", "group", "principle_id"]),
        Resource("actions", "data/actions.csv", "Follow-up actions and their status",
                 _frame(act, {"partnership_id": S, "action_id": S, "principle_id": S, "round_id": S, "text": S,
                              "owner": S, "due": S, "status": S, "overdue": B}), ["action_id"]),
    ]


def observations(con: DuckDBPyConnection, city_ids: list[str], cat: Catalogue, as_of: int | None) -> pl.DataFrame:
    codes = sorted({i.observation_code for i in cat.indicators.values() if i.family == "city"})
    return reads.observations(con, city_ids, codes, as_of)


def _dimensions(obs: pl.DataFrame) -> list[str]:
    names: set[str] = set()
    for key in obs["disagg"].unique().to_list():
        for part in filter(None, (key or "").split("|")):
            names.add(part.split("=", 1)[0])
    return sorted(names)


def _split_disagg(obs: pl.DataFrame, dims: list[str], total: str) -> pl.DataFrame:
    return obs.with_columns(
        pl.col("disagg").str.extract(rf"(?:^|\|){re.escape(d)}=([^|]*)").fill_null(total).alias(d) for d in dims)


def sdmx_csv(obs: pl.DataFrame) -> pl.DataFrame:
    """SDMX-CSV 2.0: one row per observation; disaggregations become dimension columns with _T for totals."""
    dims = _dimensions(obs)
    df = _split_disagg(obs, dims, "_T")
    return df.select(
        pl.lit("dataflow").alias("STRUCTURE"), pl.lit("C2C:C2C_CITY_SDG(1.0)").alias("STRUCTURE_ID"),
        pl.lit("I").alias("ACTION"), pl.col("city_id").alias("REF_AREA"), pl.col("code").alias("INDICATOR"),
        *[pl.col(d) for d in dims],
        pl.col("period").alias("TIME_PERIOD"), pl.col("value").alias("OBS_VALUE"),
        pl.col("unit").alias("UNIT_MEASURE"), pl.col("obs_status").alias("OBS_STATUS"),
    )


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


def open_sdg(obs: pl.DataFrame, cat: Catalogue, city_names: dict[str, str]) -> dict[str, pl.DataFrame]:
    """Open SDG layout: indicator_G-T-I.csv per SDG indicator; the catalogue code is the Series column."""
    sdg_of = open_sdg_ids(cat)
    units = {i.observation_code: i.unit for i in cat.indicators.values() if i.family == "city"}
    out: dict[str, pl.DataFrame] = {}
    if obs.height == 0:
        return out
    obs = obs.with_columns(pl.col("code").replace_strict(sdg_of, default=None, return_dtype=pl.String).alias("sdg"))
    for (sdg,), part in obs.filter(pl.col("sdg").is_not_null()).partition_by("sdg", as_dict=True).items():
        dims = _dimensions(part)
        df = _split_disagg(part, dims, "")
        name = f"indicator_{sdg}.csv"
        out[name] = df.select(
            pl.col("period").alias("Year"), pl.col("code").alias("Series"),
            pl.col("city_id").replace_strict(city_names, default=None, return_dtype=pl.String).alias("City"),
            pl.col("city_id").alias("GeoCode"), *[pl.col(d) for d in dims],
            pl.coalesce(pl.col("unit"), pl.col("code").replace_strict(units, default=None, return_dtype=pl.String))
            .alias("Units"),
            pl.col("obs_status").alias("Observation status"), pl.col("value").alias("Value"),
        )
    return out


def write_csv(df: pl.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    neutralised(df).write_csv(path)


def field_type(dtype: Any) -> str:
    return next((v for k, v in FRICTIONLESS_TYPES.items() if dtype == k), "string")


def datapackage(name: str, title: str, licence: str, created: str, resources: list[Resource],
                extra: list[dict[str, Any]]) -> str:
    lic: dict[str, str] = {"name": licence}
    if licence in LICENCE_URLS:
        lic["path"] = LICENCE_URLS[licence]
    doc = {
        "profile": "data-package",
        "name": name,
        "title": title,
        "licenses": [lic],
        "created": created,
        "resources": [
            {"name": r.name, "path": r.path, "profile": "tabular-data-resource", "format": "csv",
             "mediatype": "text/csv", "encoding": "utf-8", "description": r.description,
             "schema": {"fields": [{"name": c, "type": field_type(t)} for c, t in r.frame.schema.items()],
                        "primaryKey": r.primary_key}}
            for r in resources] + extra,
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
