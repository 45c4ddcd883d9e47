"""`c2c compare`: one partnership across rounds and periods, or several side by side (harmonised set only)."""

from __future__ import annotations

from datetime import UTC, datetime

from c2c_monitor.definitions.catalog import Catalogue
from c2c_monitor.definitions.periods import Period, parse_period
from c2c_monitor.definitions.principles import Framework
from c2c_monitor.errors import C2CError
from c2c_monitor.score.assess import build_scoreboard, evaluation, principle_rows, thresholds_of
from c2c_monitor.score.comparison import (
    Change,
    Comparison,
    IndicatorChange,
    OverTime,
    PrincipleChange,
    SideBySide,
    SideCell,
    SideRow,
)
from c2c_monitor.score.scoreboard import ListName, Scoreboard
from c2c_monitor.store import reads
from c2c_monitor.store.workspace import Workspace

# A score (0-100) must move by this much to count as a change between periods.
INDICATOR_CHANGE = 1.0


def _change(before: float | None, after: float | None, threshold: float) -> Change:
    if before is None and after is None:
        return "no data"
    if before is None:
        return "new"
    if after is None:
        return "missing"
    if after - before >= threshold:
        return "improved"
    if before - after >= threshold:
        return "deteriorated"
    return "unchanged"


def _year_before(p: str) -> str:
    x = parse_period(p)
    return str(Period(x.year - 1, x.quarter))


def over_time(ws: Workspace, pid: str, list_name: ListName, period_before: str | None, period_after: str | None,
              round_before: str | None, round_after: str | None, cat: Catalogue, fw: Framework) -> OverTime:
    rounds = reads.rounds_of(ws.con, pid, None)
    r_after = round_after or (rounds[-1] if rounds else None)
    if round_before is None and r_after in rounds and rounds.index(r_after) > 0:
        round_before = rounds[rounds.index(r_after) - 1]
    # One evaluation for both periods (the period only cuts each series), not one per scoreboard.
    evaluated = evaluation(ws, [pid], list_name, catalogue=cat)
    after = build_scoreboard(ws, pid, list_name, period_after, round_id=r_after, catalogue=cat, framework=fw,
                             evaluated=evaluated)
    latest = max((r.period for r in after.indicators if r.period), key=lambda p: parse_period(p).sort_key,
                 default=None)
    p_after = period_after or (str(parse_period(latest).year) if latest else "2024")
    p_before = period_before or _year_before(p_after)
    if parse_period(p_before) >= parse_period(p_after):
        raise C2CError(f"--from {p_before} is not before --to {p_after}")
    if period_after is not None:
        after = build_scoreboard(ws, pid, list_name, p_after, round_id=r_after, catalogue=cat, framework=fw,
                                 evaluated=evaluated)
    before = build_scoreboard(ws, pid, list_name, p_before, round_id=round_before or r_after, catalogue=cat,
                              framework=fw, evaluated=evaluated)
    by_key = {(r.id, r.city_id): r for r in before.indicators}
    ind_changes = []
    for r in after.indicators:
        b = by_key.get((r.id, r.city_id))
        b_score = b.score if b else None
        ind_changes.append(IndicatorChange(
            id=r.id, title=r.title, city_name=r.city_name,
            before_period=b.period if b else None, before_value=b.value if b else None,
            before_score=b.score if b else None, after_period=r.period, after_value=r.value, after_score=r.score,
            change=_change(b_score, r.score, INDICATOR_CHANGE)))
    prev = {p.id: p for p in before.principles}
    pr_changes = [PrincipleChange(id=p.id, title=p.title, before=prev[p.id].score if round_before else None,
                                  after=p.score,
                                  change=_change(prev[p.id].score if round_before else None, p.score, 0.25))
                  for p in after.principles]
    views = {rid: principle_rows(ws.con, fw, pid, None, round_id=rid, min_group_size=ws.config.min_group_size,
                                 thresholds=thresholds_of(ws.config))
             for rid in rounds}
    principle_rounds = {rid: {p.id: p.score for p in v.principles} for rid, v in views.items()}
    series = {f"{r.id}|{r.city_name or ''}": list(r.series) for r in after.indicators if r.series}
    ends = {f"{r.id}|{r.city_name or ''}": r.end_value for r in after.indicators}
    return OverTime(
        partnership_id=pid, partnership_name=after.partnership.name, round_before=round_before, round_after=r_after,
        period_before=p_before, period_after=p_after, vintages_before=before.vintages_used,
        vintages_after=after.vintages_used, principles=pr_changes, indicators=ind_changes,
        principle_rounds=principle_rounds, series=series, end_values=ends)


def side_by_side(ws: Workspace, pids: list[str], list_name: ListName, period: str | None, cat: Catalogue,
                 fw: Framework) -> SideBySide:
    boards: dict[str, Scoreboard] = {
        pid: build_scoreboard(ws, pid, list_name, period, catalogue=cat, framework=fw) for pid in pids}
    rows: list[SideRow] = []
    first = boards[pids[0]]
    for p in first.principles:
        rows.append(SideRow(id=p.id, title=p.title, kind="principle", city_role=None, cells={
            pid: SideCell(score=next(x.score for x in sb.principles if x.id == p.id)) for pid, sb in boards.items()}))
    harmonised = [i for i in cat.ordered if i.harmonised and list_name in i.lists]
    n_scored = {pid: 0 for pid in pids}
    for ind in harmonised:
        roles = ["european", "partner"] if ind.family == "city" else [None]
        for role in roles:
            cells = {}
            for pid, sb in boards.items():
                city = next((c.id for c in sb.partnership.cities if c.role == role), None)
                r = next((x for x in sb.indicators if x.id == ind.id and x.city_id == city), None)
                cells[pid] = SideCell(score=r.score if r else None, value=r.value if r else None,
                                      period=r.period if r else None)
                if r and r.score is not None:
                    n_scored[pid] += 1
            rows.append(SideRow(id=ind.id, title=ind.title, kind="indicator", city_role=role, cells=cells))
    n_rows = sum(1 for r in rows if r.kind == "indicator")
    return SideBySide(list=list_name, partnerships={pid: sb.partnership.name for pid, sb in boards.items()},
                      n_scored=n_scored, n_indicators=n_rows, rows=rows)


def compare(ws: Workspace, pids: list[str], list_name: ListName = "simplified", period_before: str | None = None,
            period_after: str | None = None, round_before: str | None = None, round_after: str | None = None,
            cat: Catalogue | None = None, fw: Framework | None = None) -> Comparison:
    from c2c_monitor.definitions.rules import RULES
    from c2c_monitor.score.assess import workspace_catalogue
    from c2c_monitor.store import catalog_cache

    cat = cat or workspace_catalogue(ws)
    fw = fw or catalog_cache.framework()  # parsed once per content of the definition files, like the catalogue
    if len(set(pids)) != len(pids):
        raise C2CError("a partnership is named twice")
    comp = Comparison(generated_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), catalog_version=cat.version,
                      rules=RULES.describe())
    if len(pids) == 1:
        comp.over_time = over_time(ws, pids[0], list_name, period_before, period_after, round_before, round_after,
                                   cat, fw)
    else:
        comp.side_by_side = side_by_side(ws, pids, list_name, period_after, cat, fw)
    return comp
