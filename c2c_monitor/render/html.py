"""HTML scoreboard: one self-contained page (inline CSS, no network), autoescaped."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, StrictUndefined, select_autoescape
from jinja2.bccache import Bucket, FileSystemBytecodeCache

from c2c_monitor import __version__
from c2c_monitor.definitions.process import load_partner_types
from c2c_monitor.render import i18n
from c2c_monitor.render.pages import Page, ScoreboardPage
from c2c_monitor.render.symbols import LIGHT_SYMBOL, LIGHT_WORD, STATUS_SYMBOL, TREND_SYMBOL
from c2c_monitor.score.scoreboard import Scoreboard
from c2c_monitor.store.catalog_cache import cache_dir


class _TemplateCache(FileSystemBytecodeCache):
    """Compiled templates kept across processes: `c2c publish P` compiled every template on each run (about a
    fifth of a one-partnership publish). Jinja checks each entry against its template's source, so an edited
    template is compiled again; the folder is per c2c version because the compiled code also depends on the
    Environment's options below, which the entries do not record."""

    def dump_bytecode(self, bucket: Bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:  # a read-only cache is no reason to fail a render
            pass


def _template_cache() -> _TemplateCache | None:
    folder = cache_dir() / f"templates-{__version__}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return _TemplateCache(str(folder))


@lru_cache(maxsize=16)
def environment(*folders: Path, lang: str = "en") -> Environment:
    """The one Jinja setup (autoescaped, symbols, filters, the interface in `lang`); `folders` are searched
    before the package's.

    Cached, so that the templates are compiled once a process and language (Jinja still reloads a changed
    file). Templates write their texts as `_("...")` (jinja2.ext.i18n, new style: `%(name)s` placeholders,
    values autoescaped); the `t` filter translates a word that comes with the data (a trend, a status).
    """
    package = PackageLoader("c2c_monitor", "templates")
    env = Environment(
        loader=ChoiceLoader([*(FileSystemLoader(str(f)) for f in folders), package]) if folders else package,
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        # A misspelt name or attribute fails the render instead of printing nothing.
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        bytecode_cache=_template_cache(),
    )
    env.install_gettext_translations(i18n.translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(LIGHT_SYMBOL=LIGHT_SYMBOL, LIGHT_WORD=LIGHT_WORD, TREND_SYMBOL=TREND_SYMBOL,
                       STATUS_SYMBOL=STATUS_SYMBOL, ui_lang=lang,
                       PARTNER_TYPE_NAME={t.id: t.name.get(lang) for t in load_partner_types().types})
    env.filters["value"] = lambda v, unit: i18n.fmt_value(v, unit, lang)
    # `x | num(2)`: a number with 2 decimals in the language's way ("%.2f" in English, as before).
    env.filters["num"] = lambda v, digits=0: i18n.fmt_number(v, lang, digits, group=False)
    env.filters["pct"] = lambda share: i18n.fmt_percent(share, lang)
    env.filters["date"] = lambda d: i18n.fmt_date(d, lang)
    # Euros for people: "€ 1,200,000" as before in English, "1 200 000 €" in French (Babel's currency data).
    env.filters["money"] = lambda v: i18n.fmt_money(v, lang)
    env.filters["t"] = lambda word: i18n.gettext(lang, word) if word else word
    env.filters["sdg"] = lambda label: i18n.sdg_label(label, lang)
    return env


def render_page(env: Environment, page: Page) -> str:
    """The one way a template is rendered: from its page model's fields and the environment's helpers."""
    return env.get_template(page.template).render(page.context())


def render_html(sb: Scoreboard, lang: str = "en") -> str:
    """The scoreboard page; `lang` is the workspace's language, in which the principles are written."""
    return render_page(environment(lang=lang), ScoreboardPage(sb=sb, lang=lang))
