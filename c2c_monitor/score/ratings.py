"""Workshop ratings: per-question consensus and spread, principle scores, group breakdowns.

Individual ratings stay in the store; what leaves this module is aggregate only,
and stakeholder groups below the minimum size are merged (or suppressed when
even the merged group is too small), so one participant's answer cannot be read back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from c2c_monitor.definitions.principles import Framework
from c2c_monitor.definitions.rules import RULES, PrincipleRules

MERGED_GROUP = "other groups (merged)"


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

    @property
    def insufficient(self) -> bool:
        return self.score is None


def _disagree(n: int, iqr: float | None, rng: float | None, rules: PrincipleRules) -> bool:
    if n < 2 or iqr is None or rng is None:
        return False
    return iqr >= rules.disagreement_iqr or (n >= rules.disagreement_min_n and rng >= rules.disagreement_range)


def question_stats(ratings: pl.DataFrame, by: Sequence[str] = ()) -> pl.DataFrame:
    """Per question (and per `by`, e.g. partnership and round, for a whole cohort in one pass): counts, median,
    quartiles, range, share of "don't know"."""
    num = pl.col("rating").filter(pl.col("answer").is_in(["1", "2", "3", "4", "5"]))
    return ratings.group_by(*by, "question_id").agg(
        num.count().alias("n"),
        num.median().alias("median"),
        num.quantile(0.25, interpolation="linear").alias("q1"),
        num.quantile(0.75, interpolation="linear").alias("q3"),
        num.min().alias("low"),
        num.max().alias("high"),
        (pl.col("answer") == "dk").sum().alias("n_dk"),
        (pl.col("answer") == "na").sum().alias("n_na"),
    )


def aggregate(
    framework: Framework,
    ratings: pl.DataFrame,
    agreed: pl.DataFrame | None = None,
    rules: PrincipleRules = RULES.principles,
) -> list[PrincipleResult]:
    """`ratings`: question_id, answer ('1'..'5', 'na', 'dk'), rating; `agreed`: question_id, rating, reason."""
    stats = {r["question_id"]: r for r in question_stats(ratings).iter_rows(named=True)} if ratings.height else {}
    return aggregate_stats(framework, stats, agreed, rules)


def aggregate_stats(
    framework: Framework,
    stats: dict[str, dict[str, Any]],
    agreed: pl.DataFrame | None = None,
    rules: PrincipleRules = RULES.principles,
) -> list[PrincipleResult]:
    """`aggregate` from `question_stats` rows already computed (question_id -> row), e.g. for a whole cohort."""
    agreed_map: dict[str, tuple[int, str]] = {}
    if agreed is not None:
        for r in agreed.iter_rows(named=True):
            agreed_map[r["question_id"]] = (int(r["rating"]), str(r["reason"]))
    out = []
    for p in framework.principles:
        qs = []
        for q in p.questions:
            s = stats.get(q.id)
            n = int(s["n"]) if s else 0
            asked = n + (int(s["n_dk"]) if s else 0)
            iqr = (s["q3"] - s["q1"]) if s and n else None
            rng = (s["high"] - s["low"]) if s and n else None
            ag = agreed_map.get(q.id)
            qs.append(QuestionResult(
                question_id=q.id,
                n=n,
                median=float(s["median"]) if s and n else None,
                q1=float(s["q1"]) if s and n else None,
                q3=float(s["q3"]) if s and n else None,
                low=int(s["low"]) if s and n else None,
                high=int(s["high"]) if s and n else None,
                share_dont_know=(int(s["n_dk"]) / asked) if s and asked else 0.0,
                n_not_applicable=int(s["n_na"]) if s else 0,
                disagreement=_disagree(n, iqr, rng, rules),
                agreed=ag[0] if ag else None,
                agreed_reason=ag[1] if ag else None,
            ))
        scores = [q.score for q in qs if q.score is not None]
        coverage = len(scores) / len(qs)
        score = sum(scores) / len(scores) if scores and coverage >= rules.min_coverage else None
        out.append(PrincipleResult(p.id, score, coverage, len(qs), len(scores), qs))
    return out


def group_breakdown(framework: Framework, ratings: pl.DataFrame, min_group_size: int,
                    by: Sequence[str] = ()) -> pl.DataFrame:
    """Principle medians by stakeholder group, with small groups merged and still-small ones dropped.

    Returns group, principle_id, n_participants, score (mean of question medians in the group); with `by`
    (e.g. partnership and round) the same for each of its values at once, those columns first.
    """
    keys = list(by)
    if ratings.height == 0:
        return pl.DataFrame(schema={**{k: pl.String for k in keys}, "group": pl.String, "principle_id": pl.String,
                                    "n_participants": pl.Int64, "score": pl.Float64})
    sizes = ratings.group_by(*keys, "stakeholder_group").agg(pl.col("participant_code").n_unique().alias("size"))
    big = sizes.filter(pl.col("size") >= min_group_size).select(*keys, "stakeholder_group",
                                                                 pl.lit(True).alias("_big"))
    # A left join (nulls never match) marks the big groups of each key, as a membership test did for one.
    r = ratings.join(big, on=[*keys, "stakeholder_group"], how="left").with_columns(
        pl.when(pl.col("_big").fill_null(False))
        .then(pl.col("stakeholder_group")).otherwise(pl.lit(MERGED_GROUP)).alias("group")
    )
    sizes2 = r.group_by(*keys, "group").agg(pl.col("participant_code").n_unique().alias("n_participants"))
    keep = sizes2.filter(pl.col("n_participants") >= min_group_size)
    r = r.join(keep, on=[*keys, "group"], how="inner")
    num = r.filter(pl.col("answer").is_in(["1", "2", "3", "4", "5"]))
    per_q = num.group_by(*keys, "group", "question_id").agg(pl.col("rating").median().alias("median"))
    per_q = per_q.with_columns(pl.col("question_id").str.split(".").list.first().alias("principle_id"))
    return (
        per_q.group_by(*keys, "group", "principle_id").agg(pl.col("median").mean().alias("score"))
        .join(keep, on=[*keys, "group"])
        .select(*keys, "group", "principle_id", "n_participants", "score")
        .sort(*keys, "group", "principle_id")
    )
