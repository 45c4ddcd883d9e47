"""Which kind of quantity a unit names (percent, count, rate, ...), for judging whether two units agree.

`c2c map suggest` only needs a compatibility judgement: a percentage series cannot feed a count indicator,
whatever its code says. The words are the few an Open SDG `Units` column or `computation_units` uses in the
product's and the platforms' languages (en, fr, es, pt, ca, de), kept here in one table. Conversions between
units of one kind (per 1,000 vs per 100,000, UNIT_MULT) belong to the unit conversion table, not here:
`unit_kind` takes an optional `lookup` (unit text -> kind) so that table can answer first once it exists.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

# kind -> words or phrases (accents and case folded). A unit text is of a kind when one of its phrases
# appears in it as whole words; rates are tried first ("percent per 100,000" does not occur, "per 100,000" does).
UNIT_WORDS: dict[str, tuple[str, ...]] = {
    "rate": ("per 1000", "per 100000", "per 10000", "per 100 inhabitants", "per 1000 inhabitants",
             "per 100000 inhabitants", "por 1000", "por 100000", "pour 1000", "pour 100000", "per 1.000",
             "je 1000", "je 100000", "je 1.000", "je 100.000", "por mil", "per mil", "per capita",
             "per inhabitant", "per habitant", "por habitante", "pro einwohner", "je einwohner",
             "/inhabitant", "/habitant", "per 100", "rate per"),
    "percent": ("percent", "percentage", "per cent", "pct", "%", "pc", "pt", "porcentaje", "percentatge",
                "pourcentage", "porcentagem", "prozent", "tant per cent", "tanto por ciento", "share",
                "proportion", "proporcion", "proporcio", "anteil", "quote", "percentage annual variation"),
    "count": ("number", "total number", "count", "nombre", "numero", "nombre total", "anzahl", "persons",
              "people", "personas", "persones", "personnes", "pessoas", "personen", "einwohner", "households",
              "hogares", "llars", "menages", "cases", "casos", "faelle", "falle", "straftaten", "units"),
    "currency": ("eur", "euro", "euros", "usd", "dollars", "million euros", "thousand euros", "milers d'euros",
                 "miles de euros", "€", "$"),
    "concentration": ("µg/m3", "μg/m3", "ug/m3", "microgram", "mg/m3"),
    "yes/no": ("yes/no", "boolean", "binary", "0/1"),
    "index": ("index", "indice", "índex", "index 0-10", "0-10 scale", "rating 0-10", "scale", "escala"),
    "mass": ("kg", "tonnes", "tons", "t", "kilogram", "tones", "toneladas"),
    "area": ("km2", "m2", "ha", "hectares", "hectareas"),
    "time": ("days", "dias", "dies", "jours", "tage", "years", "anos", "anys", "ans", "jahre", "hours", "minutes"),
}
# Catalogue units are plain words of the same table, but some name a kind outright.
_CATALOGUE_KIND = {"percent": "percent", "count": "count", "yes/no": "yes/no", "µg/m3": "concentration"}
_ORDER = ("rate", "concentration", "currency", "percent", "index", "yes/no", "mass", "area", "time", "count")


def fold(text: str) -> str:
    """Lower case without accents, runs of white space as one; thousands separators inside numbers dropped."""
    s = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    s = re.sub(r"(?<=\d)[ .,'\u00a0](?=\d{3}\b)", "", s.lower())
    return re.sub(r"\s+", " ", s).strip()


def _pattern(phrase: str) -> re.Pattern[str]:
    p = fold(phrase) or phrase.lower()
    if not p[0].isalnum() or not p[-1].isalnum():
        return re.compile(re.escape(p))
    return re.compile(rf"(?<![a-z0-9]){re.escape(p)}(?![a-z0-9])")


_PATTERNS = {kind: [_pattern(w) for w in words] for kind, words in UNIT_WORDS.items()}


@lru_cache(maxsize=4096)
def _kind(unit: str) -> str | None:
    raw = unit.strip().lower()
    if raw in _CATALOGUE_KIND:
        return _CATALOGUE_KIND[raw]
    text = fold(unit)
    for kind in _ORDER:
        if any(p.search(text) or p.search(raw) for p in _PATTERNS[kind]):
            return kind
    return None


def unit_kind(unit: str | None, lookup: Callable[[str], str | None] | None = None) -> str | None:
    """The kind of quantity `unit` names, or None when the words do not say."""
    if unit is None or not unit.strip():
        return None
    if lookup is not None and (kind := lookup(unit)) is not None:
        return kind
    return _kind(unit)


def compatible(source_unit: str | None, catalogue_unit: str,
               lookup: Callable[[str], str | None] | None = None) -> bool | None:
    """True when both units name the same kind, False when they name different kinds, None when unknown."""
    a, b = unit_kind(source_unit, lookup), unit_kind(catalogue_unit, lookup)
    if a is None or b is None:
        return None
    return a == b
