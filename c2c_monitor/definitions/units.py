"""The one unit table (`units.yaml`): source unit names and codes, and their conversion to catalogue units.

Data, not code: adding a platform's word for "percent" is a line in the YAML. The loader checks it
(a name meaning two things, a factor that is not a positive number) and refuses it whole.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache
from importlib.resources import files
from typing import Any

from c2c_monitor.definitions.yamlload import parse_yaml_data
from c2c_monitor.errors import C2CError

_DIGIT_GROUPS = re.compile(r"(?<=\d)[.,\u00a0\u202f' ](?=\d{3}\b)")
_SPACE = re.compile(r"\s+")


@lru_cache(maxsize=8192)  # map suggest asks it for every series x catalogue unit: few distinct names
def unit_key(name: str) -> str:
    """How unit names are compared: case-, accent- and spacing-blind, thousands separators dropped
    ("Rate per 100.000" and "rate per 100 000" are one key; µ and μ are one letter)."""
    s = unicodedata.normalize("NFKD", name.replace("μ", "µ"))
    s = "".join(c for c in s if not unicodedata.combining(c)).casefold().replace("μ", "µ")
    s = _DIGIT_GROUPS.sub("", s)
    return _SPACE.sub(" ", s).strip()


@dataclass(frozen=True)
class Conversion:
    unit: str  # the catalogue unit the value is then in
    factor: Decimal


@dataclass
class UnitTable:
    same: dict[str, str] = field(default_factory=dict)  # key -> unit
    convert: dict[str, list[Conversion]] = field(default_factory=dict)  # key -> the units it converts into
    multipliers: dict[str, int] = field(default_factory=dict)  # key -> power of ten
    units: list[str] = field(default_factory=list)

    def factor(self, source: str, target: str) -> Decimal | None:
        """What a value in `source` is multiplied by to be in `target`; None when it does not convert."""
        key = unit_key(source)
        if self.same.get(key) == unit_key(target) or key == unit_key(target):
            return Decimal(1)
        for c in self.convert.get(key, []):
            if c.unit == unit_key(target):
                return c.factor
        return None

    def known(self, source: str) -> bool:
        key = unit_key(source)
        return key in self.same or key in self.convert or key in {unit_key(u) for u in self.units}

    def multiplier(self, text: str) -> int | None:
        """Power of ten of an SDMX UNIT_MULT ('3') or an Open SDG `Unit multiplier` ('Thousands')."""
        t = text.strip()
        if re.fullmatch(r"[+-]?\d{1,2}", t):
            return int(t)
        return self.multipliers.get(unit_key(t))


def _names(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
        raise C2CError(f"units.yaml: {where} must be a list of names")
    return [str(v) for v in value]


def build_table(data: Any, source: str = "units.yaml") -> UnitTable:
    """Check and index the table: every name means one unit (or one conversion per target unit)."""
    if not isinstance(data, dict) or not isinstance(data.get("units"), dict):
        raise C2CError(f"{source}: needs a `units:` mapping")
    table = UnitTable()
    for unit, spec in data["units"].items():
        unit = str(unit)
        target = unit_key(unit)
        table.units.append(unit)
        if not isinstance(spec, dict) or set(spec) - {"same", "convert"}:
            raise C2CError(f"{source}: units.{unit} has only `same:` and `convert:`")
        for name in [unit, *_names(spec.get("same") or [], f"units.{unit}.same")]:
            key = unit_key(name)
            if table.same.get(key, target) != target:
                raise C2CError(f"{source}: {name!r} is listed for both {table.same[key]!r} and {unit!r}")
            table.same[key] = target
        for i, conv in enumerate(spec.get("convert") or []):
            if not isinstance(conv, dict) or set(conv) != {"factor", "names"}:
                raise C2CError(f"{source}: units.{unit}.convert[{i}] needs `factor:` and `names:`")
            try:
                factor = Decimal(str(conv["factor"]))
            except InvalidOperation:
                factor = Decimal(0)
            if not factor.is_finite() or factor <= 0:
                raise C2CError(f"{source}: units.{unit}.convert[{i}]: factor {conv['factor']!r} is not a "
                               "positive number")
            for name in _names(conv["names"], f"units.{unit}.convert[{i}].names"):
                key = unit_key(name)
                if table.same.get(key) == target or any(c.unit == target for c in table.convert.get(key, [])):
                    raise C2CError(f"{source}: {name!r} converts into {unit!r} twice")
                table.convert.setdefault(key, []).append(Conversion(target, factor))
    for power, words in (data.get("multipliers") or {}).items():
        if not isinstance(power, int):
            raise C2CError(f"{source}: multipliers are keyed by a power of ten, not {power!r}")
        for w in _names(words, f"multipliers.{power}"):
            table.multipliers[unit_key(w)] = power
    # A name both "same as" one unit and converting into it would be two answers.
    for key, convs in table.convert.items():
        if any(c.unit == table.same.get(key) for c in convs):
            raise C2CError(f"{source}: {key!r} is both the same as and converted into {table.same[key]!r}")
    return table


@cache
def unit_table() -> UnitTable:
    text = files("c2c_monitor.definitions").joinpath("units.yaml").read_text(encoding="utf-8")
    return build_table(parse_yaml_data(text, "units.yaml"))
