"""The checklist as an XLSForm (ODK / KoboToolbox), and reading that tool's exports back.

Field names are the question ids with "_" for "." (XLSForm names cannot hold a dot). An export
has one row per submission and one column per question, headed by the field name (optionally
prefixed by its group, "P01/P01_1") or by the question's label; answers are the choice names or
their labels. `kobo_to_long` turns such a table into the ratings-sheet layout, keeping each
submission's line number so that findings still point at the file's own row.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from c2c_monitor.definitions.languages import LANGUAGES, native_name
from c2c_monitor.definitions.principles import Framework, Text
from c2c_monitor.definitions.records import STAKEHOLDER_GROUPS
from c2c_monitor.store.atomic import replacing

# XLSForm's multilingual column names, "label::Français (fr)": the name ODK Collect and Kobo show, then the code.
LANGS = {lang: f"{native_name(lang)} ({lang})" for lang in LANGUAGES}
FIELD = re.compile(r"^P(0[1-9]|10)_(\d+)$")
UI = {
    "participant_code": Text(en="Participant code (not your name)", fr="Code participant (pas votre nom)",
                             es="Código de participante (no su nombre)",
                             pt="Código de participante (não o seu nome)"),
    "stakeholder_group": Text(en="Stakeholder group", fr="Groupe d'acteurs", es="Grupo de actores",
                              pt="Grupo de atores"),
    "city_id": Text(en="City", fr="Ville", es="Ciudad", pt="Cidade"),
    "comment": Text(en="Comments on this principle (optional, confidential)",
                    fr="Commentaires sur ce principe (facultatif, confidentiel)",
                    es="Comentarios sobre este principio (opcional, confidencial)",
                    pt="Comentários sobre este princípio (facultativo, confidencial)"),
}


def choice_label(value: int, text: str) -> str:
    """How a rating choice reads on the phone form; exports may carry it back as the answer."""
    return f"{value} – {text}"


def group_label(code: str) -> str:
    return code.replace("_", " ").capitalize()


def group_spellings() -> dict[str, str]:
    """Every way an export names a group (code, the older "Civil society", its name in any language) -> code."""
    from c2c_monitor.definitions.groups import group_names
    from c2c_monitor.definitions.principles import label_key

    out = {g: g for g in STAKEHOLDER_GROUPS} | {group_label(g).lower(): g for g in STAKEHOLDER_GROUPS}
    return out | {label_key(t): g for g, text in group_names().items() for t in text.variants()}


def field_name(question_id: str) -> str:
    return question_id.replace(".", "_")


def _labels(text: Text) -> list[str]:
    return [text.get(lang) for lang in LANGS]


def write_xlsform(fw: Framework, out: Path, default_language: str = "en",
                  cities: list[tuple[str, str]] | None = None) -> Path:
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

    from c2c_monitor.store.cells import sheet_append

    wb = Workbook()
    survey = wb.active
    assert isinstance(survey, Worksheet)  # a new workbook opens on one worksheet
    survey.title = "survey"
    label_cols = [f"label::{v}" for v in LANGS.values()]
    hint_cols = [f"hint::{v}" for v in LANGS.values()]
    sheet_append(survey, ["type", "name", *label_cols, *hint_cols, "required", "appearance"])
    blank_hints = [""] * len(LANGS)
    sheet_append(survey, ["text", "participant_code", *_labels(UI["participant_code"]), *blank_hints, "yes", ""])
    sheet_append(survey, ["select_one stakeholder_group", "stakeholder_group", *_labels(UI["stakeholder_group"]),
                   *blank_hints, "yes", "minimal"])
    if cities:
        sheet_append(survey, ["select_one city", "city_id", *_labels(UI["city_id"]), *blank_hints, "yes", ""])
    for p in fw.principles:
        sheet_append(survey, ["begin_group", p.id, *[f"{p.id} {t}" for t in _labels(p.title)], *_labels(p.summary),
                       "", "field-list"])
        for q in p.questions:
            sheet_append(survey, ["select_one rating", field_name(q.id), *_labels(q.text), *_labels(q.help), "yes",
                           "likert"])
        sheet_append(survey, ["text", f"{p.id}_comment", *_labels(UI["comment"]), *blank_hints, "", "multiline"])
        sheet_append(survey, ["end_group", "", *[""] * (2 * len(LANGS)), "", ""])
    choices = wb.create_sheet("choices")
    sheet_append(choices, ["list_name", "name", *label_cols])
    for s in fw.scale.numeric:
        sheet_append(choices, ["rating", str(s.value), *[choice_label(s.value, t) for t in _labels(s.label)]])
    for sp in fw.scale.special:
        sheet_append(choices, ["rating", sp.code, *_labels(sp.label)])
    from c2c_monitor.definitions.groups import group_names

    for g, group in group_names().items():
        sheet_append(choices, ["stakeholder_group", g, *_labels(group)])
    for cid, name in cities or []:
        sheet_append(choices, ["city", cid, *[name] * len(LANGS)])
    settings = wb.create_sheet("settings")
    sheet_append(settings, ["form_title", "form_id", "version", "default_language"])
    sheet_append(settings, ["G20 Rome principles: self-assessment", "c2c_self_assessment", fw.version,
                     LANGS.get(default_language, LANGS["en"])])
    with replacing(out) as tmp:
        wb.save(tmp)
    return out


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


# Kobo renames a repeated header in its own way in no export; c2c's readers, told to keep a repeated header
# (a label that recurs, like the comment box of each principle), suffix its second and later copies "#2", "#3".
_REPEAT = re.compile(r"#\d+$")
# Group prefixes as the tools write them: Kobo "group/field" (or the separator chosen at export, often "-" or
# "."), ODK Central "group-field"; with labels as headers, Kobo's "hierarchy in labels" joins labels the same way.
_SEPARATORS = "/-."


def _label_index(fw: Framework) -> dict[str, str]:
    by_label: dict[str, str] = {}
    for q in fw.questions.values():
        for t in q.wordings():
            by_label[_norm(t)] = q.id
    for key, text in UI.items():
        for t in text.variants():
            by_label[_norm(t)] = key
    return by_label


def _field(name: str) -> str | None:
    m = FIELD.match(name)
    if m:
        return f"P{m.group(1)}.{m.group(2)}"
    if name in ("participant_code", "stakeholder_group", "city_id") or re.match(r"^P(0[1-9]|10)_comment$", name):
        return name
    return None


def _key_of(header: str, by_label: dict[str, str]) -> str | None:
    """What one export header holds: a question id, a UI key ('comment' for any principle's box) or None."""
    head = _REPEAT.sub("", header).strip()
    tails = [head] + [head[i + 1:] for i, ch in enumerate(head) if ch in _SEPARATORS]
    for tail in tails:  # the whole header first, then ever shorter tails after a group separator
        key = _field(tail.strip()) or by_label.get(_norm(tail))
        if key is not None:
            return key
    return None


def header_map(columns: list[str], fw: Framework) -> dict[str, str]:
    """Export column -> question id, 'participant_code', 'stakeholder_group', 'city_id' or 'Pxx_comment'.

    A comment box is told by its name (`P03_comment`) or, with labels as headers, by where it stands: the box
    after a principle's questions is that principle's, which is how a label repeated once per principle is read.
    """
    by_label = _label_index(fw)
    out: dict[str, str] = {}
    last_principle: str | None = None
    for col in columns:
        key = _key_of(col, by_label)
        if key is None:
            continue
        if key in fw.questions:
            last_principle = fw.principle_of(key)
        elif key == "comment":
            # A group prefix names the principle ("P03/..." or its label "P03 Rural-urban linkages/..."); without
            # one, the box belongs to the principle whose questions precede it.
            m = re.match(r"^(P(?:0[1-9]|10))\b", col.strip())
            owner = m.group(1) if m and col.strip() != m.group(1) else last_principle
            if owner is None or f"{owner}_comment" in out.values():
                continue  # a comment box before any question, or a second one: not the form's layout
            key = f"{owner}_comment"
        if key in out.values():
            continue  # the first column holding a field wins; a later copy is left out, never merged
        out[col] = key
    return out


def is_form_export(columns: list[str], fw: Framework) -> bool:
    mapped = header_map(columns, fw)
    return "question_id" not in columns and any(v in fw.questions for v in mapped.values())


def kobo_to_long(df: pl.DataFrame, fw: Framework, city_names: dict[str, str]) -> pl.DataFrame:
    mapped = header_map(df.columns, fw)
    inverse = {v: k for k, v in mapped.items()}
    group_codes = group_spellings()
    name_to_id = {n.lower(): cid for cid, n in city_names.items()} | {cid: cid for cid in city_names}

    def col(key: str) -> pl.Expr:
        return pl.col(inverse[key]) if key in inverse else pl.lit(None, pl.String)

    questions = [q for q in fw.questions if q in inverse]
    comments = sorted({fw.principle_of(q) for q in questions if f"{fw.principle_of(q)}_comment" in inverse})
    wide = df.select(
        "_line",
        col("participant_code").cast(pl.String).alias("participant_code"),
        col("stakeholder_group").cast(pl.String).str.strip_chars().str.to_lowercase()
        .replace_strict(group_codes, default=col("stakeholder_group")).alias("stakeholder_group"),
        col("city_id").cast(pl.String).str.strip_chars().str.to_lowercase()
        .replace_strict(name_to_id, default=col("city_id")).alias("city_id"),
        *[pl.col(inverse[q]).cast(pl.String).alias(f"_q_{q}") for q in questions],
        *[pl.col(inverse[f"{p}_comment"]).cast(pl.String).alias(f"_c_{p}") for p in comments],
    )
    keys = ["_line", "participant_code", "stakeholder_group", "city_id"]
    parts = []
    for qid in questions:
        pid = fw.principle_of(qid)
        # A form has one comment box per principle; it travels with the principle's first question.
        first = fw.principle(pid).questions[0].id == qid and pid in comments
        parts.append(wide.select(*keys, pl.lit(qid).alias("question_id"), pl.col(f"_q_{qid}").alias("rating"),
                                 pl.lit(inverse[qid]).alias("_col"),
                                 (pl.col(f"_c_{pid}") if first else pl.lit(None, pl.String)).alias("comment")))
    return pl.concat(parts).sort("_line", maintain_order=True)
