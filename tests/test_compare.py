"""`c2c compare`: round 1 vs round 2, periods, and partnerships side by side, in every format."""

from __future__ import annotations

import csv
import io
import json

import pytest

from .conftest import run_c2c


@pytest.fixture(scope="module")
def over_time(demo_ws) -> dict:
    res = run_c2c("compare", "bonn-cape-coast", "-w", str(demo_ws), "--format", "json")
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)["over_time"]


def test_rounds_and_periods_are_compared(over_time) -> None:
    assert (over_time["round_before"], over_time["round_after"]) == ("2022-pilot", "2024")
    assert (over_time["period_before"], over_time["period_after"]) == ("2023", "2024")
    for p in over_time["principles"]:
        delta = p["after"] - p["before"]
        expected = "improved" if delta >= 0.25 else "deteriorated" if delta <= -0.25 else "unchanged"
        assert p["change"] == expected
    changes = {r["change"] for r in over_time["indicators"]}
    assert {"improved", "deteriorated"} <= changes
    for r in over_time["indicators"]:
        if r["change"] in ("improved", "deteriorated"):
            assert r["before_period"][:4] <= "2023" and r["after_period"].startswith("2024")
    assert over_time["vintages_after"] == [1]


def test_side_by_side_uses_the_harmonised_set_only(demo_copy) -> None:
    own = demo_copy / "own_indicators" / "our_workshops.yaml"
    from c2c_monitor.definitions.locate import definitions_dir

    own.write_text((definitions_dir("indicators") / "joint_workshops.yaml").read_text()
                   .replace("id: joint_workshops", "id: our_workshops"))
    doc = json.loads(run_c2c("compare", "bonn-cape-coast", "lisbon-praia", "-w", str(demo_copy), "--format",
                             "json").stdout)["side_by_side"]
    ids = {r["id"] for r in doc["rows"]}
    assert "our_workshops" not in ids and "joint_workshops" in ids
    assert set(doc["partnerships"]) == {"bonn-cape-coast", "lisbon-praia"}
    for pid, n in doc["n_scored"].items():
        assert n == sum(1 for r in doc["rows"] if r["kind"] == "indicator" and r["cells"][pid]["score"] is not None)
    # the same scores as each partnership's own scoreboard
    sb = json.loads(run_c2c("assess", "lisbon-praia", "-w", str(demo_copy), "--format", "json").stdout)
    p01 = next(p["score"] for p in sb["principles"] if p["id"] == "P01")
    assert next(r for r in doc["rows"] if r["id"] == "P01")["cells"]["lisbon-praia"]["score"] == p01


@pytest.mark.parametrize("fmt", ["table", "csv", "html"])
def test_every_output_format(demo_ws, tmp_path, fmt) -> None:
    for args in (["bonn-cape-coast"], ["bonn-cape-coast", "milan-dakar"]):
        out = tmp_path / f"c.{fmt}"
        res = run_c2c("compare", *args, "-w", str(demo_ws), "--format", fmt, "-o", str(out))
        assert res.returncode == 0, res.stderr
        text = out.read_text()
        if fmt == "csv":
            rows = list(csv.reader(io.StringIO(text)))
            assert len(rows) > 20
        elif fmt == "html":
            assert "<svg" in text or len(args) > 1
            assert "https://" not in text.split("<svg")[0]
        else:
            assert all(len(line) <= 100 for line in text.splitlines())


def test_compare_refuses_bad_arguments(demo_ws) -> None:
    res = run_c2c("compare", "bonn-cape-coast", "-w", str(demo_ws), "--from", "2024", "--to", "2023")
    assert res.returncode == 2 and "not before" in res.stderr
    res = run_c2c("compare", "bonn-cape-coast", "nowhere", "-w", str(demo_ws))
    assert res.returncode == 2 and "unknown partnership" in res.stderr
