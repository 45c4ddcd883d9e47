"""score/rounds.disclosed_states and store/reads.round_state take shortcuts where a cohort allows them (rounds of
one load skip the join of loads, rows without a sheet skip the sheets' passes, rows already newest first are not
sorted): held equal here to the general form they had before (the reference below, kept verbatim), on rows
mixing loads, sheets, legacy rows, duplicate answers and codes that differ only by case or spaces."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from c2c_monitor.score.disclosure import Thresholds, published_rounds
from c2c_monitor.score.rounds import disclosed_states
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
