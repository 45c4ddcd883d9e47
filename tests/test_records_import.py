"""Importing a partnership's own records: validation to the row and column, atomic, idempotent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import run_c2c
from .test_ingest import state

HEAD = "line_id,partnership_id,date,city_id,city_role,category,source,amount_eur\n"
OK = "L1,bonn-cape-coast,2025-02-01,cape-coast,partner,capacity_building,eu_grant,1000\n"


@pytest.mark.parametrize(("body", "expected"), [
    (OK + "L2,bonn-cape-coast,2025-13-01,cape-coast,partner,studies,eu_grant,5\n", ("bad-date", 3, "date")),
    (OK + "L2,bonn-cape-coast,2025-03-01,cape-coast,partner,training,eu_grant,5\n", ("unknown-code", 3, "category")),
    (OK + "L2,bonn-cape-coast,2025-03-01,cape-coast,partner,studies,eu_grant,lots\n", ("bad-type", 3, "amount_eur")),
    (OK + "L2,nowhere-never,2025-03-01,cape-coast,partner,studies,eu_grant,5\n",
     ("unknown-partnership", 3, "partnership_id")),
    (OK + "L2,bonn-cape-coast,2025-03-01,atlantis,partner,studies,eu_grant,5\n", ("unknown-city", 3, "city_id")),
    (OK + OK, ("duplicate-key", 3, "line_id")),
    (OK + "L2,bonn-cape-coast,2025-03-01,cape-coast,partner,studies,,5\n", ("missing-value", 3, "source")),
    ("", ("empty-file", None, None)),
])
def test_bad_records_are_refused_and_change_nothing(demo_copy, tmp_path, body, expected) -> None:
    f = tmp_path / "budget.csv"
    f.write_text(HEAD + body if body else "")
    report = tmp_path / "r.json"
    before = state(demo_copy)
    res = run_c2c("records", "import", "budget_lines", str(f), "-w", str(demo_copy), "--report", str(report))
    assert res.returncode == 2 and "Traceback" not in res.stderr
    first = json.loads(report.read_text())["findings"][0]
    assert (first["code"], first["row"], first["column"]) == expected
    assert state(demo_copy) == before


def test_records_feed_the_indicators_and_reimport_adds_nothing(demo_copy: Path, tmp_path: Path) -> None:
    f = tmp_path / "budget.csv"
    f.write_text(HEAD + "B1,bonn-cape-coast,2025-02-01,cape-coast,partner,capacity_building,eu_grant,300\n"
                        "B2,bonn-cape-coast,2025-05-01,cape-coast,partner,studies,city_own,700\n")
    res = run_c2c("records", "import", "budget_lines", str(f), "-w", str(demo_copy))
    assert res.returncode == 0 and "2 new or changed" in res.stderr
    once = state(demo_copy)
    again = run_c2c("records", "import", "budget_lines", str(f), "-w", str(demo_copy))
    assert again.returncode == 1 and "0 new or changed" in again.stderr and "nothing new" in again.stderr
    assert state(demo_copy) == once
    doc = json.loads(run_c2c("assess", "bonn-cape-coast", "-w", str(demo_copy), "--format", "json").stdout)
    share = next(r for r in doc["indicators"] if r["id"] == "capacity_budget_share")
    assert share["period"] == "2025" and share["value"] == pytest.approx(30.0)  # 300 of 1000, by hand
    lev = next(r for r in doc["indicators"] if r["id"] == "cofinancing_leverage")
    assert lev["value"] == pytest.approx(700 / 300)
