"""`c2c assess`: evaluate, score and snapshot one partnership."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NoReturn, Protocol

import polars as pl

from c2c_monitor.definitions.actions import CLOSED_STATUSES
from c2c_monitor.definitions.catalog import Catalogue, Indicator
from c2c_monitor.definitions.periods import Period, PeriodError, parse_period
from c2c_monitor.definitions.principles import Framework
from c2c_monitor.definitions.rules import RULES
from c2c_monitor.engine.evaluate import Backend, evaluate
from c2c_monitor.engine.spec import REASON_NO_DATA
from c2c_monitor.errors import C2CError, UnknownPartnership
from c2c_monitor.score.maths import light, normalise, principle_trend, trend
from c2c_monitor.score.ratings import (
    PrincipleResult,
    aggregate,
    aggregate_stats,
    group_breakdown,
    question_stats,
)
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
    TargetKind,
)
from c2c_monitor.store import catalog_cache, reads
from c2c_monitor.store.workspace import Workspace

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection


def partnership_info(con: DuckDBPyConnection, pid: str) -> PartnershipInfo:
    row = reads.partnership_row(con, pid)
    if row is None:
        _unknown(con, pid)
    return _info(row)


def partnership_infos(con: DuckDBPyConnection, pids: list[str]) -> list[PartnershipInfo]:
    """`partnership_info` of several partnerships in one query; the first unknown id is refused the same way."""
    rows = reads.partnership_rows(con, pids)
    for pid in pids:
        if pid not in rows:
            _unknown(con, pid)
    return [_info(rows[pid]) for pid in pids]


def _unknown(con: DuckDBPyConnection, pid: str) -> NoReturn:
    known = reads.some_partnership_ids(con)
    hint = f"known ids include: {', '.join(known)}" if known else "the workspace has no partnerships"
    raise UnknownPartnership(f"unknown partnership {pid!r}", hint=hint + " (see `c2c partnerships`)")


def _info(row: Any) -> PartnershipInfo:
    sdgs = [int(s) for s in (row[3] or "").split(",") if s.strip().isdigit()]
    return PartnershipInfo(
        id=row[0], name=row[1], theme=row[2], sdgs=sdgs, budget_eur=row[4], start_year=row[5],
        description=row[6],
        cities=[CityInfo(id=row[7], name=row[8], country=row[9], role="european"),
                CityInfo(id=row[10], name=row[11], country=row[12], role="partner")],
    )


def workspace_catalogue(ws: Workspace) -> Catalogue:
    """The catalogue with the workspace's own indicators, parsed once per content (store/catalog_cache)."""
    return catalog_cache.catalogue(ws.own_indicators)


@lru_cache(maxsize=4096)
def _period(period: str) -> Period:
    """`parse_period` once per distinct period string: a cohort's series repeat the same few hundred periods
    (Period is frozen, so sharing it is safe)."""
    return parse_period(period)


def _decimal(period: str) -> float:
    return _period(period).decimal_year


def indicator_rows(
    indicators: list[Indicator], results: pl.DataFrame, info: PartnershipInfo, period: str | None,
    local_targets: dict[tuple[str, str], float], use_local: bool,
) -> list[IndicatorRow]:
    cutoff = parse_period(period) if period else None
    by_key: dict[tuple[str, str | None], list[dict[str, Any]]] = defaultdict(list)
    for r in results.iter_rows(named=True):
        by_key[(r["indicator_id"], r["city_id"])].append(r)
    names = {c.id: c.name for c in info.cities}
    rows = []
    for ind in indicators:
        cities: list[str | None] = [c.id for c in info.cities] if ind.family == "city" else [None]
        for city in cities:
            series = sorted(by_key.get((ind.id, city), []), key=lambda r: _period(r["period"]))
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
            ))
    return rows


def _not_after(period: str, cutoff: Period) -> bool:
    p = _period(period)
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


RoundReader = Callable[[str], tuple[pl.DataFrame, pl.DataFrame]]


class RoundSource(Protocol):
    """What a scoreboard needs of a partnership's round: its number of participants, principle results, groups."""

    def people(self, rid: str) -> int: ...
    def results(self, rid: str) -> list[PrincipleResult]: ...
    def groups(self, rid: str) -> list[dict[str, Any]]: ...


class _OneRound:
    """A round read and aggregated on its own (one partnership: `principle_rows`)."""

    def __init__(self, fw: Framework, read: RoundReader, min_group_size: int) -> None:
        self.fw, self.read, self.min_group_size = fw, read, min_group_size
        self._read: dict[str, tuple[pl.DataFrame, pl.DataFrame]] = {}

    def _get(self, rid: str) -> tuple[pl.DataFrame, pl.DataFrame]:
        if rid not in self._read:
            self._read[rid] = self.read(rid)
        return self._read[rid]

    def people(self, rid: str) -> int:
        ratings = self._get(rid)[0]
        return int(ratings["participant_code"].n_unique()) if ratings.height else 0

    def results(self, rid: str) -> list[PrincipleResult]:
        return aggregate(self.fw, *self._get(rid))

    def groups(self, rid: str) -> list[dict[str, Any]]:
        return list(group_breakdown(self.fw, self._get(rid)[0], self.min_group_size).iter_rows(named=True))


class _Cohort:
    """Every (partnership, round) of a cohort aggregated at once: one group-by per statistic, not one per round."""

    KEYS = ("partnership_id", "round_id")

    def __init__(self, fw: Framework, pid: str, cohort: _CohortData) -> None:
        self.fw, self.pid, self.data = fw, pid, cohort

    def people(self, rid: str) -> int:
        return self.data.people.get((self.pid, rid), 0)

    def results(self, rid: str) -> list[PrincipleResult]:
        return aggregate_stats(self.fw, self.data.stats.get((self.pid, rid), {}),
                               self.data.agreed.get((self.pid, rid), self.data.no_agreed))

    def groups(self, rid: str) -> list[dict[str, Any]]:
        return self.data.groups.get((self.pid, rid), [])


@dataclass
class _CohortData:
    people: dict[tuple[str, str], int]
    stats: dict[tuple[str, str], dict[str, dict[str, Any]]]
    agreed: dict[tuple[str, str], pl.DataFrame]
    no_agreed: pl.DataFrame
    groups: dict[tuple[str, str], list[dict[str, Any]]]

    @classmethod
    def build(cls, fw: Framework, ratings: pl.DataFrame, agreed: pl.DataFrame, min_group_size: int) -> _CohortData:
        keys = list(_Cohort.KEYS)
        people = {(r[0], r[1]): int(r[2]) for r in ratings.group_by(keys).agg(
            pl.col("participant_code").n_unique()).iter_rows()}
        stats: dict[tuple[str, str], dict[str, dict[str, Any]]] = defaultdict(dict)
        for r in question_stats(ratings, by=keys).iter_rows(named=True):
            stats[(r["partnership_id"], r["round_id"])][r["question_id"]] = r
        by_round = {(k[0], k[1]): v.drop(keys) for k, v in agreed.partition_by(keys, as_dict=True).items()} \
            if agreed.height else {}
        groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        for g in group_breakdown(fw, ratings, min_group_size, by=keys).iter_rows(named=True):
            groups[(g["partnership_id"], g["round_id"])].append(g)
        return cls(people, dict(stats), by_round, agreed.clear().drop(keys), dict(groups))


def principle_rows(con: DuckDBPyConnection, fw: Framework, pid: str, as_of: int | None, lang: str = "en",
                   round_id: str | None = None, min_group_size: int = 3) -> RoundView:
    source = _OneRound(fw, lambda rid: reads.round_ratings(con, pid, rid, as_of), min_group_size)
    return round_view(fw, pid, reads.rounds_of(con, pid, as_of), source, lang, round_id, min_group_size)


def _chosen_rounds(pid: str, rounds: list[str], round_id: str | None) -> tuple[str | None, str | None]:
    """(current, previous) round of a partnership: `round_id` or its latest, and the one held before it."""
    if round_id is not None and round_id not in rounds:
        raise C2CError(f"partnership {pid!r} has no workshop round {round_id!r}",
                       hint=f"rounds: {', '.join(rounds) or 'none'}")
    current = round_id or (rounds[-1] if rounds else None)
    previous = rounds[rounds.index(current) - 1] if current and rounds.index(current) > 0 else None
    return current, previous


def round_view(fw: Framework, pid: str, rounds: list[str], source: RoundSource, lang: str = "en",
               round_id: str | None = None, min_group_size: int = 3) -> RoundView:
    """The principle rows of one partnership from its rounds and a source of each round's aggregates (read one
    round at a time by `principle_rows`, or computed for a whole cohort at once by `build_scoreboards`)."""
    current, previous = _chosen_rounds(pid, rounds, round_id)
    n_people = source.people(current) if current else 0
    # A round with fewer participants than the minimum group size would publish one person's view.
    too_few = current is not None and n_people < min_group_size
    res = source.results(current) if current is not None and not too_few else None
    prev = {}
    if previous and source.people(previous) >= min_group_size:
        prev = {p.principle_id: p for p in source.results(previous)}
    rows = []
    for i, p in enumerate(fw.principles):
        r = res[i] if res else None
        pr = prev.get(p.id)
        qtext = {q.id: q.text.get(lang) for q in p.questions}
        status: PrincipleStatus = ("not assessed" if current is None else
                  "insufficient data" if r is None or r.insufficient else "scored")
        rows.append(PrincipleRow(
            id=p.id, title=p.title.get(lang),
            score=None if r is None or r.score is None else round(r.score, 3), status=status,
            coverage=r.coverage if r else 0.0, n_questions=len(p.questions),
            n_answered=r.n_answered if r else 0,
            previous_score=None if pr is None or pr.score is None else round(pr.score, 3),
            trend=principle_trend(r.score if r else None, pr.score if pr else None),
            disagreements=[q.question_id for q in r.questions if q.disagreement] if r else [],
            questions=[QuestionRow(
                id=q.question_id, text=qtext[q.question_id], n=q.n, median=q.median, iqr=q.iqr,
                low=q.low, high=q.high, share_dont_know=round(q.share_dont_know, 4),
                disagreement=q.disagreement, agreed=q.agreed, agreed_reason=q.agreed_reason,
                score=q.score) for q in r.questions] if r else [],
        ))
    groups = []
    if current is not None and not too_few:
        groups = [GroupRow(group=g["group"], principle_id=g["principle_id"], n_participants=g["n_participants"],
                           score=None if g["score"] is None else round(g["score"], 3))
                  for g in source.groups(current)]
    return RoundView(rows, current, previous, n_people, groups)


def action_rows(con: DuckDBPyConnection, pid: str, as_of: int | None, today: date | None = None) -> list[ActionRow]:
    """Follow-up actions, latest version of each, as recorded up to `as_of`."""
    return _action_rows(reads.action_versions(con, pid, as_of), today)


def _action_rows(rows: list[tuple[Any, ...]], today: date | None = None) -> list[ActionRow]:
    today = today or date.today()
    return [ActionRow(id=r[0], principle_id=r[1], round_id=r[2], text=r[3], owner=r[4],
                      due=r[5].isoformat() if r[5] else None, status=r[6],
                      overdue=bool(r[5] and r[5] < today and r[6] not in CLOSED_STATUSES))
            for r in rows]


def build_scoreboard(
    ws: Workspace, pid: str, list_name: ListName = "simplified", period: str | None = None,
    as_of: int | None = None, targets: TargetKind = "harmonised", backend: Backend = "duckdb",
    round_id: str | None = None, catalogue: Catalogue | None = None, framework: Framework | None = None,
) -> Scoreboard:
    return build_scoreboards(ws, [pid], list_name, period, as_of, targets, backend, round_id, catalogue,
                             framework)[0]


def build_scoreboards(
    ws: Workspace, pids: list[str], list_name: ListName = "simplified", period: str | None = None,
    as_of: int | None = None, targets: TargetKind = "harmonised", backend: Backend = "duckdb",
    round_id: str | None = None, catalogue: Catalogue | None = None, framework: Framework | None = None,
) -> list[Scoreboard]:
    """Scoreboards of several partnerships from one evaluation pass (one query per indicator, not per pair)."""
    con = ws.con
    if period is not None:
        try:
            parse_period(period)
        except PeriodError as exc:
            raise C2CError(f"--period: {exc}") from None
    infos = partnership_infos(con, pids)
    cat = catalogue or workspace_catalogue(ws)
    fw = framework or catalog_cache.framework()
    # Set-based: the whole cohort's rounds, ratings, agreed ratings and actions in a few queries, split in
    # memory, rather than a handful of queries per partnership (each a scan of the ratings: quadratic).
    rounds = reads.rounds_of_many(con, pids, as_of)
    chosen = {pid: _chosen_rounds(pid, rounds[pid], round_id) for pid in pids}
    pairs = sorted({(pid, r) for pid, two in chosen.items() for r in two if r is not None})
    all_ratings, all_agreed = reads.round_ratings_many(con, pairs, as_of)
    cohort = _CohortData.build(fw, all_ratings, all_agreed, ws.config.min_group_size)
    actions = reads.action_versions_many(con, pids, as_of)
    inds = [i for i in cat.ordered if list_name in i.lists or not i.harmonised]
    results = evaluate(con, inds, pids, as_of=as_of, backend=backend)
    by_pid = {k[0]: v for k, v in results.partition_by("partnership_id", as_dict=True).items()}
    local = reads.local_targets(con, as_of)
    generated = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    out = []
    for pid, info in zip(pids, infos, strict=True):
        rows = indicator_rows(inds, by_pid.get(pid, results.clear()), info, period, local, targets == "local")
        view = round_view(fw, pid, rounds[pid], _Cohort(fw, pid, cohort), ws.config.language, round_id,
                          ws.config.min_group_size)
        vintages = sorted({r.vintage_id for r in rows if r.vintage_id is not None})
        out.append(Scoreboard(
            generated_at=generated,
            partnership=info, list=list_name, period=period, as_of_vintage=as_of,
            vintages_used=vintages, catalog_version=cat.version, framework_version=fw.version,
            rules_version=RULES.version, rules=RULES.describe(), targets=targets,
            round_id=view.current, previous_round_id=view.previous, principles=view.principles, indicators=rows,
            aggregates=aggregates(rows), min_group_size=ws.config.min_group_size,
            n_participants=view.n_participants, groups=view.groups, actions=_action_rows(actions[pid]),
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
