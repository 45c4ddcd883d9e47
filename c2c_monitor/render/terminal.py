"""The terminal scoreboard: at most 100 columns, colour plus a symbol for every class."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import TYPE_CHECKING

from rich import box
from rich.table import Table
from rich.text import Text

from c2c_monitor.render.console import text_console
from c2c_monitor.render.i18n import Translator, fmt_value
from c2c_monitor.render.symbols import LIGHT_SYMBOL, STATUS_SYMBOL, TREND_SYMBOL
from c2c_monitor.score.scoreboard import ActionRow, GroupRow, Scoreboard

if TYPE_CHECKING:
    import polars as pl

COLOURS = {"green": "green", "amber": "yellow", "red": "red", "none": "dim"}
WIDTH = 100


def _bar(score: float | None, width: int = 10, top: float = 100.0) -> str:
    if score is None:
        return "·" * width
    filled = round(width * max(0.0, min(score, top)) / top)
    return "█" * filled + "░" * (width - filled)


def _board_table(title: str) -> Table:
    """A scoreboard table, 100 cells wide, padded on the right of each cell only: with the divider that
    still leaves two spaces between columns, and gives the cells saved to the long texts. (Not
    collapse_padding: rich 15 then measures one cell less than it draws, and the 1-cell symbol column
    vanishes again.)"""
    return Table(title=title, title_justify="left", width=WIDTH, header_style="bold", box=box.SIMPLE_HEAD,
                 padding=(0, 1, 0, 0))


def render_terminal(sb: Scoreboard, color: bool | None = None, lang: str = "en") -> str:
    _ = Translator(lang)
    buf = io.StringIO()
    console = text_console(buf, WIDTH, color)
    p = sb.partnership
    cities = " – ".join(f"{c.name} ({c.country})" for c in p.cities)
    console.print(Text(f"{p.name}", style="bold"), Text(f"  {p.theme or ''}", style="italic"))
    console.print(f"{cities}")
    # The words are looked up outside the f-strings, where the extractor (babel.cfg) finds them.
    words = {"list": _("list"), "period": _("period"), "latest": _("latest"), "targets": _("targets"),
             "snapshot": _("snapshot"), "catalogue": _("catalogue"), "principles": _("principles"),
             "rules": _("rules"), "vintages": _("data vintages"), "none": _("none")}
    console.print(f"{words['list']}: {_(sb.list)} · {words['period']}: {sb.period or words['latest']} · "
                  f"{words['targets']}: {_(sb.targets)} · {words['snapshot']}: {sb.snapshot_id or '-'}")
    if sb.stage is not None:
        console.print(_("stage: step %(step)s of 8, %(name)s", step=sb.stage.step, name=sb.stage.name)
                      + (_(" (since %(date)s)", date=sb.stage.reached_on) if sb.stage.reached_on else ""))

    t = _board_table(_("G20 principles — workshop round %(round)s", round=sb.round_id or _("(none)"))
                     + (_(" vs %(round)s", round=sb.previous_round_id) if sb.previous_round_id else ""))
    # Fixed widths plus padding and dividers once came to more than 100 cells, and rich then squeezed
    # columns and cut headers. Now the short columns take what their header and cells need (capped, so
    # that the sums stay under 100 in every language) and the long text takes the rest (ratio=1).
    t.add_column(_("Principle"), ratio=1, no_wrap=True, overflow="ellipsis")
    t.add_column(_("Score 1–5"), justify="right", max_width=12)
    t.add_column("", width=10)
    t.add_column(_("Answered"), justify="right", max_width=12, no_wrap=True)
    t.add_column(_("Trend"), max_width=20, no_wrap=True, overflow="ellipsis")
    t.add_column(_("Disagree"), justify="right", max_width=12, no_wrap=True)
    for pr in sb.principles:
        score = _("insufficient") if pr.status == "insufficient data" else (
            _("from step %(step)s", step=pr.expected_from_step) if pr.status == "not expected yet" else
            "–" if pr.score is None else _.number(pr.score, 2))
        bar = _bar(None if pr.score is None else pr.score - 1, 10, 4)
        t.add_row(f"{pr.id} {pr.title}", score, bar, _.percent(pr.coverage),
                  f"{TREND_SYMBOL.get(pr.trend, '')} {_(pr.trend)}", str(len(pr.disagreements) or ""))
    console.print(t)
    if sb.round_withheld:
        console.print(_("Round figures withheld to protect participants: %(why)s.", why=sb.round_withheld))
    elif sb.round_id is not None:
        # "Not applicable" and "don't know" are answers, shown apart from the blanks.
        console.print(_("Answers: %(rated)s rated, %(na)s not applicable or don't know, %(blank)s blank.",
                        rated=sum(p.n_ratings for p in sb.principles),
                        na=sum(p.n_not_applicable_dont_know for p in sb.principles),
                        blank=sum(p.n_blank for p in sb.principles)))

    for family, heading in (("city", _("City indicators (SDG outcomes)")),
                            ("partnership", _("Partnership indicators"))):
        rows = [r for r in sb.indicators if r.family == family]
        if not rows:
            continue
        t = _board_table(heading)
        # The light symbol must always show (the board reads in black and white), so its column is fixed;
        # the short columns fit their header and cells up to a cap and the indicator title takes the rest.
        # With these caps the title keeps at least 16 cells whatever the language and the data.
        t.add_column("", width=1, no_wrap=True)
        t.add_column(_("Indicator"), ratio=1, no_wrap=True, overflow="ellipsis")
        if family == "city":
            t.add_column(_("City"), max_width=14, no_wrap=True, overflow="ellipsis")
        t.add_column(_("Value"), justify="right", max_width=10, no_wrap=True)
        t.add_column(_("Period"), max_width=8, no_wrap=True)
        t.add_column(_("Score"), justify="right", max_width=10, no_wrap=True)
        t.add_column(_("Trend"), max_width=26, no_wrap=True, overflow="ellipsis")
        for r in rows:
            colour = COLOURS[r.light]
            sym = Text(LIGHT_SYMBOL[r.light], style=colour)
            title = r.title + ("" if r.harmonised else _(" (own)"))
            value = fmt_value(r.value, r.unit, lang) + ("ᵖ" if r.provisional else "")
            score = "–" if r.score is None else _.number(r.score, 0)
            trend = f"{TREND_SYMBOL.get(r.trend, '')} {_(r.trend)}" if r.value is not None else _("missing")
            cells: list[Text | str] = [sym, title, *([r.city_name or ""] if family == "city" else []),
                                       value, r.period or "–", Text(score, style=colour), trend]
            t.add_row(*cells)
        console.print(t)
    if sb.local_indicators:
        # The cities' own series: beside the harmonised table, never in it (no score, no comparison).
        t = _board_table(_("Local indicators (each city's own series: read against its own 2030 target, "
                           "not compared)"))
        t.add_column(_("City"), max_width=14, no_wrap=True, overflow="ellipsis")
        t.add_column(_("Indicator"), ratio=1, no_wrap=True, overflow="ellipsis")
        t.add_column(_("Value"), justify="right", max_width=10, no_wrap=True)
        t.add_column(_("Period"), max_width=8, no_wrap=True)
        t.add_column("2030", justify="right", max_width=8, no_wrap=True)
        t.add_column(_("Progress"), justify="right", max_width=10, no_wrap=True)
        for lr in sb.local_indicators:
            t.add_row(lr.city_name or lr.city_id, f"{lr.code} {lr.title}",
                      "–" if lr.value is None else f"{lr.value:g}", lr.period or "–",
                      "–" if lr.target_2030 is None else f"{lr.target_2030:g}",
                      _("context") if lr.progress is None else f"{lr.progress:.0f}%")
        console.print(t)
    if sb.groups:
        console.print(_breakdown(sb, sb.groups, _("Stakeholder groups (≥ %(n)s people; smaller ones merged)",
                                                  n=sb.min_group_size), _("Group"),
                                 lambda g: _(g.replace("_", " ")), _))
    if sb.partner_types:
        from c2c_monitor.definitions.process import load_partner_types

        kinds = load_partner_types()

        def type_name(g: str) -> str:
            kind = kinds.get(g)
            return kind.name.get(_.lang) if kind else _(g)

        console.print(_breakdown(sb, sb.partner_types, _("Partner types (≥ %(n)s people; built from the groups "
                                                         "above)", n=sb.min_group_size), _("Partner type"),
                                 type_name, _))
    if sb.actions:
        console.print(action_table(sb.actions, _("Follow-up actions (overdue and high priority first)"), _))
    console.print(_("● close to end value (score ≥ 80)  ◐ half way (≥ 50)  ○ far  · no data  "
                    "ᵖ provisional  ! overdue"), style="dim")
    console.print(f"{words['catalogue']} {sb.catalog_version} · {words['principles']} {sb.framework_version} · "
                  f"{words['rules']} {sb.rules_version} · {words['vintages']} "
                  f"{', '.join(map(str, sb.vintages_used)) or words['none']}",
                  style="dim")
    return buf.getvalue()


def render_frame(df: pl.DataFrame, width: int = WIDTH) -> str:
    """Any small result table (history, lists) as a plain terminal table."""
    buf = io.StringIO()
    console = text_console(buf, width)
    t = Table(box=box.SIMPLE_HEAD, header_style="bold")
    for name in df.columns:
        t.add_column(name, no_wrap=True, min_width=len(name))
    for row in df.iter_rows():
        t.add_row(*["" if v is None else (str(v) if len(str(v)) <= 28 else str(v)[:27] + "…") for v in row])
    console.print(t)
    return buf.getvalue()


def _breakdown(sb: Scoreboard, rows: list[GroupRow], title: str, head: str, name: Callable[[str], str],
               _: Translator) -> Table:
    """Principle scores by group (stakeholder groups or partner types), as the disclosure rule left them."""
    score = {(g.group, g.principle_id): g.score for g in rows}
    size = {g.group: g.n_participants for g in rows}
    t = _board_table(title)
    # One column per principle: 28 + 10 x 4 cells plus padding came to 102, and rich cut the figures.
    t.add_column(head, ratio=1, no_wrap=True, overflow="ellipsis")
    for pr in sb.principles:
        t.add_column(pr.id, justify="right", max_width=5, no_wrap=True)
    for g in sorted(size):
        t.add_row(f"{name(g)} ({size[g]})",
                  *["–" if score.get((g, pr.id)) is None else _.number(score[(g, pr.id)], 1) for pr in sb.principles])
    return t


def action_table(actions: list[ActionRow], title: str | None = None, _: Translator | None = None) -> Table:
    """The action plan: id, principle(s), action, owner, priority, due and status, one row per action."""
    _ = _ or Translator("en")
    t = Table(title=title, title_justify="left", width=WIDTH, header_style="bold", box=box.SIMPLE_HEAD,
              caption=_("priority 1 (low) to 5 (high)  ★ high priority  ! overdue"), caption_justify="left")
    t.add_column(_("Id"), min_width=5, no_wrap=True)
    t.add_column("", max_width=8, no_wrap=True, overflow="ellipsis")
    t.add_column(_("Action"), ratio=1, overflow="fold")
    t.add_column(_("Owner"), max_width=14, no_wrap=True, overflow="ellipsis")
    t.add_column(_("Prio"), min_width=4, justify="right", no_wrap=True)
    t.add_column(_("Due"), min_width=10, no_wrap=True)
    t.add_column(_("Status"), min_width=13, no_wrap=True)
    for a in actions:
        t.add_row(a.id, ",".join(a.principles or [a.principle_id]), a.text, a.owner or "–",
                  ("★" if a.high_priority else "") + (str(a.priority) if a.priority else "–"),
                  a.timeframe or a.due or "–",
                  f"{STATUS_SYMBOL.get(a.status, '')} {_(a.status)}" + (" !" if a.overdue else ""))
    return t


def render_action_plan(actions: list[ActionRow]) -> str:
    buf = io.StringIO()
    console = text_console(buf, WIDTH)
    console.print(action_table(actions))
    return buf.getvalue()
