from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import settings

# No test asserts timing (performance lives in benchmarks/): hypothesis's default 200 ms deadline per example
# failed a property test on a loaded machine, so it is off for every test unless one sets its own.
settings.register_profile("c2c", deadline=None)
settings.load_profile("c2c")

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def demo_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo workspace built once per test session (tests copy it before writing)."""
    from c2c_monitor.ingest.demo import fill_demo
    from c2c_monitor.store.workspace import init_workspace, open_workspace

    root = tmp_path_factory.mktemp("demo") / "ws"
    init_workspace(root, "demo")
    with open_workspace(root) as ws:
        fill_demo(ws.con)
    return root


@pytest.fixture
def demo_copy(demo_ws: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "ws"
    shutil.copytree(demo_ws, dst)
    return dst


def run_c2c(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    # A developer's own C2C_WORKSPACE must not leak into tests; a test passes one explicitly.
    full_env = {k: v for k, v in os.environ.items() if k != "C2C_WORKSPACE"} | (env or {})
    return subprocess.run([sys.executable, "-m", "c2c_monitor.cli", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=300)


# --- a hostile published workspace (test_publish, test_pdf_engines) ----------------------------------
XSS = "<script>alert(1)</script>"
FORMULA = '=HYPERLINK("http://example.invalid","x")'
PUBLISHED = ["bonn-cape-coast", "lyon-porto-novo"]


def sql(ws: Path, sql: str, params: list) -> None:
    from c2c_monitor.store.workspace import open_workspace

    with open_workspace(ws) as w:
        w.con.execute(sql, params)


@pytest.fixture(scope="session")
def hostile(demo_ws: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A demo workspace with hostile names, a marked workshop round (one group of one) and its published site."""
    import polars as pl

    from .test_workshop import MARK, _filled

    root = tmp_path_factory.mktemp("hostile")
    ws = root / "ws"
    shutil.copytree(demo_ws, ws)
    sql(ws, "UPDATE partnerships SET name = ?, description = ? WHERE partnership_id = 'bonn-cape-coast'",
         [f'{XSS} & "Bonn"', "<img src=x onerror=alert(2)>"])
    sql(ws, "UPDATE partnerships SET theme = ? WHERE partnership_id = 'lyon-porto-novo'", [FORMULA])
    sheets = root / "sheets"
    assert run_c2c("workshop", "template", "bonn-cape-coast", "-w", str(ws), "--participants", "4",
                   "-o", str(sheets)).returncode == 0
    people = {"P01": (f"{MARK}1", "civil_society"), "P02": (f"{MARK}2", "civil_society"),
              "P03": (f"{MARK}3", "civil_society"), "P04": (f"{MARK}LONE", "private_sector")}
    sheet = _filled(sheets / "bonn-cape-coast-ratings.csv", people, lambda q: "4")
    # The lone participant answers differently everywhere: a published group of one would show 1.0.
    sheet = sheet.with_columns(pl.when(pl.col("stakeholder_group") == "private_sector").then(pl.lit("1"))
                               .otherwise(pl.col("rating")).alias("rating"))
    sheet.write_csv(root / "filled.csv")
    res = run_c2c("workshop", "import", str(root / "filled.csv"), "-w", str(ws), "-p", "bonn-cape-coast",
                  "--round", "2025", "--held-on", "2025-11-20")
    assert res.returncode == 0, res.stderr
    assert run_c2c("workshop", "action", "add", "bonn-cape-coast", "-w", str(ws), "--principle", "P09",
                   "--text", "=1+2 budget line", "--owner", "@finance", "--round", "2025").returncode == 0
    site = root / "site"
    res = run_c2c("publish", *PUBLISHED, "-w", str(ws), "-o", str(site), "-q")
    assert res.returncode == 0, res.stderr
    # The workshop kit's results handout is a published output too.
    res = run_c2c("workshop", "kit", "bonn-cape-coast", "-w", str(ws), "-o", str(root / "kit"))
    assert res.returncode == 0, res.stderr
    return ws, site


def pdf_text(page: object) -> str:
    """A PDF page's text as a reader sees it: ligatures (ﬁ, ﬄ) split back into letters (NFKC).

    Which ligatures a PDF keeps depends on the engine and the fonts of the machine; comparing raw
    extracted text fails on one machine and passes on another.
    """
    import unicodedata

    return unicodedata.normalize("NFKC", page.extract_text() or "")  # type: ignore[attr-defined]
