"""Explicit mapping of source codes (areas, indicators) to the workspace's cities and catalogue.

A mapping file (YAML):

    areas:            # source area code -> workspace city id
      ES0801: barcelona
    indicators:       # source indicator code -> catalogue indicator id
      "11-1-1": housing_cost_overburden
      "11-6-1": {indicator: pm25_mean, select: {Air_Pollutants: PM2.5}}

`select` picks one disaggregation of a source series as the indicator's headline.
Codes equal to a workspace city id or a catalogue id map to themselves; anything
else is unmapped and reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from c2c_monitor.definitions.yamlload import MAX_BYTES, YamlSyntaxError, parse_yaml
from c2c_monitor.errors import C2CError


@dataclass
class IndicatorMap:
    indicator: str
    select: dict[str, str] = field(default_factory=dict)


@dataclass
class Mapping:
    areas: dict[str, str] = field(default_factory=dict)
    indicators: dict[str, IndicatorMap] = field(default_factory=dict)
    default_city: str | None = None


def load_mapping(path: Path | None, flags: list[str], city: str | None) -> Mapping:
    m = Mapping(default_city=city)
    if path is not None:
        try:
            if path.stat().st_size > MAX_BYTES:
                raise C2CError(f"{path}: a mapping file over {MAX_BYTES:,} bytes is not accepted")
            data = parse_yaml(path.read_text(encoding="utf-8"), str(path))[0] or {}
        except YamlSyntaxError as exc:  # aliases and deep nesting are refused before anything is built
            raise C2CError(str(exc.finding).splitlines()[0]) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise C2CError(f"{path}: not a readable mapping file ({exc})".splitlines()[0]) from None
        if not isinstance(data, dict) or set(data) - {"areas", "indicators"}:
            raise C2CError(f"{path}: a mapping file has only `areas:` and `indicators:`")
        for k, v in (data.get("areas") or {}).items():
            m.areas[str(k)] = str(v)
        for k, v in (data.get("indicators") or {}).items():
            if isinstance(v, dict):
                sel = v.get("select") or {}
                if "indicator" not in v or not isinstance(sel, dict):
                    raise C2CError(f"{path}: indicators.{k} needs `indicator:` and an optional `select:` map")
                m.indicators[str(k)] = IndicatorMap(str(v["indicator"]), {str(a): str(b) for a, b in sel.items()})
            else:
                m.indicators[str(k)] = IndicatorMap(str(v))
    for flag in flags:
        src, sep, dst = flag.partition("=")
        if not sep or not src or not dst:
            raise C2CError(f"--map {flag!r}: write SOURCE_CODE=INDICATOR_ID")
        m.indicators[src] = IndicatorMap(dst)
    return m
