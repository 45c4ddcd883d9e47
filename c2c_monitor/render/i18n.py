"""The interface in the product's languages: gettext catalogs read with Babel, numbers and dates per locale.

The translations live as `.po` files in c2c_monitor/locale/<lang>/LC_MESSAGES/c2c_monitor.po and are
compiled in memory the first time a language is asked for (Babel's read_po + write_mo), so that a clean
checkout installed with `pip install -e` needs no compile step that nobody would remember to run. English
is the source language: its "translation" is the msgid itself, which keeps the English outputs exactly as
they were before the catalogs existed.

Numbers and dates go through Babel for fr/es/pt (`1 234,5`, `12 mars 2025`); English keeps the formats the
outputs always had. Only outputs for people use these: JSON, CSV and open data stay machine-readable.
Updating the catalogs after a text changed: `python -m c2c_monitor.render.catalogs` (see its docstring).
"""

from __future__ import annotations

import datetime as dt
import gettext as _gettext
import io
from functools import cache
from pathlib import Path
from typing import Final

from c2c_monitor.definitions.languages import LANGUAGES, NATIVE_NAMES

DOMAIN: Final = "c2c_monitor"
LOCALE_DIR: Final = Path(__file__).resolve().parent.parent / "locale"
# Each language's name in itself, for a language switch and the kit's headings (listed once, in definitions).
NATIVE_NAME: Final = NATIVE_NAMES


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def check_language(lang: str) -> str:
    """`lang` if it is one of the product's languages, else a ValueError naming the known ones."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r} (one of {', '.join(LANGUAGES)})")
    return lang


@cache
def translations(lang: str) -> _gettext.NullTranslations:
    """The compiled catalog of `lang`; English (the msgids) is the null translation."""
    check_language(lang)
    if lang == "en":
        return _gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po_path(lang).open("rb") as f:
        catalog = read_po(f, locale=lang, domain=DOMAIN)
    buf = io.BytesIO()
    # Fuzzy entries are a translator's guess awaiting review: left out, so they show in English (and
    # the completeness test fails on them).
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return _gettext.GNUTranslations(buf)


def gettext(lang: str, message: str) -> str:
    return translations(lang).gettext(message) if message else message


def ngettext(lang: str, singular: str, plural: str, n: int) -> str:
    return translations(lang).ngettext(singular, plural, n)


def N_(message: str) -> str:  # noqa: N802 (the gettext convention for "extract this, translate it later")
    """Marks a string for extraction where it is defined; it is translated where it is shown."""
    return message


_PROXY_TEXT = N_("%(target)s (local proxy)")


def sdg_label(label: str, lang: str) -> str:
    """An indicator's SDG reference for people: "17.8 (local proxy)" with its words in `lang` ("17.8 (indicateur
    local indirect)"); an official code ("11.6.2") as it is. Scoreboards and open data keep the English label."""
    from c2c_monitor.definitions.catalog import PROXY_SUFFIX  # (here: the CLI imports this module, not pydantic)

    if lang == "en" or not label.endswith(PROXY_SUFFIX):
        return label
    return gettext(lang, _PROXY_TEXT) % {"target": label[: -len(PROXY_SUFFIX)]}


class Translator:
    """One language's gettext and formatting, handed to the code that writes a page or a table."""

    def __init__(self, lang: str = "en") -> None:
        self.lang = check_language(lang)
        self._t = translations(lang)

    def __call__(self, message: str, /, **values: object) -> str:
        # "" would look up the catalog's header; an empty word stays empty.
        text = self._t.gettext(message) if message else message
        return text % values if values else text

    def n(self, singular: str, plural: str, n: int, /, **values: object) -> str:
        text = self._t.ngettext(singular, plural, n)
        return text % {"num": n, **values}

    def number(self, v: float | None, digits: int = 0) -> str:
        return fmt_number(v, self.lang, digits)

    def percent(self, share: float) -> str:
        return fmt_percent(share, self.lang)

    def date(self, d: dt.date | str | None, short: bool = False) -> str:
        return fmt_date(d, self.lang, short)


def fmt_number(v: float | None, lang: str, digits: int = 0, *, group: bool = True) -> str:
    """`v` with `digits` decimals in the language's way: `1,234.5` / `1 234,5` / `1.234,5`; – for None.

    English keeps Python's own formatting (grouped only when `group`), as the outputs always had.
    """
    if v is None:
        return "–"
    if lang == "en":
        return f"{v:,.{digits}f}" if group else f"{v:.{digits}f}"
    from babel.numbers import format_decimal

    pattern = "#,##0" + ("." + "0" * digits if digits else "")  # grouped always: `1 234,5`
    return format_decimal(v, format=pattern, locale=lang)


def fmt_percent(share: float, lang: str) -> str:
    """A share 0-1 as a whole percentage: `50%`, `50 %` in French (Babel's locale data)."""
    if lang == "en":
        return f"{share:.0%}"
    from babel.numbers import format_percent

    return format_percent(share, locale=lang)


def fmt_money(v: float, lang: str) -> str:
    if lang == "en":
        return f"€ {v:,.0f}"
    from babel.numbers import format_currency

    return format_currency(v, "EUR", format="#,##0 ¤", locale=lang, currency_digits=False)


def fmt_date(d: dt.date | str | None, lang: str, short: bool = False) -> str:
    """An ISO date for people: `12 mars 2025` (`12/03/2025` when `short`, for narrow table columns); English
    keeps the ISO date. None or text that is not a date (a period such as `2025-Q1`) comes back as given."""
    if d is None:
        return "–"
    if lang == "en":
        return d if isinstance(d, str) else d.isoformat()
    if isinstance(d, str):
        try:
            day = dt.date.fromisoformat(d)
        except ValueError:
            return d
    else:
        day = d
    from babel.dates import format_date

    return format_date(day, format="short" if short else "long", locale=lang)


def fmt_value(v: float | None, unit: str, lang: str = "en") -> str:
    """An indicator value as the scoreboard shows it (render.symbols.fmt_value's rule, per locale)."""
    from c2c_monitor.render.symbols import fmt_value as english

    if lang == "en" or v is None:
        return english(v, unit)
    if unit == "yes/no":
        return gettext(lang, "yes") if v >= 0.5 else gettext(lang, "no")
    a = abs(v)
    text = fmt_number(v, lang, 0 if a >= 1000 else 1 if a >= 10 else 2)
    return text + (fmt_percent(0, lang).removeprefix("0") if unit == "percent" else "")
