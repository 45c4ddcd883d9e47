"""Open data: the published figures as CSV and JSON, a Frictionless datapackage.json, and the indicator
series as SDMX-CSV and in the Open SDG layout.

Everything here is built from Scoreboards (aggregates only) and from the statistical observations;
no table of ratings, comments or participants is ever read.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

import polars as pl

from c2c_monitor.definitions.catalog import Catalogue
from c2c_monitor.score import collector
from c2c_monitor.score.maths import Light
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


# Periods as stored: a year, or a year and quarter (the SDMX basic formats YYYY and YYYY-Qn).
PERIOD = {"pattern": r"\d{4}(-Q[1-4])?"}
# What each published column means beyond its type: units, formats, allowed values.
FIELD_INFO: dict[str, dict[str, Any]] = {
    "budget_eur": {"unit": "EUR", "description": "Partnership budget in euro"},
    "start_year": {"description": "Year the partnership started"},
    "period": PERIOD | {"description": "Period of the value: YYYY or YYYY-Qn"},
    "value": {"description": "Indicator value, in the row's unit"},
    "end_value": {"description": "2030 end value, in the row's unit"},
    "score": {"description": "Score: 0-100 for indicators (100 = end value reached), 1-5 for principles"},
    "distance": {"description": "Distance to the 2030 end value, in the row's unit"},
    "coverage": {"unit": "share", "constraints": {"minimum": 0, "maximum": 1}},
    "light": {"constraints": {"enum": list(get_args(Light))}},
    "share_dont_know": {"unit": "share", "constraints": {"minimum": 0, "maximum": 1}},
    "median": {"description": "Median rating (1-5); empty below the disclosure threshold"},
    "iqr": {"description": "Interquartile range of the ratings; empty below the disclosure threshold"},
    "low": {"description": "Lowest rating; empty below the disclosure threshold"},
    "high": {"description": "Highest rating; empty below the disclosure threshold"},
    "n_blank": {"unit": "answers", "description": "Participants of the round who left it blank"},
    "due": {"description": "Due date"},
    "round_participants": {"unit": "participants"},
    "n_participants": {"unit": "participants"},
}


@dataclass
class Resource:
    name: str
    path: str
    description: str
    frame: pl.DataFrame
    primary_key: list[str]
    # Columns whose values name a partnership of partnerships.csv (a Frictionless foreignKey each).
    partnership_key: bool = True
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)  # per column, beyond FIELD_INFO

    @property
    def rows(self) -> int:
        return self.frame.height


class _Rows:
    """A table gathered as a list of row tuples and turned into columns in one pass at the end (zip, in C). The
    garbage collector stops tracking a tuple of plain values after its first look at it, so the thousands of rows
    of a thousand partnerships are not walked again and again (a list per row was); appending a tuple is one
    call where a column-by-column append was a Python loop per row."""

    def __init__(self) -> None:
        self.rows: list[tuple[object, ...]] = []
        self.append = self.rows.append

    @property
    def columns(self) -> list[tuple[object, ...]]:
        return list(zip(*self.rows, strict=True))


def _frame(rows: _Rows, schema: dict[str, Any]) -> pl.DataFrame:
    if not rows.rows:
        return pl.DataFrame(schema=schema)
    return pl.DataFrame(dict(zip(schema, rows.columns, strict=True)), schema=schema)


def figures(sbs: Sequence[Scoreboard]) -> list[Resource]:
    """The published tables of the scoreboards (`collector.paused`: some hundred thousand row tuples, which would
    otherwise set off the collector's full passes over every scoreboard)."""
    with collector.paused():
        return _figures(sbs)


def _figures(sbs: Sequence[Scoreboard]) -> list[Resource]:
    S, F, N, B = pl.String, pl.Float64, pl.Int64, pl.Boolean  # noqa: N806 (dtype shorthands)
    parts, inds, prin, ques, grp, act = _Rows(), _Rows(), _Rows(), _Rows(), _Rows(), _Rows()
    for sb in sbs:
        p = sb.partnership
        eu = next(c for c in p.cities if c.role == "european")
        pc = next(c for c in p.cities if c.role == "partner")
        parts.append((p.id, p.name, p.theme, ",".join(map(str, p.sdgs)), p.budget_eur, p.start_year, eu.id, eu.name,
                      eu.country, pc.id, pc.name, pc.country, sb.round_id, sb.n_participants))
        for r in sb.indicators:
            inds.append((p.id, r.id, r.title, r.family, r.list, r.harmonised, r.sdg, r.city_id, r.city_name, r.period,
                         r.value, r.unit, r.score, r.distance, r.light, r.trend, r.end_value, r.target_kind,
                         r.coverage, r.provisional, r.missing_reason, r.vintage_id))
        for pr in sb.principles:
            prin.append((p.id, sb.round_id, pr.id, pr.title, pr.score, pr.status, pr.coverage, pr.n_answered,
                         pr.n_questions, sb.previous_round_id, pr.previous_score, pr.trend, len(pr.disagreements),
                         pr.n_ratings, pr.n_not_applicable_dont_know, pr.n_blank))
            for q in pr.questions:
                ques.append((p.id, sb.round_id, q.id, q.text, q.n, q.median, q.iqr, q.low, q.high,
                             q.share_dont_know, q.disagreement, q.agreed, q.agreed_reason, q.score,
                             q.n_not_applicable, q.n_dont_know, q.n_blank))
        for g in sb.groups:
            grp.append((p.id, sb.round_id, g.group, g.principle_id, g.n_participants, g.score))
        for a in sb.actions:
            act.append((p.id, a.id, a.principle_id, ",".join(a.principles or [a.principle_id]), a.round_id, a.text,
                        a.enablers, a.owner, a.priority, a.timeframe, a.due, a.status, a.overdue))
    return [
        Resource("partnerships", "data/partnerships.csv", "Partnerships, their cities and latest workshop round",
                 _frame(parts, {"partnership_id": S, "name": S, "theme": S, "sdgs": S, "budget_eur": F,
                                "start_year": N, "european_city_id": S, "european_city": S, "european_country": S,
                                "partner_city_id": S, "partner_city": S, "partner_country": S,
                                "latest_round": S, "round_participants": N}), ["partnership_id"],
                 partnership_key=False),
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
                               "previous_round_id": S, "previous_score": F, "trend": S, "n_disagreements": N,
                               "n_ratings": N, "n_not_applicable_dont_know": N, "n_blank": N}),
                 ["partnership_id", "principle_id"]),
        Resource("questions", "data/questions.csv",
                 "Per question: number of ratings, median, spread, share of don't know, agreed rating, answers that "
                 "are not ratings and blanks (medians and spreads below the disclosure thresholds left empty)",
                 _frame(ques, {"partnership_id": S, "round_id": S, "question_id": S, "text": S, "n": N, "median": F,
                               "iqr": F, "low": N, "high": N, "share_dont_know": F, "disagreement": B,
                               "agreed": N, "agreed_reason": S, "score": F, "n_not_applicable": N, "n_dont_know": N,
                               "n_blank": N}), ["partnership_id", "question_id"]),
        Resource("groups", "data/groups.csv",
                 "Principle scores by stakeholder group (groups below the minimum size merged)",
                 _frame(grp, {"partnership_id": S, "round_id": S, "group": S, "principle_id": S,
                              "n_participants": N, "score": F}), ["partnership_id", "group", "principle_id"]),
        # Action ids are short and stable within a partnership, so the key is the pair.
        Resource("actions", "data/actions.csv", "The implementation plan: follow-up actions, priority (1 low - 5 "
                 "high), agreed timeframe and status",
                 _dates(_frame(act, {"partnership_id": S, "action_id": S, "principle_id": S, "principles": S,
                                     "round_id": S, "text": S, "enablers": S, "owner": S, "priority": N, "timeframe": S,
                                     "due": S, "status": S, "overdue": B}), "due"),
                 ["partnership_id", "action_id"]),
    ]


def _dates(df: pl.DataFrame, column: str) -> pl.DataFrame:
    """`column` typed as a date when every value is an ISO date (a reader then sees a date, not text)."""
    parsed = df[column].str.to_date("%Y-%m-%d", strict=False)
    return df.with_columns(parsed.alias(column)) if parsed.null_count() == df[column].null_count() else df


def observations(con: DuckDBPyConnection, city_ids: list[str], cat: Catalogue, as_of: int | None) -> pl.DataFrame:
    codes = sorted({i.observation_code for i in cat.indicators.values() if i.family == "city"})
    return reads.observations(con, city_ids, codes, as_of)




def write_csv(df: pl.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    neutralised(df).write_csv(path)


# Parquet copies of the two long tables, for engines that query many published packages at once (DuckDB on one
# machine, Spark or Trino beyond it). Rows are sorted by city, then indicator, in row groups of this size, so a
# reader's min/max statistics skip the rest when it asks for some cities or indicators (README: "Open data as
# Parquet"). One file per table rather than a folder per city and indicator: a package has a few thousand
# (city, indicator) pairs of a few rows each, and a programme holds thousands of packages.
PARQUET_ROW_GROUP = 65_536
PARQUET_ORDER = {"indicators": ("city_id", "indicator_id", "partnership_id"),
                 "observations": ("city_id", "code", "disagg", "period")}


def write_parquet(df: pl.DataFrame, path: Path, order: Sequence[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # The same cells as the CSV copy, formula-like text neutralised: a Parquet file also ends up in spreadsheets.
    neutralised(df).sort(list(order), nulls_last=True).write_parquet(path, compression="zstd", statistics=True,
                                                        row_group_size=PARQUET_ROW_GROUP)


def parquet_resource(r: Resource) -> dict[str, Any]:
    """The datapackage entry of a resource's Parquet copy: a file resource with the same Table Schema (its
    fields and key), so a reader knows the types without opening it."""
    schema = {k: v for k, v in table_schema(r).items() if k in ("fields", "primaryKey")}
    return {"name": r.name + "-parquet", "path": r.path, "type": "file", "format": "parquet",
            "mediatype": "application/vnd.apache.parquet", "description": r.description, "schema": schema,
            "sortedBy": list(PARQUET_ORDER.get(r.name.removesuffix("-parquet"), ()))}


def field_type(dtype: Any) -> str:
    return next((v for k, v in FRICTIONLESS_TYPES.items() if dtype == k), "string")


def table_schema(r: Resource) -> dict[str, Any]:
    """Frictionless Table Schema of a resource: typed fields with units and formats, the primary key, the
    partnership as a foreign key into partnerships.csv, and the empty cell declared as the missing value."""
    fields = []
    for c, t in r.frame.schema.items():
        f: dict[str, Any] = {"name": c, "type": field_type(t)}
        info = FIELD_INFO.get(c, {}) | r.fields.get(c, {})
        if "pattern" in info:
            f["constraints"] = {"pattern": info["pattern"]}
        f |= {k: v for k, v in info.items() if k != "pattern"}
        fields.append(f)
    schema: dict[str, Any] = {"fields": fields, "missingValues": [""]}
    if r.primary_key:
        schema["primaryKey"] = r.primary_key
    if r.partnership_key and "partnership_id" in r.frame.columns:
        schema["foreignKeys"] = [{"fields": "partnership_id",
                                  "reference": {"resource": "partnerships", "fields": "partnership_id"}}]
    return schema


def tabular(r: Resource, mediatype: str = "text/csv") -> dict[str, Any]:
    return {"name": r.name, "path": r.path, "profile": "tabular-data-resource", "type": "table", "format": "csv",
            "mediatype": mediatype, "encoding": "utf-8", "description": r.description, "schema": table_schema(r)}


def datapackage(name: str, title: str, licence: str, created: str, resources: list[dict[str, Any]]) -> str:
    lic: dict[str, str] = {"name": licence}
    if licence in LICENCE_URLS:
        lic["path"] = LICENCE_URLS[licence]
    doc = {
        "profile": "data-package",
        "name": name,
        "title": title,
        "licenses": [lic],
        "created": created,
        "resources": resources,
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
