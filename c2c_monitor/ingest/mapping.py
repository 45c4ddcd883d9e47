"""Explicit mapping of source codes (areas, indicators) to the workspace's cities and catalogue.

A mapping file (YAML), as `c2c map suggest` drafts it:

    city: barcelona   # workspace city of rows without an area code (as --city; --city wins)
    areas:            # source area code -> workspace city id
      ES0801: barcelona
    indicators:       # source indicator code -> what it becomes
      "11-1-1": housing_cost_overburden                               # a catalogue indicator
      "11-6-1": {indicator: pm25_mean, select: {Air_Pollutants: PM2.5}}
      "1-1-2":                                                         # the city's own (local) indicator
        local: {title: Homeless residents, unit: Total Number, polarity: lower, target_2030: 500, source: ...}
      "7-1": {skip: "periods that are not years"}                     # left out, with the reason
      # any entry may also carry `confidence: 0.8` and `review: true` (a proposal still to check)

`select` picks one disaggregation of a source series as the indicator's headline.
Codes equal to a workspace city id or a catalogue id map to themselves; anything
else is unmapped and reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from c2c_monitor.definitions.yamlload import Lines, YamlSyntaxError, load_yaml
from c2c_monitor.errors import C2CError, Finding

ENTRY_KEYS = {"indicator", "select", "local", "skip", "review", "confidence"}
LOCAL_KEYS = {"title", "unit", "polarity", "target_2030", "source"}


@dataclass
class IndicatorMap:
    indicator: str
    select: dict[str, str] = field(default_factory=dict)


@dataclass
class LocalDef:
    """A series kept as the city's own indicator: what its metadata (or the person) says of it."""

    title: str
    unit: str | None = None
    polarity: str | None = None  # "higher" / "lower": None leaves it unscored, shown as context
    target_2030: float | None = None
    source: str | None = None


@dataclass
class Mapping:
    areas: dict[str, str] = field(default_factory=dict)
    indicators: dict[str, IndicatorMap] = field(default_factory=dict)
    default_city: str | None = None
    locals: dict[str, LocalDef] = field(default_factory=dict)
    skips: dict[str, str] = field(default_factory=dict)
    review: set[str] = field(default_factory=set)  # entries still marked `review: true`
    path: str | None = None
    lines: Lines = field(default_factory=dict)

    def line(self, *loc: str) -> int | None:
        """The file line of a key (`indicators`, code), or None for a mapping given by flags."""
        return self.lines.get(tuple(loc))

    def findings(self, indicator_ids: set[str], cities: set[str]) -> list[Finding]:
        """Entries naming an indicator or a city the workspace does not have, with file and line."""
        where = self.path or "mapping"
        out = [Finding("unknown-indicator", where, f"indicators.{s} maps to {m.indicator!r}, which is not a city "
                       "indicator of the catalogue", self.line("indicators", s), "indicator", m.indicator)
               for s, m in self.indicators.items() if m.indicator not in indicator_ids]
        out += [Finding("unknown-city", where, f"areas.{a}: city {c!r} is not in the workspace",
                        self.line("areas", a), "area", c) for a, c in self.areas.items() if c not in cities]
        if self.default_city is not None and self.default_city not in cities and (self.locals or self.indicators):
            out.append(Finding("unknown-city", where, f"city {self.default_city!r} is not in the workspace",
                               self.line("city"), "city", self.default_city))
        return out


def _fail(path: Path, lines: Lines, loc: tuple[str, ...], msg: str) -> C2CError:
    line = lines.get(loc)
    return C2CError(f"{path}:{line}: {msg}" if line else f"{path}: {msg}")


def _local(path: Path, lines: Lines, code: str, v: Any) -> LocalDef:
    loc = ("indicators", code, "local")
    if not isinstance(v, dict) or set(v) - LOCAL_KEYS or not str(v.get("title") or "").strip():
        raise _fail(path, lines, loc, f"indicators.{code}.local needs `title:` and may have "
                    f"{', '.join(sorted(LOCAL_KEYS - {'title'}))}")
    pol = v.get("polarity")
    if pol is not None and pol not in ("higher", "lower"):
        raise _fail(path, lines, loc + ("polarity",), f"indicators.{code}.local.polarity is higher or lower, "
                    f"not {pol!r}")
    target = v.get("target_2030")
    if target is not None and (isinstance(target, bool) or not isinstance(target, int | float)
                               or target != target or abs(target) == float("inf")):
        raise _fail(path, lines, loc + ("target_2030",), f"indicators.{code}.local.target_2030 is a number, "
                    f"not {target!r}")
    return LocalDef(str(v["title"]).strip(), None if v.get("unit") is None else str(v["unit"]),
                    pol, None if target is None else float(target),
                    None if v.get("source") is None else str(v["source"]))


def load_mapping(path: Path | None, flags: list[str], city: str | None) -> Mapping:
    m = Mapping(default_city=city)
    if path is not None:
        try:
            data, lines = load_yaml(path)  # size, aliases and depth capped; every key's line kept
        except YamlSyntaxError as exc:  # aliases and deep nesting are refused before anything is built
            f = exc.finding
            raise C2CError(f"{path}:{f.row}: {f.message}" if f.row else str(f).splitlines()[0]) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise C2CError(f"{path}: not a readable mapping file ({exc})".splitlines()[0]) from None
        data = data or {}
        m.path, m.lines = str(path), lines
        if not isinstance(data, dict) or set(data) - {"areas", "indicators", "city"}:
            raise C2CError(f"{path}: a mapping file has only `city:`, `areas:` and `indicators:`")
        if data.get("city") is not None and city is None:
            m.default_city = str(data["city"])
        for k, v in (data.get("areas") or {}).items():
            m.areas[str(k)] = str(v)
        for k, v in (data.get("indicators") or {}).items():
            code = str(k)
            if not isinstance(v, dict):
                m.indicators[code] = IndicatorMap(str(v))
                continue
            loc = ("indicators", code)
            kinds = [x for x in ("indicator", "local", "skip") if v.get(x) is not None]
            if set(v) - ENTRY_KEYS or len(kinds) != 1:
                raise _fail(path, lines, loc, f"indicators.{code} needs one of `indicator:` (with an optional "
                            "`select:` map), `local:` or `skip:`")
            if v.get("review") is True:
                m.review.add(code)
            if kinds[0] == "local":
                m.locals[code] = _local(path, lines, code, v["local"])
            elif kinds[0] == "skip":
                m.skips[code] = str(v["skip"])
            else:
                sel = v.get("select") or {}
                if not isinstance(sel, dict):
                    raise _fail(path, lines, loc + ("select",), f"indicators.{code}.select is a map COLUMN: value")
                m.indicators[code] = IndicatorMap(str(v["indicator"]), {str(a): str(b) for a, b in sel.items()})
    for flag in flags:
        src, sep, dst = flag.partition("=")
        if not sep or not src or not dst:
            raise C2CError(f"--map {flag!r}: write SOURCE_CODE=INDICATOR_ID")
        m.indicators[src] = IndicatorMap(dst)
        m.locals.pop(src, None)
        m.skips.pop(src, None)
    return m
