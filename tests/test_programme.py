"""`c2c programme`: the cohort view, from a workspace and from published data packages."""

from __future__ import annotations

import csv as csv_module
import hashlib
import io
import json
import shutil
import sys
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from c2c_monitor.definitions.principles import load_framework
from c2c_monitor.errors import InputRejected
from c2c_monitor.render.programme import render_csv, render_html, render_table
from c2c_monitor.score.programme import (
    COVERAGE_SCHEMA,
    MIN_PARTNERSHIPS,
    PRINCIPLE_CHANGE,
    PRINCIPLE_SCHEMA,
    Programme,
    build_programme,
    from_workspace,
)
from c2c_monitor.score.programme_packages import from_packages, read_packages
from c2c_monitor.store.workspace import open_workspace

from .conftest import FORMULA, XSS

FW = load_framework()
# The subsets published as two packages (few, to stay fast); the workspace view of the same three is compared.
SUBSET_A = ["bonn-cape-coast", "lisbon-praia"]
SUBSET_B = ["barcelona-maputo"]
# Published in the OECD pilot report (seed 004; framework.md section 2), not taken from the code.
PILOT = {"P06": 3.70, "P01": 3.44, "P08": 3.12}


def _tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _comparable(p: Programme) -> dict[str, object]:
    return p.model_dump(mode="json", exclude={"generated_at", "source", "packages"})


@pytest.fixture(scope="module")
def pilot(demo_ws: Path) -> Programme:
    with open_workspace(demo_ws) as ws:
        return from_workspace(ws, None, 2022, "lisbon-praia")


@pytest.fixture(scope="module")
def packages(demo_ws: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Programme]:
    """Two packages published from the demo, and the workspace's own view of the same partnerships."""
    from c2c_monitor.publish.site import publish

    root = tmp_path_factory.mktemp("packages")
    with open_workspace(demo_ws) as ws:
        publish(ws, SUBSET_A, root / "a", pdf=False)
        publish(ws, SUBSET_B, root / "b", pdf=False)
        own = from_workspace(ws, SUBSET_A + SUBSET_B, None, "bonn-cape-coast")
    return root / "a", root / "b", own


# --- the pilot profile -----------------------------------------------------------------------------------
def test_round_year_2022_reproduces_the_published_pilot_profile(pilot: Programme) -> None:
    mean = {r.id: r.mean for r in pilot.principles}
    assert pilot.n_profiled == 27 and pilot.rounds == {"2022-pilot": 27}
    for pid, published in PILOT.items():
        assert mean[pid] is not None and round(mean[pid], 2) == published
    assert all(v is not None and v < 3 for k, v in mean.items() if k not in PILOT)
    assert min(mean, key=lambda k: mean[k] or 0) == "P09" and pilot.weakest[0] == "P09"
    assert pilot.strongest == ["P06", "P01", "P08"]
    assert all(r.n_partnerships == 27 for r in pilot.principles)
    # Spread figures are consistent with each other and with the mean.
    for r in pilot.principles:
        assert r.low is not None and r.high is not None and r.q1 is not None and r.q3 is not None
        assert r.low <= r.q1 <= r.q3 <= r.high and r.low <= (r.mean or 0) <= r.high
    # The first round has no earlier one: nothing to compare, and only 2022 in the profile by year.
    assert [y.year for y in pilot.by_year] == [2022] and all(t.n_compared == 0 for t in pilot.travel)
    assert pilot.by_year[0].means == {r.id: r.mean for r in pilot.principles}


def test_peers_score_higher_where_the_partnership_is_low(pilot: Programme, demo_ws: Path) -> None:
    from c2c_monitor.score.assess import principle_rows

    with open_workspace(demo_ws) as ws:
        own = {p.id: p.score for p in principle_rows(ws.con, FW, "lisbon-praia", None, round_id="2022-pilot")
               .principles}
        peer_scores = {pid: {p.id: p.score for p in principle_rows(ws.con, FW, pid, None, round_id="2022-pilot")
                             .principles} for row in pilot.peers for pid in row.peers}
    weakest = sorted(own, key=lambda k: (own[k], k))[:3]
    assert [r.principle_id for r in pilot.peers] == weakest
    for row in pilot.peers:
        assert row.own_score == own[row.principle_id]
        assert 1 <= len(row.peers) <= 3 and "lisbon-praia" not in row.peers
        got = [peer_scores[p][row.principle_id] for p in row.peers]
        assert all(s is not None and s > row.own_score for s in got) and got == sorted(got, reverse=True)


def test_coverage_is_a_share_per_partnership(pilot: Programme) -> None:
    assert len(pilot.coverage) == 27
    for c in pilot.coverage:
        assert 0 <= c.n_with_data <= c.n_indicators and c.share == pytest.approx(c.n_with_data / c.n_indicators,
                                                                                 abs=1e-4)
    assert pilot.coverage_mean == pytest.approx(sum(c.share or 0 for c in pilot.coverage) / 27, abs=1e-4)


# --- published packages ----------------------------------------------------------------------------------
def test_packages_give_the_same_view_as_the_workspace(packages: tuple[Path, Path, Programme]) -> None:
    a, b, own = packages
    from_pkg = from_packages([a, b], None, None, "bonn-cape-coast")
    assert _comparable(from_pkg) == _comparable(own)
    # The latest round (2024) against the pilot: both years, and every partnership compared.
    assert [y.year for y in own.by_year] == [2022, 2024]
    assert all(t.n_compared == 3 and t.improved + t.declined + t.unchanged == 3 for t in own.travel)
    # Three partnerships: the spread may be shown; two would not be.
    assert all(r.low is not None for r in own.principles)
    assert all(r.low is None and r.q1 is None for r in from_packages([a], None).principles)


def test_packages_command(packages: tuple[Path, Path, Programme], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                          capsys: pytest.CaptureFixture[str]) -> None:
    a, b, own = packages
    out = tmp_path / "p.json"
    code, _, err = _c2c(["programme", "--packages", str(a), str(b), "--format", "json", "-o", str(out)],
                        monkeypatch, capsys)
    assert code == 0, err
    assert _comparable(Programme.model_validate_json(out.read_text())) == _comparable(
        own.model_copy(update={"peers_for": None, "peers": []}))


def _broken(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def test_bad_packages_are_findings_naming_the_file(packages: tuple[Path, Path, Programme], tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    a, b, _ = packages
    no_meta = _broken(a, tmp_path / "no-meta")
    (no_meta / "datapackage.json").unlink()
    schema = _broken(b, tmp_path / "schema")
    df = pl.read_csv(schema / "data" / "principles.csv", infer_schema=False)
    df.drop("score").write_csv(schema / "data" / "principles.csv")
    out_of_range = _broken(b, tmp_path / "range")
    df = pl.read_csv(out_of_range / "data" / "principles.csv", infer_schema=False)
    df.with_columns(pl.when(pl.int_range(pl.len()) == 3).then(pl.lit("9")).otherwise(pl.col("score"))
                    .alias("score")).write_csv(out_of_range / "data" / "principles.csv")
    garbled = _broken(b, tmp_path / "garbled")
    (garbled / "datapackage.json").write_bytes(b"{\"resources\": \xff")
    empty = _broken(b, tmp_path / "empty")
    (empty / "data" / "indicators.csv").write_text("")
    twice = _broken(b, tmp_path / "twice")
    lines = (twice / "data" / "principles.csv").read_text().splitlines(keepends=True)
    (twice / "data" / "principles.csv").write_text("".join(lines + lines[1:2]))
    cases = [
        ([no_meta], "no-datapackage", "no-meta/datapackage.json", None, None),
        ([empty], "empty-file", "empty/data/indicators.csv", None, None),
        ([twice], "duplicate-row", "twice/data/principles.csv", len(lines) + 1, "principle_id"),
        ([schema], "bad-schema", "schema/data/principles.csv", 1, "score"),
        ([out_of_range], "out-of-range", "range/data/principles.csv", 5, "score"),
        ([garbled], "bad-encoding", "garbled/datapackage.json", None, None),
        ([a, _broken(a, tmp_path / "again")], "duplicate-partnership", "again/data/partnerships.csv", 2,
         "partnership_id"),
        ([tmp_path / "nowhere"], "no-package", "nowhere", None, None),
    ]
    for folders, code, file, row, column in cases:
        with pytest.raises(InputRejected) as exc:
            read_packages(folders, FW)
        f = exc.value.findings[0]
        assert (f.code, f.row, f.column) == (code, row, column) and f.file.endswith(file), f
    before = _tree(a)
    code, out, err = _c2c(["programme", "--packages", str(a), str(schema)], monkeypatch, capsys)
    assert code == 2 and "Traceback" not in err and out == ""
    assert "schema/data/principles.csv" in err and "score" in err
    assert _tree(a) == before


# --- the command on a workspace: bad input ---------------------------------------------------------------
@pytest.mark.parametrize("args, says", [
    (["--partnerships", "nope-nowhere"], "unknown partnership 'nope-nowhere'"),
    (["--round-year", "1999"], "--round-year 1999"),
    (["--partnerships", "bonn-cape-coast", "--for", "lisbon-praia"], "--for 'lisbon-praia'"),
    (["--partnerships", "bonn-cape-coast,,lisbon-praia"], "empty partnership id"),
    (["--all", "--partnerships", "bonn-cape-coast"], "not both"),
    (["--round-year", "20x4"], "20x4"),
    ([str(Path("folder"))], "only with --packages"),
])
def test_bad_input_is_one_line_exit_2_and_changes_nothing(demo_copy: Path, args: list[str], says: str,
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    before = _tree(demo_copy)
    code, out, err = _c2c(["programme", "-w", str(demo_copy), *args], monkeypatch, capsys)
    assert code == 2, err
    # One line says what is wrong (a usage error also shows click's usage lines above it); no traceback.
    assert any(says in line for line in err.splitlines()) and "Traceback" not in err and out == ""
    assert _tree(demo_copy) == before


def _c2c(args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """The command line's own entry point in this process (`main`: its error mapping, its exit codes)."""
    from c2c_monitor.cli import main

    monkeypatch.delenv("C2C_WORKSPACE", raising=False)
    monkeypatch.setattr(sys, "argv", ["c2c", *args])
    with pytest.raises(SystemExit) as exc:
        main()
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


def test_command_writes_csv(demo_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                           capsys: pytest.CaptureFixture[str]) -> None:
    before = _tree(demo_copy)
    out = tmp_path / "p.csv"
    code, _, err = _c2c(["programme", "-w", str(demo_copy), "--partnerships", ",".join(SUBSET_A + SUBSET_B),
                         "--format", "csv", "-o", str(out)], monkeypatch, capsys)
    assert code == 0, err
    rows = pl.read_csv(out, infer_schema=False)
    assert rows.columns == ["section", "id", "title", "year", "measure", "value"]
    means = {r["id"]: float(r["value"]) for r in rows.filter((pl.col("section") == "profile")
                                                             & (pl.col("measure") == "mean")).iter_rows(named=True)}
    assert set(means) == {p.id for p in FW.principles}
    assert _tree(demo_copy) == before


# --- the computation, on small synthetic cohorts ---------------------------------------------------------
def _cohort(scores: dict[tuple[str, int], list[float | None]]) -> pl.DataFrame:
    """(partnership, round year) -> a score per principle, rounds held on 1 June of that year."""
    ids = [p.id for p in FW.principles]
    rows = [(pid, f"{year}", date(year, 6, 1), ids[i], s, 5) for (pid, year), ss in scores.items()
            for i, s in enumerate(ss)]
    return pl.DataFrame(rows, schema=PRINCIPLE_SCHEMA, orient="row")


score = st.one_of(st.none(), st.integers(4, 20).map(lambda k: k / 4))
cohort = st.dictionaries(st.tuples(st.sampled_from([f"p{i}" for i in range(6)]), st.sampled_from([2022, 2024])),
                         st.lists(score, min_size=3, max_size=3), min_size=1, max_size=12)


@settings(max_examples=60, deadline=None)
@given(cohort)
def test_profile_aggregates_never_show_one_partnership(data: dict[tuple[str, int], list[float | None]]) -> None:
    frame = _cohort(data)
    names = {pid: pid.upper() for pid in sorted({k[0] for k in data})}
    p = build_programme(frame, pl.DataFrame(schema=COVERAGE_SCHEMA), names, FW, "en", None, None, "workspace")
    latest = {pid: max(y for q, y in data if q == pid) for pid in names}
    for i, row in enumerate(p.principles[:3]):
        xs = [s for pid, y in latest.items() if (s := data[(pid, y)][i]) is not None]
        assert row.n_partnerships == len(xs)
        if xs:
            assert row.mean == pytest.approx(sum(xs) / len(xs), abs=1e-4)
            assert min(xs) - 1e-9 <= (row.median or 0) <= max(xs) + 1e-9
        # Under the minimum, no spread figure (each would be one partnership's score).
        assert (row.low is None) == (len(xs) < MIN_PARTNERSHIPS) and (row.iqr is None) == (len(xs) < MIN_PARTNERSHIPS)
    for t in p.travel[:3]:
        i = [x.id for x in FW.principles].index(t.id)
        pairs = [(data[(pid, 2022)][i], data[(pid, 2024)][i]) for pid in names
                 if (pid, 2022) in data and (pid, 2024) in data]
        deltas = [b - a for a, b in pairs if a is not None and b is not None]
        assert t.n_compared == len(deltas) == t.improved + t.declined + t.unchanged
        assert t.improved == sum(d >= PRINCIPLE_CHANGE for d in deltas)


def test_renderers_escape_and_neutralise_names() -> None:
    frame = _cohort({("a", 2024): [2.0, 3.0, 4.0], ("b", 2024): [4.0, 4.75, 4.5], ("c", 2024): [3.0, 1.0, 5.0]})
    names = {"a": "A", "b": XSS, "c": FORMULA}
    cov = pl.DataFrame([("a", 10, 5), ("b", 10, 10), ("c", 10, 0)], schema=COVERAGE_SCHEMA, orient="row")
    p = build_programme(frame, cov, names, FW, "en", None, "a", "workspace")
    assert [r.principle_id for r in p.peers] == ["P01", "P02", "P03"]
    assert p.peers[0].peers == ["b", "c"] and p.peers[2].peers == ["c", "b"]
    assert p.coverage_mean == pytest.approx(0.5)
    html = render_html(p)
    assert XSS not in html and "&lt;script&gt;" in html
    cells = [c for row in csv_module.reader(io.StringIO(render_csv(p))) for c in row]
    assert "'" + FORMULA in cells and not any(c.startswith(("=", "+", "@")) for c in cells)
    assert "–" in render_table(p)
    # Names of peers, never their scores: b's 4.75 on P02 is not in the peers section (the profile's
    # "highest" over three partnerships may show it, unnamed).
    assert "4.75" not in json.dumps([r.model_dump() for r in p.peers])


def test_a_partnership_without_scores_has_no_peers_to_compare() -> None:
    from c2c_monitor.errors import C2CError

    frame = _cohort({("a", 2024): [2.0, 3.0, 4.0], ("b", 2024): [None, None, None]})
    with pytest.raises(C2CError, match="--for 'b' has no principle scores"):
        build_programme(frame, pl.DataFrame(schema=COVERAGE_SCHEMA), {"a": "A", "b": "B"}, FW, "en", None, "b",
                        "workspace")
    with pytest.raises(C2CError, match="--round-year 2023.*"):
        build_programme(frame, pl.DataFrame(schema=COVERAGE_SCHEMA), {"a": "A", "b": "B"}, FW, "en", 2023, None,
                        "workspace")
