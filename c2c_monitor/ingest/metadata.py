"""Open SDG (and similar) indicator metadata, found by what the files hold rather than where they sit.

Platforms keep metadata as Markdown with YAML front matter (`meta/1-1-1.md`), as plain YAML (`meta/1-1-1.yml`),
split over other folders (per language, `_indicators/`, ...), or as a CSV table with one row per indicator.
`find_metadata` walks the folders it is given (and the parent of a data folder, where Open SDG keeps
`meta/`), reads every Markdown, YAML and non-data CSV file it finds, and keeps those whose fields are
indicator metadata. Every YAML text goes through definitions/yamlload.py (PyYAML's C loader where present,
aliases and sizes capped); an unreadable file is a note, never a stop.
"""

from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from c2c_monitor.definitions.yamlload import MAX_BYTES, YamlSyntaxError, parse_yaml_data

# Fields that make a mapping indicator metadata (Open SDG's names); one is enough.
META_KEYS = frozenset({"indicator_name", "indicator_number", "graph_title", "computation_units", "reporting_status",
                       "indicator_sort_order", "national_indicator_available", "target_line_2030",
                       "graph_target_lines", "progress_calculation_options"})
_CODE_FIELDS = ("indicator_number", "indicator_id", "indicator", "code", "id")
_TITLE_FIELDS = ("indicator_name", "title", "graph_title", "national_indicator_available", "name")
# An indicator code: goal, then one to three parts (UN 11-1-1, national 12-12, 3-1-1-a).
CODE = re.compile(r"^(\d{1,2})(?:[-.]([0-9a-z]{1,3})){1,3}$", re.I)
MAX_FILES = 20_000
MAX_DEPTH = 4


def norm_code(raw: Any) -> str | None:
    """'11.1.1', '11-1-1', 'indicator_11-1-1' -> '11-1-1' (the Open SDG file code); None if not a code."""
    if raw is None or isinstance(raw, bool):
        return None
    s = str(raw).strip().lower()
    s = s.removeprefix("indicator_").removeprefix("indicator-")
    if not CODE.match(s):
        return None
    return s.replace(".", "-")


@dataclass
class Metadata:
    records: dict[str, dict[str, Any]] = field(default_factory=dict)  # code -> fields (first file wins per field)
    where: dict[str, str] = field(default_factory=dict)  # code -> file it came from
    files: list[str] = field(default_factory=list)  # files read as metadata
    notes: list[str] = field(default_factory=list)

    def add(self, code: str, fields: dict[str, Any], path: Path) -> None:
        rec = self.records.setdefault(code, {})
        for k, v in fields.items():
            if v not in (None, "") and rec.get(k) in (None, ""):
                rec[k] = v
        self.where.setdefault(code, str(path))


# `map suggest` reads each front matter twice in one process (the Open SDG reader for target lines, the search
# here for everything else): the parsed data is kept by text so the second read costs nothing. Only small texts
# (front matter is a few kB) are kept, so the cache stays small whatever a folder holds.
_CACHED_CHARS = 64 * 1024


@lru_cache(maxsize=1024)
def _parse_cached(body: str, where: str) -> Any:
    return parse_yaml_data(body, where)


def forget_parsed() -> None:
    """Empty the cache (benchmarks/onboarding.py: the CLI runs each step in a process of its own)."""
    _parse_cached.cache_clear()


def parse_metadata_yaml(body: str, where: str) -> Any:
    """YAML of a metadata file (through definitions/yamlload.py). The result may be shared between callers
    in one process: read it, never change it."""
    if len(body) > _CACHED_CHARS:
        return parse_yaml_data(body, where)
    return _parse_cached(body, where)


def _front_matter(text: str) -> str | None:
    text = text.lstrip("\ufeff")
    if not text.startswith("---"):
        return None
    end = text.find("\n---", 3)
    return text[3:end] if end >= 0 else None


def _is_meta(data: Any) -> bool:
    return isinstance(data, dict) and any(isinstance(k, str) and k in META_KEYS for k in data)


def _code_of(data: dict[str, Any], path: Path) -> str | None:
    return norm_code(data.get("indicator_number")) or norm_code(data.get("indicator_id")) or norm_code(path.stem)


def _read_yaml_meta(path: Path, text: str, meta: Metadata) -> bool:
    body = _front_matter(text) if path.suffix.lower() in (".md", ".markdown") else text
    if body is None:
        return False
    try:
        data = parse_metadata_yaml(body, str(path))
    except YamlSyntaxError as exc:
        meta.notes.append(f"{path}: not read as metadata ({exc.finding.message})")
        return False
    if not _is_meta(data):
        return False
    code = _code_of(data, path)
    if code is None:
        meta.notes.append(f"{path}: metadata without an indicator code (no indicator_number, file name not a code)")
        return False
    meta.add(code, data, path)
    return True


def _read_csv_meta(path: Path, text: str, meta: Metadata) -> bool:
    rows = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (rows.fieldnames or [])]
    code_col = next((c for c in _CODE_FIELDS if c in header), None)
    title_col = next((c for c in _TITLE_FIELDS if c in header), None)
    # A table of metadata names each indicator and titles it; a data table has Year/Value instead.
    if code_col is None or title_col is None or {"value", "year"} <= set(header):
        return False
    names = dict(zip(header, rows.fieldnames or [], strict=False))
    found = False
    for row in rows:
        fields = {k: row.get(names[k]) for k in header}
        code = norm_code(fields.get(code_col))
        if code is None:
            continue
        fields.setdefault("indicator_name", fields.get(title_col))
        meta.add(code, fields, path)
        found = True
    return found


def _candidates(roots: list[Path], skip: set[Path]) -> list[Path]:
    out: list[Path] = []
    seen: set[Path] = set()
    for root in roots:
        stack = [(root, 0)]
        while stack and len(out) < MAX_FILES:
            folder, depth = stack.pop()
            try:
                # scandir: the entry's type comes with the listing (no stat per file), and a file that is not a
                # link is where its folder really is (one realpath per folder, not one per file).
                with os.scandir(folder) as it:
                    entries = sorted(it, key=lambda e: e.name)
                real = folder.resolve()
            except OSError:
                continue
            for e in entries:
                if e.name.startswith(".") or e.is_symlink():
                    continue
                p = folder / e.name
                if e.is_dir():
                    if depth < MAX_DEPTH:
                        stack.append((p, depth + 1))
                elif p.suffix.lower() in (".md", ".markdown", ".yml", ".yaml", ".csv") and p not in skip \
                        and real / e.name not in seen:
                    seen.add(real / e.name)
                    out.append(p)
    return sorted(out)


def find_metadata(inputs: list[Path], data_files: list[Path]) -> Metadata:
    """Indicator metadata under the given folders (and the parent of a folder of data files)."""
    meta = Metadata()
    roots: list[Path] = []
    for p in inputs:
        if p.is_dir():
            roots.append(p)
            if any(f.parent == p for f in data_files) and p.parent != p:
                roots.append(p.parent)  # Open SDG: data/ and meta/ side by side
        elif p.is_file() and p.parent not in roots:
            roots.append(p.parent.parent if p.parent.name else p.parent)
    # Only folders below a root already walked are not walked twice.
    roots = [r for r in roots if not any(o != r and o in r.parents for o in roots)]
    skip = {f for f in data_files}
    for path in _candidates(roots, skip):
        try:
            if path.stat().st_size > MAX_BYTES:
                continue
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            continue
        ok = _read_csv_meta(path, text, meta) if path.suffix.lower() == ".csv" else _read_yaml_meta(path, text, meta)
        if ok:
            meta.files.append(str(path))
    return meta
