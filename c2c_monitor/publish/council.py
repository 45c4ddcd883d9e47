"""The council summary: what a city council reads, on 2-4 A4 pages, made from one scoreboard.

Headline (stage, workshop round, principle profile chart, indicator coverage), the three strongest and
three weakest principles with one sentence each written from the figures, the overdue and high-priority
actions, and where the full report lives. Its page model (site_pages.CouncilPage) holds only published
aggregates, like every page of the site.
"""

from __future__ import annotations

from c2c_monitor.definitions.process import load_steps
from c2c_monitor.publish.site_pages import Action, CouncilPage, Coverage, Partnership, PrincipleNote, SiteInfo, Stage
from c2c_monitor.render.i18n import N_, Translator
from c2c_monitor.score.scoreboard import ActionRow, PrincipleRow, Scoreboard

N_NOTES = 3


def principle_sentence(p: PrincipleRow, sb: Scoreboard, weak: bool, _: Translator | None = None) -> str:
    """One sentence about a scored principle (printed after its id and title), from its score, its change since
    the previous round, the questions participants disagreed on and the open actions of the plan. Each clause
    is a whole text of the catalogs, so that a translation can order its words freely."""
    assert p.score is not None
    _ = _ or Translator()
    score, previous = _.number(p.score, 2), sb.previous_round_id
    if p.previous_score is not None and previous:
        change = p.score - p.previous_score
        if abs(change) < 0.005:
            first = _("Rated %(score)s of 5, as in round %(round)s", score=score, round=previous)
        elif change > 0:
            first = _("Rated %(score)s of 5, up %(change)s on round %(round)s", score=score,
                      change=_.number(abs(change), 2), round=previous)
        else:
            first = _("Rated %(score)s of 5, down %(change)s on round %(round)s", score=score,
                      change=_.number(abs(change), 2), round=previous)
    else:
        first = _("Rated %(score)s of 5", score=score)
    parts = [first]
    if p.disagreements:
        n = len(p.disagreements)
        parts.append(_("participants disagreed on 1 question of %(total)s", total=p.n_questions) if n == 1 else
                     _("participants disagreed on %(n)s questions of %(total)s", n=n, total=p.n_questions))
    mine = [a for a in sb.actions if p.id in (a.principles or [a.principle_id]) and a.status not in ("done", "dropped")]
    if mine:
        overdue = sum(a.overdue for a in mine)
        ids = ", ".join(a.id for a in mine)
        parts.append((_("1 open action addresses it (%(ids)s)", ids=ids) if len(mine) == 1 else
                      _("%(n)s open actions address it (%(ids)s)", n=len(mine), ids=ids))
                     + (_(", %(n)s overdue", n=overdue) if overdue else ""))
    elif weak:
        parts.append(_("no open action in the plan addresses it yet"))
    # TRANSLATORS: between the clauses of a sentence about a principle ("Rated 3.50 of 5; participants ...").
    return _("; ").join(parts) + "."


def _coverage(sb: Scoreboard, _: Translator) -> list[Coverage]:
    out = []
    for family, label in (("city", N_("City indicators")), ("partnership", N_("Partnership indicators"))):
        rows = [r for r in sb.indicators if r.family == family]
        if rows:
            out.append(Coverage(family=_(label), n_rows=len(rows), n_scored=sum(r.score is not None for r in rows),
                                n_not_expected=sum(bool(r.missing_reason and r.missing_reason.startswith(
                                    "not expected")) for r in rows)))
    return out


def _brief(sb: Scoreboard, _: Translator) -> list[str]:
    """Three sentences for the first page: the principles on average and their direction, the city indicators
    by distance to their end values, the plan's progress."""
    out = []
    scored = [p for p in sb.principles if p.score is not None]
    if scored:
        mean = _.number(sum(p.score or 0 for p in scored) / len(scored), 2)
        before = [p for p in scored if p.previous_score is not None]
        if before and sb.previous_round_id:
            prev = sum(p.previous_score or 0 for p in before) / len(before)
            up = sum((p.score or 0) > (p.previous_score or 0) for p in before)
            down = sum((p.score or 0) < (p.previous_score or 0) for p in before)
            out.append(_("The %(n)s principles scored average %(mean)s of 5 (%(previous)s in round %(round)s); "
                         "%(up)s improved and %(down)s declined.", n=len(scored), mean=mean,
                         previous=_.number(prev, 2), round=sb.previous_round_id, up=up, down=down))
        else:
            out.append(_("The %(n)s principles scored average %(mean)s of 5.", n=len(scored), mean=mean))
    city = [r for r in sb.indicators if r.family == "city" and r.score is not None]
    if city:
        n = {light: sum(r.light == light for r in city) for light in ("green", "amber", "red")}
        out.append(_("Of %(n)s scored city indicators, %(green)s are close to their 2030 end value, %(amber)s half "
                     "way and %(red)s far from it.", n=len(city), green=n["green"], amber=n["amber"], red=n["red"]))
    if sb.actions:
        done = sum(a.status == "done" for a in sb.actions)
        overdue = sum(a.overdue for a in sb.actions)
        out.append(_("The implementation plan has 1 action: %(done)s done, %(overdue)s overdue.", done=done,
                     overdue=overdue) if len(sb.actions) == 1 else
                   _("The implementation plan has %(n)s actions: %(done)s done, %(overdue)s overdue.",
                     n=len(sb.actions), done=done, overdue=overdue))
    return out


def _stage(sb: Scoreboard, lang: str) -> Stage | None:
    """The stage with the step's name in the page's language (the scoreboard names it in the workspace's)."""
    if not sb.stage:
        return None
    stage = Stage.model_validate(sb.stage)
    return stage.model_copy(update={"name": load_steps().number(stage.step).name.get(lang)})


def _leading(actions: list[ActionRow]) -> list[ActionRow]:
    """Overdue and open high-priority actions, in the scoreboard's order (overdue first)."""
    return [a for a in actions if a.overdue or a.high_priority]


def council_page(sb: Scoreboard, site: SiteInfo, lang: str, slug: str, chart: str, root: str = "../") -> CouncilPage:
    """The council summary of one partnership; it sits in pdf/ (or LANG/pdf/): `root` leads to the site's top."""
    _ = Translator(lang)
    scored = sorted((p for p in sb.principles if p.score is not None), key=lambda p: (-(p.score or 0), p.id))
    strong = scored[:N_NOTES]
    weak = [p for p in reversed(scored) if p not in strong][:N_NOTES]
    return CouncilPage(
        site=site, lang=lang, root=root, home="../",
        partnership=Partnership.model_validate(sb.partnership),
        stage=_stage(sb, lang),
        round_id=sb.round_id, previous_round_id=sb.previous_round_id, n_participants=sb.n_participants,
        chart_principles=chart, coverage=_coverage(sb, _), brief=_brief(sb, _),
        strongest=[PrincipleNote(id=p.id, title=p.title, score=p.score or 0.0,
                                 sentence=principle_sentence(p, sb, weak=False, _=_)) for p in strong],
        weakest=[PrincipleNote(id=p.id, title=p.title, score=p.score or 0.0,
                               sentence=principle_sentence(p, sb, weak=True, _=_)) for p in weak],
        actions=[Action.model_validate(a) for a in _leading(sb.actions)],
        n_actions=len(sb.actions), n_done=sum(a.status == "done" for a in sb.actions),
        report_href=f"../partnerships/{slug}.html", data_href="../data/README.html",
    )
