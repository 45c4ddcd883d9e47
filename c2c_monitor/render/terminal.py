"""The terminal scoreboard: at most 100 columns, colour plus a symbol for every class."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from c2c_monitor.render.symbols import LIGHT_SYMBOL, STATUS_SYMBOL, TREND_SYMBOL, fmt_value
from c2c_monitor.score.scoreboard import Scoreboard

if TYPE_CHECKING:
    import polars as pl

COLOURS = {"green": "green", "amber": "yellow", "red": "red", "none": "dim"}
WIDTH = 100


def _bar(score: float | None, width: int = 10, top: float = 100.0) -> str:
    if score is None:
        return "·" * width
    filled = round(width * max(0.0, min(score, top)) / top)
    return "█" * filled + "░" * (width - filled)


def render_terminal(sb: Scoreboard, color: bool | None = None) -> str:
    buf = io.StringIO()
    console = Console(file=buf, width=WIDTH, force_terminal=color, no_color=color is False,
                      highlight=False, emoji=False)
    p = sb.partnership
    cities = " – ".join(f"{c.name} ({c.country})" for c in p.cities)
    console.print(Text(f"{p.name}", style="bold"), Text(f"  {p.theme or ''}", style="italic"))
    console.print(f"{cities}")
    console.print(f"list: {sb.list} · period: {sb.period or 'latest'} · targets: {sb.targets} · "
                  f"snapshot: {sb.snapshot_id or '-'}")

    t = Table(title=f"G20 principles — workshop round {sb.round_id or '(none)'}"
                    + (f" vs {sb.previous_round_id}" if sb.previous_round_id else ""),
              title_justify="left", width=WIDTH, header_style="bold", box=box.SIMPLE_HEAD)
    t.add_column("Principle", width=30, no_wrap=True)
    t.add_column("Score 1–5", justify="right", width=9)
    t.add_column("", width=10)
    t.add_column("Answered", justify="right", width=9)
    t.add_column("Trend", width=18, no_wrap=True)
    t.add_column("Disagree", justify="right", width=9)
    for pr in sb.principles:
        score = "insufficient" if pr.status == "insufficient data" else (
            "–" if pr.score is None else f"{pr.score:.2f}")
        bar = _bar(None if pr.score is None else pr.score - 1, 10, 4)
        t.add_row(f"{pr.id} {pr.title}", score, bar, f"{pr.coverage:.0%}",
                  f"{TREND_SYMBOL.get(pr.trend, '')} {pr.trend}", str(len(pr.disagreements) or ""))
    console.print(t)
    if sb.round_withheld:
        console.print(f"Round figures withheld to protect participants: {sb.round_withheld}.")
    elif sb.round_id is not None:
        # "Not applicable" and "don't know" are answers, shown apart from the blanks.
        console.print(f"Answers: {sum(p.n_ratings for p in sb.principles)} rated, "
                      f"{sum(p.n_not_applicable_dont_know for p in sb.principles)} not applicable or don't know, "
                      f"{sum(p.n_blank for p in sb.principles)} blank.")

    for family, heading in (("city", "City indicators (SDG outcomes)"),
                            ("partnership", "Partnership indicators")):
        rows = [r for r in sb.indicators if r.family == family]
        if not rows:
            continue
        t = Table(title=heading, title_justify="left", width=WIDTH, header_style="bold", box=box.SIMPLE_HEAD)
        t.add_column("", width=1)
        t.add_column("Indicator", width=35 if family == "city" else 43, no_wrap=True, overflow="ellipsis")
        if family == "city":
            t.add_column("City", width=12, no_wrap=True, overflow="ellipsis")
        t.add_column("Value", justify="right", width=9, no_wrap=True)
        t.add_column("Period", width=8, no_wrap=True)
        t.add_column("Score", justify="right", width=5)
        t.add_column("Trend", width=20, no_wrap=True, overflow="ellipsis")
        for r in rows:
            colour = COLOURS[r.light]
            sym = Text(LIGHT_SYMBOL[r.light], style=colour)
            title = r.title + ("" if r.harmonised else " (own)")
            value = fmt_value(r.value, r.unit) + ("ᵖ" if r.provisional else "")
            score = "–" if r.score is None else f"{r.score:.0f}"
            trend = f"{TREND_SYMBOL.get(r.trend, '')} {r.trend}" if r.value is not None else "missing"
            cells: list[Text | str] = [sym, title, *([r.city_name or ""] if family == "city" else []),
                                       value, r.period or "–", Text(score, style=colour), trend]
            t.add_row(*cells)
        console.print(t)
    if sb.groups:
        groups = sorted({g.group for g in sb.groups})
        group_score = {(g.group, g.principle_id): g.score for g in sb.groups}
        size = {g.group: g.n_participants for g in sb.groups}
        t = Table(title=f"Stakeholder groups (≥ {sb.min_group_size} people; smaller ones merged)",
                  title_justify="left", width=WIDTH, header_style="bold", box=box.SIMPLE_HEAD)
        t.add_column("Group", width=28, no_wrap=True, overflow="ellipsis")
        for pr in sb.principles:
            t.add_column(pr.id, justify="right", width=4)
        for g in groups:
            t.add_row(f"{g.replace('_', ' ')} ({size[g]})",
                      *["–" if group_score.get((g, pr.id)) is None else f"{group_score[(g, pr.id)]:.1f}"
                        for pr in sb.principles])
        console.print(t)
    if sb.actions:
        t = Table(title="Follow-up actions", title_justify="left", width=WIDTH, header_style="bold",
                  box=box.SIMPLE_HEAD)
        t.add_column("", width=4, no_wrap=True)
        t.add_column("Action", width=44, overflow="fold")
        t.add_column("Owner", width=14, no_wrap=True, overflow="ellipsis")
        t.add_column("Due", width=10, no_wrap=True)
        t.add_column("Status", width=16, no_wrap=True)
        for a in sb.actions:
            t.add_row(a.principle_id, a.text, a.owner or "–", a.due or "–",
                      f"{STATUS_SYMBOL.get(a.status, '')} {a.status}" + (" !" if a.overdue else ""))
        console.print(t)
    console.print("● close to end value (score ≥ 80)  ◐ half way (≥ 50)  ○ far  · no data  "
                  "ᵖ provisional  ! overdue", style="dim")
    console.print(f"catalogue {sb.catalog_version} · principles {sb.framework_version} · rules "
                  f"{sb.rules_version} · data vintages {', '.join(map(str, sb.vintages_used)) or 'none'}",
                  style="dim")
    return buf.getvalue()


def render_frame(df: pl.DataFrame, width: int = WIDTH) -> str:
    """Any small result table (history, lists) as a plain terminal table."""
    buf = io.StringIO()
    console = Console(file=buf, width=width, highlight=False, emoji=False)
    t = Table(box=box.SIMPLE_HEAD, header_style="bold")
    for name in df.columns:
        t.add_column(name, no_wrap=True, min_width=len(name))
    for row in df.iter_rows():
        t.add_row(*["" if v is None else (str(v) if len(str(v)) <= 28 else str(v)[:27] + "…") for v in row])
    console.print(t)
    return buf.getvalue()
