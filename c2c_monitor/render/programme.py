"""Renderers of a Programme (the only input): table, JSON, CSV (long: one figure a row), HTML."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator

from rich import box
from rich.table import Table
from rich.text import Text

from c2c_monitor.render.console import text_console
from c2c_monitor.render.i18n import Translator
from c2c_monitor.score.programme import Programme
from c2c_monitor.store.cells import csv_text

CSV_HEADER = ["section", "id", "title", "year", "measure", "value"]


def _fmt(x: float | None, digits: int = 2) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.0f}%"


def heading(p: Programme, _: Translator | None = None) -> str:
    _ = _ or Translator()
    rounds = ", ".join(f"{r} ({n})" for r, n in p.rounds.items()) or _("none")
    if p.round_year is not None:
        return _("%(n)s of %(total)s partnership(s) profiled, round year %(year)s; rounds: %(rounds)s",
                 n=p.n_profiled, total=len(p.partnerships), year=p.round_year, rounds=rounds)
    return _("%(n)s of %(total)s partnership(s) profiled, each partnership's latest round; rounds: %(rounds)s",
             n=p.n_profiled, total=len(p.partnerships), rounds=rounds)


def render_table(p: Programme) -> str:
    buf = io.StringIO()
    con = text_console(buf, 110)
    con.print(Text.assemble(("Programme view", "bold"), ": " + heading(p)))
    t = Table(box=box.SIMPLE_HEAD, width=110, title="Principle profile (1–5)", title_justify="left")
    for col in ("Principle", "n", "Mean", "Median", "Q1–Q3", "Lowest–highest"):
        t.add_column(col, justify="left" if col == "Principle" else "right")
    for r in p.principles:
        t.add_row(f"{r.id} {r.title}", str(r.n_partnerships), _fmt(r.mean), _fmt(r.median),
                  "–" if r.q1 is None else f"{_fmt(r.q1)}–{_fmt(r.q3)}",
                  "–" if r.low is None else f"{_fmt(r.low)}–{_fmt(r.high)}")
    con.print(t)
    con.print(f"Strongest: {', '.join(p.strongest) or '–'} · weakest: {', '.join(p.weakest) or '–'}")
    if p.by_year:
        t = Table(box=box.SIMPLE_HEAD, width=110, title="Direction of travel: cohort mean by round year",
                  title_justify="left")
        t.add_column("Principle")
        for y in p.by_year:
            t.add_column(f"{y.year} (n={y.n_partnerships})", justify="right")
        t.add_column("▲ improved", justify="right")
        t.add_column("▼ declined", justify="right")
        t.add_column("= unchanged", justify="right")
        for tr in p.travel:
            moves = [str(tr.improved), str(tr.declined), str(tr.unchanged)] if tr.n_compared else ["–"] * 3
            t.add_row(f"{tr.id} {tr.title}", *[_fmt(y.means.get(tr.id)) for y in p.by_year], *moves)
        con.print(t)
    con.print(f"Indicator coverage: cohort mean {_pct(p.coverage_mean)} of the harmonised indicators with data "
              f"({len(p.coverage)} partnership(s))")
    if p.peers_for:
        t = Table(box=box.SIMPLE_HEAD, width=110, title=f"Peers to learn from, for {p.peers_for}",
                  title_justify="left")
        for col in ("Weak principle", "Own", "Cohort mean", "Partnerships scoring higher"):
            t.add_column(col, justify="right" if col in ("Own", "Cohort mean") else "left")
        for pr in p.peers:
            t.add_row(f"{pr.principle_id} {pr.title}", _fmt(pr.own_score), _fmt(pr.cohort_mean),
                      ", ".join(pr.peer_names) or "none scores higher")
        con.print(t)
    for rule in p.rules:
        con.print(f"· {rule}", style="dim")
    return buf.getvalue()


def csv_rows(p: Programme) -> Iterator[list[object]]:
    for r in p.principles:
        for m in ("n_partnerships", "mean", "median", "q1", "q3", "iqr", "low", "high"):
            yield ["profile", r.id, r.title, p.round_year, m, getattr(r, m)]
    for i, pid in enumerate(p.weakest, start=1):
        yield ["weakest", pid, "", p.round_year, "rank", i]
    for i, pid in enumerate(p.strongest, start=1):
        yield ["strongest", pid, "", p.round_year, "rank", i]
    for y in p.by_year:
        for pid, mean in y.means.items():
            yield ["by_year", pid, "", y.year, "mean", mean]
            yield ["by_year", pid, "", y.year, "n_partnerships", y.counts[pid]]
    for tr in p.travel:
        for m in ("n_compared", "improved", "declined", "unchanged", "mean_change"):
            yield ["travel", tr.id, tr.title, p.round_year, m, getattr(tr, m)]
    for c in p.coverage:
        yield ["coverage", c.partnership_id, c.name, None, "n_indicators", c.n_indicators]
        yield ["coverage", c.partnership_id, c.name, None, "n_with_data", c.n_with_data]
        yield ["coverage", c.partnership_id, c.name, None, "share", c.share]
    yield ["coverage", "", "cohort", None, "mean_share", p.coverage_mean]
    for pr in p.peers:
        for k, (pid, name) in enumerate(zip(pr.peers, pr.peer_names, strict=True), start=1):
            yield ["peers", pr.principle_id, name, None, f"peer_{k}", pid]


def render_csv(p: Programme) -> str:
    return csv_text([CSV_HEADER, *csv_rows(p)])  # every cell through the one formula rule


def render_html(p: Programme, lang: str = "en") -> str:
    from c2c_monitor.render.html import environment, render_page
    from c2c_monitor.render.pages import ProgrammePage

    return render_page(environment(lang=lang), ProgrammePage(p=p, heading=heading(p, Translator(lang)), lang=lang))


PROGRAMME_RENDERERS: dict[str, Callable[[Programme], str]] = {
    "table": render_table,
    "json": lambda p: p.model_dump_json(indent=2) + "\n",
    "csv": render_csv,
    "html": render_html,
}
