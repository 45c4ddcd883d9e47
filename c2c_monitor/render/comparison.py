"""Renderers of a Comparison (the only input): table, JSON, CSV, HTML with charts."""

from __future__ import annotations

import io
from collections.abc import Callable

from rich import box
from rich.console import Console, JustifyMethod
from rich.table import Table

from c2c_monitor.errors import SafeWriter
from c2c_monitor.render.csv_export import safe_cell
from c2c_monitor.score.comparison import Comparison

CHANGE_SYMBOL = {"improved": "▲", "deteriorated": "▼", "unchanged": "=", "new": "+", "missing": "−", "no data": "·"}


def _fmt(x: float | None, digits: int = 0) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def render_table(c: Comparison) -> str:
    buf = io.StringIO()
    con = Console(file=buf, width=100, highlight=False, emoji=False)
    if c.over_time:
        o = c.over_time
        con.print(f"[bold]{o.partnership_name}[/bold]: workshop {o.round_before or '–'} → {o.round_after or '–'}; "
                  f"indicators {o.period_before} → {o.period_after}")
        t = Table(box=box.SIMPLE_HEAD, width=100, title="Principles", title_justify="left")
        principle_cols: tuple[tuple[str, JustifyMethod], ...] = (
            ("Principle", "left"), ("Before", "right"), ("After", "right"), ("Change", "left"))
        for col, just in principle_cols:
            t.add_column(col, justify=just)
        for p in o.principles:
            t.add_row(f"{p.id} {p.title}", _fmt(p.before, 2), _fmt(p.after, 2), f"{CHANGE_SYMBOL[p.change]} {p.change}")
        con.print(t)
        t = Table(box=box.SIMPLE_HEAD, width=100, title="Indicators (score 0–100)", title_justify="left")
        indicator_cols: tuple[tuple[str, JustifyMethod], ...] = (
            ("Indicator", "left"), ("City", "left"), ("Before", "right"), ("After", "right"), ("Change", "left"))
        for col, just in indicator_cols:
            t.add_column(col, justify=just, no_wrap=True, overflow="ellipsis",
                         max_width=38 if col == "Indicator" else None)
        for r in o.indicators:
            t.add_row(r.title, r.city_name or "", f"{_fmt(r.before_score)} ({r.before_period or '–'})",
                      f"{_fmt(r.after_score)} ({r.after_period or '–'})", f"{CHANGE_SYMBOL[r.change]} {r.change}")
        con.print(t)
        counts = {k: sum(r.change == k for r in o.indicators) for k in CHANGE_SYMBOL}
        con.print(", ".join(f"{v} {k}" for k, v in counts.items() if v) +
                  f" · vintages {o.vintages_before} → {o.vintages_after}", style="dim")
    if c.side_by_side:
        s = c.side_by_side
        t = Table(box=box.SIMPLE_HEAD, width=100, title=f"Side by side — harmonised {s.list} list",
                  title_justify="left")
        t.add_column("", no_wrap=True, overflow="ellipsis", max_width=40)
        for pid in s.partnerships:
            t.add_column(pid, justify="right", no_wrap=True, overflow="ellipsis")
        for row in s.rows:
            role = {"european": "[EU] ", "partner": "[partner] "}.get(row.city_role or "", "")
            label = f"{row.id} {row.title}" if row.kind == "principle" else role + row.title
            digits = 2 if row.kind == "principle" else 0
            t.add_row(label, *[_fmt(row.cells[p].score, digits) for p in s.partnerships])
        t.add_row("indicators scored", *[f"{s.n_scored[p]} / {s.n_indicators}" for p in s.partnerships])
        con.print(t)
    return buf.getvalue()


def render_csv(c: Comparison) -> str:
    buf = io.StringIO()
    w = SafeWriter(buf)  # cells neutralised; a row with a carriage return quoted
    if c.over_time:
        o = c.over_time
        w.writerow(["partnership_id", "kind", "id", "title", "city", "before_period", "before_value", "before_score",
                    "after_period", "after_value", "after_score", "change"])
        for p in o.principles:
            w.writerow([safe_cell(x) for x in [o.partnership_id, "principle", p.id, p.title, "", o.round_before,
                                               "", p.before, o.round_after, "", p.after, p.change]])
        for r in o.indicators:
            w.writerow([safe_cell(x) for x in [o.partnership_id, "indicator", r.id, r.title, r.city_name or "",
                                               r.before_period, r.before_value, r.before_score, r.after_period,
                                               r.after_value, r.after_score, r.change]])
    if c.side_by_side:
        s = c.side_by_side
        w.writerow(["kind", "id", "title", "city_role", *[f"{p}_score" for p in s.partnerships]])
        for row in s.rows:
            w.writerow([safe_cell(x) for x in [row.kind, row.id, row.title, row.city_role or "",
                                               *[row.cells[p].score for p in s.partnerships]]])
    return buf.getvalue()


def render_html(c: Comparison, lang: str = "en") -> str:
    from c2c_monitor.render import charts
    from c2c_monitor.render.html import environment, render_page
    from c2c_monitor.render.pages import ComparePage

    principle_svg = series_svg = ""
    if c.over_time and c.over_time.principle_rounds:
        o = c.over_time
        titles = {p.id: p.title for p in o.principles}
        principle_svg = charts.principle_rounds_chart(o.principle_rounds, titles)
        labels = {k: k.split("|")[0].replace("_", " ") + (f" — {k.split('|')[1]}" if k.split("|")[1] else "")
                  for k in o.series}
        series_svg = charts.small_multiples(o.series, o.end_values, labels)
    return render_page(environment(), ComparePage(c=c, principle_svg=principle_svg, series_svg=series_svg,
                                                  symbol=CHANGE_SYMBOL, lang=lang))


COMPARE_RENDERERS: dict[str, Callable[[Comparison], str]] = {
    "table": render_table,
    "json": lambda c: c.model_dump_json(indent=2) + "\n",
    "csv": render_csv,
    "html": render_html,
}
