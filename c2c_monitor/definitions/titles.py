"""UN titles of the SDG indicators (en/fr/es, the files in sdg_titles/) and a title similarity.

A city platform titles its series in its own language; a catalogue indicator has an English title and, when
it has a UN code, that code's UN titles in three languages. The similarity of two titles is the larger of a
word overlap (words cut to their first five letters, so plural and gender endings agree) and a character
trigram overlap (close languages such as Catalan and Spanish share most trigrams). It is a ranking aid for a
person reviewing a mapping, not a translation.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from c2c_monitor.definitions.sdg_titles import sdg_codes, sdg_title
from c2c_monitor.definitions.unit_kinds import fold

UN_TITLE_LANGUAGES = ("en", "fr", "es")

# Words that say nothing of the quantity (en, fr, es, ca, pt, de).
_STOP = frozenset("""
a an and of the in on for to by with from at as or its their per total number proportion share rate annual
le la les de des du et en au aux par pour dans sur un une l d taux nombre part
el los las del y por para con que se al una uno tasa numero proporcion
els i amb per al lo o
da do das dos e em com para uma
der die das und im in von mit fur je zu den dem des anteil zahl
""".split())


@cache
def un_titles() -> dict[str, dict[str, str]]:
    """UN indicator code ('11.1.1') -> language -> title (the UN's own en/fr/es, from definitions.sdg_titles)."""
    out: dict[str, dict[str, str]] = {}
    for lang in UN_TITLE_LANGUAGES:
        for code in sdg_codes(lang):
            if code.count(".") == 2:  # indicators only: goals and targets are not series
                title = sdg_title(code, lang, fallback=False)
                if title is not None:
                    out.setdefault(code, {})[lang] = title
    return out


@lru_cache(maxsize=8192)
def _words(text: str) -> frozenset[str]:
    return frozenset(w[:5] for w in re.findall(r"[a-z0-9.]+", fold(text)) if w not in _STOP and len(w) > 1)


@lru_cache(maxsize=8192)
def _trigrams(text: str) -> frozenset[str]:
    s = " ".join(sorted(_words(text)))
    return frozenset(s[i:i + 3] for i in range(len(s) - 2))


def _dice(a: frozenset[str], b: frozenset[str]) -> float:
    return 2 * len(a & b) / (len(a) + len(b)) if a and b else 0.0


def similarity(a: str, b: str) -> float:
    """0 (nothing in common) to 1 (the same words)."""
    return max(_dice(_words(a), _words(b)), _dice(_trigrams(a), _trigrams(b)))
