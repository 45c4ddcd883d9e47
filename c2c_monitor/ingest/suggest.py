"""`c2c map suggest`: a draft mapping of a platform's series to the catalogue, with reasons, for a person to edit.

The core (`suggest`) reads only series descriptions (`series.py`), so any reader can feed it. For each series
it weighs four pieces of evidence against every city indicator of the catalogue:
- the UN code: the series' code names the catalogue indicator's official SDG code, or is one of the UN
  global series codes the catalogue lists for it (`sdg.series`, e.g. SI_POV_NAHC in an SDMX-ML message);
- the unit: both name the same kind of quantity (`definitions/unit_kinds.py`), and the data's unit words
  are ones ingest reads as the catalogue unit (otherwise the load would be refused);
- the title: similar to the indicator's title or to its UN titles in en/fr/es (`definitions/titles.py`);
- the headline: the series has rows without disaggregation, or one disaggregation value the indicator's
  title names (PM2.5) or the city's name (Barcelona) picks the headline with `select:`.
A code match is proposed only when its title and unit agree. A code match that disagrees is never taken:
the series becomes a local indicator with `review: true` and the reason (Barcelona's 11-1-1 is housing-cost
overburden, not slum population). A strong title match under another code is proposed with `review: true`.
Each catalogue indicator receives at most one series (else the load would hold duplicate keys).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from c2c_monitor.definitions.catalog import Catalogue, Indicator
from c2c_monitor.definitions.titles import similarities, un_titles
from c2c_monitor.definitions.unit_kinds import compatible, fold, unit_kind
from c2c_monitor.definitions.units import unit_table
from c2c_monitor.ingest.series import SeriesDescription

CODE_TITLE_AGREES = 0.2  # a code match's title similarity at or above this agrees
TITLE_ONLY = 0.5  # a title match without the code must be this close, in the same SDG goal


@dataclass
class Suggestion:
    code: str
    title: str
    indicator: str | None = None
    select: dict[str, str] = field(default_factory=dict)
    confidence: float = 0.0
    review: bool = False
    skip: str | None = None
    reasons: list[str] = field(default_factory=list)
    local: dict[str, object] = field(default_factory=dict)
    local_notes: dict[str, str] = field(default_factory=dict)  # field -> where its value came from


@dataclass
class _Candidate:
    ind: Indicator
    sim: float
    code_match: bool
    unit_ok: bool | None
    loadable: bool
    select: dict[str, str] | None  # None: no headline for it
    score: float = field(init=False)  # asked for every candidate when the best is picked: worked out once

    def __post_init__(self) -> None:
        self.score = round(0.4 * self.code_match + 0.2 * (self.unit_ok is True) + 0.4 * min(1.0, self.sim / 0.6), 2)


def _dotted(code: str) -> str:
    return code.replace("-", ".")


@lru_cache(maxsize=8192)
def _squash(text: str) -> str:
    return fold(text).replace(" ", "")


@lru_cache(maxsize=1024)
def _titles(title: str, code: str | None) -> tuple[str, ...]:
    """The indicator's title and its UN code's titles (en/fr/es): what a series title is compared with."""
    return (title, *un_titles().get(code or "", {}).values())


@lru_cache(maxsize=1024)
def _named(title: str) -> frozenset[str]:
    """What an indicator's title names in brackets (PM2.5), squashed."""
    return frozenset(_squash(m) for m in re.findall(r"\(([^)]*)\)", title))


def _headline(d: SeriesDescription, ind: Indicator, city_names: list[str]) -> dict[str, str] | None:
    """{} when the series has a headline; one disaggregation value picked as the headline; None if neither."""
    if d.has_headline:
        return {}
    if len(d.disagg_columns) != 1:
        return None
    col = d.disagg_columns[0]
    title = _squash(ind.title)
    names = {_squash(n) for n in city_names if n}
    for v in d.disagg_values[col]:
        fv = _squash(v)
        if fv and (fv in names or (len(fv) >= 3 and fv in _named(ind.title)) or (len(fv) >= 4 and fv in title)):
            return {col: v}
    return None


@lru_cache(maxsize=4096)
def _loadable(units: tuple[str, ...], target: str) -> bool:
    """Loadable as ingest would judge it: no unit given, or one the unit table converts to the catalogue's."""
    table = unit_table()
    return all(u is None or not u.strip() or table.factor(u, target) is not None for u in units)


def _title_sims(series: list[SeriesDescription], inds: list[Indicator]) -> list[list[float]]:
    """[series][indicator]: the series title's best similarity to the indicator's titles (`_titles`), for all
    pairs at once (one matrix over the distinct titles rather than a Python loop over every pair)."""
    titles = [_titles(i.title, i.sdg.code) for i in inds]
    distinct = list(dict.fromkeys(t for ts in titles for t in ts))
    col = {t: k for k, t in enumerate(distinct)}
    m = similarities([d.title for d in series], distinct)
    best = [m[:, [col[t] for t in ts]].max(axis=1) for ts in titles]
    return [[float(best[j][i]) for j in range(len(inds))] for i in range(len(series))]


def _candidate(d: SeriesDescription, ind: Indicator, city_names: list[str], sim: float) -> _Candidate:
    unit_ok = compatible(d.unit or (d.data_units[0] if d.data_units else None), ind.unit)
    loadable = _loadable(tuple(d.data_units), ind.unit)
    select = _headline(d, ind, city_names)
    if select and any(_squash(v) in _named(ind.title) for v in select.values()):
        # The indicator's title names the disaggregation the series is split by (PM2.5): the title agrees more
        # than its words alone say.
        sim = min(1.0, sim + 0.3)
    return _Candidate(ind, sim, ind.sdg.code == _dotted(d.code) or d.code in ind.sdg.series, unit_ok, loadable,
                      select)


def _code_words(c: _Candidate, d: SeriesDescription) -> str:
    """How the code names the indicator: its SDG code, or a UN series code the catalogue lists for it."""
    if d.code in c.ind.sdg.series:
        return f"UN series {d.code} (SDG {c.ind.sdg.code}) is {c.ind.id}'s"
    return f"code {c.ind.sdg.code} is {c.ind.id}'s"


def _refusal(c: _Candidate, d: SeriesDescription) -> str | None:
    """Why a candidate cannot take the series as it stands, or None."""
    if c.unit_ok is False:
        return (f"the unit disagrees ({d.unit or ', '.join(d.data_units)!s} is {unit_kind(d.unit) or '?'}, "
                f"{c.ind.id} is in {c.ind.unit})")
    if len(d.data_units) > 1:
        return f"the series holds {len(d.data_units)} units ({', '.join(d.data_units)}), one series per unit"
    if not c.loadable:
        return (f"the data's unit {', '.join(repr(u) for u in d.data_units)} is not read as {c.ind.unit} by ingest "
                "(it would be refused)")
    if c.select is None:
        return f"no headline: every row is disaggregated by {', '.join(d.disagg_columns)}"
    return None


def _local(d: SeriesDescription, s: Suggestion, root: Path | None) -> None:
    s.local = {"title": d.title}
    if d.unit:
        s.local["unit"] = d.unit
    if d.polarity:
        s.local["polarity"] = d.polarity
        s.local_notes["polarity"] = d.polarity_why or ""
    if d.target_2030 is not None:
        s.local["target_2030"] = d.target_2030
        s.local_notes["target_2030"] = d.target_why or ""
    where = _rel(d.meta_file or d.source_file, root)
    s.local["source"] = f"{d.source_org}; {where}" if d.source_org else where


def _rel(path: str, root: Path | None) -> str:
    p = Path(path)
    if root is not None:
        # Both resolved: a data folder reached through a symlink (`../shared` linked elsewhere) must give the
        # same relative paths as the real folder, or the mapping would depend on how it was reached.
        try:
            return p.relative_to(root).as_posix()
        except ValueError:
            pass
        try:  # resolved only when needed: two realpath calls per series otherwise
            return p.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    return p.name


def suggest(series: list[SeriesDescription], cat: Catalogue, city_names: list[str] | None = None,
            root: Path | None = None, city_areas: set[str] | None = None) -> list[Suggestion]:
    """A suggestion per series, in the order given.

    `city_areas`: the area codes that are the city (found by name, `named_areas`); a series with rows for
    other areas only (a national file's) is skipped, as ingest would load nothing of it."""
    inds = [i for i in cat.indicators.values() if i.family == "city"]
    series = sorted(series, key=lambda d: [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in d.code.split("-")])
    out: list[Suggestion] = []
    claims: dict[str, list[tuple[float, Suggestion, SeriesDescription]]] = {}
    sims = _title_sims(series, inds) if inds else [[] for _ in series]
    for d, row in zip(series, sims, strict=True):
        s = Suggestion(d.code, d.title)
        out.append(s)
        if city_areas and d.areas and not city_areas & set(d.areas):
            s.confidence = 1.0
            s.skip = f"no rows for the city's area {', '.join(sorted(city_areas))}"
            s.reasons.append(f"left out: its rows are for other areas only ({', '.join(d.areas[:8])}"
                             + (" ..." if len(d.areas) > 8 else "") + ")")
            continue
        if d.bad_periods:
            s.confidence = 1.0
            s.skip = f"periods ingest refuses: {', '.join(d.bad_periods)}"
            s.reasons.append("left out: ingest refuses a batch with such periods; fix the source to load it")
            continue
        cands = [_candidate(d, i, city_names or [], sim) for i, sim in zip(inds, row, strict=True)]
        by_code = sorted((c for c in cands if c.code_match), key=lambda c: -c.sim)
        chosen: _Candidate | None = None
        for c in by_code:
            why = _refusal(c, d)
            if c.sim < CODE_TITLE_AGREES:
                why = (why + "; " if why else "") + f"the title disagrees (similarity {c.sim:.2f})"
            if why is None:
                chosen = c
                s.reasons.append(f"{_code_words(c, d)}; title agrees (similarity {c.sim:.2f}); "
                                 f"unit agrees ({c.ind.unit})")
                break
            s.review = True
            s.reasons.append(f"{_code_words(c, d)}, but {why}: not taken")
        if chosen is None:
            goal = d.code.split("-")[0]
            others = sorted((c for c in cands if not c.code_match and c.sim >= TITLE_ONLY and c.unit_ok is True
                             and str(c.ind.sdg.goal_number) == goal and _refusal(c, d) is None),
                            key=lambda c: -c.sim)
            if others:
                chosen = others[0]
                s.review = True
                kind = f"a local proxy of target {chosen.ind.sdg.target}" if chosen.ind.sdg.proxy else \
                    f"code {chosen.ind.sdg.code}"
                s.reasons.append(f"title matches {chosen.ind.id} ({kind}; similarity {chosen.sim:.2f}), unit agrees "
                                 f"({chosen.ind.unit}), but the code differs: check the meaning")
        if chosen is not None:
            s.indicator, s.select, s.confidence = chosen.ind.id, dict(chosen.select or {}), chosen.score
            if s.select:
                s.reasons.append(f"headline: {', '.join(f'{k}={v}' for k, v in s.select.items())}")
            claims.setdefault(chosen.ind.id, []).append((chosen.score + chosen.code_match, s, d))
        else:
            best = max(cands, key=lambda c: c.score) if cands else None
            s.confidence = round(1 - best.score, 2) if best else 1.0
            if not s.reasons:
                s.reasons.append("no catalogue indicator shares its code" + (
                    f"; closest title: {best.ind.id} (similarity {best.sim:.2f})" if best and best.sim >= 0.3 else ""))
            _local(d, s, root)
    # One series per catalogue indicator: the strongest keeps it, the others become local for review.
    for ind_id, claimants in claims.items():
        claimants.sort(key=lambda t: -t[0])
        for _, s, d in claimants[1:]:
            s.reasons.append(f"{ind_id} is already taken by {claimants[0][1].code}: kept as a local indicator")
            s.indicator, s.select, s.review = None, {}, True
            _local(d, s, root)
    return out


def named_areas(names: dict[str, str], city_id: str, city_name: str) -> list[str]:
    """The area codes whose code-list name is the city's (Rwanda's '1' is 'City of Kigali'), as ingest reads
    them by name (`load._place`: words such as 'City of' are left out)."""
    from c2c_monitor.ingest.load import _place

    keys = {k for k in (_place(city_id), _place(city_name)) if k}
    return sorted(code for code, name in names.items() if _place(name) in keys)


def city_areas(codes: list[str], city: str, city_codes: list[str]) -> set[str] | None:
    """The area codes of the data that are the city, or None when the data does not say which.

    The one code its code list names as the city (`named_areas`), else the city's own id used as a code;
    data of one area is that area's. Several unnamed codes are for the person to map (`_areas`)."""
    if len(city_codes) == 1:
        return set(city_codes)
    if city in codes:
        return {city}
    return set(codes) if len(codes) == 1 else None


def _others(others: list[str], code: str, names: dict[str, str]) -> list[str]:
    """The comment naming the data's other areas, whose rows neither load nor count in the proposals."""
    if not others:
        return []
    shown = ", ".join(f"{c} ({_comment(names[c])})" if c in names else c for c in others[:12]) + (
        f" and {len(others) - 12} more" if len(others) > 12 else "")
    return [f"# Other area codes in the data (their rows are skipped; each series below is judged on the rows of "
            f"{code} only): {shown}"]


def _areas(codes: list[str], city: str, names: dict[str, str] | None = None,
           city_codes: list[str] | None = None) -> list[str]:
    names = names or {}
    if city in codes and len(codes) > 1:
        # The data names the city by its id among other areas: mapped to itself, so that the other areas' rows
        # are skipped (local series too) rather than refused as rows of no city.
        return [*_others([c for c in codes if c != city], city, names), "areas:",
                f"  {_q(city)}: {_q(city)}  # the city's own id is an area code of the data"]
    codes = [c for c in codes if c != city]
    if not codes:
        return ["areas: {}"]
    if len(city_codes or []) == 1 and city_codes and city_codes[0] in codes:
        code = city_codes[0]
        return _others([c for c in codes if c != code], code, names) + [
            "areas:", f"  {_q(code)}: {_q(city)}  # {_comment(names.get(code, code))!r} in the code list"]
    if len(codes) == 1:
        return ["areas:", f"  {_q(codes[0])}: {_q(city)}  # the data's only area code: check it is {city}"]
    shown = ", ".join(f"{c} ({_comment(names[c])})" if c in names else c for c in codes[:20]) + (
        f" and {len(codes) - 20} more" if len(codes) > 20 else "")
    several = f" (several name it: {', '.join(city_codes)})" if city_codes else ""
    return [f"# Area codes in the data (map the one that is {city}{several}; rows of the others are skipped): "
            f"{shown}", "areas: {}"]


def _shown(path: str, root: Path | None) -> str:
    """An input as the header names it: relative to the platform's folder, which is named by itself."""
    if root is not None and Path(path) == root:
        return root.name + "/"
    return _rel(path, root) if root is not None else Path(path).name


def _q(v: object) -> str:
    """A YAML scalar: JSON strings are valid YAML double-quoted scalars (controls escaped)."""
    if isinstance(v, float):
        return repr(v)
    return json.dumps(v, ensure_ascii=False)


def _comment(text: str) -> str:
    return " ".join(str(text).split())


def render_yaml(suggestions: list[Suggestion], city: str, inputs: list[str], meta_files: list[str],
                skipped_files: dict[str, str], root: Path | None, areas: list[str] | None = None,
                area_names: dict[str, str] | None = None, city_codes: list[str] | None = None) -> str:
    """The mapping file a person edits: every proposal with its reasons as comments.

    `areas` are the area codes the data holds: one code is proposed as the city; several are listed for the
    person to map (a national file names many areas, only one of them the partner city). With `area_names`
    (an SDMX-ML code list), the one code in `city_codes` (named as the city) is proposed and the others named.
    """
    n_cat = sum(s.indicator is not None for s in suggestions)
    n_loc = sum(bool(s.local) and s.indicator is None for s in suggestions)
    n_rev = sum(s.review for s in suggestions)
    lines = [
        "# Mapping drafted by `c2c map suggest` from " + ", ".join(_shown(i, root) for i in inputs),
        f"# {len(suggestions)} series: {n_cat} to catalogue indicators, {n_loc} as local indicators of {city}, "
        f"{sum(s.skip is not None for s in suggestions)} skipped; {n_rev} marked `review: true`.",
        f"# Metadata read from {len(meta_files)} file(s)" + (
            ": " + ", ".join(_rel(m, root) for m in meta_files[:3]) + (" ..." if len(meta_files) > 3 else "")
            if meta_files else " (none found: titles are the codes)"),
        *(f"# Not data, skipped: {_rel(f, root)} ({_comment(why)})" for f, why in skipped_files.items()),
        "#",
        "# Each series takes one of: `indicator: ID` (a catalogue indicator; `select:` picks its headline),",
        "# `local:` (the city's own indicator: shown in its own section of the scoreboard, never compared),",
        "# `skip: REASON` (left out). `review: true` marks a proposal a person must check (reasons above it).",
        "# `confidence` is the evidence for the proposal, 0 to 1. Check: c2c map check THIS_FILE DATA;",
        "# load: c2c ingest DATA --map THIS_FILE",
        f"city: {_q(city)}",
        *_areas(areas or [], city, area_names, city_codes),
        "indicators:",
    ]
    for s in suggestions:
        lines.append(f"  # {s.code}: {_comment(s.title)[:110]}")
        lines += [f"  #   {_comment(r)}" for r in s.reasons]
        lines.append(f"  {_q(s.code)}:")
        if s.indicator is not None:
            lines.append(f"    indicator: {s.indicator}")
            if s.select:
                lines.append("    select: {" + ", ".join(f"{_q(k)}: {_q(v)}" for k, v in s.select.items()) + "}")
        elif s.skip is not None:
            lines.append(f"    skip: {_q(s.skip)}")
        else:
            lines.append("    local:")
            for k, v in s.local.items():
                note = s.local_notes.get(k)
                lines.append(f"      {k}: {_q(v)}" + (f"  # {_comment(note)[:100]}" if note else ""))
        lines.append(f"    confidence: {s.confidence:.2f}")
        if s.review:
            lines.append("    review: true")
    return "\n".join(lines) + "\n"
