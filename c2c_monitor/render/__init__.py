"""Stage 7, render: a Scoreboard or a Comparison (and nothing else) turned into text for people.

Terminal (rich), HTML (Jinja, autoescaped), CSV (formula cells neutralised), JSON, SVG charts; the
`RENDERERS` registry maps `--format` to one of them; each takes the scoreboard and the language of its
readers (the table and the HTML page are written in it, through render.i18n; JSON and CSV are data).
May import: `definitions`, `store`, `score` (its models); never the services that build them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # importing render.symbols from the CLI must not pull in pydantic
    from c2c_monitor.score.scoreboard import Scoreboard


def _json(sb: Scoreboard, lang: str = "en") -> str:
    return sb.model_dump_json(indent=2) + "\n"


def _table(sb: Scoreboard, lang: str = "en") -> str:
    from c2c_monitor.render.terminal import render_terminal

    return render_terminal(sb, lang=lang)


def _html(sb: Scoreboard, lang: str = "en") -> str:
    from c2c_monitor.render.html import render_html

    return render_html(sb, lang)


def _csv(sb: Scoreboard, lang: str = "en") -> str:
    from c2c_monitor.render.csv_export import render_csv

    return render_csv(sb)


RENDERERS: dict[str, Callable[[Scoreboard, str], str]] = {
    "table": _table,
    "json": _json,
    "html": _html,
    "csv": _csv,
}
