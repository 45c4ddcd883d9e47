"""The titles of SDG goals, targets and indicators, in the product's languages.

English, French and Spanish are the UN's official titles, as published by the Open SDG project
(sdg-translations, MIT licence: sdg_titles/LICENSE), copied unchanged into sdg_titles/<lang>/. The UN
publishes no Portuguese: sdg_titles/pt/ is the project's own translation of the titles the catalogue
refers to, for native speakers to review (README, "Translations"). Keys are the Open SDG ones:
"11-title" (goal), "11-6-title" (target), "11-6-2-title" (indicator); codes are written "11.6.2".
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from pathlib import Path

from c2c_monitor.definitions.languages import LANGUAGES, SOURCE_LANGUAGE
from c2c_monitor.definitions.locate import definitions_dir
from c2c_monitor.definitions.yamlload import YamlSyntaxError, load_yaml
from c2c_monitor.errors import DefinitionError, Finding

FILES = ("global_goals.yml", "global_indicators.yml", "global_targets.yml")
CODE = re.compile(r"^(1[0-7]|[1-9])(\.([1-9][0-9]?|[a-z]))?(\.[1-9][0-9]?)?$")


@cache
def _titles(lang: str, folder: Path | None = None) -> dict[str, str]:
    root = (folder or definitions_dir("sdg_titles")) / lang
    out: dict[str, str] = {}
    for name in FILES:
        path = root / name
        if not path.is_file():
            continue
        try:
            data, _ = load_yaml(path)
        except YamlSyntaxError as exc:
            raise DefinitionError([exc.finding]) from None
        if not isinstance(data, dict):
            raise DefinitionError([Finding("not-a-mapping", str(path), "expected a mapping of SDG keys to titles")])
        for key, text in data.items():
            if isinstance(key, str) and key.endswith("-title") and isinstance(text, str) and text.strip():
                # NFC: some of the UN files spell accents decomposed (e + U+0301), which the same
                # words typed or printed elsewhere never match; the wording itself is unchanged.
                out[key[: -len("-title")].replace("-", ".")] = unicodedata.normalize("NFC", " ".join(text.split()))
    return out


def sdg_title(code: str, lang: str = SOURCE_LANGUAGE, fallback: bool = True) -> str | None:
    """The title of SDG goal "11", target "11.6" or indicator "11.6.2" in `lang`.

    With `fallback`, a language without that title gives the English one; None when the UN has no
    such code at all (or, without fallback, no title in that language).
    """
    code = code.strip()
    if not CODE.match(code):
        return None
    if lang in LANGUAGES:
        title = _titles(lang).get(code)
        if title is not None or not fallback:
            return title
    elif not fallback:
        return None
    return _titles(SOURCE_LANGUAGE).get(code)


def sdg_codes(lang: str = SOURCE_LANGUAGE) -> set[str]:
    """Every code with a title in `lang`."""
    return set(_titles(lang)) if lang in LANGUAGES else set()
