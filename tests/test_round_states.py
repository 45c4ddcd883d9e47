"""score/rounds.disclosed_states and store/reads.round_state take shortcuts where a cohort allows them (rounds of
one load skip the join of loads, rows without a sheet skip the sheets' passes, rows already newest first are not
sorted): held equal here to the general form they had before (the reference below, kept verbatim), on rows
mixing loads, sheets, legacy rows, duplicate answers and codes that differ only by case or spaces. And the two
facilities round_views builds a cohort's rows with: Python's rounding once per distinct value, and models made from
a frame's columns, each column checked once (frame_models), or validated from its JSON; and principle_lists, every
partnership's principle rows at once, against principle_list."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, TypeAdapter

from c2c_monitor.definitions.principles import load_framework
from c2c_monitor.score.disclosure import Thresholds, published_rounds
from c2c_monitor.score.rounds import (
    disclosed_states,
    frame_models,
    framework_texts,
    principle_list,
    principle_lists,
    python_round,
)
from c2c_monitor.score.scoreboard import GroupRow, PrincipleRow
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
    """round_views validates a cohort's group rows from their frame's JSON (polars writes it, pydantic reads it):
    every string, integer and float (to the last bit) comes out as the frame held it, as a dict's validation gives
    it."""
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


# The framework with some principles expected only from a step of the process (the shipped one has none), so that
# "not expected yet" is compared too.
_SHIPPED = load_framework()
FW = _SHIPPED.model_copy(update={"principles": [p.model_copy(update={"expected_from_step": [None, 2, 4][i % 3]})
                                                for i, p in enumerate(_SHIPPED.principles)]})
TEXTS = framework_texts(FW, "en")
_PRINCIPLE_SCHEMA = {"_r": pl.Int32, "principle_id": pl.String, "score": pl.Float64, "coverage": pl.Float64,
                     "n_answered": pl.Int64, "n_ratings": pl.Int64, "n_not_applicable_dont_know": pl.Int64,
                     "n_blank": pl.Int64, "disagreements": pl.List(pl.String)}
_QUESTION_SCHEMA = {"_r": pl.Int32, "principle_id": pl.String, "id": pl.String, "text": pl.String, "n": pl.Int64,
                    "median": pl.Float64, "iqr": pl.Float64, "low": pl.Int64, "high": pl.Int64,
                    "share_dont_know": pl.Float64, "disagreement": pl.Boolean, "agreed": pl.Int64,
                    "agreed_reason": pl.String, "score": pl.Float64, "n_not_applicable": pl.Int64,
                    "n_dont_know": pl.Int64, "n_blank": pl.Int64}
_score = st.one_of(st.none(), st.floats(1, 5), st.integers(2, 10).map(lambda h: h / 2))


@st.composite
def _results(draw: st.DrawFn) -> tuple[pl.DataFrame, pl.DataFrame]:
    """principle_results-like rows for rounds 0-3 (every principle), and question rows for some of them."""
    principles, questions = [], []
    for r in range(4):
        for p in FW.principles:
            principles.append((r, p.id, draw(_score), draw(st.floats(0, 1)), draw(st.integers(0, 9)),
                               draw(st.integers(0, 50)), draw(st.integers(0, 9)), draw(st.integers(0, 9)),
                               draw(st.lists(st.sampled_from([q.id for q in p.questions]), max_size=2))))
            for q in draw(st.lists(st.sampled_from(p.questions), max_size=2)):
                rating = st.one_of(st.none(), st.integers(1, 5))
                share = round(draw(st.floats(0, 1)), 4)
                questions.append((r, p.id, q.id, TEXTS[0][1].get(q.id, "text"), draw(st.integers(0, 9)), draw(_score),
                                  draw(st.one_of(st.none(), st.floats(0, 4))), draw(rating), draw(rating), share,
                                  draw(st.booleans()), draw(rating),
                                  draw(st.one_of(st.none(), st.just("agreed"))), draw(_score), draw(st.integers(0, 3)),
                                  draw(st.integers(0, 3)), draw(st.integers(0, 3))))
    return (pl.DataFrame(principles, schema=_PRINCIPLE_SCHEMA, orient="row"),
            pl.DataFrame(questions, schema=_QUESTION_SCHEMA, orient="row"))


_slot = st.tuples(st.one_of(st.none(), st.integers(0, 3)), st.one_of(st.none(), st.integers(0, 3)), st.booleans(),
                  st.one_of(st.none(), st.integers(1, 6)))


@settings(max_examples=60, deadline=None)
@given(_results(), st.lists(_slot, max_size=6))
def test_principle_lists_equal_principle_list(results: tuple[pl.DataFrame, pl.DataFrame],
                                             slots: list[tuple[int | None, int | None, bool, int | None]]) -> None:
    """rounds.principle_lists (every partnership at once) against principle_list (one partnership, the reference):
    shown and not shown rounds, previous rounds, steps before and after a principle is expected, scores None."""
    principles, questions = results
    slots = [(cur, prev, held or cur is not None, step) for cur, prev, held, step in slots]  # shown: held
    got = principle_lists(FW, principles, questions, slots, TEXTS)
    by_round = {r: [dict(d, questions=[{k: v for k, v in q.items() if k not in ("_r", "principle_id")}
                                       for q in questions.filter((pl.col("_r") == r)
                                                                 & (pl.col("principle_id") == d["principle_id"]))
                                       .iter_rows(named=True)])
                    for d in principles.filter(pl.col("_r") == r).iter_rows(named=True)] for r in range(4)}
    for (cur, prev, held, step), rows in zip(slots, got, strict=True):
        expected = principle_list(FW, by_round[cur] if cur is not None else None,
                                  {d["principle_id"]: d for d in by_round[prev]} if prev is not None else {},
                                  "round" if held else None, "en", step, TEXTS)
        assert [r.model_dump_json() for r in rows] == [r.model_dump_json() for r in expected]


def test_frame_models_refuse_a_column_that_does_not_fit() -> None:
    """rounds.frame_models builds models without validating each value, so it checks each column once: a column
    whose values validation would convert (integers for a float field), a null in a field that takes no None, a
    text outside a Literal's, or columns out of the model's order are refused; a column of nulls fits an
    optional field whatever its type."""
    ok = pl.DataFrame({"group": ["a"], "principle_id": ["P01"], "n_participants": [3], "score": [2.5]})
    assert [m.model_dump() for m in frame_models(GroupRow, ok)] == [GroupRow(group="a", principle_id="P01",
                                                                             n_participants=3, score=2.5).model_dump()]
    assert frame_models(GroupRow, ok.with_columns(score=pl.lit(None)))[0].score is None
    for bad in (ok.with_columns(score=pl.lit(2)), ok.with_columns(group=pl.lit(None, pl.String)),
                ok.with_columns(n_participants=pl.lit(3.0)), ok.select(reversed(ok.columns))):
        with pytest.raises(ValueError, match="GroupRow"):
            frame_models(GroupRow, bad)
    row = PrincipleRow(id="P01", title="t", score=None, status="scored", coverage=1.0, n_questions=1, n_answered=1,
                       previous_score=None, trend="stable", disagreements=[])
    frame = pl.DataFrame([row.model_dump()]).with_columns(questions=pl.lit(None))
    assert frame_models(PrincipleRow, frame, skip=("questions",))[0].status == "scored"
    with pytest.raises(ValueError, match="PrincipleRow.status"):
        frame_models(PrincipleRow, frame.with_columns(status=pl.lit("fine")), skip=("questions",))
