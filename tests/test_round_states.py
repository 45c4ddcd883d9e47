"""score/rounds.disclosed_states and store/reads.round_state take shortcuts where a cohort allows them (rounds of
one load skip the join of loads, rows without a sheet skip the sheets' passes, rows already newest first are not
sorted): held equal here to the general form they had before (the reference below, kept verbatim), on rows
mixing loads, sheets, legacy rows, duplicate answers and codes that differ only by case or spaces. And the two
facilities round_views builds a cohort's rows with: Python's rounding once per distinct value, and models validated
from a frame's JSON."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, TypeAdapter

from c2c_monitor.score.disclosure import Thresholds, published_rounds
from c2c_monitor.score.rounds import disclosed_states, python_round
from c2c_monitor.store.reads import round_state

SCHEMA = {"_r": pl.Int32, "participant_code": pl.String, "stakeholder_group": pl.String, "question_id": pl.String,
          "answer": pl.String, "rating": pl.Int32, "vintage_id": pl.Int64, "sheet": pl.String}


def _round_state_reference(rows: pl.DataFrame, by: Sequence[str], qualify: pl.Expr) -> pl.DataFrame:
    keys = list(by)
    rows = rows.with_columns(pl.col("participant_code").str.strip_chars().str.to_uppercase(),
                             pl.col("sheet").str.strip_chars().str.to_uppercase())
    sheeted = rows.filter(pl.col("sheet").is_not_null())
    sheeted = sheeted.filter(pl.col("vintage_id") == pl.col("vintage_id").max().over(*keys, "sheet"))
    legacy = rows.filter(pl.col("sheet").is_null()).sort("vintage_id", descending=True, maintain_order=True)
    legacy = legacy.filter(pl.struct(*keys, "participant_code", "question_id").is_first_distinct())
    both = pl.concat([legacy, sheeted])
    n_sheets = pl.col("sheet").n_unique().over(keys)
    return both.with_columns(
        pl.when(pl.col("sheet").is_not_null() & ((n_sheets > 1) | qualify))
        .then(pl.concat_str("sheet", pl.lit("/"), "participant_code"))
        .otherwise(pl.col("participant_code")).alias("participant_code")).drop("sheet")


def _disclosed_states_reference(rows: pl.DataFrame, t: Thresholds, by: Sequence[str]) -> pl.DataFrame:
    keys = list(by)
    rows = rows.with_columns(pl.col("vintage_id").n_unique().over(keys).alias("_n_loads"))
    single = rows.filter(pl.col("_n_loads") == 1).with_columns(pl.col("vintage_id").alias("_load"))
    multi = rows.filter(pl.col("_n_loads") > 1)
    loads = multi.select(*keys, pl.col("vintage_id").alias("_load")).unique()
    staged = pl.concat([single, multi.join(loads, on=keys).filter(pl.col("vintage_id") <= pl.col("_load"))
                        .select(single.columns)])
    states = _round_state_reference(staged, [*keys, "_load"], pl.col("_n_loads") > 1)
    people: dict[tuple[Any, ...], list[tuple[int, set[str]]]] = {}
    for *round_key, load, codes in (states.filter(pl.col("_n_loads") > 1)
                                    .group_by(*keys, "_load").agg(pl.col("participant_code").unique())
                                    .sort(*keys, "_load").iter_rows()):
        people.setdefault(tuple(round_key), []).append((load, set(codes)))
    chosen = []
    for key, seq in people.items():
        if len(seq) > 1:
            why = published_rounds([codes for _, codes in seq], t)
            shown = [load for (load, _), w in zip(seq, why, strict=True) if w is None]
            chosen.append((*key, shown[-1] if shown else seq[-1][0]))
    pick = pl.DataFrame(chosen, schema={**{k: states.schema[k] for k in keys}, "_load": states.schema["_load"]},
                        orient="row")
    return pl.concat([states.filter(pl.col("_n_loads") == 1),
                      states.filter(pl.col("_n_loads") > 1).join(pick, on=[*keys, "_load"], how="semi")]
                     ).drop("_load", "_n_loads")


# Few values of each, so rounds, loads, sheets, people and questions collide often.
_row = st.tuples(
    st.integers(0, 3),  # round
    st.sampled_from(["P01", "p01", " P01 ", "P02", "P03", "p04", "P05", "P06", "P07"]),
    st.sampled_from(["civil_society", "academia", None]),
    st.sampled_from(["P01.1", "P01.2", "P02.1"]),
    st.sampled_from(["1", "3", "5", "na", "dk"]),
    st.integers(1, 4),  # vintage
    st.sampled_from([None, None, "a", " A", "b"]),  # legacy rows (no sheet) and sheets differing by case/spaces
)


def _frame(rows: list[tuple[Any, ...]], sheets: bool, one_load: bool) -> pl.DataFrame:
    data = [(r, code, group, q, a, int(a) if a.isdigit() else None, 1 if one_load else v, sheet if sheets else None)
            for r, code, group, q, a, v, sheet in rows]
    return pl.DataFrame(data, schema=SCHEMA, orient="row")


def _same(a: pl.DataFrame, b: pl.DataFrame) -> None:
    assert a.columns == b.columns and a.schema == b.schema
    # The order of rows within a round is not significant (round_state's contract), the rows themselves are.
    assert a.sort(a.columns, nulls_last=True).equals(b.sort(b.columns, nulls_last=True))


@settings(max_examples=300, deadline=None)
@given(st.lists(_row, max_size=40), st.booleans(), st.booleans(), st.integers(3, 4), st.booleans())
def test_disclosed_states_equal_reference(rows: list[tuple[Any, ...]], sheets: bool, one_load: bool, k: int,
                                          reverse: bool) -> None:
    frame = _frame(rows, sheets, one_load)
    if reverse:  # rows stored newest first, where the legacy sort is skipped
        frame = frame.sort("vintage_id", descending=True, maintain_order=True)
    t = Thresholds(k_mean=k)
    _same(disclosed_states(frame, t, ["_r"]), _disclosed_states_reference(frame, t, ["_r"]))


@settings(max_examples=300, deadline=None)
@given(st.lists(_row, max_size=40), st.booleans(), st.booleans(), st.booleans())
def test_round_state_equal_reference(rows: list[tuple[Any, ...]], sheets: bool, qualify: bool, reverse: bool) -> None:
    frame = _frame(rows, sheets, one_load=False)
    if reverse:
        frame = frame.sort("vintage_id", descending=True, maintain_order=True)
    _same(round_state(frame, ["_r"], pl.lit(qualify)), _round_state_reference(frame, ["_r"], pl.lit(qualify)))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.floats(min_value=0, allow_nan=False, allow_infinity=False),
                          st.fractions(0, 1, max_denominator=200).map(float)), max_size=50),
       st.integers(0, 5))
def test_python_round_is_pythons_round(values: list[float | None], digits: int) -> None:
    """rounds.python_round maps each value to Python's own `round`, ties included (0.03125 to 4 places is 0.0312,
    where scaling and rounding half away from zero gives 0.0313)."""
    got = python_round(pl.Series(values + [0.03125], dtype=pl.Float64), digits).to_list()
    assert got == [None if v is None else round(v, digits) for v in values + [0.03125]]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=8), st.integers(0, 2**40), st.one_of(st.none(), st.floats(allow_nan=False,
                                                                                                       allow_infinity=False)),
                          st.booleans()), max_size=30))
def test_models_from_frame_json_keep_every_value(rows: list[tuple[str, int, float | None, bool]]) -> None:
    """round_views validates a cohort's rows from their frame's JSON (polars writes it, pydantic reads it): every
    string, integer and float (to the last bit) comes out as the frame held it, as a dict's validation gives it."""
    class Row(BaseModel):
        text: str
        count: int
        value: float | None
        flag: bool

    frame = pl.DataFrame(rows, schema={"text": pl.String, "count": pl.Int64, "value": pl.Float64, "flag": pl.Boolean},
                         orient="row")
    adapter = TypeAdapter(list[Row])
    from_json = adapter.validate_json(frame.write_json())
    from_dicts = adapter.validate_python(frame.rows(named=True))
    assert [(r.text, r.count, r.value, r.flag) for r in from_json] == rows
    assert [r.model_dump_json() for r in from_json] == [r.model_dump_json() for r in from_dicts]
    assert all(r.value is None or math.copysign(1, r.value) == math.copysign(1, v) for r, (_, _, v, _) in
               zip(from_json, rows, strict=True))
