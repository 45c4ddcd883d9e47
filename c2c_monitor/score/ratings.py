"""Workshop ratings: per-question consensus and spread, principle scores, group breakdowns.

Individual ratings stay in the store; what leaves this module is aggregate only, and only what
score/disclosure.py allows: a median below its threshold, a spread below its own (or one that would show
that everybody agreed) and a group that could be read back by subtraction come out as None or merged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from c2c_monitor.definitions.principles import Framework
from c2c_monitor.definitions.rules import RULES, PrincipleRules
from c2c_monitor.score.disclosure import (
    DEFAULT,
    MERGED_GROUP,
    Thresholds,
    group_plan,
    median_disclosed,
    median_disclosed_expr,
    pinned_cell,
    pinned_jointly,
    spread_disclosed,
    spread_disclosed_expr,
)

__all__ = ["MERGED_GROUP", "PrincipleResult", "QuestionResult", "aggregate", "group_breakdown",
           "partner_type_ratings", "round_plans", "types_pin_a_cell"]
NUMERIC = ["1", "2", "3", "4", "5"]
# A stakeholder group the facilitator has not mapped to a partner type.
UNCLASSIFIED = "not classified"


@dataclass(frozen=True)
class QuestionResult:
    question_id: str
    n: int
    median: float | None
    q1: float | None
    q3: float | None
    low: int | None
    high: int | None
    share_dont_know: float
    n_not_applicable: int
    disagreement: bool
    agreed: int | None
    agreed_reason: str | None
    # "Don't know" and "not applicable" are answers, counted apart from the blanks (participants of the round
    # who left the question empty).
    n_dont_know: int = 0
    n_blank: int = 0

    @property
    def not_applicable(self) -> bool:
        """Everyone who answered said "not applicable": the question does not count against coverage."""
        return self.n == 0 and self.n_dont_know == 0 and self.n_not_applicable > 0

    @property
    def score(self) -> float | None:
        return float(self.agreed) if self.agreed is not None else self.median

    @property
    def iqr(self) -> float | None:
        return None if self.q1 is None or self.q3 is None else self.q3 - self.q1


@dataclass(frozen=True)
class PrincipleResult:
    principle_id: str
    score: float | None
    coverage: float
    n_questions: int
    n_answered: int
    questions: list[QuestionResult]
    n_applicable: int = 0

    @property
    def insufficient(self) -> bool:
        return self.score is None


def _disagree(n: int, iqr: float | None, rng: float | None, rules: PrincipleRules) -> bool:
    if n < 2 or iqr is None or rng is None:
        return False
    return iqr >= rules.disagreement_iqr or (n >= rules.disagreement_min_n and rng >= rules.disagreement_range)


def question_stats(ratings: pl.DataFrame, by: Sequence[str] = (), values: bool = True,
                   one_answer_each: bool = False) -> pl.DataFrame:
    """Per question (and per value of `by`, e.g. partnership and round, for a whole cohort in one pass): counts,
    median, quartiles, range, and for the disclosure rule the number of ratings, how many share the commonest
    value and (`values`) the ratings themselves. `one_answer_each`: the caller knows that each participant
    answered each question of each value of `by` at most once (rows `store.reads.round_state` reduced to the newest
    answer of each), so the participants of a question are its rows, not checked again (see `_people`)."""
    numeric = ratings.with_columns(pl.col("answer").is_in(NUMERIC).alias("_numeric"))
    if not values and _on_scale(numeric):
        return _counted_stats(numeric, by, ratings.schema["rating"], one_answer_each)
    # Which answers are ratings is tested once a row: as a filter inside each aggregate below, the string test
    # ran once per aggregate.
    num = pl.col("rating").filter(pl.col("_numeric"))
    return numeric.group_by(*by, "question_id").agg(
        num.count().alias("n"),
        num.median().alias("median"),
        num.quantile(0.25, interpolation="linear").alias("q1"),
        num.quantile(0.75, interpolation="linear").alias("q3"),
        num.min().alias("low"),
        num.max().alias("high"),
        *([num.alias("values")] if values else []),
        num.len().alias("n_values"),
        num.unique_counts().max().alias("most_equal"),
        (pl.col("answer") == "dk").sum().alias("n_dk"),
        (pl.col("answer") == "na").sum().alias("n_na"),
        pl.col("participant_code").n_unique().alias("n_people"),
    )


# The rating scale: every rating of a numeric answer is one of these (sheets store the answer's own number).
_SCALE = [1, 2, 3, 4, 5]


def _people(ratings: pl.DataFrame, by: Sequence[str]) -> pl.Expr:
    """The aggregate that counts a question's distinct participants (`n_people`) in `ratings` grouped by `by` and
    question.

    A round's current ratings hold one answer per participant and question (`reads.round_state` keeps the newest),
    so the count is the group's number of rows whenever the (round, question, participant) keys are all distinct:
    known when their hashes are (equal keys hash equally), which costs a third of counting distinct codes group by
    group. Otherwise the codes are counted.
    """
    key = pl.struct(*by, "question_id", "participant_code").hash()
    if ratings.select(key.n_unique()).item() == ratings.height:
        return pl.len().alias("n_people")
    return pl.col("participant_code").n_unique().alias("n_people")


# A group's counts of each point of the scale (`_c1`..`_c5`) and their sum `n`, the columns `_nth` and
# `_scale_quantile` read.
_COUNTS = [pl.col(f"_c{v}") for v in _SCALE]
_N = pl.col("n").cast(pl.Int64)


def _on_scale(ratings: pl.DataFrame) -> bool:
    """Is every numeric answer's rating (`_numeric`) a point of the scale, so that counts determine its order?"""
    on_scale = pl.col("rating").is_in(_SCALE).fill_null(False)
    return bool(ratings.select((~pl.col("_numeric") | on_scale).all()).item())


def _scale_flags() -> list[pl.Expr]:
    """Each row's flags `_c1`..`_c5` (a numeric answer of that rating), for a group-by to sum as plain columns."""
    return [(pl.col("_numeric") & (pl.col("rating") == v)).alias(f"_c{v}") for v in _SCALE]


def _nth(k: pl.Expr) -> pl.Expr:
    """The k-th smallest rating (0-based) of a group, from its running counts."""
    running = pl.lit(0, pl.Int64)
    expr: Any = pl
    for v, c in zip(_SCALE, _COUNTS, strict=True):
        running = running + c.cast(pl.Int64)
        expr = expr.when(k < running).then(pl.lit(v, pl.Int64))
    out: pl.Expr = expr.otherwise(None)
    return out


def _scale_quantile(p: float) -> pl.Expr:
    """polars' `quantile(p, interpolation="linear")` of a group's ratings, from its counts (`median` at 0.5)."""
    pos = (_N - 1).cast(pl.Float64) * p
    lower, upper = _nth(pos.floor().cast(pl.Int64)), _nth(pos.ceil().cast(pl.Int64))
    return pl.when(_N > 0).then(lower + (upper - lower) * (pos - pos.floor()))


def _counted_stats(numeric: pl.DataFrame, by: Sequence[str], dtype: Any, one_answer_each: bool = False
                   ) -> pl.DataFrame:
    """`question_stats` (without `values`) from how many ratings of each point of the scale each question got.

    Ratings are whole numbers 1-5, so five counts determine every order statistic: the k-th smallest rating is
    the first point whose running count exceeds k. The group-by then only sums (no sort or quantile a group:
    a cohort of 1,000 has ~120,000 groups), and the quartiles are the same interpolation between two ranks as
    polars' `quantile(interpolation="linear")`, exact here (ranks apart by a quarter, halves or whole numbers).
    `question_stats` uses this only when every numeric answer's rating is on the scale; tests/test_ratings.py
    compares the two forms.
    """
    # Each row's flags computed once as columns, so that the group-by sums plain columns (polars' fast path for
    # `sum`), where a conditional expression inside each aggregate was evaluated group by group: about a third of
    # the time over a cohort's 1.2 M ratings.
    flagged = numeric.with_columns(
        *_scale_flags(), (pl.col("answer") == "dk").alias("n_dk"), (pl.col("answer") == "na").alias("n_na"))
    grouped = flagged.group_by(*by, "question_id").agg(
        *(pl.col(f"_c{v}").sum() for v in _SCALE),
        pl.col("_numeric").sum().alias("n_values"),
        pl.col("n_dk").sum(), pl.col("n_na").sum(),
        pl.len().alias("n_people") if one_answer_each else _people(flagged, by),
    )
    counts, n, nth, quantile = _COUNTS, _N, _nth, _scale_quantile
    return grouped.with_columns(pl.sum_horizontal(counts).cast(pl.UInt32).alias("n")).select(
        *by, "question_id", "n",
        quantile(0.5).cast(pl.Float64).alias("median"),
        quantile(0.25).cast(pl.Float64).alias("q1"),
        quantile(0.75).cast(pl.Float64).alias("q3"),
        pl.when(n > 0).then(nth(pl.lit(0, pl.Int64))).cast(dtype).alias("low"),
        pl.when(n > 0).then(nth(n - 1)).cast(dtype).alias("high"),
        "n_values",
        pl.when(n > 0).then(pl.max_horizontal(counts)).cast(pl.UInt32).alias("most_equal"),
        "n_dk", "n_na", "n_people",
    )


def aggregate(
    framework: Framework,
    ratings: pl.DataFrame,
    agreed: pl.DataFrame | None = None,
    rules: PrincipleRules = RULES.principles,
    thresholds: Thresholds = DEFAULT,
    groups_shown: bool = False,
) -> list[PrincipleResult]:
    """`ratings`: question_id, answer ('1'..'5', 'na', 'dk'), rating; `agreed`: question_id, rating, reason.

    Medians and spreads the disclosure rule withholds are None; a principle's score is the mean of the
    question scores that are published, so it never carries a withheld one.
    """
    stats = {r["question_id"]: r for r in question_stats(ratings).iter_rows(named=True)} if ratings.height else {}
    people = ratings["participant_code"].n_unique() if ratings.height and "participant_code" in ratings.columns \
        else 0
    agreed_map: dict[str, tuple[int, str]] = {}
    if agreed is not None:
        for r in agreed.iter_rows(named=True):
            agreed_map[r["question_id"]] = (int(r["rating"]), str(r["reason"]))
    return aggregate_stats(framework, stats, people, agreed_map, rules, thresholds, groups_shown)


def aggregate_stats(
    framework: Framework,
    stats: Mapping[str, Mapping[str, Any]],
    people: int,
    agreed: Mapping[str, tuple[int, str]],
    rules: PrincipleRules = RULES.principles,
    thresholds: Thresholds = DEFAULT,
    groups_shown: bool = False,
) -> list[PrincipleResult]:
    """`aggregate` from one round's `question_stats` rows (question_id -> row), its number of participants and
    its agreed ratings (question_id -> (rating, reason)): a cohort computes the statistics of all its rounds
    in one pass and each round's results here."""
    out = []
    for p in framework.principles:
        qs = []
        applicable = 0  # counted as the questions are made, not by a generator a principle afterwards
        for q in p.questions:
            ag = agreed.get(q.id)
            s = stats.get(q.id)
            if not s:
                qs.append(QuestionResult(q.id, 0, None, None, None, None, None, 0.0, 0, False,
                                         ag[0] if ag else None, ag[1] if ag else None, 0, max(0, people)))
                applicable += 1
                continue
            # Each value read once: a cohort runs this for every question of every round it shows.
            n, n_dk = int(s["n"]), int(s["n_dk"])
            asked = n + n_dk
            n_na = int(s["n_na"])
            mid = median_disclosed(n, thresholds)
            spread = mid and spread_disclosed(s["values"], thresholds, groups_shown)
            q1 = float(s["q1"]) if spread else None
            q3 = float(s["q3"]) if spread else None
            low = int(s["low"]) if spread else None
            high = int(s["high"]) if spread else None
            iqr = (s["q3"] - s["q1"]) if spread else None
            rng = (s["high"] - s["low"]) if spread else None
            qs.append(QuestionResult(
                question_id=q.id,
                n=n,
                median=float(s["median"]) if mid else None,
                q1=q1,
                q3=q3,
                low=low,
                high=high,
                share_dont_know=(n_dk / asked) if asked else 0.0,
                n_not_applicable=n_na,
                # Computed from the spread, so withheld with it (a flag is a coarse spread).
                disagreement=_disagree(n, iqr, rng, rules),
                agreed=ag[0] if ag else None,
                agreed_reason=ag[1] if ag else None,
                n_dont_know=n_dk,
                n_blank=max(0, people - int(s["n_people"])),
            ))
            applicable += not qs[-1].not_applicable
        scores = [q.score for q in qs if q.score is not None]
        coverage = len(scores) / applicable if applicable else 0.0
        score = sum(scores) / len(scores) if scores and coverage >= rules.min_coverage else None
        out.append(PrincipleResult(p.id, score, coverage, len(qs), len(scores), qs, applicable))
    return out


def principle_results(framework: Framework, stats: pl.DataFrame, rounds: pl.DataFrame, agreed: pl.DataFrame,
                      by: Sequence[str], rules: PrincipleRules = RULES.principles,
                      thresholds: Thresholds = DEFAULT) -> tuple[pl.DataFrame, pl.DataFrame]:
    """`aggregate_stats` of many rounds in one polars pass (tests/test_ratings.py checks the two agree).

    `stats`: `question_stats(..., by=by, values=False)`; `rounds`: the rounds wanted (columns of `by`), each with
    `people` (its participants) and `groups_shown` (its stakeholder groups are shown); `agreed`: by,
    question_id, rating, reason. Returns the question rows (by, principle_id, the QuestionResult fields and
    `iqr`, `score`, `not_applicable`), in the framework's order, and the principle rows (by, principle_id,
    score, coverage, n_answered, n_applicable, n_ratings, n_not_applicable_dont_know, n_blank, disagreements).
    Which medians and spreads are published is decided by score/disclosure.py's rule, in its polars form.
    """
    keys = list(by)
    grid = pl.DataFrame(
        [(p.id, i, q.id, j) for i, p in enumerate(framework.principles) for j, q in enumerate(p.questions)],
        schema={"principle_id": pl.String, "_p": pl.Int64, "question_id": pl.String, "_q": pl.Int64},
        orient="row")
    ag = agreed.select(*keys, "question_id", pl.col("rating").cast(pl.Int64).alias("agreed"),
                       pl.col("reason").cast(pl.String).alias("agreed_reason"))
    q = (rounds.select(*keys, "people", "groups_shown").join(grid, how="cross")
         .join(stats, on=[*keys, "question_id"], how="left")
         .join(ag, on=[*keys, "question_id"], how="left"))
    n = pl.col("n").fill_null(0).cast(pl.Int64)
    n_dk = pl.col("n_dk").fill_null(0).cast(pl.Int64)
    n_na = pl.col("n_na").fill_null(0).cast(pl.Int64)
    q = q.with_columns(n.alias("n"), n_dk.alias("n_dont_know"), n_na.alias("n_not_applicable"),
                       median_disclosed_expr(n, thresholds).alias("_mid"))
    q = q.with_columns((pl.col("_mid") & spread_disclosed_expr(pl.col("n_values"), pl.col("most_equal"),
                                                                pl.col("groups_shown"), thresholds)
                        ).fill_null(False).alias("_spread"))
    spread = pl.col("_spread")
    asked = pl.col("n") + pl.col("n_dont_know")
    q = q.with_columns(
        pl.when(pl.col("_mid")).then(pl.col("median").cast(pl.Float64)).alias("median"),
        pl.when(spread).then(pl.col("q1").cast(pl.Float64)).alias("q1"),
        pl.when(spread).then(pl.col("q3").cast(pl.Float64)).alias("q3"),
        pl.when(spread).then(pl.col("low").cast(pl.Int64)).alias("low"),
        pl.when(spread).then(pl.col("high").cast(pl.Int64)).alias("high"),
        pl.when(asked > 0).then(pl.col("n_dont_know") / asked).otherwise(0.0).alias("share_dont_know"),
        (pl.col("people") - pl.col("n_people").fill_null(0)).clip(lower_bound=0).cast(pl.Int64).alias("n_blank"),
    ).with_columns(
        (pl.col("q3") - pl.col("q1")).alias("iqr"),
        pl.when(pl.col("agreed").is_not_null()).then(pl.col("agreed").cast(pl.Float64))
        .otherwise(pl.col("median")).alias("score"),
        ((pl.col("n") == 0) & (pl.col("n_dont_know") == 0) & (pl.col("n_not_applicable") > 0)
         ).alias("not_applicable"),
    )
    # _disagree: computed from the spread, so withheld with it.
    q = q.with_columns(
        ((pl.col("n") >= 2) & spread
         & ((pl.col("iqr") >= rules.disagreement_iqr)
            | ((pl.col("n") >= rules.disagreement_min_n)
               & ((pl.col("high") - pl.col("low")) >= rules.disagreement_range)))).fill_null(False)
        .alias("disagreement"),
    ).sort(*keys, "_p", "_q")
    n_scores = pl.col("score").count()
    applicable = (~pl.col("not_applicable")).sum()
    p = q.group_by(*keys, "principle_id", "_p", maintain_order=True).agg(
        n_scores.cast(pl.Int64).alias("n_answered"),
        applicable.cast(pl.Int64).alias("n_applicable"),
        pl.col("score").sum().alias("_sum"),
        pl.col("n").sum().alias("n_ratings"),
        (pl.col("n_not_applicable") + pl.col("n_dont_know")).sum().alias("n_not_applicable_dont_know"),
        pl.col("n_blank").sum().alias("n_blank"),
        pl.col("question_id").filter(pl.col("disagreement")).alias("disagreements"),
    )
    coverage = pl.when(pl.col("n_applicable") > 0).then(pl.col("n_answered") / pl.col("n_applicable")) \
        .otherwise(0.0)
    p = p.with_columns(coverage.alias("coverage")).with_columns(
        # The question scores are medians (halves) or agreed ratings (whole numbers): their sum is exact in any
        # order, so this mean is the one aggregate_stats computes.
        pl.when((pl.col("n_answered") > 0) & (pl.col("coverage") >= rules.min_coverage))
        .then(pl.col("_sum") / pl.col("n_answered")).alias("score"))
    return (q.drop("_p", "_q", "_mid", "_spread", "people", "groups_shown", "n_values", "most_equal", "n_dk",
                   "n_na", "n_people"),
            p.drop("_p", "_sum"))


def _sizes(people: pl.DataFrame, keys: list[str]) -> dict[tuple[Any, ...], dict[str, int]]:
    """Participants of each stakeholder group of each round (each value of `keys`)."""
    sizes: dict[tuple[Any, ...], dict[str, int]] = {}
    for row in people.group_by(*keys, "stakeholder_group").agg(pl.col("participant_code").n_unique()).iter_rows():
        sizes.setdefault(tuple(row[:-2]), {})[str(row[-2])] = int(row[-1])
    return sizes


def _plans_frame(plans: Mapping[tuple[Any, ...], Mapping[str, str]], like: pl.DataFrame,
                 keys: list[str]) -> pl.DataFrame:
    rows = [(*key, g, label) for key, plan in plans.items() for g, label in plan.items()]
    schema: dict[str, pl.DataType | type[pl.DataType]] = {k: like.schema[k] for k in keys}
    schema |= {"stakeholder_group": pl.String, "group": pl.String}
    return pl.DataFrame(rows, schema=schema, orient="row")


def disclosed_plans(ratings: pl.DataFrame, people: pl.DataFrame, t: Thresholds, by: Sequence[str] = (),
                    screen: bool = True) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """The group plans the outputs publish: disclosure.group_plan of each round (each value of `by`) from its
    groups' sizes, less the groups whose published cells score/disclosure.pinned_cell finds readable. Such a group
    is merged with the small ones and its round's plan made again; a readable merged group leaves the round
    without a group table.

    `ratings` with `stakeholder_group` filled ("" for none), `people` their distinct by, stakeholder_group and
    participant_code. Returns the plans and, when every numeric rating is on the scale, each group's counts of
    the scale by question (`by`, stakeholder_group, question_id, _c1.._c5), from which the group medians follow.
    Only rounds the set-based screen (`_suspect_cells`) cannot clear are looked at question by question;
    `screen=False` looks at every round, the reference tests/test_disclosure.py holds the screen to.
    """
    keys = list(by)
    sizes = _sizes(people, keys)
    plans = {key: group_plan(round_sizes, t) for key, round_sizes in sizes.items()}
    labels = _plans_frame(plans, people, keys)
    numeric = ratings.with_columns(pl.col("answer").is_in(NUMERIC).alias("_numeric"))
    per_group = None
    if _on_scale(numeric):
        per_group = (numeric.with_columns(*_scale_flags()).group_by(*keys, "stakeholder_group", "question_id")
                     .agg(c.sum() for c in _COUNTS))
    by_round: dict[tuple[Any, ...], dict[str, dict[str, list[int]]]] = {}
    if per_group is not None:
        look = per_group
        if screen:
            suspects = _suspect_cells(per_group, labels, t, keys)
            look = per_group.clear() if suspects.height == 0 else \
                per_group.join(suspects.select(keys).unique(), on=keys, how="semi") if keys else per_group
        for row in look.iter_rows():
            given = [v for v, n in zip(_SCALE, row[-len(_SCALE):], strict=True) for _ in range(n)]
            by_round.setdefault(tuple(row[:len(keys)]), {}).setdefault(row[len(keys) + 1], {})[row[len(keys)]] = \
                given
    else:  # ratings off the scale: every round looked at from its ratings
        for row in (numeric.filter("_numeric").group_by(*keys, "question_id", "stakeholder_group")
                    .agg(pl.col("rating")).iter_rows()):
            by_round.setdefault(tuple(row[:-3]), {}).setdefault(row[-3], {})[row[-2]] = row[-1]
    changed = False
    for key, questions in by_round.items():
        plan = _unpinned_plan(questions, sizes[key], plans[key], t)
        changed |= plan != plans[key]
        plans[key] = plan
    return (_plans_frame(plans, people, keys) if changed else labels), per_group


def _suspect_cells(per_group: pl.DataFrame, labels: pl.DataFrame, t: Thresholds, keys: list[str]) -> pl.DataFrame:
    """The cells (`keys`, group, question) that need pinned_cell's look (their rounds are looked at whole): a
    published cell whose raters all gave one rating v that one of them could not have changed to v - 1 or
    v + 1 without moving the question's median. `per_group`: counts of each rating (`_c1`..`_c5`) by `keys`,
    stakeholder group and question; `labels`: the plans' rows.

    Any other cell passes pinned_cell's first test, and moving one rating one step is enough to know: a
    further move changes the same order statistics and more. With the question's ratings sorted, v - 1 would
    take the place of the first v (index `below`, the count of ratings under v) and v + 1 that of the last
    (`upto` - 1); the median (indices (n - 1) // 2 and n // 2) moves exactly when that index is one of its two.
    """
    cells = (per_group.join(labels, on=[*keys, "stakeholder_group"], how="inner")
             .group_by(*keys, "group", "question_id").agg(c.sum() for c in _COUNTS))
    given = [c > 0 for c in _COUNTS]
    agreed = (cells.filter((pl.sum_horizontal(_COUNTS) >= t.k_mean) & (pl.sum_horizontal(given) == 1))
              .select(*keys, "group", "question_id",
                      pl.coalesce(pl.when(g).then(v) for g, v in zip(given, _SCALE, strict=True)).alias("v")))
    if agreed.height == 0:
        return agreed
    questions = per_group.group_by(*keys, "question_id").agg(c.sum() for c in _COUNTS)
    v = pl.col("v")
    counted = agreed.join(questions, on=[*keys, "question_id"]).with_columns(
        pl.sum_horizontal(_COUNTS).alias("n"),
        pl.sum_horizontal(pl.when(v > j).then(c).otherwise(0) for j, c in zip(_SCALE, _COUNTS, strict=True))
        .alias("below"),
        pl.sum_horizontal(pl.when(v >= j).then(c).otherwise(0) for j, c in zip(_SCALE, _COUNTS, strict=True))
        .alias("upto"))
    a, b = (pl.col("n") - 1) // 2, pl.col("n") // 2
    down, up = pl.col("below"), pl.col("upto") - 1
    moves = (((v > _SCALE[0]) & (down != a) & (down != b)) | ((v < _SCALE[-1]) & (up != a) & (up != b)))
    return counted.filter(~moves)


def _unpinned_plan(questions: Mapping[str, Mapping[str, list[int]]], sizes: Mapping[str, int],
                   plan: dict[str, str], t: Thresholds) -> dict[str, str]:
    """One round's plan with no cell pinned_cell finds readable. `questions`: question -> stakeholder group ->
    numeric ratings. The questions are looked at in id order: which readable cell is merged first decides the
    plan, and the order of the rows (a polars group-by's, the screen's join) must not."""
    merge: set[str] = set()
    while plan:
        pinned = None
        for _, per_group in sorted(questions.items()):
            grouped: dict[str | None, list[int]] = {}
            for g, values in per_group.items():
                grouped.setdefault(plan.get(g), []).extend(values)
            pinned = pinned_cell(grouped, t)
            if pinned is not None:
                break
        if pinned is None:
            return plan
        if pinned == MERGED_GROUP:
            return {}
        merge.add(pinned)
        plan = group_plan(sizes, t, merge)
    return plan


def group_medians(ratings: pl.DataFrame, by: Sequence[str], k_mean: int, counted: bool | None = None) -> pl.DataFrame:
    """The median rating of each question by each group (`by`, `group`, question_id, median, n) where at least
    `k_mean` ratings are behind it (the group table's rule).

    `counted` (None: whenever every numeric answer's rating is on the scale) reads the medians off each group's
    five counts of the scale, as `question_stats` does, so that the group-by only sums plain columns; False sorts
    each group's ratings (polars' `median`), the reference tests/test_ratings.py holds the counted form to.
    """
    keys = list(by)
    numeric = ratings.with_columns(pl.col("answer").is_in(NUMERIC).alias("_numeric"))
    if counted is None:
        counted = _on_scale(numeric)
    if not counted:
        return (numeric.filter("_numeric").group_by(*keys, "group", "question_id")
                .agg(pl.col("rating").median().alias("median"), pl.col("rating").count().alias("n"))
                .filter(pl.col("n") >= k_mean))
    # On the scale, every numeric answer has a rating: the counts add up to `count()` of the ratings.
    return _counted_medians(numeric.with_columns(*_scale_flags()), keys, k_mean)


def _counted_medians(flags: pl.DataFrame, keys: list[str], k_mean: int) -> pl.DataFrame:
    """`group_medians` from rows of counts of the scale (`_c1`..`_c5`, summed by `keys`, group, question)."""
    return (flags.group_by(*keys, "group", "question_id").agg(*(c.sum() for c in _COUNTS))
            .with_columns(pl.sum_horizontal(_COUNTS).cast(pl.UInt32).alias("n")).filter(pl.col("n") >= k_mean)
            .select(*keys, "group", "question_id", _scale_quantile(0.5).cast(pl.Float64).alias("median"), "n"))


def round_plans(ratings: pl.DataFrame, t: Thresholds,
                by: Sequence[str] = ()) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """`disclosed_plans` of the ratings (stakeholder groups filled) and their people, as `group_breakdown` makes them:
    a caller that needs the plans beside the breakdown (the partner types) makes them once and passes them."""
    ratings = ratings.with_columns(pl.col("stakeholder_group").fill_null(""))
    return disclosed_plans(ratings, ratings.select(*by, "stakeholder_group", "participant_code").unique(), t, list(by))


def group_breakdown(framework: Framework, ratings: pl.DataFrame, min_group_size: int,
                    thresholds: Thresholds | None = None, by: Sequence[str] = (),
                    made: tuple[pl.DataFrame, pl.DataFrame | None] | None = None) -> pl.DataFrame:
    """Principle scores by stakeholder group, as score/disclosure.group_plan allows them.

    Returns group, principle_id, n_participants, score: the mean of the group's question medians, each
    counted only when the group gave enough ratings to that question. With `by` (e.g. partnership and round)
    the same for each of its values at once, those columns first; each value's rows are what its ratings
    alone give. `made`: `round_plans` of the same ratings, when the caller has made them.
    """
    t = thresholds or Thresholds(k_mean=max(min_group_size, DEFAULT.k_mean))
    keys = list(by)
    schema: dict[str, pl.DataType | type[pl.DataType]] = {k: ratings.schema[k] for k in keys}
    schema |= {"group": pl.String, "principle_id": pl.String, "n_participants": pl.Int64, "score": pl.Float64}
    if ratings.height == 0:
        return pl.DataFrame(schema=schema)
    ratings = ratings.with_columns(pl.col("stakeholder_group").fill_null(""))
    # Who is in which group of each round, once: the plans and the shown groups' sizes count these few rows (a
    # person a group), not the ratings (a person a question) twice over.
    people = ratings.select(*keys, "stakeholder_group", "participant_code").unique()
    plans, per_group = disclosed_plans(ratings, people, t, keys) if made is None else made
    if plans.height == 0:
        return pl.DataFrame(schema=schema)
    keep = (people.join(plans, on=[*keys, "stakeholder_group"], how="inner")
            .group_by(*keys, "group").agg(pl.col("participant_code").n_unique().alias("n_participants")))
    if per_group is not None:  # the groups' counts the plans were checked on give their medians
        per_q = _counted_medians(per_group.join(plans, on=[*keys, "stakeholder_group"], how="inner"), keys, t.k_mean)
    else:
        per_q = group_medians(ratings.join(plans, on=[*keys, "stakeholder_group"], how="inner"), keys, t.k_mean)
    per_q = per_q.with_columns(pl.col("question_id").str.split(".").list.first().alias("principle_id"))
    scores = per_q.group_by(*keys, "group", "principle_id").agg(pl.col("median").mean().alias("score"))
    # Every shown group on every principle, a score or None: a group whose row went missing where it gave too
    # few ratings would change which people a reader counts as "not shown".
    grid = keep.join(pl.DataFrame({"principle_id": [p.id for p in framework.principles]}), how="cross")
    return (
        grid.join(scores, on=[*keys, "group", "principle_id"], how="left")
        .select(*keys, "group", "principle_id", "n_participants", "score")
        .sort(*keys, "group", "principle_id")
    )


def partner_type_ratings(ratings: pl.DataFrame, mapping: Mapping[str, str] | pl.DataFrame, min_group_size: int,
                         thresholds: Thresholds | None = None, by: Sequence[str] = (),
                         plans: pl.DataFrame | None = None) -> pl.DataFrame:
    """The ratings with each stakeholder group replaced by its partner type (seed 003), for the group table's
    disclosure rule (`group_breakdown`) to break down by type.

    Each type is a union of whole stakeholder groups that the group table itself shows on their own (the
    disclosure module's group plan); the people the group table merges keep the merged group whatever their
    type, and those it leaves out are left out here too. So the type table cuts the room no finer than the
    group table already does, and no difference between the two tables isolates anyone.

    `mapping`: stakeholder group -> partner type; or, for a cohort, a frame of partner_type by
    stakeholder_group and the columns of `by` it depends on (e.g. partnership_id), with the plans made per
    value of `by`. `plans`: the group table's plans (`round_plans`), when the caller has made them.
    """
    if ratings.height == 0:
        return ratings
    t = thresholds or Thresholds(k_mean=max(min_group_size, DEFAULT.k_mean))
    keys = list(by)
    if not isinstance(mapping, pl.DataFrame):
        mapping = pl.DataFrame({"stakeholder_group": list(mapping), "partner_type": list(mapping.values())},
                               schema={"stakeholder_group": pl.String, "partner_type": pl.String})
    on = [c for c in mapping.columns if c != "partner_type"]
    ratings = ratings.with_columns(pl.col("stakeholder_group").fill_null(""))
    if plans is None:
        plans = round_plans(ratings, t, keys)[0]
    r = ratings.join(plans, on=[*keys, "stakeholder_group"], how="inner").join(
        mapping.rename({"partner_type": "_type"}), on=on, how="left")
    # Groups shown on their own are labelled with themselves; the rest went into the merged group.
    return r.with_columns(
        pl.when(pl.col("group") == pl.col("stakeholder_group")).then(pl.col("_type").fill_null(UNCLASSIFIED))
        .otherwise(pl.lit(MERGED_GROUP)).alias("stakeholder_group")).drop("group", "_type")


def types_pin_a_cell(typed: pl.DataFrame, t: Thresholds, by: Sequence[str],
                     type_plans: pl.DataFrame | None = None) -> set[tuple[Any, ...]]:
    """The values of `by` (rounds) whose group table and partner-type table, read together, let a reader tell
    that everyone of a published cell gave one rating (score/disclosure.pinned_jointly): their type tables are
    withheld. Each table passed the rule on its own; this is the check of the two side by side.

    `typed`: `partner_type_ratings`' rows (the type table is made from them) with `_own`, each rating's own
    stakeholder group: a group the group table shows on its own is its own cell there, the rest are the merged
    group (partner_type_ratings labels them so). Only rounds with a type cell that is not also one of the group
    table's cells are looked at: when every type is a group of its own and nothing more is merged, the type table
    publishes nothing the group table does not. `type_plans`: the type table's plans (`round_plans` of `typed`), when
    the caller has made them.
    """
    keys = list(by)
    if typed.height == 0:
        return set()
    if type_plans is None:
        type_plans = round_plans(typed, t, keys)[0]
    # Each stakeholder group's cell in either table: (round, own group) -> group cell, type cell.
    merged = pl.col("stakeholder_group") == MERGED_GROUP
    cells_of = (typed.select(*keys, "_own", "stakeholder_group").unique()
                .join(type_plans.rename({"group": "_type_cell"}), on=[*keys, "stakeholder_group"], how="inner")
                .with_columns(pl.when(merged).then(pl.lit(MERGED_GROUP)).otherwise(pl.col("_own")).alias("_group_cell")))
    tables: dict[tuple[Any, ...], tuple[dict[str, set[str]], dict[str, set[str]]]] = {}
    for row in cells_of.select(*keys, "_own", "_group_cell", "_type_cell").iter_rows():
        groups, types = tables.setdefault(tuple(row[:len(keys)]), ({}, {}))
        own, group_cell, type_cell = row[len(keys):]
        groups.setdefault(group_cell, set()).add(own)
        types.setdefault(type_cell, set()).add(own)
    cells = {key: {frozenset(c) for c in (*groups.values(), *types.values())}
             for key, (groups, types) in tables.items()
             if {frozenset(c) for c in types.values()} - {frozenset(c) for c in groups.values()}}
    if not cells:
        return set()
    numeric = (typed.filter(pl.col("answer").is_in(NUMERIC) & pl.col("rating").is_not_null())
               .select(*keys, "question_id", "_own", "rating"))
    # Only a question with a published cell whose raters all gave one rating can pin anyone: those are found here,
    # for every round at once, and only they are looked at one by one.
    members = pl.DataFrame([(*key, i, g) for key, round_cells in cells.items()
                            for i, cell in enumerate(sorted(round_cells, key=sorted)) for g in cell],
                           schema={**{k: typed.schema[k] for k in keys}, "_cell": pl.Int64, "_own": pl.String},
                           orient="row")
    agreed = (numeric.join(members, on=[*keys, "_own"], how="inner")
              .group_by(*keys, "question_id", "_cell")
              .agg(pl.len().alias("n"), pl.col("rating").min().alias("lo"), pl.col("rating").max().alias("hi"))
              .filter((pl.col("n") >= t.k_mean) & (pl.col("lo") == pl.col("hi")))
              .select(*keys, "question_id").unique())
    by_question: dict[tuple[Any, ...], dict[str, dict[str, list[int]]]] = {}
    for row in (numeric.join(agreed, on=[*keys, "question_id"], how="semi")
                .group_by(*keys, "question_id", "_own").agg(pl.col("rating")).iter_rows()):
        by_question.setdefault(tuple(row[:len(keys)]), {}).setdefault(row[-3], {})[row[-2]] = list(row[-1])
    return {key for key, per_question in by_question.items()
            if any(pinned_jointly(per_group, cells[key], t) is not None for per_group in per_question.values())}
