"""`c2c programme --packages`: the programme view's two frames from published data packages.

A package is a folder `c2c publish` wrote: datapackage.json and, among its resources, data/partnerships.csv,
data/principles.csv (latest round's scores and the previous round's) and data/indicators.csv. Only those
aggregate tables are read. Every problem is a finding naming the file, line and column; any finding
rejects the whole set, so that a secretariat never sees a profile quietly made of part of its cohort.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

from c2c_monitor.definitions.principles import Framework
from c2c_monitor.errors import FORMULA_START, C2CError, Finding, InputRejected, UnknownPartnership
from c2c_monitor.score.programme import (
    COVERAGE_SCHEMA,
    PRINCIPLE_SCHEMA,
    Programme,
    build_programme,
    check_for,
)

# resource name -> columns this reader needs (a package may have more)
NEEDED = {
    "partnerships": ["partnership_id", "name", "latest_round", "round_participants"],
    "principles": ["partnership_id", "round_id", "principle_id", "score", "previous_round_id", "previous_score"],
    "indicators": ["partnership_id", "harmonised", "value"],
}
MAX_BYTES = 200 * 1024 * 1024  # a published table is a few MB; anything this size is not one


class _Package:
    def __init__(self, folder: Path, findings: list[Finding]) -> None:
        self.folder = folder
        self.findings = findings
        self.tables: dict[str, tuple[str, pl.DataFrame]] = {}  # name -> (shown file name, all-text frame)

    def bad(self, code: str, file: str, message: str, row: int | None = None, column: str | None = None,
            value: str | None = None) -> None:
        self.findings.append(Finding(code, file, message, row, column, value))

    def read(self) -> None:
        meta = self.folder / "datapackage.json"
        if not self.folder.is_dir():
            self.bad("no-package", str(self.folder), "not a folder (give folders written by `c2c publish`)")
            return
        if not meta.is_file():
            self.bad("no-datapackage", str(meta), "missing: not a data package written by `c2c publish`")
            return
        doc = self._json(meta)
        if doc is None:
            return
        resources = doc.get("resources") if isinstance(doc, dict) else None
        if not isinstance(resources, list):
            self.bad("bad-datapackage", str(meta), "has no list of resources", column="resources")
            return
        paths = {r.get("name"): r.get("path") for r in resources if isinstance(r, dict)}
        for name in NEEDED:
            path = paths.get(name)
            if not isinstance(path, str):
                self.bad("missing-resource", str(meta), f"no {name!r} resource", column="resources")
                continue
            target = (self.folder / path).resolve()
            if not path or Path(path).is_absolute() or not target.is_relative_to(self.folder.resolve()):
                self.bad("bad-resource-path", str(meta), f"the {name!r} resource's path leaves the package",
                         column="path", value=path)
                continue
            self._table(name, target)

    def _json(self, meta: Path) -> Any:
        try:
            return json.loads(meta.read_bytes().decode("utf-8-sig"))
        except UnicodeDecodeError as exc:
            self.bad("bad-encoding", str(meta), f"not UTF-8 (byte {exc.start})")
        except json.JSONDecodeError as exc:
            self.bad("bad-json", str(meta), f"not JSON: {exc.msg}", row=exc.lineno)
        return None

    def _table(self, name: str, path: Path) -> None:
        shown = str(path)
        if not path.is_file():
            self.bad("missing-file", shown, f"missing (the {name!r} resource of datapackage.json)")
            return
        if path.stat().st_size > MAX_BYTES:
            self.bad("too-large", shown, f"larger than {MAX_BYTES // 2**20} MB: not a published table")
            return
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            self.bad("bad-encoding", shown, f"not UTF-8 (byte {exc.start})")
            return
        if not text.strip():
            self.bad("empty-file", shown, "empty")
            return
        try:
            df = pl.read_csv(text.encode(), infer_schema=False)
        except pl.exceptions.PolarsError as exc:
            self.bad("bad-csv", shown, f"not a readable CSV table: {str(exc).splitlines()[0]}")
            return
        missing = [c for c in NEEDED[name] if c not in df.columns]
        if missing:
            self.bad("bad-schema", shown, f"column(s) missing: {', '.join(missing)}", row=1, column=missing[0])
            return
        self.tables[name] = (shown, df)


def _text(v: str | None) -> str | None:
    """A cell as published, the apostrophe `c2c publish` put before a formula-like text taken off again."""
    if v is not None and v.startswith("'") and v[1:2] and v[1] in FORMULA_START:
        return v[1:]
    return v if v != "" else None


def _number(pkg: _Package, file: str, line: int, column: str, v: str | None, low: float, high: float) -> float | None:
    if v is None or v == "":
        return None
    try:
        x = float(v)
    except ValueError:
        pkg.bad("bad-number", file, "not a number", line, column, v)
        return None
    if not low <= x <= high:
        pkg.bad("out-of-range", file, f"outside {low:g}-{high:g}", line, column, v)
        return None
    return x


def read_packages(folders: list[Path], fw: Framework) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, str]]:
    """The principle scores and indicator coverage frames and the partnerships (id -> name) of `folders`.

    Raises InputRejected with every finding when any package is missing, malformed or overlaps another.
    """
    findings: list[Finding] = []
    principles = {p.id for p in fw.principles}
    score_rows: list[tuple[Any, ...]] = []
    cov_rows: list[tuple[Any, ...]] = []
    names: dict[str, str] = {}
    owner: dict[str, str] = {}  # partnership -> the partnerships.csv it came from
    if len({f.resolve() for f in folders}) != len(folders):
        findings.append(Finding("duplicate-package", str(folders[0]), "a package is named twice"))
    for folder in folders:
        pkg = _Package(folder, findings)
        pkg.read()
        if len(pkg.tables) != len(NEEDED):
            continue
        pfile, parts = pkg.tables["partnerships"]
        participants: dict[str, int | None] = {}
        latest: dict[str, str | None] = {}
        for i, r in enumerate(parts.iter_rows(named=True), start=2):
            pid = _text(r["partnership_id"])
            if not pid:
                pkg.bad("missing-value", pfile, "no partnership id", i, "partnership_id")
                continue
            if pid in owner:
                pkg.bad("duplicate-partnership", pfile, f"partnership {pid!r} is also in {owner[pid]}", i,
                        "partnership_id", pid)
                continue
            owner[pid] = pfile
            names[pid] = _text(r["name"]) or pid
            latest[pid] = _text(r["latest_round"])
            n = _number(pkg, pfile, i, "round_participants", r["round_participants"], 0, 1e9)
            participants[pid] = None if n is None else int(n)
        sfile, prin = pkg.tables["principles"]
        seen: set[tuple[str, str]] = set()
        for i, r in enumerate(prin.iter_rows(named=True), start=2):
            pid, pr, rid = _text(r["partnership_id"]), _text(r["principle_id"]), _text(r["round_id"])
            if pid not in latest:
                pkg.bad("unknown-partnership", sfile, f"not in {pfile}", i, "partnership_id", pid)
                continue
            if pr not in principles:
                pkg.bad("unknown-principle", sfile, "not a principle of the framework", i, "principle_id", pr)
                continue
            if (pid, pr) in seen:
                pkg.bad("duplicate-row", sfile, f"{pid} {pr} appears twice", i, "principle_id", pr)
                continue
            seen.add((pid, pr))
            score = _number(pkg, sfile, i, "score", r["score"], 1, 5)
            before = _number(pkg, sfile, i, "previous_score", r["previous_score"], 1, 5)
            if rid is not None:
                score_rows.append((pid, rid, None, pr, score, participants.get(pid)))
            prev = _text(r["previous_round_id"])
            if prev is not None and prev != rid:
                score_rows.append((pid, prev, None, pr, before, None))
        ifile, inds = pkg.tables["indicators"]
        slots: dict[str, list[int]] = {pid: [0, 0] for pid in latest}
        for i, r in enumerate(inds.iter_rows(named=True), start=2):
            pid = _text(r["partnership_id"])
            if pid not in slots:
                pkg.bad("unknown-partnership", ifile, f"not in {pfile}", i, "partnership_id", pid)
                continue
            flag = (r["harmonised"] or "").strip().lower()
            if flag not in ("true", "false"):
                pkg.bad("bad-boolean", ifile, "not true or false", i, "harmonised", r["harmonised"])
                continue
            if flag == "true":
                slots[pid][0] += 1
                value = r["value"]
                if value not in (None, ""):
                    if _number(pkg, ifile, i, "value", value, float("-inf"), float("inf")) is not None:
                        slots[pid][1] += 1
        cov_rows += [(pid, n, k) for pid, (n, k) in slots.items()]
    if findings:
        raise InputRejected(findings, "data packages")
    scores = pl.DataFrame(score_rows, schema=PRINCIPLE_SCHEMA, orient="row")
    return scores, pl.DataFrame(cov_rows, schema=COVERAGE_SCHEMA, orient="row"), names


def from_packages(folders: list[Path], pids: list[str] | None, round_year: int | None = None,
                  for_pid: str | None = None, lang: str = "en") -> Programme:
    """The programme view of the partnerships published in `folders` (all of them, or `pids`)."""
    from c2c_monitor.definitions.principles import load_framework

    fw = load_framework()
    scores, coverage, names = read_packages(folders, fw)
    if pids is not None:
        if len(set(pids)) != len(pids):
            raise C2CError("a partnership is named twice")
        unknown = [p for p in pids if p not in names]
        if unknown:
            raise UnknownPartnership(f"partnership {unknown[0]!r} is in none of the packages",
                                     hint="published: " + ", ".join(sorted(names)[:6]))
        names = {p: names[p] for p in pids}
    if not names:
        raise C2CError("the packages publish no partnership")
    check_for(for_pid, list(names))
    return build_programme(scores, coverage, names, fw, lang, round_year, for_pid, "packages",
                           [str(f) for f in folders])
