"""The interface in en/fr/es/pt: every output for people is rendered in each language and searched for English.

The English catalogue is the .pot (every `_()` text of the code and templates); an English text of it that
shows up in a French, Spanish or Portuguese output is an untranslated interface string. Definition texts
(principles, questions, indicator titles: translated by the definitions, not by these catalogs), names,
codes and numbers are taken out of the output first; so are words the language itself uses (Portuguese
"no", French "local"), which are not English left behind.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from c2c_monitor.render import i18n

OTHER = ["fr", "es", "pt"]
PIDS = ["bonn-cape-coast", "lisbon-praia"]
_PLACEHOLDER = re.compile(r"%\(\w+\)s")


@cache
def _catalog(lang: str) -> dict[str, str]:
    path = i18n.LOCALE_DIR / f"{i18n.DOMAIN}.pot" if lang == "en" else i18n.po_path(lang)
    with path.open("rb") as f:
        return {m.id: m.string for m in read_po(f) if m.id}


def _words_of(text: str) -> str:
    return " ".join(html.unescape(_PLACEHOLDER.sub(" ", text)).split())


@cache
def _english_fragments(lang: str) -> dict[str, str]:
    """fragment -> msgid: the literal pieces of each English text whose translation differs, that the
    language's own texts do not also use as words."""
    translations = _catalog(lang)
    own = " ".join(_words_of(t) for t in translations.values())
    out: dict[str, str] = {}
    for msgid, text in translations.items():
        if _words_of(text) == _words_of(msgid):
            continue  # the same in both languages ("Budget", "Action", "%(n)s participants")
        for frag in _PLACEHOLDER.split(msgid):
            frag = _words_of(frag).strip(" .,:;()[]")
            if sum(c.isalpha() for c in frag) < 2 or _bounded(frag).search(own):
                continue
            out.setdefault(frag, msgid)
    return out


def _bounded(frag: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w-])" + re.escape(frag) + r"(?![\w-])")


@cache
def _finder(lang: str) -> re.Pattern[str]:
    """One pattern for every fragment, longest first (one pass over an output instead of hundreds)."""
    frags = sorted(_english_fragments(lang), key=len, reverse=True)
    return re.compile(r"(?<![\w-])(?:" + "|".join(map(re.escape, frags)) + r")(?![\w-])")


# A terminal cell cut short by the table ("Share of seats held by women in …"): a definition text that can
# no longer be matched whole, so it is taken out as a cell.
_CUT_CELL = re.compile(r"(?:(?<=  )|^)\S(?:(?! {2})[^\n])*…", re.M)


def untranslated(text: str, lang: str, data: list[str], *, terminal: bool = False) -> list[str]:
    """English interface texts left in `text`, a `lang` output, once `data` (names, definitions) is out.

    In a terminal table, data texts are also cut and wrapped across lines; there a fragment made only of
    words that the data texts use ("city", "of") cannot be told apart from them and is not counted."""
    if terminal:
        text = _CUT_CELL.sub(" ", text)
    text = re.sub(r"<style.*?</style>", " ", text, flags=re.S)
    # Markup out (class names, ids and links are code), the texts people read in attributes kept.
    text = re.sub(r"<[^>]*>", lambda m: " " + " ".join(re.findall(r'(?:aria-label|title|alt)="([^"]*)"', m.group(0)))
                  + " ", text)
    text = " ".join(html.unescape(text).split())
    text = re.sub(r"[\w./-]+\.(?:csv|json|xml|html|md|pdf)\b", " ", text)  # file names are codes
    for s in data:
        s = " ".join(s.split())  # spaced as the text is (a French no-break space before ";" in kit.yaml)
        if s in text:
            text = text.replace(s, " ")
    fragments = _english_fragments(lang)
    found = {m.group(0) for m in _finder(lang).finditer(text)}
    if terminal:
        vocabulary = {w.lower() for s in data for w in re.findall(r"[\w'-]+", s)}
        found = {f for f in found if not all(w.lower() in vocabulary for w in re.findall(r"[\w'-]+", f))}
    return sorted(f"{fragments[f]!r} ({f!r})" for f in found)


# --- one demo workspace for the module, and its data texts ------------------------------------------------


@pytest.fixture(scope="module")
def ws_root(demo_ws: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    dst = tmp_path_factory.mktemp("i18n") / "ws"
    shutil.copytree(demo_ws, dst)
    return dst


@pytest.fixture(scope="module")
def ws(ws_root: Path) -> Iterator[object]:
    from c2c_monitor.store.workspace import open_workspace

    with open_workspace(ws_root) as w:
        yield w


@pytest.fixture(scope="module")
def scoreboards(ws: object) -> list[object]:
    from c2c_monitor.score.assess import build_scoreboards

    return build_scoreboards(ws, PIDS)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def data_texts(ws: object, scoreboards: list) -> list[str]:
    """Everything an output prints that is not an interface text: definitions (in English until they are
    translated), names, ids, sources, codes. Longest first, so that a long text goes before its parts."""
    from c2c_monitor.definitions.principles import load_framework
    from c2c_monitor.publish.kit import load_kit_text
    from c2c_monitor.score.assess import workspace_catalogue

    fw = load_framework()
    cat = workspace_catalogue(ws)  # type: ignore[arg-type]
    out: set[str] = set()
    for p in fw.principles:
        out |= {p.id, *p.title.model_dump().values(), *p.summary.model_dump().values()}
        for q in p.questions:
            out |= {q.id, *q.text.model_dump().values(), *q.help.model_dump().values()}
    for s in [*fw.scale.numeric, *fw.scale.special]:
        out |= set(s.label.model_dump().values())
    for i in cat.indicators.values():
        out |= {i.id, i.title, i.unit, i.end_value.source, i.sdg.label, i.data_source}
    for sb in scoreboards:
        p = sb.partnership
        out |= {p.id, p.name, p.theme or "", p.description or "", *(c.name for c in p.cities),
                *(c.country or "" for c in p.cities), *(a.text for a in sb.actions),
                *(a.enablers or "" for a in sb.actions),
                *(a.owner or "" for a in sb.actions),
                *(a.key for a in sb.aggregates if a.dimension in ("sdg", "principle")), *(r.sdg for r in sb.indicators)}
    kit = load_kit_text()  # the kit's agenda and labels are definitions too (workshops/kit.yaml)
    for item in kit.agenda:
        out |= {*item.title.model_dump().values(), *(item.note.model_dump().values() if item.note else ())}
    for label in kit.labels.values():
        out |= set(label.model_dump().values())
    out |= {q.agreed_reason or "" for sb in scoreboards for p in sb.principles for q in p.questions}
    out |= {ws.config.title or "", ws.config.name, "c2c-monitor", "c2c ingest", "SDMX", "Open SDG",  # type: ignore[attr-defined]
            "datapackage.json", "Frictionless Data", "embedded demo (seed 2022)"}
    return sorted((s for s in out if s and len(s) > 1), key=len, reverse=True)


@pytest.fixture(scope="module")
def outputs(ws: object, scoreboards: list, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    """lang -> output name -> text: terminal, HTML scoreboard, compare (table and HTML, over time and side by
    side), the published site in the four languages, and the kit's pages (agenda, worksheets, poster, handout)."""
    from c2c_monitor.definitions.principles import load_framework
    from c2c_monitor.publish.kit import kit_html
    from c2c_monitor.publish.site import write_site
    from c2c_monitor.render.comparison import CHANGE_SYMBOL, render_table
    from c2c_monitor.render.html import environment, render_html, render_page
    from c2c_monitor.render.localise import localise_comparison, localise_scoreboard
    from c2c_monitor.render.pages import ComparePage
    from c2c_monitor.render.terminal import render_terminal
    from c2c_monitor.score.assess import workspace_catalogue
    from c2c_monitor.score.compare import compare

    fw = load_framework()
    cat = workspace_catalogue(ws)  # type: ignore[arg-type]
    sb = scoreboards[0]
    over = compare(ws, [PIDS[0]])  # type: ignore[arg-type]
    side = compare(ws, PIDS)  # type: ignore[arg-type]
    site = tmp_path_factory.mktemp("site") / "site"
    write_site(ws, scoreboards, site, cat, fw, pdf=False, langs=["en", *OTHER])  # type: ignore[arg-type]
    out: dict[str, dict[str, str]] = {}
    for lang in ["en", *OTHER]:
        lsb = localise_scoreboard(sb, lang, fw, cat)
        got = {"terminal": render_terminal(lsb, lang=lang), "scoreboard.html": render_html(lsb, lang)}
        for name, c in (("over-time", over), ("side-by-side", side)):
            lc = localise_comparison(c, lang, fw, cat)
            got[f"compare {name}"] = render_table(lc, lang)
            # The page without its matplotlib charts (seconds each; their two labels are checked below).
            got[f"compare {name}.html"] = render_page(environment(lang=lang), ComparePage(
                c=lc, principle_svg="", series_svg="", symbol=CHANGE_SYMBOL, lang=lang))
        top = site if lang == "en" else site / lang
        for page in sorted(top.rglob("*.html")):
            rel = page.relative_to(top).as_posix()
            if lang == "en" and rel.split("/")[0] in OTHER:
                continue
            got[f"site {rel}"] = page.read_text(encoding="utf-8")
        for name, text in kit_html(ws, PIDS[0], langs=[lang], scoreboard=sb):  # type: ignore[arg-type]
            got[f"kit {name}"] = text
        out[lang] = got
    return out


# --- the outputs ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", OTHER)
def test_no_english_interface_text_is_left_in_any_output(outputs: dict, data_texts: list[str], lang: str) -> None:
    got = outputs[lang]
    expected = {"terminal", "scoreboard.html", "compare over-time", "compare over-time.html",
                "compare side-by-side", "compare side-by-side.html", "site index.html", "site methodology.html",
                "site vintages.html", "site data/README.html", *(f"site partnerships/{p}.html" for p in PIDS),
                "kit agenda", "kit worksheets", "kit poster", "kit handout"}
    assert expected <= set(got)
    left = {name: untranslated(text, lang, data_texts, terminal=not name.endswith(".html") and "kit" not in name
                               and "site" not in name) for name, text in got.items()}
    assert not {k: v for k, v in left.items() if v}, "\n".join(f"{k}: {v}" for k, v in left.items() if v)


def test_the_check_finds_english_when_it_is_there(outputs: dict, data_texts: list[str]) -> None:
    # The English outputs, searched as if they were French, are full of "English left behind": the test
    # above would fail on a template that skipped the catalog.
    assert len(untranslated(outputs["en"]["scoreboard.html"], "fr", data_texts)) > 30
    assert "'Follow-up actions' ('Follow-up actions')" in untranslated(
        outputs["en"]["kit handout"], "fr", data_texts)


@pytest.mark.parametrize("lang", OTHER)
def test_html_outputs_declare_their_language(outputs: dict, lang: str) -> None:
    for name, text in outputs[lang].items():
        if name.endswith(".html") or name.startswith("kit "):
            assert f'<html lang="{lang}">' in text, name


def test_numbers_in_human_outputs_follow_the_locale(outputs: dict) -> None:
    # A principle score 4.33 in English is 4,33 in the other three; JSON and CSV are not touched (golden).
    assert re.search(r">\d\.\d\d<", outputs["en"]["scoreboard.html"])
    for lang in OTHER:
        assert re.search(r">\d,\d\d<", outputs[lang]["scoreboard.html"]), lang
        assert not re.search(r">\d\.\d\d<", outputs[lang]["scoreboard.html"]), lang


def test_a_local_proxy_reference_is_named_in_the_page_language(outputs: dict) -> None:
    """An indicator that stands in for an SDG target ("17.8 (local proxy)" in the definitions and the scoreboard
    JSON) says so in the reader's language on the pages: the methodology's catalogue and the indicator tables."""
    words = {"fr": "(indicateur local de substitution)", "es": "(indicador local indirecto)",
             "pt": "(indicador local indireto)"}
    assert "(local proxy)" in outputs["en"]["site methodology.html"]
    for lang, said in words.items():
        for name in ("site methodology.html", "scoreboard.html"):
            page = outputs[lang][name]
            assert said in page and "(local proxy)" not in page, (lang, name)


# --- the published site in several languages --------------------------------------------------------------


def test_site_languages_link_to_each_other(outputs: dict, ws: object, tmp_path: Path) -> None:
    from c2c_monitor.publish.site import publish

    site = tmp_path / "one"
    publish(ws, PIDS[:1], site, pdf=False)  # type: ignore[arg-type]
    single = (site / "index.html").read_text(encoding="utf-8")
    assert "hreflang" not in single and 'class="languages"' not in single
    # Four languages: each page names all four, current one marked, and every link lands on a page.
    page = outputs["pt"][f"site partnerships/{PIDS[0]}.html"]
    hrefs = dict(re.findall(r'<link rel="alternate" hreflang="(\w\w)" href="([^"]+)">', page))
    assert set(hrefs) == {"en", "fr", "es", "pt"}
    assert hrefs["pt"] == f"../../pt/partnerships/{PIDS[0]}.html"
    assert hrefs["en"] == f"../../partnerships/{PIDS[0]}.html"
    assert '<span aria-current="page" lang="pt">Português</span>' in page
    assert 'href="../../assets/site.css"' in page and 'href="../../data/indicators.csv"' in page


def test_every_link_of_a_multilingual_site_resolves(ws: object, tmp_path: Path) -> None:
    from c2c_monitor.publish.site import publish

    site = tmp_path / "site"
    publish(ws, PIDS[:1], site, pdf=False, langs=["fr", "en"])  # type: ignore[arg-type]
    assert '<html lang="fr">' in (site / "index.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in (site / "en" / "index.html").read_text(encoding="utf-8")
    for page in site.rglob("*.html"):
        for href in re.findall(r'href="([^"#:]+)"', page.read_text(encoding="utf-8")):
            assert (page.parent / href).resolve().exists(), f"{page.relative_to(site)} -> {href}"


def test_the_default_site_title_is_said_in_each_pages_language_and_a_set_one_as_written(ws: object,
                                                                                      tmp_path: Path) -> None:
    """`c2c init` writes the English title "City-to-city partnerships" into c2c.toml: a French page shows the
    interface's French for it, not English; a title someone chose is nobody's interface text."""
    from c2c_monitor.publish.site import publish

    assert ws.config.title == "City-to-city partnerships"  # type: ignore[attr-defined]
    site = tmp_path / "site"
    publish(ws, PIDS[:1], site, pdf=False, langs=["fr", "en"])  # type: ignore[arg-type]
    fr, en = ((site / p / "index.html").read_text(encoding="utf-8") for p in ("", "en"))
    assert "· Partenariats de ville à ville</title>" in html.unescape(fr) and "City-to-city partnerships" not in fr
    assert "City-to-city partnerships" in en
    assert json.loads((site / "datapackage.json").read_text(encoding="utf-8"))["title"] == \
        "Partenariats de ville à ville"
    chosen = tmp_path / "chosen"
    publish(ws, PIDS[:1], chosen, pdf=False, langs=["fr", "en"], title="Lyon & Kigali")  # type: ignore[arg-type]
    for p in ("", "en"):
        page = html.unescape((chosen / p / "index.html").read_text(encoding="utf-8"))
        assert "Lyon & Kigali" in page and "Partenariats de ville à ville" not in page


# --- the workshop kit --------------------------------------------------------------------------------------


def test_bilingual_kit_prints_each_question_in_both_languages_first_one_first(ws: object) -> None:
    from c2c_monitor.definitions.principles import load_framework
    from c2c_monitor.publish.kit import kit_html

    fw = load_framework()
    pages = dict(kit_html(ws, PIDS[0], langs=["fr", "en"]))  # type: ignore[arg-type]
    sheets = html.unescape(pages["worksheets"])
    assert '<html lang="fr">' in sheets and '<span class="second" lang="en">' in sheets
    for q in fw.questions.values():
        first, second = sheets.find(q.text.get("fr")), sheets.rfind(q.text.get("en"))
        assert 0 <= first <= second
    for s in fw.scale.numeric:  # the scale has French labels already: French, then English
        assert sheets.find(s.label.get("fr")) < sheets.find(s.label.get("en"))
    assert "Fiche / Worksheet" in sheets


def test_kit_follows_the_partner_citys_language(demo_copy: Path) -> None:
    from c2c_monitor.publish.kit import kit_languages
    from c2c_monitor.store.workspace import open_workspace

    root = demo_copy
    (root / "c2c.toml").write_text('name = "demo"\nlanguage = "en"\n[city_languages]\npraia = "pt"\n',
                                   encoding="utf-8")
    with open_workspace(root) as w:
        assert kit_languages(w, "lisbon-praia", None) == ["pt", "en"]
        assert kit_languages(w, "bonn-cape-coast", None) == ["en"]
        assert kit_languages(w, "lisbon-praia", ["es"]) == ["es"]


def test_a_city_language_outside_the_four_is_refused(tmp_path: Path) -> None:
    from c2c_monitor.errors import WorkspaceError
    from c2c_monitor.store.config import parse_config

    assert parse_config('language = "pt"\n', tmp_path / "c2c.toml").language == "pt"
    with pytest.raises(WorkspaceError, match="line 2"):
        parse_config('language = "pt"\n[city_languages]\npraia = "de"\n', tmp_path / "c2c.toml")


# --- the command line --------------------------------------------------------------------------------------


def test_cli_lang_option_and_messages(demo_copy: Path, tmp_path: Path) -> None:
    ws_root = demo_copy
    from c2c_monitor.cli import cli

    runner = CliRunner()
    res = runner.invoke(cli, ["assess", PIDS[0], "-w", str(ws_root), "--lang", "fr", "--format", "html",
                              "-o", str(tmp_path / "fr.html")])
    assert res.exit_code == 0, res.output
    assert f"{tmp_path / 'fr.html'} écrit" in res.stderr
    assert '<html lang="fr">' in (tmp_path / "fr.html").read_text(encoding="utf-8")
    # The next command is in English again: the language does not leak from one command to the next.
    res = runner.invoke(cli, ["assess", PIDS[0], "-w", str(ws_root), "--format", "html",
                              "-o", str(tmp_path / "en.html")])
    assert res.exit_code == 0 and f"wrote {tmp_path / 'en.html'}" in res.stderr
    res = runner.invoke(cli, ["assess", PIDS[0], "-w", str(ws_root), "--lang", "de"])
    assert res.exit_code == 2 and "--lang" in res.output


def test_common_errors_are_told_in_the_users_language(demo_copy: Path) -> None:
    ws_root = demo_copy
    from .conftest import run_c2c

    res = run_c2c("assess", "no-such-partnership", "-w", str(ws_root), "--lang", "es")
    assert res.returncode == 2
    assert res.stderr.startswith("c2c: error: asociación desconocida 'no-such-partnership' (identificadores")
    assert "\n" not in res.stderr.strip() and "Traceback" not in res.stderr


# --- catalogs and formats -------------------------------------------------------------------------------


def test_catalogs_are_complete_and_up_to_date(capsys: pytest.CaptureFixture[str]) -> None:
    """Fails on an interface text missing from the .pot (a new `_()` not extracted), or missing, empty or
    fuzzy in a .po; `python -m c2c_monitor.render.catalogs` then says what to do."""
    from c2c_monitor.render import catalogs

    assert catalogs.main(["--check"]) == 0, capsys.readouterr().err
    for lang in OTHER:
        assert set(_catalog(lang)) == set(_catalog("en"))


def test_a_missing_translation_is_reported(tmp_path: Path) -> None:
    from babel.messages.catalog import Catalog

    from c2c_monitor.render.catalogs import missing

    po = Catalog(locale="fr")
    po.add("Trend", "Tendance")
    po.add("Status", "")
    po.add("Owner", "Responsable", flags=["fuzzy"])
    assert missing(po) == ["Status", "Owner"]


def test_every_word_the_scores_produce_is_in_the_catalog() -> None:
    from c2c_monitor.definitions.records import STAKEHOLDER_GROUPS
    from c2c_monitor.definitions.rules import RULES
    from c2c_monitor.engine import reported, spec
    from c2c_monitor.render.symbols import LIGHT_WORD, STATUS_SYMBOL, TREND_SYMBOL
    from c2c_monitor.render.vocabulary import WORDS
    from c2c_monitor.score.ratings import MERGED_GROUP

    produced = {*TREND_SYMBOL, *LIGHT_WORD.values(), *STATUS_SYMBOL, MERGED_GROUP, *RULES.describe(),
                *(g.replace("_", " ") for g in STAKEHOLDER_GROUPS),
                *(v for k, v in vars(spec).items() if k.startswith("REASON_")), reported.REASON_BLANK}
    assert produced <= set(_catalog("en")), produced - set(_catalog("en"))
    assert set(WORDS) <= set(_catalog("en"))


def test_locale_formats() -> None:
    def plain(s: str) -> str:
        return s.replace("\u202f", " ").replace("\xa0", " ")

    assert plain(i18n.fmt_number(1234.5, "fr", 1)) == "1 234,5"
    assert i18n.fmt_number(1234.5, "es", 1) == "1.234,5" == i18n.fmt_number(1234.5, "pt", 1)
    assert i18n.fmt_number(1234.5, "en", 1) == "1,234.5"
    assert i18n.fmt_date("2025-03-12", "fr") == "12 mars 2025"
    assert i18n.fmt_date("2025-03-12", "pt") == "12 de março de 2025"
    assert i18n.fmt_date("2025-03-12", "en") == "2025-03-12" and i18n.fmt_date("2025-Q1", "fr") == "2025-Q1"
    assert plain(i18n.fmt_value(12.345, "percent", "fr")) == "12,3 %"
    assert i18n.fmt_value(1.0, "yes/no", "pt") == "sim"


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False), st.integers(0, 3),
       st.sampled_from(["fr", "es", "pt", "en"]))
def test_locale_numbers_read_back_to_the_rounded_value(v: float, digits: int, lang: str) -> None:
    text = i18n.fmt_number(v, lang, digits)
    group, decimal = {"en": (",", "."), "fr": ("\u202f", ","), "es": (".", ","), "pt": (".", ",")}[lang]
    back = float(text.replace(group, "").replace(decimal, ".").replace("−", "-"))
    # Correctly rounded: within half a unit of the last digit shown. (Not `== round(v, digits)` within one unit:
    # Babel rounds the decimal text half up, 0.35 -> 0.4, where Python's round of the binary float gives 0.3,
    # and the two then differ by a hair over 0.1 in floating point.)
    assert abs(back - v) <= 0.5 * 10 ** -digits + 1e-15 * max(1.0, abs(v))
    assert text.count(decimal) == (1 if digits else 0)



@pytest.mark.parametrize("lang", OTHER)
def test_the_council_summary_speaks_the_sites_language(ws: object, scoreboards: list, data_texts: list[str],
                                                       lang: str) -> None:
    """The council summary (the PDF's page, rendered here without the PDF): headings, the sentences written
    from the figures, the step's name and the numbers in the page's language; only data stays as it is."""
    from c2c_monitor.definitions.principles import load_framework
    from c2c_monitor.definitions.process import load_steps
    from c2c_monitor.publish.council import council_page
    from c2c_monitor.publish.site_pages import SiteInfo
    from c2c_monitor.render.html import environment, render_page
    from c2c_monitor.render.localise import localise_scoreboard
    from c2c_monitor.score.assess import workspace_catalogue
    from c2c_monitor.score.scoreboard import StageInfo

    sb = scoreboards[0]
    assert sb.previous_round_id and sb.actions  # the sentences comparing rounds and naming actions are written
    sb = sb.model_copy(update={"stage": StageInfo(step=4, id="business_case", name="Business case development",
                                                  reached_on="2025-03-01")})
    lsb = localise_scoreboard(sb, lang, load_framework(), workspace_catalogue(ws))  # type: ignore[arg-type]
    site = SiteInfo(title="Partnerships of Ruritania", generated_at="2026-01-01 00:00 UTC", tool_version="0",
                    catalog_version="c", framework_version="f", rules_version="r", licence="CC-BY-4.0", vintages=[])
    page = render_page(environment(lang=lang), council_page(lsb, site, lang, PIDS[0], ""))
    assert f'<html lang="{lang}">' in page
    assert load_steps().number(4).name.get(lang) in html.unescape(page)
    assert "Business case development" not in page
    assert not untranslated(page, lang, [site.title, *data_texts])
    assert re.search(r'class="score">\d,\d\d<', page)  # 4,33, not 4.33
