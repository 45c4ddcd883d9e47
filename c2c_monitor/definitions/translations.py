"""Which definition texts still lack a language: the completeness check behind `catalog validate --lang`.

A translatable text in a definition file is a map of language code -> text with an `en` key (principles,
questions, the scale, the kit, indicator titles). An indicator title may still be one plain string (the
older form): that is English only. The check reads the YAML itself rather than the models, so that each
finding names the file, the line and the field, as every other catalogue finding does.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from c2c_monitor.definitions.languages import LANGUAGES, SOURCE_LANGUAGE, native_name
from c2c_monitor.definitions.locate import definitions_dir
from c2c_monitor.definitions.sdg_titles import sdg_title
from c2c_monitor.definitions.yamlload import Lines, YamlSyntaxError, line_of, load_yaml
from c2c_monitor.errors import Finding, Severity

Path_ = tuple[str | int, ...]


def _is_text(value: object) -> bool:
    return isinstance(value, dict) and SOURCE_LANGUAGE in value and all(k in LANGUAGES for k in value)


def _texts(data: Any, path: Path_ = ()) -> Iterator[tuple[Path_, dict[str, Any]]]:
    """Every text map in a parsed YAML document, with where it is."""
    if _is_text(data):
        yield path, data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from _texts(value, path + (str(key),))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _texts(value, path + (i,))


def _written(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def missing_in_document(data: Any, lines: Lines, file: str, langs: Iterable[str],
                        severity: Severity = "error") -> list[Finding]:
    """A finding for each text map of `data` without one of `langs`, at the map's line."""
    langs = [lang for lang in langs if lang != SOURCE_LANGUAGE]
    found = list(_texts(data))
    if isinstance(data, dict) and _written(data.get("title")) and "id" in data:
        found.append((("title",), {SOURCE_LANGUAGE: data["title"]}))  # an indicator's plain-string title
    out = []
    for where, text in found:
        field = ".".join(str(p) for p in where)
        for lang in langs:
            if not _written(text.get(lang)):
                out.append(Finding("missing-translation", file,
                                   f"{field} has no {native_name(lang)} ({lang}) text",
                                   line_of(lines, where), f"{field}.{lang}", text.get(SOURCE_LANGUAGE),
                                   severity))
    return out


def _sdg_findings(data: Any, lines: Lines, file: str, langs: Iterable[str], severity: Severity) -> list[Finding]:
    """An indicator's SDG reference needs its title in each language (the UN's, or the project's for pt)."""
    sdg = data.get("sdg") if isinstance(data, dict) else None
    if not isinstance(sdg, dict):
        return []
    if sdg.get("proxy"):
        code, key = str(sdg.get("target") or sdg.get("goal") or ""), ("sdg", "target" if sdg.get("target") else "goal")
    else:
        code, key = str(sdg.get("code") or ""), ("sdg", "code")
    if not code or sdg_title(code, SOURCE_LANGUAGE, fallback=False) is None:
        return []  # an unknown code is the catalogue's own finding
    return [Finding("missing-translation", file,
                    f"SDG {code} has no {native_name(lang)} ({lang}) title in sdg_titles/{lang}/",
                    line_of(lines, key), ".".join(key), code, severity)
            for lang in langs if lang != SOURCE_LANGUAGE and sdg_title(code, lang, fallback=False) is None]


def missing_in_file(path: Path, langs: Iterable[str], severity: Severity = "error",
                    indicator: bool = False) -> list[Finding]:
    """The missing translations of one definition file; a file that does not parse is left to its loader."""
    langs = list(langs)
    try:
        data, lines = load_yaml(path)
    except (YamlSyntaxError, UnicodeDecodeError, OSError):
        return []
    out = missing_in_document(data, lines, str(path), langs, severity)
    if indicator:
        out += _sdg_findings(data, lines, str(path), langs, severity)
    return out


def translation_findings(langs: Iterable[str] = LANGUAGES, indicator_folders: Iterable[Path] | None = None,
                         own_folder: Path | None = None) -> list[Finding]:
    """Every missing translation in the definitions: principles and scale, kit and groups, indicators.

    A workspace's own indicators may stay in one language (their titles fall back to English): theirs
    are warnings, the shipped definitions' are errors.
    """
    langs = list(langs)
    out: list[Finding] = []
    for path in sorted(definitions_dir("g20_principles").glob("*.yaml")):
        out += missing_in_file(path, langs)
    for name in ("kit.yaml", "stakeholder_groups.yaml"):
        path = definitions_dir("workshops") / name
        if path.is_file():
            out += missing_in_file(path, langs)
    for folder in indicator_folders if indicator_folders is not None else [definitions_dir("indicators")]:
        for path in sorted(folder.glob("*.yaml")):
            out += missing_in_file(path, langs, indicator=True)
    if own_folder is not None and own_folder.is_dir():
        for path in sorted(own_folder.glob("*.yaml")):
            out += missing_in_file(path, langs, "warning", indicator=True)
    return out
