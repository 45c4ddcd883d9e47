"""The council summary: what a city council reads, on 2-4 A4 pages, made from one scoreboard.

Headline (stage, workshop round, principle profile chart, indicator coverage), the three strongest and
three weakest principles with one sentence each written from the figures, the overdue and high-priority
actions, and where the full report lives. Its page model (site_pages.CouncilPage) holds only published
aggregates, like every page of the site.
"""

from __future__ import annotations

from c2c_monitor.publish.site_pages import Action, CouncilPage, Coverage, Partnership, PrincipleNote, SiteInfo, Stage
from c2c_monitor.score.scoreboard import ActionRow, PrincipleRow, Scoreboard

N_NOTES = 3


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def principle_sentence(p: PrincipleRow, sb: Scoreboard, weak: bool) -> str:
    """One sentence about a scored principle (printed after its id and title), from its score, its change since
    the previous round, the questions participants disagreed on and the open actions of the plan."""
    assert p.score is not None
    parts = [f"Rated {p.score:.2f} of 5"]
    if p.previous_score is not None and sb.previous_round_id:
        change = p.score - p.previous_score
        if abs(change) < 0.005:
            parts[0] += f", as in round {sb.previous_round_id}"
        else:
            parts[0] += f", {'up' if change > 0 else 'down'} {abs(change):.2f} on round {sb.previous_round_id}"
    if p.disagreements:
        parts.append(f"participants disagreed on {_count(len(p.disagreements), 'question', 'questions')} "
                     f"of {p.n_questions}")
    mine = [a for a in sb.actions if p.id in (a.principles or [a.principle_id]) and a.status not in ("done", "dropped")]
    if mine:
        overdue = sum(a.overdue for a in mine)
        parts.append(f"{_count(len(mine), 'open action addresses', 'open actions address')} it ("
                     + ", ".join(a.id for a in mine) + ")" + (f", {overdue} overdue" if overdue else ""))
    elif weak:
        parts.append("no open action in the plan addresses it yet")
    return "; ".join(parts) + "."


def _coverage(sb: Scoreboard) -> list[Coverage]:
    out = []
    for family, label in (("city", "City indicators"), ("partnership", "Partnership indicators")):
        rows = [r for r in sb.indicators if r.family == family]
        if rows:
            out.append(Coverage(family=label, n_rows=len(rows), n_scored=sum(r.score is not None for r in rows),
                                n_not_expected=sum(bool(r.missing_reason and r.missing_reason.startswith(
                                    "not expected")) for r in rows)))
    return out


def _brief(sb: Scoreboard) -> list[str]:
    """Three sentences for the first page: the principles on average and their direction, the city indicators
    by distance to their end values, the plan's progress."""
    out = []
    scored = [p for p in sb.principles if p.score is not None]
    if scored:
        mean = sum(p.score or 0 for p in scored) / len(scored)
        text = f"The {len(scored)} principles scored average {mean:.2f} of 5"
        before = [p for p in scored if p.previous_score is not None]
        if before and sb.previous_round_id:
            prev = sum(p.previous_score or 0 for p in before) / len(before)
            up = sum((p.score or 0) > (p.previous_score or 0) for p in before)
            down = sum((p.score or 0) < (p.previous_score or 0) for p in before)
            text += f" ({prev:.2f} in round {sb.previous_round_id}); {up} improved and {down} declined"
        out.append(text + ".")
    city = [r for r in sb.indicators if r.family == "city" and r.score is not None]
    if city:
        n = {light: sum(r.light == light for r in city) for light in ("green", "amber", "red")}
        out.append(f"Of {len(city)} scored city indicators, {n['green']} are close to their 2030 end value, "
                   f"{n['amber']} half way and {n['red']} far from it.")
    if sb.actions:
        done = sum(a.status == "done" for a in sb.actions)
        overdue = sum(a.overdue for a in sb.actions)
        out.append(f"The implementation plan has {_count(len(sb.actions), 'action', 'actions')}: {done} done, "
                   f"{overdue} overdue.")
    return out


def _leading(actions: list[ActionRow]) -> list[ActionRow]:
    """Overdue and open high-priority actions, in the scoreboard's order (overdue first)."""
    return [a for a in actions if a.overdue or a.high_priority]


def council_page(sb: Scoreboard, site: SiteInfo, lang: str, slug: str, chart: str, root: str = "../") -> CouncilPage:
    """The council summary of one partnership; it sits in pdf/ (or LANG/pdf/): `root` leads to the site's top."""
    scored = sorted((p for p in sb.principles if p.score is not None), key=lambda p: (-(p.score or 0), p.id))
    strong = scored[:N_NOTES]
    weak = [p for p in reversed(scored) if p not in strong][:N_NOTES]
    return CouncilPage(
        site=site, lang=lang, root=root, home="../",
        partnership=Partnership.model_validate(sb.partnership),
        stage=Stage.model_validate(sb.stage) if sb.stage else None,
        round_id=sb.round_id, previous_round_id=sb.previous_round_id, n_participants=sb.n_participants,
        chart_principles=chart, coverage=_coverage(sb), brief=_brief(sb),
        strongest=[PrincipleNote(id=p.id, title=p.title, score=p.score or 0.0,
                                 sentence=principle_sentence(p, sb, weak=False)) for p in strong],
        weakest=[PrincipleNote(id=p.id, title=p.title, score=p.score or 0.0,
                               sentence=principle_sentence(p, sb, weak=True)) for p in weak],
        actions=[Action.model_validate(a) for a in _leading(sb.actions)],
        n_actions=len(sb.actions), n_done=sum(a.status == "done" for a in sb.actions),
        report_href=f"../partnerships/{slug}.html", data_href="../data/README.html",
    )
