"""Workshop rounds imported right: dated by when they were held, sheets of one round merged, corrections on purpose.

Most steps call the import directly (one workspace, many loads, fast); the command line is run where its exit
code and message are the point.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from .conftest import run_c2c, sql

PID = "bonn-cape-coast"


@pytest.fixture(scope="module")
def fw():
    from c2c_monitor.definitions.principles import load_framework

    return load_framework()


@pytest.fixture
def ws(demo_copy: Path) -> Path:
    """The demo workspace without any workshop round of the partnership (the tests make its history)."""
    for table in ("ratings", "rounds", "agreed"):
        sql(demo_copy, f"DELETE FROM {table} WHERE partnership_id = ?", [PID])  # noqa: S608 (fixed names)
    return demo_copy


def _sheet(fw, path: Path, codes: list[str], rating, held_on: str | None = None) -> Path:
    """A filled ratings sheet: every participant answers every question with `rating(code, question)`."""
    rows = [{"participant_code": c, "stakeholder_group": "academia", "city_id": "bonn", "question_id": q,
             "question": "", "rating": str(rating(c, q)), "comment": ""} for c in codes for q in fw.questions]
    df = pl.DataFrame(rows)
    if held_on is not None:
        df = df.with_columns(pl.lit(held_on).alias("held_on"))
    df.write_csv(path)
    return path


def state(ws: Path) -> str:
    """A digest of what a ratings import may touch (the full-store digest is slow on a busy machine)."""
    import hashlib

    import duckdb

    con = duckdb.connect(str(ws / "workspace.duckdb"), read_only=True)
    try:
        return hashlib.sha256(repr([con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()  # noqa: S608
                                    for t in ("ratings", "rounds", "vintages")]).encode()).hexdigest()
    finally:
        con.close()


def _load(ws: Path, fw, path: Path, round_id: str, held_on: str | None = None, **kw):
    from c2c_monitor.store.workspace import open_workspace
    from c2c_monitor.workshop.sheets import import_ratings

    with open_workspace(ws) as w:
        return import_ratings(w.con, fw, path, PID, round_id, dt.date.fromisoformat(held_on) if held_on else None,
                              "en", **kw)


def _ratings(ws: Path, round_id: str, as_of: int | None = None) -> pl.DataFrame:
    from c2c_monitor.store import reads
    from c2c_monitor.store.workspace import open_workspace

    with open_workspace(ws) as w:
        return reads.round_ratings(w.con, PID, round_id, as_of)[0]


def _codes(path_or_exc) -> list[str]:
    return [f.code for f in path_or_exc.findings]


def test_rounds_imported_out_of_date_order_take_their_place_in_history(ws, fw, tmp_path) -> None:
    from c2c_monitor.score.assess import principle_rows
    from c2c_monitor.store import reads
    from c2c_monitor.store.workspace import open_workspace

    codes = ["A", "B", "C"]
    # Typed in out of order (and with ids that sort neither by date nor by import): the latest held, first.
    _load(ws, fw, _sheet(fw, tmp_path / "autumn.csv", codes, lambda c, q: 4), "autumn", "2025-10-01")
    _load(ws, fw, _sheet(fw, tmp_path / "pilot.csv", codes, lambda c, q: 2), "pilot", "2021-05-01")
    # A back-filled round dated by its sheet's own held_on column.
    _load(ws, fw, _sheet(fw, tmp_path / "mid.csv", codes, lambda c, q: 3, held_on="2024-04-01"), "mid")
    with open_workspace(ws) as w:
        assert reads.rounds_of(w.con, PID, None) == ["pilot", "mid", "autumn"]
        view = principle_rows(w.con, fw, PID, None)
        earlier = principle_rows(w.con, fw, PID, None, round_id="mid")
    # The latest held round is current and compared with the one held before it: 3 -> 4 is an improvement.
    assert (view.current, view.previous) == ("autumn", "mid")
    assert {p.trend for p in view.principles} == {"improving"}
    assert {p.score for p in view.principles} == {4.0} and {p.previous_score for p in view.principles} == {3.0}
    assert (earlier.current, earlier.previous) == ("mid", "pilot")
    assert {p.trend for p in earlier.principles} == {"improving"}


def test_a_round_without_a_date_is_refused_and_says_how_to_give_one(ws, fw, tmp_path) -> None:
    path = _sheet(fw, tmp_path / "s.csv", ["A", "B", "C"], lambda c, q: 3)
    before = state(ws)
    res = run_c2c("workshop", "import", str(path), "-w", str(ws), "-p", PID, "--round", "2026")
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert "--held-on YYYY-MM-DD" in res.stderr and "held_on column" in res.stderr
    assert "s.csv: no date for round '2026'" in res.stderr
    assert state(ws) == before
    # A second sheet of a dated round needs no date; one that contradicts the round's date is refused.
    _load(ws, fw, path, "2026", "2025-02-03")
    other = _sheet(fw, tmp_path / "t.csv", ["A"], lambda c, q: 5)
    assert _load(ws, fw, other, "2026")["held_on"] == "2025-02-03"
    from c2c_monitor.errors import InputRejected

    before = state(ws)
    with pytest.raises(InputRejected) as exc:
        _load(ws, fw, _sheet(fw, tmp_path / "u.csv", ["A"], lambda c, q: 4), "2026", "2025-02-04")
    assert _codes(exc.value) == ["conflicting-date"] and "2025-02-03" in str(exc.value)
    with pytest.raises(InputRejected) as exc:  # a sheet whose rows disagree on the day, named by line
        _sheet(fw, tmp_path / "v.csv", ["A"], lambda c, q: 5, held_on="2025-02-03")
        df = pl.read_csv(tmp_path / "v.csv", infer_schema=False)
        df.with_columns(pl.when(pl.int_range(pl.len()) == 4).then(pl.lit("2025-02-09")).otherwise("held_on")
                        .alias("held_on")).write_csv(tmp_path / "v.csv")
        _load(ws, fw, tmp_path / "v.csv", "2027")
    f = exc.value.findings[0]
    assert (f.code, f.row, f.column) == ("conflicting-date", 6, "held_on")
    assert state(ws) == before


def test_three_sheets_of_one_round_add_up_and_a_replaced_sheet_replaces_only_itself(ws, fw, tmp_path) -> None:
    from c2c_monitor.errors import InputRejected

    codes = ["P01", "P02", "P03"]  # every table numbers its people from P01
    vids = {}
    for i, table in enumerate(("table-1", "table-2", "table-3"), start=1):
        res = _load(ws, fw, _sheet(fw, tmp_path / f"{table}.csv", codes, lambda c, q, i=i: i), "2025", "2025-11-20")
        vids[table] = res["vintage_id"]
    r = _ratings(ws, "2025")
    assert r["participant_code"].n_unique() == 9
    assert r.height == 9 * len(fw.questions)
    assert sorted(r.group_by("rating").len().rows()) == [(1, 3 * len(fw.questions)), (2, 3 * len(fw.questions)),
                                                         (3, 3 * len(fw.questions))]
    # The same sheet again, under its name or copied to another: refused, nothing changes (exit 2 on the CLI).
    before = state(ws)
    res = run_c2c("workshop", "import", str(tmp_path / "table-2.csv"), "-w", str(ws), "-p", PID, "--round", "2025")
    assert res.returncode == 2 and "already in round '2025' as sheet 'table-2'" in res.stderr
    (tmp_path / "copy.csv").write_bytes((tmp_path / "table-2.csv").read_bytes())
    with pytest.raises(InputRejected) as exc:
        _load(ws, fw, tmp_path / "copy.csv", "2025")
    assert _codes(exc.value) == ["duplicate-sheet"]
    # Another file under a loaded sheet's name is refused unless it replaces that sheet on purpose.
    fix = _sheet(fw, tmp_path / "table-2-fixed.csv", ["P01", "P02"], lambda c, q: 5)
    with pytest.raises(InputRejected) as exc:
        _load(ws, fw, fix, "2025", sheet="table-2")
    assert _codes(exc.value) == ["sheet-exists"] and "--replace table-2" in str(exc.value)
    with pytest.raises(InputRejected) as exc:
        _load(ws, fw, fix, "2025", replace="table-9")
    assert _codes(exc.value) == ["unknown-sheet"]
    assert state(ws) == before
    assert _load(ws, fw, fix, "2025", replace="table-2")["sheet"] == "table-2"
    r = _ratings(ws, "2025")
    # table-2 is now two people rating 5 (its P03 is gone); tables 1 and 3 are untouched.
    assert r["participant_code"].n_unique() == 8
    by_rating = dict(r.group_by("rating").agg(pl.col("participant_code").n_unique()).rows())
    assert by_rating == {1: 3, 3: 3, 5: 2}
    # Each load is a vintage: as of the first table-2 load's round, the history is as it was.
    old = _ratings(ws, "2025", as_of=vids["table-3"])
    assert old["participant_code"].n_unique() == 9 and 5 not in old["rating"].to_list()


def test_an_all_blank_sheet_loads_nothing_and_says_so(ws, fw, tmp_path) -> None:
    from c2c_monitor.errors import NothingLoaded

    path = _sheet(fw, tmp_path / "blank.csv", ["A"], lambda c, q: "")
    before = state(ws)
    with pytest.raises(NothingLoaded, match="every answer is blank"):
        _load(ws, fw, path, "r", "2025-01-01")
    assert NothingLoaded.exit_code == 1 and state(ws) == before
