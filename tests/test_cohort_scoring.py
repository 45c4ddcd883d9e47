"""Set-based scoring (issue 19): a cohort's principles come from a few queries, and say what one-by-one says.

`principle_rows` reads and aggregates one partnership's rounds on its own (the compare path); `build_scoreboards`
aggregates a whole cohort at once. Two implementations of one rule: they must agree on every demo partnership,
and the cohort's number of queries must not grow with its size.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest

from c2c_monitor.definitions.principles import load_framework
from c2c_monitor.score.assess import build_scoreboards, principle_rows
from c2c_monitor.score.ratings import group_breakdown
from c2c_monitor.store import reads
from c2c_monitor.store.workspace import Workspace, open_workspace


class CountingConnection:
    """A DuckDB connection that counts the statements sent to it."""

    def __init__(self, con: Any) -> None:
        self.con, self.n = con, 0

    def execute(self, *a: Any, **k: Any) -> Any:
        self.n += 1
        return self.con.execute(*a, **k)

    def sql(self, *a: Any, **k: Any) -> Any:
        self.n += 1
        return self.con.sql(*a, **k)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.con, name)


@pytest.fixture(scope="module")
def cohort(demo_ws: Path) -> tuple[list[str], list[Any], dict[str, Any], pl.DataFrame]:
    fw = load_framework()
    with open_workspace(demo_ws) as ws:
        pids = reads.partnership_ids(ws.con)
        sbs = build_scoreboards(ws, pids, framework=fw)
        one = {pid: principle_rows(ws.con, fw, pid, None, ws.config.language, None, ws.config.min_group_size)
               for pid in pids}
        ratings = ws.con.sql("SELECT * FROM ratings").pl()
    return pids, sbs, one, ratings


def test_the_cohort_scores_every_principle_as_one_partnership_alone_does(cohort: Any) -> None:
    pids, sbs, one, _ = cohort
    assert len(pids) > 20
    scored = 0
    for pid, sb in zip(pids, sbs, strict=True):
        view = one[pid]
        assert sb.partnership.id == pid
        assert sb.principles == view.principles
        assert sb.groups == view.groups
        assert (sb.n_participants, sb.round_id, sb.previous_round_id) == (view.n_participants, view.current,
                                                                          view.previous)
        scored += sum(p.status == "scored" for p in sb.principles)
    assert scored > 0, "the demo should have scored principles to compare"


@pytest.mark.parametrize("min_group_size", [1, 2, 3, 5, 8])
def test_group_breakdown_by_partnership_and_round_equals_each_alone(cohort: Any, min_group_size: int) -> None:
    _, _, _, ratings = cohort
    fw = load_framework()
    keys = ["partnership_id", "round_id"]
    together = group_breakdown(fw, ratings, min_group_size, by=keys)
    for (pid, rid), part in ratings.partition_by(keys, as_dict=True).items():
        alone = group_breakdown(fw, part, min_group_size).with_columns(pl.col("score").round(9))
        mine = together.filter((pl.col("partnership_id") == pid) & (pl.col("round_id") == rid)).drop(keys)
        assert mine.with_columns(pl.col("score").round(9)).to_dicts() == alone.to_dicts()


def test_the_number_of_queries_does_not_grow_with_the_cohort(demo_ws: Path) -> None:
    fw = load_framework()
    counts = []
    with open_workspace(demo_ws) as ws:
        pids = reads.partnership_ids(ws.con)
        for cohort in (pids[:1], pids):
            counting = CountingConnection(ws.con)
            build_scoreboards(Workspace(ws.root, counting, ws.config), cohort, framework=fw)  # type: ignore[arg-type]
            counts.append(counting.n)
    assert counts[0] == counts[1], counts
    assert counts[0] <= 20, f"{counts[0]} statements for one scoreboard"
