"""The comparison model: what `c2c compare` found, the only input of its renderers (`render/comparison.py`).

Kept apart from the builder (`compare.py`) so that rendering a comparison does not import the code that
assesses partnerships.
"""

from __future__ import annotations

import builtins
from typing import Literal

from pydantic import BaseModel, ConfigDict

Change = Literal["improved", "deteriorated", "unchanged", "new", "missing", "no data"]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PrincipleChange(Model):
    id: str
    title: str
    before: float | None
    after: float | None
    change: Change


class IndicatorChange(Model):
    id: str
    title: str
    city_name: str | None
    before_period: str | None
    before_value: float | None
    before_score: float | None
    after_period: str | None
    after_value: float | None
    after_score: float | None
    change: Change


class OverTime(Model):
    partnership_id: str
    partnership_name: str
    round_before: str | None
    round_after: str | None
    period_before: str
    period_after: str
    vintages_before: list[int]
    vintages_after: list[int]
    principles: list[PrincipleChange]
    indicators: list[IndicatorChange]
    # (period, score) series per principle for charts: round id -> score
    principle_rounds: dict[str, dict[str, float | None]]
    series: dict[str, list[tuple[str, float | None]]]  # "indicator|city" -> (period, value)
    end_values: dict[str, float]


class SideCell(Model):
    score: float | None
    value: float | None = None
    period: str | None = None


class SideRow(Model):
    id: str
    title: str
    kind: Literal["principle", "indicator"]
    city_role: str | None
    cells: dict[str, SideCell]


class SideBySide(Model):
    # This field shadows the builtin in the class body; later fields spell it builtins.list.
    list: str
    partnerships: dict[str, str]  # id -> name
    n_scored: dict[str, int]
    n_indicators: int
    rows: builtins.list[SideRow]


class Comparison(Model):
    generated_at: str
    catalog_version: str
    rules: list[str]
    over_time: OverTime | None = None
    side_by_side: SideBySide | None = None
