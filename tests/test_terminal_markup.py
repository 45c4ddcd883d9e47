"""Names, titles, groups and actions are printed on the terminal as they were written, brackets included.

Rich reads `[...]` in a string as a style tag unless told not to (render/console): "Lyon [FR]" came out as
"Lyon ", an action "[draft] budget" lost its first word, and a name holding "[/]" stopped `c2c assess` with
rich's MarkupError and a traceback. The strings below are each of those cases.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from .conftest import run_c2c

CITY_EU = "Lyon [FR]"
CITY_PARTNER = "Dakar [/]"
PARTNERSHIP = "[bold]Lyon[/bold] – Dakar"
ACTION = "[draft] budget [/] and [red]x"
OWNER = "[b]office"


def _rename(ws: Path, pid: str) -> None:
    """Give `pid` bracketed names through `c2c partnerships import --update`, as a user's file would."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["partnership_id", "name", "european_city_id", "european_city_name", "european_country",
                "partner_city_id", "partner_city_name", "partner_country"])
    w.writerow([pid, PARTNERSHIP, "krakow", CITY_EU, "Poland", "lviv", CITY_PARTNER, "Ukraine"])
    (ws.parent / "names.csv").write_text(buf.getvalue(), encoding="utf-8")
    res = run_c2c("partnerships", "import", str(ws.parent / "names.csv"), "--update", "-w", str(ws))
    assert res.returncode == 0, res.stderr
    res = run_c2c("workshop", "action", "add", pid, "-w", str(ws), "--principle", "P04", "--text", ACTION,
                  "--owner", OWNER)
    assert res.returncode == 0, res.stderr


def test_bracketed_names_reach_every_terminal_table_as_written(demo_copy: Path) -> None:
    from c2c_monitor.render.comparison import render_table as comparison_table
    from c2c_monitor.render.programme import render_table as programme_table
    from c2c_monitor.render.terminal import render_action_plan, render_frame, render_terminal
    from c2c_monitor.score.assess import build_scoreboard
    from c2c_monitor.score.compare import compare
    from c2c_monitor.score.programme import from_workspace
    from c2c_monitor.store.workspace import open_workspace

    _rename(demo_copy, "krakow-lviv")
    # The command itself, as a user runs it: exit 0, no traceback, the names whole.
    res = run_c2c("assess", "krakow-lviv", "-w", str(demo_copy))
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr
    for text in (PARTNERSHIP, f"{CITY_EU} (Poland)", f"{CITY_PARTNER} (Ukraine)"):
        assert text in res.stdout, (text, res.stdout[:400])

    with open_workspace(demo_copy) as ws:
        sb = build_scoreboard(ws, "krakow-lviv")
        board = render_terminal(sb, color=False)
        # The city column of the indicator table (cut at 14 cells when longer) shows the bracketed name.
        assert any(CITY_EU in line for line in board.splitlines()[5:]), board
        assert "[draft] budget [/] and [red]x" in " ".join(render_action_plan(sb.actions).split())
        assert OWNER in render_action_plan(sb.actions)
        over = comparison_table(compare(ws, ["krakow-lviv"]))
        assert over.splitlines()[0].startswith(f"{PARTNERSHIP}:"), over[:200]
        # Side by side, each city indicator says whose city it is: "[EU] " and "[partner] " (were eaten whole).
        side = comparison_table(compare(ws, ["krakow-lviv", "bonn-cape-coast"]))
        assert "[EU] " in side and "[partner] " in side, side
        prog = programme_table(from_workspace(ws, None, for_pid="bonn-cape-coast"))
        assert prog.startswith("Programme view: ")
        import polars as pl

        listing = render_frame(pl.DataFrame({"name": [PARTNERSHIP, CITY_PARTNER]}))
        assert PARTNERSHIP in listing and CITY_PARTNER in listing


@pytest.fixture(scope="module")
def board(demo_ws: Path) -> object:
    from c2c_monitor.score.assess import build_scoreboard
    from c2c_monitor.store.workspace import open_workspace

    with open_workspace(demo_ws) as ws:
        return build_scoreboard(ws, "krakow-lviv")


TEXT = st.text(alphabet="[]/ab= #\\", min_size=1, max_size=20).map(str.strip).filter(bool)


@settings(max_examples=60, deadline=None)
@given(eu=TEXT, partner=TEXT, name=TEXT)
def test_any_bracketed_city_or_partnership_name_prints_verbatim(board: object, eu: str, partner: str,
                                                                name: str) -> None:
    from c2c_monitor.render.terminal import render_terminal

    sb = board.model_copy(update={"partnership": board.partnership.model_copy(update={  # type: ignore[attr-defined]
        "name": name, "cities": [c.model_copy(update={"name": n}) for c, n in
                                 zip(board.partnership.cities, (eu, partner), strict=True)]})})  # type: ignore[attr-defined]
    lines = render_terminal(sb, color=False).splitlines()  # type: ignore[arg-type]
    assert lines[0].startswith(name)
    assert lines[1] == f"{eu} ({sb.partnership.cities[0].country}) – {partner} ({sb.partnership.cities[1].country})"


def test_a_bracketed_file_name_on_the_progress_bar_is_shown_not_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The ingest bar shows each file's name: "[/]data.csv" and "[b]x.csv" came out as "data.csv" and "x.csv"."""
    import sys
    import time

    import rich
    from rich.console import Console

    from c2c_monitor.cli.context import LazyProgress

    buf = io.StringIO()
    # The bar draws on rich's global console: one whose lines can be read here, drawn as on a terminal.
    monkeypatch.setattr(rich, "_console", Console(file=buf, width=80, force_terminal=True, color_system=None))
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    bar = LazyProgress(True)
    bar.start = time.monotonic() - 2  # past the second after which the bar appears
    bar.update(0, 2, "[b]x.csv")
    bar.bar.refresh()
    bar.update(1, 2, "[/]data.csv")
    bar.bar.refresh()
    bar.stop()
    shown = buf.getvalue()
    assert "[b]x.csv" in shown and "[/]data.csv" in shown, shown
