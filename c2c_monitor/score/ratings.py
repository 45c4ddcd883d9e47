"""Workshop ratings: per-question consensus and spread, principle scores, group breakdowns.

Individual ratings stay in the store; what leaves this module is aggregate only,
and stakeholder groups below the minimum size are merged (or suppressed when
even the merged group is too small), so one participant's answer cannot be read back.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from c2c_monitor.definitions.principles import Framework
from c2c_monitor.definitions.rules import RULES, PrincipleRules

MERGED_GROUP = "other groups (merged)"
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


def question_stats(ratings: pl.DataFrame) -> pl.DataFrame:
    """Per question: counts, median, quartiles, range, share of "don't know"."""
    num = pl.col("rating").filter(pl.col("answer").is_in(["1", "2", "3", "4", "5"]))
    return ratings.group_by("question_id").agg(
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


def group_breakdown(framework: Framework, ratings: pl.DataFrame, min_group_size: int) -> pl.DataFrame:
    """Principle medians by stakeholder group, with small groups merged and still-small ones dropped.

    Returns group, principle_id, n_participants, score (mean of question medians in the group).
    """
    if ratings.height == 0:
        return pl.DataFrame(schema={"group": pl.String, "principle_id": pl.String,
                                    "n_participants": pl.Int64, "score": pl.Float64})
    sizes = ratings.group_by("stakeholder_group").agg(pl.col("participant_code").n_unique().alias("size"))
    big = set(sizes.filter(pl.col("size") >= min_group_size)["stakeholder_group"].to_list())
    r = ratings.with_columns(
        pl.when(pl.col("stakeholder_group").is_in(list(big)))
        .then(pl.col("stakeholder_group")).otherwise(pl.lit(MERGED_GROUP)).alias("group")
    )
    sizes2 = r.group_by("group").agg(pl.col("participant_code").n_unique().alias("n_participants"))
    keep = sizes2.filter(pl.col("n_participants") >= min_group_size)
    r = r.join(keep, on="group", how="inner")
    num = r.filter(pl.col("answer").is_in(["1", "2", "3", "4", "5"]))
    per_q = num.group_by("group", "question_id").agg(pl.col("rating").median().alias("median"))
    per_q = per_q.with_columns(pl.col("question_id").str.split(".").list.first().alias("principle_id"))
    return (
        per_q.group_by("group", "principle_id").agg(pl.col("median").mean().alias("score"))
        .join(keep, on="group")
        .select("group", "principle_id", "n_participants", "score")
        .sort("group", "principle_id")
    )


def partner_type_ratings(ratings: pl.DataFrame, mapping: dict[str, str], min_group_size: int) -> pl.DataFrame:
    """The ratings with each stakeholder group replaced by its partner type (seed 003), for the group table's
    disclosure rule (`group_breakdown`) to break down by type.

    Each type is a union of whole stakeholder groups that the group table itself shows (at least
    `min_group_size` people); the people of smaller groups keep the merged group whatever their type, exactly
    as in the group table. So the type table cuts the room no finer than the group table already does, and
    no difference between the two tables isolates anyone.
    """
    if ratings.height == 0:
        return ratings
    sizes = ratings.group_by("stakeholder_group").agg(pl.col("participant_code").n_unique().alias("size"))
    shown = set(sizes.filter(pl.col("size") >= min_group_size)["stakeholder_group"].to_list())
    label = pl.col("stakeholder_group").replace_strict(mapping, default=UNCLASSIFIED, return_dtype=pl.String)
    return ratings.with_columns(
        pl.when(pl.col("stakeholder_group").is_in(list(shown))).then(label).otherwise(pl.lit(MERGED_GROUP))
        .alias("stakeholder_group"))
