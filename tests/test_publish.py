"""c2c publish: confidentiality, escaping, formula-safe CSV, data package, exports that load back, atomicity."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import polars as pl

from .conftest import FORMULA, XSS, pdf_text, run_c2c
from .test_workshop import MARK


def _texts(site: Path) -> dict[Path, str]:
    from pypdf import PdfReader

    out = {}
    for p in site.rglob("*"):
        if not p.is_file() or p.suffix == ".ttf":
            continue
        if p.suffix == ".pdf":
            out[p] = "\n".join(pdf_text(page) for page in PdfReader(p).pages)
        else:
            out[p] = p.read_text(encoding="utf-8")
    return out


def test_site_has_every_part(hostile) -> None:
    _, site = hostile
    for rel in ["index.html", "methodology.html", "vintages.html", "data/README.html", "datapackage.json",
                "assets/site.css", "data/indicators.csv", "data/sdmx/observations.csv", "data/scoreboards.json",
                "partnerships/bonn-cape-coast.html", "pdf/bonn-cape-coast.pdf", "pdf/lyon-porto-novo.pdf"]:
        assert (site / rel).is_file(), rel
    assert list((site / "data" / "open-sdg" / "data").glob("indicator_11-*.csv"))
    assert (site / "data" / "open-sdg" / "meta" / "11-6-2.md").is_file()
    assert (site / "data" / "sdmx" / "structure.xml").is_file()
    assert not list(site.parent.glob(".site.*")), "temporary folders left behind"


def test_no_confidential_data_in_any_output(hostile) -> None:
    _, site = hostile
    texts = _texts(site)
    kit = _texts(site.parent / "kit")
    assert any(p.suffix == ".pdf" for p in texts) and any(p.name.endswith("handout.pdf") for p in kit)
    leaks = [str(p) for p, t in (texts | kit).items() if MARK in t]
    assert leaks == []
    # The group of one (private_sector) is neither shown alone nor merged into a group of its own; and since
    # civil society (3) beside the round total (4) would leave it by subtraction, civil society is not shown
    # either (complementary suppression, score/disclosure.group_plan).
    groups = pl.read_csv(site / "data" / "groups.csv").filter(pl.col("partnership_id") == "bonn-cape-coast")
    assert groups.height == 0
    page = texts[site / "partnerships" / "bonn-cape-coast.html"]
    handout = next(t for p, t in kit.items() if p.name.endswith("handout.pdf"))
    # (A question mentions "the private sector"; what must be absent is the group as a column or row.)
    assert "private sector<br>" not in page and "civil society<br>" not in page
    assert not re.search(r"private.sector \(\d", handout) and "civil society (3)" not in handout
    # A comment or a participant code never even reaches the JSON.
    doc = json.loads(texts[site / "data" / "scoreboards.json"])
    assert "comment" not in json.dumps(doc) and "participant_code" not in json.dumps(doc)


def test_names_from_data_are_escaped(hostile) -> None:
    _, site = hostile
    for p in site.rglob("*.html"):
        html = p.read_text(encoding="utf-8")
        assert "<script" not in html.lower(), p
        assert "<img" not in html.lower(), p
    index = (site / "index.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in index
    pdf_text = _texts(site)[site / "pdf" / "bonn-cape-coast.pdf"]
    assert XSS in pdf_text  # shown as text, literally


def test_csv_cells_cannot_run_as_formulas(hostile) -> None:
    _, site = hostile
    seen_theme = seen_action = False
    for p in (site / "data").rglob("*.csv"):
        with p.open(encoding="utf-8") as fh:
            for row in csv.reader(fh):
                for cell in row:
                    if cell[:1] in ("=", "+", "-", "@"):
                        float(cell)  # only numbers may start like a formula
                    seen_theme |= cell == "'" + FORMULA
                    seen_action |= cell == "'=1+2 budget line"
    assert seen_theme and seen_action


def test_datapackage_describes_every_file(hostile) -> None:
    ws, site = hostile
    dp = json.loads((site / "datapackage.json").read_text())
    assert dp["licenses"][0]["name"] == "CC-BY-4.0"
    paths = {r["path"] for r in dp["resources"]}
    on_disk = {p.relative_to(site).as_posix() for p in [*(site / "data").rglob("*"), *(site / "pdf").rglob("*")]
               if p.is_file() and p.name != "README.html"}
    assert on_disk == paths
    for r in dp["resources"]:
        if "schema" not in r:
            continue
        df = pl.read_csv(site / r["path"], infer_schema=False)
        assert df.columns == [f["name"] for f in r["schema"]["fields"]], r["path"]
        key = r["schema"].get("primaryKey")
        assert key or "open-sdg" in r["path"], r["path"]
        if key:
            assert df.select(key).is_duplicated().sum() == 0, r["path"]
        for f in r["schema"]["fields"]:
            col = df[f["name"]].drop_nulls()
            if f["type"] == "number":
                col.cast(pl.Float64)  # raises if a value is not a number
            if f["type"] == "integer":
                col.cast(pl.Int64)


def test_licence_comes_from_the_workspace_config(hostile, tmp_path) -> None:
    import shutil

    ws, _ = hostile
    copy = tmp_path / "ws"
    shutil.copytree(ws, copy)
    cfg = copy / "c2c.toml"
    cfg.write_text(cfg.read_text().replace('licence = "CC-BY-4.0"', 'licence = "CC0-1.0"'))
    assert run_c2c("publish", "bonn-cape-coast", "-w", str(copy), "-o", str(tmp_path / "s"), "--no-pdf",
                   "-q").returncode == 0
    dp = json.loads((tmp_path / "s" / "datapackage.json").read_text())
    assert dp["licenses"][0]["name"] == "CC0-1.0"
    assert "CC0-1.0" in (tmp_path / "s" / "index.html").read_text()


def test_every_page_says_when_and_from_what(hostile) -> None:
    _, site = hostile
    for p in site.rglob("*.html"):
        footer = p.read_text(encoding="utf-8").split('<footer class="site">')[1]
        assert re.search(r"Generated \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC", footer), p
        assert re.search(r"indicator catalogue [0-9a-f]{12}", footer), p
        assert re.search(r"data vintages (\d+(, \d+)*|none)", footer), p


def test_sdmx_export_loads_back_unchanged(hostile) -> None:
    ws, site = hostile
    res = run_c2c("ingest", str(site / "data" / "sdmx" / "observations.csv"), "-w", str(ws), "--dry-run",
                  "--report", str(site.parent / "report.json"))
    # Everything already held: it would load nothing, which is exit 1 with the reason (not an error, 2).
    assert res.returncode == 1 and "nothing new" in res.stderr, res.stderr
    assert "new 0, revised 0" in res.stderr
    n = pl.read_csv(site / "data" / "sdmx" / "observations.csv", infer_schema=False).height
    assert n > 100 and f"unchanged {n}" in res.stderr


def test_open_sdg_export_reads_back(hostile) -> None:
    from c2c_monitor.ingest.readers import read_open_sdg

    _, site = hostile
    sdmx = pl.read_csv(site / "data" / "sdmx" / "observations.csv", infer_schema=False)
    files = sorted((site / "data" / "open-sdg" / "data").glob("indicator_*.csv"))
    total = 0
    for f in files:
        parsed = read_open_sdg(f)
        assert parsed.findings == [], f
        total += parsed.frame.height
    assert total == sdmx.height  # every observation of a catalogue city indicator, once


def test_publish_refuses_a_foreign_folder_and_replaces_its_own(hostile, tmp_path) -> None:
    ws, _ = hostile
    foreign = tmp_path / "docs"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    res = run_c2c("publish", "bonn-cape-coast", "-w", str(ws), "-o", str(foreign), "--no-pdf", "-q")
    assert res.returncode == 2 and "not a site made by c2c publish" in res.stderr
    assert [p.name for p in foreign.iterdir()] == ["notes.txt"]
    out = tmp_path / "site"
    assert run_c2c("publish", "bonn-cape-coast", "-w", str(ws), "-o", str(out), "--no-pdf", "-q").returncode == 0
    assert run_c2c("publish", "lyon-porto-novo", "-w", str(ws), "-o", str(out), "--no-pdf", "-q").returncode == 0
    assert [p.name for p in (out / "partnerships").iterdir()] == ["lyon-porto-novo.html"]
    res = run_c2c("publish", "no-such-pair", "-w", str(ws), "-o", str(out), "--no-pdf", "-q")
    assert res.returncode == 2 and (out / "partnerships" / "lyon-porto-novo.html").exists()


def test_vectorised_formula_guard_agrees_with_the_cell_guard() -> None:
    from hypothesis import given
    from hypothesis import strategies as st

    from c2c_monitor.render.csv_export import safe_cell, safe_expr

    @given(st.lists(st.one_of(st.none(), st.text(max_size=6),
                              st.sampled_from(["=SUM(A1)", "+1", "-2", "@x", "\tx", "\rx", "a=b"])), max_size=30))
    def check(values: list[str | None]) -> None:
        out = pl.DataFrame({"c": values}, schema={"c": pl.String}).with_columns(safe_expr("c"))["c"].to_list()
        assert out == [None if v is None else safe_cell(v) for v in values]

    check()


def test_a_killed_publish_leaves_the_old_site_and_its_leftovers_are_cleared(hostile, tmp_path) -> None:
    import signal
    import subprocess
    import sys
    import time

    ws, _ = hostile
    out = tmp_path / "site"
    assert run_c2c("publish", "lyon-porto-novo", "-w", str(ws), "-o", str(out), "--no-pdf", "-q").returncode == 0
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    log = tmp_path / "killed.log"
    with log.open("w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "c2c_monitor.cli", "publish", "-w", str(ws), "-o", str(out),
                                 "-q"], stdout=subprocess.DEVNULL, stderr=err)
        deadline = time.monotonic() + 180  # a loaded CI machine scores 27 partnerships slowly
        while not list(tmp_path.glob(".site.tmp-*")) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    why = f"publish exit {proc.returncode}: {log.read_text()[-500:]}"
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before, why  # readers still see the old site
    assert list(tmp_path.glob(".site.tmp-*")), why  # the killed run's folder is there ...
    assert run_c2c("publish", "lyon-porto-novo", "-w", str(ws), "-o", str(out), "--no-pdf", "-q").returncode == 0
    assert not list(tmp_path.glob(".site.*"))  # ... and the next run clears it


def test_an_error_in_the_series_thread_fails_the_publish_and_keeps_the_old_site(demo_copy, tmp_path,
                                                                                 monkeypatch) -> None:
    """The observations are read, and their SDMX / Open SDG files written, on a thread of their own while the
    pages render (publish/site.py): an error there still fails the run, with the old site in place and no
    temporary folder left behind."""
    import pytest

    from c2c_monitor.errors import C2CError
    from c2c_monitor.publish import open_sdg, site
    from c2c_monitor.store.workspace import open_workspace

    out = tmp_path / "site"
    with open_workspace(demo_copy) as ws:
        site.publish(ws, ["lyon-porto-novo"], out, pdf=False)
        before = sorted(p.relative_to(out).as_posix() for p in out.rglob("*"))

        def broken(*args: object, **kwargs: object) -> None:
            raise C2CError("the Open SDG export broke")

        monkeypatch.setattr(open_sdg, "open_sdg", broken)
        with pytest.raises(C2CError, match="Open SDG export broke"):
            site.publish(ws, ["bonn-cape-coast"], out, pdf=False)
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == before
    assert "partnerships/lyon-porto-novo.html" in before
    assert not list(tmp_path.glob(".site.*"))


def test_a_read_started_for_other_cities_is_not_used(demo_copy, tmp_path) -> None:
    """write_site takes the observations `publish` began reading only when they are of its scoreboards' cities
    and vintage bound; otherwise it reads them again, and the series files are the same as without it."""
    from c2c_monitor.publish import site
    from c2c_monitor.score.assess import build_scoreboards, workspace_catalogue
    from c2c_monitor.store import catalog_cache
    from c2c_monitor.store.workspace import open_workspace

    with open_workspace(demo_copy) as ws:
        cat, fw = workspace_catalogue(ws), catalog_cache.framework()
        sbs = build_scoreboards(ws, ["lyon-porto-novo"], catalogue=cat, framework=fw)
        other = sbs[0].partnership.cities[0].id
        site.write_site(ws, sbs, tmp_path / "plain", cat, fw, pdf=False)
        wrong = site._ObservationsRead(ws.con, [other], cat, None)  # one of the two cities only
        site.write_site(ws, sbs, tmp_path / "given", cat, fw, pdf=False, observations=wrong)
    plain = pl.read_csv(tmp_path / "plain" / "data" / "sdmx" / "observations.csv", infer_schema=False)
    given = pl.read_csv(tmp_path / "given" / "data" / "sdmx" / "observations.csv", infer_schema=False)
    assert plain.height > 0 and plain["REF_AREA"].n_unique() == 2
    assert given.equals(plain)
