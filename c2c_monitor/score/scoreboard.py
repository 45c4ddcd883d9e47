"""The scoreboard model: the single input of every renderer (terminal, JSON, HTML, CSV).

Its JSON form is the documented, stable `c2c assess --format json` schema
(see `scoreboard_json_schema()`); fields are only ever added, never renamed.
"""

from __future__ import annotations

import builtins
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "1.0"

# The closed sets of values that reach the scoreboard from options and computations.
ListName = Literal["simplified", "long"]
TargetKind = Literal["harmonised", "local"]
# "not expected yet": the partnership has not reached the step of the City Partnerships process from which
# the principle is expected (definitions/process.py), so it is not scored.
PrincipleStatus = Literal["scored", "insufficient data", "not assessed", "not expected yet"]
Dimension = Literal["ec_objective", "dac", "sdg", "principle"]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CityInfo(Model):
    id: str
    name: str
    country: str | None = None
    role: Literal["european", "partner"]


class PartnershipInfo(Model):
    id: str
    name: str
    theme: str | None = None
    sdgs: list[int] = []
    budget_eur: float | None = None
    start_year: int | None = None
    description: str | None = None
    cities: list[CityInfo]


class IndicatorRow(Model):
    id: str
    title: str
    family: Literal["city", "partnership"]
    # This field shadows the builtin in the class body; later fields spell it builtins.list.
    list: ListName
    harmonised: bool
    sdg: str
    sdg_goal: int
    ec_objective: str
    dac: builtins.list[str]
    principles: builtins.list[str]
    unit: str
    polarity: Literal["higher", "lower"]
    city_id: str | None
    city_name: str | None
    value: float | None
    period: str | None
    score: float | None
    distance: float | None
    light: Literal["green", "amber", "red", "none"]
    trend: str
    trend_ratio: float | None
    end_value: float
    end_value_source: str
    target_kind: TargetKind
    worst: float
    missing_reason: str | None
    coverage: float | None
    vintage_id: int | None
    provisional: bool
    series: builtins.list[tuple[str, float | None]] = []
    # The step of the City Partnerships process from which the indicator is expected (catalogue field).
    expected_from_step: int | None = None


class QuestionRow(Model):
    id: str
    text: str
    n: int
    median: float | None
    iqr: float | None
    low: int | None
    high: int | None
    share_dont_know: float
    disagreement: bool
    agreed: int | None
    agreed_reason: str | None
    score: float | None
    # Answers that are not ratings, and blanks: "not applicable" and "don't know" are answers.
    n_not_applicable: int = 0
    n_dont_know: int = 0
    n_blank: int = 0


class PrincipleRow(Model):
    id: str
    title: str
    score: float | None
    status: PrincipleStatus
    coverage: float
    n_questions: int
    n_answered: int
    previous_score: float | None
    trend: str
    disagreements: list[str]
    questions: list[QuestionRow] = []
    # Answers to the principle's questions, one per participant and question: ratings (1-5), "not
    # applicable"/"don't know", and blanks.
    n_ratings: int = 0
    n_not_applicable_dont_know: int = 0
    n_blank: int = 0
    expected_from_step: int | None = None


class GroupRow(Model):
    """A stakeholder group's view of one principle; groups under the minimum size are merged or left out."""

    group: str
    principle_id: str
    n_participants: int
    score: float | None


class ActionRow(Model):
    """One action of the implementation plan (seed 001, Annex 4); `id` is the short id within the partnership."""

    id: str
    principle_id: str
    round_id: str | None
    text: str
    owner: str | None
    due: str | None
    status: str
    overdue: bool
    principles: list[str] = []
    enablers: str | None = None
    priority: int | None = None
    timeframe: str | None = None
    high_priority: bool = False
    alias: str | None = None


class StageInfo(Model):
    """The step of the City Partnerships process (seed 000) the partnership last recorded reaching."""

    step: int
    id: str
    name: str
    reached_on: str | None


class Aggregate(Model):
    dimension: Dimension
    key: str
    mean_score: float | None
    n_indicators: int
    n_scored: int
    coverage: float
    indicator_ids: list[str]


class LocalIndicatorRow(Model):
    """A city's own (local) indicator: shown beside the harmonised ones, never compared or aggregated.

    `progress` is the share of the way from the series' first value to the city's 2030 target (0-100), when
    the metadata states both the direction of improvement and the target; otherwise None (shown as context).
    """

    city_id: str
    city_name: str | None
    code: str
    title: str
    unit: str | None
    polarity: Literal["higher", "lower"] | None
    target_2030: float | None
    value: float | None
    period: str | None
    baseline: float | None
    baseline_period: str | None
    progress: float | None
    source: str | None
    vintage_id: int | None
    series: list[tuple[str, float | None]] = []


class Scoreboard(Model):
    schema_version: str = SCHEMA_VERSION
    snapshot_id: str | None = None
    generated_at: str
    partnership: PartnershipInfo
    # This field shadows the builtin in the class body; later fields spell it builtins.list.
    list: ListName
    period: str | None
    as_of_vintage: int | None
    vintages_used: builtins.list[int]
    catalog_version: str
    framework_version: str
    rules_version: str
    rules: builtins.list[str]
    targets: TargetKind
    round_id: str | None
    previous_round_id: str | None
    principles: builtins.list[PrincipleRow]
    indicators: builtins.list[IndicatorRow]
    aggregates: builtins.list[Aggregate]
    min_group_size: int = 3
    min_spread_size: int = 5
    n_participants: int = 0
    round_withheld: str | None = None  # why the round's figures are withheld (disclosure control)
    groups: builtins.list[GroupRow] = []
    actions: builtins.list[ActionRow] = []
    # Added with issue 15; left out of the JSON (and so of snapshot ids) while empty, so scoreboards of
    # workspaces without local indicators read exactly as before. A field-level condition, not a wrapping
    # model serializer: that one made pydantic build every scoreboard as Python dicts before writing its JSON
    # (half of the JSON's cost, about 0.3 s of CPU per 300 published scoreboards).
    local_indicators: builtins.list[LocalIndicatorRow] = Field(default=[], exclude_if=lambda rows: not rows)
    stage: StageInfo | None = None
    # Ratings by UN-Habitat partner type (seed 003) under the same disclosure rule as `groups`.
    partner_types: builtins.list[GroupRow] = []


_M = TypeVar("_M", bound=BaseModel)


def trusted(model: type[_M], rows: list[dict[str, Any]]) -> list[_M]:
    """`model` instances of `rows` without validating them again: what pydantic's `model_construct` does for a
    row that holds every field (no default to fill in), without its Python loop over each row's fields.

    Only for rows that all hold the same keys, every field of the model in its order (the first row's keys are
    checked): rows built from one dict literal, or from a frame's columns taken in the model's order. Each value
    must already be of its field's type and exactly what validation would make of it (a float for a float field,
    a list of its own for a list field): a validated model's field of the same type, a column of a fixed polars
    type, or a value computed with the field's type. tests/test_cohort_scoring.py holds the models scoring builds
    this way equal to pydantic's validation of the same rows, JSON, value types and fields set included. At
    1,000 partnerships validating the 33,000 indicator rows and 26,000 aggregates took about 0.35 s of the
    scoring's 4 s; this takes a few hundredths.
    """
    if not rows:
        return []
    # A row's fields in the model's order, as validation stores them: the JSON follows that order.
    if list(rows[0]) != list(model.model_fields) or model.__pydantic_post_init__ is not None:
        raise ValueError(f"rows that are not {model.__name__}'s fields in order")
    new = model.__new__
    put = object.__setattr__
    fields = set(rows[0])  # every row's keys; each model gets its own copy of the set, as validation gives it
    out = []
    for row in rows:
        m = new(model)
        put(m, "__dict__", row)
        put(m, "__pydantic_fields_set__", fields.copy())
        put(m, "__pydantic_extra__", None)
        put(m, "__pydantic_private__", None)
        out.append(m)
    return out


def scoreboard_json_schema() -> dict[str, Any]:
    return Scoreboard.model_json_schema()
