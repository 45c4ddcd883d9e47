"""Renderers of a Comparison (the only input): table, JSON, CSV, HTML with charts."""

from __future__ import annotations

import io
from collections.abc import Callable

from rich import box
from rich.console import JustifyMethod
from rich.table import Table
from rich.text import Text

from c2c_monitor.errors import SafeWriter
from c2c_monitor.render.console import text_console
from c2c_monitor.render.csv_export import safe_cell
from c2c_monitor.render.i18n import Translator
from c2c_monitor.score.comparison import Comparison

CHANGE_SYMBOL = {"improved": "▲", "deteriorated": "▼", "unchanged": "=", "new": "+", "missing": "−", "no data": "·"}


def render_table(c: Comparison, lang: str = "en") -> str:
    _ = Translator(lang)
    buf = io.StringIO()
    con = text_console(buf, 100)
    if c.over_time:
        o = c.over_time
        workshop, indicators, vintages = _("workshop"), _("indicators"), _("vintages")
        con.print(Text.assemble((o.partnership_name, "bold"), f": {workshop} {o.round_before or '–'} → "
                                f"{o.round_after or '–'}; {indicators} {o.period_before} → {o.period_after}"))
        t = Table(box=box.SIMPLE_HEAD, width=100, title=_("Principles"), title_justify="left")
        principle_cols: tuple[tuple[str, JustifyMethod], ...] = (
            (_("Principle"), "left"), (_("Before"), "right"), (_("After"), "right"), (_("Change"), "left"))
        for col, just in principle_cols:
            t.add_column(col, justify=just)
        for p in o.principles:
            t.add_row(f"{p.id} {p.title}", _.number(p.before, 2), _.number(p.after, 2),
                      f"{CHANGE_SYMBOL[p.change]} {_(p.change)}")
        con.print(t)
        t = Table(box=box.SIMPLE_HEAD, width=100, title=_("Indicators (score 0–100)"), title_justify="left")
        indicator_cols: tuple[tuple[str, JustifyMethod], ...] = (
            (_("Indicator"), "left"), (_("City"), "left"), (_("Before"), "right"), (_("After"), "right"),
            (_("Change"), "left"))
        for k, (col, just) in enumerate(indicator_cols):
            t.add_column(col, justify=just, no_wrap=True, overflow="ellipsis", max_width=38 if k == 0 else None)
        for r in o.indicators:
            t.add_row(r.title, r.city_name or "", f"{_.number(r.before_score)} ({r.before_period or '–'})",
                      f"{_.number(r.after_score)} ({r.after_period or '–'})",
                      f"{CHANGE_SYMBOL[r.change]} {_(r.change)}")
        con.print(t)
        counts = {k: sum(r.change == k for r in o.indicators) for k in CHANGE_SYMBOL}
        con.print(", ".join(f"{v} {_(k)}" for k, v in counts.items() if v) +
                  f" · {vintages} {o.vintages_before} → {o.vintages_after}", style="dim")
    if c.side_by_side:
        s = c.side_by_side
        t = Table(box=box.SIMPLE_HEAD, width=100, title=_("Side by side — harmonised %(list)s list", list=_(s.list)),
                  title_justify="left")
        t.add_column("", no_wrap=True, overflow="ellipsis", max_width=40)
        for pid in s.partnerships:
            t.add_column(pid, justify="right", no_wrap=True, overflow="ellipsis")
        for row in s.rows:
            role = {"european": _("[EU] "), "partner": _("[partner] ")}.get(row.city_role or "", "")
            label = f"{row.id} {row.title}" if row.kind == "principle" else role + row.title
            digits = 2 if row.kind == "principle" else 0
            t.add_row(label, *[_.number(row.cells[p].score, digits) for p in s.partnerships])
        t.add_row(_("indicators scored"), *[f"{s.n_scored[p]} / {s.n_indicators}" for p in s.partnerships])
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
        principle_svg = charts.principle_rounds_chart(o.principle_rounds, titles, lang)
        labels = {k: k.split("|")[0].replace("_", " ") + (f" — {k.split('|')[1]}" if k.split("|")[1] else "")
                  for k in o.series}
        series_svg = charts.small_multiples(o.series, o.end_values, labels, lang=lang)
    return render_page(environment(lang=lang), ComparePage(c=c, principle_svg=principle_svg, series_svg=series_svg,
                                                           symbol=CHANGE_SYMBOL, lang=lang))


def _json(c: Comparison, lang: str = "en") -> str:
    return c.model_dump_json(indent=2) + "\n"


def _csv(c: Comparison, lang: str = "en") -> str:
    return render_csv(c)


# Each takes the comparison and the language of the people reading it (JSON and CSV are data: no language).
COMPARE_RENDERERS: dict[str, Callable[[Comparison, str], str]] = {
    "table": render_table,
    "json": _json,
    "csv": _csv,
    "html": render_html,
}
