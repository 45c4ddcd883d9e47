"""`c2c assess`: evaluate, score and snapshot one partnership."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
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
from c2c_monitor.score.disclosure import DEFAULT, Thresholds, published_rounds
from c2c_monitor.score.local import local_rows
from c2c_monitor.score.maths import light, normalise, principle_trend, trend
from c2c_monitor.score.ratings import PrincipleResult, aggregate, group_breakdown, partner_type_ratings
from c2c_monitor.score.scoreboard import (
    ActionRow,
    Aggregate,
    CityInfo,
    Dimension,
    GroupRow,
    IndicatorRow,
    ListName,
    PartnershipInfo,
    PrincipleRow,
    PrincipleStatus,
    QuestionRow,
    Scoreboard,
    StageInfo,
    TargetKind,
)
from c2c_monitor.store import catalog_cache, reads
from c2c_monitor.store.config import Config
from c2c_monitor.store.workspace import Workspace

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection


def partnership_info(con: DuckDBPyConnection, pid: str) -> PartnershipInfo:
    row = reads.partnership_row(con, pid)
    if row is None:
        known = reads.some_partnership_ids(con)
        hint = f"known ids include: {', '.join(known)}" if known else "the workspace has no partnerships"
        raise UnknownPartnership(f"unknown partnership {pid!r}", hint=hint + " (see `c2c partnerships`)")
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


def _decimal(period: str) -> float:
    return parse_period(period).decimal_year


def indicator_rows(
    indicators: list[Indicator], results: pl.DataFrame, info: PartnershipInfo, period: str | None,
    local_targets: dict[tuple[str, str], float], use_local: bool, step: int | None = None,
) -> list[IndicatorRow]:
    """`step`: the step of the City Partnerships process the partnership reached (None: not recorded); an
    indicator expected only from a later step keeps its value but is not scored, and says why."""
    cutoff = parse_period(period) if period else None
    by_key: dict[tuple[str, str | None], list[dict[str, Any]]] = defaultdict(list)
    for r in results.iter_rows(named=True):
        by_key[(r["indicator_id"], r["city_id"])].append(r)
    names = {c.id: c.name for c in info.cities}
    rows = []
    for ind in indicators:
        cities: list[str | None] = [c.id for c in info.cities] if ind.family == "city" else [None]
        for city in cities:
            series = sorted(by_key.get((ind.id, city), []), key=lambda r: parse_period(r["period"]))
            if cutoff is not None:
                series = [r for r in series if _not_after(r["period"], cutoff)]
            end = ind.end_value.value
            kind: TargetKind = "harmonised"
            source = ind.end_value.source
            if use_local and city is not None and (ind.observation_code, city) in local_targets:
                t = local_targets[(ind.observation_code, city)]
                worst = ind.bounds.worst
                if t != worst and (t > worst) == (end > worst):
                    end, kind, source = t, "local", "city's own 2030 target"
            latest = next((r for r in reversed(series) if r["value"] is not None), None)
            reason = None
            if latest is None:
                reason = series[-1]["reason"] if series else REASON_NO_DATA
            score = normalise(latest["value"], ind.bounds.worst, end) if latest else None
            if not_expected(ind.expected_from_step, step):
                score, reason = None, not_expected_reason(ind.expected_from_step)
            # A break in series (OBS_STATUS B) restarts the trend at the break.
            start = 0
            for i, r in enumerate(series):
                if r["obs_status"] and "B" in r["obs_status"].split(","):
                    start = i
            pts = [(_decimal(r["period"]), r["value"]) for r in series[start:] if r["value"] is not None]
            tclass, ratio = trend(pts, end, ind.polarity)
            rows.append(IndicatorRow(
                id=ind.id, title=ind.title, family=ind.family, list=ind.list, harmonised=ind.harmonised,
                sdg=ind.sdg.label, sdg_goal=ind.sdg.goal_number, ec_objective=ind.ec_objective,
                dac=list(ind.dac), principles=list(ind.principles), unit=ind.unit, polarity=ind.polarity,
                city_id=city, city_name=names.get(city) if city else None,
                value=latest["value"] if latest else None, period=latest["period"] if latest else None,
                score=None if score is None else round(score, 2),
                distance=None if score is None else round(100 - score, 2),
                light=light(score), trend=tclass, trend_ratio=None if ratio is None else round(ratio, 4),
                end_value=end, end_value_source=source, target_kind=kind, worst=ind.bounds.worst,
                missing_reason=reason, coverage=latest["coverage"] if latest else None,
                vintage_id=latest["vintage_id"] if latest else None,
                provisional=bool(latest and latest["obs_status"] and "P" in latest["obs_status"].split(",")),
                series=[(r["period"], r["value"]) for r in series],
                expected_from_step=ind.expected_from_step,
            ))
    return rows


def not_expected(expected_from: int | None, step: int | None) -> bool:
    """True when a recorded step is earlier than the one from which something is expected."""
    return expected_from is not None and step is not None and step < expected_from


def not_expected_reason(expected_from: int | None) -> str:
    name = load_steps().number(expected_from).name.en if expected_from else ""
    return f"not expected before step {expected_from} ({name.lower()})"


def stage_info(con: DuckDBPyConnection, pid: str, as_of: int | None, lang: str = "en") -> StageInfo | None:
    """The step of the City Partnerships process the partnership last recorded, or None."""
    found = reads.current_stage(con, pid, as_of)
    if found is None:
        return None
    step = load_steps().number(found[0])
    return StageInfo(step=step.step, id=step.id, name=step.name.get(lang),
                     reached_on=found[1].isoformat() if found[1] else None)


def _not_after(period: str, cutoff: Period) -> bool:
    p = parse_period(period)
    if cutoff.is_annual:
        return p.year <= cutoff.year
    if p.is_annual:
        return p.year < cutoff.year
    return p <= cutoff


def aggregates(rows: list[IndicatorRow]) -> list[Aggregate]:
    groups: dict[tuple[Dimension, str], list[IndicatorRow]] = defaultdict(list)
    for r in rows:
        if not r.harmonised:
            continue
        groups[("ec_objective", r.ec_objective)].append(r)
        groups[("sdg", f"SDG {r.sdg_goal}")].append(r)
        for d in r.dac:
            groups[("dac", d)].append(r)
        for p in r.principles:
            groups[("principle", p)].append(r)
    out = []
    for (dim, key), rs in sorted(groups.items()):
        scored = [r.score for r in rs if r.score is not None]
        ids = sorted({r.id for r in rs})
        out.append(Aggregate(
            dimension=dim, key=key,
            mean_score=round(sum(scored) / len(scored), 2) if scored else None,
            n_indicators=len(ids), n_scored=len(scored), coverage=round(len(scored) / len(rs), 4),
            indicator_ids=ids,
        ))
    return out


@dataclass
class RoundView:
    """What a scoreboard may say about one workshop round: aggregates only."""

    principles: list[PrincipleRow]
    current: str | None
    previous: str | None
    n_participants: int
    groups: list[GroupRow]
    withheld: str | None = None  # why the round's figures are not shown (score/disclosure.py)
    partner_types: list[GroupRow] = field(default_factory=list)


def thresholds_of(config: Config) -> Thresholds:
    """The workspace's disclosure thresholds (c2c.toml raises them, never lowers)."""
    return Thresholds(k_mean=config.min_group_size, k_spread=config.min_spread_size)


def _counts(r: PrincipleResult | None) -> dict[str, int]:
    """Answers to the principle's questions: ratings, "not applicable"/"don't know", blanks."""
    if r is None:
        return {}
    return {"n_ratings": sum(q.n for q in r.questions),
            "n_not_applicable_dont_know": sum(q.n_not_applicable + q.n_dont_know for q in r.questions),
            "n_blank": sum(q.n_blank for q in r.questions)}


def disclosed_state(con: DuckDBPyConnection, pid: str, round_id: str, as_of: int | None,
                    t: Thresholds) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The round's ratings as of its latest load that may be shown, and its agreed ratings.

    A round grows sheet by sheet; a sheet that adds fewer than k people to what an earlier load showed would
    let a reader difference two publications of the same round. Such a load waits (the round is shown as it
    was) until k people have come since, applying to the round's loads the rule rounds follow among
    themselves (score/disclosure.published_rounds).
    """
    loads = reads.round_vintages(con, pid, round_id, as_of)
    # Codes qualified by their sheet in every state (a round of one sheet names its people `P01`, of two
    # `A/P01`), so the people of a load and of the one before compare as the same people.
    ratings, agreed = reads.round_ratings(con, pid, round_id, as_of, qualify=len(loads) > 1)
    if len(loads) < 2:
        return ratings, agreed
    states = [ratings if v == loads[-1] else reads.round_ratings(con, pid, round_id, v, qualify=True)[0]
              for v in loads]
    why = published_rounds([set(s["participant_code"].to_list()) for s in states], t)
    shown = [i for i, w in enumerate(why) if w is None]
    if not shown:
        return ratings, agreed  # never shown: the round itself is withheld by the same rule downstream
    return states[shown[-1]], agreed


def principle_rows(con: DuckDBPyConnection, fw: Framework, pid: str, as_of: int | None, lang: str = "en",
                   round_id: str | None = None, min_group_size: int = 3,
                   thresholds: Thresholds | None = None, step: int | None = None) -> RoundView:
    t = thresholds or Thresholds(k_mean=max(min_group_size, DEFAULT.k_mean))
    rounds = reads.rounds_of(con, pid, as_of)
    if round_id is not None and round_id not in rounds:
        raise C2CError(f"partnership {pid!r} has no workshop round {round_id!r}",
                       hint=f"rounds: {', '.join(rounds) or 'none'}")
    current = round_id or (rounds[-1] if rounds else None)
    idx = rounds.index(current) if current else -1
    previous = rounds[idx - 1] if current and idx > 0 else None
    # Every round up to the current one: a round is withheld when it is a few people away from one published
    # before it (differencing the two would read those people), so the whole history decides.
    history = [disclosed_state(con, pid, r, as_of, t) for r in rounds[:idx + 1]]
    why = published_rounds([set(h[0]["participant_code"].to_list()) for h in history], t)
    ratings, agreed = history[idx] if current else (None, None)
    n_people = ratings["participant_code"].n_unique() if ratings is not None and ratings.height else 0
    withheld = why[idx] if current else None
    groups = []
    if ratings is not None and withheld is None:
        groups = [GroupRow(group=g["group"], principle_id=g["principle_id"], n_participants=g["n_participants"],
                           score=None if g["score"] is None else round(g["score"], 3))
                  for g in group_breakdown(fw, ratings, t.k_mean, t).iter_rows(named=True)]
    # Spreads are never shown beside a group breakdown (score/disclosure.spread_disclosed).
    res = aggregate(fw, ratings, agreed, thresholds=t, groups_shown=bool(groups)) \
        if ratings is not None and withheld is None else None
    prev = {}
    if previous and why[idx - 1] is None:
        p_ratings, p_agreed = history[idx - 1]
        prev = {p.principle_id: p for p in aggregate(fw, p_ratings, p_agreed, thresholds=t)}
    rows = []
    for i, p in enumerate(fw.principles):
        r = res[i] if res else None
        pr = prev.get(p.id)
        qtext = {q.id: q.text.get(lang) for q in p.questions}
        status: PrincipleStatus = ("not assessed" if current is None else
                  "insufficient data" if r is None or r.insufficient else "scored")
        waiting = not_expected(p.expected_from_step, step)
        if waiting:
            status = "not expected yet"
        rows.append(PrincipleRow(
            id=p.id, title=p.title.get(lang), expected_from_step=p.expected_from_step,
            score=None if waiting or r is None or r.score is None else round(r.score, 3), status=status,
            coverage=r.coverage if r else 0.0, n_questions=len(p.questions),
            n_answered=r.n_answered if r else 0,
            previous_score=None if pr is None or pr.score is None else round(pr.score, 3),
            trend=principle_trend(r.score if r else None, pr.score if pr else None),
            disagreements=[q.question_id for q in r.questions if q.disagreement] if r else [],
            questions=[QuestionRow(
                id=q.question_id, text=qtext[q.question_id], n=q.n, median=q.median, iqr=q.iqr,
                low=q.low, high=q.high, share_dont_know=round(q.share_dont_know, 4),
                disagreement=q.disagreement, agreed=q.agreed, agreed_reason=q.agreed_reason,
                score=q.score, n_not_applicable=q.n_not_applicable, n_dont_know=q.n_dont_know,
                n_blank=q.n_blank) for q in r.questions] if r else [],
            **_counts(r),
        ))
    types: list[GroupRow] = []
    if groups and ratings is not None:
        # Partner types regroup only what the group table already shows, under the same rule (score/disclosure).
        mapping = reads.group_types(con, pid, as_of)
        if mapping:
            types = [GroupRow(group=g["group"], principle_id=g["principle_id"], n_participants=g["n_participants"],
                              score=None if g["score"] is None else round(g["score"], 3))
                     for g in group_breakdown(fw, partner_type_ratings(ratings, mapping, t.k_mean, t), t.k_mean,
                                              t).iter_rows(named=True)]
    return RoundView(rows, current, previous, n_people, groups, withheld, types)


def action_rows(con: DuckDBPyConnection, pid: str, as_of: int | None, today: date | None = None) -> list[ActionRow]:
    """Follow-up actions, latest version of each, as recorded up to `as_of`."""
    today = today or date.today()
    out = []
    for r in reads.action_versions(con, pid, as_of):
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
    con = ws.con
    if period is not None:
        try:
            parse_period(period)
        except PeriodError as exc:
            raise C2CError(f"--period: {exc}") from None
    infos = [partnership_info(con, pid) for pid in pids]
    cat = catalogue or workspace_catalogue(ws)
    fw = framework or catalog_cache.framework()
    inds = scored_indicators(cat, list_name)
    results = evaluated if evaluated is not None else evaluate(con, inds, pids, as_of=as_of, backend=backend)
    by_pid = {k[0]: v for k, v in results.partition_by("partnership_id", as_dict=True).items()}
    local = reads.local_targets(con, as_of)
    generated = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    out = []
    for pid, info in zip(pids, infos, strict=True):
        stage = stage_info(con, pid, as_of, ws.config.language)
        step = stage.step if stage else None
        rows = indicator_rows(inds, by_pid.get(pid, results.clear()), info, period, local, targets == "local",
                              step)
        view = principle_rows(con, fw, pid, as_of, ws.config.language, round_id, ws.config.min_group_size,
                              thresholds_of(ws.config), step)
        vintages = sorted({r.vintage_id for r in rows if r.vintage_id is not None})
        out.append(Scoreboard(
            generated_at=generated,
            partnership=info, list=list_name, period=period, as_of_vintage=as_of,
            vintages_used=vintages, catalog_version=cat.version, framework_version=fw.version,
            rules_version=RULES.version, rules=RULES.describe(), targets=targets,
            round_id=view.current, previous_round_id=view.previous, principles=view.principles, indicators=rows,
            aggregates=aggregates(rows), min_group_size=ws.config.min_group_size,
            n_participants=view.n_participants, groups=view.groups, round_withheld=view.withheld,
            min_spread_size=ws.config.min_spread_size, actions=action_rows(con, pid, as_of),
            local_indicators=local_rows(con, info, as_of), stage=stage, partner_types=view.partner_types,
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
