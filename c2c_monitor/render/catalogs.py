"""Extract the interface texts and update the translations: `python -m c2c_monitor.render.catalogs`.

1. every `_()` / `N_()` / `gettext` text of the code and the templates named in babel.cfg (Babel's
   extractors: python, and jinja2's for the templates), plus the lines of RULES.describe() (the rules of
   the computation, written with their thresholds), goes into c2c_monitor/locale/c2c_monitor.pot;
2. each language's .po is updated from it: new texts are added untranslated, texts that went away are
   dropped, translations kept. Then translate the empty `msgstr` entries and commit the .po files.

`--check` changes nothing and exits 1 when the .pot or a .po is out of date or a translation is missing
(what tests/test_i18n.py asserts). The .po files are compiled when first used (render.i18n).
It is a maintainer's tool: it needs the source checkout (babel.cfg, workshops/templates).
"""

from __future__ import annotations

import io
import sys
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

from c2c_monitor.definitions.rules import RULES
from c2c_monitor.render.i18n import DOMAIN, LANGUAGES, LOCALE_DIR, po_path

ROOT = Path(__file__).resolve().parent.parent.parent
POT = LOCALE_DIR / f"{DOMAIN}.pot"
_FIXED_DATE = datetime(2026, 1, 1, tzinfo=UTC)  # no date churn in the files at every run


def template() -> Catalog:
    """The .pot as the sources say it now."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    cat = Catalog(project="c2c-monitor", domain=DOMAIN, creation_date=_FIXED_DATE, fuzzy=False,
                  charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
            str(ROOT), method_map, options_map, comment_tags=("TRANSLATORS:",), strip_comment_tags=True):
        cat.add(message, locations=[(filename, lineno)], auto_comments=comments, context=context)
    for line in RULES.describe():
        cat.add(line, locations=[("c2c_monitor/definitions/rules.py", 0)],
                auto_comments=["A rule of the computation (RULES.describe()), shown under 'How the figures are "
                               "computed'."])
    return cat


def _text(cat: Catalog) -> bytes:
    buf = io.BytesIO()
    write_po(buf, cat, width=100, sort_output=True, include_lineno=False, ignore_obsolete=True)
    return buf.getvalue()


def _entries(text: bytes) -> set[tuple[object, object, object]]:
    return {(m.id, m.string, m.context) for m in read_po(io.BytesIO(text)) if m.id}


def _same(path: Path, text: bytes) -> bool:
    """The file holds the same texts and translations (the layout may differ between Babel versions)."""
    return path.exists() and _entries(path.read_bytes()) == _entries(text)


def updated(pot: Catalog, lang: str) -> Catalog:
    path = po_path(lang)
    if path.exists():
        with path.open("rb") as f:
            po = read_po(f, locale=lang, domain=DOMAIN)
    else:
        po = Catalog(locale=lang, domain=DOMAIN, project="c2c-monitor", creation_date=_FIXED_DATE, fuzzy=False)
    # No fuzzy matching: a changed English text must be translated again, not guessed from a neighbour.
    po.update(pot, no_fuzzy_matching=True, update_creation_date=False)
    po.revision_date = _FIXED_DATE
    # The project's own translations: a native speaker's review is welcome (README, Languages).
    po.last_translator = "c2c-monitor project (to be reviewed by a native speaker)"
    po.language_team = f"c2c-monitor {lang}"
    return po


def missing(po: Catalog) -> list[str]:
    """msgids of `po` without a translation, or with one marked fuzzy."""
    out = []
    for m in po:
        if not m.id:
            continue
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        if m.fuzzy or not all(strings):
            out.append(m.id if isinstance(m.id, str) else m.id[0])
    return out


def main(argv: list[str]) -> int:
    check = "--check" in argv
    pot = template()
    problems = []
    files = {POT: _text(pot)}
    for lang in LANGUAGES[1:]:
        po = updated(pot, lang)
        files[po_path(lang)] = _text(po)
        problems += [f"{lang}: untranslated: {m!r}" for m in missing(po)]
    for path, text in files.items():
        if _same(path, text):
            continue
        if check:
            problems.append(f"{path.relative_to(ROOT)} is out of date")
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(text)
            print(f"wrote {path.relative_to(ROOT)}")
    for p in problems:
        print(p, file=sys.stderr)
    return 1 if check and problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
