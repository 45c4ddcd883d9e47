"""UN titles of the SDG indicators (en/fr/es, the files in sdg_titles/) and a title similarity.

A city platform titles its series in its own language; a catalogue indicator has an English title and, when
it has a UN code, that code's UN titles in three languages. The similarity of two titles is the larger of a
word overlap (words cut to their first five letters, so plural and gender endings agree) and a character
trigram overlap (close languages such as Catalan and Spanish share most trigrams). It is a ranking aid for a
person reviewing a mapping, not a translation.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache, lru_cache
from typing import TYPE_CHECKING

from c2c_monitor.definitions.sdg_titles import sdg_codes, sdg_title
from c2c_monitor.definitions.unit_kinds import fold

if TYPE_CHECKING:
    import numpy as np

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


def _dice_matrix(a: list[frozenset[str]], b: list[frozenset[str]]) -> np.ndarray:
    """`_dice(a[i], b[j])` for every pair. The shared tokens are counted sparsely (titles share few): each
    (row of a, token) meets the rows of b holding that token, and the meetings are tallied per pair."""
    import numpy as np

    vocab: dict[str, int] = {}
    b_tok: list[int] = []
    b_row: list[int] = []
    for j, s in enumerate(b):
        for t in s:
            b_tok.append(vocab.setdefault(t, len(vocab)))
            b_row.append(j)
    a_tok: list[int] = []
    a_row: list[int] = []
    for i, s in enumerate(a):
        for t in s:
            if t in vocab:
                a_tok.append(vocab[t])
                a_row.append(i)
    order = np.argsort(np.array(b_tok, dtype=np.int64), kind="stable")
    bt, br = np.array(b_tok, dtype=np.int64)[order], np.array(b_row, dtype=np.int64)[order]
    at, ar = np.array(a_tok, dtype=np.int64), np.array(a_row, dtype=np.int64)
    lo, hi = np.searchsorted(bt, at, "left"), np.searchsorted(bt, at, "right")
    n = hi - lo
    # For each (a row, token), the positions lo..hi-1 of bt: one flat index array without a Python loop.
    pos = np.repeat(lo - np.concatenate(([0], np.cumsum(n)[:-1])), n) + np.arange(int(n.sum()))
    shared = np.bincount(np.repeat(ar, n) * len(b) + br[pos], minlength=len(a) * len(b)).reshape(len(a), len(b))
    la = np.array([len(s) for s in a], dtype=np.int64)[:, None]
    lb = np.array([len(s) for s in b], dtype=np.int64)[None, :]
    # 2k / n on integers is the same correctly rounded division as `_dice`: the same float to the last bit.
    with np.errstate(invalid="ignore", divide="ignore"):
        d = (2 * shared) / (la + lb)
    return np.where((la > 0) & (lb > 0), d, 0.0)


def similarities(a: Sequence[str], b: Sequence[str]) -> np.ndarray:
    """`similarity(a[i], b[j])` for every pair, as a len(a) x len(b) matrix (the same floats).

    `map suggest` compares every series of a platform with every catalogue title (221 x ~150 for Barcelona):
    two matrix products instead of that many set intersections in Python."""
    import numpy as np

    if not a or not b:
        return np.zeros((len(a), len(b)))
    words = _dice_matrix([_words(t) for t in a], [_words(t) for t in b])
    grams = _dice_matrix([_trigrams(t) for t in a], [_trigrams(t) for t in b])
    return np.maximum(words, grams)
