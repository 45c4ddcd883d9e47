"""Set-based scoring (issue 19): a cohort's scoreboards come from a fixed number of queries, and say exactly what
building each partnership alone says, disclosure decisions included.

Scoring a cohort and scoring one partnership run the same code (one partnership is a cohort of one), so what
these tests guard is the keying: no statistic, group plan, withheld load or withheld round of one partnership
may leak into another's, whatever the mix of partnerships scored together.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import threading
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from c2c_monitor.definitions.principles import load_framework
from c2c_monitor.score.assess import build_scoreboard, build_scoreboards, workspace_catalogue
from c2c_monitor.store import reads
from c2c_monitor.store.schema import insert_frame, new_vintage, transaction
from c2c_monitor.store.workspace import Workspace, init_workspace, open_workspace

FW = load_framework()
QUESTIONS = ["P01.1", "P01.2", "P02.1", "P02.2"]
GROUPS = ["civil_society", "local_government", "private_sector", "academia"]
# A small pool of people, so that rounds and sheets often share people or differ by a few of them.
PEOPLE = [f"Z{i:02d}" for i in range(9)]
ANSWERS = ["1", "2", "3", "4", "5", "na", "dk"]


def _json(sbs: list[Any]) -> list[str]:
    out = []
    for sb in sbs:
        d = sb.model_dump(mode="json")
        d.pop("generated_at")
        out.append(json.dumps(d, sort_keys=True))
    return out


_COUNTING = threading.Lock()


class CountingConnection:
    """A DuckDB connection that counts the statements sent to it (execute and sql), and to the cursors made from it
    (the principle side reads on a cursor of its own, on a second thread): `n` counts all of them, `on_cursors`
    those of the cursors."""

    def __init__(self, con: Any, counter: list[int] | None = None, slot: int = 0) -> None:
        self.con, self.counter, self.slot = con, counter if counter is not None else [0, 0], slot

    @property
    def n(self) -> int:
        return self.counter[0] + self.counter[1]

    @property
    def on_cursors(self) -> int:
        return self.counter[1]

    def _count(self) -> None:
        with _COUNTING:  # two threads count: `+=` is a read and a write, which they could interleave
            self.counter[self.slot] += 1

    def execute(self, *a: Any, **k: Any) -> Any:
        self._count()
        return self.con.execute(*a, **k)

    def sql(self, *a: Any, **k: Any) -> Any:
        self._count()
        return self.con.sql(*a, **k)

    def cursor(self) -> CountingConnection:
        return CountingConnection(self.con.cursor(), self.counter, 1)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.con, name)


# --- the demo workspace ----------------------------------------------------------------------------------
def test_the_demo_cohort_scores_as_each_partnership_alone(demo_ws: Path) -> None:
    with open_workspace(demo_ws) as ws:
        pids = reads.partnership_ids(ws.con)
        cat = workspace_catalogue(ws)
        # The DuckDB engine (the default): the polars one sums some indicator values in an order that depends on
        # the cohort, so they differ from one partnership alone in the last bits (engine/, not scoring).
        together = build_scoreboards(ws, pids, catalogue=cat, framework=FW)
        alone = [build_scoreboard(ws, pid, catalogue=cat, framework=FW) for pid in pids]
    assert len(pids) == 27
    assert [sb.partnership.id for sb in together] == pids
    assert _json(together) == _json(alone)
    # The comparison means something only if the demo has what the cohort path groups: scored principles,
    # group tables, previous rounds, actions and local indicators (the generated cohorts below add stages).
    assert sum(p.status == "scored" for sb in together for p in sb.principles) > 50
    assert any(sb.groups for sb in together) and any(sb.previous_round_id for sb in together)
    assert any(sb.actions for sb in together)


@pytest.mark.parametrize("targets", ["harmonised", "local"])
def test_rows_built_without_validation_are_what_validation_gives(demo_ws: Path, targets: str) -> None:
    """Indicator rows, aggregates, principle, question and group rows are built from values already of their fields'
    types (`scoreboard.trusted`, `rounds.frame_models`), not validated again: validating the same values must give
    the same models, down to each value's type (the repr tells 1 from 1.0 and a tuple from a list), the same JSON
    (the fields in the model's order) and the same fields set; and no row may share a list with another, as
    validated rows never do."""
    from c2c_monitor.score.scoreboard import Aggregate, GroupRow, IndicatorRow, PrincipleRow, QuestionRow, trusted

    with open_workspace(demo_ws) as ws:
        pids = reads.partnership_ids(ws.con)
        sbs = build_scoreboards(ws, pids, "long", catalogue=workspace_catalogue(ws), framework=FW,
                                targets=targets)  # type: ignore[arg-type]
    rows = [r for sb in sbs for r in sb.indicators]
    aggregates = [a for sb in sbs for a in sb.aggregates]
    # The demo reaches the rows' branches: values and none, scores, trends, records.
    assert {r.light for r in rows} >= {"green", "amber", "red", "none"}
    assert any(r.family == "partnership" and r.value is not None for r in rows)
    assert any(r.value is None and r.missing_reason for r in rows)
    assert any(r.trend_ratio is not None for r in rows)
    assert targets == "harmonised" or any(r.target_kind == "local" for r in rows)
    # The principle side (score/rounds.frame_models): principle rows, their question rows, group and type rows.
    principles = [p for sb in sbs for p in sb.principles]
    questions = [q for p in principles for q in p.questions]
    groups = [g for sb in sbs for g in [*sb.groups, *sb.partner_types]]
    assert any(p.status == "scored" for p in principles) and any(p.disagreements for p in principles)
    assert any(q.iqr is None for q in questions) and any(q.iqr is not None for q in questions)
    for built, model in ((rows, IndicatorRow), (aggregates, Aggregate), (principles, PrincipleRow),
                         (questions, QuestionRow), (groups, GroupRow)):
        assert built
        for m in built:
            again = model.model_validate(m.model_dump())
            assert repr(m.__dict__) == repr(again.__dict__)
            assert m.model_dump_json() == again.model_dump_json()
            assert m.model_fields_set == again.model_fields_set
    lists = [id(x) for r in rows for x in (r.dac, r.principles, r.series)]
    lists += [id(a.indicator_ids) for a in aggregates] + [id(sb.rules) for sb in sbs]
    lists += [id(x) for p in principles for x in (p.disagreements, p.questions)]
    assert len(lists) == len(set(lists))
    # Rows that are not the model's fields in its order are refused, not built.
    first = rows[0].model_dump()
    with pytest.raises(ValueError, match="IndicatorRow"):
        trusted(IndicatorRow, [dict(reversed(first.items()))])
    with pytest.raises(ValueError, match="IndicatorRow"):
        trusted(IndicatorRow, [{**first, "extra": 1}])


def test_an_error_of_the_principle_side_reaches_the_caller_and_no_thread_outlives_scoring(demo_ws: Path) -> None:
    """The principle side runs on a second thread (store/beside.reading_beside), for one partnership as for a
    cohort: its error (here an unknown round) reaches the caller, and the thread has ended when build_scoreboards
    returns or raises."""
    from c2c_monitor.errors import C2CError

    before = threading.active_count()
    with open_workspace(demo_ws) as ws:
        pids = reads.partnership_ids(ws.con)[:3]
        cat = workspace_catalogue(ws)
        for cohort in (pids[:1], pids):
            with pytest.raises(C2CError, match="no workshop round 'R-none'"):
                build_scoreboards(ws, cohort, catalogue=cat, framework=FW, round_id="R-none")
            assert threading.active_count() == before
        assert len(build_scoreboards(ws, pids, catalogue=cat, framework=FW)) == 3
        assert threading.active_count() == before


def test_the_number_of_statements_does_not_grow_with_the_cohort(demo_ws: Path) -> None:
    counts = []
    with open_workspace(demo_ws) as ws:
        pids = reads.partnership_ids(ws.con)
        cat = workspace_catalogue(ws)
        for cohort in (pids[:1], pids[:5], pids):
            counting = CountingConnection(ws.con)
            sbs = build_scoreboards(Workspace(ws.root, counting, ws.config),  # type: ignore[arg-type]
                                    cohort, catalogue=cat, framework=FW)
            assert len(sbs) == len(cohort)
            counts.append(counting.n)
            assert counting.on_cursors > 0  # the principle side's statements (its own cursor) are counted too
    assert counts[0] == counts[1] == counts[2], counts


# --- generated cohorts that exercise the disclosure rules ---------------------------------------------------
# A sheet: its name (None: rows stored before sheets were recorded), the people on it, their answers.
SHEET = st.tuples(st.sampled_from(["a", "b", "c", None]), st.lists(st.sampled_from(PEOPLE), min_size=1, max_size=7,
                                                                  unique=True),
                  st.lists(st.sampled_from(ANSWERS), min_size=7 * len(QUESTIONS), max_size=7 * len(QUESTIONS)))
# A round: its loads in order (a repeated sheet name is a corrected sheet, a new one a late sheet) and whether
# it has an agreed rating.
ROUND = st.tuples(st.lists(SHEET, min_size=0, max_size=3), st.booleans())
# A partnership: its rounds, how many stakeholder groups its people fall into, whether a facilitator mapped the
# groups to partner types, and the step of the process it recorded (None: none).
PARTNERSHIP = st.tuples(st.lists(ROUND, min_size=0, max_size=3), st.integers(1, 4), st.booleans(),
                        st.one_of(st.none(), st.integers(1, 6)))
COHORT = st.lists(PARTNERSHIP, min_size=2, max_size=4)

_counter = itertools.count()


def fill(ws: Workspace, cohort: list[Any], prefix: str) -> list[str]:
    """Store a drawn cohort, load by load (each load its own vintage, as the imports do); returns its ids."""
    con, pids = ws.con, []
    for n, (rounds, n_groups, typed, step) in enumerate(cohort):
        pid = f"{prefix}-{n}"
        pids.append(pid)
        con.execute("INSERT INTO cities VALUES (?, 'Europa', 'DE', 'DE', NULL, NULL), "
                    "(?, 'Partner', 'GH', 'GH', NULL, NULL)", [f"{pid}-eu", f"{pid}-pa"])
        con.execute("INSERT INTO partnerships VALUES (?, 'Test', ?, ?, NULL, NULL, NULL, NULL, NULL)",
                    [pid, f"{pid}-eu", f"{pid}-pa"])
        group = {p: GROUPS[i % n_groups] for i, p in enumerate(PEOPLE)}
        for r, (loads, agreed) in enumerate(rounds):
            rid = f"R{r}"
            with transaction(con):
                vid = new_vintage(con, "ratings", "test", None, 0)
                insert_frame(con, "rounds", pl.DataFrame({"partnership_id": [pid], "round_id": [rid],
                                                          "held_on": [dt.date(2020 + r, 6, 1)], "label": [rid],
                                                          "vintage_id": [vid]}))
            for sheet, people, answers in loads:
                rows = [(pid, rid, code, group[code], None, q, a, int(a) if a.isdigit() else None, None, sheet)
                        for i, code in enumerate(people) for j, q in enumerate(QUESTIONS)
                        if (a := answers[i * len(QUESTIONS) + j])]
                frame = pl.DataFrame(rows, orient="row", schema={
                    "partnership_id": pl.String, "round_id": pl.String, "participant_code": pl.String,
                    "stakeholder_group": pl.String, "city_id": pl.String, "question_id": pl.String,
                    "answer": pl.String, "rating": pl.Int32, "comment": pl.String, "sheet": pl.String})
                with transaction(con):
                    vid = new_vintage(con, "ratings", "test", None, frame.height)
                    insert_frame(con, "ratings", frame.with_columns(pl.lit(vid).alias("vintage_id")))
            if agreed:
                with transaction(con):
                    vid = new_vintage(con, "agreed", "test", None, 1)
                    insert_frame(con, "agreed", pl.DataFrame({
                        "partnership_id": [pid], "round_id": [rid], "question_id": ["P01.2"], "rating": [r % 5 + 1],
                        "reason": ["agreed in the room"], "vintage_id": [vid]}))
        with transaction(con):
            vid = new_vintage(con, "stages", "test", None, 1)
            if step is not None:
                insert_frame(con, "stages", pl.DataFrame({"partnership_id": [pid], "step": [step],
                                                          "reached_on": [dt.date(2021, 1, 1)], "note": [None],
                                                          "vintage_id": [vid]},
                                                         schema_overrides={"note": pl.String}))
            # A local indicator of one city or the other (issue 15), read for the whole cohort at once.
            city = f"{pid}-eu" if n % 2 else f"{pid}-pa"
            insert_frame(con, "local_indicators", pl.DataFrame({
                "city_id": [city, city], "code": ["L1", "L2"], "title": ["Local one", "Local two"], "unit": ["%", "%"],
                "polarity": ["higher", "lower"], "target_2030": [50.0 + n, 10.0], "source": ["city", "city"],
                "vintage_id": [vid, vid]}))
            insert_frame(con, "local_observations", pl.DataFrame({
                "city_id": [city] * 3, "code": ["L1", "L1", "L2"], "period": ["2020", "2023", "2022"],
                "year": [2020, 2023, 2022], "quarter": [0, 0, 0], "disagg": ["", "", ""],
                "value": [10.0, 20.0 + n, 30.0], "obs_status": [None, None, None], "vintage_id": [vid] * 3},
                schema_overrides={"obs_status": pl.String}))
            if typed:
                insert_frame(con, "group_types", pl.DataFrame({
                    "partnership_id": [pid] * 3, "stakeholder_group": GROUPS[:3],
                    "partner_type": ["civil society", "local authority", "civil society"], "vintage_id": [vid] * 3}))
    return pids


@pytest.fixture(scope="module")
def ws_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cohort") / "ws"
    init_workspace(root, "cohort")
    return root


# No shrinking: a failure prints its draws, and each example builds several scoreboards.
@settings(max_examples=15, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(COHORT, st.integers(0, 100))
def test_a_generated_cohort_scores_as_each_partnership_alone(ws_root: Path, cohort: list[Any], cut: int) -> None:
    with open_workspace(ws_root) as ws:
        first = reads.vintage_span(ws.con)
        pids = fill(ws, cohort, f"c{next(_counter)}")
        span = reads.vintage_span(ws.con)
        assert span is not None
        low = (first[1] if first else 0) + 1
        # As of the latest vintage and as of one in the middle of the loads (a load then is not there yet).
        for as_of in (None, low + (span[1] - low) * cut // 100):
            kw: dict[str, Any] = {"catalogue": workspace_catalogue(ws), "framework": FW, "backend": "polars",
                                  "as_of": as_of}
            together = build_scoreboards(ws, pids, **kw)
            alone = [build_scoreboard(ws, pid, **kw) for pid in pids]
            assert _json(together) == _json(alone)
            # Scored in another order and mixed with other partnerships: still the same.
            others = [p for p in reads.partnership_ids(ws.con) if p not in pids][:2]
            mixed = build_scoreboards(ws, [*reversed(pids), *others], **kw)
            assert _json(mixed[:len(pids)]) == _json(list(reversed(alone)))


def test_the_generated_cohorts_reach_the_withholding_rules(ws_root: Path) -> None:
    """The property above only means something if drawn cohorts withhold: a cohort built to do so must."""
    cohort = [
        # A late sheet of one person: the round is shown as it was before it.
        ([([("a", PEOPLE[:5], ["3", "4", "5", "2"] * 7), ("b", PEOPLE[:1], ["1"] * 28)], False)], 2, True, None),
        # A round one person apart from the one before: withheld.
        ([([("a", PEOPLE[:5], ["3", "4", "5", "2"] * 7)], False), ([("a", PEOPLE[:6], ["2"] * 28)], False)],
         1, False, 3),
    ]
    with open_workspace(ws_root) as ws:
        pids = fill(ws, cohort, f"w{next(_counter)}")
        sbs = build_scoreboards(ws, pids, catalogue=workspace_catalogue(ws), framework=FW, backend="polars")
    assert sbs[0].n_participants == 5 and sbs[0].round_withheld is None
    assert sbs[1].round_withheld is not None and "plus 1" in sbs[1].round_withheld
    assert sbs[1].previous_round_id == "R0" and all(p.score is None for p in sbs[1].principles)
    assert sbs[1].stage is not None and sbs[1].stage.step == 3
    assert [r.code for r in sbs[0].local_indicators] == ["L1", "L2"]
    assert sbs[1].local_indicators[0].progress == 26.8  # from 10 to 21 of the way to 51
    # The board names the data versions it shows, its cities' own series' too.
    assert {r.vintage_id for r in sbs[0].local_indicators} <= set(sbs[0].vintages_used)


@settings(max_examples=10, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(COHORT, st.integers(0, 100), st.randoms(use_true_random=False))
def test_the_rows_of_numbered_rounds_are_the_rows_of_those_rounds(ws_root: Path, cohort: list[Any], cut: int,
                                                                   rnd: Any) -> None:
    """reads.rounds_rating_rows (round_views' read, each row tagged with its round's number) returns, up to an
    as-of, the rows rating_rows returns for the rounds asked (some in the store, some not), each under its own
    round's number: a row tagged with another round would score it as that round's."""
    with open_workspace(ws_root) as ws:
        pids = fill(ws, cohort, f"n{next(_counter)}")
        span = reads.vintage_span(ws.con)
        assert span is not None
        wanted = [(p, f"R{r}") for p in pids for r in range(4)]  # R3 is never drawn: asked for, holds nothing
        rnd.shuffle(wanted)
        wanted = wanted[:rnd.randint(0, len(wanted))]
        cols = reads.SCORED_RATING_COLUMNS
        for as_of in (None, span[1] * cut // 100):
            got = reads.rounds_rating_rows(ws.con, [p for p, _ in wanted], [r for _, r in wanted], as_of, cols)
            numbered = pl.DataFrame({"partnership_id": [p for p, _ in wanted], "round_id": [r for _, r in wanted],
                                     "_r": list(range(len(wanted)))},
                                    schema={"partnership_id": pl.String, "round_id": pl.String, "_r": pl.Int32})
            expected = (reads.rating_rows(ws.con, pids, as_of, cols).join(numbered, on=["partnership_id", "round_id"])
                        .select(got.columns))
            assert got.columns == ["_r", *(c for c in cols if c not in ("partnership_id", "round_id"))]
            assert got.sort(got.columns, nulls_last=True).equals(expected.sort(got.columns, nulls_last=True))


def test_pausing_the_cycle_collector_while_scoring_leaks_nothing() -> None:
    """Garbage with a reference cycle made while a cohort is scored is still collected afterwards (the objects
    made meanwhile are handed back to the collector's oldest generation, not left frozen)."""
    import gc
    import weakref

    from c2c_monitor.score.collector import paused

    class Node:
        other: Any = None

    was_enabled = gc.isenabled()
    gc.enable()
    try:
        with paused():
            assert not gc.isenabled()
            a, b = Node(), Node()
            a.other, b.other = b, a
            gone = weakref.ref(a)
            del a, b
        assert gc.isenabled() and gc.get_freeze_count() == 0
        gc.collect()
        assert gone() is None
    finally:
        if not was_enabled:
            gc.disable()


# --- indicator rows of a cohort against each series scored by the per-series reference (maths.trend) ------------

_PERIODS = ["2018", "2019", "2020", "2021", "2022", "2023", "2020-Q1", "2020-Q3", "2021-Q1", "2021-Q3", "2022-Q1"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_indicator_rows_follow_each_series_cut_at_its_last_break(data: Any) -> None:
    """Whatever the mix of values, nulls and status codes (B: break in series, P: provisional) of a cohort's
    series, each row's last value, series, provisional flag and trend are those of its own series alone, the trend
    taken by `trend` over the points from the last break on."""
    from c2c_monitor.definitions.catalog import load_catalogue
    from c2c_monitor.definitions.periods import parse_period
    from c2c_monitor.score.assess import indicator_rows_many, scored_indicators
    from c2c_monitor.score.maths import trend
    from c2c_monitor.score.scoreboard import CityInfo, PartnershipInfo

    inds = [i for i in scored_indicators(load_catalogue(), "simplified")
            if i.id in ("unemployment_rate", "renewable_energy_share", "joint_workshops")]
    infos = [PartnershipInfo(id=f"p{k}", name="x", cities=[
        CityInfo(id=f"c{2 * k}", name="a", role="european"), CityInfo(id=f"c{2 * k + 1}", name="b", role="partner")])
        for k in range(2)]
    rows, expected = [], {}
    for info in infos:
        for ind in inds:
            for city in [c.id for c in info.cities] if ind.family == "city" else [None]:
                periods = data.draw(st.lists(st.sampled_from(_PERIODS), unique=True, max_size=7))
                # Values from 0.001 up (and 0): the reference's math.exp and math.log raise on the growth rates of
                # 60 after 1e-300 (the cohort's polars form gives inf), which is not what this test is about.
                points = [(p, data.draw(st.one_of(st.none(), st.floats(1e-3, 60), st.sampled_from([0.0, 3.0, 42.5]))),
                           data.draw(st.sampled_from([None, "", "B", "P", "B,P", "E", "A"]))) for p in periods]
                rows += [(ind.id, info.id, city, p, v, None if v is not None else "no value", st_) for p, v, st_
                         in points]
                ordered = sorted(points, key=lambda x: parse_period(x[0]))
                start = max((i for i, x in enumerate(ordered) if x[2] and "B" in x[2].split(",")), default=0)
                cut = [(parse_period(p).decimal_year, v) for p, v, _ in ordered[start:] if v is not None]
                cls, ratio = trend(cut, ind.end_value.value, ind.polarity)
                valued = [x for x in ordered if x[1] is not None]
                expected[(info.id, ind.id, city)] = (
                    [(p, v) for p, v, _ in ordered], valued[-1][1] if valued else None,
                    valued[-1][0] if valued else None, bool(valued and valued[-1][2] and "P" in valued[-1][2]),
                    cls, None if ratio is None else round(ratio, 4))
    results = pl.DataFrame(rows, orient="row", schema={
        "indicator_id": pl.String, "partnership_id": pl.String, "city_id": pl.String, "period": pl.String,
        "value": pl.Float64, "reason": pl.String, "obs_status": pl.String}).with_columns(
        coverage=pl.lit(1.0), vintage_id=pl.lit(1, pl.Int64))
    got = indicator_rows_many(inds, results, infos, None, {}, False, {})
    for info in infos:
        for r in got[info.id]:
            assert (r.series, r.value, r.period, r.provisional, r.trend, r.trend_ratio) == \
                expected[(info.id, r.id, r.city_id)]
