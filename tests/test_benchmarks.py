"""The benchmark script's smoke run: it runs and prints every figure (timings are not asserted here)."""

from __future__ import annotations

import json
import subprocess
import sys

from .conftest import ROOT


def test_benchmark_smoke_run_prints_every_figure(tmp_path) -> None:
    out = tmp_path / "figures.json"
    res = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--size", "smoke", "--json", str(out)],
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    for n in range(1, 9):
        assert f"[{n}] " in res.stdout, f"figure {n} missing:\n{res.stdout}"
    figures = json.loads(out.read_text())
    assert {f["figure"] for f in figures} == {1, 2, 3, 4, 5, 6, 7, 8}
    ratios = [f for f in figures if f.get("kind") == "ratio"]
    assert all(f["engine_s"] > 0 and f["baseline_s"] > 0 for f in ratios)
    assert "values agree" in res.stdout  # the evaluate figure checks the engine against its baseline
    assert "same answer" in res.stdout  # the programme query over the packages checks itself against one table
    assert "row groups scanned" in res.stdout  # figure 6 prints what EXPLAIN ANALYZE read
