"""Workshop aggregation: the pilot profile, and properties of the principle score."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from c2c_monitor.definitions.principles import load_framework
from c2c_monitor.score.assess import principle_rows
from c2c_monitor.score.disclosure import Thresholds
from c2c_monitor.score.ratings import aggregate, group_breakdown, group_medians, principle_results, question_stats
from c2c_monitor.store.workspace import open_workspace

FW = load_framework()
P01_QUESTIONS = [q.id for q in FW.principle("P01").questions]


def test_demo_round_one_reproduces_the_published_pilot_profile(demo_ws) -> None:
    with open_workspace(demo_ws) as ws:
        ids = [r[0] for r in ws.con.execute("SELECT partnership_id FROM partnerships").fetchall()]
        scores: dict[str, list[float]] = {}
        for pid in ids:
            view = principle_rows(ws.con, FW, pid, None, round_id="2022-pilot")
            assert view.current == "2022-pilot"
            for r in view.principles:
                assert r.score is not None
                scores.setdefault(r.id, []).append(r.score)
    assert len(ids) == 27
    mean = {k: sum(v) / len(v) for k, v in scores.items()}
    assert mean["P06"] == pytest.approx(3.70, abs=0.05)
    assert mean["P01"] == pytest.approx(3.44, abs=0.05)
    assert mean["P08"] == pytest.approx(3.12, abs=0.05)
    others = {k: v for k, v in mean.items() if k not in ("P06", "P01", "P08")}
    assert all(v < 3 for v in others.values())
    assert min(mean, key=mean.get) == "P09"


answers = st.sampled_from(["1", "2", "3", "4", "5", "na", "dk"])


def _frame(rows: list[tuple[str, str, str]]) -> pl.DataFrame:
    return pl.DataFrame(
        [{"participant_code": p, "question_id": q, "answer": a, "rating": int(a) if a.isdigit() else None,
          "stakeholder_group": "civil_society"} for p, q, a in rows],
        schema={"participant_code": pl.String, "question_id": pl.String, "answer": pl.String,
                "rating": pl.Int64, "stakeholder_group": pl.String})


workshop = st.lists(st.tuples(st.sampled_from([f"X{i}" for i in range(8)]), st.sampled_from(P01_QUESTIONS),
                              answers), min_size=1, max_size=60, unique_by=lambda r: (r[0], r[1]))


@given(workshop)
def test_principle_score_within_scale(rows) -> None:
    p01 = aggregate(FW, _frame(rows))[0]
    if p01.score is not None:
        assert 1.0 <= p01.score <= 5.0
        assert p01.coverage >= 0.5


@given(workshop, st.randoms())
def test_principle_score_ignores_the_order_of_participants(rows, rnd) -> None:
    shuffled = list(rows)
    rnd.shuffle(shuffled)
    assert aggregate(FW, _frame(rows))[0].score == aggregate(FW, _frame(shuffled))[0].score


@given(workshop, st.lists(st.sampled_from(P01_QUESTIONS), max_size=6))
def test_not_applicable_answers_are_answers_not_numbers(rows, na_questions) -> None:
    """N/A never moves a median and never lowers coverage: it is an answer, unlike a blank (issue 17)."""
    extra = [(f"NA{i}", q, "na") for i, q in enumerate(na_questions)]
    a = aggregate(FW, _frame(rows))[0]
    b = aggregate(FW, _frame(rows + extra))[0]
    assert [q.median for q in a.questions] == [q.median for q in b.questions]
    assert b.coverage >= a.coverage
    assert sum(q.n_not_applicable for q in b.questions) == sum(q.n_not_applicable for q in a.questions) + len(extra)


def test_a_question_everyone_found_not_applicable_leaves_the_coverage() -> None:
    qs = P01_QUESTIONS
    rated = [(f"X{i}", q, "4") for i in range(3) for q in qs[:3]]
    na = [(f"X{i}", q, "na") for i in range(3) for q in qs[3:]]
    blank = rated  # the same people left the other questions empty
    with_na, with_blank = aggregate(FW, _frame(rated + na))[0], aggregate(FW, _frame(blank))[0]
    assert with_na.coverage == 1.0 and with_na.score == 4.0
    assert with_blank.coverage == 3 / len(qs)
    q_na, q_blank = with_na.questions[-1], with_blank.questions[-1]
    assert (q_na.n, q_na.n_not_applicable, q_na.n_blank) == (0, 3, 0)
    assert (q_blank.n, q_blank.n_not_applicable, q_blank.n_blank) == (0, 0, 3)


def test_medians_disagreement_and_agreed_rating() -> None:
    q = P01_QUESTIONS[0]
    rows = [("A", q, "1"), ("B", q, "1"), ("C", q, "5"), ("D", q, "5"), ("E", q, "3"), ("F", q, "dk")]
    agreed = pl.DataFrame({"question_id": [q], "rating": [4], "reason": ["evidence"]})
    res = aggregate(FW, _frame(rows), agreed)[0].questions[0]
    assert res.median == 3 and res.n == 5 and res.disagreement
    assert res.share_dont_know == pytest.approx(1 / 6)
    assert res.agreed == 4 and res.score == 4.0


def test_small_stakeholder_groups_are_merged_or_suppressed() -> None:
    q = P01_QUESTIONS[0]
    df = _frame([(f"C{i}", q, "4") for i in range(3)] + [("LONE", q, "1")])
    df = df.with_columns(pl.when(pl.col("participant_code") == "LONE").then(pl.lit("private_sector"))
                         .otherwise(pl.col("stakeholder_group")).alias("stakeholder_group"))
    out = group_breakdown(FW, df, 3)
    # Showing civil society beside the round total would leave the lone participant by subtraction: the
    # complementary rule merges civil society with them, and one merged group of everyone is not shown.
    assert out.height == 0


# A few questions of two principles, so that questions often gather the five ratings a spread needs.
TWO_PRINCIPLES = P01_QUESTIONS[:3] + [q.id for q in FW.principle("P02").questions][:2]
# A question's answers, participant by participant: often mostly the same rating (the withheld spreads).
question_answers = st.one_of(
    st.lists(st.sampled_from(["1", "2", "3", "4", "5", "na", "dk"]), max_size=9),
    st.tuples(st.sampled_from(["1", "3", "5"]), st.integers(0, 7), st.lists(st.sampled_from(["2", "4", "dk"]),
                                                                             max_size=2))
    .map(lambda t: [t[0]] * t[1] + t[2]))
rounds_of_answers = st.lists(st.tuples(
    st.dictionaries(st.sampled_from(TWO_PRINCIPLES), question_answers, max_size=len(TWO_PRINCIPLES))
    .map(lambda d: [(f"X{i}", q, a) for q, answers in d.items() for i, a in enumerate(answers)]),
    st.dictionaries(st.sampled_from(TWO_PRINCIPLES), st.integers(1, 5), max_size=3),
    st.booleans()), min_size=1, max_size=4)


@given(rounds_of_answers, st.integers(3, 4), st.integers(5, 6))
def test_a_cohort_aggregates_each_round_as_aggregate_does(rounds, k_mean: int, k_spread: int) -> None:
    """principle_results (all rounds in one polars pass) against aggregate (one round, the reference), with
    rounds where medians and spreads are withheld (few ratings, everyone but one agreeing, groups shown)."""
    t = Thresholds(k_mean=k_mean, k_spread=k_spread)
    frames, agreed, wanted = [], [], []
    for i, (rows, agreed_q, groups_shown) in enumerate(rounds):
        frames.append(_frame(rows).with_columns(pl.lit(f"R{i}").alias("round_id")))
        agreed.append(pl.DataFrame({"round_id": f"R{i}", "question_id": list(agreed_q),
                                    "rating": list(agreed_q.values()), "reason": "agreed"},
                                   schema={"round_id": pl.String, "question_id": pl.String, "rating": pl.Int64,
                                           "reason": pl.String}))
        people = len({p for p, _, _ in rows})
        wanted.append((f"R{i}", people, groups_shown))
    ratings, agreed_all = pl.concat(frames), pl.concat(agreed)
    questions, principles = principle_results(
        FW, question_stats(ratings, by=["round_id"], values=False),
        pl.DataFrame(wanted, schema={"round_id": pl.String, "people": pl.Int64, "groups_shown": pl.Boolean},
                     orient="row"), agreed_all, ["round_id"], thresholds=t)
    for i, (_, _, groups_shown) in enumerate(rounds):
        rid = f"R{i}"
        ref = aggregate(FW, frames[i], agreed[i], thresholds=t, groups_shown=groups_shown)
        got_p = principles.filter(pl.col("round_id") == rid).rows(named=True)
        got_q = questions.filter(pl.col("round_id") == rid).rows(named=True)
        assert [p["principle_id"] for p in got_p] == [p.id for p in FW.principles]
        assert [q["question_id"] for q in got_q] == [q.id for p in FW.principles for q in p.questions]
        by_q = {q["question_id"]: q for q in got_q}
        for r, p in zip(ref, got_p, strict=True):
            assert (p["score"], p["coverage"], p["n_answered"], p["n_applicable"]) == \
                (r.score, r.coverage, r.n_answered, r.n_applicable)
            assert p["disagreements"] == [q.question_id for q in r.questions if q.disagreement]
            assert (p["n_ratings"], p["n_not_applicable_dont_know"], p["n_blank"]) == (
                sum(q.n for q in r.questions), sum(q.n_not_applicable + q.n_dont_know for q in r.questions),
                sum(q.n_blank for q in r.questions))
            for q in r.questions:
                g = by_q[q.question_id]
                assert (g["n"], g["median"], g["q1"], g["q3"], g["low"], g["high"], g["iqr"], g["share_dont_know"],
                        g["n_not_applicable"], g["disagreement"], g["agreed"], g["agreed_reason"], g["n_dont_know"],
                        g["n_blank"], g["score"], g["not_applicable"]) == (
                    q.n, q.median, q.q1, q.q3, q.low, q.high, q.iqr, q.share_dont_know, q.n_not_applicable,
                    q.disagreement, q.agreed, q.agreed_reason, q.n_dont_know, q.n_blank, q.score, q.not_applicable)


# Answers with their stored rating: mostly the answer's own number, sometimes (rows from elsewhere) a rating off the
# scale or none, which question_stats must then not count from the scale's five counts.
stored_answers = st.lists(st.tuples(
    st.sampled_from([f"X{i}" for i in range(6)]), st.sampled_from(P01_QUESTIONS[:3]), st.sampled_from(["R1", "R2"]),
    st.sampled_from(["1", "2", "3", "4", "5", "na", "dk"]),
    st.one_of(st.just("own"), st.sampled_from([None, 0, 7]))), max_size=80)


@given(stored_answers)
def test_question_statistics_counted_from_the_scale_are_the_sorted_ones(rows) -> None:
    """question_stats without `values` counts each question's ratings on the scale 1-5 and reads the median,
    quartiles and extremes off the running counts; with `values` it sorts each question's ratings (polars'
    median and quantile). Both must give the same frame, and a rating off the scale falls back to sorting."""
    frame = pl.DataFrame(
        [(p, q, r, a, (int(a) if a.isdigit() else None) if rating == "own" else rating)
         for p, q, r, a, rating in rows],
        schema={"participant_code": pl.String, "question_id": pl.String, "round_id": pl.String,
                "answer": pl.String, "rating": pl.Int32}, orient="row")
    # As drawn (a participant may answer a question twice: people are counted one by one) and with one answer per
    # participant and question, as a round's current ratings hold them (people counted as the group's rows).
    # And told so (`one_answer_each`, what round_views says of rows without a sheet): the same frame again.
    one_each = frame.unique(["participant_code", "question_id", "round_id"], keep="first", maintain_order=True)
    for f, told in ((frame, False), (one_each, False), (one_each, True)):
        counted = question_stats(f, by=["round_id"], values=False, one_answer_each=told).sort("round_id",
                                                                                              "question_id")
        sorted_ = question_stats(f, by=["round_id"], values=True).drop("values").sort("round_id", "question_id")
        assert counted.schema == sorted_.schema
        assert counted.rows() == sorted_.rows()


@given(stored_answers, st.integers(3, 5))
def test_group_medians_counted_from_the_scale_are_the_sorted_ones(rows, k_mean: int) -> None:
    """The group table's question medians read off each group's counts of the scale (what group_breakdown uses when
    every rating is on it) against polars' median of the sorted ratings (the reference): the same rows, medians
    and counts, groups under `k_mean` ratings left out, ties and single points included."""
    frame = pl.DataFrame(
        [(p, q, r, a, int(a) if a.isdigit() else None, f"G{int(p[1:]) % 2}") for p, q, r, a, _ in rows],
        schema={"participant_code": pl.String, "question_id": pl.String, "round_id": pl.String,
                "answer": pl.String, "rating": pl.Int32, "group": pl.String}, orient="row")
    order = ["round_id", "group", "question_id"]
    counted = group_medians(frame, ["round_id"], k_mean, counted=True).sort(order)
    sorted_ = group_medians(frame, ["round_id"], k_mean, counted=False).sort(order)
    assert counted.schema == sorted_.schema
    assert counted.rows() == sorted_.rows()
    # Ratings off the scale (or none) are never counted: the default falls back to sorting them.
    off = frame.with_columns(rating=pl.when(pl.col("answer") == "3").then(7).otherwise(pl.col("rating")))
    assert group_medians(off, ["round_id"], k_mean).sort(order).rows() == \
        group_medians(off, ["round_id"], k_mean, counted=False).sort(order).rows()
