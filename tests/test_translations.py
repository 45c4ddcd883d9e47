"""Issue 16, part A: every definition in en/fr/es/pt, the UN's SDG titles, and answers read back in any language."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import unicodedata
from pathlib import Path

import polars as pl
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from .conftest import ROOT, run_c2c
from .test_workshop_kit import PEOPLE, PID, _answer, _kobo_export, _write_xlsx

LANGS = ("en", "fr", "es", "pt")
UN_SOURCE = ROOT.parent / "shared" / "data" / "reference" / "sdg-translations"


@pytest.fixture(scope="module")
def fw():
    from c2c_monitor.definitions.principles import load_framework

    return load_framework()


@pytest.fixture(scope="module")
def cat():
    from c2c_monitor.definitions.catalog import load_catalogue

    return load_catalogue()


# --- completeness of the shipped definitions --------------------------------------------------------------

def test_the_language_list_is_the_products_four() -> None:
    from c2c_monitor.definitions.languages import LANGUAGES, native_name

    assert LANGUAGES == LANGS
    assert [native_name(x) for x in LANGUAGES] == ["English", "Français", "Español", "Português"]


def test_every_shipped_definition_text_is_in_every_language(fw, cat) -> None:
    """Walks the loaded models (not the YAML the validator reads): a missing field fails here as well."""
    from c2c_monitor.definitions.text import Text
    from c2c_monitor.publish.kit import load_kit_text

    kit = load_kit_text()
    texts: list[tuple[str, Text]] = []
    for p in fw.principles:
        texts += [(f"{p.id} title", p.title), (f"{p.id} summary", p.summary)]
        for q in p.questions:
            texts += [(f"{q.id} text", q.text), (f"{q.id} help", q.help)]
    texts += [(f"scale {s.value}", s.label) for s in fw.scale.numeric]
    texts += [(f"scale {s.code}", s.label) for s in fw.scale.special]
    texts += [(f"kit agenda {i}", a.title) for i, a in enumerate(kit.agenda)]
    texts += [(f"kit note {i}", a.note) for i, a in enumerate(kit.agenda) if a.note]
    assert len([a for a in kit.agenda if a.note]) == len(kit.agenda)
    texts += [(f"kit label {k}", t) for k, t in kit.labels.items()]
    texts += [(f"indicator {i.id}", i.title_text) for i in cat.indicators.values()]
    from c2c_monitor.definitions.groups import group_names
    from c2c_monitor.definitions.records import STAKEHOLDER_GROUPS

    assert list(group_names()) == list(STAKEHOLDER_GROUPS)
    texts += [(f"group {g}", t) for g, t in group_names().items()]
    missing = [(where, lang) for where, t in texts for lang in LANGS if not t.has(lang)]
    assert missing == []
    # A translation is a translation: not the English copied over (short labels like "Date" may coincide).
    copied = [(where, lang) for where, t in texts for lang in LANGS[1:] if t.get(lang) == t.en and len(t.en) > 12]
    assert copied == []


def test_the_validator_finds_nothing_missing_in_the_shipped_definitions() -> None:
    from c2c_monitor.definitions.translations import translation_findings

    assert translation_findings() == []


def test_catalog_validate_lang_lists_what_is_missing_with_file_line_and_field(tmp_path) -> None:
    from c2c_monitor.definitions.locate import definitions_dir

    folder = tmp_path / "indicators"
    shutil.copytree(definitions_dir("indicators"), folder)
    one = folder / "pm25_mean.yaml"
    text = one.read_text(encoding="utf-8")
    pt_line = next(ln for ln in text.splitlines() if ln.startswith("  pt: "))
    one.write_text(text.replace(pt_line + "\n", ""), encoding="utf-8")
    old = folder / "unemployment_rate.yaml"  # the older form: a plain English title
    data = yaml.safe_load(old.read_text(encoding="utf-8"))
    lines = old.read_text(encoding="utf-8").splitlines()
    start = lines.index("title:")
    old.write_text("\n".join([*lines[:start], f"title: {data['title']['en']}", *lines[start + 5:]]) + "\n",
                   encoding="utf-8")
    res = run_c2c("catalog", "validate", "--path", str(folder), "--lang", "pt", "--report", str(tmp_path / "r.json"))
    assert res.returncode == 1
    found = json.loads((tmp_path / "r.json").read_text())["findings"]
    got = {(Path(f["file"]).name, f["row"], f["column"], f["code"]) for f in found}
    # A language map is found at its first line (its `en:`), a plain title at its own line.
    assert got == {("pm25_mean.yaml", 3, "title.pt", "missing-translation"),
                   ("unemployment_rate.yaml", 2, "title.pt", "missing-translation")}
    assert "pm25_mean.yaml line 3" in res.stderr and "Português" in res.stderr
    # Without --lang every language is checked: the plain title lacks fr, es and pt.
    res = run_c2c("catalog", "validate", "--path", str(folder), "--report", str(tmp_path / "all.json"))
    cols = sorted(f["column"] for f in json.loads((tmp_path / "all.json").read_text())["findings"]
                  if f["file"].endswith("unemployment_rate.yaml"))
    assert res.returncode == 1 and cols == ["title.es", "title.fr", "title.pt"]
    # The catalogue itself still loads: an untranslated title falls back to English.
    from c2c_monitor.definitions.catalog import validate_catalogue

    loaded, findings = validate_catalogue([folder])
    assert findings == [] and loaded is not None
    assert loaded.indicators["unemployment_rate"].title_in("pt") == data["title"]["en"]
    assert loaded.indicators["pm25_mean"].title_in("pt") == loaded.indicators["pm25_mean"].title


def test_a_missing_question_translation_is_found_at_its_line(tmp_path) -> None:
    from c2c_monitor.definitions.translations import missing_in_file

    path = tmp_path / "P01.yaml"
    path.write_text("id: P01\ntitle: {en: T, fr: T1, es: T2, pt: T3}\nquestions:\n  - id: P01.1\n"
                    "    text:\n      en: Q\n      fr: Qf\n      es: ''\n    help: {en: H, fr: Hf, es: He, pt: Hp}\n",
                    encoding="utf-8")
    found = missing_in_file(path, LANGS)
    # The line where the text's languages start (its `en:`), the field that lacks one.
    assert [(f.row, f.column, f.value) for f in found] == [(6, "questions.0.text.es", "Q"),
                                                            (6, "questions.0.text.pt", "Q")]
    assert missing_in_file(path, ["fr"]) == []


def test_own_indicators_in_one_language_are_warnings_not_errors(tmp_path) -> None:
    from c2c_monitor.definitions.translations import translation_findings

    own = tmp_path / "own"
    own.mkdir()
    (own / "ours.yaml").write_text("id: ours\ntitle: Our own workshops\n", encoding="utf-8")
    found = translation_findings(["fr"], own_folder=own)
    assert [(f.severity, f.column, f.row) for f in found] == [("warning", "title.fr", 2)]


# --- indicator titles ---------------------------------------------------------------------------------------

def _indicator(title: object) -> dict:
    from c2c_monitor.definitions.locate import definitions_dir

    data = yaml.safe_load((definitions_dir("indicators") / "unemployment_rate.yaml").read_text(encoding="utf-8"))
    return {**data, "title": title}


def test_an_indicator_title_may_be_a_plain_english_string_or_a_language_map() -> None:
    from pydantic import ValidationError

    from c2c_monitor.definitions.catalog import Indicator

    plain = Indicator.model_validate(_indicator("Unemployment rate"))
    assert plain.title == "Unemployment rate" and plain.title_in("fr") == "Unemployment rate"
    mapped = Indicator.model_validate(_indicator({"en": "Unemployment rate", "fr": "Taux de chômage"}))
    assert (mapped.title, mapped.title_in("fr"), mapped.title_in("es"), mapped.title_in("xx")) == (
        "Unemployment rate", "Taux de chômage", "Unemployment rate", "Unemployment rate")
    # What `catalog show` and the cached listing print: the English title under `title`, in its place.
    dumped = mapped.model_dump(mode="json")
    assert list(dumped)[:2] == ["id", "title"] and dumped["title"] == "Unemployment rate"
    for bad in ({"fr": "Taux de chômage"}, {"en": "Unemployment rate", "de": "Arbeitslosenquote"}, "ab", 12):
        with pytest.raises(ValidationError) as err:
            Indicator.model_validate(_indicator(bad))
        assert err.value.errors()[0]["loc"][0] == "title"


# --- SDG titles ---------------------------------------------------------------------------------------------

def test_the_un_titles_are_copied_unchanged_from_open_sdg() -> None:
    from c2c_monitor.definitions.locate import definitions_dir

    if not UN_SOURCE.is_dir():
        pytest.skip("the shared reference data is not next to this checkout")
    ours = definitions_dir("sdg_titles")
    for lang in ("en", "fr", "es"):
        for f in sorted((UN_SOURCE / lang).glob("*.yml")):
            assert (ours / lang / f.name).read_bytes() == f.read_bytes(), f
    assert (ours / "LICENSE").read_bytes() == (UN_SOURCE / "LICENSE").read_bytes()


def test_sdg_titles_are_the_uns_in_french_and_spanish() -> None:
    from c2c_monitor.definitions.sdg_titles import sdg_title

    assert sdg_title("11") == "Make cities and human settlements inclusive, safe, resilient and sustainable"
    assert sdg_title("11", "fr") == ("Faire en sorte que les villes et les établissements humains soient ouverts "
                                     "à tous, sûrs, résilients et durables")
    assert sdg_title("11", "es") == ("Lograr que las ciudades y los asentamientos humanos sean inclusivos, seguros, "
                                     "resilientes y sostenibles")
    assert unicodedata.is_normalized("NFC", sdg_title("11", "fr"))  # the source spells some accents decomposed
    assert sdg_title("11.6.2", "fr").startswith("Niveau moyen annuel de particules fines")  # a YAML folded line
    assert sdg_title("17.17", "es").startswith("Fomentar y promover la constitución de alianzas eficaces")
    assert sdg_title("11", "pt") == "Tornar as cidades e as comunidades inclusivas, seguras, resilientes e sustentáveis"
    # No Portuguese for a code the catalogue does not use: English, or None when asked not to fall back.
    assert sdg_title("2.1.1", "pt") == sdg_title("2.1.1", "en") and sdg_title("2.1.1", "pt", fallback=False) is None
    for bad in ("18", "11.6.2.1", "", "11-6-2", "x"):
        assert sdg_title(bad) is None


def test_every_sdg_reference_of_the_catalogue_has_its_title_in_every_language(cat) -> None:
    from c2c_monitor.definitions.sdg_titles import sdg_codes, sdg_title

    refs = {i.sdg.reference for i in cat.indicators.values()}
    known = refs & sdg_codes("en")
    # 11.5.3 is newer than the Open SDG lists: the one reference with no UN title in any language.
    assert refs - known == {"11.5.3"}
    missing = [(c, lang) for c in sorted(known) for lang in LANGS if sdg_title(c, lang, fallback=False) is None]
    assert missing == []
    assert all(sdg_title(str(g), lang, fallback=False) for g in range(1, 18) for lang in LANGS)
    ind = cat.indicators["pm25_mean"]
    assert ind.sdg.title_in("es") == sdg_title("11.6.2", "es")
    proxy = cat.indicators["public_events"]  # a local proxy shows its target
    assert proxy.sdg.reference == "16.7" and proxy.sdg.title_in("fr") == sdg_title("16.7", "fr")


# --- reading answers back in any language -------------------------------------------------------------------

def _spellings(text: str) -> st.SearchStrategy[str]:
    """How a typed or exported label may differ from the definition: case, spacing, composition, apostrophes."""
    def vary(upper: bool, pad: str, nfd: bool, curly: bool) -> str:
        t = text.upper() if upper else text
        t = t.replace(" ", "  ") if pad else t
        t = unicodedata.normalize("NFD", t) if nfd else t
        t = t.replace("'", "\u2019") if curly else t
        return pad + t + pad
    return st.builds(vary, st.booleans(), st.sampled_from(["", " ", "\t"]), st.booleans(), st.booleans())


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_every_label_in_every_language_reads_back_as_its_answer(fw, data) -> None:
    from c2c_monitor.workshop.xlsform import choice_label

    answers = [(p.value, p.label) for p in fw.scale.numeric] + [(s.code, s.label) for s in fw.scale.special]
    answer, label = data.draw(st.sampled_from(answers))
    lang = data.draw(st.sampled_from(LANGS))
    spelt = data.draw(_spellings(label.get(lang)))
    assert fw.scale.parse_label(spelt) == answer
    assert fw.scale.parse_label(str(answer)) == answer
    if isinstance(answer, int):  # a phone form's choice label, as ODK/Kobo export it
        assert fw.scale.parse_label(choice_label(answer, label.get(lang))) == answer
        other = next(v for v, _ in answers if isinstance(v, int) and v != answer)
        assert fw.scale.parse_label(f"{other} – {label.get(lang)}") is None  # contradicting: refused, not guessed


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=30))
def test_parse_label_answers_only_what_the_scale_defines(fw, text) -> None:
    got = fw.scale.parse_label(text)
    assert got is None or got in fw.scale.values or got in fw.scale.special_codes


def test_a_scale_whose_labels_collide_across_languages_is_refused() -> None:
    from pydantic import ValidationError

    from c2c_monitor.definitions.principles import Scale

    with pytest.raises(ValidationError, match="would mean both"):
        Scale.model_validate({"id": "s", "numeric": [{"value": 1, "label": {"en": "No", "es": "No aplica"}},
                                                      {"value": 2, "label": {"en": "Yes"}}],
                              "special": [{"code": "na", "label": {"en": "Not applicable", "es": "No aplica"}}]})


def _facts(sb) -> tuple:
    """What the codes export of test_workshop_kit gives (checked there): the same answers must give the same."""
    by_id = {p.id: p for p in sb.principles}
    return (by_id["P09"].score, by_id["P02"].status, by_id["P01"].questions[0].share_dont_know, by_id["P05"].score)


def test_portuguese_form_export_and_french_sheet_import_like_codes(fw, demo_copy, tmp_path) -> None:
    from c2c_monitor.definitions.groups import group_names
    from c2c_monitor.score.assess import build_scoreboard
    from c2c_monitor.store.workspace import open_workspace
    from c2c_monitor.workshop.sheets import import_ratings
    from c2c_monitor.workshop.xlsform import UI, choice_label

    codes = _kobo_export(fw, PEOPLE, _answer)
    pt = {str(s.value): choice_label(s.value, s.label.get("pt")) for s in fw.scale.numeric}
    pt |= {s.code: s.label.get("pt") for s in fw.scale.special}
    heads = {f"{fw.principle_of(q)}/{q.replace('.', '_')}": fw.questions[q].text.get("pt") for q in fw.questions}
    groups = {g: t.get("pt") for g, t in group_names().items()}
    export = (codes.with_columns(*[pl.col(c).replace_strict(pt) for c in heads],
                                 pl.col("stakeholder_group").replace_strict(groups))
              .rename(heads | {"participant_code": UI["participant_code"].get("pt")}))
    assert set(export["stakeholder_group"]) == {"Sociedade civil", "Poder local"}
    _write_xlsx(export, tmp_path / "pt.xlsx")
    # A long ratings sheet typed in French: labels, not codes.
    fr = {str(s.value): s.label.get("fr").upper() for s in fw.scale.numeric}
    fr |= {s.code: s.label.get("fr") for s in fw.scale.special}
    pl.DataFrame([{"participant_code": code, "stakeholder_group": group, "city_id": city, "question_id": q,
                   "question": fw.questions[q].text.get("fr"), "rating": fr[_answer(code, q)], "comment": ""}
                  for code, group, city in PEOPLE for q in fw.questions]).write_csv(tmp_path / "fr.csv")
    # In process (the CLI path is test_workshop_kit's): two rounds of one workspace, read in the workspace's
    # own language (English), so that only the definitions' translations can match the answers.
    with open_workspace(demo_copy) as ws:
        got = []
        for name, round_id in (("pt.xlsx", "2031"), ("fr.csv", "2032")):
            res = import_ratings(ws.con, fw, tmp_path / name, PID, round_id, dt.date(2025, 11, 20), "en")
            assert (res["ratings"], res["participants"]) == (4 * len(fw.questions), 4)
            got.append(_facts(build_scoreboard(ws, PID, round_id=round_id, framework=fw)))
    assert got[0] == got[1] == (3.5, "insufficient data", 1.0, 3.0)


def test_the_xlsform_carries_all_four_languages_and_converts_without_warnings(fw, tmp_path) -> None:
    from openpyxl import load_workbook
    from pyxform.xls2xform import convert

    from c2c_monitor.workshop.xlsform import write_xlsform

    out = write_xlsform(fw, tmp_path / "form.xlsx", "pt", [("bonn", "Bonn"), ("cape-coast", "Cape Coast")])
    survey = load_workbook(out)["survey"]
    header = [c.value for c in survey[1]]
    for kind in ("label", "hint"):
        assert [h for h in header if h.startswith(kind + "::")] == [
            f"{kind}::English (en)", f"{kind}::Français (fr)", f"{kind}::Español (es)", f"{kind}::Português (pt)"]
    result = convert(xlsform=str(out))
    assert result.warnings == []
    for name in ("English (en)", "Français (fr)", "Español (es)", "Português (pt)"):
        assert f'lang="{name}"' in result.xform
    q = fw.questions["P03.1"]
    for lang in LANGS:
        assert q.text.get(lang) in result.xform and q.help.get(lang) in result.xform
    assert fw.scale.special[0].label.get("pt") in result.xform
    from c2c_monitor.definitions.groups import group_names

    assert all(t.get(lang) in result.xform for t in group_names().values() for lang in LANGS)
