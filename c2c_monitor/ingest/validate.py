"""Validation of a whole batch before anything is written: one pass of polars rules, no row loops.

Every rule adds findings (code, file, row, column, value, message); tests compare
(code, row, column), not the English. Rows skipped without --strict are warning findings beside them.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field

import polars as pl

from c2c_monitor.definitions.catalog import Catalogue
from c2c_monitor.definitions.periods import polars_parts
from c2c_monitor.definitions.sdmx_codes import canonical
from c2c_monitor.definitions.units import unit_table
from c2c_monitor.errors import Finding
from c2c_monitor.ingest.mapping import Mapping
from c2c_monitor.store.schema import CLUSTER_KEYS, repeated_keys, sort_for_store

# SDMX cross-domain code list CL_OBS_STATUS.
OBS_STATUS = {"A": "normal", "B": "break in series", "D": "definition differs", "E": "estimated",
              "F": "forecast", "G": "experimental", "I": "imputed", "K": "carry-forward",
              "L": "missing, exists but not collected", "M": "missing", "N": "not significant",
              "O": "missing", "P": "provisional", "Q": "missing, suppressed", "S": "strike", "U": "low reliability",
              "V": "unvalidated"}
def canonical_key(key: str) -> str:
    """A disaggregation key in c2c's words, parts sorted by name: 'SEX=F|AGE=Y15T24' -> 'age=15-24|sex=female'.

    SDMX codes and c2c's words for sex and age are one value, so a published SDMX file read back matches
    what the workspace holds; other names and values are kept as given."""
    if not key:
        return key
    parts = [canonical(*p.split("=", 1)) if "=" in p else (p, "") for p in key.split("|")]
    return "|".join(f"{n}={v}" for n, v in sorted(parts))


@dataclass
class Checked:
    good: pl.DataFrame  # code, city_id, period, year, quarter, disagg, value, unit, obs_status, action (the
    # first three as enums over their sorted values: `_enum_of`);
    # sorted as the store keeps observations (`CLUSTER_KEYS`)
    findings: list[Finding]  # errors reject the batch; warnings say which rows were skipped
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> rows, for the summary lines
    notes: list[str] = field(default_factory=list)


def _findings(df: pl.DataFrame, mask: pl.Expr, code: str, column: str, value: pl.Expr, message: pl.Expr | str,
              limit: int = 200) -> list[Finding]:
    bad = df.filter(mask).head(limit)
    if bad.height == 0:
        return []
    msg = message if isinstance(message, pl.Expr) else pl.lit(message)
    rows = bad.select(pl.col("_file"), pl.col("_line"), value.cast(pl.String).alias("v"), msg.alias("m"))
    return [Finding(code, r["_file"], r["m"], r["_line"], column, r["v"]) for r in rows.iter_rows(named=True)]


def _skips(df: pl.DataFrame, column: str, code: str, what: str, hint: str) -> tuple[dict[str, int], list[Finding]]:
    """Rows dropped without --strict, counted per distinct `column` value: the summary's counts, and one warning
    per value and file (at its first row) so that --report lists them too. Loops over distinct values only.

    The warning names the source's column as the error of --strict does (`what`: indicator, area)."""
    per_file = (df.group_by(column, "_file").agg(pl.len().alias("n"), pl.col("_line").min().alias("first"))
                .sort(column, "_file", nulls_last=True))
    skipped: dict[str, int] = {}
    for r in per_file.group_by(column, maintain_order=True).agg(pl.col("n").sum()).iter_rows(named=True):
        skipped[f"{what} {r[column]!r} {hint}"] = r["n"]
    warnings = [Finding(code, r["_file"], f"{r['n']} row(s) skipped: {what} {hint}", r["first"], what, r[column],
                        "warning") for r in per_file.iter_rows(named=True)]
    return skipped, warnings




def _lookup(df: pl.DataFrame, key: str, table: pl.DataFrame, cols: list[str]) -> pl.DataFrame:
    """Add `cols` of `table` (one row per `key`) to each row of `df`, by its key; no match gives nulls.

    A join would copy every column of a batch of millions of rows; this only adds the new ones, with one
    `replace_strict` of the key to a struct of them, laid out in the batch's chunks (`_cut_like`).
    """
    table = table.filter(pl.col(key).is_not_null())
    found = df[key].replace_strict(table[key], table.select(pl.struct(cols)).to_series(), default=None)
    return df.with_columns(_cut_like(found, df[key]).alias("_found")).unnest("_found")


def _cut_like(column: pl.Series, like: pl.Series) -> pl.Series:
    """`column` (a value per row of the batch) cut into the chunks the batch's `like` column has, by slices (no
    copy). polars reads a large file in hundreds of chunks; a column computed on its own comes in one (or in
    others), and the next `with_columns` would then copy every column of the batch to line the chunks up (0.3 s
    and 1.3 GB at 10 M rows). The values are the same either way: only their layout changes."""
    lengths = like.chunk_lengths()
    if len(lengths) < 2 or column.chunk_lengths() == lengths:
        return column
    whole = column.rechunk()
    starts = [0, *itertools.accumulate(lengths)][:-1]
    return pl.concat([whole.slice(at, n) for at, n in zip(starts, lengths, strict=True)], rechunk=False)


def _enum_of(values: pl.Series) -> pl.Enum:
    """An enum over the distinct values, sorted: the batch's key columns (indicator, city, period) are enums, so
    that millions of rows carry a small integer each rather than a 16-byte string view, and the store sort
    (`sort_for_store`) ranks them without comparing text. Sorted, so an enum's order is its text's order."""
    return pl.Enum(values.drop_nulls().unique().sort())


def _periods(df: pl.DataFrame) -> pl.DataFrame:
    """Parse periods vectorised by the one period grammar (`definitions/periods.py`)."""
    year, quarter, spanned = polars_parts(pl.col("period"))
    # A batch has millions of rows but a few dozen distinct periods: parse those, then join.
    parsed = df.select(pl.col("period").unique()).with_columns(
        year.alias("year"), quarter.alias("quarter"), spanned.alias("_spanned")).with_columns(
        pl.when(pl.col("quarter") == 0).then(pl.col("year").cast(pl.String))
        .otherwise(pl.format("{}-Q{}", pl.col("year"), pl.col("quarter"))).alias("_canon"))
    parsed = parsed.with_columns(pl.col("_canon").cast(_enum_of(parsed["_canon"])))
    return _lookup(df, "period", parsed, ["year", "quarter", "_spanned", "_canon"])


def _unit_rules(df: pl.DataFrame) -> tuple[pl.Expr, pl.Expr | None, pl.Expr]:
    """(wrong-unit mask, value factor or None when every unit is the catalogue's, finding message)."""
    table = unit_table()
    pairs = df.select("unit", "_unit").drop_nulls().unique().rows()  # (most files give no unit: nothing to hash)
    bad: list[tuple[str, str]] = []
    unknown: list[str] = []
    scaled: list[tuple[str, str, float]] = []
    for unit, target in pairs:
        if not unit.strip():
            continue
        f = table.factor(unit, target)
        if f is None:
            bad.append((unit, target))
            if not table.known(unit):
                unknown.append(unit)
        elif f != 1:
            scaled.append((unit, target, float(f)))

    def is_pair(u: str, t: str) -> pl.Expr:
        return (pl.col("unit") == u) & (pl.col("_unit") == t)

    wrong = pl.any_horizontal([is_pair(u, t) for u, t in bad]) if bad else pl.lit(False)
    message = (pl.when(pl.col("unit").is_in(unknown))
               .then(pl.lit("unknown unit (not in the unit table definitions/units.yaml); the catalogue's is "))
               .otherwise(pl.lit("unit does not convert to the catalogue's ")) + pl.col("_unit").cast(pl.String))
    factor: pl.Expr | None = None
    if scaled:
        factor = pl.lit(1.0)
        for u, t, x in scaled:
            factor = pl.when(is_pair(u, t)).then(pl.lit(x)).otherwise(factor)
    return wrong, factor, message


# One KEY=value pair: neither side blank nor holding '=', '|' or a control character.
_SIDE = r"[^=|\x{00}-\x{1f}\x{7f}-\x{9f}]*[^=|\s\x{00}-\x{1f}\x{7f}-\x{9f}][^=|\x{00}-\x{1f}\x{7f}-\x{9f}]*"
DISAGG = f"^{_SIDE}={_SIDE}(\\|{_SIDE}={_SIDE})*$"


def validate(parsed: pl.DataFrame, cat: Catalogue, cities: set[str], mapping: Mapping, strict: bool,
             today: dt.date | None = None) -> Checked:
    today = today or dt.date.today()
    findings: list[Finding] = []
    skipped: dict[str, int] = {}
    notes: list[str] = []
    df = parsed
    # Well-formed keys only: a malformed one is judged (and reported) below as the file wrote it.
    # (DISAGG is a polars pattern, so the distinct keys are judged by polars.)
    judged = df.select(pl.col("disagg").unique()).with_columns(
        pl.col("disagg").str.contains(DISAGG).fill_null(False).alias("_ok"))
    keys = {k: canonical_key(k) if ok else k for k, ok in judged.iter_rows()}
    if any(k != v for k, v in keys.items()):
        df = df.with_columns(pl.col("disagg").replace_strict(keys, return_dtype=pl.String))
    by_obs_code = {i.observation_code: i for i in cat.indicators.values() if i.family == "city"}
    by_series = {code: i.observation_code for i in by_obs_code.values() for code in i.sdg.series}
    # Indicator mapping: explicit map, else a catalogue id / observation code used as is.
    src_codes = df["source_code"].unique().drop_nulls().to_list()
    code_map: dict[str, str] = {}
    selects: dict[str, dict[str, str]] = {}
    for s in src_codes:
        if s in mapping.indicators:
            code_map[s] = mapping.indicators[s].indicator
            selects[s] = mapping.indicators[s].select
        elif s in by_obs_code:
            code_map[s] = s
        elif s in by_series:  # a UN global series code the catalogue names (sdg.series)
            code_map[s] = by_series[s]
    # Every mapping entry must name a city indicator, used in this batch or not.
    bad_targets = {s: m.indicator for s, m in mapping.indicators.items() if m.indicator not in by_obs_code}
    for s, t in bad_targets.items():
        findings.append(Finding("unknown-indicator", "mapping", f"maps {s!r} to {t!r}, which is not a city "
                                "indicator of the catalogue", None, "indicator", t))
    # Per source code: the catalogue code, its unit and plausible range (one lookup for all four).
    checks = pl.DataFrame({
        "code": list(by_obs_code),
        "_unit": [i.unit for i in by_obs_code.values()],
        "_min": [i.plausible.min for i in by_obs_code.values()],
        "_max": [i.plausible.max for i in by_obs_code.values()],
    }, schema={"code": pl.String, "_unit": pl.String, "_min": pl.Float64, "_max": pl.Float64})
    checks = pl.DataFrame({"source_code": list(code_map), "code": list(code_map.values())},
                          schema={"source_code": pl.String, "code": pl.String}).join(checks, on="code", how="left")
    checks = checks.with_columns(pl.col(c).cast(_enum_of(checks[c])) for c in ("code", "_unit"))
    df = _lookup(df, "source_code", checks, ["code", "_unit", "_min", "_max"])
    # Judged as given, before a `select` below rewrites the chosen one to the headline: `sex=` or `female`
    # stored as is would be published and, reloaded, read as a series of its own.
    # The pattern is run on the distinct keys (a few), each row only tested for membership of the bad ones.
    stored = pl.Series("disagg", sorted({v for v in keys.values() if v is not None}), dtype=pl.String)
    bad_keys = stored.filter(~stored.str.contains(DISAGG).fill_null(False) & (stored != ""))
    df = df.with_columns((pl.col("disagg").is_in(bad_keys.implode()) if bad_keys.len() else pl.lit(False))
                         .fill_null(False).alias("_bad_disagg"))
    # A `select` turns one disaggregation of the source into the headline.
    for s, sel in selects.items():
        key = canonical_key("|".join(f"{k}={v}" for k, v in sorted(sel.items())))
        if not key:
            continue
        is_src = pl.col("source_code") == s
        df = df.with_columns(
            pl.when(is_src & (pl.col("disagg") == key)).then(pl.lit(""))
            .when(is_src & (pl.col("disagg") == "")).then(pl.lit("(source headline)"))
            .otherwise(pl.col("disagg")).alias("disagg"))
    unmapped = df.filter(pl.col("code").is_null())
    if unmapped.height:
        if strict:
            findings += _findings(df, pl.col("code").is_null(), "unknown-indicator", "indicator",
                                  pl.col("source_code"), "indicator code not in the catalogue and not mapped")
        else:
            counts, warnings = _skips(unmapped, "source_code", "unmapped-indicator", "indicator",
                                      "not mapped to the catalogue")
            skipped.update(counts)
            findings += warnings
        df = df.filter(pl.col("code").is_not_null())
    # Areas: explicit map, a city id used as is, else --city for rows without an area.
    area_map: dict[str, str | None] = dict(mapping.areas)
    bad_map = sorted({c for c in mapping.areas.values() if c not in cities})
    for a in df["area"].unique().drop_nulls().to_list():
        if not a.strip():
            area_map[a] = mapping.default_city  # a blank area is the --city's
        elif a in cities and a not in area_map:
            area_map[a] = a
    city = _enum_of(pl.Series([*area_map.values(), mapping.default_city], dtype=pl.String))
    city_id = df["area"].replace_strict(pl.Series(list(area_map), dtype=pl.String),
                                        pl.Series(list(area_map.values()), dtype=pl.String).cast(city), default=None)
    if mapping.default_city is not None and df["area"].null_count():
        city_id = pl.select(pl.when(df["area"].is_null()).then(pl.lit(mapping.default_city).cast(city))
                            .otherwise(city_id)).to_series()
    df = df.with_columns(_cut_like(city_id, df["_line"]).alias("city_id"))
    for c in bad_map:
        findings.append(Finding("unknown-city", "mapping", f"city {c!r} is not in the workspace", None, "area", c))
    no_city = pl.col("city_id").is_null()
    if df["city_id"].null_count():
        if strict or df.filter(no_city & pl.col("area").is_null()).height:
            findings += _findings(df, no_city, "unknown-area", "area", pl.col("area"),
                                  pl.when(pl.col("area").is_null())
                                  .then(pl.lit("no area: pass --city or an area column"))
                                  .otherwise(pl.lit("area code not mapped to a workspace city")))
        else:
            counts, warnings = _skips(df.filter(no_city), "area", "unmapped-area", "area",
                                      "not mapped to a workspace city")
            skipped.update(counts)
            findings += warnings
            df = df.filter(~no_city)
    # Periods, values, units, ranges and code lists: every check is a boolean column computed in one
    # pass (polars runs them in parallel); rows are only gathered for the checks that fired.
    df = _periods(df)
    # Low-cardinality columns (units, statuses, actions, periods) are judged on their distinct values,
    # and the per-row work is a cheap membership test.
    # Units: each distinct (source unit, catalogue unit) pair is looked up in the one unit table
    # (definitions/units.yaml); a unit it does not convert is wrong, a convertible one scales the value.
    wrong_unit, unit_factor, unit_message = _unit_rules(df)
    statuses = {u: (u.strip() or None) for u in df["obs_status"].unique().drop_nulls().to_list()}
    if any(k != v for k, v in statuses.items()):
        df = df.with_columns(pl.col("obs_status").replace_strict(statuses, default=None, return_dtype=pl.String))
    actions = {a: a.strip().upper() for a in df["action"].unique().drop_nulls().to_list()}
    bad_actions = [a for a, n in actions.items() if n not in ("A", "I", "R", "M", "D")]
    deletes = [a for a, n in actions.items() if n == "D"]
    blank_periods = [p for p in df["period"].unique().drop_nulls().to_list() if not p.strip()]
    # Values: cast as they are; only the cells that did not give a finite number are stripped and looked at.
    vals = df["value"]
    num = vals.cast(pl.Float64, strict=False)
    odd = (num.is_null() & vals.is_not_null()) | ~num.is_finite().fill_null(True)
    if odd.any():
        stripped = vals.str.strip_chars()
        blank = vals.is_null() | (odd & stripped.is_in(["", "NaN", "NA", "..", ":"]))
        num = pl.select(pl.when(odd).then(stripped.cast(pl.Float64, strict=False)).otherwise(num)).to_series()
        bad_value = odd & ~blank & (num.is_null() | ~num.is_finite().fill_null(False))
        num = pl.select(pl.when(blank).then(None).otherwise(num)).to_series()
    else:
        bad_value = pl.repeat(False, df.height, eager=True)
    df = df.with_columns(
        _cut_like(num, df["_line"]).alias("value_num"), _cut_like(bad_value, df["_line"]).alias("_bad_value"),
        pl.col("action").is_in(bad_actions).alias("_bad_action"),
        pl.when(pl.col("action").is_in(deletes)).then(pl.lit("D")).otherwise(pl.lit("A")).alias("_action"),
    )
    # SDMX: a missing observation is an empty OBS_VALUE (or NaN) with an OBS_STATUS saying why; one the
    # file gives no status for is recorded as M (missing), so the store never holds a bare blank.
    df = df.with_columns(pl.when(pl.col("value_num").is_null() & pl.col("obs_status").is_null()
                                 & (pl.col("_action") != "D")).then(pl.lit("M"))
                         .otherwise(pl.col("obs_status")).alias("obs_status"))
    if unit_factor is not None:  # converted values are said in the catalogue's unit
        df = df.with_columns((pl.col("value_num") * unit_factor).alias("value_num"),
                             pl.when(unit_factor != 1).then(pl.col("_unit").cast(pl.String))
                             .otherwise(pl.col("unit")).alias("unit"))
    out_low = pl.col("_min").is_not_null() & (pl.col("value_num") < pl.col("_min"))
    out_high = pl.col("_max").is_not_null() & (pl.col("value_num") > pl.col("_max"))
    blank_period = pl.col("period").is_null() | pl.col("period").is_in(blank_periods)
    rules: list[tuple[pl.Expr, str, str, pl.Expr, pl.Expr | str]] = [
        (pl.col("year").is_null() & pl.col("period").is_not_null(), "bad-period", "period", pl.col("period"),
         "not a period (YYYY, YYYY-Qn, YYYY-MM)"),
        (blank_period, "missing-period", "period", pl.col("period"), "no period"),
        (pl.col("year").is_not_null() & ~pl.col("year").is_between(1950, today.year), "impossible-period", "period",
         pl.col("period"), f"year outside 1950-{today.year} (no data from the future)"),
        (pl.col("_bad_value"), "bad-value", "value", pl.col("value"), "not a number"),
        (wrong_unit, "wrong-unit", "unit", pl.col("unit"), unit_message),
        ((out_low | out_high).fill_null(False), "implausible-value", "value", pl.col("value"),
         pl.lit("outside the plausible range ") + pl.col("_min").cast(pl.String) + pl.lit("–")
         + pl.col("_max").cast(pl.String).fill_null("∞")),
        (pl.col("obs_status").is_not_null() & ~pl.col("obs_status").is_in(list(OBS_STATUS)), "bad-obs-status",
         "OBS_STATUS", pl.col("obs_status"), "not an SDMX observation status code (A, B, E, F, P, ...)"),
        (pl.col("_bad_disagg"), "bad-disaggregation", "disaggregation", pl.col("disagg"),
         "a disaggregation is KEY=value pairs joined by '|', neither side blank (e.g. sex=female|age=15-24)"),
        (pl.col("_bad_action"), "bad-action", "ACTION", pl.col("action"), "ACTION must be I, A, R, M or D"),
    ]
    fired = df.select([m.fill_null(False).any().alias(str(i)) for i, (m, *_) in enumerate(rules)]).row(0)
    for hit, (mask, code, column, value, message) in zip(fired, rules, strict=True):
        if hit:
            findings += _findings(df, mask.fill_null(False), code, column, value, message)
    n_span = int(df["_spanned"].sum())
    if n_span:
        notes.append(f"{n_span} row(s) with a period spanning two years (e.g. 2016-2017) dated to the year it ends")
    df = df.with_columns(pl.col("_action").alias("action"))
    good = df.filter(pl.col("year").is_not_null()).select(
        "code", "city_id", pl.col("_canon").alias("period"), "year", "quarter", "disagg",
        pl.col("value_num").alias("value"), "unit", "obs_status", "action",
    )
    # The rows are stored sorted by their key (the store's clustering key is the batch key: indicator, city,
    # disaggregation, year and quarter), so they are sorted here, where that order also finds duplicate keys:
    # they are neighbours. A hash table over ten million distinct keys (`is_duplicated`) then runs only for a
    # batch that has one. A row without a year has its own finding and none for duplicates (below).
    batch_key = list(CLUSTER_KEYS["observations"])
    good = sort_for_store(good, "observations")
    if repeated_keys(good, batch_key):
        dup = df.select(batch_key).is_duplicated()
        d = df.filter(dup).with_columns(_first=pl.col("_line").min().over(batch_key))
        findings += _findings(d, (pl.col("_line") != pl.col("_first")) & pl.col("year").is_not_null(),
                              "duplicate-key", "period", pl.col("period"),
                              pl.lit("same indicator, area, period and disaggregation as line ")
                              + pl.col("_first").cast(pl.String))
    return Checked(good, findings, skipped, notes)

