"""HTML scoreboard: one self-contained page (inline CSS, no network), autoescaped."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, StrictUndefined, select_autoescape

from c2c_monitor.definitions.process import load_partner_types
from c2c_monitor.render.pages import Page, ScoreboardPage
from c2c_monitor.render.symbols import LIGHT_SYMBOL, LIGHT_WORD, STATUS_SYMBOL, TREND_SYMBOL, fmt_value
from c2c_monitor.score.scoreboard import Scoreboard


@lru_cache(maxsize=8)
def environment(*folders: Path) -> Environment:
    """The one Jinja setup (autoescaped, symbols, filters); `folders` are searched before the package's.

    Cached, so that the templates are compiled once a process (Jinja still reloads a changed file).
    """
    package = PackageLoader("c2c_monitor", "templates")
    env = Environment(
        loader=ChoiceLoader([*(FileSystemLoader(str(f)) for f in folders), package]) if folders else package,
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        # A misspelt name or attribute fails the render instead of printing nothing.
        undefined=StrictUndefined,
    )
    env.globals.update(LIGHT_SYMBOL=LIGHT_SYMBOL, LIGHT_WORD=LIGHT_WORD, TREND_SYMBOL=TREND_SYMBOL,
                       STATUS_SYMBOL=STATUS_SYMBOL,
                       PARTNER_TYPE_NAME={t.id: t.name.en for t in load_partner_types().types})
    env.filters["value"] = fmt_value
    return env


def render_page(env: Environment, page: Page) -> str:
    """The one way a template is rendered: from its page model's fields and the environment's helpers."""
    return env.get_template(page.template).render(page.context())


def render_html(sb: Scoreboard, lang: str = "en") -> str:
    """The scoreboard page; `lang` is the workspace's language, in which the principles are written."""
    return render_page(environment(), ScoreboardPage(sb=sb, lang=lang))
