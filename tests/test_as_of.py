"""`--as-of`: a vintage that does not exist, or a date before the first one, is refused with the range there is."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from c2c_monitor.cli import main


def _run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str]:
    """The console entry point in process (its error handling included): exit code and stdout + stderr."""
    monkeypatch.setattr("sys.argv", ["c2c", *args])
    monkeypatch.delenv("C2C_WORKSPACE", raising=False)
    with pytest.raises(SystemExit) as exc:
        main()
    out = capsys.readouterr()
    return int(exc.value.code or 0), out.out + out.err


@pytest.fixture(scope="module")
def span(demo_ws: Path) -> tuple[int, int]:
    from c2c_monitor.store.workspace import open_workspace

    with open_workspace(demo_ws) as ws:
        lo, hi = ws.con.execute("SELECT min(vintage_id), max(vintage_id) FROM vintages").fetchall()[0]
    return int(lo), int(hi)


@pytest.mark.parametrize("as_of", ["99", "0", "2001-01-01", "yesterday"])
def test_as_of_outside_the_vintages_is_refused_with_the_range(demo_ws: Path, span: tuple[int, int], as_of: str,
                                                              capsys: pytest.CaptureFixture[str],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    code, out = _run(capsys, monkeypatch, "assess", "bonn-cape-coast", "-w", str(demo_ws), "--as-of", as_of,
                     "--format", "json")
    assert code == 2, out
    assert "Traceback" not in out and len(out.strip().splitlines()) == 1
    assert f"--as-of {as_of}" in out.replace("'", "")
    assert re.search(rf"vintages {span[0]}–{span[1]}, loaded \d{{4}}-\d\d-\d\d", out)


def test_as_of_an_existing_vintage_is_accepted(demo_ws: Path, span: tuple[int, int],
                                               capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    code, out = _run(capsys, monkeypatch, "assess", "bonn-cape-coast", "-w", str(demo_ws), "--as-of", str(span[1]),
                     "--format", "json")
    assert code == 0, out
    assert f'"as_of_vintage":{span[1]}' in out.replace(" ", "")
