"""`c2c assess`: evaluate, score and snapshot one partnership."""

from __future__ import annotations

import hashlib
import json
import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from functools import lru_cache
from operator import itemgetter
from typing import TYPE_CHECKING, Any

import polars as pl

from c2c_monitor.definitions.actions import CLOSED_STATUSES, HIGH_PRIORITY
from c2c_monitor.definitions.catalog import Catalogue, Indicator
from c2c_monitor.definitions.periods import Period, PeriodError, parse_period
from c2c_monitor.definitions.principles import Framework
from c2c_monitor.definitions.process import load_steps
from c2c_monitor.definitions.rules import RULES
from c2c_monitor.engine.evaluate import Backend, evaluate
from c2c_monitor.engine.spec import REASON_NO_DATA
from c2c_monitor.errors import C2CError, UnknownPartnership
from c2c_monitor.score import collector
from c2c_monitor.score.disclosure import DEFAULT, Thresholds
from c2c_monitor.score.local import local_rows_many
from c2c_monitor.score.maths import light, normalise, trends
from c2c_monitor.score.rounds import RoundView, not_expected, round_views
from c2c_monitor.score.scoreboard import (
    ActionRow,
    Aggregate,
    CityInfo,
    Dimension,
    IndicatorRow,
    ListName,
    PartnershipInfo,
    Scoreboard,
    StageInfo,
    TargetKind,
    trusted,
)
from c2c_monitor.store import catalog_cache, reads
from c2c_monitor.store.beside import reading_beside
from c2c_monitor.store.config import Config
from c2c_monitor.store.workspace import Workspace

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection


def partnership_info(con: DuckDBPyConnection, pid: str) -> PartnershipInfo:
    return partnership_infos(con, [pid])[0]


def partnership_infos(con: DuckDBPyConnection, pids: Sequence[str]) -> list[PartnershipInfo]:
    """`partnership_info` of several partnerships in one query; the first unknown id is refused."""
    rows = reads.partnership_rows(con, pids)
    for pid in pids:
        if pid not in rows:
            known = reads.some_partnership_ids(con)
            hint = f"known ids include: {', '.join(known)}" if known else "the workspace has no partnerships"
            raise UnknownPartnership(f"unknown partnership {pid!r}", hint=hint + " (see `c2c partnerships`)")
    return [_info(rows[pid]) for pid in pids]


def _info(row: tuple[Any, ...]) -> PartnershipInfo:
    sdgs = [int(s) for s in (row[3] or "").split(",") if s.strip().isdigit()]
    return PartnershipInfo(
        id=row[0], name=row[1], theme=row[2], sdgs=sdgs, budget_eur=row[4], start_year=row[5],
        description=row[6],
        cities=[CityInfo(id=row[7], name=row[8], country=row[9], role="european"),
                CityInfo(id=row[10], name=row[11], country=row[12], role="partner")],
    )


def workspace_catalogue(ws: Workspace) -> Catalogue:
    # Parsed once per content of the definition files (store/catalog_cache), not on every run.
    return catalog_cache.catalogue(ws.own_indicators)


@lru_cache(maxsize=4096)
def _period(period: str) -> Period:
    """`parse_period` once per distinct text: a cohort's series repeat the same few periods (Period is frozen)."""
    return parse_period(period)


def _decimal(period: str) -> float:
    return _period(period).decimal_year


# The columns of one series, as lists: what indicator_rows_many reads of each (indicator, city) of a partnership.
_SERIES = ("period", "value", "reason", "coverage", "vintage_id", "obs_status")
_KEYS = ["partnership_id", "indicator_id", "city_id"]
_NO_ROWS = (0, 0, None, None)  # a series without rows in the evaluation: its span, last value, number


# The types `indicator_rows_many` takes from the evaluation's columns as they are (`trusted`).
_TYPES = {"period": pl.String, "value": pl.Float64, "reason": pl.String, "coverage": pl.Float64,
          "vintage_id": pl.Int64, "obs_status": pl.String}


def _series(results: pl.DataFrame, period: str | None
            ) -> tuple[dict[tuple[str, str, str | None], tuple[int, int, int | None, int]], list[list[Any]],
                       pl.DataFrame]:
    """Each (partnership, indicator, city) series of `results`, in the order of its periods and cut at `period`:
    one polars pass for the cohort. Returns where each series' rows start and stop in the columns (`_SERIES`,
    the whole cohort's, as lists), the position of its last value (None: no value) and its number `_s`, those
    columns, and the sorted frame (with `_t`, each period's decimal year, and `_s`) for the trends."""
    cutoff = parse_period(period) if period else None
    found = {c: results.schema[c] for c in _TYPES}
    if found != _TYPES or results["period"].null_count():
        raise ValueError(f"an evaluation of other column types, or a row without a period: {found}")
    texts = results["period"].unique().to_list()
    # Periods are parsed, ordered and cut once per distinct text; equal periods share a rank, and the stable
    # sort keeps their stored order (as sorting each series by its Period did).
    ordered = sorted(texts, key=_period)
    rank: dict[str, int] = {}
    for i, text in enumerate(ordered):
        rank[text] = rank[ordered[i - 1]] if i and _period(ordered[i - 1]) == _period(text) else i
    frame = results.with_columns(
        pl.col("period").replace_strict(rank, return_dtype=pl.Int64).alias("_rank"),
        pl.col("period").replace_strict({t: _decimal(t) for t in texts}, return_dtype=pl.Float64).alias("_t"),
    ) if texts else results.with_columns(_rank=pl.lit(None, pl.Int64), _t=pl.lit(None, pl.Float64))
    if cutoff is not None:
        frame = frame.filter(pl.col("period").is_in([t for t in texts if _not_after(t, cutoff)]))
    # `_s`: the series' number (its keys change from one series to the next; the frame is sorted by them), so
    # that each later step groups and joins on one integer rather than three strings.
    frame = frame.sort(*_KEYS, "_rank", maintain_order=True).with_row_index("_i").with_columns(
        pl.struct(_KEYS).rle_id().alias("_s"))
    # Each series is a run of consecutive rows of the sorted frame: flat columns to Python once, and each series
    # read by position (a column of lists would be turned into Python lists one series at a time; a slice of
    # every column a series was most of this function's time at 1,000 partnerships).
    runs = frame.group_by("_s", maintain_order=True).agg(
        *(pl.col(k).first() for k in _KEYS), a=pl.col("_i").first(), b=pl.col("_i").last() + 1,
        latest=pl.col("_i").filter(pl.col("value").is_not_null()).last())
    columns = [frame[c].to_list() for c in _SERIES]
    # (Rows read as columns zipped: polars' iter_rows took a third more for these 33,000 rows at 1,000.)
    spans = {(pid, ind, city): (a, b, latest, s)
             for s, pid, ind, city, a, b, latest in zip(*(runs[c].to_list() for c in runs.columns), strict=True)}
    return spans, columns, frame


def _trend_points(frame: pl.DataFrame) -> pl.DataFrame:
    """The points of each series (`_s`) a trend is taken over: a break in series (OBS_STATUS B, one of the
    comma-separated codes) restarts the trend at the row that carries it, valued or not."""
    points = frame.select("_s", "_i", t="_t", v="value",
                          broken=pl.col("obs_status").str.contains("(^|,)B(,|$)").fill_null(False))
    if points["broken"].any():
        starts = points.filter("broken").group_by("_s").agg(start=pl.col("_i").max())
        points = points.join(starts, on="_s", how="left").filter(
            pl.col("start").is_null() | (pl.col("_i") >= pl.col("start")))
    return points.select("_s", "t", "v")


def indicator_rows_many(
    indicators: list[Indicator], results: pl.DataFrame, infos: Sequence[PartnershipInfo], period: str | None,
    local_targets: dict[tuple[str, str], float], use_local: bool, steps: dict[str, int | None],
) -> dict[str, list[IndicatorRow]]:
    """The indicator rows of each partnership of a cohort (`results`: their evaluation), by partnership id;
    `steps`: the step of the City Partnerships process each reached (None: not recorded); an indicator expected only
    from a later step keeps its value but is not scored, and says why."""
    spans, (periods_, values_, reasons_, coverage_, vintages_, status_), frame = _series(results, period)
    # What a row takes from its indicator alone, read once for the cohort rather than once per series: a row of
    # each indicator with every field of IndicatorRow in the model's order (`trusted`), the series' own fields
    # still None. Each row starts as a copy of its indicator's (a dict copy is one allocation, where a literal
    # with 31 keys built and merged two).
    fixed: list[dict[str, Any]] = []
    for ind in indicators:
        template = dict.fromkeys(IndicatorRow.model_fields)
        template.update(id=ind.id, title=ind.title, family=ind.family, list=ind.list, harmonised=ind.harmonised,
                        sdg=ind.sdg.label, sdg_goal=ind.sdg.goal_number, ec_objective=ind.ec_objective,
                        dac=list(ind.dac), principles=list(ind.principles), unit=ind.unit, polarity=ind.polarity,
                        worst=ind.bounds.worst, expected_from_step=ind.expected_from_step)
        fixed.append(template)
    # First pass: each series' end value (the harmonised one, or the city's own 2030 target), which its trend
    # is measured against.
    plan: list[tuple[str, dict[str, Any], str | None, str | None, float, TargetKind, str, str | None]] = []
    for info in infos:
        names = {c.id: c.name for c in info.cities}
        city_ids: list[str | None] = [c.id for c in info.cities]
        step = steps.get(info.id)
        for ind, static in zip(indicators, fixed, strict=True):
            waiting = (not_expected_reason(ind.expected_from_step) if not_expected(ind.expected_from_step, step)
                       else None)
            worst = ind.bounds.worst
            for city in city_ids if ind.family == "city" else [None]:
                end = ind.end_value.value
                kind: TargetKind = "harmonised"
                source = ind.end_value.source
                if use_local and city is not None and (ind.observation_code, city) in local_targets:
                    t = local_targets[(ind.observation_code, city)]
                    if t != worst and (t > worst) == (end > worst):
                        end, kind, source = float(t), "local", "city's own 2030 target"
                plan.append((info.id, static, city, names.get(city) if city else None, end, kind, source, waiting))
    # The trends of the cohort's series in one set-based pass (maths.trends), against their end values.
    numbered = [(spans[key][3], p) for p in plan if (key := (p[0], p[1]["id"], p[2])) in spans]
    targets = pl.DataFrame(
        {"_s": [s for s, _ in numbered], "target": [float(p[4]) for _, p in numbered],
         "higher": [p[1]["polarity"] == "higher" for _, p in numbered]},
        schema={"_s": pl.UInt32, "target": pl.Float64, "higher": pl.Boolean})
    found = trends(_trend_points(frame).join(targets, on="_s"), ["_s"])
    classes = {s: (tclass, ratio) for s, tclass, ratio in zip(*(found[c].to_list() for c in found.columns),
                                                               strict=True)}
    no_trend = ("not enough data", None)
    # Every (period, value) point of the cohort made once; a series is a slice of them.
    points_ = list(zip(periods_, values_, strict=True))
    rows: list[dict[str, Any]] = []
    for pid, static, city, city_name, end, kind, source, waiting in plan:
        # This series' rows: positions a to b of the cohort's columns (none: a == b); `latest`: the position of
        # its last value.
        a, b, latest, s = spans.get((pid, static["id"], city), _NO_ROWS)
        tclass, ratio = classes.get(s, no_trend)
        if latest is None:
            value = score = coverage = vintage = period_ = None
            provisional = False
            reason = reasons_[b - 1] if b > a else REASON_NO_DATA
        else:
            value, period_, coverage, vintage, reason = (
                values_[latest], periods_[latest], coverage_[latest], vintages_[latest], None)
            last_status = status_[latest]
            provisional = bool(last_status and "P" in last_status.split(","))
            score = normalise(value, static["worst"], end)
        if waiting:
            score, reason = None, waiting
        # The series' fields; each row its own lists (as validation made them), not its indicator's shared ones.
        row = static.copy()
        row["dac"] = [*static["dac"]]
        row["principles"] = [*static["principles"]]
        row["city_id"] = city
        row["city_name"] = city_name
        row["value"] = value
        row["period"] = period_
        row["score"] = None if score is None else round(score, 2)
        row["distance"] = None if score is None else round(100 - score, 2)
        row["light"] = light(score)
        row["trend"] = tclass
        # (An infinite ratio, a growth past the float range from a tiny first value, has no figure to show.)
        row["trend_ratio"] = None if ratio is None or not math.isfinite(ratio) else round(ratio, 4)
        row["end_value"] = end
        row["end_value_source"] = source
        row["target_kind"] = kind
        row["missing_reason"] = reason
        row["coverage"] = coverage
        row["vintage_id"] = vintage
        row["provisional"] = provisional
        row["series"] = points_[a:b]
        rows.append(row)
    # Built from values that are already of their fields' types (`trusted`), not validated once more.
    validated = trusted(IndicatorRow, rows)
    out: dict[str, list[IndicatorRow]] = {info.id: [] for info in infos}
    for (pid, *_), model in zip(plan, validated, strict=True):
        out[pid].append(model)
    return out


def not_expected_reason(expected_from: int | None) -> str:
    name = load_steps().number(expected_from).name.en if expected_from else ""
    return f"not expected before step {expected_from} ({name.lower()})"


def stage_info(con: DuckDBPyConnection, pid: str, as_of: int | None, lang: str = "en") -> StageInfo | None:
    """The step of the City Partnerships process the partnership last recorded, or None."""
    return stage_infos(con, [pid], as_of, lang)[pid]


def stage_infos(con: DuckDBPyConnection, pids: Sequence[str], as_of: int | None,
                lang: str = "en") -> dict[str, StageInfo | None]:
    """`stage_info` of several partnerships in one query."""
    found = reads.current_stages(con, pids, as_of)
    out: dict[str, StageInfo | None] = {}
    for pid in pids:
        if pid not in found:
            out[pid] = None
            continue
        step = load_steps().number(found[pid][0])
        reached = found[pid][1]
        out[pid] = StageInfo(step=step.step, id=step.id, name=step.name.get(lang),
                             reached_on=reached.isoformat() if reached else None)
    return out


def _not_after(period: str, cutoff: Period) -> bool:
    p = _period(period)
    if cutoff.is_annual:
        return p.year <= cutoff.year
    if p.is_annual:
        return p.year < cutoff.year
    return p <= cutoff


def aggregates_many(tables: dict[str, list[IndicatorRow]]) -> dict[str, list[Aggregate]]:
    """The aggregates of each partnership's indicator rows (`indicator_rows_many`: rows of one catalogue)."""
    # The layout depends only on the rows' indicators: looked up once per distinct sequence of indicator ids
    # (one catalogue: an id names one indicator), not rebuilt from every row's fields for every partnership.
    layouts: dict[tuple[str, ...], list[tuple[Dimension, str, Callable[[list[Any]], Any], int, list[str]]]] = {}
    found: list[dict[str, Any]] = []
    counts = []
    for rows in tables.values():
        ids = tuple(r.id for r in rows)
        layout = layouts.get(ids)
        if layout is None:
            # Each aggregate's scores are taken from a partnership's by one itemgetter (a tuple, in C).
            layout = layouts[ids] = [
                (dim, key, itemgetter(*positions, positions[0]), len(positions), ids_)
                for dim, key, positions, ids_ in _aggregate_layout(tuple(
                    (r.id, r.harmonised, r.ec_objective, r.sdg_goal, tuple(r.dac), tuple(r.principles))
                    for r in rows))]
        scores = [r.score for r in rows]
        for dim, key, take, n, ids_ in layout:
            # `take` names the first position once more, so that it gives a tuple even for one position.
            scored = [x for x in take(scores)[:n] if x is not None]
            found.append({
                "dimension": dim, "key": key,
                "mean_score": round(sum(scored) / len(scored), 2) if scored else None,
                "n_indicators": len(ids_), "n_scored": len(scored),
                "coverage": round(len(scored) / n, 4), "indicator_ids": list(ids_)})
        counts.append(len(layout))
    # Built from the rows' own validated values (`trusted`): counts, rounded means of scores, catalogue keys.
    validated = trusted(Aggregate, found)
    out = {}
    start = 0
    for pid, n in zip(tables, counts, strict=True):
        out[pid] = validated[start:start + n]
        start += n
    return out


@lru_cache(maxsize=64)
def _aggregate_layout(rows: tuple[tuple[str, bool, str, int, tuple[str, ...], tuple[str, ...]], ...]
                      ) -> list[tuple[Dimension, str, list[int], list[str]]]:
    """Which rows each aggregate takes (dimension, key, row positions, indicator ids), in the aggregates' order:
    it depends only on the rows' indicators, the same for every partnership scored on one list."""
    groups: dict[tuple[Dimension, str], list[int]] = defaultdict(list)
    for i, (_, harmonised, ec_objective, sdg_goal, dac, principles) in enumerate(rows):
        if not harmonised:
            continue
        groups[("ec_objective", ec_objective)].append(i)
        groups[("sdg", f"SDG {sdg_goal}")].append(i)
        for d in dac:
            groups[("dac", d)].append(i)
        for p in principles:
            groups[("principle", p)].append(i)
    return [(dim, key, positions, sorted({rows[i][0] for i in positions}))
            for (dim, key), positions in sorted(groups.items())]


def thresholds_of(config: Config) -> Thresholds:
    """The workspace's disclosure thresholds (c2c.toml raises them, never lowers)."""
    return Thresholds(k_mean=config.min_group_size, k_spread=config.min_spread_size)


def principle_rows(con: DuckDBPyConnection, fw: Framework, pid: str, as_of: int | None, lang: str = "en",
                   round_id: str | None = None, min_group_size: int = 3,
                   thresholds: Thresholds | None = None, step: int | None = None) -> RoundView:
    """One partnership's round view: a cohort of one (score/rounds.round_views)."""
    t = thresholds or Thresholds(k_mean=max(min_group_size, DEFAULT.k_mean))
    return round_views(con, fw, [pid], as_of, t, lang, round_id, {pid: step})[pid]


def action_rows(con: DuckDBPyConnection, pid: str, as_of: int | None, today: date | None = None) -> list[ActionRow]:
    """Follow-up actions, latest version of each, as recorded up to `as_of`."""
    return _action_rows(reads.action_versions(con, pid, as_of), today)


def _action_rows(versions: list[tuple[Any, ...]], today: date | None = None) -> list[ActionRow]:
    today = today or date.today()
    out = []
    for r in versions:
        a = dict(zip(reads.ACTION_COLUMNS, r, strict=True))
        is_open = a["status"] not in CLOSED_STATUSES
        out.append(ActionRow(
            id=a["action_id"], principle_id=a["principle_id"], round_id=a["round_id"], text=a["text"],
            owner=a["owner"], due=a["due"].isoformat() if a["due"] else None, status=a["status"],
            overdue=bool(a["due"] and a["due"] < today and is_open),
            principles=(a["principles"] or a["principle_id"]).split(","), enablers=a["enablers"],
            priority=a["priority"], timeframe=a["timeframe"], alias=a["alias"],
            high_priority=bool(is_open and a["priority"] is not None and a["priority"] >= HIGH_PRIORITY)))
    # Overdue actions first, then open high-priority ones, then the rest in their recorded order (stable).
    return sorted(out, key=lambda a: (not a.overdue, not a.high_priority))


def scored_indicators(cat: Catalogue, list_name: ListName) -> list[Indicator]:
    """The indicators a scoreboard of `list_name` shows: the list's harmonised ones and every own indicator."""
    return [i for i in cat.ordered if list_name in i.lists or not i.harmonised]


def evaluation(ws: Workspace, pids: list[str], list_name: ListName = "simplified", as_of: int | None = None,
               backend: Backend = "duckdb", catalogue: Catalogue | None = None) -> pl.DataFrame:
    """The indicator values `build_scoreboards` scores, for a caller that scores them more than once."""
    cat = catalogue or workspace_catalogue(ws)
    return evaluate(ws.con, scored_indicators(cat, list_name), pids, as_of=as_of, backend=backend)


def build_scoreboard(
    ws: Workspace, pid: str, list_name: ListName = "simplified", period: str | None = None,
    as_of: int | None = None, targets: TargetKind = "harmonised", backend: Backend = "duckdb",
    round_id: str | None = None, catalogue: Catalogue | None = None, framework: Framework | None = None,
    evaluated: pl.DataFrame | None = None,
) -> Scoreboard:
    return build_scoreboards(ws, [pid], list_name, period, as_of, targets, backend, round_id, catalogue,
                             framework, evaluated)[0]


def build_scoreboards(
    ws: Workspace, pids: list[str], list_name: ListName = "simplified", period: str | None = None,
    as_of: int | None = None, targets: TargetKind = "harmonised", backend: Backend = "duckdb",
    round_id: str | None = None, catalogue: Catalogue | None = None, framework: Framework | None = None,
    evaluated: pl.DataFrame | None = None,
) -> list[Scoreboard]:
    """Scoreboards of several partnerships from one evaluation pass (one query per indicator, not per pair).

    `evaluated`: the `evaluation` of these partnerships (same list, as-of and backend) when the caller already
    has it; the period only cuts the series afterwards, so `c2c compare` scores two periods from one pass.
    """
    with collector.paused():
        return _build_scoreboards(ws, pids, list_name, period, as_of, targets, backend, round_id, catalogue,
                                  framework, evaluated)


def _build_scoreboards(
    ws: Workspace, pids: list[str], list_name: ListName, period: str | None, as_of: int | None,
    targets: TargetKind, backend: Backend, round_id: str | None, catalogue: Catalogue | None,
    framework: Framework | None, evaluated: pl.DataFrame | None,
) -> list[Scoreboard]:
    con = ws.con
    if period is not None:
        try:
            parse_period(period)
        except PeriodError as exc:
            raise C2CError(f"--period: {exc}") from None
    # Set-based (issue 19): each kind of row is read for the whole cohort in one query and split in memory,
    # so the number of statements does not grow with the number of partnerships.
    infos = partnership_infos(con, pids)
    cat = catalogue or workspace_catalogue(ws)
    fw = framework or catalog_cache.framework()
    inds = scored_indicators(cat, list_name)
    stages = stage_infos(con, pids, as_of, ws.config.language)
    steps = {pid: s.step if s else None for pid, s in stages.items()}
    # The principle side (its reads and polars passes) runs on a second thread, on a DuckDB connection of its own
    # to the same database, while this one evaluates the indicators (DuckDB) and builds their rows (Python):
    # DuckDB and polars leave Python's lock while they work, so the two sides overlap (a quarter of a demo
    # `c2c assess`). They share no data; the principle side reads no temporary table of the evaluation's.
    t = thresholds_of(ws.config)
    with reading_beside(con, lambda cursor: round_views(cursor, fw, pids, as_of, t, ws.config.language, round_id,
                                                        steps), "c2c-principles") as principle_side:
        results = evaluated if evaluated is not None else evaluate(con, inds, pids, as_of=as_of, backend=backend)
        local = reads.local_targets(con, as_of, sorted({c.id for info in infos for c in info.cities}))
        actions = reads.action_versions_many(con, pids, as_of)
        locals_ = local_rows_many(con, infos, as_of)
        generated = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        indicator_tables = indicator_rows_many(inds, results, infos, period, local, targets == "local", steps)
        rules = RULES.describe()  # once for the cohort; each scoreboard's validation makes its own copy
        aggregate_tables = aggregates_many(indicator_tables)
        # What depends on neither side's rows is made here too, before waiting for the principle side. The data
        # versions a board shows: those of its indicators' last values and of its cities' own (local)
        # indicators, which are SDG data loaded as vintages too.
        vintages_used = {pid: sorted({v for v in [*(r.vintage_id for r in indicator_tables[pid]),
                                                  *(r.vintage_id for r in locals_[pid])] if v is not None})
                         for pid in pids}
        action_tables = {pid: _action_rows(actions[pid]) for pid in pids}
        views = principle_side()
    out = []
    for pid, info in zip(pids, infos, strict=True):
        rows = indicator_tables[pid]
        view = views[pid]
        vintages = vintages_used[pid]
        out.append(Scoreboard(
            generated_at=generated,
            partnership=info, list=list_name, period=period, as_of_vintage=as_of,
            vintages_used=vintages, catalog_version=cat.version, framework_version=fw.version,
            rules_version=RULES.version, rules=rules, targets=targets,
            round_id=view.current, previous_round_id=view.previous, principles=view.principles, indicators=rows,
            aggregates=aggregate_tables[pid], min_group_size=ws.config.min_group_size,
            n_participants=view.n_participants, groups=view.groups, round_withheld=view.withheld,
            min_spread_size=ws.config.min_spread_size, actions=action_tables[pid],
            local_indicators=locals_[pid], stage=stages[pid], partner_types=view.partner_types,
        ))
    return out


def store_snapshot(ws: Workspace, sb: Scoreboard) -> Scoreboard:
    """Record the scoreboard as an immutable snapshot; identical content gives the same id."""
    body = sb.model_dump(mode="json", exclude={"snapshot_id", "generated_at"})
    sid = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]
    sb = sb.model_copy(update={"snapshot_id": sid})
    ws.con.execute(
        "INSERT INTO snapshots VALUES (?, ?, CAST(? AS TIMESTAMP), ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT DO NOTHING",
        [sid, sb.partnership.id, sb.generated_at.replace("T", " ").rstrip("Z"), sb.catalog_version,
         sb.framework_version, sb.list, sb.period, max(sb.vintages_used, default=None),
         sb.model_dump_json()],
    )
    return sb
