"""What a scoreboard shows of a partnership's workshop rounds, for a whole cohort of partnerships at once.

Set-based (issue 19): the cohort's rounds, rating rows and agreed ratings come from a few queries whatever its
size, and every statistic is one polars pass grouped by partnership and round, not a pass per round. One
partnership is a cohort of one (`score/assess.principle_rows`), so both paths are this code.

Every disclosure decision is still made by score/disclosure.py for each (partnership, round) on its own: which
load of a growing round may be shown, which rounds are withheld against earlier ones, the group plans, the
thresholds on medians and spreads. Only the arithmetic around those decisions is done for all rounds at once.
"""

from __future__ import annotations

import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar, Union, get_args, get_origin

import polars as pl
from pydantic import BaseModel, TypeAdapter

from c2c_monitor.definitions.principles import Framework
from c2c_monitor.errors import C2CError
from c2c_monitor.score.disclosure import Thresholds, published_rounds
from c2c_monitor.score.maths import principle_trend
from c2c_monitor.score.ratings import (
    group_breakdown,
    partner_type_ratings,
    principle_results,
    question_stats,
    round_plans,
    types_pin_a_cell,
)
from c2c_monitor.score.scoreboard import GroupRow, PrincipleRow, PrincipleStatus, QuestionRow, trusted
from c2c_monitor.store import reads

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection

# A round of a cohort: the columns every frame below is grouped by.
KEYS = ["partnership_id", "round_id"]
Key = tuple[str, str]
# Within round_views: a round's number among the rounds of the cohort's histories, standing for its KEYS.
R = "_r"


@dataclass
class RoundView:
    """What a scoreboard may say about one workshop round: aggregates only."""

    principles: list[PrincipleRow]
    current: str | None
    previous: str | None
    n_participants: int
    groups: list[GroupRow]
    withheld: str | None = None  # why the round's figures are not shown (score/disclosure.py)
    partner_types: list[GroupRow] = field(default_factory=list)


def not_expected(expected_from: int | None, step: int | None) -> bool:
    """True when a recorded step is earlier than the one from which something is expected."""
    return expected_from is not None and step is not None and step < expected_from


def disclosed_states(rows: pl.DataFrame, t: Thresholds, by: Sequence[str] = KEYS) -> pl.DataFrame:
    """Each round's ratings as of its latest load that may be shown (`reads.round_state` rows, by the
    columns `by` that name a round: KEYS, or `round_views`' round number `_r`).

    A round grows sheet by sheet; a sheet that adds fewer than k people to what an earlier load showed would
    let a reader difference two publications of the same round. Such a load waits (the round is shown as it
    was) until k people have come since, applying to the round's loads the rule rounds follow among
    themselves (score/disclosure.published_rounds). A round never shown at all keeps its latest load: the
    round itself is then withheld by the same rule between rounds.

    Every load of every round is rebuilt at once: the rows are joined to the loads of their round, each
    (round, load) keeps the rows stored up to it, and `round_state` reduces them by (round, load). In a round
    of more than one load, codes are qualified by their sheet in every state (a round of one sheet names its
    people `P01`, of two `A/P01`), so the people of a load and of the one before compare as the same people.
    """
    keys = list(by)
    # A round of one load has one state, its rows as they are (most rounds: no join, no load to choose).
    n_loads = rows.group_by(keys).agg(pl.col("vintage_id").n_unique().alias("_n_loads"))
    several = n_loads.filter(pl.col("_n_loads") > 1).select(keys)
    if several.height == 0:
        return reads.round_state(rows, keys, pl.lit(False))
    single = reads.round_state(rows.join(several, on=keys, how="anti"), keys, pl.lit(False))
    multi = rows.join(several, on=keys, how="semi")
    loads = multi.select(*keys, pl.col("vintage_id").alias("_load")).unique()
    staged = multi.join(loads, on=keys).filter(pl.col("vintage_id") <= pl.col("_load"))
    states = reads.round_state(staged, [*keys, "_load"], pl.lit(True))
    people: dict[tuple[Any, ...], list[tuple[int, set[str]]]] = {}
    # A round of several loads has a load to choose: its people, load by load.
    for *round_key, load, codes in (states.group_by(*keys, "_load").agg(pl.col("participant_code").unique())
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
    return pl.concat([single, states.join(pick, on=[*keys, "_load"], how="semi").drop("_load")])


# A cohort's principle rows (their question rows inside) are built from their frames' columns as models
# (`frame_models`), each column's type and nulls checked once against its field, rather than validated a value at a
# time; its group rows are validated from their frame's JSON in one call.
_M = TypeVar("_M", bound=BaseModel)
# A frame's JSON: polars writes it without a Python object a value, pydantic reads it without one either, and a
# float goes through both unchanged (shortest round-trip form).
_GROUP_ROWS = TypeAdapter(list[GroupRow])
# The Python type each polars type gives (`to_list`), for the field types these rows have.
_SCALARS: dict[type, Any] = {str: pl.String, float: pl.Float64, bool: pl.Boolean}


def _column_fits(dtype: pl.DataType, column: pl.Series, annotation: Any) -> bool:
    """Does every value of `column` (of type `dtype`) come out of `to_list` as validation of `annotation` keeps it?"""
    args = get_args(annotation)
    if get_origin(annotation) in (Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        # A column of nulls only is None everywhere, whatever its type (an empty frame's, or pl.Null).
        return len(inner) == 1 and (column.null_count() == column.len()
                                    or _column_fits(dtype, column.drop_nulls(), inner[0]))
    if column.null_count():
        return False
    if get_origin(annotation) is Literal:
        return dtype == pl.String and bool(column.is_in(list(args)).all())
    if get_origin(annotation) is list:
        return isinstance(dtype, pl.List) and args == (str,) and (
            dtype.inner == pl.String or (dtype.inner == pl.Null and not column.list.len().sum()))  # [] only
    if annotation is int:
        return dtype.is_integer()
    return annotation in _SCALARS and dtype == _SCALARS[annotation]


def frame_models(model: type[_M], frame: pl.DataFrame, skip: Sequence[str] = ()) -> list[_M]:
    """`model` instances of `frame`'s rows, its columns named and ordered as the model's fields, made without
    validating each value (`scoreboard.trusted`): each column is checked once instead, that its polars type gives
    the field's Python type (a float column for a float field, integers for an int field, strings for a text or one
    of a Literal's texts, lists of strings) and that it has no null unless the field takes None; a column that does
    not fit raises. `skip`: fields the caller fills in itself (its column holds a placeholder, unchecked).
    tests/test_round_states.py holds these models to pydantic's validation of the same rows."""
    names = list(model.model_fields)
    if frame.columns != names:
        raise ValueError(f"columns that are not {model.__name__}'s fields in order: {frame.columns}")
    for name in names:
        if name not in skip and not _column_fits(frame.schema[name], frame[name], model.model_fields[name].annotation):
            raise ValueError(f"{model.__name__}.{name}: a column of type {frame.schema[name]} that does not fit")
    columns = [frame[c].to_list() for c in names]
    return trusted(model, [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)])


def python_round(values: pl.Series, digits: int) -> pl.Series:
    """`round(x, digits)` of each value exactly as Python rounds it, computed once per distinct value.

    Python rounds the float's exact binary value to the nearest decimal, ties to even; polars' own `round` scales
    first and rounds ties away from zero, so the two differ on some values (0.03125 to 4 places: 0.0312 in Python,
    0.0313 scaled). A cohort's shares and scores take few distinct values, so the mapping is small. Nulls stay
    null; the values here (shares, scores) are never -0.0 nor NaN, which a float's hash would not tell apart.
    """
    distinct = values.drop_nulls().unique()
    return values.replace_strict(distinct, [round(x, digits) for x in distinct.to_list()], default=None,
                                 return_dtype=pl.Float64)


def _by_round(frame: pl.DataFrame, models: list[Any], keys: Sequence[Key]) -> dict[Key, list[Any]]:
    """The models made from a frame's rows, by round (`keys[_r]`)."""
    out: dict[Key, list[Any]] = {}
    for r, model in zip(frame[R].to_list(), models, strict=True):
        out.setdefault(keys[r], []).append(model)
    return out


def _of(rounds: pl.DataFrame) -> pl.Expr:
    """Is a row's round (`_r`) one of `rounds`' (a frame with that column)?"""
    return pl.col(R).is_in(rounds[R].unique().implode())


def _group_rows(frame: pl.DataFrame, keys: Sequence[Key]) -> dict[Key, list[GroupRow]]:
    """`group_breakdown` rows (by `_r`) as each round's GroupRows, scores to 3 places."""
    frame = frame.with_columns(python_round(frame["score"], 3))
    # Validated from the frame's JSON in one call: for these small rows (four short fields) that is quicker than
    # `frame_models`, whose cost is a dict and a model a row (0.04 against 0.06 s for 23,000 rows at 1,000).
    return _by_round(frame, _GROUP_ROWS.validate_json(frame.drop(R).write_json()), keys)


def round_views(con: DuckDBPyConnection, fw: Framework, pids: Sequence[str], as_of: int | None, t: Thresholds,
                lang: str = "en", round_id: str | None = None,
                steps: Mapping[str, int | None] | None = None) -> dict[str, RoundView]:
    """The principle rows of each partnership's current round (`round_id`, or its latest) beside its previous
    one, as the disclosure rules allow them; `steps`: the step of the process each partnership reached."""
    rounds = reads.rounds_of_many(con, pids, as_of)
    chosen: dict[str, tuple[list[str], str | None, str | None]] = {}
    for pid in pids:
        held = rounds[pid]
        if round_id is not None and round_id not in held:
            raise C2CError(f"partnership {pid!r} has no workshop round {round_id!r}",
                           hint=f"rounds: {', '.join(held) or 'none'}")
        current = round_id or (held[-1] if held else None)
        idx = held.index(current) if current else -1
        # Every round up to the current one: a round is withheld when it is a few people away from one published
        # before it (differencing the two would read those people), so the whole history decides.
        chosen[pid] = (held[:idx + 1], current, held[idx - 1] if current and idx > 0 else None)
    if all(current is None for _, current, _ in chosen.values()):
        # No workshop round held by any of them (a statistical office's workspace holds data only): each view is
        # the framework's principles, not assessed, as the reads and frames below would make it from no rows
        # (some 30 ms of polars work on empty frames, more in a command's first call).
        texts = framework_texts(fw, lang)
        return {pid: RoundView(principle_list(fw, None, {}, None, lang, (steps or {}).get(pid), texts), None, None,
                               0, []) for pid in pids}
    # Every round of the cohort's histories is numbered (`_r`, its position in `keys`): each frame below is grouped
    # by that one integer, which hashes and compares far faster than the partnership and round ids together.
    keys: list[Key] = [(pid, r) for pid, (hist, _, _) in chosen.items() for r in hist]
    number = {key: i for i, key in enumerate(keys)}
    by = [R]
    rows = reads.rounds_rating_rows(con, [p for p, _ in keys], [r for _, r in keys], as_of, reads.SCORED_RATING_COLUMNS)
    ratings = disclosed_states(rows, t, by)
    people = {keys[r]: set(codes) for r, codes in
              ratings.group_by(R).agg(pl.col("participant_code").unique()).iter_rows()}

    # Which rounds are shown: each partnership's rounds in the order held, against those published before.
    withheld: dict[str, str | None] = {}
    previous_shown: dict[str, bool] = {}
    for pid, (hist, current, previous) in chosen.items():
        why = published_rounds([people.get((pid, r), set()) for r in hist], t)
        withheld[pid] = why[-1] if current else None
        previous_shown[pid] = previous is not None and why[-2] is None
    shown = {(pid, c) for pid, (_, c, _) in chosen.items() if c is not None and withheld[pid] is None}
    shown_frame = pl.DataFrame({R: sorted(number[k] for k in shown)}, schema={R: pl.Int32})
    # Rows of some rounds: a filter on the round number (`_of`), a tenth of a semi join's time over a cohort's rows.
    current_ratings = ratings.filter(_of(shown_frame))

    # The group table's plans are made once: the partner types below regroup what they show.
    group_plans = round_plans(current_ratings, t, by) if current_ratings.height else None
    groups = _group_rows(group_breakdown(fw, current_ratings, t.k_mean, t, by=by, made=group_plans), keys)
    # Partner types regroup only what the group table already shows, under the same rule (score/disclosure).
    mappings = reads.group_types_many(con, pids, as_of)
    typed = pl.DataFrame([(number[pid, current], g, kind) for pid, m in mappings.items()
                          if (current := chosen[pid][1]) is not None and (pid, current) in groups
                          for g, kind in m.items()],
                         schema={R: pl.Int32, "stakeholder_group": pl.String, "partner_type": pl.String}, orient="row")
    # Each rating keeps its own stakeholder group (`_own`) beside its type, for the check of the two tables below.
    with_types = (current_ratings.filter(_of(typed))
                  .with_columns(pl.col("stakeholder_group").fill_null("").alias("_own")))
    typed_ratings = partner_type_ratings(with_types, typed, t.k_mean, t, by=by,
                                         plans=group_plans[0] if group_plans is not None else None)
    type_plans = round_plans(typed_ratings, t, by) if typed_ratings.height else None
    types = _group_rows(group_breakdown(fw, typed_ratings, t.k_mean, t, by=by, made=type_plans), keys)
    # Read beside the group table, a type table can pin a cell that neither pins alone (a type's median ruling out
    # the one rating a unanimous group could otherwise have changed): such a round shows its groups only.
    for (r,) in types_pin_a_cell(typed_ratings, t, by, type_plans[0] if type_plans is not None else None):
        types.pop(keys[r], None)

    # Question statistics and principle results of every round shown (current and previous) in one pass.
    # Spreads are never shown beside a group breakdown (score/disclosure.spread_disclosed): the current round
    # says whether it has one, a previous round shows only its scores.
    wanted = {(pid, c, bool(groups.get((pid, c)))) for pid, c in shown}
    wanted |= {(pid, p, False) for pid, (_, _, p) in chosen.items() if p is not None and previous_shown[pid]}
    wanted_frame = pl.DataFrame(
        sorted((number[pid, rid], len(people.get((pid, rid), ())), g) for pid, rid, g in wanted),
        schema={R: pl.Int32, "people": pl.Int64, "groups_shown": pl.Boolean}, orient="row")
    # Rows without a sheet come out of `reads.round_state` as the newest answer of each participant to each question
    # of a round, one each: the question statistics need not check that again over the cohort's ratings.
    legacy = rows["sheet"].null_count() == rows.height
    stats = question_stats(ratings.filter(_of(wanted_frame)), by=by, values=False, one_answer_each=legacy)
    numbered = pl.DataFrame({"partnership_id": [p for p, _ in keys], "round_id": [r for _, r in keys],
                             R: pl.Series(range(len(keys)), dtype=pl.Int32)})
    agreed = (reads.agreed_ratings(con, pids, as_of).join(numbered, on=KEYS, how="inner").drop(KEYS)
              .filter(_of(wanted_frame)))
    questions, principles = principle_results(fw, stats, wanted_frame, agreed, by, thresholds=t)
    texts = framework_texts(fw, lang)
    qtext = pl.DataFrame([(qid, text) for _, qs in texts for qid, text in qs.items()],
                         schema={"question_id": pl.String, "text": pl.String}, orient="row")
    # The questions of the current rounds only, each principle's as a list beside its result.
    current_questions = (questions.filter(_of(shown_frame))
                         .join(qtext, on="question_id", how="left", maintain_order="left")
                         .select(R, "principle_id", pl.col("question_id").alias("id"), "text", "n", "median",
                                 "iqr", "low", "high", "share_dont_know", "disagreement", "agreed",
                                 "agreed_reason", "score", "n_not_applicable", "n_dont_know", "n_blank"))
    current_questions = current_questions.with_columns(python_round(current_questions["share_dont_know"], 4))
    # Each partnership's current round (when shown) and previous round (when shown), by number.
    slots = [(number[pid, current] if current is not None and (pid, current) in shown else None,
              number[pid, previous] if previous is not None and previous_shown[pid] else None,
              current is not None, (steps or {}).get(pid)) for pid, (_, current, previous) in chosen.items()]
    rows_of = principle_lists(fw, principles, current_questions, slots, texts)

    out = {}
    for (pid, (_, current, previous)), principle_rows in zip(chosen.items(), rows_of, strict=True):
        key = (pid, current or "")
        group_rows = groups.get(key, []) if key in shown else []
        out[pid] = RoundView(principle_rows, current, previous, len(people.get(key, ())) if current else 0,
                             group_rows, withheld[pid], types.get(key, []) if group_rows else [])
    return out


def principle_lists(fw: Framework, principles: pl.DataFrame, questions: pl.DataFrame,
                   slots: Sequence[tuple[int | None, int | None, bool, int | None]],
                   texts: Sequence[tuple[str, dict[str, str]]]) -> list[list[PrincipleRow]]:
    """`principle_list` of many partnerships in one polars pass, the models made from its columns (`frame_models`).

    `principles`: `score/ratings.principle_results` principle rows (by `_r`); `questions`: the question rows of
    the current rounds as QuestionRow fields (by `_r` and principle_id); `slots`: a partnership each, (its current
    round's number when shown, its previous round's when shown, whether it has a current round, its step);
    `texts`: `framework_texts`. Returns each partnership's rows, in the order of `slots`; tests/test_round_states.py
    holds them equal to `principle_list`'s.
    """
    schema: dict[str, Any] = {"_cur": pl.Int32, "_prev": pl.Int32, "_held": pl.Boolean, "_step": pl.Int64}
    frame = pl.DataFrame(slots, schema=schema, orient="row").with_row_index("_i")
    framework = pl.DataFrame({
        "_p": range(len(fw.principles)), "id": [p.id for p in fw.principles], "title": [t for t, _ in texts],
        "expected_from_step": pl.Series([p.expected_from_step for p in fw.principles], dtype=pl.Int64),
        "n_questions": [len(p.questions) for p in fw.principles]})
    result = principles.select(pl.col(R).cast(pl.Int32).alias("_cur"), pl.col("principle_id").alias("id"), "score",
                               "coverage", "n_answered", "disagreements", "n_ratings", "n_not_applicable_dont_know",
                               "n_blank", pl.lit(True).alias("_hit"))
    previous = principles.select(pl.col(R).cast(pl.Int32).alias("_prev"), pl.col("principle_id").alias("id"),
                                 pl.col("score").alias("_previous"))
    # Each principle's questions: the current round's question rows of that principle, in their order.
    listed = questions.select(pl.col(R).cast(pl.Int32).alias("_cur"), pl.col("principle_id").alias("_pid"),
                              *QuestionRow.model_fields).with_row_index("_q")
    g = (frame.join(framework, how="cross").join(result, on=["_cur", "id"], how="left")
         .join(previous, on=["_prev", "id"], how="left").sort("_i", "_p"))
    hit = pl.col("_hit").fill_null(False)
    waiting = (pl.col("_step") < pl.col("expected_from_step")).fill_null(False)  # not_expected
    status = (pl.when(waiting).then(pl.lit("not expected yet")).when(~pl.col("_held")).then(pl.lit("not assessed"))
              .when(~hit | pl.col("score").is_null()).then(pl.lit("insufficient data")).otherwise(pl.lit("scored")))
    # principle_trend of the unrounded scores, once per distinct pair.
    pairs = g.select("score", "_previous").unique()
    trends = pairs.with_columns(pl.Series("trend", [principle_trend(a, b) for a, b in pairs.iter_rows()],
                                          dtype=pl.String))
    g = g.join(trends, on=["score", "_previous"], how="left", nulls_equal=True, maintain_order="left")
    g = g.select(
        "id", "title", "expected_from_step",
        pl.when(~waiting).then(python_round(g["score"], 3)).alias("score"), status.alias("status"),
        pl.when(hit).then(pl.col("coverage")).otherwise(0.0).alias("coverage"), "n_questions",
        pl.when(hit).then(pl.col("n_answered")).otherwise(0).alias("n_answered"),
        python_round(g["_previous"], 3).alias("previous_score"), "trend",
        pl.col("disagreements").fill_null(pl.lit([], dtype=g.schema["disagreements"])),
        pl.lit(None, pl.Null).alias("questions"),  # filled in below, with the rows' question models
        *(pl.when(hit).then(pl.col(c)).otherwise(0).alias(c)
          for c in ("n_ratings", "n_not_applicable_dont_know", "n_blank")),
        "_cur")
    # The question rows in the order of the principle rows they go into (each principle row its own models, as
    # validation makes them, should two rows show the same round), and how many each principle row takes.
    placed = (g.select("_cur", pl.col("id").alias("_pid")).with_row_index("_g")
              .join(listed, on=["_cur", "_pid"], how="inner").sort("_g", "_q"))
    counts = placed.group_by("_g").len()
    taken = (g.with_row_index("_g").join(counts, on="_g", how="left", maintain_order="left")["len"]
             .fill_null(0).to_list())
    question_models = frame_models(QuestionRow, placed.select(*QuestionRow.model_fields))
    models = frame_models(PrincipleRow, g.select(*PrincipleRow.model_fields), skip=("questions",))
    start = 0
    for model, n in zip(models, taken, strict=True):
        model.__dict__["questions"] = question_models[start:start + n]
        start += n
    n = len(fw.principles)
    return [models[i * n:(i + 1) * n] for i in range(len(slots))]


def framework_texts(fw: Framework, lang: str) -> list[tuple[str, dict[str, str]]]:
    """Each principle's title and question texts in `lang`: looked up once for a cohort, not per partnership."""
    return [(p.title.get(lang), {q.id: q.text.get(lang) for q in p.questions}) for p in fw.principles]


def principle_list(fw: Framework, res: Sequence[Mapping[str, Any]] | None,
                   prev: Mapping[str, Mapping[str, Any]], current: str | None, lang: str, step: int | None,
                   texts: Sequence[tuple[str, dict[str, str]]] | None = None) -> list[PrincipleRow]:
    """One row per principle of the framework, from the current round's results and the previous round's
    (`score/ratings.principle_results` rows: a principle's score, coverage, counts and its questions as dicts);
    `texts`: `framework_texts(fw, lang)`, when the caller already has them."""
    rows = []
    texts = texts if texts is not None else framework_texts(fw, lang)
    for i, p in enumerate(fw.principles):
        r = res[i] if res else None
        pr = prev.get(p.id)
        title, _ = texts[i]
        score = r["score"] if r else None
        previous = pr["score"] if pr else None
        status: PrincipleStatus = ("not assessed" if current is None else
                  "insufficient data" if r is None or score is None else "scored")
        waiting = not_expected(p.expected_from_step, step)
        if waiting:
            status = "not expected yet"
        rows.append(PrincipleRow(
            id=p.id, title=title, expected_from_step=p.expected_from_step,
            score=None if waiting or score is None else round(score, 3), status=status,
            coverage=r["coverage"] if r else 0.0, n_questions=len(p.questions),
            n_answered=r["n_answered"] if r else 0,
            previous_score=None if previous is None else round(previous, 3),
            trend=principle_trend(score, previous),
            disagreements=r["disagreements"] if r else [],
            # Plain dicts, validated as QuestionRows by the PrincipleRow's one validation call.
            questions=r["questions"] if r else [],
            n_ratings=r["n_ratings"] if r else 0,
            n_not_applicable_dont_know=r["n_not_applicable_dont_know"] if r else 0,
            n_blank=r["n_blank"] if r else 0,
        ))
    return rows
